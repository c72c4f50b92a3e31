/*
 * test_session.c - several vGPUs at once, natively, with fake vGPUs: live
 * migration, source and target in one process over a socket pair -
 * mvgpu_migrate() / mvgpu_receive() (one vGPU: wire 1.0 byte for byte)
 * and mvgpu_migrate_n() / mvgpu_receive_n() (a session of several: every
 * one checked before anything stops, pre-copy rounds, one stop for all,
 * all loaded and committed together or none, the source resuming all or,
 * in doubt, none) - and images of a set: mvgpu_image_save_n() /
 * mvgpu_image_restore_n() (one stop for all; restored all or none).
 *
 * A fake vGPU is a struct mvgpu_dev around an eventfd, as the library
 * builds one from a workload's agent (the receiver's vGPUs come that way
 * too: it opens nothing itself here), and this file's ioctl() plays the
 * module's VFIO migration for those fds: the state machine, data fds
 * (memfds: a source's holds its stream, a target's takes what is
 * written), pre-copy info, reset.  Every other ioctl goes to the kernel.
 * The vGPUs' sysfs entries (type, migration_version) are a fake tree.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/vfio.h>

#include <criterion/criterion.h>

#include "device.h"
#include "fake_sysfs.h"
#include "mvgpu_compat.h"
#include "mvgpu_stream.h"
#include "mvgpu_wire.h"
#include "wire_peer.h"

#define FB_SIZE		(64ull << 20)
#define NV_MAX		8
#define DIRTY_MAX	4

/* ---- fake vGPUs: the module's migration, through ioctl() ------------------ */

struct fvgpu {
	char uuid[MVGPU_UUID_LEN];
	int dev_fd;		/* what the library holds as the device */
	uint32_t state;
	/* source: the stream it saves; pre-copy offers @initial bytes, then
	 * a pass of each @dirty, then stop-copy the rest */
	uint8_t *stream;
	size_t len, initial;
	size_t dirty[DIRTY_MAX];
	int save_fd;		/* our dup of its saving data fd */
	int save_lib_fd;	/* the number the library has */
	/* target */
	int load_fd;		/* our dup of its resuming data fd */
	int refuse;		/* errno of RESUMING -> STOP, 0: take it */
	int fail_running;	/* errno of -> RUNNING, 0: fine */
	uint8_t *loaded;	/* what it applied (malloc'd) */
	size_t loaded_len;
	unsigned resets;
};

static struct fvgpu fv[NV_MAX];
static unsigned nfv;
static pthread_mutex_t fv_lock = PTHREAD_MUTEX_INITIALIZER;
/* every arc taken, in order: "U:STATE " (the first 8 characters of U) */
static char arcs[16384];

static struct fvgpu *fv_by(int fd, bool data)
{
	unsigned i;

	for (i = 0; i < nfv; i++)
		if (data ? fv[i].save_lib_fd == fd : fv[i].dev_fd == fd)
			return &fv[i];
	return NULL;
}

static int memfd_with(const void *p, size_t len)
{
	int fd = memfd_create("fake-data-fd", MFD_CLOEXEC);

	if (fd < 0 || (len && write(fd, p, len) != (ssize_t)len))
		return -1;
	lseek(fd, 0, SEEK_SET);
	return fd;
}

/* A new saving data fd at the stream's start. */
static int fv_save_fd(struct fvgpu *f)
{
	int fd = memfd_with(f->stream, f->len);

	if (f->save_fd >= 0)
		close(f->save_fd);
	f->save_fd = fcntl(fd, F_DUPFD_CLOEXEC, 100);
	f->save_lib_fd = fd;
	return fd;
}

static bool in_pre_copy(uint32_t s)
{
	return s == MVGPU_MIG_PRE_COPY || s == MVGPU_MIG_PRE_COPY_P2P;
}

static int fv_load(struct fvgpu *f)
{
	struct stat st;

	if (f->refuse)
		return f->refuse;
	if (fstat(f->load_fd, &st))
		return EIO;
	free(f->loaded);
	f->loaded_len = (size_t)st.st_size;
	f->loaded = malloc(f->loaded_len + 1);
	if (pread(f->load_fd, f->loaded, f->loaded_len, 0) != (ssize_t)f->loaded_len)
		return EIO;
	close(f->load_fd);
	f->load_fd = -1;
	return 0;
}

/* The arc to @to: 0, or an errno (the state stays). */
static int fv_set(struct fvgpu *f, uint32_t to, int *data_fd)
{
	uint32_t from = f->state;
	int err;

	*data_fd = -1;
	if (from == to)
		return 0;
	switch (to) {
	case MVGPU_MIG_PRE_COPY:
	case MVGPU_MIG_PRE_COPY_P2P:
		if (!in_pre_copy(from))
			*data_fd = fv_save_fd(f);
		break;
	case MVGPU_MIG_STOP_COPY:
		if (!in_pre_copy(from))
			*data_fd = fv_save_fd(f);
		break;
	case MVGPU_MIG_RESUMING:
		*data_fd = memfd_with(NULL, 0);
		f->load_fd = fcntl(*data_fd, F_DUPFD_CLOEXEC, 100);
		break;
	case MVGPU_MIG_STOP:
		if (from == MVGPU_MIG_RESUMING) {
			err = fv_load(f);
			if (err)
				return err;
		}
		break;
	case MVGPU_MIG_RUNNING:
	case MVGPU_MIG_RUNNING_P2P:
		if (from == MVGPU_MIG_RESUMING)
			return EINVAL;	/* only a reset leaves it */
		if (to == MVGPU_MIG_RUNNING && f->fail_running)
			return f->fail_running;
		break;
	default:
		return EINVAL;
	}
	f->state = to;
	snprintf(arcs + strlen(arcs), sizeof(arcs) - strlen(arcs), "%.8s:%s ",
		 f->uuid, mvgpu_mig_state_name(to));
	return 0;
}

static int fv_feature(struct fvgpu *f, struct vfio_device_feature *ft)
{
	uint32_t what = ft->flags & VFIO_DEVICE_FEATURE_MASK;

	if (what == VFIO_DEVICE_FEATURE_MIGRATION) {
		struct vfio_device_feature_migration *m = (void *)ft->data;

		m->flags = VFIO_MIGRATION_STOP_COPY | VFIO_MIGRATION_P2P | 4;
		return 0;
	}
	if (what == VFIO_DEVICE_FEATURE_MIG_DATA_SIZE) {
		struct vfio_device_feature_mig_data_size *d = (void *)ft->data;

		d->stop_copy_length = f->len;
		return 0;
	}
	if (what == VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE) {
		struct vfio_device_feature_mig_state *s = (void *)ft->data;

		if (ft->flags & VFIO_DEVICE_FEATURE_GET) {
			s->device_state = f->state;
			return 0;
		}
		return fv_set(f, s->device_state, &s->data_fd);
	}
	return ENOTTY;
}

