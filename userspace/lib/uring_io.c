// SPDX-License-Identifier: MIT
/*
 * uring_io.c - the io_uring pipeline of uring_io.h: the caller's thread
 * runs the ring (reads of the source, writes of the sink), a worker thread
 * runs the transform.  Buffers move between them through four FIFOs under
 * one mutex; the worker wakes the caller's thread through an eventfd whose
 * read sits in the ring, so one wait covers I/O completions and worker
 * progress alike.
 *
 * Buffer life:  in:  free -> reading (ring) -> full (worker) -> free
 *               out: free (worker) -> filling -> full -> writing (ring) -> free
 */
#include <errno.h>
#include <liburing.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "uring_io.h"

enum { OP_READ = 1, OP_WRITE = 2, OP_EFD = 3, OP_CANCEL = 4 };
#define UD(op, i)	((uint64_t)(op) << 8 | (i))
#define UD_OP(ud)	((unsigned)((ud) >> 8))
#define UD_IDX(ud)	((unsigned)((ud) & 0xff))

struct ubuf {
	uint8_t *p;
	size_t cap;
	size_t len;		/* in: bytes read; out: bytes produced */
	size_t done;		/* out: bytes written; in (positional): asked */
	int64_t off;		/* positional: where it goes */
	unsigned idx;		/* in the registered table */
	unsigned sink;		/* out, with dst_fds: where it goes */
	bool busy;		/* an operation on it is in flight */
	bool ready;		/* in: read complete; out: queued for writing */
	unsigned zc_pending;	/* out: zero-copy sends whose notification
				 * has not come: the kernel still reads it */
};

struct fifo {
	struct ubuf *v[UIO_NBUF];
	unsigned head, n;
};

struct uio {
	const struct uio_cfg *cfg;
	struct io_uring ring;
	struct ubuf in[UIO_NBUF], out[UIO_NBUF];
	struct uio_counts counts;
	int efd;
	uint64_t efd_val;

	/* shared with the worker: under lock */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct fifo in_free, in_full, out_free, out_full;
	bool in_eof;		/* no input after in_full drains */
	bool input_ended;	/* uio_end_input(): stop reading */
	bool stop;		/* stopping: worker returns */
	bool worker_done;
	int err;
	char why[UIO_WHY_MAX];

	/* the worker's */
	struct ubuf *cur_out;
	unsigned cur_sink;	/* uio_out_select() */

	/* the caller's thread's */
	struct fifo reading;	/* in buffers being read, in stream order */
	struct fifo writing;	/* out buffers to write, in stream order */
	struct ubuf *seq_in;	/* sequential source: buffer being filled */
	int64_t src_off;
	uint64_t src_left;
	bool src_eof;		/* source exhausted and everything delivered */
	bool src_done_reading;	/* no more reads to submit */
	int64_t dst_off;
	unsigned inflight;	/* reads + writes in the ring */
	bool efd_armed;
	bool failing;
	bool cancelled_ops;
	bool dst_sock;		/* the sink is a socket: send(MSG_NOSIGNAL) */
	bool zc;		/* zero-copy sends of big writes (until the
				 * socket says it cannot) */
	uint64_t pause_at;	/* in_bytes that ends a pass; 0: none */
	bool end_source;	/* uio_end_source() from @pause */
};

/* ---- small helpers ------------------------------------------------------ */

static void fifo_push(struct fifo *f, struct ubuf *b)
{
	f->v[(f->head + f->n++) % UIO_NBUF] = b;
}

static struct ubuf *fifo_pop(struct fifo *f)
{
	struct ubuf *b;

	if (!f->n)
		return NULL;
	b = f->v[f->head];
	f->head = (f->head + 1) % UIO_NBUF;
	f->n--;
	return b;
}

