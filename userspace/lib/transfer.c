// SPDX-License-Identifier: MIT
/*
 * transfer.c - live migration of a vGPU between hosts: mvgpu_migrate()
 * on the source, mvgpu_receive() on the target (mvgpu.h), speaking the
 * wire protocol of proto/mvgpu_wire.h.
 *
 * Data path, source:  VFIO data fd --io_uring read--> worker: lz4 frame +
 *                     DATA header --io_uring write--> socket
 * Data path, target:  socket --io_uring read--> worker: check, lz4
 *                     decode --io_uring write--> VFIO data fd (RESUMING)
 * Control messages (HELLO .. COMMITTED) go through net.c, blocking and
 * bounded in time, before and after the data.
 */
#include <errno.h>
#include <lz4frame.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "device.h"
#include "mvgpu_compat.h"
#include "net.h"
#include "tls.h"
#include "transfer.h"
#include "uring_io.h"

#define XF_CHUNK	MVGPU_WIRE_DATA_RAW_MAX	/* stream bytes per DATA */
#define XF_OUT		(2 * (MVGPU_WIRE_HDR + MVGPU_WIRE_DATA_MAX))
#define XF_ZC_MIN	(64u << 10)	/* zero-copy sends from this size */
#define XF_LOAD_FACTOR	4	/* LOADED may take this many timeouts */
/*
 * Fault injection for the two-host tests ($MVGPU_FAULT on the source,
 * docs/wire-protocol.md): hold the migration after the first pre-copy
 * pass, or with the vGPU in stop-copy, until the peer hangs up (or the
 * timeout passes), damage one byte of the first stop-copy DATA
 * message after its checksum, or cut the connection there.
 */
enum { XF_FAULT_NONE, XF_FAULT_HOLD, XF_FAULT_CORRUPT, XF_FAULT_CUT,
       XF_FAULT_HOLD_PRE };

/* On the target: $MVGPU_FAULT names @what (drop-committed, fail-commit). */
static bool fault_is(const char *what)
{
	const char *f = getenv("MVGPU_FAULT");

	return f && !strcmp(f, what);
}

static int fault_from_env(void)
{
	const char *f = getenv("MVGPU_FAULT");

	if (!f)
		return XF_FAULT_NONE;
	if (!strcmp(f, "hold-stop-copy"))
		return XF_FAULT_HOLD;
	if (!strcmp(f, "corrupt-data"))
		return XF_FAULT_CORRUPT;
	if (!strcmp(f, "cut-stop-copy"))
		return XF_FAULT_CUT;
	if (!strcmp(f, "hold-pre-copy"))
		return XF_FAULT_HOLD_PRE;
	return XF_FAULT_NONE;
}

/*
 * Zero-copy sends pay when a NIC reads the pages; to a peer on this host
 * (loopback) the kernel copies them anyway at delivery and the
 * notifications only cost (measured: bench-transfer, docs/benchmarks.md).
 */
static size_t zc_min_for(int sock)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	if (getenv("MVGPU_NO_ZEROCOPY") ||
	    getpeername(sock, (struct sockaddr *)&ss, &sl))
		return 0;
	if (getenv("MVGPU_ZEROCOPY_LOOPBACK"))	/* tests, benchmarks */
		return ss.ss_family == AF_UNIX ? 0 : XF_ZC_MIN;
	if (ss.ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)&ss;

		return (ntohl(a->sin_addr.s_addr) >> 24) == 127 ? 0 : XF_ZC_MIN;
	}
	if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&ss;

		if (IN6_IS_ADDR_LOOPBACK(&a->sin6_addr) ||
		    (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr) &&
		     a->sin6_addr.s6_addr[12] == 127))
			return 0;
		return XF_ZC_MIN;
	}
	return 0;	/* unix sockets cannot */
}

/* the largest message the target reassembles */
#define XF_MSG_MAX	(MVGPU_WIRE_HDR + \
			 (MVGPU_WIRE_DATA_MAX > MVGPU_WIRE_NAME_LEN + MVGPU_WIRE_STATE_MAX ? \
			  MVGPU_WIRE_DATA_MAX : MVGPU_WIRE_NAME_LEN + MVGPU_WIRE_STATE_MAX))

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void host_name(char *buf, size_t len)
{
	if (gethostname(buf, len))
		snprintf(buf, len, "?");
	buf[len - 1] = '\0';
}

/* The shared state of one migration's callbacks, either side. */
struct xf {
	mvgpu_ctx *ctx;
	struct ntls *tls;	/* the connection's TLS, NULL */
	struct wconn *c;
	mvgpu_dev *dev;
	int data_fd;
	uint64_t t0;
	const char *phase;
	unsigned timeout_ms;
	void (*event)(void *opaque, const mvgpu_image_event *ev);
	void *opaque;
	const volatile sig_atomic_t *cancel_flag;
	uint64_t tot_stream, tot_wire;	/* after the data phase, for events */
	/* watchdog: the counts last time they moved */
	uint64_t last_in, last_out, last_move_ns;

	/* source */
	const mvgpu_migrate_opts *mo;
	int fault;		/* XF_FAULT_*: test-only, from $MVGPU_FAULT */
	LZ4F_cctx *cctx;
	LZ4F_preferences_t prefs;
	unsigned passes;
	bool stopped, paused;
	uint64_t t_stop, t_data_end, precopy_bytes, data_msgs, wire_bytes;
	uint64_t msg_bytes;	/* bytes of the DATA messages made */
	bool cut_mid_message;	/* the socket has part of one only */
	char kind[MVGPU_STATE_KIND_MAX];
	void *state;
	size_t state_len;

	/* target */
	LZ4F_dctx *dctx;
	uint8_t *pend;		/* a message split across reads */
	size_t pend_len;
	bool got_end;
	bool commit_seen;	/* COMMIT arrived: the source waits for our word */
	bool own_dev;		/* we opened @dev (no workload holds it) */
	bool applied;		/* the kernel applied the stream (RESUMING -> STOP) */
	struct mvgpu_wire_end end;
	uint64_t stream_out;
	mvgpu_receive_result *res;
};

static void xf_emit(struct xf *x, struct uio *u, int kind, const char *name,
		    uint64_t dirty, uint64_t est)
{
	mvgpu_image_event ev = { .kind = kind, .name = name, .phase = x->phase,
				 .pass = x->passes, .dirty_bytes = dirty,
				 .estimate_bytes = est };
	const struct uio_counts *c = u ? uio_counts(u) : NULL;

	if (!x->event)
		return;
	if (c && x->mo) {
		ev.stream_bytes = c->in_bytes;
		ev.file_bytes = c->out_bytes;
	} else if (c) {
		ev.stream_bytes = c->out_bytes;
		ev.file_bytes = c->in_bytes;
	} else {
		ev.stream_bytes = x->tot_stream;
		ev.file_bytes = x->tot_wire;
	}
	ev.elapsed_ns = now_ns() - x->t0;
	x->event(x->opaque, &ev);
}