/* Pre-copy info from where the library's reads are in the stream. */
static int fv_precopy_info(struct fvgpu *f, struct vfio_precopy_info *pi)
{
	size_t pos = (size_t)lseek(f->save_fd, 0, SEEK_CUR), end = f->initial;
	unsigned k;

	if (!in_pre_copy(f->state))
		return EINVAL;
	pi->initial_bytes = pos < f->initial ? f->initial - pos : 0;
	pi->dirty_bytes = 0;
	for (k = 0; k < DIRTY_MAX && f->dirty[k] && pos >= f->initial; k++) {
		end += f->dirty[k];
		if (pos < end) {
			pi->dirty_bytes = end - pos;
			break;
		}
	}
	return 0;
}

static int fv_ioctl(int fd, unsigned long req, void *arg, bool *mine)
{
	struct fvgpu *f;
	int err = ENOTTY;

	pthread_mutex_lock(&fv_lock);
	*mine = true;
	if ((f = fv_by(fd, false))) {
		if (req == VFIO_DEVICE_FEATURE) {
			err = fv_feature(f, arg);
		} else if (req == VFIO_DEVICE_RESET) {
			f->state = MVGPU_MIG_RUNNING;
			f->resets++;
			if (f->load_fd >= 0)
				close(f->load_fd);
			f->load_fd = -1;
			err = 0;
		}
	} else if (req == VFIO_MIG_GET_PRECOPY_INFO && (f = fv_by(fd, true))) {
		err = fv_precopy_info(f, arg);
	} else {
		*mine = false;
	}
	pthread_mutex_unlock(&fv_lock);
	return err;
}

int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;
	bool mine;
	int err;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	err = fv_ioctl(fd, req, arg, &mine);
	if (!mine)
		return (int)syscall(SYS_ioctl, fd, req, arg);
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

/* ---- the tree, the vGPUs ------------------------------------------------------ */

static struct fake *F;

static void setup(void)
{
	F = fake_new();
	fake_std(F);
	nfv = 0;
	arcs[0] = '\0';
	unsetenv("MVGPU_FAULT");
}

static void teardown(void)
{
	unsigned i;

	for (i = 0; i < nfv; i++) {
		free(fv[i].stream);
		free(fv[i].loaded);
		if (fv[i].save_fd >= 0)
			close(fv[i].save_fd);
		if (fv[i].load_fd >= 0)
			close(fv[i].load_fd);
	}
	fake_free(F);
}

TestSuite(session, .init = setup, .fini = teardown, .timeout = 60);

static const char *const SRC[] = {
	"a0000000-0000-4000-8000-000000000001", "a0000000-0000-4000-8000-000000000002",
	"a0000000-0000-4000-8000-000000000003",
};
static const char *const TGT[] = {
	"b0000000-0000-4000-8000-000000000001", "b0000000-0000-4000-8000-000000000002",
	"b0000000-0000-4000-8000-000000000003",
};

/* vGPU @uuid of mvgpu-64M in the tree, with its migration_version. */
static void vgpu_in_tree(const char *uuid, int group)
{
	struct mvgpu_compat_info in;
	char v[512], rel[128];

	fake_add_vgpu(F, "0000:00:04.0", "mvgpu-64M", uuid, group, "1");
	cr_assert_eq(mvgpu_compat_local(&in, 0, "0.1.0"), 0);
	cr_assert_gt(mvgpu_compat_format(&in, v, sizeof(v)), 0);
	snprintf(rel, sizeof(rel), "bus/mdev/devices/%s/migration_version", uuid);
	fake_write(F, rel, v);
}

/* A fake vGPU @uuid as the library holds one a workload passed it. */
static mvgpu_dev *fake_dev(mvgpu_ctx *ctx, const char *uuid, struct fvgpu **out)
{
	mvgpu_dev *d = calloc(1, sizeof(*d));
	struct fvgpu *f = &fv[nfv++];
	unsigned i;

	cr_assert_not_null(d);
	cr_assert_leq(nfv, NV_MAX);
	memset(f, 0, sizeof(*f));
	snprintf(f->uuid, sizeof(f->uuid), "%s", uuid);
	f->state = MVGPU_MIG_RUNNING;
	f->save_fd = f->load_fd = f->save_lib_fd = -1;
	d->ctx = ctx;
	d->container = d->group = -1;
	d->device = f->dev_fd = eventfd(0, EFD_CLOEXEC);
	cr_assert_geq(d->device, 0);
	for (i = 0; i < MVGPU__NUM_IRQS; i++)
		d->irq_fd[i] = -1;
	d->borrowed = 1;
	snprintf(d->info.uuid, sizeof(d->info.uuid), "%s", uuid);
	d->info.fb_size = FB_SIZE;
	if (out)
		*out = f;
	return d;
}

/* @len stream bytes, half of them compressible, different per @seed. */
static void give_stream(struct fvgpu *f, size_t len, size_t initial,
			unsigned seed)
{
	uint64_t x = 0x9e3779b97f4a7c15ull * (seed + 1);
	size_t i;

	f->stream = malloc(len);
	cr_assert_not_null(f->stream);
	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		f->stream[i] = (i / 4096) % 2 ? (uint8_t)x : (uint8_t)(i / 4096 + seed);
	}
	f->len = len;
	f->initial = initial;
}

/* ---- a relay that keeps what the source sends ------------------------------- */

struct relay {
	int a, b;		/* the source's end, the target's end */
	uint8_t *seen;		/* source -> target bytes */
	size_t len, cap;
	pthread_t th;
};

static void *relay_thread(void *arg)
{
	struct relay *r = arg;
	uint8_t buf[65536];
	bool a_open = true, b_open = true;

	while (a_open || b_open) {
		struct pollfd p[2] = { { .fd = a_open ? r->a : -1, .events = POLLIN },
				       { .fd = b_open ? r->b : -1, .events = POLLIN } };
		ssize_t n;

		if (poll(p, 2, 10000) <= 0)
			break;
		if (p[0].revents) {
			n = read(r->a, buf, sizeof(buf));
			if (n <= 0) {
				a_open = false;
				shutdown(r->b, SHUT_WR);
			} else {
				if (r->len + (size_t)n > r->cap) {
					r->cap = (r->len + (size_t)n) * 2;
					r->seen = realloc(r->seen, r->cap);
				}
				memcpy(r->seen + r->len, buf, (size_t)n);
				r->len += (size_t)n;
				if (send(r->b, buf, (size_t)n, MSG_NOSIGNAL) != n)
					a_open = false;
			}
		}
		if (p[1].revents) {
			n = read(r->b, buf, sizeof(buf));
			if (n <= 0) {
				b_open = false;
				shutdown(r->a, SHUT_WR);
			} else if (send(r->a, buf, (size_t)n, MSG_NOSIGNAL) != n) {
				b_open = false;
			}
		}
	}
	return NULL;
}

