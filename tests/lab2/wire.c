// SPDX-License-Identifier: MIT
/* wire.c - see wire.h */
#include "wire.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

void wire_init(struct wire *w, int fd)
{
	w->fd = fd;
	w->pos = w->len = 0;
}

bool wire_buffered(const struct wire *w)
{
	return w->pos < w->len;
}

/* Wait until @fd is ready for @events or @deadline passes. */
static int wire_poll(int fd, short events, long long deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	int n;

	for (;;) {
		n = poll(&p, 1, lab2_left_ms(deadline));
		if (n > 0)
			return 0;
		if (n == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

/* Refill an empty buffer: 0, -ECONNRESET on EOF, -ETIMEDOUT, -errno. */
static int wire_fill(struct wire *w, long long deadline)
{
	ssize_t n;
	int ret;

	for (;;) {
		n = recv(w->fd, w->buf, sizeof(w->buf), MSG_DONTWAIT);
		if (n > 0) {
			w->pos = 0;
			w->len = (size_t)n;
			return 0;
		}
		if (n == 0)
			return -ECONNRESET;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		ret = wire_poll(w->fd, POLLIN, deadline);
		if (ret)
			return ret;
	}
}

int wire_read_line(struct wire *w, char *line, size_t size, long long deadline)
{
	size_t got = 0;
	int ret;

	for (;;) {
		if (!wire_buffered(w)) {
			ret = wire_fill(w, deadline);
			if (ret == -ECONNRESET && got == 0)
				return -ENODATA;
			if (ret)
				return ret;
		}
		char c = w->buf[w->pos++];

		if (c == '\n')
			break;
		if (got + 1 >= size)
			return -EMSGSIZE;
		line[got++] = c;
	}
	line[got] = 0;
	return (int)got;
}

int wire_read(struct wire *w, void *p, size_t n, long long deadline)
{
	char *dst = p;
	size_t chunk;
	int ret;

	while (n) {
		if (!wire_buffered(w)) {
			ret = wire_fill(w, deadline);
			if (ret)
				return ret;
		}
		chunk = w->len - w->pos;
		if (chunk > n)
			chunk = n;
		memcpy(dst, w->buf + w->pos, chunk);
		w->pos += chunk;
		dst += chunk;
		n -= chunk;
	}
	return 0;
}

int wire_read_alloc(struct wire *w, size_t n, char **out, long long deadline)
{
	char *p = malloc(n + 1);
	int ret;

	*out = NULL;
	if (!p)
		return -ENOMEM;
	ret = wire_read(w, p, n, deadline);
	if (ret) {
		free(p);
		return ret;
	}
	p[n] = 0;
	*out = p;
	return 0;
}

/* One decimal number of at most 18 digits (no sign, no overflow). */
static int wire_parse_num(const char *s, size_t len, long long *v)
{
	size_t i;

	if (len == 0 || len > 18)
		return -EINVAL;
	*v = 0;
	for (i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -EINVAL;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

int wire_parse(const char *line, struct wire_msg *m)
{
	const char *p = line, *end;
	size_t len;

	m->nnum = 0;
	len = strcspn(p, " ");
	if (len == 0 || len >= WIRE_WORD_MAX)
		return -EINVAL;
	for (size_t i = 0; i < len; i++)
		if (!isupper((unsigned char)p[i]))
			return -EINVAL;
	memcpy(m->word, p, len);
	m->word[len] = 0;
	p += len;
	while (*p) {
		/* exactly one space, then a number */
		if (*p++ != ' ' || m->nnum == WIRE_NUMS_MAX)
			return -EINVAL;
		end = p + strcspn(p, " ");
		if (wire_parse_num(p, (size_t)(end - p), &m->num[m->nnum++]))
			return -EINVAL;
		p = end;
	}
	return 0;
}

/* Advance @iov (@n entries) past @done bytes; returns the first unsent entry. */
static struct iovec *wire_advance(struct iovec *iov, int *n, size_t done)
{
	while (*n && done >= iov->iov_len) {
		done -= iov->iov_len;
		iov++;
		(*n)--;
	}
	if (*n) {
		iov->iov_base = (char *)iov->iov_base + done;
		iov->iov_len -= done;
	}
	return iov;
}

int wire_send(struct wire *w, const char *hdr, const struct iovec *pl, int n,
	      long long deadline)
{
	struct iovec vec[1 + WIRE_NUMS_MAX], *iov = vec;
	struct msghdr mh = { 0 };
	int left = 1, ret;
	ssize_t sent;

	if (n < 0 || n > WIRE_NUMS_MAX)
		return -EINVAL;
	vec[0].iov_base = (void *)hdr;
	vec[0].iov_len = strlen(hdr);
	for (int i = 0; i < n; i++)
		vec[left++] = pl[i];
	iov = wire_advance(iov, &left, 0); /* skip empty entries */
	while (left) {
		mh.msg_iov = iov;
		mh.msg_iovlen = (size_t)left;
		sent = sendmsg(w->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (sent >= 0) {
			iov = wire_advance(iov, &left, (size_t)sent);
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		ret = wire_poll(w->fd, POLLOUT, deadline);
		if (ret)
			return ret;
	}
	return 0;
}
