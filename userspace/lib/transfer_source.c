// SPDX-License-Identifier: MIT
/*
 * transfer_source.c - the source of a live migration (mvgpu.h):
 * mvgpu_migrate() moves one vGPU, as wire protocol 1.0 always did;
 * mvgpu_migrate_n() moves a session of several over one connection
 * (1.1), stopping them together and committing them together.  The data
 * path is transfer.c's.
 *
 *   one vGPU:  HELLO; PRE_COPY, passes in one run of the pipeline, the
 *              stop at a pass's end, stop-copy in the same run; END
 *   a session: SESSION, HELLO x N; every vGPU PRE_COPY; rounds of one
 *              pass per vGPU (STREAM i, a run each) until a round leaves
 *              them all at most switchover_bytes dirty; then every
 *              workload paused, every vGPU quiet (PRE_COPY_P2P), every
 *              vGPU STOP_COPY; then each one's rest (STREAM i, a run,
 *              STATE, END)
 *   both:      LOADED, COMMIT, COMMITTED - or all run here again
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "device.h"
#include "tls.h"
#include "transfer.h"

static void xf_hold(struct xf *x, const char *where)
{
	uint64_t end = xf_now_ns() + (uint64_t)x->timeout_ms * 1000000u;

	mvgpu__warn(x->ctx, "fault injection: holding the migration in %s", where);
	/* until the peer hangs up, the timeout passes, or a cancel */
	while (xf_now_ns() < end && !(x->cancel_flag && *x->cancel_flag)) {
		struct pollfd p = { .fd = x->c->fd, .events = POLLRDHUP };

		if (poll(&p, 1, 100) == 1)
			break;
	}
}

/* @v's workload quiesces before the vGPU stops (as QEMU stops the vCPUs). */
static int pause_workload(struct xf *x, struct xf_vgpu *v)
{
	const mvgpu_migrate_vgpu *mv = v->mv;
	int ret;

	if (!mv->pause || v->paused)
		return 0;
	ret = mv->pause(mv->opaque, v->kind, &v->state, &v->state_len);
	if (ret)
		return xf_vgpu_err(x, v, mvgpu__err(x->ctx, ret < 0 ? ret : -ECANCELED,
						    "the workload could not pause: %s",
						    strerror(ret < 0 ? -ret : ECANCELED)));
	v->paused = true;
	if (v->state_len > MVGPU_WIRE_STATE_MAX)
		return xf_vgpu_err(x, v, mvgpu__err(x->ctx, -EFBIG,
						    "the workload's state is %zu bytes (at most %u)",
						    v->state_len, MVGPU_WIRE_STATE_MAX));
	return 0;
}

/* One vGPU: the stop, at the end of a pre-copy pass (@u) or before any
 * data (@u NULL: no pre-copy). */
static int xf_stop(struct uio *u, struct xf *x)
{
	struct xf_vgpu *v = x->v;
	uint64_t est = 0;
	int ret;

	v->precopy_bytes = u ? uio_counts(u)->in_bytes : 0;
	ret = pause_workload(x, v);
	if (ret)
		return u ? uio_fail(u, ret, "%s", mvgpu_last_error(x->ctx)) : ret;
	mvgpu_mig_stop_copy_size(v->dev, &est);
	x->t_stop = xf_now_ns();
	ret = mvgpu_mig_set_state(v->dev, MVGPU_MIG_STOP_COPY,
				  u ? NULL : &v->data_fd);
	if (ret)
		return u ? uio_fail(u, ret, "%s", mvgpu_last_error(x->ctx)) : ret;
	v->stopped = x->stopped = true;
	x->phase = "stop-copy";
	xf_emit(x, u, MVGPU_IMAGE_EV_STOP, "stop-copy", 0, est);
	if (x->fault == XF_FAULT_HOLD)
		xf_hold(x, "stop-copy");
	return 0;
}

/* The end of a pre-copy pass: another, or stop (one vGPU); the end of
 * this run (a session: the rounds decide). */