/* Every tick: progress, the peer's silence, and (source) its complaints. */
static void xf_tick(struct uio *u, void *opaque)
{
	struct xf *x = opaque;
	const struct uio_counts *c = uio_counts(u);
	uint64_t now = now_ns();

	xf_emit(x, u, MVGPU_IMAGE_EV_PROGRESS, "progress", 0, 0);
	if (c->in_bytes != x->last_in || c->out_bytes != x->last_out) {
		x->last_in = c->in_bytes;
		x->last_out = c->out_bytes;
		x->last_move_ns = now;
	} else if (now - x->last_move_ns > (uint64_t)x->timeout_ms * 1000000u) {
		uio_fail(u, -ETIMEDOUT, "%s: nothing moved for %u ms (timed out)",
			 x->c->peer, x->timeout_ms);
		return;
	}
	if (x->mo) {
		/* the target only talks during the data to say it failed */
		struct pollfd p = { .fd = x->c->fd, .events = POLLIN };

		if (poll(&p, 1, 0) == 1) {
			int ret = wconn_peek_error(x->c, 1000);

			uio_fail(u, ret ? ret : -EPROTO, "%s",
				 ret ? mvgpu_last_error(x->ctx) :
				 "the target closed the connection or sent a message out of turn");
		}
	}
}

/* ==== source ================================================================ */

static int xf_lz4_init(struct xf *x)
{
	if (LZ4F_isError(LZ4F_createCompressionContext(&x->cctx, LZ4F_VERSION)))
		return -ENOMEM;
	memset(&x->prefs, 0, sizeof(x->prefs));
	x->prefs.frameInfo.blockSizeID = LZ4F_max1MB;
	x->prefs.frameInfo.blockMode = LZ4F_blockIndependent;
	x->prefs.compressionLevel = 1;	/* "lz4 -1" */
	x->prefs.autoFlush = 1;		/* straight into the message, no copy */
	return 0;
}

/* The common start of one migration's state, either side. */
static void xf_start(struct xf *x, mvgpu_ctx *ctx, struct wconn *conn,
		     int sock, unsigned timeout_ms, const char *peer)
{
	memset(x, 0, sizeof(*x));
	x->ctx = ctx;
	x->c = conn;
	x->data_fd = -1;
	x->t0 = x->last_move_ns = now_ns();
	x->timeout_ms = timeout_ms ? timeout_ms : 30000;
	wconn_init(conn, ctx, sock, x->timeout_ms, peer);
}

