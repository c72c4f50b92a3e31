// SPDX-License-Identifier: MIT
/*
 * transfer_target.c - the target of a live migration (mvgpu.h):
 * mvgpu_receive() takes one vGPU, mvgpu_receive_n() one vGPU or a session
 * of several (wire protocol 1.1), over transfer.c's data path.
 *
 *   HELLO, or SESSION and a HELLO for each vGPU: each checked (type,
 *   migration_version, framebuffer), found or created, opened - all of
 *   them before any is loaded - then an ACCEPT for each;
 *   every vGPU RESUMING; the data, each stream into its vGPU's data fd;
 *   every vGPU RESUMING -> STOP (the kernel validates and applies);
 *   LOADED; COMMIT; every vGPU running; COMMITTED.
 * Any failure discards every vGPU of the migration (target_discard()).
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "device.h"
#include "mvgpu_compat.h"
#include "tls.h"
#include "transfer.h"

/* A refusal: tell the source (with the same words) and return @err.  In
 * a session the words name the vGPU (@v, if the refusal is about one). */
static int refuse(struct xf *x, const struct xf_vgpu *v, int err,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int refuse(struct xf *x, const struct xf_vgpu *v, int err,
		  const char *fmt, ...)
{
	char text[MVGPU_WIRE_MSG_MAX];
	size_t o = 0;
	va_list ap;

	if (v && x->n > 1)
		o = (size_t)snprintf(text, sizeof(text), "vGPU %s (%u of %u): ",
				     v->res->source_uuid, v->index + 1, x->n);
	va_start(ap, fmt);
	vsnprintf(text + o, sizeof(text) - o, fmt, ap);
	va_end(ap);
	mvgpu__err(x->ctx, err, "%s", text);
	wconn_send_error(x->c, err, text);
	return err;
}

/*
 * After a failure: nothing of the source's may run here.  The vGPU is
 * reset unless it never left its own state (RUNNING before any COMMIT:
 * it was refused before loading), or unless what arrived was never
 * applied and the device is ours: the kernel keeps a resuming stream
 * apart from the device until RESUMING -> STOP applies it, and drops it
 * when the device closes (receive_on() closes it next), so the vGPU
 * stays as it was - framebuffer and all - where a reset would clear it.
 * Return: true once nothing of the source's is here (res->reset and
 * res->discarded say what was done).
 */
static bool target_discard(struct xf *x, struct xf_vgpu *v)
{
	char keep[MVGPU_ERR_MAX];
	uint32_t state = 0;
	int err;

	if (v->data_fd >= 0)
		close(v->data_fd);
	v->data_fd = -1;
	if (!v->dev)
		return true;
	if (!mvgpu_mig_get_state(v->dev, &state) && state == MVGPU_MIG_RUNNING &&
	    !x->commit_seen)
		return true;
	if (v->own_dev && !v->applied && !x->commit_seen) {
		v->res->discarded = 1;
		return true;
	}
	snprintf(keep, sizeof(keep), "%s", mvgpu_last_error(x->ctx));
	err = mvgpu_dev_reset(v->dev, MVGPU_RESET_VFIO);
	v->res->reset = err ? -1 : 1;
	mvgpu__err(x->ctx, 0, "%s", keep);
	return !err;
}

/* Say why and hang up so that the source reads it: stop sending, then
 * drain what it still sends for a moment. */
static void hang_up(struct xf *x, int err)
{
	char buf[65536];
	int64_t end = (int64_t)(xf_now_ns() / 1000000) + 2000;

	if (ntls_broken(x->tls, err))
		/* the connection is what failed: the peer gets TLS's alert */
		ntls_explain(x->tls, err);
	else
		wconn_send_error(x->c, err, mvgpu_last_error(x->ctx));
	shutdown(x->c->fd, SHUT_WR);
	while ((int64_t)(xf_now_ns() / 1000000) < end) {
		struct pollfd p = { .fd = x->c->fd, .events = POLLIN };

		if (poll(&p, 1, 200) <= 0)
			continue;
		if (recv(x->c->fd, buf, sizeof(buf), MSG_DONTWAIT) <= 0)
			break;
	}
}

static int check_version(struct xf *x, const struct xf_vgpu *v,
			 const char *uuid, const struct mvgpu_wire_hello *h,
			 char *local, size_t llen)
{
	struct mvgpu_compat_info li;
	char why[MVGPU_COMPAT_WHY_MAX], path[PATH_MAX];
	int ret;

	ret = mvgpu_vgpu_migration_version(x->ctx, uuid, local, llen);
	if (ret < 0)
		return refuse(x, v, ret, "cannot read the migration_version of vGPU %s on %s",
			      uuid, x->source_host[0] ? "the target" : "this host");
	if (mvgpu_compat_parse(local, (size_t)ret, &li, why, sizeof(why)))
		return refuse(x, v, -EINVAL, "the target's migration_version is malformed: %s",
			      why);
	if (mvgpu_compat_check_string(&li, h->version, strlen(h->version), why,
				      sizeof(why)))
		return refuse(x, v, -EINVAL,
			      "incompatible vGPU: %s (source migration_version: %s; target: %s)",
			      why, h->version, local);
	/* the kernel's word too: it judges the stream it will take */
	ret = mvgpu__path(x->ctx, path, sizeof(path),
			  "/bus/mdev/devices/%s/migration_version", uuid);
	if (!ret)
		ret = mvgpu__write_attr(x->ctx, path, h->version);
	if (ret)
		return refuse(x, v, ret == -EINVAL ? -EINVAL : ret,
			      "the target's mvgpu module refuses the source (source migration_version: %s; target: %s)",
			      h->version, local);
	return 0;
}

/* The vGPU here for the source's @v: the receiver's, else the one the
 * source names. */
static const char *wanted(const struct mvgpu_receive_target *t,
			  const struct mvgpu_wire_hello *h)
{
	return t->dev ? mvgpu_dev_get_info(t->dev)->uuid :
	       t->uuid ? t->uuid : h->target_uuid[0] ? h->target_uuid :
	       h->source_uuid;
}

/* HELLO -> a vGPU here that can take it, open; its ACCEPT in @a. */
static int accept_one(struct xf *x, struct xf_vgpu *v,
		      const mvgpu_receive_opts *o,
		      const struct mvgpu_receive_target *t,
		      const struct mvgpu_wire_hello *h,
		      struct mvgpu_wire_accept *a)
{
	mvgpu_receive_result *r = v->res;
	const char *want = wanted(t, h);
	mvgpu_vgpu_info vi;
	int ret;

	*a = (struct mvgpu_wire_accept){
		.major = MVGPU_WIRE_MAJOR,
		.minor = h->minor < MVGPU_WIRE_MINOR ? h->minor : MVGPU_WIRE_MINOR,
	};
	if (h->target_uuid[0] && strcmp(h->target_uuid, want))
		return refuse(x, v, -EINVAL, "the source asks for vGPU %s, this receiver serves %s",
			      h->target_uuid, want);
	ret = mvgpu_find_vgpu(x->ctx, want, &vi);
	if (ret == -ENOENT && o->create && !t->dev) {
		ret = mvgpu_create(x->ctx, h->type, NULL, want, &vi);
		if (ret)
			return refuse(x, v, ret, "cannot create a %s vGPU %s on the target: %s",
				      h->type, want, mvgpu_last_error(x->ctx));
		v->created = true;
		r->created = 1;
		a->flags |= MVGPU_WIRE_ACCEPT_CREATED;
	} else if (ret == -ENOENT) {
		return refuse(x, v, ret, "the target has no vGPU %s: create one of type %s there (mvgpu create --type %s --uuid %s) or run 'mvgpu receive --create'",
			      want, h->type, h->type, want);
	} else if (ret) {
		return refuse(x, v, ret, "vGPU %s on the target: %s", want,
			      mvgpu_last_error(x->ctx));
	}
	snprintf(r->uuid, sizeof(r->uuid), "%s", vi.uuid);
	snprintf(r->type_id, sizeof(r->type_id), "%s", vi.type_id);
	if (strcmp(vi.type_id, h->type))
		return refuse(x, v, -EINVAL,
			      "vGPU %s on the target is of type %s, the source's is %s (source migration_version: %s)",
			      vi.uuid, vi.type_id, h->type, h->version);
	ret = check_version(x, v, vi.uuid, h, a->version, sizeof(a->version));
	if (ret)
		return ret;
	if (t->dev) {
		v->dev = t->dev;
		a->flags |= MVGPU_WIRE_ACCEPT_AGENT;
	} else {
		ret = mvgpu_dev_open(x->ctx, vi.uuid, &v->dev);
		if (ret)
			return refuse(x, v, ret, "cannot open vGPU %s on the target: %s%s",
				      vi.uuid, mvgpu_last_error(x->ctx),
				      ret == -EBUSY ? " (its user must serve a migration agent)" : "");
		v->own_dev = true;
	}
	if (mvgpu_dev_get_info(v->dev)->fb_size != h->fb_size)
		return refuse(x, v, -EINVAL, "vGPU %s on the target has %llu framebuffer bytes, the source %llu",
			      vi.uuid,
			      (unsigned long long)mvgpu_dev_get_info(v->dev)->fb_size,
			      (unsigned long long)h->fb_size);
	snprintf(a->target_uuid, sizeof(a->target_uuid), "%s", vi.uuid);
	xf_host_name(a->host, sizeof(a->host));
	return 0;
}

static int decode_hello(struct xf *x, const struct wmsg *m,
			struct mvgpu_wire_hello *h)
{
	char why[256];

	if (mvgpu_wire_decode_hello(m->payload, m->h.length, h, why, sizeof(why)))
		return refuse(x, NULL, -EBADMSG, "malformed HELLO: %s", why);
	if (h->major != MVGPU_WIRE_MAJOR)
		return refuse(x, NULL, -EPROTONOSUPPORT,
			      "the source speaks wire protocol %u.%u, this receiver %u.%u",
			      h->major, h->minor, MVGPU_WIRE_MAJOR, MVGPU_WIRE_MINOR);
	return 0;
}

/* SESSION: how many vGPUs, each one's HELLO. */
static int read_session(struct xf *x, const struct wmsg *m,
			const mvgpu_receive_opts *o, unsigned max,
			struct mvgpu_wire_hello *h)
{
	struct mvgpu_wire_session s;
	char why[256];
	struct wmsg hm;
	unsigned i, j;
	int ret;

	if (mvgpu_wire_decode_session(m->payload, m->h.length, &s, why, sizeof(why)))
		return refuse(x, NULL, -EBADMSG, "malformed SESSION: %s", why);
	if (s.major != MVGPU_WIRE_MAJOR)
		return refuse(x, NULL, -EPROTONOSUPPORT,
			      "the source speaks wire protocol %u.%u, this receiver %u.%u",
			      s.major, s.minor, MVGPU_WIRE_MAJOR, MVGPU_WIRE_MINOR);
	if (s.count > max)
		return refuse(x, NULL, -E2BIG,
			      "the source sends a session of %u vGPUs; this receiver takes %u at most",
			      s.count, max);
	if (o->ntargets && s.count != o->ntargets)
		return refuse(x, NULL, -EINVAL,
			      "the source sends a session of %u vGPUs; this receiver serves %u",
			      s.count, o->ntargets);
	x->n = s.count;
	for (i = 0; i < x->n; i++) {
		ret = wconn_recv_ctrl(x->c, &hm, MVGPU_WIRE_HELLO);
		if (ret) {
			if (!x->c->peer_error)
				wconn_send_error(x->c, ret, mvgpu_last_error(x->ctx));
			return ret;
		}
		ret = decode_hello(x, &hm, &h[i]);
		if (ret)
			return ret;
		for (j = 0; j < i; j++)
			if (!strcasecmp(h[j].source_uuid, h[i].source_uuid))
				return refuse(x, NULL, -EINVAL,
					      "the source names vGPU %s twice in its session",
					      h[i].source_uuid);
	}
	return 0;
}

/* The first message (HELLO, or SESSION and the HELLOs), every vGPU here
 * checked and open, then the ACCEPTs. */
static int accept_sources(struct xf *x, const mvgpu_receive_opts *o,
			  unsigned max, struct mvgpu_wire_hello *h)
{
	uint8_t buf[MVGPU_WIRE_CTRL_MAX];
	struct mvgpu_receive_target tg[MVGPU_SESSION_MAX];
	struct mvgpu_wire_accept a[MVGPU_SESSION_MAX];
	struct wmsg m;
	unsigned i, j;
	int ret, n;

	ret = wconn_recv_ctrl(x->c, &m, 0);
	if (!ret && m.h.type == MVGPU_WIRE_SESSION) {
		ret = read_session(x, &m, o, max, h);
	} else if (!ret && m.h.type == MVGPU_WIRE_HELLO) {
		x->n = 1;
		ret = decode_hello(x, &m, &h[0]);
		if (!ret && o->ntargets > 1)
			ret = refuse(x, NULL, -EINVAL,
				     "the source sends one vGPU; this receiver serves %u",
				     o->ntargets);
	} else if (!ret) {
		ret = refuse(x, NULL, -EPROTO, "the source sent %s where HELLO was due",
			     mvgpu_wire_type_name(m.h.type));
	} else if (!x->c->peer_error) {
		/* say why (interrupted, timed out, a bad message) */
		wconn_send_error(x->c, ret, mvgpu_last_error(x->ctx));
	}
	if (ret)
		return ret;
	x->cur = x->n == 1 ? x->v : NULL;
	snprintf(x->source_host, sizeof(x->source_host), "%s", h[0].host);
	for (i = 0; i < x->n; i++) {
		mvgpu_receive_result *r = x->v[i].res;

		snprintf(r->source_uuid, sizeof(r->source_uuid), "%s", h[i].source_uuid);
		snprintf(r->source_host, sizeof(r->source_host), "%s", h[i].host);
		snprintf(r->source_version, sizeof(r->source_version), "%s", h[i].version);
		tg[i] = o->ntargets ? o->targets[i] :
			(struct mvgpu_receive_target){ x->n == 1 ? o->uuid : NULL,
						       x->n == 1 ? o->dev : NULL };
		for (j = 0; j < i; j++)
			if (!strcasecmp(wanted(&tg[j], &h[j]), wanted(&tg[i], &h[i])))
				return refuse(x, NULL, -EINVAL,
					      "vGPUs %s and %s of the source would both load vGPU %s here",
					      h[j].source_uuid, h[i].source_uuid,
					      wanted(&tg[i], &h[i]));
	}
	/* every one checked and open before any stream: a guest's peers must
	 * be open in this process when its stream names them */
	for (i = 0; i < x->n; i++) {
		ret = accept_one(x, &x->v[i], o, &tg[i], &h[i], &a[i]);
		if (ret)
			return ret;
	}
	for (i = 0; i < x->n; i++) {
		n = mvgpu_wire_encode_accept(&a[i], buf, sizeof(buf));
		if (n < 0)
			return refuse(x, &x->v[i], -EINVAL, "cannot encode ACCEPT");
		ret = wconn_send(x->c, MVGPU_WIRE_ACCEPT, buf, (uint32_t)n, -1);
		if (ret)
			return ret;
	}
	return 0;
}

/* Every vGPU RESUMING -> STOP: the kernel validates each whole stream,
 * then applies it.  ($MVGPU_FAULT=refuse-load plays the kernel refusing
 * the last one, the others applied, for the tests.) */
static int load_all(struct xf *x)
{
	unsigned i;
	int ret;

	for (i = 0; i < x->n; i++) {
		struct xf_vgpu *v = &x->v[i];
		uint64_t t = xf_now_ns();

		x->cur = v;
		if (i == x->n - 1 && xf_fault_is("refuse-load"))
			ret = mvgpu__err(x->ctx, -EXDEV,
					 "fault injection: the stream is refused at the load");
		else
			ret = mvgpu_mig_set_state(v->dev, MVGPU_MIG_STOP, NULL);
		v->res->load_ns = xf_now_ns() - t;
		close(v->data_fd);
		v->data_fd = -1;
		if (ret == -EXDEV)
			ret = mvgpu__err(x->ctx, ret, "%s: the guest's peers are not all given here: each must be in this migration (open in this process), as large and over as many links as on the source (the kernel log names the peer)",
					 mvgpu_last_error(x->ctx));
		if (ret)
			return xf_vgpu_err(x, v, mvgpu__err(x->ctx, ret,
					   "the vGPU refused the stream: %s",
					   mvgpu_last_error(x->ctx)));
		v->applied = true;
		xf_emit(x, NULL, MVGPU_IMAGE_EV_LOADED, "loaded", 0, 0);
	}
	x->cur = x->n == 1 ? x->v : NULL;
	return 0;
}

static int run_target(struct xf *x)
{
	int fds[MVGPU_SESSION_MAX];
	struct uio_counts c = { 0 };
	char why[UIO_WHY_MAX];
	struct uio_cfg cfg;
	uint64_t t;
	struct wmsg m;
	uint8_t ns[8];
	unsigned keep, i;
	int ret;

	x->phase = "receiving";
	for (i = 0; i < x->n; i++) {
		struct xf_vgpu *v = &x->v[i];

		ret = mvgpu_mig_set_state(v->dev, MVGPU_MIG_RESUMING, &v->data_fd);
		if (!ret && v->data_fd < 0)
			ret = mvgpu__err(x->ctx, -EPROTO, "the vGPU gave no migration data fd");
		if (ret)
			return xf_vgpu_err(x, v, ret);
		fds[i] = v->data_fd;
	}
	x->last_move_ns = xf_now_ns();
	xf_recv_cfg(&cfg, x, fds);
	ret = uio_run(&cfg, &c, why);
	x->tot_stream = c.out_bytes;
	x->tot_wire = c.in_bytes;
	x->c->recv_bytes += c.in_bytes;
	for (i = 0; i < x->n; i++)
		x->v[i].res->stream_bytes = x->n == 1 ? c.out_bytes :
					    x->v[i].stream_out;
	if (ret)	/* "interrupted" (here), or what the source said */
		return mvgpu__err(x->ctx, ret, "%s", why);
	for (i = 0; i < x->n; i++)
		x->v[i].res->passes = x->v[i].end.passes;
	x->phase = "loading";
	t = xf_now_ns();
	ret = load_all(x);
	if (ret)
		return ret;
	mvgpu_wire_encode_ns(xf_now_ns() - t, ns, sizeof(ns));
	ret = wconn_send(x->c, MVGPU_WIRE_LOADED, ns, sizeof(ns), -1);
	if (ret)
		return ret;
	x->phase = "committing";
	keep = x->c->timeout_ms;
	x->c->timeout_ms = keep * XF_LOAD_FACTOR;
	ret = wconn_recv_ctrl(x->c, &m, MVGPU_WIRE_COMMIT);
	x->c->timeout_ms = keep;
	if (ret)
		return mvgpu__err(x->ctx, ret,
				  "no commit from the source (%s): it keeps the %s",
				  mvgpu_last_error(x->ctx), x->n > 1 ? "vGPUs" : "vGPU");
	/* from here on an ERROR tells the source that this side does not
	 * run the vGPUs: it is sent only once the copies here are discarded */
	x->commit_seen = true;
	if (xf_fault_is("fail-commit"))
		return mvgpu__err(x->ctx, -EIO,
				  "fault injection: the vGPU could not start at the commit");
	ret = xf_run_all(x, false);
	if (ret)
		return mvgpu__err(x->ctx, ret, "the vGPU could not start at the commit: %s",
				  mvgpu_last_error(x->ctx));
	t = xf_now_ns() - t;
	mvgpu_wire_encode_ns(t, ns, sizeof(ns));
	/* running here now: a lost COMMITTED leaves the source in doubt, and
	 * stopped, which is what it must be ($MVGPU_FAULT=drop-committed
	 * on the target plays that loss for the tests) */
	if (!xf_fault_is("drop-committed"))
		wconn_send(x->c, MVGPU_WIRE_COMMITTED, ns, sizeof(ns), -1);
	else
		mvgpu__warn(x->ctx, "fault injection: COMMITTED not sent");
	x->phase = "done";
	xf_emit(x, NULL, MVGPU_IMAGE_EV_COMMITTED, "committed", 0, 0);
	return 0;
}

/* After a failure, each vGPU: closed if ours, removed if created for it. */
static void target_release(struct xf *x, int ret)
{
	char keep[MVGPU_ERR_MAX];
	unsigned i;

	snprintf(keep, sizeof(keep), "%s", mvgpu_last_error(x->ctx));
	for (i = 0; i < x->n; i++) {
		struct xf_vgpu *v = &x->v[i];

		if (v->own_dev)
			mvgpu_dev_close(v->dev);
		v->dev = NULL;
		if (ret && v->created)
			mvgpu_remove(x->ctx, v->res->uuid, 1);
		if (ret) {
			free(v->res->state);
			v->res->state = NULL;
			v->res->state_len = 0;
		}
	}
	if (ret)
		mvgpu__err(x->ctx, ret, "%s", keep);
}

static int receive_on(mvgpu_ctx *ctx, int sock, const mvgpu_receive_opts *o,
		      mvgpu_receive_result *res, unsigned max, unsigned *np,
		      struct ntls *tls)
{
	struct xf_vgpu v[MVGPU_SESSION_MAX];
	struct mvgpu_wire_hello *h;
	struct wconn conn;
	struct xf x;
	unsigned i;
	int ret;

	h = calloc(MVGPU_SESSION_MAX, sizeof(*h));
	if (!h)
		return -ENOMEM;
	memset(v, 0, sizeof(v));
	xf_start(&x, ctx, &conn, sock, o->timeout_ms, "the source", v, max);
	for (i = 0; i < max; i++)
		v[i].res = &res[i];
	x.n = 0;	/* until the source says */
	x.tls = tls;
	x.event = o->event;
	x.opaque = o->opaque;
	conn.cancel = x.cancel_flag = o->cancel ? o->cancel : ctx->cancel;
	net_tune(sock, x.timeout_ms);
	if (xf_recv_alloc(&x)) {
		free(h);
		return -ENOMEM;
	}
	x.phase = "accepting";
	ret = accept_sources(&x, o, max, h);
	if (!ret) {
		ret = run_target(&x);
		if (ret) {
			/* discard what arrived first, then say so: after
			 * COMMIT an ERROR means "not running here", so with a
			 * copy that could not be discarded nothing is said
			 * (the source is in doubt) */
			bool clean = true;

			for (i = 0; i < x.n; i++)
				clean = target_discard(&x, &v[i]) && clean;
			if (clean || !x.commit_seen)
				hang_up(&x, ret);
		}
	}
	target_release(&x, ret);
	*np = x.n ? x.n : 1;
	for (i = 0; i < *np; i++)
		res[i].elapsed_ns = xf_now_ns() - x.t0;
	xf_recv_free(&x);
	free(h);
	return ret;
}

int mvgpu_receive_n(mvgpu_ctx *ctx, int sock, const mvgpu_receive_opts *opts,
		    mvgpu_receive_result *res, unsigned max, unsigned *n)
{
	static const mvgpu_receive_opts defaults;
	const mvgpu_receive_opts *o = opts ? opts : &defaults;
	unsigned timeout = o->timeout_ms ? o->timeout_ms : 30000;
	struct ntls *t;
	unsigned i, got = 1;
	int fd, ret;

	if (!ctx || sock < 0 || !res || !max || max > MVGPU_SESSION_MAX ||
	    o->ntargets > max || (o->ntargets && !o->targets))
		return -EINVAL;
	memset(res, 0, max * sizeof(*res));
	net_tune(sock, timeout);
	ret = ntls_start(ctx, sock, o->security, false, timeout, "the source",
			 o->cancel, &t, &fd);
	if (ret)
		goto out;	/* nothing was told, nothing changed here */
	ret = receive_on(ctx, fd, o, res, max, &got, t);
	if (ret)
		ret = ntls_explain(t, ret);
	for (i = 0; i < got; i++) {
		snprintf(res[i].peer_dn, sizeof(res[i].peer_dn), "%s", ntls_peer_dn(t));
		res[i].ktls = ntls_ktls(t);
	}
	ntls_end(t);
out:
	if (n)
		*n = got;
	return ret;
}

int mvgpu_receive(mvgpu_ctx *ctx, int sock, const mvgpu_receive_opts *opts,
		  mvgpu_receive_result *res)
{
	mvgpu_receive_result r;
	int ret;

	if (!ctx || sock < 0)
		return -EINVAL;
	ret = mvgpu_receive_n(ctx, sock, opts, &r, 1, NULL);
	if (res)
		*res = r;
	else
		free(r.state);
	return ret;
}