static int xf_pass_end(struct uio *u, void *opaque)
{
	struct xf *x = opaque;
	struct xf_vgpu *v = x->cur;
	uint64_t initial, dirty;
	int ret;

	v->passes++;
	ret = mvgpu_mig_precopy_info(v->data_fd, &initial, &dirty);
	if (ret)
		return uio_fail(u, ret, "pre-copy info: %s", strerror(-ret));
	v->dirty = dirty;
	xf_emit(x, u, MVGPU_IMAGE_EV_PASS, "pass", dirty, 0);
	if (x->fault == XF_FAULT_HOLD_PRE) {
		x->fault = XF_FAULT_NONE;
		xf_hold(x, "pre-copy");
	}
	if (x->n > 1) {
		uio_end_source(u);
		return 0;
	}
	if (dirty > x->mo->switchover_bytes &&
	    v->passes < (x->mo->max_passes ? x->mo->max_passes : 1)) {
		uio_pause_after(u, initial + dirty);	/* the next pass */
		return 0;
	}
	return xf_stop(u, x);
}

static int xf_source_end(struct uio *u, void *opaque)
{
	struct xf *x = opaque;
	struct xf_vgpu *v = x->cur;
	int ret;

	if (!v->stopped)
		return 0;	/* a session's pre-copy pass */
	/* every byte read: the vGPU stays stopped until the commit */
	x->t_data_end = xf_now_ns();
	ret = mvgpu_mig_set_state(v->dev, MVGPU_MIG_STOP, NULL);
	if (ret)
		return uio_fail(u, ret, "%s", mvgpu_last_error(x->ctx));
	x->phase = "committing";
	return 0;
}

static const struct uio_ops send_ops = {
	.transform = xf_compress,
	.pause = xf_pass_end,
	.source_end = xf_source_end,
	.tick = xf_tick,
};

static int send_hello(struct xf *x, struct xf_vgpu *v)
{
	const mvgpu_dev_info *di = mvgpu_dev_get_info(v->dev);
	const mvgpu_migrate_vgpu *mv = v->mv;
	struct mvgpu_wire_hello h = { .major = MVGPU_WIRE_MAJOR,
				      .minor = x->n > 1 ? MVGPU_WIRE_MINOR :
							  MVGPU_WIRE_MINOR_ONE,
				      .fb_size = di->fb_size };
	uint8_t buf[MVGPU_WIRE_CTRL_MAX];
	mvgpu_vgpu_info vi;
	int n, ret;

	ret = mvgpu_find_vgpu(x->ctx, di->uuid, &vi);
	if (ret)
		return ret;
	ret = mvgpu_vgpu_migration_version(x->ctx, di->uuid, h.version,
					   sizeof(h.version));
	if (ret < 0)
		return ret;
	if (x->mo->precopy)
		h.flags |= MVGPU_WIRE_HELLO_PRECOPY;
	if (mv->pause)
		h.flags |= MVGPU_WIRE_HELLO_STATE;
	snprintf(h.source_uuid, sizeof(h.source_uuid), "%s", di->uuid);
	if (mv->target_uuid &&
	    mvgpu_uuid_canonical(mv->target_uuid, h.target_uuid))
		return mvgpu__err(x->ctx, -EINVAL, "'%s' is not a UUID",
				  mv->target_uuid);
	if (strlen(vi.type_id) >= sizeof(h.type))
		return mvgpu__err(x->ctx, -EINVAL, "type name '%s' is too long",
				  vi.type_id);
	memcpy(h.type, vi.type_id, strlen(vi.type_id) + 1);
	xf_host_name(h.host, sizeof(h.host));
	n = mvgpu_wire_encode_hello(&h, buf, sizeof(buf));
	if (n < 0)
		return mvgpu__err(x->ctx, -EINVAL, "cannot encode HELLO");
	return wconn_send(x->c, MVGPU_WIRE_HELLO, buf, (uint32_t)n, -1);
}

/* HELLO, or SESSION and a HELLO for each vGPU. */
static int send_hellos(struct xf *x)
{
	struct mvgpu_wire_session s = { .major = MVGPU_WIRE_MAJOR,
					.minor = MVGPU_WIRE_MINOR,
					.count = x->n };
	uint8_t buf[32];
	unsigned i;
	int n, ret;

	if (x->n > 1) {
		n = mvgpu_wire_encode_session(&s, buf, sizeof(buf));
		if (n < 0)
			return mvgpu__err(x->ctx, -EINVAL, "cannot encode SESSION");
		ret = wconn_send(x->c, MVGPU_WIRE_SESSION, buf, (uint32_t)n, -1);
		if (ret)
			return ret;
	}
	for (i = 0; i < x->n; i++) {
		ret = send_hello(x, &x->v[i]);
		if (ret)
			return ret;
	}
	return 0;
}

