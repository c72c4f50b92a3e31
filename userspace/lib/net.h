/*
 * net.h - libmvgpu private: connections that carry the wire protocol
 * (proto/mvgpu_wire.h): addresses, connect/listen with bounds on time,
 * and whole messages sent and received with their checks.
 */
#ifndef MVGPU_NET_H
#define MVGPU_NET_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "internal.h"
#include "mvgpu_wire.h"

/* One connection's side of the protocol. */
struct wconn {
	mvgpu_ctx *ctx;
	int fd;
	uint64_t send_seq;	/* next seq we send */
	uint64_t recv_seq;	/* next seq we expect */
	unsigned timeout_ms;	/* a blocking step waits at most this long */
	const char *peer;	/* "the target", "the source", "the workload" */
	uint64_t sent_bytes, recv_bytes;
	bool takes_fd;		/* a message may bring one fd (SCM_RIGHTS);
				 * else any fd passed is closed, refused */
	int passed_fd;		/* an fd received with the last message, -1 */
	int peer_error;		/* the last wconn_recv() got an ERROR */
	/* raised: every wait on this connection ends with -ECANCELED
	 * (from the context, mvgpu_ctx_set_cancel(); NULL: never) */
	const volatile sig_atomic_t *cancel;
	/* this connection's control messages (wconn_recv_ctrl()): never
	 * shared, so that migrations in one process do not mix them */
	uint8_t ctrl[MVGPU_WIRE_CTRL_MAX];
};

/* A received message: header and payload (in @buf, the caller's). */
struct wmsg {
	struct mvgpu_wire_hdr h;
	uint8_t *payload;
};

void wconn_init(struct wconn *c, mvgpu_ctx *ctx, int fd, unsigned timeout_ms,
		const char *peer);

/*
 * wconn_send() - send one whole message (blocking, bounded by the
 * timeout), with @fd attached (SCM_RIGHTS) when >= 0.
 * Return: 0 or -errno with the detail recorded in ctx.
 */
int wconn_send(struct wconn *c, unsigned type, const void *payload,
	       uint32_t len, int fd);

/*
 * wconn_recv() - receive one whole message into @buf (@cap bytes, at
 * least the type's maximum for the types expected) and check it: header,
 * checksum, seq.  An ERROR message from the peer becomes -its errno with
 * its text as the detail.  @want: the type expected, or 0 for any.
 * Return: 0, or -errno: -ETIMEDOUT, -ECONNRESET (closed), -EBADMSG,
 * -EPROTO ..., detail in ctx.
 */
int wconn_recv(struct wconn *c, struct wmsg *m, uint8_t *buf, size_t cap,
	       unsigned want);

/*
 * wconn_recv_ctrl() - wconn_recv() of a control message (at most
 * MVGPU_WIRE_CTRL_MAX bytes) into the connection's own buffer: @m's
 * payload points into @c and is valid until the next receive on @c.
 */
int wconn_recv_ctrl(struct wconn *c, struct wmsg *m, unsigned want);

/*
 * wconn_send_last() - wconn_send() of a last word (ERROR, RESUME,
 * RELEASE, START): never cancelled (it is what a cancel must still
 * say), waiting at most @ms (0: the connection's timeout).
 */
int wconn_send_last(struct wconn *c, unsigned type, const void *payload,
		    uint32_t len, unsigned ms);

/* Send ERROR(@err, @text) as a last word; failures are ignored. */
void wconn_send_error(struct wconn *c, int err, const char *text);

/*
 * wconn_peek_error() - after a failed send: if the peer said why in an
 * ERROR message (within @ms), record it and return -its errno, else 0.
 */
int wconn_peek_error(struct wconn *c, unsigned ms);

/*
 * net_connect() - connect to @addr: "HOST:PORT", "[V6]:PORT" or
 * "unix:PATH", giving up after @timeout_ms (refusals are retried until
 * then: a peer may be starting).  TCP gets TCP_NODELAY and a
 * TCP_USER_TIMEOUT of @timeout_ms.  The context's cancel flag ends it
 * (-ECANCELED).  Return: the fd or -errno (detail).
 */
int net_connect(mvgpu_ctx *ctx, const char *addr, unsigned timeout_ms);

/*
 * net_listen() - listen on @addr: "HOST:PORT", ":PORT" (every address),
 * "[V6]:PORT" or "unix:PATH" (a socket file of mode 0600 from the
 * start: its owner and root only).  At PATH only a stale socket (nobody
 * listens on it) is replaced: a live one is -EADDRINUSE, anything else
 * (a file, a symlink, a directory) -EEXIST, and left as it is.
 * Return: the listening fd or -errno (detail).
 */
int net_listen(mvgpu_ctx *ctx, const char *addr);

/*
 * net_accept() - accept one connection on @lfd within @timeout_ms (0:
 * forever); set up as net_connect() does.  @who gets "ADDR:PORT".
 * Return: the fd or -errno (-ECANCELED: the context's cancel flag).
 */
int net_accept(mvgpu_ctx *ctx, int lfd, unsigned timeout_ms, char *who,
	       size_t wholen);

/* Bound a TCP connection's silences: TCP_USER_TIMEOUT and keepalives. */
void net_tune(int fd, unsigned timeout_ms);

#endif /* MVGPU_NET_H */
