/*
 * cmd_exercise.c - `mvgpu exercise --uuid U [--passes N | --seconds S]
 * [--channels C] [--agent | --incoming]`: run the exercise workload
 * (exercise.h) on a vGPU, print progress and a summary; exit 0 only if
 * every check passed.
 *
 * Handover (docs/wire-protocol.md): with --agent the workload serves the
 * vGPU's migration agent, so `mvgpu migrate` can move it while it runs:
 * it pauses at a pass boundary (every fence done) when asked, hands over
 * its state (struct ex_wire_state: seed, pass, fences, totals) and either
 * resumes (the migration failed) or ends (the vGPU runs elsewhere now).
 * With --incoming it waits for `mvgpu receive` to load the vGPU, then
 * checks what arrived - every channel's registers against the state, the
 * framebuffer against the source's (the digest of its verified shadow
 * travels in the state) - and carries on
 * with the next pass and the next fence values.
 */
#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "exercise.h"
#include "output.h"

#define DEFAULT_PASSES	10
#define PREAD_BYTES	(64u << 10)

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Strict unsigned decimal in [min, max]. */
static int parse_num(const char *s, unsigned long long min,
		     unsigned long long max, unsigned long long *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static volatile sig_atomic_t stop_req;	/* SIGTERM/^C with --agent/--incoming */

/* The main loop and the agent's thread meet here. */
struct handover {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool pause_req, parked, released, started, done;
	struct ex_wire_state in;	/* --incoming: what START brought */
	bool in_ok;
	size_t in_len;			/* bytes of it that arrived */
	char target[64];
};

struct run {
	struct cli *cli;
	struct handover ho;
	mvgpu_agent *agent;
	bool serve, incoming;
	uint64_t resumed_at;		/* --incoming: the pass it continued after */
	mvgpu_ctx *ctx;
	struct exercise ex;
	const char *uuid;
	uint8_t *rdbuf;		/* for the read-path check */
	double t0;
	FILE *progress;		/* stdout, or stderr with --json */
};

/* Report a library failure: exit 1 with its detail. */
static int lib_fail(struct run *r, int err, const char *what)
{
	return cli_fail(r->cli, EXIT_FAIL, err, "exercise: %s: %s (%s)", what,
			mvgpu_strerror(err), mvgpu_last_error(r->ctx));
}

static int open_device(struct run *r)
{
	int ret = mvgpu_dev_open(r->ctx, r->uuid, &r->ex.dev);

	switch (ret) {
	case 0:
		return 0;
	case -ENOENT:
		return cli_fail(r->cli, EXIT_FAIL, ret,
				"no vGPU %s; see 'mvgpu list'", r->uuid);
	case -EBUSY:
		return cli_fail(r->cli, EXIT_FAIL, ret,
				"vGPU %s is in use (a VFIO user such as a VM has it open): %s",
				r->uuid, mvgpu_last_error(r->ctx));
	default:
		return cli_fail(r->cli, EXIT_FAIL, ret,
				"cannot open vGPU %s: %s (%s)", r->uuid,
				mvgpu_strerror(ret), mvgpu_last_error(r->ctx));
	}
}

static int setup_display(struct run *r)
{
	const struct ex_layout *l = &r->ex.layout;
	mvgpu_dev *dev = r->ex.dev;
	uint32_t st;
	int ret;

	if ((ret = mvgpu_reg_write(dev, MVGPU_REG_DISP_ENABLE, 0)) ||
	    (ret = mvgpu_reg_write(dev, MVGPU_REG_DISP_WIDTH, l->width)) ||
	    (ret = mvgpu_reg_write(dev, MVGPU_REG_DISP_HEIGHT, l->height)) ||
	    (ret = mvgpu_reg_write(dev, MVGPU_REG_DISP_STRIDE, l->stride)) ||
	    (ret = mvgpu_reg_write(dev, MVGPU_REG_DISP_FORMAT, MVGPU_FMT_XRGB8888)) ||
	    (ret = mvgpu_reg_write(dev, MVGPU_REG_DISP_OFFSET, 0)) ||
	    (ret = mvgpu_reg_write(dev, MVGPU_REG_DISP_ENABLE, 1)) ||
	    (ret = mvgpu_reg_read(dev, MVGPU_REG_DISP_STATUS, &st)))
		return lib_fail(r, ret, "setting the display mode");
	if (st != 1)
		return cli_fail(r->cli, EXIT_FAIL, 0,
				"exercise: display mode %ux%u XRGB8888 not accepted: DISP_STATUS reads %u",
				l->width, l->height, st);
	return 0;
}

static int setup(struct run *r, unsigned nchan, uint32_t seed)
{
	struct exercise *ex = &r->ex;
	const mvgpu_dev_info *in = mvgpu_dev_get_info(ex->dev);
	mvgpu_dev *dev = ex->dev;
	struct ex_layout l;
	size_t fb_len;
	void *fb;
	unsigned c;
	int ret;

	if (nchan > in->channels)
		return cli_fail(r->cli, EXIT_FAIL, -EINVAL,
				"exercise: --channels %u: vGPU %s has %u channels",
				nchan, r->uuid, in->channels);
	if (ex_layout_init(&l, in->fb_size, in->max_width, in->max_height,
			   nchan))
		return cli_fail(r->cli, EXIT_FAIL, -EINVAL,
				"exercise: a %llu-byte framebuffer is too small",
				(unsigned long long)in->fb_size);
	ex->dev = NULL;		/* ex_init clears the struct */
	ret = ex_init(ex, &l, nchan, seed);
	ex->dev = dev;
	if (ret)
		return lib_fail(r, ret, "allocating the shadow");
	r->rdbuf = malloc(PREAD_BYTES + 8);
	if (!r->rdbuf)
		return lib_fail(r, -ENOMEM, "allocating");
	ret = mvgpu_fb_map(dev, &fb, &fb_len);
	if (ret)
		return lib_fail(r, ret, "mapping the framebuffer");
	ex->fb = fb;
	for (c = 0; c < nchan; c++) {
		if ((ret = mvgpu_dma_alloc(dev, EX_XFER_BYTES, &ex->up[c])) ||
		    (ret = mvgpu_dma_alloc(dev, EX_XFER_BYTES, &ex->down[c])))
			return lib_fail(r, ret, "allocating DMA memory");
		ret = mvgpu_chan_open(dev, c, EX_RING_BYTES, &ex->chan[c]);
		if (ret)
			return lib_fail(r, ret, "enabling a channel");
		mvgpu_chan_set_timeout(ex->chan[c], EX_WAIT_MS);
		ex->fence[c] = mvgpu_chan_last_fence(ex->chan[c]);
	}
	return setup_display(r);
}

/* Submit every channel's batch with a fence, wait for all fences. */
static int run_batches(struct run *r, uint64_t pass)
{
	struct exercise *ex = &r->ex;
	uint32_t value[EX_MAX_CH];
	unsigned c;
	int ret;

	for (c = 0; c < ex->nchan; c++) {
		struct ex_batch *b = &ex->batch[c];
		struct mvgpu_cmd fence;

		if ((ret = mvgpu_chan_fence_cmd(ex->chan[c],
						MVGPU_FENCE_IRQ | MVGPU_FENCE_MEM,
						&fence, &value[c])) ||
		    (ret = mvgpu_chan_submit(ex->chan[c], b->cmds, b->n)) ||
		    (ret = mvgpu_chan_submit(ex->chan[c], &fence, 1)))
			goto fail;
		ex->bytes_moved += b->bytes;
	}
	for (c = 0; c < ex->nchan; c++) {
		ret = mvgpu_chan_wait(ex->chan[c], value[c], EX_WAIT_MS);
		if (ret)
			goto fail;
		ex->fence[c] = value[c];
		ex->fences++;
		if (mvgpu_chan_fence_mem(ex->chan[c]) != value[c]) {
			snprintf(ex->failure, sizeof(ex->failure),
				 "channel %u fence memory: expected %u, got %u",
				 c, value[c], mvgpu_chan_fence_mem(ex->chan[c]));
			return -1;
		}
	}
	return 0;
fail:
	if (ret == -EIO)
		snprintf(ex->failure, sizeof(ex->failure),
			 "channel %u stopped in pass %llu: error %s at ring offset 0x%x",
			 c, (unsigned long long)pass,
			 mvgpu_err_name(mvgpu_chan_error(ex->chan[c])),
			 mvgpu_chan_error_get(ex->chan[c]));
	else
		snprintf(ex->failure, sizeof(ex->failure),
			 "channel %u in pass %llu: %s (%s)", c,
			 (unsigned long long)pass, mvgpu_strerror(ret),
			 mvgpu_last_error(r->ctx));
	return -1;
}

/* Check the framebuffer (mmap and read path) and the downloads. */
static int verify(struct run *r, uint64_t pass)
{
	struct exercise *ex = &r->ex;
	const struct ex_layout *l = &ex->layout;
	uint64_t off, span;
	size_t len;
	unsigned c, k;
	int ret;

	if (ex_compare(ex, "framebuffer (mmap)", 0, ex->shadow_disp, ex->fb,
		       l->disp_bytes) ||
	    ex_compare(ex, "framebuffer (mmap)", l->tail_off, ex->shadow_tail,
		       ex->fb + l->tail_off, l->tail_bytes))
		return -1;
	for (c = 0; c < ex->nchan; c++) {
		const struct ex_batch *b = &ex->batch[c];

		for (k = 0; k < b->ndl; k++) {
			const struct ex_download *d = &b->dl[k];
			char what[64];

			snprintf(what, sizeof(what), "channel %u download %u", c, k);
			if (ex_compare(ex, what, d->fb_off, b->expect + d->buf_off,
				       (const uint8_t *)ex->down[c].va + d->buf_off,
				       d->len))
				return -1;
		}
	}
	/* The read path at an odd offset and size, different each pass. */
	span = l->disp_bytes - PREAD_BYTES - 8;
	off = (pass * 40503u + 1) % span;
	len = PREAD_BYTES + (size_t)(pass % 7);
	ret = mvgpu_fb_read(ex->dev, off, r->rdbuf, len);
	if (ret) {
		snprintf(ex->failure, sizeof(ex->failure),
			 "reading the framebuffer at 0x%llx+%zu: %s",
			 (unsigned long long)off, len, mvgpu_strerror(ret));
		return -1;
	}
	return ex_compare(ex, "framebuffer (read)", off, ex->shadow_disp + off,
			  r->rdbuf, len);
}

static int do_pass(struct run *r, uint64_t pass, int clear)
{
	struct exercise *ex = &r->ex;
	unsigned c;

	for (c = 0; c < ex->nchan; c++) {
		int ret = clear ? ex_build_clear(ex, c) :
			  ex_build(ex, c, pass, ex->up[c].va, ex->up[c].iova,
				   ex->down[c].iova);

		if (ret) {
			snprintf(ex->failure, sizeof(ex->failure),
				 "building pass %llu: %s",
				 (unsigned long long)pass, strerror(-ret));
			return -1;
		}
	}
	if (run_batches(r, pass) || verify(r, pass))
		return -1;
	return 0;
}

/* The vGPU runs on another host now, with this workload's state. */
static int moved_away(struct run *r)
{
	if (r->cli->json) {
		struct json j;

		json_init(&j, stdout);
		json_obj_begin(&j, NULL);
		json_bool(&j, "ok", 1);
		json_bool(&j, "migrated", 1);
		json_str(&j, "uuid", r->uuid);
		json_u64(&j, "passes", r->ex.pass);
		json_u64(&j, "fences", r->ex.fences);
		json_obj_end(&j);
		json_end(&j);
		r->cli->doc_written = 1;
	} else {
		printf("exercise: ok: vGPU %s migrated away after pass %llu (%llu fences, all verified); the workload continues on the target\n",
		       r->uuid, (unsigned long long)r->ex.pass,
		       (unsigned long long)r->ex.fences);
	}
	return EXIT_OK;
}

static void summary_json(struct run *r, double secs)
{
	const struct exercise *ex = &r->ex;
	const mvgpu_dev_stats *st = mvgpu_dev_stats_get(ex->dev);
	struct json j;

	json_init(&j, stdout);
	json_obj_begin(&j, NULL);
	json_bool(&j, "ok", 1);
	json_str(&j, "uuid", mvgpu_dev_get_info(ex->dev)->uuid);
	json_u64(&j, "passes", ex->pass);
	if (r->incoming)
		json_u64(&j, "resumed_after_pass", r->resumed_at);
	json_bool(&j, "stopped_by_signal", stop_req != 0);
	json_u64(&j, "channels", ex->nchan);
	json_u64(&j, "fences", ex->fences);
	json_u64(&j, "bytes_moved", ex->bytes_moved);
	json_u64(&j, "commands", st->cmds);
	json_u64(&j, "irq_wakeups", st->irq_wakeups);
	json_u64(&j, "poll_wakeups", st->poll_wakeups);
	json_int(&j, "milliseconds", (long long)(secs * 1000));
	json_obj_begin(&j, "display");
	json_u64(&j, "width", ex->layout.width);
	json_u64(&j, "height", ex->layout.height);
	json_str(&j, "format", "XRGB8888");
	json_obj_end(&j);
	json_obj_end(&j);
	json_end(&j);
	r->cli->doc_written = 1;
}

/* ---- handover ---------------------------------------------------------------- */

static void on_stop(int sig)
{
	(void)sig;
	stop_req = 1;
}

static int ho_pause(void *opaque, char kind[MVGPU_STATE_KIND_MAX],
		    void **state, size_t *len)
{
	struct run *r = opaque;
	struct handover *h = &r->ho;
	struct ex_wire_state *w;

	pthread_mutex_lock(&h->lock);
	h->pause_req = true;
	pthread_cond_broadcast(&h->cond);
	while (!h->parked && !h->done)
		pthread_cond_wait(&h->cond, &h->lock);
	if (h->done) {
		h->pause_req = false;
		pthread_mutex_unlock(&h->lock);
		return -ESHUTDOWN;
	}
	/* parked at a pass boundary: every fence done, nothing in flight */
	w = calloc(1, sizeof(*w));
	if (w)
		ex_state_encode(&r->ex, w);
	pthread_mutex_unlock(&h->lock);
	if (!w)
		return -ENOMEM;
	snprintf(kind, MVGPU_STATE_KIND_MAX, "exercise");
	*state = w;
	*len = sizeof(*w);
	return 0;
}

static void ho_resume(void *opaque)
{
	struct run *r = opaque;

	pthread_mutex_lock(&r->ho.lock);
	r->ho.pause_req = false;
	pthread_cond_broadcast(&r->ho.cond);
	pthread_mutex_unlock(&r->ho.lock);
}

static void ho_release(void *opaque)
{
	struct run *r = opaque;

	pthread_mutex_lock(&r->ho.lock);
	r->ho.released = true;
	r->ho.pause_req = false;
	pthread_cond_broadcast(&r->ho.cond);
	pthread_mutex_unlock(&r->ho.lock);
}

static void ho_start(void *opaque, const char *kind, const void *state,
		     size_t len)
{
	struct run *r = opaque;
	struct handover *h = &r->ho;

	pthread_mutex_lock(&h->lock);
	/* checked whole by ex_state_check(), which can then say why */
	h->in_ok = !strcmp(kind, "exercise");
	h->in_len = len;
	memset(&h->in, 0, sizeof(h->in));
	if (h->in_ok)
		memcpy(&h->in, state, len < sizeof(h->in) ? len : sizeof(h->in));
	h->started = true;
	pthread_cond_broadcast(&h->cond);
	pthread_mutex_unlock(&h->lock);
}

static const mvgpu_agent_ops ho_ops = {
	.pause = ho_pause, .resume = ho_resume, .release = ho_release,
	.start = ho_start,
};

/* Between passes: park while a migration holds the vGPU stopped.
 * @return 1 if the vGPU moved away (stop here), 0 to carry on. */
static int ho_point(struct run *r)
{
	struct handover *h = &r->ho;
	int gone;

	if (!r->serve)
		return 0;
	pthread_mutex_lock(&h->lock);
	if (h->pause_req) {
		h->parked = true;
		pthread_cond_broadcast(&h->cond);
		while (h->pause_req && !h->released)
			pthread_cond_wait(&h->cond, &h->lock);
		h->parked = false;
	}
	gone = h->released;
	pthread_mutex_unlock(&h->lock);
	return gone;
}

static void ho_done(struct run *r)
{
	pthread_mutex_lock(&r->ho.lock);
	r->ho.done = true;
	pthread_cond_broadcast(&r->ho.cond);
	pthread_mutex_unlock(&r->ho.lock);
	mvgpu_agent_stop(r->agent);
	r->agent = NULL;
}

/* --incoming: wait for the vGPU to arrive; @return 0 or an exit code. */
static int ho_wait_start(struct run *r)
{
	struct handover *h = &r->ho;
	struct timespec ts;

	fprintf(r->progress, "exercise: vGPU %s waits for a migration in\n",
		r->uuid);
	fflush(r->progress);
	pthread_mutex_lock(&h->lock);
	while (!h->started && !stop_req) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 200000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&h->cond, &h->lock, &ts);
	}
	pthread_mutex_unlock(&h->lock);
	if (!h->started)
		return cli_fail(r->cli, EXIT_FAIL, -ECANCELED,
				"exercise: stopped before a migration came in");
	if (!h->in_ok)
		return cli_fail(r->cli, EXIT_FAIL, -EPROTO,
				"exercise: the vGPU arrived without an exercise state (its source ran another workload)");
	return 0;
}