/* The source runs with --insecure over TCP (not a unix socket). */
static bool plain_tcp(const struct xf *x)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	return x->mo->security && x->mo->security->insecure &&
	       !getsockname(x->c->fd, (struct sockaddr *)&ss, &sl) &&
	       ss.ss_family != AF_UNIX;
}

/* An ACCEPT for each vGPU, in order: its part of the stats in @each. */
static int recv_accepts(struct xf *x, mvgpu_migrate_stats *st,
			mvgpu_migrate_stats *each)
{
	struct mvgpu_wire_accept a;
	char why[256];
	struct wmsg m;
	unsigned i;
	int ret;

	for (i = 0; i < x->n; i++) {
		ret = wconn_recv_ctrl(x->c, &m, MVGPU_WIRE_ACCEPT);
		if ((ret == -ECONNRESET || ret == -EPIPE) && plain_tcp(x))
			return mvgpu__err(x->ctx, ret,
					  "%s: a target that requires TLS hangs up on a plain connection; if it does, migrate without --insecure",
					  mvgpu_last_error(x->ctx));
		if (ret == -EBADMSG && x->n > 1 && !i && x->c->peer_error)
			return mvgpu__err(x->ctx, ret,
					  "%s; if the target runs an mvgpu older than wire protocol 1.1, it takes one vGPU per migration, not a session of %u: run the same mvgpu on both hosts",
					  mvgpu_last_error(x->ctx), x->n);
		if (ret)
			return ret;
		if (mvgpu_wire_decode_accept(m.payload, m.h.length, &a, why, sizeof(why)))
			return mvgpu__err(x->ctx, -EBADMSG, "the target's ACCEPT: %s", why);
		snprintf(each[i].target_uuid, sizeof(each[i].target_uuid), "%s",
			 a.target_uuid);
		snprintf(each[i].target_version, sizeof(each[i].target_version),
			 "%s", a.version);
		each[i].created = !!(a.flags & MVGPU_WIRE_ACCEPT_CREATED);
		if (!i)
			snprintf(st->target_host, sizeof(st->target_host), "%s", a.host);
	}
	return 0;
}

/* A failure before COMMIT went out: every vGPU runs on here as before. */
static void source_resume(struct xf *x)
{
	char keep[MVGPU_ERR_MAX];
	unsigned i;

	snprintf(keep, sizeof(keep), "%s", mvgpu_last_error(x->ctx));
	for (i = 0; i < x->n; i++) {
		if (x->v[i].data_fd >= 0)
			close(x->v[i].data_fd);
		x->v[i].data_fd = -1;
	}
	xf_run_all(x, true);
	for (i = 0; i < x->n; i++) {
		struct xf_vgpu *v = &x->v[i];

		if (v->paused && v->mv->resume)
			v->mv->resume(v->mv->opaque);
		v->paused = false;
	}
	mvgpu__err(x->ctx, 0, "%s", keep);
}

/*
 * After COMMIT went out whole: the target's answer.  COMMITTED: the
 * vGPUs run there.  A well-formed ERROR: they do not - a target sends one
 * after COMMIT only once its copies are discarded (target_discard()) - so
 * the source runs them again.  Anything else (silence until the timeout,
 * the connection closed or reset, a damaged or unexpected message) leaves
 * it open whether COMMIT took effect there: *@in_doubt.
 * Return: 0, the target's -errno, or -EREMOTEIO (in doubt); detail in ctx.
 */
static int await_committed(struct wconn *c, const char *host, unsigned n,
			   int *in_doubt)
{
	struct wmsg m;
	int ret;

	*in_doubt = 0;
	ret = wconn_recv_ctrl(c, &m, MVGPU_WIRE_COMMITTED);
	if (!ret)
		return 0;
	if (c->peer_error)
		return mvgpu__err(c->ctx, ret,
				  "the target refused the commit (%s): it does not run the %s",
				  mvgpu_last_error(c->ctx), n > 1 ? "vGPUs" : "vGPU");
	*in_doubt = 1;
	return mvgpu__err(c->ctx, -EREMOTEIO,
			  "the commit was sent but not confirmed (%s): the %s run on %s now, so %s stopped here",
			  mvgpu_last_error(c->ctx), n > 1 ? "vGPUs may" : "vGPU may",
			  host && host[0] ? host : "the target",
			  n > 1 ? "they stay" : "it stays");
}