/* The source's socket in @src, the target's in @tgt, a relay between. */
static void relay_start(struct relay *r, int *src, int *tgt)
{
	int s[2], t[2];

	memset(r, 0, sizeof(*r));
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s), 0);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, t), 0);
	*src = s[0];
	r->a = s[1];
	*tgt = t[0];
	r->b = t[1];
	cr_assert_eq(pthread_create(&r->th, NULL, relay_thread, r), 0);
}

static void relay_stop(struct relay *r)
{
	pthread_join(r->th, NULL);
	close(r->a);
	close(r->b);
}

/* The types of the messages the source sent, as letters: H HELLO, D DATA
 * (runs of them as one D), S STATE, E END, C COMMIT, X SESSION, Tn
 * STREAM n, ! ERROR; @minor gets the first HELLO's minor. */
static void relay_types(const struct relay *r, char *out, size_t cap,
			unsigned *minor)
{
	size_t o = 0, n = 0;

	out[0] = '\0';
	*minor = ~0u;
	while (r->len - o >= MVGPU_WIRE_HDR && n + 4 < cap) {
		struct mvgpu_wire_hdr h;
		const uint8_t *p = r->seen + o + MVGPU_WIRE_HDR;

		cr_assert_eq(mvgpu_wire_decode_hdr(r->seen + o, &h, NULL, 0), 0);
		switch (h.type) {
		case MVGPU_WIRE_HELLO:
			if (*minor == ~0u)
				*minor = mvgpu_get_le16(p + 2);
			out[n++] = 'H';
			break;
		case MVGPU_WIRE_DATA:
			if (!n || out[n - 1] != 'D')
				out[n++] = 'D';
			break;
		case MVGPU_WIRE_STATE: out[n++] = 'S'; break;
		case MVGPU_WIRE_END: out[n++] = 'E'; break;
		case MVGPU_WIRE_COMMIT: out[n++] = 'C'; break;
		case MVGPU_WIRE_SESSION: out[n++] = 'X'; break;
		case MVGPU_WIRE_STREAM:
			out[n++] = 'T';
			out[n++] = (char)('0' + mvgpu_get_le32(p));
			break;
		case MVGPU_WIRE_ERROR: out[n++] = '!'; break;
		default: out[n++] = '?'; break;
		}
		out[n] = '\0';
		o += MVGPU_WIRE_HDR + h.length;
	}
}

/* ---- the source on a thread ---------------------------------------------------- */

struct src {
	mvgpu_ctx *ctx;
	int sock;
	mvgpu_migrate_vgpu v[NV_MAX];
	unsigned n;
	bool single;		/* mvgpu_migrate(), with v[0] */
	mvgpu_migrate_opts o;
	mvgpu_migrate_stats st, each[NV_MAX];
	int ret;
	char err[MVGPU_ERR_MAX];
	pthread_t th;
};

/* A workload's hooks: pause gives "state of <its uuid>". */
struct workload {
	const char *uuid;
	unsigned paused, resumed;
	size_t arcs_at;		/* the arcs' length when it paused */
};

static int wl_pause(void *opaque, char kind[MVGPU_STATE_KIND_MAX], void **state,
		    size_t *len)
{
	struct workload *w = opaque;

	w->paused++;
	pthread_mutex_lock(&fv_lock);
	w->arcs_at = strlen(arcs);
	pthread_mutex_unlock(&fv_lock);
	snprintf(kind, MVGPU_STATE_KIND_MAX, "test");
	*state = strdup(w->uuid);
	*len = strlen(w->uuid) + 1;
	return 0;
}

static void wl_resume(void *opaque)
{
	struct workload *w = opaque;

	w->resumed++;
}

static void *src_thread(void *arg)
{
	struct src *s = arg;

	if (s->single) {
		s->o.target_uuid = s->v[0].target_uuid;
		s->o.pause = s->v[0].pause;
		s->o.resume = s->v[0].resume;
		s->o.opaque = s->v[0].opaque;
		s->ret = mvgpu_migrate(s->v[0].dev, s->sock, &s->o, &s->st);
	} else {
		s->ret = mvgpu_migrate_n(s->v, s->n, s->sock, &s->o, &s->st,
					 s->each);
	}
	snprintf(s->err, sizeof(s->err), "%s", mvgpu_last_error(s->ctx));
	close(s->sock);
	return NULL;
}

static void src_start(struct src *s)
{
	cr_assert_eq(pthread_create(&s->th, NULL, src_thread, s), 0);
}

static void src_wait(struct src *s)
{
	cr_assert_eq(pthread_join(s->th, NULL), 0);
}

/* ---- a whole migration ------------------------------------------------------------ */

struct mig {
	mvgpu_ctx *sctx, *tctx;
	struct fvgpu *sf[NV_MAX], *tf[NV_MAX];
	mvgpu_dev *sd[NV_MAX], *td[NV_MAX];
	struct workload wl[NV_MAX];
	struct mvgpu_receive_target tg[NV_MAX];
	unsigned n;
	struct src s;
	struct relay r;
	mvgpu_receive_opts ro;
	mvgpu_receive_result res[NV_MAX];
	unsigned got;
	int ret;
	char err[MVGPU_ERR_MAX];
	char types[256];
	unsigned minor;
};

/* @n vGPUs SRC[i] -> TGT[i], each with a workload and a stream of 3 MiB. */
static void mig_setup(struct mig *m, unsigned n)
{
	unsigned i;

	memset(m, 0, sizeof(*m));
	m->n = n;
	cr_assert_eq(mvgpu_ctx_create(&m->sctx, F->root), 0);
	cr_assert_eq(mvgpu_ctx_create(&m->tctx, F->root), 0);
	for (i = 0; i < n; i++) {
		vgpu_in_tree(SRC[i], 20 + (int)i);
		vgpu_in_tree(TGT[i], 30 + (int)i);
		m->sd[i] = fake_dev(m->sctx, SRC[i], &m->sf[i]);
		m->td[i] = fake_dev(m->tctx, TGT[i], &m->tf[i]);
		give_stream(m->sf[i], (3u << 20) + 1000 * i, 2u << 20, i);
		m->wl[i].uuid = SRC[i];
		m->s.v[i] = (mvgpu_migrate_vgpu){
			.dev = m->sd[i], .pause = wl_pause, .resume = wl_resume,
			.opaque = &m->wl[i],
		};
		m->tg[i] = (struct mvgpu_receive_target){ .dev = m->td[i] };
	}
	m->s.ctx = m->sctx;
	m->s.n = n;
	m->s.o = (mvgpu_migrate_opts){ .precopy = 1, .max_passes = 8,
				       .switchover_bytes = 64 << 10,
				       .timeout_ms = 5000 };
	m->ro = (mvgpu_receive_opts){ .timeout_ms = 5000, .ntargets = n,
				      .targets = m->tg };
}

/* Run it: the source on a thread, the receiver here, taking at most @max
 * vGPUs (0: n); mvgpu_migrate() and mvgpu_receive() with @single. */