/* The channels as they arrived, before this process touches them. */
static int check_channels(struct run *r, const struct ex_wire_state *w)
{
	unsigned c, n = le32toh(w->nchan);

	for (c = 0; c < n; c++) {
		uint32_t st, fence, put, get, err;
		int ret;

		if ((ret = mvgpu_reg_read(r->ex.dev, MVGPU_REG_CH(c, MVGPU_CH_STATUS), &st)) ||
		    (ret = mvgpu_reg_read(r->ex.dev, MVGPU_REG_CH(c, MVGPU_CH_FENCE), &fence)) ||
		    (ret = mvgpu_reg_read(r->ex.dev, MVGPU_REG_CH(c, MVGPU_CH_PUT), &put)) ||
		    (ret = mvgpu_reg_read(r->ex.dev, MVGPU_REG_CH(c, MVGPU_CH_GET), &get)) ||
		    (ret = mvgpu_reg_read(r->ex.dev, MVGPU_REG_CH(c, MVGPU_CH_ERROR), &err)))
			return lib_fail(r, ret, "reading the channels");
		if (!(st & MVGPU_CH_STATUS_ENABLED) || (st & MVGPU_CH_STATUS_ERROR) ||
		    err || put != get || fence != le32toh(w->fence[c]))
			return cli_fail(r->cli, EXIT_FAIL, -EPROTO,
					"exercise: channel %u arrived wrong: status 0x%x, error %u, PUT 0x%x, GET 0x%x, fence %u (expected enabled, idle, fence %u)",
					c, st, err, put, get, fence,
					le32toh(w->fence[c]));
	}
	return 0;
}