/* Before COMMIT: tell the target why the source gives up (unless it is
 * the one that said so), so that it discards at once.  After a message
 * cut short nothing can be said: the target sees the connection close. */
static void source_gives_up(struct xf *x, int err)
{
	if (!x->c->peer_error && !x->cut_mid_message)
		wconn_send_error(x->c, err, mvgpu_last_error(x->ctx));
}

/* One run of the pipeline for x->cur: its bytes counted, a failure said. */
static int send_run(struct xf *x, struct uio_cfg *cfg, mvgpu_migrate_stats *st)
{
	struct uio_counts c = { 0 };
	char why[UIO_WHY_MAX];
	int ret;

	x->msg_bytes = 0;
	x->last_move_ns = xf_now_ns();
	ret = uio_run(cfg, &c, why);
	x->cur->stream_bytes += c.in_bytes;
	x->done_stream += c.in_bytes;
	x->done_wire += c.out_bytes;
	x->tot_stream = x->done_stream;
	x->tot_wire = x->done_wire;
	st->registered |= c.registered;
	st->zc_sends += c.zc_sends;
	x->c->sent_bytes += c.out_bytes;
	/* a failed data path may have left a DATA message half written:
	 * anything sent after it would be read as its payload */
	x->cut_mid_message = c.out_bytes != x->msg_bytes;
	if (!ret)
		return 0;
	/* the target may have said why it hung up (unless this side was
	 * interrupted; why says which) */
	if (!(x->cancel_flag && *x->cancel_flag) && !x->c->peer_error) {
		int perr = wconn_peek_error(x->c, 500);

		if (perr)
			return perr;
	}
	if (ret == -EPIPE || ret == -ECONNRESET)
		return mvgpu__err(x->ctx, ret,
				  "the target closed the connection (%s) without saying why; check its log",
				  strerror(-ret));
	return mvgpu__err(x->ctx, ret, "%s", why);
}

static int await_loaded(struct xf *x, mvgpu_migrate_stats *st)
{
	char why[256];
	struct wmsg m;
	unsigned keep;
	int ret;

	keep = x->c->timeout_ms;
	x->c->timeout_ms = keep * XF_LOAD_FACTOR;
	ret = wconn_recv_ctrl(x->c, &m, MVGPU_WIRE_LOADED);
	x->c->timeout_ms = keep;
	if (!ret) {
		__u64 ns;

		if (mvgpu_wire_decode_ns(m.payload, m.h.length, &ns, why, sizeof(why)))
			return mvgpu__err(x->ctx, -EBADMSG, "the target's LOADED: %s", why);
		st->target_load_ns = ns;
	}
	return ret;
}

/* One vGPU: pre-copy passes and stop-copy in one run of the pipeline. */
static int run_one(struct xf *x, mvgpu_migrate_stats *st)
{
	struct xf_vgpu *v = x->v;
	struct uio_cfg cfg;
	int ret;

	if (x->mo->precopy) {
		x->phase = "pre-copy";
		ret = mvgpu_mig_set_state(v->dev, MVGPU_MIG_PRE_COPY, &v->data_fd);
	} else {
		ret = mvgpu_mig_set_state(v->dev, MVGPU_MIG_STOP, NULL);
		if (!ret)
			ret = xf_stop(NULL, x);
	}
	if (!ret && v->data_fd < 0)
		ret = mvgpu__err(x->ctx, -EPROTO, "the vGPU gave no migration data fd");
	if (ret)
		return ret;
	xf_send_cfg(&cfg, x, v->data_fd, &send_ops, x->cancel_flag);
	if (x->mo->precopy)
		cfg.pass_bytes = mvgpu__pass_bytes(v->data_fd);
	ret = send_run(x, &cfg, st);
	if (!ret)
		ret = xf_send_tail(x, v);
	return ret ? ret : await_loaded(x, st);
}

/* A session: STREAM @v, then a run of the pipeline over its data fd
 * (@pass_bytes: one pre-copy pass of that many bytes; 0: to its end). */
static int session_run(struct xf *x, struct xf_vgpu *v, uint64_t pass_bytes,
		       mvgpu_migrate_stats *st)
{
	struct uio_cfg cfg;
	uint8_t buf[16];
	int n, ret;

	x->cur = v;
	n = mvgpu_wire_encode_stream(v->index, buf, sizeof(buf));
	ret = wconn_send(x->c, MVGPU_WIRE_STREAM, buf, (uint32_t)n, -1);
	if (ret)
		return ret;
	xf_send_cfg(&cfg, x, v->data_fd, &send_ops, x->cancel_flag);
	cfg.pass_bytes = pass_bytes;
	return send_run(x, &cfg, st);
}