static struct ubuf *fifo_peek(const struct fifo *f)
{
	return f->n ? f->v[f->head] : NULL;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void wake_main(struct uio *u)
{
	uint64_t one = 1;

	/* an eventfd write only fails on counter overflow: never here */
	if (write(u->efd, &one, sizeof(one)) < 0)
		return;
}

static int vfail(struct uio *u, int err, const char *fmt, va_list ap)
{
	pthread_mutex_lock(&u->lock);
	if (!u->err) {
		u->err = err;
		vsnprintf(u->why, sizeof(u->why), fmt, ap);
	}
	pthread_mutex_unlock(&u->lock);
	return err;
}

int uio_fail(struct uio *u, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(u, err, fmt, ap);
	va_end(ap);
	return err;
}

const struct uio_counts *uio_counts(const struct uio *u)
{
	return &u->counts;
}

void uio_pause_after(struct uio *u, uint64_t bytes)
{
	u->pause_at = bytes ? u->counts.in_bytes + bytes : 0;
}

void uio_end_source(struct uio *u)
{
	u->end_source = true;
}

/* ---- the worker --------------------------------------------------------- */

void *uio_out_reserve(struct uio *u, size_t need, size_t *avail)
{
	struct ubuf *b = u->cur_out;

	if (b && b->cap - b->len >= need && b->cap > b->len) {
		*avail = b->cap - b->len;
		return b->p + b->len;
	}
	pthread_mutex_lock(&u->lock);
	if (b) {
		fifo_push(&u->out_full, b);
		u->cur_out = NULL;
		wake_main(u);
	}
	while (!u->stop && !u->out_free.n)
		pthread_cond_wait(&u->cond, &u->lock);
	b = u->stop ? NULL : fifo_pop(&u->out_free);
	pthread_mutex_unlock(&u->lock);
	if (!b)
		return NULL;
	b->len = 0;
	b->sink = u->cur_sink;
	u->cur_out = b;
	*avail = b->cap;
	return b->p;
}

void uio_out_commit(struct uio *u, size_t n)
{
	u->cur_out->len += n;
}

void uio_out_select(struct uio *u, unsigned i)
{
	struct ubuf *b = u->cur_out;

	if (u->cfg->dst_fds ? i >= u->cfg->ndst : i != 0) {
		uio_fail(u, -EINVAL, "no sink %u", i);
		return;
	}
	if (i == u->cur_sink)
		return;
	if (b && b->len) {
		/* what it holds is the previous sink's */
		pthread_mutex_lock(&u->lock);
		fifo_push(&u->out_full, b);
		pthread_mutex_unlock(&u->lock);
		wake_main(u);
		u->cur_out = NULL;
	} else if (b) {
		b->sink = i;
	}
	u->cur_sink = i;
}

void uio_end_input(struct uio *u)
{
	pthread_mutex_lock(&u->lock);
	u->input_ended = true;
	pthread_mutex_unlock(&u->lock);
	wake_main(u);
}

static void flush_out(struct uio *u)
{
	if (u->cur_out && u->cur_out->len) {
		pthread_mutex_lock(&u->lock);
		fifo_push(&u->out_full, u->cur_out);
		pthread_mutex_unlock(&u->lock);
		wake_main(u);
	}
	u->cur_out = NULL;
}

static void *worker(void *arg)
{
	struct uio *u = arg;
	const struct uio_ops *ops = u->cfg->ops;
	struct ubuf *b;
	int ret = 0;

	pthread_mutex_lock(&u->lock);
	for (;;) {
		while (!u->stop && !u->in_full.n && !u->in_eof)
			pthread_cond_wait(&u->cond, &u->lock);
		if (u->stop)
			break;
		b = fifo_pop(&u->in_full);
		pthread_mutex_unlock(&u->lock);
		if (!b) {
			ret = ops->transform(u, u->cfg->opaque, NULL, 0, true);
			if (!ret)
				flush_out(u);
			pthread_mutex_lock(&u->lock);
			break;
		}
		ret = ops->transform(u, u->cfg->opaque, b->p, b->len, false);
		pthread_mutex_lock(&u->lock);
		fifo_push(&u->in_free, b);
		wake_main(u);
		if (ret)
			break;
	}
	if (ret && !u->err) {
		u->err = ret;
		snprintf(u->why, sizeof(u->why), "%s", strerror(-ret));
	}
	u->worker_done = true;
	pthread_mutex_unlock(&u->lock);
	wake_main(u);
	return NULL;
}

/* ---- the ring ------------------------------------------------------------ */

static struct io_uring_sqe *get_sqe(struct uio *u)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);

	if (!sqe) {
		io_uring_submit(&u->ring);
		sqe = io_uring_get_sqe(&u->ring);
	}
	return sqe;	/* the ring has room for every buffer: never NULL */
}

