/*
 * progress.c - progress lines, JSON lines and signals for the commands
 * that move images (cmd_save.c, cmd_restore.c).
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "output.h"
#include "progress.h"

volatile sig_atomic_t progress_cancel;

static void on_signal(int sig)
{
	(void)sig;
	progress_cancel = 1;
}

void progress_catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void human_bytes(uint64_t n, char *buf, size_t len)
{
	static const char *const unit[] = { "KiB", "MiB", "GiB", "TiB" };
	double v = (double)n;
	int i = -1;

	if (n < 1024) {
		snprintf(buf, len, "%llu B", (unsigned long long)n);
		return;
	}
	while (v >= 1024 && i < 3) {
		v /= 1024;
		i++;
	}
	snprintf(buf, len, "%.1f %s", v, unit[i]);
}

/* ---- JSON lines ------------------------------------------------------- */

void jl_begin(struct jline *j, FILE *f)
{
	j->f = f;
	j->depth = 0;
	j->n[0] = 0;
	fputc('{', f);
}

static void jl_key(struct jline *j, const char *key)
{
	if (j->n[j->depth]++)
		fputs(", ", j->f);
	if (!key)
		return;
	json_write_string(j->f, key);
	fputs(": ", j->f);
}

static void jl_open(struct jline *j, const char *key, char c)
{
	jl_key(j, key);
	fputc(c, j->f);
	if (j->depth < JL_DEPTH - 1)
		j->n[++j->depth] = 0;
}

static void jl_close(struct jline *j, char c)
{
	fputc(c, j->f);
	if (j->depth)
		j->depth--;
}

void jl_obj_begin(struct jline *j, const char *key)
{
	jl_open(j, key, '{');
}

void jl_obj_end(struct jline *j)
{
	jl_close(j, '}');
}

void jl_arr_begin(struct jline *j, const char *key)
{
	jl_open(j, key, '[');
}

void jl_arr_end(struct jline *j)
{
	jl_close(j, ']');
}

void jl_str(struct jline *j, const char *key, const char *v)
{
	jl_key(j, key);
	json_write_string(j->f, v);
}

void jl_u64(struct jline *j, const char *key, uint64_t v)
{
	jl_key(j, key);
	fprintf(j->f, "%llu", (unsigned long long)v);
}

void jl_num(struct jline *j, const char *key, double v)
{
	jl_key(j, key);
	fprintf(j->f, "%.6g", v);
}

void jl_bool(struct jline *j, const char *key, int v)
{
	jl_key(j, key);
	fputs(v ? "true" : "false", j->f);
}

void jl_end(struct jline *j)
{
	fputs("}\n", j->f);
	fflush(j->f);
}

/* ---- progress --------------------------------------------------------- */

void progress_init(struct progress *p, struct cli *cli, const char *action)
{
	memset(p, 0, sizeof(*p));
	p->cli = cli;
	p->action = action;
	p->tty = !cli->json && isatty(STDERR_FILENO);
	p->bytes_word = "file";
	if (cli->json)
		cli->doc_written = 1;	/* JSON lines from here on */
}

void progress_end(struct progress *p)
{
	if (p->line) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
		p->line = 0;
	}
}

static void draw(struct progress *p, const mvgpu_image_event *ev)
{
	char s[32], f[32], t[48] = "";
	double secs = (double)ev->elapsed_ns / 1e9;
	double rate = secs > 0 ? (double)ev->stream_bytes / secs / 1e6 : 0;

	human_bytes(ev->stream_bytes, s, sizeof(s));
	human_bytes(ev->file_bytes, f, sizeof(f));
	if (ev->stream_total) {
		char tot[32];

		human_bytes(ev->stream_total, tot, sizeof(tot));
		snprintf(t, sizeof(t), " of %s", tot);
	}
	fprintf(stderr, "\r\033[K%s: %s: %s%s stream, %s %s, %.0f MB/s",
		p->action, ev->phase ? ev->phase : "", s, t, f, p->bytes_word,
		rate);
	if (ev->pass && ev->vgpus > 1)
		fprintf(stderr, ", vGPU %u/%u pass %u", ev->vgpu + 1, ev->vgpus,
			ev->pass);
	else if (ev->pass)
		fprintf(stderr, ", pass %u", ev->pass);
	if (ev->pass && p->rate > 0 && ev->phase && !strcmp(ev->phase, "pre-copy"))
		fprintf(stderr, ", est. downtime %.0f ms",
			(double)p->dirty / p->rate * 1e3);
	fflush(stderr);
	p->line = 1;
}