static void mig_run(struct mig *m, unsigned max, bool single)
{
	int tsock;

	relay_start(&m->r, &m->s.sock, &tsock);
	m->s.single = single;
	src_start(&m->s);
	if (single) {
		m->ro.ntargets = 0;
		m->ro.dev = m->td[0];
		m->ret = mvgpu_receive(m->tctx, tsock, &m->ro, &m->res[0]);
		m->got = 1;
	} else {
		m->ret = mvgpu_receive_n(m->tctx, tsock, &m->ro, m->res,
					 max ? max : m->n, &m->got);
	}
	snprintf(m->err, sizeof(m->err), "%s", mvgpu_last_error(m->tctx));
	close(tsock);
	src_wait(&m->s);
	relay_stop(&m->r);
	relay_types(&m->r, m->types, sizeof(m->types), &m->minor);
}

static void mig_free(struct mig *m)
{
	unsigned i;

	for (i = 0; i < m->n; i++) {
		mvgpu_dev_close(m->sd[i]);
		mvgpu_dev_close(m->td[i]);
		free(m->res[i].state);
	}
	free(m->r.seen);
	mvgpu_ctx_free(m->sctx);
	mvgpu_ctx_free(m->tctx);
}

static void assert_loaded(const struct mig *m, unsigned i)
{
	cr_assert_eq(m->tf[i]->loaded_len, m->sf[i]->len, "vGPU %u: %zu of %zu bytes",
		     i, m->tf[i]->loaded_len, m->sf[i]->len);
	cr_assert_eq(memcmp(m->tf[i]->loaded, m->sf[i]->stream, m->sf[i]->len), 0,
		     "vGPU %u: another stream arrived", i);
}

/* Every source vGPU running with its workload resumed; every target's
 * holding nothing of the source's. */
static void assert_all_back(const struct mig *m)
{
	unsigned i;

	for (i = 0; i < m->n; i++) {
		cr_assert_eq(m->sf[i]->state, MVGPU_MIG_RUNNING, "source %u: %s", i,
			     mvgpu_mig_state_name(m->sf[i]->state));
		cr_assert_eq(m->wl[i].resumed, m->wl[i].paused, "workload %u", i);
		cr_assert(m->tf[i]->state == MVGPU_MIG_RUNNING, "target %u: %s", i,
			  mvgpu_mig_state_name(m->tf[i]->state));
	}
}

/* ---- one vGPU: 1.0 on the wire ---------------------------------------------------- */

Test(session, one_vgpu_is_a_1_0_migration)
{
	struct mig m;

	mig_setup(&m, 1);
	mig_run(&m, 0, true);
	cr_assert_eq(m.ret, 0, "%s", m.err);
	cr_assert_eq(m.s.ret, 0, "%s", m.s.err);
	/* what a 1.0 peer sends and expects: no SESSION, no STREAM */
	cr_assert_str_eq(m.types, "HDSEC");
	cr_assert_eq(m.minor, 0);
	assert_loaded(&m, 0);
	cr_assert_eq(m.sf[0]->state, MVGPU_MIG_STOP);
	cr_assert_eq(m.tf[0]->state, MVGPU_MIG_RUNNING);
	cr_assert_eq(m.wl[0].paused, 1);
	cr_assert_eq(m.wl[0].resumed, 0);
	cr_assert_str_eq(m.res[0].state_kind, "test");
	cr_assert_str_eq(m.res[0].state, SRC[0]);
	cr_assert_str_eq(m.res[0].uuid, TGT[0]);
	cr_assert_str_eq(m.res[0].source_uuid, SRC[0]);
	cr_assert_eq(m.res[0].stream_bytes, m.sf[0]->len);
	cr_assert_eq(m.s.st.stream_bytes, m.sf[0]->len);
	cr_assert_eq(m.s.st.precopy_bytes, m.sf[0]->initial);
	cr_assert_eq(m.s.st.passes, 1);
	cr_assert_str_eq(m.s.st.target_uuid, TGT[0]);
	/* no quiet states for one vGPU: the arcs of 1.0 */
	cr_assert_null(strstr(arcs, "P2P"), "%s", arcs);
	mig_free(&m);
}

/* ---- a session ---------------------------------------------------------------------- */

/* Where the first "U:STATE" arc of vGPU @uuid is in the log, or -1. */
static long arc_at(const char *uuid, const char *state)
{
	char what[64];
	const char *p;

	snprintf(what, sizeof(what), "%.8s:%s ", uuid, state);
	p = strstr(arcs, what);
	return p ? (long)(p - arcs) : -1;
}

static long arc_last(const char *uuid, const char *state)
{
	char what[64];
	const char *p = arcs, *last = NULL;

	snprintf(what, sizeof(what), "%.8s:%s ", uuid, state);
	while ((p = strstr(p, what)))
		last = p++;
	return last ? (long)(last - arcs) : -1;
}

Test(session, three_vgpus_move_together)
{
	struct mig m;
	unsigned i, j;

	mig_setup(&m, 3);
	/* the second keeps drawing: two more passes before it settles (a
	 * pass of the fake is read whole by 1 MiB reads: whole MiBs) */
	free(m.sf[1]->stream);
	give_stream(m.sf[1], 5u << 20, 2u << 20, 7);
	m.sf[1]->dirty[0] = 1u << 20;
	m.sf[1]->dirty[1] = 1u << 20;
	mig_run(&m, 0, false);
	cr_assert_eq(m.ret, 0, "%s", m.err);
	cr_assert_eq(m.s.ret, 0, "%s", m.s.err);
	cr_assert_eq(m.got, 3);
	/* SESSION, three HELLOs; pre-copy rounds (1: each, 2 and 3: the
	 * second only); then each one's rest with its state and END */
	cr_assert_str_eq(m.types, "XHHHT0DT1DT2DT1DT1DT0DSET1DSET2DSEC", "%s", m.types);
	cr_assert_eq(m.minor, MVGPU_WIRE_MINOR);
	for (i = 0; i < 3; i++) {
		assert_loaded(&m, i);
		cr_assert_eq(m.sf[i]->state, MVGPU_MIG_STOP, "source %u", i);
		cr_assert_eq(m.tf[i]->state, MVGPU_MIG_RUNNING, "target %u", i);
		cr_assert_eq(m.wl[i].paused, 1);
		cr_assert_eq(m.wl[i].resumed, 0);
		cr_assert_str_eq(m.res[i].uuid, TGT[i]);
		cr_assert_str_eq(m.res[i].source_uuid, SRC[i]);
		cr_assert_str_eq(m.res[i].state, SRC[i], "each state to its vGPU");
		cr_assert_eq(m.res[i].stream_bytes, m.sf[i]->len);
		cr_assert_eq(m.res[i].passes, i == 1 ? 3 : 1);
		cr_assert_eq(m.s.each[i].passes, i == 1 ? 3 : 1);
		cr_assert_eq(m.s.each[i].stream_bytes, m.sf[i]->len);
		cr_assert_str_eq(m.s.each[i].target_uuid, TGT[i]);
		/* one stop for all: every workload paused, then every vGPU
		 * quiet, and only then any stop-copy */
		for (j = 0; j < 3; j++) {
			cr_assert_lt(arc_at(SRC[j], "PRE_COPY_P2P"),
				     arc_at(SRC[i], "STOP_COPY"), "%s", arcs);
			cr_assert_leq((long)m.wl[j].arcs_at, arc_at(SRC[i], "PRE_COPY_P2P"),
				      "%s", arcs);
			/* the target: every one quiet before any runs */
			cr_assert_lt(arc_at(TGT[j], "RUNNING_P2P"),
				     arc_last(TGT[i], "RUNNING"), "%s", arcs);
			/* and every one resuming before any is loaded */
			cr_assert_lt(arc_at(TGT[j], "RESUMING"),
				     arc_at(TGT[i], "STOP"), "%s", arcs);
		}
	}
	cr_assert_eq(m.s.st.passes, 3);
	cr_assert_eq(m.s.st.stream_bytes, m.sf[0]->len + m.sf[1]->len + m.sf[2]->len);
	cr_assert_eq(m.s.st.in_doubt, 0);
	mig_free(&m);
}