static void prep_rw(struct uio *u, bool write, int fd, struct ubuf *b,
		    void *p, size_t len, int64_t off, uint64_t ud)
{
	struct io_uring_sqe *sqe = get_sqe(u);
	uint64_t o = off < 0 ? (uint64_t)-1 : (uint64_t)off;

	if (write && u->dst_sock && u->zc && len >= u->cfg->zc_min) {
		/* big chunks: the NIC reads our buffer, no copy into skbs */
		if (u->counts.registered)
			io_uring_prep_send_zc_fixed(sqe, fd, p, len, MSG_NOSIGNAL,
						    0, b->idx);
		else
			io_uring_prep_send_zc(sqe, fd, p, len, MSG_NOSIGNAL, 0);
		u->counts.zc_sends++;
	} else if (write && u->dst_sock)
		/* a peer that hung up is an error, never a SIGPIPE */
		io_uring_prep_send(sqe, fd, p, len, MSG_NOSIGNAL);
	else if (u->counts.registered && write)
		io_uring_prep_write_fixed(sqe, fd, p, len, o, b->idx);
	else if (u->counts.registered)
		io_uring_prep_read_fixed(sqe, fd, p, len, o, b->idx);
	else if (write)
		io_uring_prep_write(sqe, fd, p, len, o);
	else
		io_uring_prep_read(sqe, fd, p, len, o);
	io_uring_sqe_set_data64(sqe, ud);
	b->busy = true;
	u->inflight++;
}

static unsigned buf_index(const struct uio *u, const struct ubuf *b)
{
	return b >= u->in && b < u->in + UIO_NBUF ? (unsigned)(b - u->in)
						   : (unsigned)(b - u->out);
}

static void arm_efd(struct uio *u)
{
	struct io_uring_sqe *sqe;

	if (u->efd_armed)
		return;
	sqe = get_sqe(u);
	io_uring_prep_read(sqe, u->efd, &u->efd_val, sizeof(u->efd_val), 0);
	io_uring_sqe_set_data64(sqe, UD(OP_EFD, 0));
	u->efd_armed = true;
}

static int start_failing(struct uio *u)
{
	struct io_uring_sqe *sqe;
	unsigned i;

	if (u->failing)
		return 0;
	u->failing = true;
	pthread_mutex_lock(&u->lock);
	u->stop = true;
	pthread_cond_broadcast(&u->cond);
	pthread_mutex_unlock(&u->lock);
	/* a blocking read of a pipe may never end by itself */
	for (i = 0; i < UIO_NBUF; i++) {
		if (u->in[i].busy) {
			sqe = get_sqe(u);
			io_uring_prep_cancel64(sqe, UD(OP_READ, i), 0);
			io_uring_sqe_set_data64(sqe, UD(OP_CANCEL, 0));
		}
		if (u->out[i].busy) {
			sqe = get_sqe(u);
			io_uring_prep_cancel64(sqe, UD(OP_WRITE, i), 0);
			io_uring_sqe_set_data64(sqe, UD(OP_CANCEL, 0));
		}
	}
	return 0;
}

static void submit_reads(struct uio *u)
{
	const struct uio_end *s = &u->cfg->src;
	struct ubuf *b;

	if (u->src_done_reading)
		return;
	if (s->off < 0) {
		if (u->seq_in && u->seq_in->busy)
			return;
		if (!u->seq_in) {
			pthread_mutex_lock(&u->lock);
			b = fifo_pop(&u->in_free);
			pthread_mutex_unlock(&u->lock);
			if (!b)
				return;
			b->len = 0;
			u->seq_in = b;
		}
		b = u->seq_in;
		prep_rw(u, false, s->fd, b, b->p + b->len, b->cap - b->len, -1,
			UD(OP_READ, buf_index(u, b)));
		return;
	}
	while (u->src_left) {
		pthread_mutex_lock(&u->lock);
		b = fifo_pop(&u->in_free);
		pthread_mutex_unlock(&u->lock);
		if (!b)
			return;
		b->len = 0;
		b->ready = false;
		b->off = u->src_off;
		b->done = u->src_left < b->cap ? (size_t)u->src_left : b->cap;
		u->src_off += (int64_t)b->done;
		u->src_left -= b->done;
		fifo_push(&u->reading, b);
		prep_rw(u, false, s->fd, b, b->p, b->done, b->off,
			UD(OP_READ, buf_index(u, b)));
	}
	u->src_done_reading = true;
}