/* --incoming, after START: set up on the migrated vGPU and check it. */
static int ho_adopt(struct run *r)
{
	const struct ex_wire_state *w = &r->ho.in;
	struct exercise *ex = &r->ex;
	unsigned c, nchan = le32toh(w->nchan);
	char why[256];
	int ret;

	/* every field that drives anything is checked before it does */
	if (ex_state_check(w, r->ho.in_len, mvgpu_dev_get_info(ex->dev)->fb_size,
			   why, sizeof(why)))
		return cli_fail(r->cli, EXIT_FAIL, -EPROTO, "exercise: vGPU %s: %s",
				r->uuid, why);
	ret = check_channels(r, w);
	if (ret)
		return ret;
	ret = setup(r, nchan, le32toh(w->seed));
	if (ret)
		return ret;
	/* the framebuffer as it arrived must be the source's verified one
	 * (its digest travelled): no replay of passes 1..N */
	if (ex_adopt_shadow(ex, ex->fb, w))
		return cli_fail(r->cli, EXIT_FAIL, 0, "exercise: %s", ex->failure);
	ex->pass = le64toh(w->pass);
	ex->fences = le64toh(w->fences);
	ex->bytes_moved = le64toh(w->bytes_moved);
	for (c = 0; c < nchan; c++) {
		if (ex->fence[c] != le32toh(w->fence[c]))
			return cli_fail(r->cli, EXIT_FAIL, -EPROTO,
					"exercise: channel %u resumed at fence %u, expected %u",
					c, ex->fence[c], le32toh(w->fence[c]));
	}
	r->resumed_at = ex->pass;
	fprintf(r->progress,
		"exercise: vGPU %s arrived after pass %llu: channels and framebuffer verified, fences continue from",
		r->uuid, (unsigned long long)ex->pass);
	for (c = 0; c < nchan; c++)
		fprintf(r->progress, " %u", ex->fence[c] + 1);
	fputc('\n', r->progress);
	fflush(r->progress);
	return 0;
}

