// SPDX-License-Identifier: MIT
/*
 * transfer.c - live migration of vGPUs between hosts: the data path that
 * the source (transfer_source.c) and the target (transfer_target.c)
 * share, speaking the wire protocol of proto/mvgpu_wire.h.
 *
 * Data path, source:  VFIO data fd --io_uring read--> worker: lz4 frame +
 *                     DATA header --io_uring write--> socket
 * Data path, target:  socket --io_uring read--> worker: check, lz4
 *                     decode --io_uring write--> the VFIO data fd (RESUMING)
 *                     of the vGPU whose stream it is (a session: the
 *                     last STREAM's)
 * Control messages (HELLO .. COMMITTED) go through net.c, blocking and
 * bounded in time, before and after the data.
 */
#include <errno.h>
#include <lz4frame.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "transfer.h"

#define XF_OUT		(2 * (MVGPU_WIRE_HDR + MVGPU_WIRE_DATA_MAX))
#define XF_ZC_MIN	(64u << 10)	/* zero-copy sends from this size */

/* the largest message the target reassembles */
#define XF_MSG_MAX	(MVGPU_WIRE_HDR + \
			 (MVGPU_WIRE_DATA_MAX > MVGPU_WIRE_NAME_LEN + MVGPU_WIRE_STATE_MAX ? \
			  MVGPU_WIRE_DATA_MAX : MVGPU_WIRE_NAME_LEN + MVGPU_WIRE_STATE_MAX))

bool xf_fault_is(const char *what)
{
	const char *f = getenv("MVGPU_FAULT");

	return f && !strcmp(f, what);
}

int xf_fault_from_env(void)
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

uint64_t xf_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void xf_host_name(char *buf, size_t len)
{
	if (gethostname(buf, len))
		snprintf(buf, len, "?");
	buf[len - 1] = '\0';
}

void xf_emit(struct xf *x, struct uio *u, int kind, const char *name,
	     uint64_t dirty, uint64_t est)
{
	mvgpu_image_event ev = { .kind = kind, .name = name, .phase = x->phase,
				 .dirty_bytes = dirty, .estimate_bytes = est,
				 .vgpus = x->n };
	const struct uio_counts *c = u ? uio_counts(u) : NULL;

	if (!x->event)
		return;
	/* (a target's worker moves x->cur while its pipeline runs) */
	if (x->cur && (x->mo || !u)) {
		ev.vgpu = x->cur->index;
		ev.pass = x->cur->passes;
	}
	if (c && x->mo) {
		ev.stream_bytes = x->done_stream + c->in_bytes;
		ev.file_bytes = x->done_wire + c->out_bytes;
	} else if (c) {
		ev.stream_bytes = x->done_stream + c->out_bytes;
		ev.file_bytes = x->done_wire + c->in_bytes;
	} else {
		ev.stream_bytes = x->tot_stream;
		ev.file_bytes = x->tot_wire;
	}
	ev.elapsed_ns = xf_now_ns() - x->t0;
	x->event(x->opaque, &ev);
}