/* Hand completed positional reads to the worker, in order. */
static void deliver_reads(struct uio *u)
{
	struct ubuf *b;
	bool any = false;

	while ((b = fifo_peek(&u->reading)) && b->ready) {
		fifo_pop(&u->reading);
		pthread_mutex_lock(&u->lock);
		fifo_push(&u->in_full, b);
		pthread_mutex_unlock(&u->lock);
		any = true;
	}
	if (any) {
		pthread_mutex_lock(&u->lock);
		pthread_cond_broadcast(&u->cond);
		pthread_mutex_unlock(&u->lock);
	}
}

static int source_ended(struct uio *u)
{
	const struct uio_ops *ops = u->cfg->ops;

	if (u->src_eof)
		return 0;
	u->src_eof = true;
	pthread_mutex_lock(&u->lock);
	u->in_eof = true;
	pthread_cond_broadcast(&u->cond);
	pthread_mutex_unlock(&u->lock);
	return ops->source_end ? ops->source_end(u, u->cfg->opaque) : 0;
}

static void give_out_back(struct uio *u, struct ubuf *b)
{
	b->busy = false;
	b->ready = false;
	pthread_mutex_lock(&u->lock);
	fifo_push(&u->out_free, b);
	pthread_cond_broadcast(&u->cond);
	pthread_mutex_unlock(&u->lock);
}

/* Where an output buffer goes: its sink of a session, or the one sink. */
static int sink_fd(const struct uio *u, const struct ubuf *b)
{
	return u->cfg->dst_fds ? u->cfg->dst_fds[b->sink] : u->cfg->dst.fd;
}

static int submit_writes(struct uio *u)
{
	const struct uio_end *d = &u->cfg->dst;
	bool seq_taken = false;
	struct ubuf *b;
	unsigned i;
	int ret;

	pthread_mutex_lock(&u->lock);
	while ((b = fifo_pop(&u->out_full))) {
		b->done = 0;
		b->ready = true;
		b->off = d->off < 0 ? -1 : u->dst_off;
		if (d->off >= 0)
			u->dst_off += (int64_t)b->len;
		fifo_push(&u->writing, b);
	}
	pthread_mutex_unlock(&u->lock);

	if (!u->cfg->dst_fds && d->fd < 0) {
		/* a callback sink: synchronous, in order */
		while ((b = fifo_pop(&u->writing))) {
			ret = u->cfg->ops->consume(u, u->cfg->opaque, b->p, b->len);
			u->counts.out_bytes += b->len;
			u->counts.writes++;
			give_out_back(u, b);
			if (ret)
				return ret;
		}
		return 0;
	}
	for (i = 0; i < u->writing.n; i++) {
		b = u->writing.v[(u->writing.head + i) % UIO_NBUF];
		if (!b->busy && b->done == b->len)
			continue;	/* sent; a zero-copy notification is due */
		if (d->off < 0) {
			/* sequential: one at a time, in order */
			if (seq_taken)
				break;
			seq_taken = true;
		}
		if (b->busy)
			continue;
		prep_rw(u, true, sink_fd(u, b), b, b->p + b->done, b->len - b->done,
			b->off < 0 ? -1 : b->off + (int64_t)b->done,
			UD(OP_WRITE, buf_index(u, b)));
	}
	return 0;
}

/* Drop written buffers from the front of the writing list. */
static void retire_writes(struct uio *u)
{
	struct ubuf *b;
	unsigned i, n = u->writing.n;
	struct fifo keep = { .head = 0, .n = 0 };

	for (i = 0; i < n; i++) {
		b = fifo_pop(&u->writing);
		if (!b->busy && !b->zc_pending && b->done == b->len)
			give_out_back(u, b);
		else
			fifo_push(&keep, b);
	}
	u->writing = keep;
}

/* uio_end_source() from @pause: what was read goes to the worker, and
 * the source has ended. */
static int end_source_now(struct uio *u)
{
	struct ubuf *b = u->seq_in;

	u->end_source = false;
	u->src_done_reading = true;
	if (b) {
		pthread_mutex_lock(&u->lock);
		fifo_push(b->len ? &u->in_full : &u->in_free, b);
		pthread_cond_broadcast(&u->cond);
		pthread_mutex_unlock(&u->lock);
		u->seq_in = NULL;
	}
	return source_ended(u);
}