void progress_event(void *opaque, const mvgpu_image_event *ev)
{
	struct progress *p = opaque;
	uint64_t now = now_ns();
	struct jline j;

	if (ev->elapsed_ns && ev->stream_bytes)
		p->rate = (double)ev->stream_bytes / ((double)ev->elapsed_ns / 1e9);
	if (ev->kind == MVGPU_IMAGE_EV_PASS && ev->vgpus > 1 &&
	    ev->vgpu < MVGPU_SESSION_MAX) {
		unsigned i;

		p->dirty_of[ev->vgpu] = ev->dirty_bytes;
		for (i = 0, p->dirty = 0; i < ev->vgpus && i < MVGPU_SESSION_MAX; i++)
			p->dirty += p->dirty_of[i];
	} else if (ev->kind == MVGPU_IMAGE_EV_PASS) {
		p->dirty = ev->dirty_bytes;
	}
	if (p->cli->json) {
		/* events always; periodic progress at most every second */
		if (ev->kind == MVGPU_IMAGE_EV_PROGRESS &&
		    now - p->last_ns < 1000000000u)
			return;
		p->last_ns = now;
		jl_begin(&j, stdout);
		jl_str(&j, "event", ev->name);
		jl_str(&j, "action", p->action);
		jl_str(&j, "phase", ev->phase);
		if (ev->vgpus > 1 && (ev->kind == MVGPU_IMAGE_EV_PASS ||
				      ev->kind == MVGPU_IMAGE_EV_LOADED)) {
			jl_u64(&j, "vgpu", ev->vgpu);
			if (ev->vgpu < p->nuuids)
				jl_str(&j, "uuid", p->uuids[ev->vgpu]);
		}
		if (ev->pass)
			jl_u64(&j, "pass", ev->pass);
		jl_u64(&j, "stream_bytes", ev->stream_bytes);
		if (ev->stream_total)
			jl_u64(&j, "stream_total", ev->stream_total);
		jl_u64(&j, strcmp(p->bytes_word, "wire") ? "file_bytes" :
		       "wire_bytes", ev->file_bytes);
		if (ev->kind == MVGPU_IMAGE_EV_PASS) {
			jl_u64(&j, "dirty_bytes", ev->dirty_bytes);
			if (p->rate > 0)
				jl_num(&j, "est_downtime_ms",
				       (double)p->dirty / p->rate * 1e3);
		}
		if (ev->kind == MVGPU_IMAGE_EV_STOP)
			jl_u64(&j, "estimate_bytes", ev->estimate_bytes);
		jl_num(&j, "seconds", (double)ev->elapsed_ns / 1e9);
		jl_end(&j);
		return;
	}
	if (!p->tty)
		return;
	if (ev->kind == MVGPU_IMAGE_EV_PROGRESS && now - p->last_ns < 100000000u)
		return;
	p->last_ns = now;
	draw(p, ev);
}

int progress_fail(struct progress *p, int code, int err, const char *fmt, ...)
{
	char msg[2048];
	struct jline j;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	progress_end(p);
	if (p->cli->json) {
		jl_begin(&j, stdout);
		jl_str(&j, "event", "error");
		jl_bool(&j, "ok", 0);
		jl_str(&j, "action", p->action);
		jl_str(&j, "errno", err ? strerrorname_np(err < 0 ? -err : err) : NULL);
		jl_u64(&j, "exit_code", (uint64_t)code);
		jl_str(&j, "message", msg);
		jl_end(&j);
		p->cli->doc_written = 1;
	}
	return cli_fail(p->cli, code, err, "%s", msg);
}

int progress_open_vgpu(struct progress *p, mvgpu_ctx *ctx, const char *uuid,
		       mvgpu_dev **dev)
{
	uint64_t flags;
	int ret = mvgpu_dev_open(ctx, uuid, dev);

	switch (ret) {
	case 0:
		break;
	case -ENOENT:
		return progress_fail(p, EXIT_FAIL, ret, "no vGPU %s; see 'mvgpu list'",
				     uuid);
	case -EBUSY:
		return progress_fail(p, EXIT_FAIL, ret,
				     "vGPU %s is in use (a VFIO user such as a VM has it open): stop that user first, or migrate the VM instead",
				     uuid);
	default:
		return progress_fail(p, EXIT_FAIL, ret, "cannot open vGPU %s: %s (%s)",
				     uuid, mvgpu_strerror(ret), mvgpu_last_error(ctx));
	}
	ret = mvgpu_mig_flags(*dev, &flags);
	if (ret) {
		char why[512];

		snprintf(why, sizeof(why), "%s", mvgpu_last_error(ctx));
		mvgpu_dev_close(*dev);
		*dev = NULL;
		return progress_fail(p, EXIT_FAIL, ret,
				     "vGPU %s cannot migrate (%s): is the mvgpu module too old?",
				     uuid, why);
	}
	return 0;
}
