/*
 * transfer.h - libmvgpu private: live migration between hosts.
 *
 *   transfer.c         the data path both sides share: the state of one
 *                      migration (struct xf), progress and the watchdog,
 *                      DATA framing (lz4) and the target's reassembly
 *   transfer_source.c  mvgpu_migrate(), mvgpu_migrate_n()
 *   transfer_target.c  mvgpu_receive(), mvgpu_receive_n()
 *
 * For benchmarks and native tests, the data path without a device or a
 * handshake: xf_stream_send() reads @in_fd to its end and sends it on
 * @sock as the DATA messages and END of a migration (seq from 0: no HELLO
 * before); xf_stream_recv() takes them from @sock and writes the stream to
 * @out_fd, checking everything a receiver checks.  Same io_uring pipeline,
 * same lz4 worker, same codec as mvgpu_migrate() / mvgpu_receive().
 * Return: 0 or -errno (detail in ctx).
 */
#ifndef MVGPU_TRANSFER_H
#define MVGPU_TRANSFER_H

#include <lz4frame.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "internal.h"
#include "net.h"
#include "uring_io.h"

int xf_stream_send(mvgpu_ctx *ctx, int in_fd, int sock, uint64_t *stream_bytes,
		   uint64_t *wire_bytes);
/* The zero-copy sends the last xf_stream_send() of this thread made. */
uint64_t xf_last_zc_sends(void);
int xf_stream_recv(mvgpu_ctx *ctx, int sock, int out_fd, uint64_t *stream_bytes,
		   uint64_t *wire_bytes);
/*
 * xf_session_recv() - the data phase of a session of @n streams (STREAM,
 * DATA, STATE, END: seq from 0) from @sock, stream i to @out_fds[i];
 * @stream_bytes gets @n counts.  What mvgpu_receive_n() checks.
 */
int xf_session_recv(mvgpu_ctx *ctx, int sock, const int *out_fds, unsigned n,
		    uint64_t *stream_bytes, uint64_t *wire_bytes);

/*
 * xf_commit() - the commit of mvgpu_migrate() alone: COMMIT on @sock
 * (seq 0), then the target's answer read as mvgpu_migrate() reads it.
 * Return: 0 (COMMITTED); the target's -errno with *@in_doubt 0 (a clear
 * ERROR: it does not run the vGPU); -EREMOTEIO with *@in_doubt 1.
 */
int xf_commit(mvgpu_ctx *ctx, int sock, unsigned timeout_ms, int *in_doubt);

/* ==== between transfer*.c ================================================== */

#define XF_CHUNK	MVGPU_WIRE_DATA_RAW_MAX	/* stream bytes per DATA */
#define XF_LOAD_FACTOR	4	/* LOADED may take this many timeouts */

/*
 * Fault injection for the two-host tests ($MVGPU_FAULT,
 * docs/wire-protocol.md).  Source: hold the migration after the first
 * pre-copy pass, or with the vGPUs in stop-copy, until the peer hangs up
 * (or the timeout passes), damage one byte of the first stop-copy DATA
 * message after its checksum, or cut the connection there.
 */
enum { XF_FAULT_NONE, XF_FAULT_HOLD, XF_FAULT_CORRUPT, XF_FAULT_CUT,
       XF_FAULT_HOLD_PRE };
int xf_fault_from_env(void);
/* Target: $MVGPU_FAULT names @what (drop-committed, fail-commit, ...). */
bool xf_fault_is(const char *what);

uint64_t xf_now_ns(void);
void xf_host_name(char *buf, size_t len);

/* One vGPU of a migration, either side. */
struct xf_vgpu {
	unsigned index;		/* in the session */
	mvgpu_dev *dev;
	int data_fd;
	uint64_t data_msgs;	/* DATA messages sent / arrived */
	uint64_t wire_bytes;	/* their payload bytes */

	/* source */
	const mvgpu_migrate_vgpu *mv;	/* its hooks and target UUID */
	unsigned passes;
	bool stopped, paused;
	uint64_t stream_bytes;	/* read from its data fd */
	uint64_t precopy_bytes;	/* of them, while it ran */
	uint64_t dirty;		/* after its last pass */
	char kind[MVGPU_STATE_KIND_MAX];
	void *state;
	size_t state_len;