static int on_read(struct uio *u, struct ubuf *b, int res)
{
	const struct uio_ops *ops = u->cfg->ops;
	const struct uio_end *s = &u->cfg->src;
	int ret;

	b->busy = false;
	if (u->src_done_reading && s->off < 0) {
		/* uio_end_input(): this read was cancelled, or raced it */
		if (res > 0)
			return uio_fail(u, -EPROTO,
					"%d unexpected bytes after the end of the input",
					res);
		pthread_mutex_lock(&u->lock);
		fifo_push(&u->in_free, b);
		pthread_mutex_unlock(&u->lock);
		u->seq_in = NULL;
		return source_ended(u);
	}
	if (res == -EINTR || res == -EAGAIN)
		goto again;
	if (s->off < 0) {
		if (res == -ENOMSG && ops->pause) {
			u->pause_at = 0;	/* the callback re-arms it */
			ret = ops->pause(u, u->cfg->opaque);
			if (ret)
				return ret;
			if (u->end_source)
				return end_source_now(u);
			return 0;	/* read again from submit_reads() */
		}
		if (res < 0)
			return uio_fail(u, res, "reading: %s", strerror(-res));
		if (res == 0) {
			u->src_done_reading = true;
			if (b->len) {
				pthread_mutex_lock(&u->lock);
				fifo_push(&u->in_full, b);
				pthread_mutex_unlock(&u->lock);
			} else {
				pthread_mutex_lock(&u->lock);
				fifo_push(&u->in_free, b);
				pthread_mutex_unlock(&u->lock);
			}
			u->seq_in = NULL;
			return source_ended(u);
		}
		b->len += (size_t)res;
		u->counts.in_bytes += (uint64_t)res;
		u->counts.reads++;
		if (b->len == b->cap || s->stream) {
			pthread_mutex_lock(&u->lock);
			fifo_push(&u->in_full, b);
			pthread_cond_broadcast(&u->cond);
			pthread_mutex_unlock(&u->lock);
			u->seq_in = NULL;
		}
		if (u->pause_at && u->counts.in_bytes >= u->pause_at &&
		    ops->pause) {
			u->pause_at = 0;	/* the callback re-arms it */
			ret = ops->pause(u, u->cfg->opaque);
			if (!ret && u->end_source)
				return end_source_now(u);
			return ret;
		}
		return 0;
	}
	if (res < 0)
		return uio_fail(u, res, "reading at offset %lld: %s",
				(long long)(b->off + (int64_t)b->len),
				strerror(-res));
	if (res == 0)
		return uio_fail(u, -ENODATA,
				"the file ended at offset %lld, %llu bytes early",
				(long long)(b->off + (int64_t)b->len),
				(unsigned long long)(b->done - b->len) + u->src_left);
	b->len += (size_t)res;
	u->counts.in_bytes += (uint64_t)res;
	u->counts.reads++;
	if (b->len < b->done)
		goto again;
	b->ready = true;
	deliver_reads(u);
	if (u->src_done_reading && !u->reading.n)
		return source_ended(u);
	return 0;
again:
	prep_rw(u, false, s->fd, b, b->p + b->len,
		(s->off < 0 ? b->cap : b->done) - b->len,
		s->off < 0 ? -1 : b->off + (int64_t)b->len,
		UD(OP_READ, buf_index(u, b)));
	return 0;
}

static int on_write(struct uio *u, struct ubuf *b, int res)
{
	b->busy = false;
	if (res == -EINTR || res == -EAGAIN)
		return 0;	/* submit_writes() retries */
	if ((res == -EOPNOTSUPP || res == -EINVAL) && u->zc) {
		/* no zero-copy here (a unix socket, an old kernel): copy */
		u->zc = false;
		u->counts.zc_sends = 0;
		return 0;
	}
	if (res < 0)
		return uio_fail(u, res, "writing: %s", strerror(-res));
	if (res == 0)
		return uio_fail(u, -EIO, "writing: no progress");
	b->done += (size_t)res;
	u->counts.out_bytes += (uint64_t)res;
	u->counts.writes++;
	if (b->done == b->len)
		retire_writes(u);
	return 0;
}