Test(session, without_precopy_all_stop_first)
{
	struct mig m;
	unsigned i;

	mig_setup(&m, 2);
	m.s.o.precopy = 0;
	mig_run(&m, 0, false);
	cr_assert_eq(m.ret, 0, "%s", m.err);
	cr_assert_eq(m.s.ret, 0, "%s", m.s.err);
	cr_assert_str_eq(m.types, "XHHT0DSET1DSEC", "%s", m.types);
	for (i = 0; i < 2; i++) {
		assert_loaded(&m, i);
		cr_assert_lt(arc_at(SRC[1 - i], "RUNNING_P2P"), arc_at(SRC[i], "STOP_COPY"),
			     "%s", arcs);
		cr_assert_eq(m.s.each[i].precopy_bytes, 0);
	}
	mig_free(&m);
}

/* A target refusal before anything stopped names the vGPU and the rule. */
Test(session, a_refused_vgpu_is_named_and_nothing_stops)
{
	struct mig m;

	mig_setup(&m, 3);
	/* the third's target is of another type */
	fake_unlink(F, "devices/pci0000:00/0000:00:04.0/" "b0000000-0000-4000-8000-000000000003/mdev_type");
	fake_symlink(F, "../mdev_supported_types/mvgpu-256M",
		     "devices/pci0000:00/0000:00:04.0/b0000000-0000-4000-8000-000000000003/mdev_type");
	mig_run(&m, 0, false);
	cr_assert_eq(m.ret, -EINVAL);
	cr_assert_eq(m.s.ret, -EINVAL);
	cr_assert(strstr(m.err, "vGPU " "a0000000-0000-4000-8000-000000000003" " (3 of 3)"), "%s", m.err);
	cr_assert(strstr(m.err, "is of type mvgpu-256M, the source's is mvgpu-64M"), "%s", m.err);
	cr_assert(strstr(m.s.err, "(3 of 3)"), "the source hears it: %s", m.s.err);
	cr_assert_str_eq(arcs, "", "nothing moved anywhere: %s", arcs);
	cr_assert_str_eq(m.types, "XHHH", "%s", m.types);
	assert_all_back(&m);
	mig_free(&m);
}

/* One target refuses its stream at the load (the kernel's P2P check):
 * every target discards, every source vGPU and workload runs on. */
Test(session, a_stream_refused_at_the_load_undoes_all)
{
	struct mig m;
	unsigned i;

	mig_setup(&m, 3);
	m.tf[2]->refuse = EXDEV;
	mig_run(&m, 0, false);
	cr_assert_eq(m.ret, -EXDEV, "%d %s", m.ret, m.err);
	cr_assert_eq(m.s.ret, -EXDEV, "%d %s", m.s.ret, m.s.err);
	cr_assert(strstr(m.err, "vGPU " "b0000000-0000-4000-8000-000000000003" ":"), "%s", m.err);
	cr_assert(strstr(m.err, "peers"), "%s", m.err);
	cr_assert(strstr(m.s.err, "peers"), "the source hears why: %s", m.s.err);
	assert_all_back(&m);
	for (i = 0; i < 3; i++) {
		/* the applied ones and the refused one: reset (a workload
		 * here holds them) */
		cr_assert_eq(m.tf[i]->resets, 1, "target %u", i);
		cr_assert_eq(m.res[i].reset, 1, "target %u", i);
		cr_assert_eq(m.wl[i].paused, 1);
	}
	cr_assert_null(strstr(m.types, "C"), "no COMMIT: %s", m.types);
	mig_free(&m);
}

/* A target vGPU that cannot start at the commit: the target discards all
 * and says so; the source runs them all again (no doubt). */
Test(session, a_failed_start_at_the_commit_undoes_all)
{
	struct mig m;
	unsigned i;

	mig_setup(&m, 2);
	m.tf[1]->fail_running = EIO;
	mig_run(&m, 0, false);
	cr_assert_eq(m.ret, -EIO, "%s", m.err);
	cr_assert_eq(m.s.ret, -EIO, "%s", m.s.err);
	cr_assert_eq(m.s.st.in_doubt, 0);
	cr_assert(strstr(m.s.err, "refused the commit"), "%s", m.s.err);
	cr_assert(strstr(m.s.err, "does not run the vGPUs"), "%s", m.s.err);
	cr_assert(strstr(m.err, "could not start at the commit: vGPU " "b0000000-0000-4000-8000-000000000002" ":"),
		  "%s", m.err);
	assert_all_back(&m);
	for (i = 0; i < 2; i++)
		cr_assert_eq(m.res[i].reset, 1, "target %u", i);
	mig_free(&m);
}

/* A byte damaged in the stop-copy ($MVGPU_FAULT=corrupt-data, the
 * source's): the target refuses the message, discards every vGPU, and
 * the source runs them all again. */
Test(session, damaged_data_undoes_all)
{
	struct mig m;
	unsigned i;

	mig_setup(&m, 2);
	setenv("MVGPU_FAULT", "corrupt-data", 1);
	mig_run(&m, 0, false);
	unsetenv("MVGPU_FAULT");
	cr_assert_eq(m.ret, -EBADMSG, "%s", m.err);
	cr_assert_eq(m.s.ret, -EBADMSG, "%s", m.s.err);
	cr_assert(strstr(m.err, "checksum mismatch"), "%s", m.err);
	cr_assert(strstr(m.s.err, "checksum mismatch"), "the source hears why: %s", m.s.err);
	assert_all_back(&m);
	for (i = 0; i < 2; i++) {
		cr_assert_eq(m.wl[i].resumed, 1, "workload %u", i);
		cr_assert_eq(m.res[i].reset, 1, "target %u", i);
		cr_assert_null(m.tf[i]->loaded, "target %u applied nothing", i);
	}
	mig_free(&m);
}