struct session_pass {
	struct xf *x;
	mvgpu_migrate_stats *st;
};

static int session_pass(void *opaque, unsigned i, uint64_t bytes)
{
	struct session_pass *sp = opaque;

	return session_run(sp->x, &sp->x->v[i], bytes, sp->st);
}

/* A session's pre-copy: every vGPU PRE_COPY, then rounds of passes. */
static int session_precopy(struct xf *x, mvgpu_migrate_stats *st)
{
	struct session_pass sp = { x, st };
	int fds[MVGPU_SESSION_MAX];
	unsigned i, bad = 0;
	int ret;

	x->phase = "pre-copy";
	for (i = 0; i < x->n; i++) {
		struct xf_vgpu *v = &x->v[i];

		ret = mvgpu_mig_set_state(v->dev, MVGPU_MIG_PRE_COPY, &v->data_fd);
		if (!ret && v->data_fd < 0)
			ret = mvgpu__err(x->ctx, -EPROTO, "the vGPU gave no migration data fd");
		if (ret)
			return xf_vgpu_err(x, v, ret);
		fds[i] = v->data_fd;
	}
	ret = mvgpu__precopy_rounds(fds, x->n, x->mo->max_passes ? x->mo->max_passes : 1,
				    x->mo->switchover_bytes, session_pass, &sp, &bad);
	if (ret && bad < x->n)
		ret = xf_vgpu_err(x, &x->v[bad], mvgpu__err(x->ctx, ret,
				  "pre-copy info: %s", strerror(-ret)));
	return ret;
}

/* A session's stop: every workload paused, every vGPU quiet, then every
 * vGPU in stop-copy - one window for all. */
static int session_stop(struct xf *x)
{
	uint64_t est = 0, e;
	unsigned i;
	int ret;

	for (i = 0; i < x->n; i++) {
		ret = pause_workload(x, &x->v[i]);
		if (ret)
			return ret;
	}
	for (i = 0; i < x->n; i++) {
		e = 0;
		mvgpu_mig_stop_copy_size(x->v[i].dev, &e);
		est += e;
		x->v[i].precopy_bytes = x->v[i].stream_bytes;
	}
	x->t_stop = xf_now_ns();
	x->stopped = true;
	ret = xf_quiet_all(x, x->mo->precopy ? MVGPU_MIG_PRE_COPY_P2P :
					       MVGPU_MIG_RUNNING_P2P);
	if (ret)
		return ret;
	for (i = 0; i < x->n; i++) {
		struct xf_vgpu *v = &x->v[i];

		ret = mvgpu_mig_set_state(v->dev, MVGPU_MIG_STOP_COPY,
					  x->mo->precopy ? NULL : &v->data_fd);
		if (!ret && v->data_fd < 0)
			ret = mvgpu__err(x->ctx, -EPROTO, "the vGPU gave no migration data fd");
		if (ret)
			return xf_vgpu_err(x, v, ret);
		v->stopped = true;
	}
	x->phase = "stop-copy";
	x->cur = NULL;
	xf_emit(x, NULL, MVGPU_IMAGE_EV_STOP, "stop-copy", 0, est);
	if (x->fault == XF_FAULT_HOLD)
		xf_hold(x, "stop-copy");
	return 0;
}

static int run_session(struct xf *x, mvgpu_migrate_stats *st)
{
	unsigned i;
	int ret;

	if (x->mo->precopy) {
		ret = session_precopy(x, st);
		if (ret)
			return ret;
	}
	ret = session_stop(x);
	for (i = 0; !ret && i < x->n; i++) {
		x->phase = "stop-copy";
		ret = session_run(x, &x->v[i], 0, st);
		if (!ret)
			ret = xf_send_tail(x, &x->v[i]);
	}
	x->cur = NULL;
	return ret ? ret : await_loaded(x, st);
}