static int reap(struct uio *u)
{
	struct io_uring_cqe *cqe;
	unsigned head, n = 0;
	int ret = 0;

	io_uring_for_each_cqe(&u->ring, head, cqe) {
		uint64_t ud = io_uring_cqe_get_data64(cqe);
		unsigned idx = UD_IDX(ud);
		int r = 0;

		n++;
		switch (UD_OP(ud)) {
		case OP_READ:
			u->inflight--;
			if (u->failing)
				u->in[idx].busy = false;
			else
				r = on_read(u, &u->in[idx], cqe->res);
			break;
		case OP_WRITE:
			if (cqe->flags & IORING_CQE_F_NOTIF) {
				/* a zero-copy send let go of the buffer */
				u->inflight--;
				u->out[idx].zc_pending--;
				if (!u->failing)
					retire_writes(u);
				break;
			}
			if (cqe->flags & IORING_CQE_F_MORE)
				u->out[idx].zc_pending++;	/* inflight until then */
			else
				u->inflight--;
			if (u->failing)
				u->out[idx].busy = false;
			else
				r = on_write(u, &u->out[idx], cqe->res);
			break;
		case OP_EFD:
			u->efd_armed = false;
			break;
		default:
			break;
		}
		if (r && !ret)
			ret = r;
	}
	io_uring_cq_advance(&u->ring, n);
	return ret;
}

/* ---- setup and the loop ---------------------------------------------------- */

static int alloc_bufs(struct uio *u, struct ubuf *bufs, size_t size,
		      unsigned first)
{
	unsigned i;

	for (i = 0; i < UIO_NBUF; i++) {
		void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			return -ENOMEM;
		bufs[i].p = p;
		bufs[i].cap = size;
		bufs[i].idx = first + i;
	}
	(void)u;
	return 0;
}

static void free_bufs(struct ubuf *bufs)
{
	unsigned i;

	for (i = 0; i < UIO_NBUF; i++)
		if (bufs[i].p)
			munmap(bufs[i].p, bufs[i].cap);
}

static void register_bufs(struct uio *u)
{
	struct iovec iov[2 * UIO_NBUF];
	unsigned i;

	for (i = 0; i < UIO_NBUF; i++) {
		iov[i] = (struct iovec){ u->in[i].p, u->in[i].cap };
		iov[UIO_NBUF + i] = (struct iovec){ u->out[i].p, u->out[i].cap };
	}
	/* fails under a small RLIMIT_MEMLOCK: plain reads and writes then */
	u->counts.registered =
		io_uring_register_buffers(&u->ring, iov, 2 * UIO_NBUF) == 0;
}

/* uio_end_input() seen: no more reads; cancel the one in flight (its
 * completion then ends the source, on_read()), or end it now. */
static int end_reading(struct uio *u)
{
	struct io_uring_sqe *sqe;

	u->src_done_reading = true;
	if (u->seq_in && u->seq_in->busy) {
		sqe = get_sqe(u);
		io_uring_prep_cancel64(sqe, UD(OP_READ, buf_index(u, u->seq_in)), 0);
		io_uring_sqe_set_data64(sqe, UD(OP_CANCEL, 0));
		return 0;
	}
	if (u->seq_in) {
		pthread_mutex_lock(&u->lock);
		fifo_push(&u->in_free, u->seq_in);
		pthread_mutex_unlock(&u->lock);
		u->seq_in = NULL;
	}
	return source_ended(u);
}

static bool finished(struct uio *u)
{
	bool done;

	pthread_mutex_lock(&u->lock);
	done = u->worker_done && !u->err && !u->out_full.n;
	pthread_mutex_unlock(&u->lock);
	return done && u->src_eof && !u->writing.n && !u->inflight;
}

static int loop(struct uio *u)
{
	const struct uio_cfg *c = u->cfg;
	unsigned tick = c->tick_ms ? c->tick_ms : 100;
	uint64_t next_tick = now_ms() + tick;
	int ret;

	for (;;) {
		bool worker_done, input_ended;

		pthread_mutex_lock(&u->lock);
		ret = u->err;
		worker_done = u->worker_done;
		input_ended = u->input_ended;
		pthread_mutex_unlock(&u->lock);
		if (input_ended && !u->src_done_reading && !u->failing)
			ret = ret ? ret : end_reading(u);
		if (!ret && c->cancel && *c->cancel)
			ret = uio_fail(u, -ECANCELED, "interrupted");
		if (ret)
			start_failing(u);
		if (!u->failing) {
			submit_reads(u);
			ret = submit_writes(u);
			if (ret) {
				start_failing(u);
				continue;
			}
			if (finished(u))
				return 0;
		} else if (!u->inflight && worker_done) {
			return u->err;
		}
		arm_efd(u);
		{
			struct __kernel_timespec ts = {
				.tv_sec = tick / 1000,
				.tv_nsec = (long long)(tick % 1000) * 1000000,
			};
			struct io_uring_cqe *cqe;

			ret = io_uring_submit_and_wait_timeout(&u->ring, &cqe, 1,
							       &ts, NULL);
			if (ret < 0 && ret != -ETIME && ret != -EINTR &&
			    ret != -EAGAIN && ret != -EBUSY) {
				uio_fail(u, ret, "io_uring: %s", strerror(-ret));
				start_failing(u);
			}
		}
		ret = reap(u);
		if (ret)
			start_failing(u);
		if (c->ops->tick && now_ms() >= next_tick && !u->failing) {
			c->ops->tick(u, c->opaque);
			next_tick = now_ms() + tick;
		}
	}
}