/* COMMIT went out and its answer was lost: every source vGPU stays
 * stopped and no workload resumes (never two running copies). */
Test(session, a_lost_confirmation_leaves_all_stopped)
{
	struct mig m;
	unsigned i;

	mig_setup(&m, 2);
	m.s.o.timeout_ms = 1000;
	setenv("MVGPU_FAULT", "drop-committed", 1);	/* the target's fault */
	mig_run(&m, 0, false);
	unsetenv("MVGPU_FAULT");
	cr_assert_eq(m.ret, 0, "%s", m.err);
	cr_assert_eq(m.s.ret, -EREMOTEIO, "%d %s", m.s.ret, m.s.err);
	cr_assert_eq(m.s.st.in_doubt, 1);
	cr_assert_eq(m.s.each[1].in_doubt, 1);
	cr_assert(strstr(m.s.err, "the vGPUs may run on"), "%s", m.s.err);
	cr_assert(strstr(m.s.err, "so they stay stopped here"), "%s", m.s.err);
	for (i = 0; i < 2; i++) {
		cr_assert_eq(m.sf[i]->state, MVGPU_MIG_STOP, "source %u", i);
		cr_assert_eq(m.wl[i].resumed, 0, "workload %u", i);
		cr_assert_eq(m.tf[i]->state, MVGPU_MIG_RUNNING, "target %u", i);
		assert_loaded(&m, i);
	}
	mig_free(&m);
}

/* A receiver that takes one vGPU refuses a session before anything
 * stopped; so does one serving another number of vGPUs. */
Test(session, a_session_of_another_size_is_refused)
{
	struct mig m;

	mig_setup(&m, 2);
	m.ro.ntargets = 0;
	mig_run(&m, 1, false);
	cr_assert_eq(m.ret, -E2BIG, "%s", m.err);
	cr_assert(strstr(m.err, "a session of 2 vGPUs; this receiver takes 1 at most"), "%s", m.err);
	cr_assert(strstr(m.s.err, "a session of 2 vGPUs"), "%s", m.s.err);
	cr_assert_str_eq(arcs, "", "%s", arcs);
	assert_all_back(&m);
	mig_free(&m);

	teardown();
	setup();
	mig_setup(&m, 2);
	m.ro.ntargets = 1;
	mig_run(&m, 2, false);
	cr_assert_eq(m.ret, -EINVAL, "%s", m.err);
	cr_assert(strstr(m.err, "this receiver serves 1"), "%s", m.err);
	mig_free(&m);
}

/* The set on the source: no vGPU twice, no two to one target - said
 * before a byte is sent. */
Test(session, the_source_refuses_a_bad_set)
{
	mvgpu_migrate_vgpu v[3];
	mvgpu_migrate_stats st;
	mvgpu_ctx *ctx;
	mvgpu_dev *d[2];
	int sv[2];
	char b;

	cr_assert_eq(mvgpu_ctx_create(&ctx, F->root), 0);
	vgpu_in_tree(SRC[0], 20);
	vgpu_in_tree(SRC[1], 21);
	d[0] = fake_dev(ctx, SRC[0], NULL);
	d[1] = fake_dev(ctx, SRC[1], NULL);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	v[0] = (mvgpu_migrate_vgpu){ .dev = d[0] };
	v[1] = (mvgpu_migrate_vgpu){ .dev = d[1] };
	v[2] = (mvgpu_migrate_vgpu){ .dev = d[0] };
	cr_assert_eq(mvgpu_migrate_n(v, 3, sv[0], NULL, &st, NULL), -EINVAL);
	cr_assert(strstr(mvgpu_last_error(ctx), "vGPU " "a0000000-0000-4000-8000-000000000001" " is in the session twice"),
		  "%s", mvgpu_last_error(ctx));
	v[1].target_uuid = SRC[0];	/* where the first goes */
	cr_assert_eq(mvgpu_migrate_n(v, 2, sv[0], NULL, &st, NULL), -EINVAL);
	cr_assert(strstr(mvgpu_last_error(ctx), "would both go to vGPU " "a0000000-0000-4000-8000-000000000001"),
		  "%s", mvgpu_last_error(ctx));
	cr_assert_eq(mvgpu_migrate_n(v, 0, sv[0], NULL, &st, NULL), -EINVAL);
	cr_assert_eq(mvgpu_migrate_n(v, MVGPU_SESSION_MAX + 1, sv[0], NULL, &st, NULL), -EINVAL);
	cr_assert_eq(recv(sv[1], &b, 1, MSG_DONTWAIT), -1, "nothing was sent");
	cr_assert_str_eq(arcs, "");
	close(sv[0]);
	close(sv[1]);
	mvgpu_dev_close(d[0]);
	mvgpu_dev_close(d[1]);
	mvgpu_ctx_free(ctx);
}

/* ---- a source played by hand ---------------------------------------------------- */

struct rcv {
	int sock;
	unsigned max, ntargets;
	struct mvgpu_receive_target tg[NV_MAX];
	mvgpu_receive_result res[NV_MAX];
	unsigned n;
	int ret;
	char err[MVGPU_ERR_MAX];
	pthread_t th;
};

static void *rcv_thread(void *arg)
{
	struct rcv *r = arg;
	mvgpu_receive_opts o = { .timeout_ms = 1000, .ntargets = r->ntargets,
				 .targets = r->tg };
	mvgpu_ctx *ctx;

	if (mvgpu_ctx_create(&ctx, F->root))
		return NULL;
	r->ret = mvgpu_receive_n(ctx, r->sock, &o, r->res, r->max, &r->n);
	snprintf(r->err, sizeof(r->err), "%s", mvgpu_last_error(ctx));
	mvgpu_ctx_free(ctx);
	return NULL;
}

/* SESSION of @count and the HELLOs of @uuids to a receiver taking @max:
 * its verdict, and the ERROR the source got in @told. */
static int hand_session(unsigned count, const char *const *uuids, unsigned nh,
			unsigned max, char *err, char *told)
{
	uint8_t buf[MVGPU_WIRE_HDR + MVGPU_WIRE_CTRL_MAX];
	struct rcv r = { .max = max };
	int sv[2];
	unsigned i;

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	r.sock = sv[1];
	cr_assert_eq(pthread_create(&r.th, NULL, rcv_thread, &r), 0);
	wire_send(sv[0], buf, wire_session(buf, count));
	for (i = 0; i < nh; i++)
		wire_send(sv[0], buf, wire_hello(buf, 1 + i, MVGPU_WIRE_MINOR, uuids[i],
						 "mvgpu-64M"));
	wire_read_error(sv[0], told, MVGPU_WIRE_MSG_MAX);
	close(sv[0]);
	pthread_join(r.th, NULL);
	close(sv[1]);
	snprintf(err, MVGPU_ERR_MAX, "%s", r.err);
	return r.ret;
}