	/* target */
	mvgpu_receive_result *res;
	bool own_dev;		/* we opened @dev (no workload holds it) */
	bool created;		/* we created the vGPU */
	bool applied;		/* the kernel applied the stream (RESUMING -> STOP) */
	bool got_end;
	struct mvgpu_wire_end end;
	uint64_t stream_out;
};

/* The shared state of one migration's callbacks, either side. */
struct xf {
	mvgpu_ctx *ctx;
	struct ntls *tls;	/* the connection's TLS, NULL */
	struct wconn *c;
	struct xf_vgpu *v;	/* the vGPUs: one, or a session's */
	unsigned n;
	struct xf_vgpu *cur;	/* whose bytes the data path moves now (a
				 * session's target: NULL before a STREAM) */
	uint64_t t0;
	const char *phase;
	unsigned timeout_ms;
	void (*event)(void *opaque, const mvgpu_image_event *ev);
	void *opaque;
	const volatile sig_atomic_t *cancel_flag;
	uint64_t tot_stream, tot_wire;	/* after the data phase, for events */
	uint64_t done_stream, done_wire;	/* bytes of the session's earlier
						 * runs of the pipeline */
	/* watchdog: the counts last time they moved */
	uint64_t last_in, last_out, last_move_ns;

	/* source */
	const mvgpu_migrate_opts *mo;
	int fault;		/* XF_FAULT_*: test-only, from $MVGPU_FAULT */
	LZ4F_cctx *cctx;
	LZ4F_preferences_t prefs;
	bool stopped;		/* the stop-copy window began */
	uint64_t t_stop, t_data_end;
	uint64_t msg_bytes;	/* bytes of the DATA messages this run made */
	bool cut_mid_message;	/* the socket has part of one only */

	/* target */
	LZ4F_dctx *dctx;
	uint8_t *pend;		/* a message split across reads */
	size_t pend_len;
	unsigned ends;		/* streams whose END arrived */
	bool got_end;		/* every stream's */
	bool commit_seen;	/* COMMIT arrived: the source waits for our word */
	char source_host[64];
};

/*
 * The vGPUs' states, either side.  xf_quiet_all(): each vGPU that has the
 * quiet states (VFIO_MIGRATION_P2P) to @quiet (PRE_COPY_P2P, RUNNING_P2P):
 * no peer copy starts any more.  xf_run_all(): every vGPU to RUNNING - a
 * session's first all quiet, then all running, so that no peer copy meets
 * a peer still stopped; @all: on past a failure (putting things back).
 * Return: 0 or the first -errno (in a session the message names the vGPU:
 * xf_vgpu_err()).
 */
int xf_quiet_all(struct xf *x, uint32_t quiet);
int xf_run_all(struct xf *x, bool all);
int xf_vgpu_err(struct xf *x, struct xf_vgpu *v, int err);

/* The common start of one migration's state, either side: @v (@n of
 * them, set up by the caller) on the connection @conn over @sock. */
void xf_start(struct xf *x, mvgpu_ctx *ctx, struct wconn *conn, int sock,
	      unsigned timeout_ms, const char *peer, struct xf_vgpu *v,
	      unsigned n);
void xf_emit(struct xf *x, struct uio *u, int kind, const char *name,
	     uint64_t dirty, uint64_t est);

/* Source: lz4 for DATA; the pipeline from @in to the socket, with @ops
 * (xf_compress() and xf_tick(), plus the caller's pause/source_end). */
int xf_lz4_init(struct xf *x);
int xf_compress(struct uio *u, void *opaque, const void *in, size_t len,
		bool last);
void xf_tick(struct uio *u, void *opaque);
void xf_send_cfg(struct uio_cfg *cfg, struct xf *x, int in,
		 const struct uio_ops *ops, const volatile sig_atomic_t *cancel);
/* STATE (if @v has one) and END of @v's stream. */
int xf_send_tail(struct xf *x, struct xf_vgpu *v);

/* Target: the reassembly buffer and lz4 context; the pipeline from the
 * socket to each vGPU's data fd (@fds, one per vGPU of x). */
int xf_recv_alloc(struct xf *x);
void xf_recv_free(struct xf *x);
void xf_recv_cfg(struct uio_cfg *cfg, struct xf *x, const int *fds);

#endif