/* Every tick: progress, the peer's silence, and (source) its complaints. */
void xf_tick(struct uio *u, void *opaque)
{
	struct xf *x = opaque;
	const struct uio_counts *c = uio_counts(u);
	uint64_t now = xf_now_ns();

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

void xf_start(struct xf *x, mvgpu_ctx *ctx, struct wconn *conn, int sock,
	      unsigned timeout_ms, const char *peer, struct xf_vgpu *v,
	      unsigned n)
{
	unsigned i;

	memset(x, 0, sizeof(*x));
	x->ctx = ctx;
	x->c = conn;
	x->v = v;
	x->n = n;
	x->cur = n == 1 ? v : NULL;
	for (i = 0; i < n; i++) {
		v[i].index = i;
		v[i].data_fd = -1;
	}
	x->t0 = x->last_move_ns = xf_now_ns();
	x->timeout_ms = timeout_ms ? timeout_ms : 30000;
	wconn_init(conn, ctx, sock, x->timeout_ms, peer);
}

/* ==== both: the vGPUs' states ================================================ */

int xf_vgpu_err(struct xf *x, struct xf_vgpu *v, int err)
{
	char keep[MVGPU_ERR_MAX];

	if (x->n < 2)
		return err;
	snprintf(keep, sizeof(keep), "%s", mvgpu_last_error(x->ctx));
	return mvgpu__err(x->ctx, err, "vGPU %s: %s",
			  mvgpu_dev_get_info(v->dev)->uuid, keep);
}

/* x's vGPUs' devices, for migration.c's helpers of several. */
static unsigned xf_devs(const struct xf *x, mvgpu_dev **devs)
{
	unsigned i;

	for (i = 0; i < x->n; i++)
		devs[i] = x->v[i].dev;
	return x->n;
}

int xf_quiet_all(struct xf *x, uint32_t quiet)
{
	mvgpu_dev *devs[MVGPU_SESSION_MAX];
	unsigned bad = 0;
	int ret;

	ret = mvgpu__quiet_all(devs, xf_devs(x, devs), quiet, &bad);
	return ret ? xf_vgpu_err(x, &x->v[bad], ret) : 0;
}

int xf_run_all(struct xf *x, bool all)
{
	mvgpu_dev *devs[MVGPU_SESSION_MAX];
	unsigned bad = 0;
	int ret;

	ret = mvgpu__run_all(devs, xf_devs(x, devs), all, &bad);
	return ret ? xf_vgpu_err(x, &x->v[bad], ret) : 0;
}

/* ==== source: DATA ========================================================= */

int xf_lz4_init(struct xf *x)
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

int xf_compress(struct uio *u, void *opaque, const void *in, size_t len,
		bool last)
{
	struct xf *x = opaque;
	struct xf_vgpu *v = x->cur;
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
		v->data_msgs++;
		v->wire_bytes += z;
		x->msg_bytes += MVGPU_WIRE_HDR + z;
		uio_out_commit(u, MVGPU_WIRE_HDR + z);
		src += n;
		len -= n;
	}
	return 0;
}

void xf_send_cfg(struct uio_cfg *cfg, struct xf *x, int in,
		 const struct uio_ops *ops, const volatile sig_atomic_t *cancel)
{
	*cfg = (struct uio_cfg){
		.src = { .fd = in, .off = -1 },
		.dst = { .fd = x->c->fd, .off = -1 },
		.in_size = XF_CHUNK,
		.out_size = XF_OUT,
		.zc_min = zc_min_for(x->c->fd),
		.ops = ops, .opaque = x, .cancel = cancel,
	};
}

int xf_send_tail(struct xf *x, struct xf_vgpu *v)
{
	struct mvgpu_wire_end e = { .stream_bytes = v->stream_bytes,
				    .data_msgs = v->data_msgs,
				    .passes = v->passes,
				    .precopy_bytes = v->precopy_bytes };
	uint8_t buf[64];
	int n, ret;

	if (v->state) {
		uint8_t *s = malloc(MVGPU_WIRE_NAME_LEN + v->state_len);

		if (!s)
			return -ENOMEM;
		n = mvgpu_wire_encode_kind(v->kind, s, MVGPU_WIRE_NAME_LEN);
		if (n < 0) {
			free(s);
			return mvgpu__err(x->ctx, -EINVAL,
					  "the workload's state kind is invalid");
		}
		memcpy(s + MVGPU_WIRE_NAME_LEN, v->state, v->state_len);
		ret = wconn_send(x->c, MVGPU_WIRE_STATE, s,
				 (uint32_t)(MVGPU_WIRE_NAME_LEN + v->state_len), -1);
		free(s);
		if (ret)
			return ret;
	}
	n = mvgpu_wire_encode_end(&e, buf, sizeof(buf));
	return wconn_send(x->c, MVGPU_WIRE_END, buf, (uint32_t)n, -1);
}

/* ==== target: reassembly ===================================================== */

int xf_recv_alloc(struct xf *x)
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

void xf_recv_free(struct xf *x)
{
	free(x->pend);
	x->pend = NULL;
	LZ4F_freeDecompressionContext(x->dctx);
	x->dctx = NULL;
}

static uint64_t xf_stream_out(const struct xf *x)
{
	uint64_t n = 0;
	unsigned i;

	for (i = 0; i < x->n; i++)
		n += x->v[i].stream_out;
	return n;
}