Test(session, hostile_sessions_are_refused_before_anything_changes)
{
	const char *twice[] = { SRC[0], SRC[1], SRC[0] };
	const char *same_target[] = { SRC[0], "A0000000-0000-4000-8000-000000000001" };
	char err[MVGPU_ERR_MAX], told[MVGPU_WIRE_MSG_MAX];

	vgpu_in_tree(SRC[0], 20);
	vgpu_in_tree(SRC[1], 21);
	/* a UUID twice */
	cr_assert_eq(hand_session(3, twice, 3, 8, err, told), -EINVAL, "%s", err);
	cr_assert(strstr(err, "names vGPU " "a0000000-0000-4000-8000-000000000001" " twice"), "%s", err);
	cr_assert(strstr(told, "twice"), "%s", told);
	/* the same vGPU here for two, in another spelling */
	cr_assert_eq(hand_session(2, same_target, 2, 8, err, told), -EINVAL, "%s", err);
	cr_assert(strstr(err, "twice"), "%s", err);
	/* more than this receiver takes: said before any HELLO is read */
	cr_assert_eq(hand_session(5, twice, 0, 4, err, told), -E2BIG, "%s", err);
	cr_assert(strstr(told, "a session of 5 vGPUs; this receiver takes 4 at most"), "%s", told);
	/* fewer HELLOs than announced: the receiver times out waiting */
	cr_assert_eq(hand_session(3, twice, 2, 8, err, told), -ETIMEDOUT, "%s", err);
	cr_assert(strstr(err, "waiting for HELLO"), "%s", err);
	cr_assert_str_eq(arcs, "", "%s", arcs);
}

/* A target older than 1.1 answers SESSION with an ERROR about an
 * unknown message: the source says what it probably means. */
Test(session, an_old_target_is_told_apart)
{
	uint8_t p[MVGPU_WIRE_CTRL_MAX], buf[MVGPU_WIRE_HDR + MVGPU_WIRE_CTRL_MAX];
	struct mvgpu_wire_error e = { .code = EBADMSG,
		.text = "bad message from the source: unknown message type 6" };
	struct mvgpu_wire_hdr h;
	struct mig m;
	int n;

	mig_setup(&m, 2);
	{
		int sv[2];

		cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
		m.s.sock = sv[0];
		src_start(&m.s);
		cr_assert_eq(wire_read(sv[1], 5000, p, sizeof(p), &h), MVGPU_WIRE_SESSION);
		n = mvgpu_wire_encode_error(&e, p, sizeof(p));
		wire_send(sv[1], buf, wire_msg(buf, MVGPU_WIRE_ERROR, 0, p, (uint32_t)n));
		src_wait(&m.s);
		close(sv[1]);
	}
	cr_assert_eq(m.s.ret, -EBADMSG, "%s", m.s.err);
	cr_assert(strstr(m.s.err, "unknown message type 6"), "%s", m.s.err);
	cr_assert(strstr(m.s.err, "older than wire protocol 1.1"), "%s", m.s.err);
	cr_assert_str_eq(arcs, "", "%s", arcs);
	assert_all_back(&m);
	mig_free(&m);
}

/* ---- images of a set -------------------------------------------------------------- */

/* A valid stream of mvgpu-64M for fake vGPU @f: @pages pages of a pattern
 * of @seed (lz4 likes half of them), the state, the end. */
static void give_valid_stream(struct fvgpu *f, unsigned pages, unsigned seed)
{
	struct mvgpu_compat_info in;
	struct mvgpu_state st;
	struct mvgpu_enc e;
	uint8_t page[MVGPU_STREAM_PAGE_SIZE];
	size_t cap = (size_t)(pages + 4) * (MVGPU_STREAM_PAGE_SIZE + 64) + 65536, pos = 0, j;
	uint8_t *b = malloc(cap);
	ssize_t k;
	unsigned i;

	cr_assert_not_null(b);
	cr_assert_eq(mvgpu_compat_local(&in, 0, "0.1.0"), 0);
	cr_assert_eq(mvgpu_enc_init(&e, &in), 0);
#define PUT(call) do { k = (call); cr_assert_geq(k, 0); pos += (size_t)k; } while (0)
	PUT(mvgpu_enc_desc(&e, b, cap));
	for (i = 0; i < pages; i++) {
		for (j = 0; j < sizeof(page); j++)
			page[j] = i % 2 ? (uint8_t)(j * 131 + i * 7 + seed) :
				  (uint8_t)(j / 64 + seed);
		PUT(mvgpu_enc_page(&e, b + pos, cap - pos, i * 5 + seed, page));
	}
	memset(&st, 0, sizeof(st));
	mvgpu_put_le16(st.cfg + 0x00, MVGPU_PCI_VENDOR_ID);
	mvgpu_put_le16(st.cfg + 0x02, MVGPU_PCI_DEVICE_ID);
	mvgpu_put_le16(st.cfg + 0x2c, MVGPU_PCI_SUBVENDOR_ID);
	mvgpu_put_le16(st.cfg + 0x2e, MVGPU_PCI_SUBDEV_BASE);
	st.scratch = seed;
	PUT(mvgpu_enc_state(&e, b + pos, cap - pos, &st));
	PUT(mvgpu_enc_end(&e, b + pos, cap - pos));
#undef PUT
	free(f->stream);
	f->stream = b;
	f->len = pos;
	f->initial = pos / 2;
}

/* @n source vGPUs SRC[i] with valid streams, @n targets TGT[i]. */
static void set_setup(struct mig *m, unsigned n)
{
	unsigned i;

	mig_setup(m, n);
	for (i = 0; i < n; i++)
		give_valid_stream(m->sf[i], 300 + 50 * i, i + 1);
}

static char set_dir[64];

static const char *set_path(void)
{
	static char p[128];

	if (!set_dir[0]) {
		strcpy(set_dir, "/tmp/mvgpu-set.XXXXXX");
		cr_assert_not_null(mkdtemp(set_dir));
	}
	snprintf(p, sizeof(p), "%s/set.img", set_dir);
	return p;
}

static void set_cleanup(void)
{
	unlink(set_path());
	rmdir(set_dir);
	set_dir[0] = '\0';
}

