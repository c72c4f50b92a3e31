// SPDX-License-Identifier: MIT
/*
 * uio_sync.c - uring_io.h's pipeline, synchronous (uio_sync.h): one
 * thread, plain read()/pread()/write()/pwrite(), one input and one output
 * buffer.  Same callbacks, same order of events, same first-error rule as
 * userspace/lib/uring_io.c; what it cannot reproduce (timing: how a socket's
 * bytes are cut into reads) the harness chooses with uio_sync_reads().
 *
 * A broken contract (reserving more than out_size, committing more than was
 * reserved) aborts: for a fuzzer, that is a finding.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "uio_sync.h"

#define SYNC_READS_MAX	64

static uint32_t sync_reads[SYNC_READS_MAX];
static size_t sync_nreads;
static void (*sync_tap)(void *opaque, const void *buf, size_t len);
static void *sync_tap_opaque;

struct uio {
	const struct uio_cfg *cfg;
	struct uio_counts counts;
	uint8_t *in, *out;
	uint8_t *piece;		/* stream source: where a piece is handed over */
	size_t out_len;		/* bytes in out */
	size_t avail;		/* room the last reserve gave */
	int64_t dst_off;	/* positional sink: next offset */
	size_t next_read;	/* index into sync_reads */
	unsigned sink;		/* with dst_fds: uio_out_select()'s */
	bool input_ended;
	bool source_ended;	/* uio_end_source() */
	int err;
	char why[UIO_WHY_MAX];
};

void uio_sync_reads(const uint32_t *sizes, size_t n)
{
	if (n > SYNC_READS_MAX)
		n = SYNC_READS_MAX;
	if (n)
		memcpy(sync_reads, sizes, n * sizeof(*sizes));
	sync_nreads = n;
}

void uio_sync_tap(void (*fn)(void *opaque, const void *buf, size_t len),
		  void *opaque)
{
	sync_tap = fn;
	sync_tap_opaque = opaque;
}

static void sync_abort(const char *what, size_t a, size_t b)
{
	fprintf(stderr, "uio_sync: contract broken: %s (%zu, %zu)\n", what, a, b);
	abort();
}

int uio_fail(struct uio *u, int err, const char *fmt, ...)
{
	va_list ap;

	if (!u->err) {
		u->err = err;
		va_start(ap, fmt);
		vsnprintf(u->why, sizeof(u->why), fmt, ap);
		va_end(ap);
	}
	return err;
}

const struct uio_counts *uio_counts(const struct uio *u)
{
	return &u->counts;
}

void uio_pause_after(struct uio *u, uint64_t bytes)
{
	(void)u;
	(void)bytes;	/* no pauses: the sources here never return -ENOMSG */
}

void uio_end_input(struct uio *u)
{
	u->input_ended = true;
}

void uio_end_source(struct uio *u)
{
	u->source_ended = true;	/* only from a pause: never called here */
}