static int run_exercise(struct run *r, uint64_t passes, double seconds)
{
	struct exercise *ex = &r->ex;
	double last_print = 0, t;
	const mvgpu_dev_stats *st;

	fprintf(r->progress,
		"exercise: vGPU %s, %u channel%s, display %ux%u XRGB8888, %s\n",
		r->uuid, ex->nchan, ex->nchan == 1 ? "" : "s",
		ex->layout.width, ex->layout.height,
		seconds > 0 ? "timed" : "counted passes");
	r->t0 = now_s();
	if (!r->incoming && do_pass(r, 0, 1))
		return cli_fail(r->cli, EXIT_FAIL, 0,
				"exercise failed while clearing: %s", ex->failure);
	for (;;) {
		uint64_t pass = ex->pass + 1;

		if (ho_point(r)) {
			ho_done(r);
			return moved_away(r);
		}
		if (stop_req)
			break;
		if (seconds > 0 ? now_s() - r->t0 >= seconds : pass > passes)
			break;
		if (do_pass(r, pass, 0))
			return cli_fail(r->cli, EXIT_FAIL, 0,
					"exercise failed in pass %llu: %s",
					(unsigned long long)pass, ex->failure);
		ex->pass = pass;
		t = now_s();
		if (seconds <= 0 || t - last_print >= 1.0 || pass == 1) {
			if (seconds > 0)
				fprintf(r->progress, "pass %llu (%.1f s)",
					(unsigned long long)pass, t - r->t0);
			else
				fprintf(r->progress, "pass %llu/%llu",
					(unsigned long long)pass,
					(unsigned long long)passes);
			fprintf(r->progress, ": %llu fences, %.1f MB moved, verified\n",
				(unsigned long long)ex->fences,
				ex->bytes_moved / 1e6);
			fflush(r->progress);
			last_print = t;
		}
	}
	ho_done(r);	/* no migration may start from here on */
	t = now_s() - r->t0;
	st = mvgpu_dev_stats_get(ex->dev);
	if (r->cli->json) {
		summary_json(r, t);
	} else {
		if (r->incoming)
			printf("exercise: continued after migration from pass %llu\n",
			       (unsigned long long)r->resumed_at);
		printf("exercise: ok: %llu passes, %llu fences, %.1f MB moved, %llu commands in %.1f s (%llu interrupt wake-ups, %llu polls)\n",
		       (unsigned long long)ex->pass,
		       (unsigned long long)ex->fences, ex->bytes_moved / 1e6,
		       (unsigned long long)st->cmds, t,
		       (unsigned long long)st->irq_wakeups,
		       (unsigned long long)st->poll_wakeups);
	}
	return EXIT_OK;
}

