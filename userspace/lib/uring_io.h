/*
 * uring_io.h - libmvgpu private: a three-stage byte pipeline with io_uring
 * doing the I/O at both ends and a worker thread transforming in between.
 *
 *   source --read--> in buffers --worker: transform--> out buffers --write--> sink
 *
 * The caller's thread owns the ring.  It reads the source into free input
 * buffers and hands the filled ones to the worker in order; the worker
 * transforms them (lz4 compression or decompression, image.c) into output
 * buffers, which the caller's thread writes to the sink in order.  So
 * reading, transforming and writing overlap: with io_uring the reads and
 * writes run in the kernel (inline, or on io-wq workers for files that
 * cannot do non-blocking I/O, such as a VFIO migration data fd) while the
 * worker compresses.
 *
 * Ends:
 *  - a *sequential* end (a pipe, a socket, a VFIO data fd, a file at its
 *    current position) has one operation in flight: its order is the
 *    order of the bytes;
 *  - a *positional* end (a regular file from a given offset) has up to
 *    UIO_NBUF operations in flight, each at its own offset;
 *  - a sink may also be a callback (@consume) run on the caller's thread,
 *    e.g. a stream decoder: a third core of work overlapping the others.
 *
 * Every buffer is registered with the ring when the memlock limit allows
 * (fixed-buffer reads and writes: no page pinning per operation), and
 * used through plain reads and writes otherwise.
 *
 * Errors: the first one stops the pipeline (the worker is told, every
 * operation in flight completes or is cancelled before buffers are freed)
 * and uio_run() returns it with a message in @why.
 */
#ifndef MVGPU_URING_IO_H
#define MVGPU_URING_IO_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UIO_NBUF	4		/* buffers on each side */
#define UIO_WHY_MAX	256

struct uio;

/* An end of the pipeline. */
struct uio_end {
	int fd;			/* -1: sink only, use uio_ops.consume */
	int64_t off;		/* first offset; -1: sequential */
	uint64_t len;		/* positional source: exactly this many bytes */
	bool stream;		/* sequential source that is a byte stream (a
				 * socket): hand each read to the worker as it
				 * completes instead of waiting for a full
				 * buffer */
};

struct uio_ops {
	/*
	 * Worker thread: transform @len bytes at @in (@in NULL and @len 0 on
	 * the final call, @last true, after every input buffer).  Output goes
	 * through uio_out_reserve()/uio_out_commit().  Return 0 or -errno
	 * (with uio_fail() for a message).
	 */
	int (*transform)(struct uio *u, void *opaque, const void *in,
			 size_t len, bool last);
	/*
	 * Caller's thread, optional: the end of a pass - the sequential
	 * source read returned -ENOMSG (a VFIO pre-copy data fd: nothing
	 * left for now), or the bytes armed by @pass_bytes or
	 * uio_pause_after() were read.  Return 0 to read on, or -errno.
	 */
	int (*pause)(struct uio *u, void *opaque);
	/* Caller's thread, optional: the source reached its end (once). */
	int (*source_end)(struct uio *u, void *opaque);
	/* Caller's thread: the sink when its fd is -1. */
	int (*consume)(struct uio *u, void *opaque, const void *buf,
		       size_t len);
	/* Caller's thread, optional: about every @tick_ms while running. */
	void (*tick)(struct uio *u, void *opaque);
};

struct uio_cfg {
	struct uio_end src, dst;
	size_t in_size;		/* bytes of each input buffer */
	size_t out_size;	/* bytes of each output buffer */
	const struct uio_ops *ops;
	void *opaque;
	unsigned tick_ms;	/* 0: 100 */
	/* a socket sink: writes of at least this many bytes are zero-copy
	 * sends (IORING_OP_SEND_ZC; plain sends if the socket cannot);
	 * 0: never */
	size_t zc_min;
	/* checked at every wake-up; non-zero stops with -ECANCELED */
	const volatile sig_atomic_t *cancel;
	/*
	 * Sequential source: call @pause also once this many bytes were read
	 * (uio_pause_after() re-arms it), not only at -ENOMSG.  A VFIO
	 * pre-copy fd returns -ENOMSG only when nothing at all is left, which
	 * a device that keeps writing never reaches: its passes are bounded
	 * by bytes.  0: at -ENOMSG only.
	 */
	uint64_t pass_bytes;
	/*
	 * Several sequential sinks (the VFIO data fds of a migration
	 * session): each output buffer goes to dst_fds[i], i as the worker's
	 * last uio_out_select() said (0 until it says), one write at a time
	 * in output order; @dst is then not used.  NULL: @dst alone.
	 */
	const int *dst_fds;
	unsigned ndst;
};

/* What moved, readable from the callbacks and after uio_run(). */
struct uio_counts {
	uint64_t in_bytes;	/* read from the source */
	uint64_t out_bytes;	/* written to the sink */
	uint64_t reads, writes;	/* operations completed */
	bool registered;	/* fixed buffers were used */
	uint64_t zc_sends;	/* zero-copy sends completed */
};

/*
 * uio_run() - run the pipeline to its end: the source is exhausted, the
 * worker made its last call and every output byte reached the sink.
 * @why: a message on failure (UIO_WHY_MAX bytes).
 * Return: 0 or the first -errno.
 */
int uio_run(const struct uio_cfg *cfg, struct uio_counts *counts, char *why);

/* From @pause: end the next pass after @bytes more (0: at -ENOMSG only). */
void uio_pause_after(struct uio *u, uint64_t bytes);

/*
 * From @pause: the source ends here, as if it had reached its end - what
 * was read goes on to the worker, source_end runs, then the transform's
 * last call (a migration session reads one pre-copy pass of a vGPU per
 * run).
 */
void uio_end_source(struct uio *u);

/* From the callbacks: the counts so far. */
const struct uio_counts *uio_counts(const struct uio *u);

/*
 * Worker: room for at least @need bytes of output (need <= out_size);
 * *@avail gets the room there is.  Blocks until an output buffer is
 * free.  Return NULL when the pipeline is stopping (return -ECANCELED).
 */
void *uio_out_reserve(struct uio *u, size_t need, size_t *avail);
/* Worker: @n bytes were written at the reserved pointer. */
void uio_out_commit(struct uio *u, size_t n);

/*
 * Worker, with @dst_fds: the output from here on goes to sink @i (below
 * @ndst); what was committed before goes where it was due.  An @i out of
 * range fails the pipeline (-EINVAL).
 */
void uio_out_select(struct uio *u, unsigned i);

/*
 * Worker: the input it needs has all arrived (e.g. a protocol's last
 * message); stop reading the source (a read in flight is cancelled; bytes
 * it may still bring are an error) and finish as at the source's end:
 * source_end runs, then the transform's last call.
 */
void uio_end_input(struct uio *u);

/* Any thread: record the message of a failure (the first one wins);
 * returns @err. */
int uio_fail(struct uio *u, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* MVGPU_URING_IO_H */