/* The output buffer to the sink. */
static int sync_flush(struct uio *u)
{
	const struct uio_cfg *c = u->cfg;
	int fd = c->dst_fds ? c->dst_fds[u->sink] : c->dst.fd;
	size_t done = 0;
	ssize_t w;
	int ret;

	if (!u->out_len)
		return 0;
	if (sync_tap)
		sync_tap(sync_tap_opaque, u->out, u->out_len);
	if (fd < 0) {
		ret = c->ops->consume(u, c->opaque, u->out, u->out_len);
		u->counts.out_bytes += u->out_len;
		u->counts.writes++;
		u->out_len = 0;
		if (ret)
			return uio_fail(u, ret, "%s", strerror(-ret));
		return 0;
	}
	while (done < u->out_len) {
		if (c->dst.off < 0)
			w = write(fd, u->out + done, u->out_len - done);
		else
			w = pwrite(fd, u->out + done, u->out_len - done,
				   u->dst_off + (int64_t)done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return uio_fail(u, w < 0 ? -errno : -EIO, "writing: %s",
					w < 0 ? strerror(errno) : "no progress");
		done += (size_t)w;
		u->counts.out_bytes += (uint64_t)w;
		u->counts.writes++;
	}
	u->dst_off += (int64_t)done;
	u->out_len = 0;
	return 0;
}

void *uio_out_reserve(struct uio *u, size_t need, size_t *avail)
{
	size_t cap = u->cfg->out_size;

	if (need > cap)
		sync_abort("uio_out_reserve() of more than out_size", need, cap);
	if (u->err)
		return NULL;	/* stopping */
	if (cap - u->out_len < need || cap == u->out_len) {
		if (sync_flush(u))
			return NULL;
	}
	u->avail = cap - u->out_len;
	*avail = u->avail;
	return u->out + u->out_len;
}

void uio_out_commit(struct uio *u, size_t n)
{
	if (n > u->avail)
		sync_abort("uio_out_commit() of more than was reserved", n, u->avail);
	u->out_len += n;
	u->avail -= n;
}

void uio_out_select(struct uio *u, unsigned i)
{
	const struct uio_cfg *c = u->cfg;

	if (c->dst_fds ? i >= c->ndst : i != 0) {
		uio_fail(u, -EINVAL, "no sink %u", i);
		return;
	}
	if (i != u->sink && !sync_flush(u))
		u->sink = i;
}

/* The transform, with the worker's rule for a bare error code. */
static int sync_transform(struct uio *u, const void *in, size_t len, bool last)
{
	int ret = u->cfg->ops->transform(u, u->cfg->opaque, in, len, last);

	if (ret && !u->err)
		uio_fail(u, ret, "%s", strerror(-ret));
	return u->err;
}

static bool sync_stopped(struct uio *u)
{
	const struct uio_cfg *c = u->cfg;

	if (!u->err && c->cancel && *c->cancel)
		uio_fail(u, -ECANCELED, "interrupted");
	return u->err != 0;
}

/* The source is through (or the transform said so): its end, then the
 * transform's last call and the last output. */
static int sync_finish(struct uio *u)
{
	const struct uio_cfg *c = u->cfg;
	int ret;

	if (c->ops->source_end) {
		ret = c->ops->source_end(u, c->opaque);
		if (ret)
			return uio_fail(u, ret, "%s", strerror(-ret));
	}
	if (sync_transform(u, NULL, 0, true))
		return u->err;
	return sync_flush(u);
}

static size_t sync_read_size(struct uio *u, size_t room)
{
	size_t n;

	if (!sync_nreads)
		return room;
	n = sync_reads[u->next_read++ % sync_nreads];
	if (!n)
		n = 1;
	return n < room ? n : room;
}

/* After uio_end_input(): bytes still there are an error (uring_io.c: a
 * read that completes with data). */
static int sync_check_drained(struct uio *u, size_t buffered)
{
	uint8_t b;
	ssize_t r;

	do
		r = read(u->cfg->src.fd, &b, 1);
	while (r < 0 && errno == EINTR);
	if (buffered || r > 0)
		return uio_fail(u, -EPROTO,
				"%zu unexpected bytes after the end of the input",
				buffered + (r > 0 ? (size_t)r : 0));
	return 0;
}

/*
 * A stream source (a socket): the bytes come in pieces of the harness's
 * sizes, each handed over as a read's would be, at the very end of a
 * buffer of in_size bytes, so that reading past a piece is an
 * AddressSanitizer report.  The fd is read in big reads (a piece costs no
 * system call).
 */
static int sync_stream(struct uio *u)
{
	const struct uio_cfg *c = u->cfg;
	size_t have = 0, off = 0, n;
	uint8_t *piece;
	ssize_t r;

	for (;;) {
		if (sync_stopped(u))
			return u->err;
		if (u->input_ended) {
			if (sync_check_drained(u, have - off))
				return u->err;
			return sync_finish(u);
		}
		if (off == have) {
			r = read(c->src.fd, u->in, c->in_size);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0)
				return uio_fail(u, -errno, "reading: %s", strerror(errno));
			if (r == 0)
				break;
			have = (size_t)r;
			off = 0;
		}
		n = sync_read_size(u, have - off);
		piece = u->piece + c->in_size - n;
		memcpy(piece, u->in + off, n);
		off += n;
		u->counts.in_bytes += n;
		u->counts.reads++;
		if (sync_transform(u, piece, n, false))
			return u->err;
	}
	return sync_finish(u);
}