int uio_run(const struct uio_cfg *cfg, struct uio_counts *counts, char *why)
{
	struct uio *u;
	pthread_t th;
	bool thread = false;
	unsigned i;
	int ret;

	if (why)
		why[0] = '\0';
	u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	u->cfg = cfg;
	u->pause_at = cfg->pass_bytes;
	u->efd = -1;
	pthread_mutex_init(&u->lock, NULL);
	pthread_cond_init(&u->cond, NULL);
	u->src_off = cfg->src.off;
	u->src_left = cfg->src.len;
	u->dst_off = cfg->dst.off;
	{
		struct stat st;

		int dfd = cfg->dst_fds ? cfg->dst_fds[0] : cfg->dst.fd;

		u->dst_sock = dfd >= 0 && !fstat(dfd, &st) && S_ISSOCK(st.st_mode);
		u->zc = u->dst_sock && cfg->zc_min;
	}
	if (cfg->src.off >= 0 && !cfg->src.len)
		u->src_done_reading = true;	/* empty: source_ended() below */

	ret = alloc_bufs(u, u->in, cfg->in_size, 0);
	if (!ret)
		ret = alloc_bufs(u, u->out, cfg->out_size, UIO_NBUF);
	if (ret) {
		snprintf(u->why, sizeof(u->why), "cannot allocate buffers");
		goto out;
	}
	for (i = 0; i < UIO_NBUF; i++) {
		fifo_push(&u->in_free, &u->in[i]);
		fifo_push(&u->out_free, &u->out[i]);
	}
	u->efd = eventfd(0, EFD_CLOEXEC);
	if (u->efd < 0) {
		ret = -errno;
		snprintf(u->why, sizeof(u->why), "eventfd: %s", strerror(errno));
		goto out;
	}
	ret = io_uring_queue_init(4 * UIO_NBUF + 8, &u->ring, 0);
	if (ret) {
		snprintf(u->why, sizeof(u->why), "io_uring_queue_init: %s%s",
			 strerror(-ret),
			 ret == -EPERM || ret == -ENOSYS ?
			 " (is io_uring disabled: /proc/sys/kernel/io_uring_disabled?)" : "");
		goto out;
	}
	register_bufs(u);
	ret = pthread_create(&th, NULL, worker, u);
	if (ret) {
		ret = -ret;
		snprintf(u->why, sizeof(u->why), "cannot start a thread: %s",
			 strerror(-ret));
		goto out_ring;
	}
	thread = true;
	if (u->src_done_reading)
		ret = source_ended(u);
	if (!ret)
		ret = loop(u);

	/* stop the worker, then let the eventfd read complete */
	pthread_mutex_lock(&u->lock);
	u->stop = true;
	pthread_cond_broadcast(&u->cond);
	pthread_mutex_unlock(&u->lock);
	pthread_join(th, NULL);
	while (u->efd_armed || u->inflight) {
		struct io_uring_cqe *cqe;

		wake_main(u);
		io_uring_submit(&u->ring);
		if (io_uring_wait_cqe(&u->ring, &cqe) < 0)
			break;
		u->failing = true;	/* results no longer matter */
		reap(u);
	}
out_ring:
	io_uring_queue_exit(&u->ring);
out:
	(void)thread;
	if (ret && !u->err)
		u->err = ret;
	ret = u->err;
	if (ret && why)
		snprintf(why, UIO_WHY_MAX, "%s", u->why[0] ? u->why : strerror(-ret));
	if (counts)
		*counts = u->counts;
	if (u->efd >= 0)
		close(u->efd);
	free_bufs(u->in);
	free_bufs(u->out);
	pthread_cond_destroy(&u->cond);
	pthread_mutex_destroy(&u->lock);
	free(u);
	return ret;
}