/* The stats: each vGPU's part, the session's sums and its own fields. */
static void source_stats(const struct xf *x, mvgpu_migrate_stats *st,
			 mvgpu_migrate_stats *each)
{
	unsigned i;

	if (x->t_data_end)
		st->stop_copy_ns = x->t_data_end - x->t_stop;
	st->elapsed_ns = xf_now_ns() - x->t0;
	for (i = 0; i < x->n; i++) {
		const struct xf_vgpu *v = &x->v[i];
		mvgpu_migrate_stats *e = &each[i];

		e->passes = v->passes;
		e->stream_bytes = v->stream_bytes;
		e->precopy_bytes = v->stopped ? v->precopy_bytes : v->stream_bytes;
		e->stop_copy_bytes = e->stream_bytes - e->precopy_bytes;
		e->wire_bytes = v->wire_bytes;
		if (e->passes > st->passes)
			st->passes = e->passes;
		st->stream_bytes += e->stream_bytes;
		st->precopy_bytes += e->precopy_bytes;
		st->stop_copy_bytes += e->stop_copy_bytes;
		st->wire_bytes += e->wire_bytes;
	}
	if (x->n == 1) {
		snprintf(st->target_uuid, sizeof(st->target_uuid), "%s",
			 each[0].target_uuid);
		snprintf(st->target_version, sizeof(st->target_version), "%s",
			 each[0].target_version);
		st->created = each[0].created;
	}
}

static int migrate_on(const mvgpu_migrate_vgpu *mv, unsigned n, int sock,
		      const mvgpu_migrate_opts *opts, mvgpu_migrate_stats *st,
		      mvgpu_migrate_stats *each)
{
	static const mvgpu_migrate_opts defaults = {
		.precopy = 1, .max_passes = 8, .switchover_bytes = 1u << 20,
	};
	struct xf_vgpu v[MVGPU_SESSION_MAX];
	mvgpu_ctx *ctx = mv[0].dev->ctx;
	struct wconn conn;
	struct xf x;
	unsigned i;
	int ret;

	memset(v, 0, sizeof(v));
	xf_start(&x, ctx, &conn, sock, opts ? opts->timeout_ms : defaults.timeout_ms,
		 "the target", v, n);
	for (i = 0; i < n; i++) {
		v[i].dev = mv[i].dev;
		v[i].mv = &mv[i];
	}
	x.mo = opts ? opts : &defaults;
	x.event = x.mo->event;
	x.opaque = x.mo->opaque;
	x.fault = xf_fault_from_env();
	conn.cancel = x.cancel_flag = x.mo->cancel ? x.mo->cancel : ctx->cancel;
	net_tune(sock, x.timeout_ms);

	if (xf_lz4_init(&x))
		return -ENOMEM;

	x.phase = "connecting";
	ret = send_hellos(&x);
	if (!ret)
		ret = recv_accepts(&x, st, each);
	if (ret) {
		source_gives_up(&x, ret);	/* nothing was touched */
		goto out;
	}
	xf_emit(&x, NULL, MVGPU_IMAGE_EV_ACCEPTED, "accepted", 0, 0);

	ret = n == 1 ? run_one(&x, st) : run_session(&x, st);
	if (ret) {
		source_resume(&x);
		source_gives_up(&x, ret);
		goto out;
	}
	/* the commit: from here on the target may run the vGPUs, and only
	 * its answer says whether it does - a cancel no longer ends the
	 * wait for it (bounded by the timeout) */
	conn.cancel = NULL;
	ret = wconn_send(&conn, MVGPU_WIRE_COMMIT, NULL, 0, -1);
	if (ret) {
		/* COMMIT did not leave whole: the target cannot run them */
		source_resume(&x);
		goto out;
	}
	ret = await_committed(&conn, st->target_host, n, &st->in_doubt);
	if (ret && !st->in_doubt) {
		/* the target said no: it runs nothing of ours, we do again */
		source_resume(&x);
		goto out;
	}
	if (ret)
		goto out;	/* in doubt: stopped here, never two copies */
	st->downtime_ns = xf_now_ns() - x.t_stop;
	x.phase = "done";
	x.cur = n == 1 ? v : NULL;
	xf_emit(&x, NULL, MVGPU_IMAGE_EV_COMMITTED, "committed", 0, 0);
out:
	for (i = 0; i < n; i++) {
		if (v[i].data_fd >= 0)
			close(v[i].data_fd);
		free(v[i].state);
	}
	source_stats(&x, st, each);
	LZ4F_freeCompressionContext(x.cctx);
	return ret;
}