static int xf_data(struct uio *u, struct xf *x, struct xf_vgpu *v,
		   const struct mvgpu_wire_hdr *h, const uint8_t *payload)
{
	size_t avail, dsz, ssz, r;
	uint8_t *p;

	if (v->got_end || v->res->state)
		return uio_fail(u, -EPROTO, "the source sent DATA after its end");
	p = uio_out_reserve(u, h->raw, &avail);
	if (!p)
		return -ECANCELED;
	v->res->wire_bytes += h->length;
	v->data_msgs++;
	if (!(h->flags & MVGPU_WIRE_F_LZ4)) {
		memcpy(p, payload, h->length);
		uio_out_commit(u, h->length);
		v->stream_out += h->length;
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
	v->stream_out += dsz;
	return 0;
}

static int xf_state(struct uio *u, struct xf_vgpu *v,
		    const struct mvgpu_wire_hdr *h, const uint8_t *payload)
{
	char kind[MVGPU_WIRE_NAME_LEN], why[256];

	if (v->got_end || v->res->state)
		return uio_fail(u, -EPROTO, "a STATE message out of turn");
	if (mvgpu_wire_decode_kind(payload, h->length, kind, why, sizeof(why)))
		return uio_fail(u, -EBADMSG, "the source's STATE: %s", why);
	v->res->state_len = h->length - MVGPU_WIRE_NAME_LEN;
	v->res->state = malloc(v->res->state_len ? v->res->state_len : 1);
	if (!v->res->state)
		return uio_fail(u, -ENOMEM, "out of memory");
	memcpy(v->res->state, payload + MVGPU_WIRE_NAME_LEN, v->res->state_len);
	snprintf(v->res->state_kind, sizeof(v->res->state_kind), "%s", kind);
	return 0;
}

static int xf_end(struct uio *u, struct xf *x, struct xf_vgpu *v,
		  const struct mvgpu_wire_hdr *h, const uint8_t *payload)
{
	char why[256];

	if (mvgpu_wire_decode_end(payload, h->length, &v->end, why, sizeof(why)))
		return uio_fail(u, -EBADMSG, "the source's END: %s", why);
	if (v->end.stream_bytes != v->stream_out ||
	    v->end.data_msgs != v->data_msgs)
		return uio_fail(u, -EBADMSG,
				"the source sent %llu stream bytes in %llu messages, %llu bytes arrived",
				(unsigned long long)v->end.stream_bytes,
				(unsigned long long)v->end.data_msgs,
				(unsigned long long)v->stream_out);
	v->got_end = true;
	if (x->n > 1)
		x->cur = NULL;	/* the next stream is named again */
	if (++x->ends == x->n) {
		x->got_end = true;
		uio_end_input(u);
	}
	return 0;
}

/* STREAM: the vGPU of a session whose DATA, STATE and END follow. */
static int xf_stream_to(struct uio *u, struct xf *x,
			const struct mvgpu_wire_hdr *h, const uint8_t *payload)
{
	char why[256];
	__u32 i;

	if (x->n < 2)
		return uio_fail(u, -EPROTO, "the source sent STREAM outside a session");
	if (mvgpu_wire_decode_stream(payload, h->length, x->n, &i, why, sizeof(why)))
		return uio_fail(u, -EBADMSG, "the source's STREAM: %s", why);
	if (x->v[i].got_end)
		return uio_fail(u, -EPROTO,
				"the source sent more of vGPU %u's stream after its END", i);
	x->cur = &x->v[i];
	uio_out_select(u, i);
	return 0;
}

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
	case MVGPU_WIRE_DATA:
	case MVGPU_WIRE_STATE:
	case MVGPU_WIRE_END:
		if (!x->cur)
			return uio_fail(u, -EPROTO,
					"the source sent %s without naming its vGPU (STREAM)",
					mvgpu_wire_type_name(h->type));
		if (h->type == MVGPU_WIRE_DATA)
			return xf_data(u, x, x->cur, h, payload);
		if (h->type == MVGPU_WIRE_STATE)
			return xf_state(u, x->cur, h, payload);
		return xf_end(u, x, x->cur, h, payload);
	case MVGPU_WIRE_STREAM:
		return xf_stream_to(u, x, h, payload);
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
	if (last && !x->got_end) {
		uint64_t out = xf_stream_out(x);

		return uio_fail(u, -ENODATA,
				"the source closed the connection %s (%llu stream bytes arrived)",
				out ? "before the end of the stream" :
				"before sending any data",
				(unsigned long long)out);
	}
	return 0;
}