/* The receiving side's reassembly buffer and lz4 context. */
static int xf_recv_alloc(struct xf *x)
{
	x->pend = malloc(XF_MSG_MAX);
	if (!x->pend ||
	    LZ4F_isError(LZ4F_createDecompressionContext(&x->dctx, LZ4F_VERSION))) {
		free(x->pend);
		x->pend = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* One whole lz4 frame of @n bytes at @src, with the context reused. */
static size_t lz4_frame(struct xf *x, uint8_t *dst, size_t cap,
			const uint8_t *src, size_t n)
{
	size_t a, b, c;

	a = LZ4F_compressBegin(x->cctx, dst, cap, &x->prefs);
	if (LZ4F_isError(a))
		return a;
	b = LZ4F_compressUpdate(x->cctx, dst + a, cap - a, src, n, NULL);
	if (LZ4F_isError(b))
		return b;
	c = LZ4F_compressEnd(x->cctx, dst + a + b, cap - a - b, NULL);
	if (LZ4F_isError(c))
		return c;
	return a + b + c;
}

static int xf_compress(struct uio *u, void *opaque, const void *in, size_t len,
		       bool last)
{
	struct xf *x = opaque;
	const uint8_t *src = in;

	(void)last;
	while (len) {
		size_t n = len < XF_CHUNK ? len : XF_CHUNK, avail, z;
		size_t bound = LZ4F_compressFrameBound(n, &x->prefs);
		uint8_t *p = uio_out_reserve(u, MVGPU_WIRE_HDR + bound, &avail);
		unsigned flags = MVGPU_WIRE_F_LZ4;
		int ret;

		if (!p)
			return -ECANCELED;
		z = lz4_frame(x, p + MVGPU_WIRE_HDR, avail - MVGPU_WIRE_HDR,
			      src, n);
		if (LZ4F_isError(z))
			return uio_fail(u, -EIO, "lz4: %s", LZ4F_getErrorName(z));
		if (z >= n) {
			/* incompressible: as it is */
			memcpy(p + MVGPU_WIRE_HDR, src, n);
			z = n;
			flags = 0;
		}
		ret = mvgpu_wire_encode_hdr(p, MVGPU_WIRE_DATA, flags, (uint32_t)n,
					    x->c->send_seq, p + MVGPU_WIRE_HDR,
					    (uint32_t)z);
		if (ret)
			return uio_fail(u, ret, "encoding a DATA message");
		if (x->stopped && x->fault == XF_FAULT_CORRUPT) {
			p[MVGPU_WIRE_HDR + z / 2] ^= 0x20;
			x->fault = XF_FAULT_NONE;
		} else if (x->stopped && x->fault == XF_FAULT_CUT) {
			/* the reason first: the tick must not see the EOF first */
			ret = uio_fail(u, -ECONNABORTED,
				       "fault injection: the connection was cut in stop-copy");
			shutdown(x->c->fd, SHUT_RDWR);
			return ret;
		}
		x->c->send_seq++;
		x->data_msgs++;
		x->wire_bytes += z;
		x->msg_bytes += MVGPU_WIRE_HDR + z;
		uio_out_commit(u, MVGPU_WIRE_HDR + z);
		src += n;
		len -= n;
	}
	return 0;
}

static void xf_hold(struct xf *x, const char *where)
{
	uint64_t end = now_ns() + (uint64_t)x->timeout_ms * 1000000u;

	mvgpu__warn(x->ctx, "fault injection: holding the migration in %s", where);
	/* until the peer hangs up, the timeout passes, or a cancel */
	while (now_ns() < end && !(x->cancel_flag && *x->cancel_flag)) {
		struct pollfd p = { .fd = x->c->fd, .events = POLLRDHUP };

		if (poll(&p, 1, 100) == 1)
			break;
	}
}

/* The workload quiesces before the vGPU stops (as QEMU stops the vCPUs). */
static int xf_pause_workload(struct xf *x)
{
	int ret;

	if (!x->mo->pause || x->paused)
		return 0;
	ret = x->mo->pause(x->mo->opaque, x->kind, &x->state, &x->state_len);
	if (ret)
		return mvgpu__err(x->ctx, ret < 0 ? ret : -ECANCELED,
				  "the workload could not pause: %s",
				  strerror(ret < 0 ? -ret : ECANCELED));
	x->paused = true;
	if (x->state_len > MVGPU_WIRE_STATE_MAX)
		return mvgpu__err(x->ctx, -EFBIG,
				  "the workload's state is %zu bytes (at most %u)",
				  x->state_len, MVGPU_WIRE_STATE_MAX);
	return 0;
}

static int xf_stop(struct uio *u, struct xf *x)
{
	uint64_t est = 0;
	int ret;

	x->precopy_bytes = u ? uio_counts(u)->in_bytes : 0;
	ret = xf_pause_workload(x);
	if (ret)
		return u ? uio_fail(u, ret, "%s", mvgpu_last_error(x->ctx)) : ret;
	mvgpu_mig_stop_copy_size(x->dev, &est);
	x->t_stop = now_ns();
	ret = mvgpu_mig_set_state(x->dev, MVGPU_MIG_STOP_COPY,
				  u ? NULL : &x->data_fd);
	if (ret)
		return u ? uio_fail(u, ret, "%s", mvgpu_last_error(x->ctx)) : ret;
	x->stopped = true;
	x->phase = "stop-copy";
	xf_emit(x, u, MVGPU_IMAGE_EV_STOP, "stop-copy", 0, est);
	if (x->fault == XF_FAULT_HOLD)
		xf_hold(x, "stop-copy");
	return 0;
}

/* The end of a pre-copy pass: another, or stop. */
static int xf_pass_end(struct uio *u, void *opaque)
{
	struct xf *x = opaque;
	uint64_t initial, dirty;
	int ret;

	x->passes++;
	ret = mvgpu_mig_precopy_info(x->data_fd, &initial, &dirty);
	if (ret)
		return uio_fail(u, ret, "pre-copy info: %s", strerror(-ret));
	xf_emit(x, u, MVGPU_IMAGE_EV_PASS, "pass", dirty, 0);
	if (x->fault == XF_FAULT_HOLD_PRE) {
		x->fault = XF_FAULT_NONE;
		xf_hold(x, "pre-copy");
	}
	if (dirty > x->mo->switchover_bytes &&
	    x->passes < (x->mo->max_passes ? x->mo->max_passes : 1)) {
		uio_pause_after(u, initial + dirty);	/* the next pass */
		return 0;
	}
	return xf_stop(u, x);
}

static int xf_source_end(struct uio *u, void *opaque)
{
	struct xf *x = opaque;
	int ret;

	/* every byte read: the vGPU stays stopped until the commit */
	x->t_data_end = now_ns();
	if (!x->dev)
		return 0;	/* xf_stream_send() */
	ret = mvgpu_mig_set_state(x->dev, MVGPU_MIG_STOP, NULL);
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

/* The data path: the stream from @in to x's socket. */
static void send_cfg(struct uio_cfg *cfg, struct xf *x, int in,
		     const volatile sig_atomic_t *cancel)
{
	*cfg = (struct uio_cfg){
		.src = { .fd = in, .off = -1 },
		.dst = { .fd = x->c->fd, .off = -1 },
		.in_size = XF_CHUNK,
		.out_size = XF_OUT,
		.zc_min = zc_min_for(x->c->fd),
		.ops = &send_ops, .opaque = x, .cancel = cancel,
	};
}

static int send_hello(struct xf *x, const mvgpu_migrate_opts *o)
{
	const mvgpu_dev_info *di = mvgpu_dev_get_info(x->dev);
	struct mvgpu_wire_hello h = { .major = MVGPU_WIRE_MAJOR,
				      .minor = MVGPU_WIRE_MINOR,
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
	if (o->precopy)
		h.flags |= MVGPU_WIRE_HELLO_PRECOPY;
	if (o->pause)
		h.flags |= MVGPU_WIRE_HELLO_STATE;
	snprintf(h.source_uuid, sizeof(h.source_uuid), "%s", di->uuid);
	if (o->target_uuid &&
	    mvgpu_uuid_canonical(o->target_uuid, h.target_uuid))
		return mvgpu__err(x->ctx, -EINVAL, "'%s' is not a UUID",
				  o->target_uuid);
	if (strlen(vi.type_id) >= sizeof(h.type))
		return mvgpu__err(x->ctx, -EINVAL, "type name '%s' is too long",
				  vi.type_id);
	memcpy(h.type, vi.type_id, strlen(vi.type_id) + 1);
	host_name(h.host, sizeof(h.host));
	n = mvgpu_wire_encode_hello(&h, buf, sizeof(buf));
	if (n < 0)
		return mvgpu__err(x->ctx, -EINVAL, "cannot encode HELLO");
	return wconn_send(x->c, MVGPU_WIRE_HELLO, buf, (uint32_t)n, -1);
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

static int recv_accept(struct xf *x, mvgpu_migrate_stats *st)
{
	struct mvgpu_wire_accept a;
	char why[256];
	struct wmsg m;
	int ret;

	ret = wconn_recv_ctrl(x->c, &m, MVGPU_WIRE_ACCEPT);
	if ((ret == -ECONNRESET || ret == -EPIPE) && plain_tcp(x))
		return mvgpu__err(x->ctx, ret,
				  "%s: a target that requires TLS hangs up on a plain connection; if it does, migrate without --insecure",
				  mvgpu_last_error(x->ctx));
	if (ret)
		return ret;
	if (mvgpu_wire_decode_accept(m.payload, m.h.length, &a, why, sizeof(why)))
		return mvgpu__err(x->ctx, -EBADMSG, "the target's ACCEPT: %s", why);
	snprintf(st->target_uuid, sizeof(st->target_uuid), "%s", a.target_uuid);
	snprintf(st->target_host, sizeof(st->target_host), "%s", a.host);
	snprintf(st->target_version, sizeof(st->target_version), "%s", a.version);
	st->created = !!(a.flags & MVGPU_WIRE_ACCEPT_CREATED);
	return 0;
}

static int send_tail(struct xf *x, uint64_t stream_bytes)
{
	struct mvgpu_wire_end e = { .stream_bytes = stream_bytes,
				    .data_msgs = x->data_msgs,
				    .passes = x->passes,
				    .precopy_bytes = x->precopy_bytes };
	uint8_t buf[64];
	int n, ret;

	if (x->state) {
		uint8_t *s = malloc(MVGPU_WIRE_NAME_LEN + x->state_len);

		if (!s)
			return -ENOMEM;
		n = mvgpu_wire_encode_kind(x->kind, s, MVGPU_WIRE_NAME_LEN);
		if (n < 0) {
			free(s);
			return mvgpu__err(x->ctx, -EINVAL,
					  "the workload's state kind is invalid");
		}
		memcpy(s + MVGPU_WIRE_NAME_LEN, x->state, x->state_len);
		ret = wconn_send(x->c, MVGPU_WIRE_STATE, s,
				 (uint32_t)(MVGPU_WIRE_NAME_LEN + x->state_len), -1);
		free(s);
		if (ret)
			return ret;
	}
	n = mvgpu_wire_encode_end(&e, buf, sizeof(buf));
	return wconn_send(x->c, MVGPU_WIRE_END, buf, (uint32_t)n, -1);
}

/* A failure before COMMIT went out: run on here as before. */
static void source_resume(struct xf *x)
{
	char keep[MVGPU_ERR_MAX];

	snprintf(keep, sizeof(keep), "%s", mvgpu_last_error(x->ctx));
	if (x->data_fd >= 0) {
		close(x->data_fd);
		x->data_fd = -1;
	}
	mvgpu_mig_set_state(x->dev, MVGPU_MIG_RUNNING, NULL);
	if (x->paused && x->mo->resume)
		x->mo->resume(x->mo->opaque);
	x->paused = false;
	mvgpu__err(x->ctx, 0, "%s", keep);
}

/*
 * After COMMIT went out whole: the target's answer.  COMMITTED: the vGPU
 * runs there.  A well-formed ERROR: it does not - a target sends one after
 * COMMIT only once its copy is discarded (target_discard()) - so the
 * source runs it again.  Anything else (silence until the timeout, the
 * connection closed or reset, a damaged or unexpected message) leaves it
 * open whether COMMIT took effect there: *@in_doubt.
 * Return: 0, the target's -errno, or -EREMOTEIO (in doubt); detail in ctx.
 */
static int await_committed(struct wconn *c, const char *host, int *in_doubt)
{
	struct wmsg m;
	int ret;

	*in_doubt = 0;
	ret = wconn_recv_ctrl(c, &m, MVGPU_WIRE_COMMITTED);
	if (!ret)
		return 0;
	if (c->peer_error)
		return mvgpu__err(c->ctx, ret,
				  "the target refused the commit (%s): it does not run the vGPU",
				  mvgpu_last_error(c->ctx));
	*in_doubt = 1;
	return mvgpu__err(c->ctx, -EREMOTEIO,
			  "the commit was sent but not confirmed (%s): the vGPU may run on %s now, so it stays stopped here",
			  mvgpu_last_error(c->ctx), host && host[0] ? host : "the target");
}

/* Before COMMIT: tell the target why the source gives up (unless it is
 * the one that said so), so that it discards at once.  After a message
 * cut short nothing can be said: the target sees the connection close. */
static void source_gives_up(struct xf *x, int err)
{
	if (!x->c->peer_error && !x->cut_mid_message)
		wconn_send_error(x->c, err, mvgpu_last_error(x->ctx));
}

static int run_source(struct xf *x, mvgpu_migrate_stats *st)
{
	struct uio_counts c = { 0 };
	char why[UIO_WHY_MAX];
	struct uio_cfg cfg;
	struct wmsg m;
	unsigned keep;
	int ret;

	if (x->mo->precopy) {
		x->phase = "pre-copy";
		ret = mvgpu_mig_set_state(x->dev, MVGPU_MIG_PRE_COPY, &x->data_fd);
	} else {
		ret = mvgpu_mig_set_state(x->dev, MVGPU_MIG_STOP, NULL);
		if (!ret)
			ret = xf_stop(NULL, x);
	}
	if (!ret && x->data_fd < 0)
		ret = mvgpu__err(x->ctx, -EPROTO, "the vGPU gave no migration data fd");
	if (ret)
		return ret;
	x->last_move_ns = now_ns();
	send_cfg(&cfg, x, x->data_fd, x->cancel_flag);
	if (x->mo->precopy)
		cfg.pass_bytes = mvgpu__pass_bytes(x->data_fd);
	ret = uio_run(&cfg, &c, why);
	x->tot_stream = c.in_bytes;
	x->tot_wire = c.out_bytes;
	st->stream_bytes = c.in_bytes;
	st->registered = c.registered;
	st->zc_sends = c.zc_sends;
	x->c->sent_bytes += c.out_bytes;
	/* a failed data path may have left a DATA message half written:
	 * anything sent after it would be read as its payload */
	x->cut_mid_message = c.out_bytes != x->msg_bytes;
	if (ret) {
		/* the target may have said why it hung up (unless this side
		 * was interrupted; why says which) */
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
	ret = send_tail(x, c.in_bytes);
	if (ret)
		return ret;
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

static int migrate_on(mvgpu_dev *dev, int sock, const mvgpu_migrate_opts *opts,
		      mvgpu_migrate_stats *stats)
{
	static const mvgpu_migrate_opts defaults = {
		.precopy = 1, .max_passes = 8, .switchover_bytes = 1u << 20,
	};
	mvgpu_migrate_stats st = { 0 };
	struct wconn conn;
	struct xf x;
	int ret;

	if (!dev || sock < 0)
		return -EINVAL;
	xf_start(&x, dev->ctx, &conn, sock,
		 opts ? opts->timeout_ms : defaults.timeout_ms, "the target");
	x.dev = dev;
	x.mo = opts ? opts : &defaults;
	x.event = x.mo->event;
	x.opaque = x.mo->opaque;
	x.fault = fault_from_env();
	conn.cancel = x.cancel_flag = x.mo->cancel ? x.mo->cancel : dev->ctx->cancel;
	net_tune(sock, x.timeout_ms);

	if (xf_lz4_init(&x))
		return -ENOMEM;

	x.phase = "connecting";
	ret = send_hello(&x, x.mo);
	if (!ret)
		ret = recv_accept(&x, &st);
	if (ret) {
		source_gives_up(&x, ret);	/* nothing was touched */
		goto out;
	}
	xf_emit(&x, NULL, MVGPU_IMAGE_EV_ACCEPTED, "accepted", 0, 0);

	ret = run_source(&x, &st);
	if (ret) {
		source_resume(&x);
		source_gives_up(&x, ret);
		goto out;
	}
	/* the commit: from here on the target may run the vGPU, and only
	 * its answer says whether it does - a cancel no longer ends the
	 * wait for it (bounded by the timeout) */
	conn.cancel = NULL;
	ret = wconn_send(&conn, MVGPU_WIRE_COMMIT, NULL, 0, -1);
	if (ret) {
		/* COMMIT did not leave whole: the target cannot run it */
		source_resume(&x);
		goto out;
	}
	ret = await_committed(&conn, st.target_host, &st.in_doubt);
	if (ret && !st.in_doubt) {
		/* the target said no: it runs nothing of ours, we do again */
		source_resume(&x);
		goto out;
	}
	if (ret)
		goto out;	/* in doubt: stopped here, never two copies */
	st.downtime_ns = now_ns() - x.t_stop;
	x.phase = "done";
	xf_emit(&x, NULL, MVGPU_IMAGE_EV_COMMITTED, "committed", 0, 0);
out:
	if (x.data_fd >= 0)
		close(x.data_fd);
	st.passes = x.passes;
	st.precopy_bytes = x.stopped ? x.precopy_bytes : st.stream_bytes;
	st.stop_copy_bytes = st.stream_bytes - st.precopy_bytes;
	st.wire_bytes = x.wire_bytes;
	if (x.t_data_end)
		st.stop_copy_ns = x.t_data_end - x.t_stop;
	st.elapsed_ns = now_ns() - x.t0;
	free(x.state);
	LZ4F_freeCompressionContext(x.cctx);
	if (stats)
		*stats = st;
	return ret;
}

int mvgpu_migrate(mvgpu_dev *dev, int sock, const mvgpu_migrate_opts *opts,
		  mvgpu_migrate_stats *stats)
{
	mvgpu_migrate_stats st = { 0 };
	struct ntls *t;
	int fd, ret;

	if (!dev || sock < 0)
		return -EINVAL;
	net_tune(sock, opts && opts->timeout_ms ? opts->timeout_ms : 30000);
	ret = ntls_start(dev->ctx, sock, opts ? opts->security : NULL, true,
			 opts && opts->timeout_ms ? opts->timeout_ms : 30000,
			 "the target", opts ? opts->cancel : NULL, &t, &fd);
	if (ret) {
		if (stats)
			*stats = st;
		return ret;	/* nothing was sent, nothing stopped */
	}
	ret = migrate_on(dev, fd, opts, &st);
	if (ret && !st.in_doubt)
		ret = ntls_explain(t, ret);
	snprintf(st.peer_dn, sizeof(st.peer_dn), "%s", ntls_peer_dn(t));
	st.ktls = ntls_ktls(t);
	ntls_end(t);
	if (stats)
		*stats = st;
	return ret;
}

/* ==== target ================================================================ */

/* One whole message from the data phase (header checked, payload here). */
static int xf_message(struct uio *u, struct xf *x, const uint8_t *hdr,
		      const struct mvgpu_wire_hdr *h, const uint8_t *payload)
{
	char why[256];
	int ret;

	ret = mvgpu_wire_verify(hdr, h, payload, x->c->recv_seq, why, sizeof(why));
	if (ret)
		return uio_fail(u, ret, "from the source: %s", why);
	x->c->recv_seq++;
	switch (h->type) {
	case MVGPU_WIRE_DATA: {
		size_t avail, dsz, ssz, r;
		uint8_t *p;

		if (x->got_end || x->res->state)
			return uio_fail(u, -EPROTO, "the source sent DATA after its end");
		p = uio_out_reserve(u, h->raw, &avail);
		if (!p)
			return -ECANCELED;
		x->res->wire_bytes += h->length;
		x->data_msgs++;
		if (!(h->flags & MVGPU_WIRE_F_LZ4)) {
			memcpy(p, payload, h->length);
			uio_out_commit(u, h->length);
			x->stream_out += h->length;
			return 0;
		}
		LZ4F_resetDecompressionContext(x->dctx);
		dsz = h->raw;
		ssz = h->length;
		r = LZ4F_decompress(x->dctx, p, &dsz, payload, &ssz, NULL);
		if (LZ4F_isError(r) || r != 0 || dsz != h->raw || ssz != h->length)
			return uio_fail(u, -EBADMSG,
					"DATA message %llu does not decode to its %u bytes%s%s",
					(unsigned long long)h->seq, h->raw,
					LZ4F_isError(r) ? ": lz4: " : "",
					LZ4F_isError(r) ? LZ4F_getErrorName(r) : "");
		uio_out_commit(u, dsz);
		x->stream_out += dsz;
		return 0;
	}
	case MVGPU_WIRE_STATE: {
		char kind[MVGPU_WIRE_NAME_LEN];

		if (x->got_end || x->res->state)
			return uio_fail(u, -EPROTO, "a STATE message out of turn");
		if (mvgpu_wire_decode_kind(payload, h->length, kind, why, sizeof(why)))
			return uio_fail(u, -EBADMSG, "the source's STATE: %s", why);
		x->res->state_len = h->length - MVGPU_WIRE_NAME_LEN;
		x->res->state = malloc(x->res->state_len ? x->res->state_len : 1);
		if (!x->res->state)
			return uio_fail(u, -ENOMEM, "out of memory");
		memcpy(x->res->state, payload + MVGPU_WIRE_NAME_LEN,
		       x->res->state_len);
		snprintf(x->res->state_kind, sizeof(x->res->state_kind), "%s", kind);
		return 0;
	}
	case MVGPU_WIRE_END:
		if (mvgpu_wire_decode_end(payload, h->length, &x->end, why, sizeof(why)))
			return uio_fail(u, -EBADMSG, "the source's END: %s", why);
		if (x->end.stream_bytes != x->stream_out ||
		    x->end.data_msgs != x->data_msgs)
			return uio_fail(u, -EBADMSG,
					"the source sent %llu stream bytes in %llu messages, %llu bytes arrived",
					(unsigned long long)x->end.stream_bytes,
					(unsigned long long)x->end.data_msgs,
					(unsigned long long)x->stream_out);
		x->got_end = true;
		uio_end_input(u);
		return 0;
	case MVGPU_WIRE_ERROR: {
		struct mvgpu_wire_error e;

		if (mvgpu_wire_decode_error(payload, h->length, &e, why, sizeof(why)))
			return uio_fail(u, -EBADMSG, "the source failed: %s", why);
		return uio_fail(u, -(int)e.code, "the source gave up: %s", e.text);
	}
	default:
		return uio_fail(u, -EPROTO, "the source sent %s during the data",
				mvgpu_wire_type_name(h->type));
	}
}

/* Bytes from the socket: split into messages, which may span reads. */
static int xf_receive(struct uio *u, void *opaque, const void *in, size_t len,
		      bool last)
{
	struct xf *x = opaque;
	const uint8_t *p = in;
	struct mvgpu_wire_hdr h;
	char why[256];
	int ret;

	while (len) {
		const uint8_t *msg;
		size_t need;

		if (x->got_end)
			return uio_fail(u, -EPROTO,
					"%zu unexpected bytes after the source's END", len);
		if (x->pend_len < MVGPU_WIRE_HDR) {
			size_t n = MVGPU_WIRE_HDR - x->pend_len;

			if (!x->pend_len && len >= MVGPU_WIRE_HDR) {
				msg = p;	/* the common case: no copy */
			} else {
				n = n < len ? n : len;
				memcpy(x->pend + x->pend_len, p, n);
				x->pend_len += n;
				p += n;
				len -= n;
				if (x->pend_len < MVGPU_WIRE_HDR)
					break;
				msg = x->pend;
			}
		} else {
			msg = x->pend;
		}
		ret = mvgpu_wire_decode_hdr(msg, &h, why, sizeof(why));
		if (ret)
			return uio_fail(u, ret, "from the source: %s", why);
		need = MVGPU_WIRE_HDR + h.length;
		if (msg == p && len >= need) {
			ret = xf_message(u, x, p, &h, p + MVGPU_WIRE_HDR);
			if (ret)
				return ret;
			p += need;
			len -= need;
			continue;
		}
		if (msg == p) {
			/* starts here, ends in a later read */
			size_t n = len;

			memcpy(x->pend, p, n);
			x->pend_len = n;
			p += n;
			len = 0;
			break;
		}
		if (x->pend_len < need) {
			size_t n = need - x->pend_len;

			n = n < len ? n : len;
			memcpy(x->pend + x->pend_len, p, n);
			x->pend_len += n;
			p += n;
			len -= n;
		}
		if (x->pend_len < need)
			break;
		x->pend_len = 0;
		ret = xf_message(u, x, x->pend, &h, x->pend + MVGPU_WIRE_HDR);
		if (ret)
			return ret;
	}
	if (last && !x->got_end)
		return uio_fail(u, -ENODATA,
				"the source closed the connection %s (%llu stream bytes arrived)",
				x->stream_out ? "before the end of the stream" :
				"before sending any data",
				(unsigned long long)x->stream_out);
	return 0;
}

static const struct uio_ops recv_ops = {
	.transform = xf_receive,
	.tick = xf_tick,
};

/* The data path back: from x's socket to @out. */
static void recv_cfg(struct uio_cfg *cfg, struct xf *x, int out)
{
	*cfg = (struct uio_cfg){
		.src = { .fd = x->c->fd, .off = -1, .stream = true },
		.dst = { .fd = out, .off = -1 },
		.in_size = XF_MSG_MAX,
		.out_size = 2 * XF_CHUNK,
		.ops = &recv_ops, .opaque = x, .cancel = x->cancel_flag,
	};
}

/* A refusal: tell the source (with the same words) and return @err. */
static int refuse(struct xf *x, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int refuse(struct xf *x, int err, const char *fmt, ...)
{
	char text[MVGPU_WIRE_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
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
 * Return: true once nothing of the source's is here (r->reset and
 * r->discarded say what was done).
 */
static bool target_discard(struct xf *x, mvgpu_receive_result *r)
{
	char keep[MVGPU_ERR_MAX];
	uint32_t state = 0;
	int err;

	if (x->data_fd >= 0)
		close(x->data_fd);
	x->data_fd = -1;
	if (!mvgpu_mig_get_state(x->dev, &state) && state == MVGPU_MIG_RUNNING &&
	    !x->commit_seen)
		return true;
	if (x->own_dev && !x->applied && !x->commit_seen) {
		r->discarded = 1;
		return true;
	}
	snprintf(keep, sizeof(keep), "%s", mvgpu_last_error(x->ctx));
	err = mvgpu_dev_reset(x->dev, MVGPU_RESET_VFIO);
	r->reset = err ? -1 : 1;
	mvgpu__err(x->ctx, 0, "%s", keep);
	return !err;
}

/* Say why and hang up so that the source reads it: stop sending, then
 * drain what it still sends for a moment. */
static void hang_up(struct xf *x, int err)
{
	char buf[65536];
	int64_t end = (int64_t)(now_ns() / 1000000) + 2000;

	if (ntls_broken(x->tls, err))
		/* the connection is what failed: the peer gets TLS's alert */
		ntls_explain(x->tls, err);
	else
		wconn_send_error(x->c, err, mvgpu_last_error(x->ctx));
	shutdown(x->c->fd, SHUT_WR);
	while ((int64_t)(now_ns() / 1000000) < end) {
		struct pollfd p = { .fd = x->c->fd, .events = POLLIN };

		if (poll(&p, 1, 200) <= 0)
			continue;
		if (recv(x->c->fd, buf, sizeof(buf), MSG_DONTWAIT) <= 0)
			break;
	}
}

static int check_version(struct xf *x, const char *uuid,
			 const struct mvgpu_wire_hello *h, char *local,
			 size_t llen)
{
	struct mvgpu_compat_info li;
	char why[MVGPU_COMPAT_WHY_MAX], path[PATH_MAX];
	int ret;

	ret = mvgpu_vgpu_migration_version(x->ctx, uuid, local, llen);
	if (ret < 0)
		return refuse(x, ret, "cannot read the migration_version of vGPU %s on %s",
			      uuid, x->res->source_host[0] ? "the target" : "this host");
	if (mvgpu_compat_parse(local, (size_t)ret, &li, why, sizeof(why)))
		return refuse(x, -EINVAL, "the target's migration_version is malformed: %s",
			      why);
	if (mvgpu_compat_check_string(&li, h->version, strlen(h->version), why,
				      sizeof(why)))
		return refuse(x, -EINVAL,
			      "incompatible vGPU: %s (source migration_version: %s; target: %s)",
			      why, h->version, local);
	/* the kernel's word too: it judges the stream it will take */
	ret = mvgpu__path(x->ctx, path, sizeof(path),
			  "/bus/mdev/devices/%s/migration_version", uuid);
	if (!ret)
		ret = mvgpu__write_attr(x->ctx, path, h->version);
	if (ret)
		return refuse(x, ret == -EINVAL ? -EINVAL : ret,
			      "the target's mvgpu module refuses the source (source migration_version: %s; target: %s)",
			      h->version, local);
	return 0;
}

/* HELLO -> a vGPU here that can take it, open; ACCEPT sent. */
static int accept_source(struct xf *x, const mvgpu_receive_opts *o,
			 bool *created)
{
	mvgpu_receive_result *r = x->res;
	struct mvgpu_wire_hello h;
	struct mvgpu_wire_accept a = { .major = MVGPU_WIRE_MAJOR,
				       .minor = MVGPU_WIRE_MINOR };
	uint8_t buf[MVGPU_WIRE_CTRL_MAX];
	mvgpu_vgpu_info vi;
	const char *want;
	char why[256];
	struct wmsg m;
	int ret, n;

	ret = wconn_recv_ctrl(x->c, &m, MVGPU_WIRE_HELLO);
	if (ret) {
		/* say why (interrupted, timed out, a bad message) */
		if (!x->c->peer_error)
			wconn_send_error(x->c, ret, mvgpu_last_error(x->ctx));
		return ret;
	}
	if (mvgpu_wire_decode_hello(m.payload, m.h.length, &h, why, sizeof(why)))
		return refuse(x, -EBADMSG, "malformed HELLO: %s", why);
	if (h.major != MVGPU_WIRE_MAJOR)
		return refuse(x, -EPROTONOSUPPORT,
			      "the source speaks wire protocol %u.%u, this receiver %u.%u",
			      h.major, h.minor, MVGPU_WIRE_MAJOR, MVGPU_WIRE_MINOR);
	snprintf(r->source_uuid, sizeof(r->source_uuid), "%s", h.source_uuid);
	snprintf(r->source_host, sizeof(r->source_host), "%s", h.host);
	snprintf(r->source_version, sizeof(r->source_version), "%s", h.version);
	want = o->dev ? mvgpu_dev_get_info(o->dev)->uuid :
	       o->uuid ? o->uuid : h.target_uuid[0] ? h.target_uuid : h.source_uuid;
	if (h.target_uuid[0] && strcmp(h.target_uuid, want))
		return refuse(x, -EINVAL, "the source asks for vGPU %s, this receiver serves %s",
			      h.target_uuid, want);
	ret = mvgpu_find_vgpu(x->ctx, want, &vi);
	if (ret == -ENOENT && o->create && !o->dev) {
		ret = mvgpu_create(x->ctx, h.type, NULL, want, &vi);
		if (ret)
			return refuse(x, ret, "cannot create a %s vGPU %s on the target: %s",
				      h.type, want, mvgpu_last_error(x->ctx));
		*created = true;
		r->created = 1;
		a.flags |= MVGPU_WIRE_ACCEPT_CREATED;
	} else if (ret == -ENOENT) {
		return refuse(x, ret, "the target has no vGPU %s: create one of type %s there (mvgpu create --type %s --uuid %s) or run 'mvgpu receive --create'",
			      want, h.type, h.type, want);
	} else if (ret) {
		return refuse(x, ret, "vGPU %s on the target: %s", want,
			      mvgpu_last_error(x->ctx));
	}
	snprintf(r->uuid, sizeof(r->uuid), "%s", vi.uuid);
	snprintf(r->type_id, sizeof(r->type_id), "%s", vi.type_id);
	if (strcmp(vi.type_id, h.type))
		return refuse(x, -EINVAL,
			      "vGPU %s on the target is of type %s, the source's is %s (source migration_version: %s)",
			      vi.uuid, vi.type_id, h.type, h.version);
	ret = check_version(x, vi.uuid, &h, a.version, sizeof(a.version));
	if (ret)
		return ret;
	if (o->dev) {
		x->dev = o->dev;
		a.flags |= MVGPU_WIRE_ACCEPT_AGENT;
	} else {
		ret = mvgpu_dev_open(x->ctx, vi.uuid, &x->dev);
		if (ret)
			return refuse(x, ret, "cannot open vGPU %s on the target: %s%s",
				      vi.uuid, mvgpu_last_error(x->ctx),
				      ret == -EBUSY ? " (its user must serve a migration agent)" : "");
		x->own_dev = true;
	}
	if (mvgpu_dev_get_info(x->dev)->fb_size != h.fb_size)
		return refuse(x, -EINVAL, "vGPU %s on the target has %llu framebuffer bytes, the source %llu",
			      vi.uuid,
			      (unsigned long long)mvgpu_dev_get_info(x->dev)->fb_size,
			      (unsigned long long)h.fb_size);
	snprintf(a.target_uuid, sizeof(a.target_uuid), "%s", vi.uuid);
	host_name(a.host, sizeof(a.host));
	n = mvgpu_wire_encode_accept(&a, buf, sizeof(buf));
	if (n < 0)
		return refuse(x, -EINVAL, "cannot encode ACCEPT");
	return wconn_send(x->c, MVGPU_WIRE_ACCEPT, buf, (uint32_t)n, -1);
}

static int run_target(struct xf *x)
{
	struct uio_counts c = { 0 };
	char why[UIO_WHY_MAX];
	struct uio_cfg cfg;
	uint64_t t;
	struct wmsg m;
	uint8_t ns[8];
	unsigned keep;
	int ret;

	x->phase = "receiving";
	ret = mvgpu_mig_set_state(x->dev, MVGPU_MIG_RESUMING, &x->data_fd);
	if (!ret && x->data_fd < 0)
		ret = mvgpu__err(x->ctx, -EPROTO, "the vGPU gave no migration data fd");
	if (ret)
		return ret;
	x->last_move_ns = now_ns();
	recv_cfg(&cfg, x, x->data_fd);
	ret = uio_run(&cfg, &c, why);
	x->tot_stream = c.out_bytes;
	x->tot_wire = c.in_bytes;
	x->c->recv_bytes += c.in_bytes;
	x->res->stream_bytes = c.out_bytes;
	if (ret)	/* "interrupted" (here), or what the source said */
		return mvgpu__err(x->ctx, ret, "%s", why);
	x->res->passes = x->end.passes;
	/* the kernel validates the whole stream, then applies it */
	x->phase = "loading";
	t = now_ns();
	ret = mvgpu_mig_set_state(x->dev, MVGPU_MIG_STOP, NULL);
	x->res->load_ns = now_ns() - t;
	close(x->data_fd);
	x->data_fd = -1;
	if (ret)
		return mvgpu__err(x->ctx, ret, "the vGPU refused the stream: %s",
				  mvgpu_last_error(x->ctx));
	x->applied = true;
	xf_emit(x, NULL, MVGPU_IMAGE_EV_LOADED, "loaded", 0, 0);
	mvgpu_wire_encode_ns(x->res->load_ns, ns, sizeof(ns));
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
				  "no commit from the source (%s): it keeps the vGPU",
				  mvgpu_last_error(x->ctx));
	/* from here on an ERROR tells the source that this side does not
	 * run the vGPU: it is sent only once the copy here is discarded */
	x->commit_seen = true;
	if (fault_is("fail-commit"))
		return mvgpu__err(x->ctx, -EIO,
				  "fault injection: the vGPU could not start at the commit");
	ret = mvgpu_mig_set_state(x->dev, MVGPU_MIG_RUNNING, NULL);
	if (ret)
		return mvgpu__err(x->ctx, ret, "the vGPU could not start at the commit: %s",
				  mvgpu_last_error(x->ctx));
	t = now_ns() - t;
	mvgpu_wire_encode_ns(t, ns, sizeof(ns));
	/* running here now: a lost COMMITTED leaves the source in doubt, and
	 * stopped, which is what it must be ($MVGPU_FAULT=drop-committed
	 * on the target plays that loss for the tests) */
	if (!fault_is("drop-committed"))
		wconn_send(x->c, MVGPU_WIRE_COMMITTED, ns, sizeof(ns), -1);
	else
		mvgpu__warn(x->ctx, "fault injection: COMMITTED not sent");
	x->phase = "done";
	xf_emit(x, NULL, MVGPU_IMAGE_EV_COMMITTED, "committed", 0, 0);
	return 0;
}

static int receive_on(mvgpu_ctx *ctx, int sock, const mvgpu_receive_opts *opts,
		      mvgpu_receive_result *res, struct ntls *tls)
{
	static const mvgpu_receive_opts defaults;
	const mvgpu_receive_opts *o = opts ? opts : &defaults;
	mvgpu_receive_result r = { 0 };
	struct wconn conn;
	bool created = false;
	struct xf x;
	int ret;

	if (!ctx || sock < 0)
		return -EINVAL;
	xf_start(&x, ctx, &conn, sock, o->timeout_ms, "the source");
	x.tls = tls;
	x.res = &r;
	x.event = o->event;
	x.opaque = o->opaque;
	conn.cancel = x.cancel_flag = o->cancel ? o->cancel : ctx->cancel;
	net_tune(sock, x.timeout_ms);
	if (xf_recv_alloc(&x))
		return -ENOMEM;
	x.phase = "accepting";
	ret = accept_source(&x, o, &created);
	if (!ret) {
		ret = run_target(&x);
		/* discard what arrived first, then say so: after COMMIT an
		 * ERROR means "not running here", so with a copy that could
		 * not be discarded nothing is said (the source is in doubt) */
		if (ret && (target_discard(&x, &r) || !x.commit_seen))
			hang_up(&x, ret);
	}
	if (x.dev && x.dev != o->dev)
		mvgpu_dev_close(x.dev);
	if (ret && created) {
		char keep[MVGPU_ERR_MAX];

		snprintf(keep, sizeof(keep), "%s", mvgpu_last_error(ctx));
		mvgpu_remove(ctx, r.uuid, 1);
		mvgpu__err(ctx, ret, "%s", keep);
	}
	r.elapsed_ns = now_ns() - x.t0;
	free(x.pend);
	LZ4F_freeDecompressionContext(x.dctx);
	if (ret) {
		free(r.state);
		r.state = NULL;
		r.state_len = 0;
	}
	if (res)
		*res = r;
	else
		free(r.state);
	return ret;
}

int mvgpu_receive(mvgpu_ctx *ctx, int sock, const mvgpu_receive_opts *opts,
		  mvgpu_receive_result *res)
{
	mvgpu_receive_result r = { 0 };
	struct ntls *t;
	int fd, ret;

	if (!ctx || sock < 0)
		return -EINVAL;
	net_tune(sock, opts && opts->timeout_ms ? opts->timeout_ms : 30000);
	ret = ntls_start(ctx, sock, opts ? opts->security : NULL, false,
			 opts && opts->timeout_ms ? opts->timeout_ms : 30000,
			 "the source", opts ? opts->cancel : NULL, &t, &fd);
	if (ret) {
		if (res)
			*res = r;
		return ret;	/* nothing was told, nothing changed here */
	}
	ret = receive_on(ctx, fd, opts, &r, t);
	if (ret)
		ret = ntls_explain(t, ret);
	snprintf(r.peer_dn, sizeof(r.peer_dn), "%s", ntls_peer_dn(t));
	r.ktls = ntls_ktls(t);
	ntls_end(t);
	if (res)
		*res = r;
	else
		free(r.state);
	return ret;
}

/* ==== the data path alone (benchmarks, native tests) ========================= */

static _Thread_local uint64_t last_zc_sends;

uint64_t xf_last_zc_sends(void)
{
	return last_zc_sends;
}

int xf_stream_send(mvgpu_ctx *ctx, int in_fd, int sock, uint64_t *stream_bytes,
		   uint64_t *wire_bytes)
{
	static const mvgpu_migrate_opts none;
	struct uio_counts c = { 0 };
	char why[UIO_WHY_MAX];
	struct wconn conn;
	struct uio_cfg cfg;
	struct xf x;
	int ret;

	xf_start(&x, ctx, &conn, sock, 0, "the receiver");
	x.mo = &none;
	if (xf_lz4_init(&x))
		return -ENOMEM;
	send_cfg(&cfg, &x, in_fd, NULL);
	ret = uio_run(&cfg, &c, why);
	last_zc_sends = c.zc_sends;
	if (ret)
		ret = mvgpu__err(ctx, ret, "%s", why);
	else
		ret = send_tail(&x, c.in_bytes);
	*stream_bytes = c.in_bytes;
	*wire_bytes = x.wire_bytes;
	LZ4F_freeCompressionContext(x.cctx);
	return ret;
}

int xf_stream_recv(mvgpu_ctx *ctx, int sock, int out_fd, uint64_t *stream_bytes,
		   uint64_t *wire_bytes)
{
	mvgpu_receive_result r = { 0 };
	struct uio_counts c = { 0 };
	char why[UIO_WHY_MAX];
	struct wconn conn;
	struct uio_cfg cfg;
	struct xf x;
	int ret;

	xf_start(&x, ctx, &conn, sock, 0, "the sender");
	x.res = &r;
	if (xf_recv_alloc(&x))
		return -ENOMEM;
	recv_cfg(&cfg, &x, out_fd);
	ret = uio_run(&cfg, &c, why);
	if (ret)
		ret = mvgpu__err(ctx, ret, "%s", why);
	*stream_bytes = c.out_bytes;
	*wire_bytes = r.wire_bytes;
	free(r.state);
	free(x.pend);
	LZ4F_freeDecompressionContext(x.dctx);
	return ret;
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
	return await_committed(&c, "the target", in_doubt);
}

int mvgpu_net_connect(mvgpu_ctx *ctx, const char *addr, unsigned timeout_ms)
{
	return net_connect(ctx, addr, timeout_ms);
}

int mvgpu_net_listen(mvgpu_ctx *ctx, const char *addr)
{
	return net_listen(ctx, addr);
}

int mvgpu_net_accept(mvgpu_ctx *ctx, int lfd, unsigned timeout_ms,
		     char *peer, size_t peerlen)
{
	return net_accept(ctx, lfd, timeout_ms, peer, peerlen);
}