Test(session, vgpus_saved_together_are_restored_together)
{
	mvgpu_image_stats st, each[3];
	mvgpu_image_opts o = { .precopy = 1, .max_passes = 8,
			       .switchover_bytes = 64 << 10 };
	mvgpu_image *img, *one;
	struct mig m;
	unsigned i, j;
	int out;

	set_setup(&m, 3);
	cr_assert_eq(mvgpu_image_save_n(m.sd, 3, set_path(), &o, &st, each), 0, "%s",
		     mvgpu_last_error(m.sctx));
	for (i = 0; i < 3; i++) {
		cr_assert_eq(m.sf[i]->state, MVGPU_MIG_RUNNING, "source %u runs on", i);
		cr_assert_eq(each[i].stream_bytes, m.sf[i]->len);
		cr_assert_geq(each[i].passes, 1);
		for (j = 0; j < 3; j++)
			/* one stop: all quiet before any is stopped */
			cr_assert_lt(arc_at(SRC[j], "PRE_COPY_P2P"),
				     arc_at(SRC[i], "STOP_COPY"), "%s", arcs);
	}
	cr_assert_eq(st.stream_bytes, m.sf[0]->len + m.sf[1]->len + m.sf[2]->len);
	cr_assert_gt(st.downtime_ns, 0);

	cr_assert_eq(mvgpu_image_open(m.tctx, set_path(), &img), 0, "%s",
		     mvgpu_last_error(m.tctx));
	cr_assert_eq(mvgpu_image_get_info(img)->vgpus, 3);
	cr_assert_eq(mvgpu_image_get_info(img)->file_bytes, st.file_bytes);
	for (i = 0; i < 3; i++) {
		uint8_t *b = malloc(m.sf[i]->len);

		one = mvgpu_image_vgpu(img, i);
		cr_assert_str_eq(mvgpu_image_get_info(one)->source_uuid, SRC[i]);
		out = memfd_create("x", MFD_CLOEXEC);
		cr_assert_eq(mvgpu_image_extract(one, out, NULL, NULL), 0);
		cr_assert_eq(pread(out, b, m.sf[i]->len, 0), (ssize_t)m.sf[i]->len);
		cr_assert_eq(memcmp(b, m.sf[i]->stream, m.sf[i]->len), 0, "vGPU %u", i);
		close(out);
		free(b);
	}
	/* as many vGPUs as the image holds, or nothing is touched */
	arcs[0] = '\0';
	cr_assert_eq(mvgpu_image_restore_n(img, m.td, 2, NULL, &st, NULL), -EINVAL);
	cr_assert(strstr(mvgpu_last_error(m.tctx), "holds 3 vGPUs; 2 given"), "%s",
		  mvgpu_last_error(m.tctx));
	cr_assert_str_eq(arcs, "");
	/* all of them */
	cr_assert_eq(mvgpu_image_restore_n(img, m.td, 3, NULL, &st, each), 0, "%s",
		     mvgpu_last_error(m.tctx));
	for (i = 0; i < 3; i++) {
		assert_loaded(&m, i);
		cr_assert_eq(m.tf[i]->state, MVGPU_MIG_RUNNING);
		cr_assert_eq(each[i].stream_bytes, m.sf[i]->len);
		for (j = 0; j < 3; j++) {
			cr_assert_lt(arc_at(TGT[j], "RESUMING"), arc_at(TGT[i], "STOP"), "%s", arcs);
			cr_assert_lt(arc_at(TGT[j], "RUNNING_P2P"), arc_last(TGT[i], "RUNNING"),
				     "%s", arcs);
		}
	}
	mvgpu_image_close(img);
	set_cleanup();
	mig_free(&m);
}

/* A target refusing its stream, or one of another type: every target is
 * reset, or none touched. */
Test(session, a_set_restores_all_or_none)
{
	mvgpu_image_stats st;
	mvgpu_image *img;
	struct mig m;
	unsigned i;
	char rel[128];

	set_setup(&m, 3);
	cr_assert_eq(mvgpu_image_save_n(m.sd, 3, set_path(), NULL, &st, NULL), 0, "%s",
		     mvgpu_last_error(m.sctx));
	cr_assert_eq(mvgpu_image_open(m.tctx, set_path(), &img), 0);
	m.tf[1]->refuse = EXDEV;
	cr_assert_eq(mvgpu_image_restore_n(img, m.td, 3, NULL, &st, NULL), -EXDEV);
	cr_assert(strstr(mvgpu_last_error(m.tctx), "vGPU 2 of 3 (saved from " "a0000000-0000-4000-8000-000000000002"
			 ", into " "b0000000-0000-4000-8000-000000000002" ")"),
		  "%s", mvgpu_last_error(m.tctx));
	cr_assert(strstr(mvgpu_last_error(m.tctx), "every vGPU was reset"), "%s",
		  mvgpu_last_error(m.tctx));
	cr_assert_eq(st.device_touched, 1);
	for (i = 0; i < 3; i++) {
		cr_assert_eq(m.tf[i]->resets, 1, "target %u", i);
		cr_assert_eq(m.tf[i]->state, MVGPU_MIG_RUNNING);
	}
	/* the third target of another type: refused natively, none touched */
	m.tf[1]->refuse = 0;
	arcs[0] = '\0';
	snprintf(rel, sizeof(rel), "bus/mdev/devices/%s/migration_version", TGT[2]);
	{
		struct mvgpu_compat_info in;
		char v[512];

		cr_assert_eq(mvgpu_compat_local(&in, 1, "0.1.0"), 0);
		cr_assert_gt(mvgpu_compat_format(&in, v, sizeof(v)), 0);
		fake_write(F, rel, v);
	}
	cr_assert_eq(mvgpu_image_restore_n(img, m.td, 3, NULL, &st, NULL), -EINVAL);
	cr_assert(strstr(mvgpu_last_error(m.tctx), "vGPU 3 of 3"), "%s", mvgpu_last_error(m.tctx));
	cr_assert(strstr(mvgpu_last_error(m.tctx), "type"), "%s", mvgpu_last_error(m.tctx));
	cr_assert_eq(st.device_touched, 0);
	cr_assert_str_eq(arcs, "", "nothing touched: %s", arcs);
	mvgpu_image_close(img);
	set_cleanup();
	mig_free(&m);
}

/* A save that fails midway leaves no file and every vGPU running. */
Test(session, a_failed_set_save_leaves_nothing)
{
	mvgpu_image_stats st;
	struct mig m;
	unsigned i;

	set_setup(&m, 2);
	cr_assert_eq(mvgpu_image_save_n(m.sd, 2, "/nonexistent-dir/set.img", NULL, &st,
					NULL), -ENOENT);
	cr_assert_str_eq(arcs, "", "refused before a vGPU was touched: %s", arcs);
	m.sf[1]->fail_running = EIO;	/* cannot run again after its stop */
	cr_assert_eq(mvgpu_image_save_n(m.sd, 2, set_path(), NULL, &st, NULL), -EIO);
	cr_assert_eq(access(set_path(), F_OK), -1, "no file");
	m.sf[1]->fail_running = 0;
	for (i = 0; i < 2; i++) {
		mvgpu_mig_set_state(m.sd[i], MVGPU_MIG_RUNNING, NULL);
		cr_assert_eq(m.sf[i]->state, MVGPU_MIG_RUNNING);
	}
	cr_assert_eq(mvgpu_image_save_n((mvgpu_dev *const[]){ m.sd[0], m.sd[0] }, 2,
					set_path(), NULL, &st, NULL), -EINVAL);
	cr_assert(strstr(mvgpu_last_error(m.sctx), "in the set twice"), "%s",
		  mvgpu_last_error(m.sctx));
	set_cleanup();
	mig_free(&m);
}