static const struct uio_ops recv_ops = {
	.transform = xf_receive,
	.tick = xf_tick,
};

void xf_recv_cfg(struct uio_cfg *cfg, struct xf *x, const int *fds)
{
	*cfg = (struct uio_cfg){
		.src = { .fd = x->c->fd, .off = -1, .stream = true },
		.dst = { .fd = fds[0], .off = -1 },
		.in_size = XF_MSG_MAX,
		.out_size = 2 * XF_CHUNK,
		.ops = &recv_ops, .opaque = x, .cancel = x->cancel_flag,
	};
	if (x->n > 1) {
		cfg->dst_fds = fds;
		cfg->ndst = x->n;
	}
}

/* ==== the data path alone (benchmarks, native tests) ========================= */

static _Thread_local uint64_t last_zc_sends;

uint64_t xf_last_zc_sends(void)
{
	return last_zc_sends;
}

static const struct uio_ops stream_send_ops = {
	.transform = xf_compress,
	.tick = xf_tick,
};

int xf_stream_send(mvgpu_ctx *ctx, int in_fd, int sock, uint64_t *stream_bytes,
		   uint64_t *wire_bytes)
{
	static const mvgpu_migrate_opts none;
	struct uio_counts c = { 0 };
	char why[UIO_WHY_MAX];
	struct xf_vgpu v = { 0 };
	struct wconn conn;
	struct uio_cfg cfg;
	struct xf x;
	int ret;

	xf_start(&x, ctx, &conn, sock, 0, "the receiver", &v, 1);
	x.mo = &none;
	if (xf_lz4_init(&x))
		return -ENOMEM;
	xf_send_cfg(&cfg, &x, in_fd, &stream_send_ops, NULL);
	ret = uio_run(&cfg, &c, why);
	last_zc_sends = c.zc_sends;
	v.stream_bytes = c.in_bytes;
	if (ret)
		ret = mvgpu__err(ctx, ret, "%s", why);
	else
		ret = xf_send_tail(&x, &v);
	*stream_bytes = c.in_bytes;
	*wire_bytes = v.wire_bytes;
	LZ4F_freeCompressionContext(x.cctx);
	return ret;
}

int xf_session_recv(mvgpu_ctx *ctx, int sock, const int *out_fds, unsigned n,
		    uint64_t *stream_bytes, uint64_t *wire_bytes)
{
	mvgpu_receive_result r[MVGPU_WIRE_VGPUS_MAX];
	struct xf_vgpu v[MVGPU_WIRE_VGPUS_MAX];
	struct uio_counts c = { 0 };
	char why[UIO_WHY_MAX];
	struct wconn conn;
	struct uio_cfg cfg;
	struct xf x;
	unsigned i;
	int ret;

	if (!n || n > MVGPU_WIRE_VGPUS_MAX)
		return -EINVAL;
	memset(r, 0, sizeof(r));
	memset(v, 0, sizeof(v));
	xf_start(&x, ctx, &conn, sock, 0, "the sender", v, n);
	for (i = 0; i < n; i++)
		v[i].res = &r[i];
	if (xf_recv_alloc(&x))
		return -ENOMEM;
	xf_recv_cfg(&cfg, &x, out_fds);
	ret = uio_run(&cfg, &c, why);
	if (ret)
		ret = mvgpu__err(ctx, ret, "%s", why);
	*wire_bytes = 0;
	for (i = 0; i < n; i++) {
		/* one stream: what reached @out_fds[0] */
		stream_bytes[i] = n == 1 ? c.out_bytes : v[i].stream_out;
		*wire_bytes += r[i].wire_bytes;
		free(r[i].state);
	}
	xf_recv_free(&x);
	return ret;
}

int xf_stream_recv(mvgpu_ctx *ctx, int sock, int out_fd, uint64_t *stream_bytes,
		   uint64_t *wire_bytes)
{
	return xf_session_recv(ctx, sock, &out_fd, 1, stream_bytes, wire_bytes);
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