/* No vGPU twice, no two going to one target. */
static int check_set(mvgpu_ctx *ctx, const mvgpu_migrate_vgpu *v, unsigned n)
{
	char t[MVGPU_SESSION_MAX][MVGPU_UUID_LEN];
	unsigned i, j;

	for (i = 0; i < n; i++) {
		const char *u = mvgpu_dev_get_info(v[i].dev)->uuid;

		if (!v[i].target_uuid || mvgpu_uuid_canonical(v[i].target_uuid, t[i]))
			snprintf(t[i], sizeof(t[i]), "%s", u);
		for (j = 0; j < i; j++) {
			if (!strcmp(mvgpu_dev_get_info(v[j].dev)->uuid, u))
				return mvgpu__err(ctx, -EINVAL,
						  "vGPU %s is in the session twice", u);
			if (!strcmp(t[j], t[i]))
				return mvgpu__err(ctx, -EINVAL,
						  "vGPUs %s and %s would both go to vGPU %s on the target",
						  mvgpu_dev_get_info(v[j].dev)->uuid, u, t[i]);
		}
	}
	return 0;
}

int mvgpu_migrate_n(const mvgpu_migrate_vgpu *v, unsigned n, int sock,
		    const mvgpu_migrate_opts *opts, mvgpu_migrate_stats *stats,
		    mvgpu_migrate_stats *each)
{
	mvgpu_migrate_stats st = { 0 }, e[MVGPU_SESSION_MAX];
	unsigned timeout = opts && opts->timeout_ms ? opts->timeout_ms : 30000;
	mvgpu_ctx *ctx;
	struct ntls *t;
	unsigned i;
	int fd, ret;

	if (!v || !n || n > MVGPU_SESSION_MAX || sock < 0)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (!v[i].dev)
			return -EINVAL;
	ctx = v[0].dev->ctx;
	memset(e, 0, sizeof(e));
	ret = check_set(ctx, v, n);
	if (ret)
		goto out;
	net_tune(sock, timeout);
	ret = ntls_start(ctx, sock, opts ? opts->security : NULL, true, timeout,
			 "the target", opts ? opts->cancel : NULL, &t, &fd);
	if (ret)
		goto out;	/* nothing was sent, nothing stopped */
	ret = migrate_on(v, n, fd, opts, &st, e);
	if (ret && !st.in_doubt)
		ret = ntls_explain(t, ret);
	snprintf(st.peer_dn, sizeof(st.peer_dn), "%s", ntls_peer_dn(t));
	st.ktls = ntls_ktls(t);
	ntls_end(t);
out:
	for (i = 0; i < n; i++) {
		/* what the session shares, in each vGPU's part too */
		snprintf(e[i].target_host, sizeof(e[i].target_host), "%s", st.target_host);
		snprintf(e[i].peer_dn, sizeof(e[i].peer_dn), "%s", st.peer_dn);
		e[i].in_doubt = st.in_doubt;
		e[i].downtime_ns = st.downtime_ns;
		e[i].stop_copy_ns = st.stop_copy_ns;
		e[i].target_load_ns = st.target_load_ns;
		e[i].elapsed_ns = st.elapsed_ns;
		e[i].registered = st.registered;
		e[i].zc_sends = st.zc_sends;
		e[i].ktls = st.ktls;
		if (each)
			each[i] = e[i];
	}
	if (stats)
		*stats = st;
	return ret;
}

int mvgpu_migrate(mvgpu_dev *dev, int sock, const mvgpu_migrate_opts *opts,
		  mvgpu_migrate_stats *stats)
{
	mvgpu_migrate_vgpu v = { .dev = dev };

	if (opts) {
		v.target_uuid = opts->target_uuid;
		v.pause = opts->pause;
		v.resume = opts->resume;
		v.opaque = opts->opaque;
	}
	return mvgpu_migrate_n(&v, 1, sock, opts, stats, NULL);
}

int xf_commit(mvgpu_ctx *ctx, int sock, unsigned timeout_ms, int *in_doubt)
{
	struct wconn c;
	int ret;

	wconn_init(&c, ctx, sock, timeout_ms, "the target");
	c.cancel = NULL;	/* as mvgpu_migrate() at the commit */
	ret = wconn_send(&c, MVGPU_WIRE_COMMIT, NULL, 0, -1);
	if (ret) {
		*in_doubt = 0;	/* not whole: the target cannot act on it */
		return ret;
	}
	return await_committed(&c, "the target", 1, in_doubt);
}