/* Another sequential source (a pipe, a data fd): buffers are filled. */
static int sync_sequential(struct uio *u)
{
	const struct uio_cfg *c = u->cfg;
	size_t len = 0;
	ssize_t r;

	for (;;) {
		if (sync_stopped(u))
			return u->err;
		if (u->input_ended) {
			if (sync_check_drained(u, len))
				return u->err;
			return sync_finish(u);
		}
		if (u->source_ended)
			break;
		r = read(c->src.fd, u->in + len,
			 sync_read_size(u, c->in_size - len));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return uio_fail(u, -errno, "reading: %s", strerror(errno));
		if (r == 0)
			break;
		len += (size_t)r;
		u->counts.in_bytes += (uint64_t)r;
		u->counts.reads++;
		if (len == c->in_size) {
			if (sync_transform(u, u->in, len, false))
				return u->err;
			len = 0;
		}
	}
	if (len && sync_transform(u, u->in, len, false))
		return u->err;
	return sync_finish(u);
}

static int sync_positional(struct uio *u)
{
	const struct uio_cfg *c = u->cfg;
	int64_t off = c->src.off;
	uint64_t left = c->src.len;

	while (left && !u->input_ended) {
		size_t want = left < c->in_size ? (size_t)left : c->in_size;
		size_t got = 0;
		ssize_t r;

		if (sync_stopped(u))
			return u->err;
		while (got < want) {
			r = pread(c->src.fd, u->in + got, want - got,
				  off + (int64_t)got);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0)
				return uio_fail(u, -errno, "reading at offset %lld: %s",
						(long long)(off + (int64_t)got),
						strerror(errno));
			if (r == 0)
				return uio_fail(u, -ENODATA,
						"the file ended at offset %lld, %llu bytes early",
						(long long)(off + (int64_t)got),
						(unsigned long long)(left - got));
			got += (size_t)r;
			u->counts.in_bytes += (uint64_t)r;
			u->counts.reads++;
		}
		off += (int64_t)want;
		left -= want;
		if (sync_transform(u, u->in, want, false))
			return u->err;
	}
	if (sync_stopped(u))
		return u->err;
	return sync_finish(u);
}

/*
 * The buffers outlive a run while the sizes stay the same: megabytes
 * allocated and freed per run would cost a fuzzer most of its time in the
 * sanitizer's allocator.  Still exactly the size asked for.
 */
struct sync_buf {
	uint8_t *p;
	size_t size;
};

static struct sync_buf sync_in, sync_piece, sync_out;

static uint8_t *sync_buffer(struct sync_buf *b, size_t size)
{
	if (!size)
		size = 1;
	if (b->p && b->size == size)
		return b->p;
	free(b->p);
	b->p = malloc(size);
	b->size = b->p ? size : 0;
	return b->p;
}

int uio_run(const struct uio_cfg *cfg, struct uio_counts *counts, char *why)
{
	struct uio u = { .cfg = cfg, .dst_off = cfg->dst.off };

	if (why)
		why[0] = '\0';
	u.in = sync_buffer(&sync_in, cfg->in_size);
	u.piece = sync_buffer(&sync_piece, cfg->in_size);
	u.out = sync_buffer(&sync_out, cfg->out_size);
	if (!u.in || !u.piece || !u.out)
		uio_fail(&u, -ENOMEM, "cannot allocate buffers");
	else if (cfg->src.off < 0 && cfg->src.stream)
		sync_stream(&u);
	else if (cfg->src.off < 0)
		sync_sequential(&u);
	else
		sync_positional(&u);
	if (u.err && why)
		snprintf(why, UIO_WHY_MAX, "%s", u.why[0] ? u.why : strerror(-u.err));
	if (counts)
		*counts = u.counts;
	return u.err;
}
