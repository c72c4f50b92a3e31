// SPDX-License-Identifier: MIT
/*
 * oplog.c - the op log.
 *
 * Every op is formatted once, before it runs, into one line
 *
 *	op <seq> t<thread> <kind> r=<id>,<id>,<id> a=<a0>,...,<a7>
 *
 * (hex, resource ids as resolved; --replay re-executes such lines) and
 * goes into its thread's ring (the last SF_RING ops, dumped on a report)
 * and, with one write(2), to the log file.  On a lab host the log file is
 * on /lab-out, a 9p mount without a page cache, so a line is on the
 * machine outside as soon as write() returns: a host that dies inside the
 * next op still leaves it behind.
 */
#include "fuzz.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int sf_log_open(const char *path)
{
	sf.logfd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC,
			0644);
	return sf.logfd < 0 ? -errno : 0;
}

static void write_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(fd, s, n);

		if (w <= 0) {
			if (w < 0 && errno == EINTR)
				continue;
			return;
		}
		s += w;
		n -= (size_t)w;
	}
}

void sf_log_line(const char *s)
{
	size_t n = strlen(s);

	write_all(1, s, n);
	if (sf.logfd >= 0)
		write_all(sf.logfd, s, n);
}

void sf_log_msg(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	n = snprintf(line, sizeof(line), "surface-fuzz: ");
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	n = strlen(line);
	if (n && line[n - 1] != '\n') {
		line[n++] = '\n';
		line[n] = 0;
	}
	sf_log_line(line);
}

void sf_anomaly(const char *fmt, ...)
{
	unsigned long n = atomic_fetch_add(&sf.anomalies, 1);
	char line[512];
	va_list ap;

	if (n >= 20 && !sf.verbose)
		return;		/* the count is in the summary */
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	sf_msg("anomaly: %s", line);
}

void sf_log_header(void)
{
	char line[1024];

	snprintf(line, sizeof(line),
		 "# surface-fuzz seed=0x%016llx threads=%d vgpus=%d type=%s stream_max_mb=%u\n",
		 (unsigned long long)sf.seed, sf.nthreads, sf.nvgpus, sf.type,
		 sf.stream_max_mb);
	if (sf.logfd >= 0)
		write_all(sf.logfd, line, strlen(line));
}

void sf_log_op(struct thr *t, const struct op *op)
{
	unsigned slot = atomic_load(&t->ring_n) % SF_RING;
	char *line = t->ring[slot];
	int n;

	n = snprintf(line, SF_LINE,
		     "op %llu t%u %s r=%llx,%llx,%llx a=%llx,%llx,%llx,%llx,%llx,%llx,%llx,%llx\n",
		     (unsigned long long)op->seq, op->thread,
		     sf_ops[op->kind].name, (unsigned long long)op->rid[0],
		     (unsigned long long)op->rid[1],
		     (unsigned long long)op->rid[2],
		     (unsigned long long)op->a[0], (unsigned long long)op->a[1],
		     (unsigned long long)op->a[2], (unsigned long long)op->a[3],
		     (unsigned long long)op->a[4], (unsigned long long)op->a[5],
		     (unsigned long long)op->a[6], (unsigned long long)op->a[7]);
	atomic_fetch_add(&t->ring_n, 1);
	if (sf.logfd >= 0)
		write_all(sf.logfd, line, (size_t)n);
	if (sf.verbose)
		write_all(1, line, (size_t)n);
}

/* Async-signal-safe formatting for the dump. */
static char *fmt_u64(char *p, uint64_t v)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

static void dump_str(int fd, const char *s)
{
	write_all(fd, s, strlen(s));
}

void sf_dump_rings(int fd)
{
	uint64_t now = sf_now_ms();

	dump_str(fd, "surface-fuzz: === last ops of each thread (oldest first; replay: --replay <log>) ===\n");
	for (int i = 0; i < sf.nthreads; i++) {
		struct thr *t = &sf.thr[i];
		unsigned n = atomic_load(&t->ring_n), first;
		uint64_t cur = atomic_load(&t->cur_seq);
		char head[160], *p = head;

		p = stpcpy(p, "surface-fuzz: --- thread ");
		p = fmt_u64(p, (uint64_t)i);
		if (cur) {
			p = stpcpy(p, ": op ");
			p = fmt_u64(p, cur);
			p = stpcpy(p, " in progress for ");
			p = fmt_u64(p, now - atomic_load(&t->cur_start_ms));
			p = stpcpy(p, " ms");
		} else {
			p = stpcpy(p, ": idle");
		}
		p = stpcpy(p, " ---\n");
		write_all(fd, head, (size_t)(p - head));
		first = n > SF_RING ? n - SF_RING : 0;
		for (unsigned k = first; k < n; k++) {
			const char *l = t->ring[k % SF_RING];

			write_all(fd, l, strnlen(l, SF_LINE));
		}
	}
	dump_str(fd, "surface-fuzz: === end of ops ===\n");
}

/* ---- replay ----------------------------------------------------------------- */

static int cmp_seq(const void *a, const void *b)
{
	const struct op *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static bool parse_line(const char *s, struct op *op)
{
	char name[64];
	unsigned long long seq, r[3], a[8];
	unsigned thread;
	int k;

	/* the line may carry a prefix (console, "[A] ", ...) */
	for (; (s = strstr(s, "op ")); s++)
		if (s[3] >= '0' && s[3] <= '9')
			break;
	if (!s)
		return false;
	if (sscanf(s, "op %llu t%u %63s r=%llx,%llx,%llx a=%llx,%llx,%llx,%llx,%llx,%llx,%llx,%llx",
		   &seq, &thread, name, &r[0], &r[1], &r[2], &a[0], &a[1],
		   &a[2], &a[3], &a[4], &a[5], &a[6], &a[7]) != 14)
		return false;
	k = sf_op_by_name(name);
	if (k < 0)
		return false;
	memset(op, 0, sizeof(*op));
	op->seq = seq;
	op->thread = thread;
	op->kind = (uint32_t)k;
	for (int i = 0; i < 3; i++)
		op->rid[i] = r[i];
	for (int i = 0; i < 8; i++)
		op->a[i] = a[i];
	return true;
}

int sf_parse_log(const char *path, struct op **ops, size_t *n, char *hdr,
		 size_t hdrlen)
{
	FILE *f = fopen(path, "re");
	char line[2048];
	struct op *v = NULL;
	size_t cap = 0, cnt = 0, w = 0;

	if (!f)
		return -errno;
	hdr[0] = 0;
	while (fgets(line, sizeof(line), f)) {
		struct op op;
		const char *h = strstr(line, "# surface-fuzz ");

		if (h && !hdr[0]) {
			snprintf(hdr, hdrlen, "%s", h);
			continue;
		}
		if (!parse_line(line, &op))
			continue;
		if (cnt == cap) {
			cap = cap ? cap * 2 : 1024;
			v = realloc(v, cap * sizeof(*v));
			if (!v)
				abort();
		}
		v[cnt++] = op;
	}
	fclose(f);
	if (cnt)
		qsort(v, cnt, sizeof(*v), cmp_seq);
	/* a ring dump repeats lines of the log: keep each op once */
	for (size_t i = 0; i < cnt; i++)
		if (!w || v[w - 1].seq != v[i].seq)
			v[w++] = v[i];
	*ops = v;
	*n = w;
	return 0;
}