int cmd_exercise(struct cli *cli, int argc, char **argv)
{
	const char *uuid_s = NULL, *passes_s = NULL, *seconds_s = NULL;
	const char *chans_s = NULL, *seed_s = NULL;
	int agent = 0, incoming = 0;
	const struct cli_opt opts[] = {
		{ "uuid", 'u', 1, &uuid_s, NULL },
		{ "passes", 'n', 1, &passes_s, NULL },
		{ "seconds", 's', 1, &seconds_s, NULL },
		{ "channels", 'c', 1, &chans_s, NULL },
		{ "seed", 0, 1, &seed_s, NULL },
		{ "agent", 0, 0, NULL, &agent },
		{ "incoming", 0, 0, NULL, &incoming },
		{ NULL, 0, 0, NULL, NULL }
	};
	unsigned long long passes = DEFAULT_PASSES, seconds = 0, nchan = 0;
	unsigned long long seed = 1;
	char uuid[MVGPU_UUID_LEN];
	struct run r;
	int ret;

	ret = cli_parse(cli, argc, argv, opts, NULL, 0, NULL);
	if (ret)
		return ret;
	if (cli->help) {
		cli_print_cmd_help(cli_find_cmd("exercise"), stdout);
		return EXIT_OK;
	}
	if (!uuid_s)
		return cli_usage(cli, "missing --uuid UUID (see 'mvgpu list')");
	if (mvgpu_uuid_canonical(uuid_s, uuid) < 0)
		return cli_bad_uuid(cli, uuid_s);
	if (passes_s && seconds_s)
		return cli_usage(cli, "--passes and --seconds exclude each other");
	if (passes_s && parse_num(passes_s, 1, 1000000000ull, &passes))
		return cli_usage(cli, "--passes: expected a number from 1 to 1000000000, got '%s'",
				 passes_s);
	if (seconds_s && parse_num(seconds_s, 1, 31 * 86400ull, &seconds))
		return cli_usage(cli, "--seconds: expected a number from 1 to 2678400, got '%s'",
				 seconds_s);
	if (chans_s && parse_num(chans_s, 1, MVGPU_NUM_CHANNELS, &nchan))
		return cli_usage(cli, "--channels: expected a number from 1 to %d, got '%s'",
				 MVGPU_NUM_CHANNELS, chans_s);
	if (seed_s && parse_num(seed_s, 0, UINT32_MAX, &seed))
		return cli_usage(cli, "--seed: expected a number from 0 to %u, got '%s'",
				 UINT32_MAX, seed_s);

	memset(&r, 0, sizeof(r));
	r.cli = cli;
	r.uuid = uuid;
	r.progress = cli->json ? stderr : stdout;
	r.serve = agent || incoming;
	r.incoming = incoming;
	pthread_mutex_init(&r.ho.lock, NULL);
	pthread_cond_init(&r.ho.cond, NULL);
	r.ctx = cli_ctx(cli);
	if (!r.ctx)
		return EXIT_FAIL;
	ret = open_device(&r);
	if (ret)
		return ret;
	if (r.serve) {
		struct sigaction sa = { .sa_handler = on_stop };
		mvgpu_agent_ops ops = ho_ops;

		/* a long-running workload: SIGTERM/^C end it after a pass */
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		ops.opaque = &r;
		ret = mvgpu_agent_start(r.ex.dev, incoming ? MVGPU_AGENT_INCOMING : 0,
					&ops, &r.agent);
		if (ret)
			ret = lib_fail(&r, ret, "serving the migration agent");
	}
	if (!ret && incoming) {
		ret = ho_wait_start(&r);
		if (!ret)
			ret = ho_adopt(&r);
	} else if (!ret) {
		if (!nchan)
			nchan = mvgpu_dev_get_info(r.ex.dev)->channels;
		ret = setup(&r, (unsigned)nchan, (uint32_t)seed);
	}
	if (!ret)
		ret = run_exercise(&r, passes, (double)seconds);
	ho_done(&r);
	mvgpu_dev_close(r.ex.dev);	/* channels and DMA memory with it */
	ex_free(&r.ex);
	free(r.rdbuf);
	return ret;
}
