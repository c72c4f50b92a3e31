/* SPDX-License-Identifier: MIT */
/*
 * wire.h - the framing of the labd protocol (see the top of labd.c): a
 * header line "WORD N N ...\n" of at most WIRE_LINE_MAX bytes, then the
 * payloads whose lengths the header gives.  Used by both ends; every
 * call is bounded by a deadline (lab2_now_ms() based, see util.h).
 */
#ifndef MVGPU_LAB2_WIRE_H
#define MVGPU_LAB2_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/uio.h>

#define WIRE_LINE_MAX 256 /* header line, '\n' included */
#define WIRE_WORD_MAX 16
#define WIRE_NUMS_MAX 4

/* A connected socket with a read buffer. */
struct wire {
	int fd;
	size_t pos, len;
	char buf[4096];
};

/* A parsed header line: a word of capitals, then decimal numbers >= 0. */
struct wire_msg {
	char word[WIRE_WORD_MAX];
	long long num[WIRE_NUMS_MAX];
	int nnum;
};

void wire_init(struct wire *w, int fd);
/* True if bytes are buffered (poll() on the fd would not see them). */
bool wire_buffered(const struct wire *w);

/*
 * One line without its '\n', NUL-terminated in @line (@size bytes).
 * Returns its length, or -ENODATA (EOF before any byte), -ECONNRESET
 * (EOF inside the line), -EMSGSIZE (longer than @size - 1), -ETIMEDOUT.
 */
int wire_read_line(struct wire *w, char *line, size_t size, long long deadline);
/* Exactly @n bytes.  0, or -ECONNRESET, -ETIMEDOUT, -errno. */
int wire_read(struct wire *w, void *p, size_t n, long long deadline);
/* @n bytes into a new buffer with a NUL after them (free() it). */
int wire_read_alloc(struct wire *w, size_t n, char **out, long long deadline);

/* Parse a header line.  0 or -EINVAL. */
int wire_parse(const char *line, struct wire_msg *m);

/* Send @hdr (with its '\n') then the @n payloads, all or nothing but an error. */
int wire_send(struct wire *w, const char *hdr, const struct iovec *pl, int n,
	      long long deadline);

#endif
