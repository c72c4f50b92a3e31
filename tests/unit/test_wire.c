/*
 * test_wire.c - the helper's wire protocol natively: proto/mvgpu_wire.c's
 * codec (every message, every field checked, hostile payloads), and the
 * migration data path of userspace/lib/transfer.c (io_uring + lz4 worker
 * + framing) between two threads over a socket: framebuffer-like content
 * arrives byte-exact, compresses, travels raw when it cannot; a flipped
 * byte, a cut connection and bytes after the end are each refused; a
 * session's streams (STREAM) each reach their own fd, and its hostile
 * framings are refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "mvgpu.h"
#include "mvgpu_wire.h"
#include "transfer.h"
#include "wire_peer.h"

/* ---- codec ----------------------------------------------------------------- */

static void hdr_of(uint8_t *h, unsigned type, unsigned flags, uint32_t raw,
		   uint64_t seq, const void *p, uint32_t len)
{
	cr_assert_eq(mvgpu_wire_encode_hdr(h, type, flags, raw, seq, p, len), 0);
}

Test(wire, header_round_trip)
{
	static const unsigned types[] = {
		MVGPU_WIRE_HELLO, MVGPU_WIRE_DATA, MVGPU_WIRE_STATE,
		MVGPU_WIRE_END, MVGPU_WIRE_COMMIT, MVGPU_WIRE_ACCEPT,
		MVGPU_WIRE_LOADED, MVGPU_WIRE_COMMITTED, MVGPU_WIRE_ERROR,
		MVGPU_WIRE_AGENT, MVGPU_WIRE_PAUSE, MVGPU_WIRE_PAUSED,
		MVGPU_WIRE_RESUME, MVGPU_WIRE_RELEASE, MVGPU_WIRE_START,
		MVGPU_WIRE_SESSION, MVGPU_WIRE_STREAM,
	};
	uint8_t h[MVGPU_WIRE_HDR], payload[100];
	struct mvgpu_wire_hdr d;
	size_t i;

	memset(payload, 0x5a, sizeof(payload));
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		unsigned t = types[i];
		uint32_t raw = t == MVGPU_WIRE_DATA ? sizeof(payload) : 0;

		hdr_of(h, t, 0, raw, 1000 + i, payload, sizeof(payload));
		cr_assert_eq(mvgpu_wire_decode_hdr(h, &d, NULL, 0), 0, "%u", t);
		cr_assert_eq(d.type, t);
		cr_assert_eq(d.length, sizeof(payload));
		cr_assert_eq(d.raw, raw);
		cr_assert_eq(d.seq, 1000 + i);
		cr_assert_eq(mvgpu_wire_verify(h, &d, payload, 1000 + i, NULL, 0), 0);
		cr_assert_str_neq(mvgpu_wire_type_name(t), "?");
	}
	cr_assert_str_eq(mvgpu_wire_type_name(77), "?");
}

Test(wire, header_rejects)
{
	uint8_t h[MVGPU_WIRE_HDR], p[16] = { 1, 2, 3 };
	struct mvgpu_wire_hdr d;
	char why[128];

	/* encoder refuses what a decoder would */
	cr_assert_eq(mvgpu_wire_encode_hdr(h, 99, 0, 0, 0, p, 1), -EINVAL);
	cr_assert_eq(mvgpu_wire_encode_hdr(h, MVGPU_WIRE_HELLO, 1, 0, 0, p, 1), -EINVAL);
	cr_assert_eq(mvgpu_wire_encode_hdr(h, MVGPU_WIRE_HELLO, 0, 5, 0, p, 1), -EINVAL);
	cr_assert_eq(mvgpu_wire_encode_hdr(h, MVGPU_WIRE_DATA, 0, 0, 0, p, 0), -EINVAL);
	cr_assert_eq(mvgpu_wire_encode_hdr(h, MVGPU_WIRE_DATA, 0, 3, 0, p, 2), -EINVAL);
	cr_assert_eq(mvgpu_wire_encode_hdr(h, MVGPU_WIRE_DATA, 4, 3, 0, p, 3), -EINVAL);
	cr_assert_eq(mvgpu_wire_encode_hdr(h, MVGPU_WIRE_DATA, MVGPU_WIRE_F_LZ4,
					   MVGPU_WIRE_DATA_RAW_MAX + 1, 0, p, 3), -EINVAL);
	cr_assert_eq(mvgpu_wire_encode_hdr(h, MVGPU_WIRE_END, 0, 0, 0, p,
					   MVGPU_WIRE_CTRL_MAX + 1), -EINVAL);

	hdr_of(h, MVGPU_WIRE_END, 0, 0, 7, p, sizeof(p));
	h[0] ^= 1;
	cr_assert_eq(mvgpu_wire_decode_hdr(h, &d, why, sizeof(why)), -EPROTO);
	cr_assert(strstr(why, "not an mvgpu peer"), "%s", why);
	h[0] ^= 1;
	h[4] = 99;	/* type */
	cr_assert_eq(mvgpu_wire_decode_hdr(h, &d, why, sizeof(why)), -EBADMSG);
	cr_assert(strstr(why, "unknown message type 99"), "%s", why);
	hdr_of(h, MVGPU_WIRE_END, 0, 0, 7, p, sizeof(p));
	h[8] = 0xff; h[9] = 0xff; h[10] = 0xff; h[11] = 0x7f;	/* length */
	cr_assert_eq(mvgpu_wire_decode_hdr(h, &d, why, sizeof(why)), -EBADMSG);
	cr_assert(strstr(why, "END message of"), "%s", why);
	hdr_of(h, MVGPU_WIRE_END, 0, 0, 7, p, sizeof(p));
	h[6] = 1;	/* flags on a control message */
	cr_assert_eq(mvgpu_wire_decode_hdr(h, &d, NULL, 0), -EBADMSG);
}

Test(wire, checksum_covers_every_byte_and_seq_is_checked)
{
	uint8_t h[MVGPU_WIRE_HDR], p[64];
	struct mvgpu_wire_hdr d;
	char why[160];
	size_t i;

	for (i = 0; i < sizeof(p); i++)
		p[i] = (uint8_t)(i * 7);
	hdr_of(h, MVGPU_WIRE_DATA, 0, sizeof(p), 3, p, sizeof(p));
	cr_assert_eq(mvgpu_wire_decode_hdr(h, &d, NULL, 0), 0);
	for (i = 0; i < sizeof(p); i++) {
		p[i] ^= 0x10;
		cr_assert_eq(mvgpu_wire_verify(h, &d, p, 3, why, sizeof(why)),
			     -EBADMSG, "payload byte %zu", i);
		p[i] ^= 0x10;
	}
	cr_assert(strstr(why, "checksum mismatch"), "%s", why);
	/* header bytes 16..23 (seq) flipped: decodes, fails the checksum */
	for (i = 16; i < 24; i++) {
		h[i] ^= 0x01;
		cr_assert_eq(mvgpu_wire_decode_hdr(h, &d, NULL, 0), 0);
		cr_assert_eq(mvgpu_wire_verify(h, &d, p, d.seq, NULL, 0), -EBADMSG);
		h[i] ^= 0x01;
	}
	cr_assert_eq(mvgpu_wire_decode_hdr(h, &d, NULL, 0), 0);
	cr_assert_eq(mvgpu_wire_verify(h, &d, p, 4, why, sizeof(why)), -EBADMSG);
	cr_assert(strstr(why, "numbered 3 where 4 was due"), "%s", why);
}

Test(wire, hello_accept_round_trip)
{
	struct mvgpu_wire_hello h = {
		.major = MVGPU_WIRE_MAJOR, .minor = MVGPU_WIRE_MINOR,
		.flags = MVGPU_WIRE_HELLO_PRECOPY | MVGPU_WIRE_HELLO_STATE,
		.source_uuid = "11111111-2222-3333-4444-555555555555",
		.target_uuid = "",
		.type = "mvgpu-256M", .host = "mvgpu-a", .fb_size = 256ull << 20,
		.version = "mvgpu-migration-version=1 type=mvgpu-256M",
	}, h2;
	struct mvgpu_wire_accept a = {
		.major = 1, .minor = 0, .flags = MVGPU_WIRE_ACCEPT_CREATED,
		.target_uuid = "11111111-2222-3333-4444-555555555555",
		.host = "mvgpu-b", .version = "v=2",
	}, a2;
	uint8_t buf[MVGPU_WIRE_CTRL_MAX];
	char why[160];
	int n, i;

	n = mvgpu_wire_encode_hello(&h, buf, sizeof(buf));
	cr_assert_gt(n, 0);
	cr_assert_eq(mvgpu_wire_decode_hello(buf, (size_t)n, &h2, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(memcmp(&h, &h2, sizeof(h)), 0);
	/* every truncation is refused, never read past */
	for (i = 0; i < n; i++)
		cr_assert_eq(mvgpu_wire_decode_hello(buf, (size_t)i, &h2, NULL, 0),
			     -EBADMSG, "%d bytes", i);
	/* an unprintable byte in the version */
	buf[n - 1] = 0x07;
	cr_assert_eq(mvgpu_wire_decode_hello(buf, (size_t)n, &h2, why, sizeof(why)), -EBADMSG);
	cr_assert(strstr(why, "unprintable"), "%s", why);
	/* another major: only the versions are read, for the message */
	buf[0] = 9;
	cr_assert_eq(mvgpu_wire_decode_hello(buf, (size_t)n, &h2, NULL, 0), 0);
	cr_assert_eq(h2.major, 9);
	/* bad strings never encode */
	h.version[0] = '\n';
	cr_assert_eq(mvgpu_wire_encode_hello(&h, buf, sizeof(buf)), -EINVAL);

	n = mvgpu_wire_encode_accept(&a, buf, sizeof(buf));
	cr_assert_gt(n, 0);
	cr_assert_eq(mvgpu_wire_decode_accept(buf, (size_t)n, &a2, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(memcmp(&a, &a2, sizeof(a)), 0);
	buf[4] = 0x80;	/* unknown flag */
	cr_assert_eq(mvgpu_wire_decode_accept(buf, (size_t)n, &a2, NULL, 0), -EBADMSG);
	cr_assert_eq(mvgpu_wire_encode_accept(&a, buf, 20), -ENOSPC);
}

Test(wire, error_end_agent_kind)
{
	struct mvgpu_wire_error e = { .code = EINVAL }, e2;
	struct mvgpu_wire_end end = { 12345, 7, 3, 1000 }, end2;
	struct mvgpu_wire_agent ag = { 1, 0, MVGPU_WIRE_AGENT_INCOMING,
				       "11111111-2222-3333-4444-555555555555", 42 }, ag2;
	uint8_t buf[MVGPU_WIRE_CTRL_MAX];
	char kind[MVGPU_WIRE_NAME_LEN], why[160];
	__u64 ns;
	int n;

	snprintf(e.text, sizeof(e.text), "incompatible: \x1b[31mred");
	n = mvgpu_wire_encode_error(&e, buf, sizeof(buf));
	cr_assert_gt(n, 0);
	cr_assert_eq(mvgpu_wire_decode_error(buf, (size_t)n, &e2, NULL, 0), 0);
	cr_assert_eq(e2.code, EINVAL);
	cr_assert_str_eq(e2.text, "incompatible: ?[31mred");	/* no escapes reach a tty */
	mvgpu_put_le32(buf, 0);
	cr_assert_eq(mvgpu_wire_decode_error(buf, (size_t)n, &e2, NULL, 0), -EBADMSG);
	mvgpu_put_le32(buf, 5000);
	cr_assert_eq(mvgpu_wire_decode_error(buf, (size_t)n, &e2, NULL, 0), -EBADMSG);
	cr_assert_eq(mvgpu_wire_decode_error(buf, 7, &e2, NULL, 0), -EBADMSG);

	n = mvgpu_wire_encode_end(&end, buf, sizeof(buf));
	cr_assert_eq(mvgpu_wire_decode_end(buf, (size_t)n, &end2, NULL, 0), 0);
	cr_assert_eq(end2.stream_bytes, 12345);
	cr_assert_eq(end2.data_msgs, 7);
	cr_assert_eq(end2.passes, 3);
	cr_assert_eq(end2.precopy_bytes, 1000);
	cr_assert_eq(mvgpu_wire_decode_end(buf, (size_t)n - 1, &end2, NULL, 0), -EBADMSG);
	mvgpu_put_le64(buf + 24, 99999);	/* more pre-copy than stream */
	cr_assert_eq(mvgpu_wire_decode_end(buf, (size_t)n, &end2, why, sizeof(why)), -EBADMSG);

	n = mvgpu_wire_encode_agent(&ag, buf, sizeof(buf));
	cr_assert_eq(mvgpu_wire_decode_agent(buf, (size_t)n, &ag2, NULL, 0), 0);
	cr_assert_eq(memcmp(&ag, &ag2, sizeof(ag)), 0);
	buf[0] = 2;
	cr_assert_eq(mvgpu_wire_decode_agent(buf, (size_t)n, &ag2, why, sizeof(why)), -EBADMSG);
	cr_assert(strstr(why, "protocol 2.0"), "%s", why);

	cr_assert_eq(mvgpu_wire_encode_ns(77, buf, sizeof(buf)), 8);
	cr_assert_eq(mvgpu_wire_decode_ns(buf, 8, &ns, NULL, 0), 0);
	cr_assert_eq(ns, 77);
	cr_assert_eq(mvgpu_wire_decode_ns(buf, 9, &ns, NULL, 0), -EBADMSG);

	cr_assert_eq(mvgpu_wire_encode_kind("exercise", buf, sizeof(buf)), MVGPU_WIRE_NAME_LEN);
	cr_assert_eq(mvgpu_wire_decode_kind(buf, MVGPU_WIRE_NAME_LEN + 5, kind, NULL, 0), 0);
	cr_assert_str_eq(kind, "exercise");
	buf[MVGPU_WIRE_NAME_LEN - 1] = 'x';	/* unterminated */
	cr_assert_eq(mvgpu_wire_decode_kind(buf, MVGPU_WIRE_NAME_LEN, kind, NULL, 0), -EBADMSG);
	memset(buf, 0, MVGPU_WIRE_NAME_LEN);	/* no kind, but bytes */
	cr_assert_eq(mvgpu_wire_decode_kind(buf, MVGPU_WIRE_NAME_LEN + 1, kind, NULL, 0), -EBADMSG);
}

Test(wire, session_and_stream)
{
	struct mvgpu_wire_session ss = { .major = MVGPU_WIRE_MAJOR,
					 .minor = MVGPU_WIRE_MINOR, .count = 3 }, s2;
	uint8_t buf[MVGPU_WIRE_CTRL_MAX];
	char why[160];
	__u32 idx;
	int n, i;

	n = mvgpu_wire_encode_session(&ss, buf, sizeof(buf));
	cr_assert_eq(n, 16);
	cr_assert_eq(mvgpu_wire_decode_session(buf, (size_t)n, &s2, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(memcmp(&ss, &s2, sizeof(ss)), 0);
	for (i = 0; i < n; i++)
		cr_assert_eq(mvgpu_wire_decode_session(buf, (size_t)i, &s2, NULL, 0),
			     -EBADMSG, "%d bytes", i);
	cr_assert_eq(mvgpu_wire_decode_session(buf, (size_t)n + 1, &s2, NULL, 0), -EBADMSG);
	/* hostile counts: none, one (travels without SESSION), too many */
	for (i = 0; i < 6; i++) {
		static const __u32 bad[] = { 0, 1, MVGPU_WIRE_VGPUS_MAX + 1,
					     1000, 0x80000000u, 0xffffffffu };

		mvgpu_put_le32(buf + 8, bad[i]);
		cr_assert_eq(mvgpu_wire_decode_session(buf, (size_t)n, &s2, why, sizeof(why)),
			     -EBADMSG, "count %u", bad[i]);
		cr_assert(strstr(why, "vGPUs (2 to 16)"), "%s", why);
	}
	mvgpu_put_le32(buf + 8, MVGPU_WIRE_VGPUS_MAX);
	cr_assert_eq(mvgpu_wire_decode_session(buf, (size_t)n, &s2, NULL, 0), 0);
	cr_assert_eq(s2.count, MVGPU_WIRE_VGPUS_MAX);
	mvgpu_put_le32(buf + 4, 1);	/* a flag nobody knows */
	cr_assert_eq(mvgpu_wire_decode_session(buf, (size_t)n, &s2, why, sizeof(why)), -EBADMSG);
	cr_assert(strstr(why, "unknown flags"), "%s", why);
	mvgpu_put_le32(buf + 4, 0);
	mvgpu_put_le32(buf + 12, 7);	/* reserved */
	cr_assert_eq(mvgpu_wire_decode_session(buf, (size_t)n, &s2, NULL, 0), -EBADMSG);
	/* another major: only the versions, for the message */
	mvgpu_put_le16(buf, 2);
	cr_assert_eq(mvgpu_wire_decode_session(buf, 4, &s2, NULL, 0), 0);
	cr_assert_eq(s2.major, 2);
	/* what never encodes */
	ss.count = 1;
	cr_assert_eq(mvgpu_wire_encode_session(&ss, buf, sizeof(buf)), -EINVAL);
	ss.count = MVGPU_WIRE_VGPUS_MAX + 1;
	cr_assert_eq(mvgpu_wire_encode_session(&ss, buf, sizeof(buf)), -EINVAL);
	ss.count = 2;
	ss.flags = 4;
	cr_assert_eq(mvgpu_wire_encode_session(&ss, buf, sizeof(buf)), -EINVAL);
	ss.flags = 0;
	cr_assert_eq(mvgpu_wire_encode_session(&ss, buf, 15), -ENOSPC);

	n = mvgpu_wire_encode_stream(2, buf, sizeof(buf));
	cr_assert_eq(n, 8);
	cr_assert_eq(mvgpu_wire_decode_stream(buf, (size_t)n, 3, &idx, NULL, 0), 0);
	cr_assert_eq(idx, 2);
	/* an index the session does not have */
	cr_assert_eq(mvgpu_wire_decode_stream(buf, (size_t)n, 2, &idx, why, sizeof(why)), -EBADMSG);
	cr_assert(strstr(why, "vGPU 2 of a session of 2"), "%s", why);
	mvgpu_put_le32(buf, 0xffffffffu);
	cr_assert_eq(mvgpu_wire_decode_stream(buf, (size_t)n, MVGPU_WIRE_VGPUS_MAX, &idx,
					      NULL, 0), -EBADMSG);
	mvgpu_put_le32(buf, 1);
	for (i = 0; i < 12; i++)
		if (i != n)
			cr_assert_eq(mvgpu_wire_decode_stream(buf, (size_t)i, 3, &idx, NULL, 0),
				     -EBADMSG, "%d bytes", i);
	mvgpu_put_le32(buf + 4, 1);
	cr_assert_eq(mvgpu_wire_decode_stream(buf, (size_t)n, 3, &idx, NULL, 0), -EBADMSG);
	cr_assert_eq(mvgpu_wire_encode_stream(MVGPU_WIRE_VGPUS_MAX, buf, sizeof(buf)), -EINVAL);
	cr_assert_eq(mvgpu_wire_encode_stream(0, buf, 7), -ENOSPC);
}

/* ---- the data path, two threads, one socket ---------------------------------- */

/* Framebuffer-like: mostly zero, some text-like runs, some noise. */
static uint8_t *fb_like(size_t len, unsigned noise_pct)
{
	uint8_t *b = calloc(1, len);
	uint64_t x = 0x9e3779b97f4a7c15ull;
	size_t i;

	cr_assert_not_null(b);
	for (i = 0; i < len; i += 4096) {
		unsigned kind = (unsigned)((i / 4096) * 2654435761u % 100);
		size_t j;

		if (kind < noise_pct) {
			for (j = 0; j < 4096 && i + j < len; j++) {
				x ^= x << 13; x ^= x >> 7; x ^= x << 17;
				b[i + j] = (uint8_t)x;
			}
		} else if (kind < noise_pct + 20) {
			for (j = 0; j < 4096 && i + j < len; j++)
				b[i + j] = "mvgpu console text  "[j % 20];
		}
	}
	return b;
}

static int memfd_with(const uint8_t *b, size_t len)
{
	int fd = memfd_create("stream", MFD_CLOEXEC);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, b, len), (ssize_t)len);
	cr_assert_eq(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

struct side {
	int in, out;		/* send: in = stream, out = socket; recv: reverse */
	int ret;
	uint64_t stream, wire, zc;
	char err[512];
};

static void *send_thread(void *arg)
{
	struct side *s = arg;
	mvgpu_ctx *ctx;

	cr_assert_eq(mvgpu_ctx_create(&ctx, NULL), 0);
	s->ret = xf_stream_send(ctx, s->in, s->out, &s->stream, &s->wire);
	s->zc = xf_last_zc_sends();
	snprintf(s->err, sizeof(s->err), "%s", mvgpu_last_error(ctx));
	shutdown(s->out, SHUT_WR);
	mvgpu_ctx_free(ctx);
	return NULL;
}

static void *recv_thread(void *arg)
{
	struct side *s = arg;
	mvgpu_ctx *ctx;

	cr_assert_eq(mvgpu_ctx_create(&ctx, NULL), 0);
	s->ret = xf_stream_recv(ctx, s->in, s->out, &s->stream, &s->wire);
	snprintf(s->err, sizeof(s->err), "%s", mvgpu_last_error(ctx));
	shutdown(s->in, SHUT_RDWR);	/* a receiver that gave up hangs up */
	mvgpu_ctx_free(ctx);
	return NULL;
}

/* A man in the middle: copy a -> b, flipping byte @flip (if >= 0),
 * stopping after @cut bytes (if >= 0), appending @extra bytes. */
struct mitm {
	int a, b;
	long long flip, cut;
	size_t extra;
};

/* Gather everything, then one write of it and @extra more bytes: the
 * receiver sees the trailing bytes in the same read as the END. */
static void *mitm_gather(struct mitm *m)
{
	size_t cap = 1 << 20, len = 0;
	uint8_t *all = malloc(cap + m->extra);
	ssize_t n;

	while ((n = read(m->a, all + len, cap - len)) > 0)
		len += (size_t)n;
	memset(all + len, 'Z', m->extra);
	if (send(m->b, all, len + m->extra, MSG_NOSIGNAL) < 0)
		len = 0;
	shutdown(m->b, SHUT_WR);
	free(all);
	return NULL;
}

static void *mitm_thread(void *arg)
{
	struct mitm *m = arg;
	static uint8_t buf[65536];
	long long pos = 0;
	ssize_t n;

	if (m->extra)
		return mitm_gather(m);
	while ((n = read(m->a, buf, sizeof(buf))) > 0) {
		if (m->flip >= pos && m->flip < pos + n)
			buf[m->flip - pos] ^= 0x40;
		if (m->cut >= 0 && pos + n > m->cut)
			n = (ssize_t)(m->cut - pos);
		if (n > 0 && send(m->b, buf, (size_t)n, MSG_NOSIGNAL) != n)
			break;
		pos += n;
		if (m->cut >= 0 && pos >= m->cut)
			break;
	}
	shutdown(m->a, SHUT_RDWR);	/* the sender sees the cut too */
	shutdown(m->b, SHUT_WR);
	return NULL;
}

/* A connected TCP pair on 127.0.0.1 (zero-copy sends work there). */
static void tcp_pair(int sv[2])
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(l, 0);
	cr_assert_eq(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(listen(l, 1), 0);
	cr_assert_eq(getsockname(l, (struct sockaddr *)&a, &al), 0);
	sv[0] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_eq(connect(sv[0], (struct sockaddr *)&a, sizeof(a)), 0);
	sv[1] = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	cr_assert_geq(sv[1], 0);
	close(l);
}

static bool use_tcp;

/* Send @len bytes of @data through the data path; @m NULL: direct. */
static void run_path(const uint8_t *data, size_t len, struct mitm *m,
		     struct side *snd, struct side *rcv, uint8_t **got)
{
	int s1[2], s2[2];
	pthread_t ts, tr, tm;

	if (use_tcp)
		tcp_pair(s1);
	else
		cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s1), 0);
	memset(snd, 0, sizeof(*snd));
	memset(rcv, 0, sizeof(*rcv));
	snd->in = memfd_with(data, len);
	snd->out = s1[0];
	rcv->out = memfd_create("out", MFD_CLOEXEC);
	if (m) {
		cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s2), 0);
		m->a = s1[1];
		m->b = s2[0];
		rcv->in = s2[1];
		pthread_create(&tm, NULL, mitm_thread, m);
	} else {
		rcv->in = s1[1];
	}
	pthread_create(&tr, NULL, recv_thread, rcv);
	pthread_create(&ts, NULL, send_thread, snd);
	pthread_join(ts, NULL);
	pthread_join(tr, NULL);
	if (m) {
		shutdown(s1[1], SHUT_RDWR);	/* unblock it if the receiver quit */
		pthread_join(tm, NULL);
		close(s2[0]);
		close(s2[1]);
	}
	close(s1[0]);
	close(s1[1]);
	close(snd->in);
	*got = NULL;
	if (!rcv->ret) {
		*got = malloc(len ? len : 1);
		cr_assert_eq(pread(rcv->out, *got, len, 0), (ssize_t)len);
	}
	close(rcv->out);
}

Test(wire_path, framebuffer_content_arrives_exactly_and_compressed)
{
	size_t len = 24u << 20;
	uint8_t *data = fb_like(len, 10), *got;
	struct side s, r;

	run_path(data, len, NULL, &s, &r, &got);
	cr_assert_eq(s.ret, 0, "%s", s.err);
	cr_assert_eq(r.ret, 0, "%s", r.err);
	cr_assert_eq(s.stream, len);
	cr_assert_eq(r.stream, len);
	cr_assert_eq(s.wire, r.wire);
	cr_assert_eq(memcmp(got, data, len), 0);
	cr_assert_eq(s.zc, 0, "zero-copy on a unix socket");
	/* 70 % zero, 20 % text: a ratio well above 3 */
	cr_assert_lt(s.wire * 3, len, "wire %llu for %zu", (unsigned long long)s.wire, len);
	free(got);
	free(data);
}

/* TCP: the sender's big writes go as zero-copy sends (IORING_OP_SEND_ZC;
 * the buffer is reused only after the kernel's notification) - except to
 * a loopback peer, where they do not pay; forced on here. */
Test(wire_path, tcp_with_zero_copy_sends)
{
	size_t len = 40u << 20;
	uint8_t *data = fb_like(len, 60), *got;
	struct side s, r;

	use_tcp = true;
	run_path(data, len, NULL, &s, &r, &got);
	cr_assert_eq(r.ret, 0, "%s", r.err);
	cr_assert_eq(memcmp(got, data, len), 0);
	cr_assert_eq(s.zc, 0, "zero-copy sends to a loopback peer");
	free(got);

	setenv("MVGPU_ZEROCOPY_LOOPBACK", "1", 1);
	run_path(data, len, NULL, &s, &r, &got);
	unsetenv("MVGPU_ZEROCOPY_LOOPBACK");
	cr_assert_eq(s.ret, 0, "%s", s.err);
	cr_assert_eq(r.ret, 0, "%s", r.err);
	cr_assert_eq(memcmp(got, data, len), 0);
	cr_assert_gt(s.zc, 0, "no zero-copy send on TCP");
	free(got);
	free(data);
}

Test(wire_path, noise_travels_as_it_is)
{
	size_t len = 3u << 20;
	uint8_t *data = fb_like(len, 100), *got;
	struct side s, r;

	run_path(data, len, NULL, &s, &r, &got);
	cr_assert_eq(r.ret, 0, "%s", r.err);
	cr_assert_eq(memcmp(got, data, len), 0);
	/* raw DATA messages: exactly the stream, no lz4 expansion */
	cr_assert_eq(s.wire, len);
	free(got);
	free(data);
}

Test(wire_path, odd_sizes_and_empty)
{
	static const size_t sizes[] = { 0, 1, 4095, (1u << 20) - 1, 1u << 20,
					(1u << 20) + 1, 5 * (1u << 20) + 777 };
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint8_t *data = fb_like(sizes[i] ? sizes[i] : 1, 30), *got;
		struct side s, r;

		run_path(data, sizes[i], NULL, &s, &r, &got);
		cr_assert_eq(r.ret, 0, "%zu: %s", sizes[i], r.err);
		cr_assert_eq(r.stream, sizes[i]);
		if (sizes[i])
			cr_assert_eq(memcmp(got, data, sizes[i]), 0, "%zu", sizes[i]);
		free(got);
		free(data);
	}
}

Test(wire_path, a_flipped_byte_anywhere_is_refused)
{
	size_t len = 3u << 20;
	uint8_t *data = fb_like(len, 10), *got;
	static const long long where[] = { 0, 5, 20, 31, 32, 100, 40000 };
	size_t i;

	for (i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
		struct mitm m = { .flip = where[i], .cut = -1 };
		struct side s, r;

		run_path(data, len, &m, &s, &r, &got);
		cr_assert_neq(r.ret, 0, "flip at %lld went through", where[i]);
		cr_assert(r.ret == -EBADMSG || r.ret == -EPROTO,
			  "flip at %lld: %d %s", where[i], r.ret, r.err);
		cr_assert_null(got);
	}
	free(data);
}

Test(wire_path, a_cut_connection_is_refused)
{
	size_t len = 3u << 20;
	uint8_t *data = fb_like(len, 10), *got;
	static const long long where[] = { 0, 10, 32, 5000, 300000 };
	size_t i;

	for (i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
		struct mitm m = { .flip = -1, .cut = where[i] };
		struct side s, r;

		run_path(data, len, &m, &s, &r, &got);
		cr_assert_eq(r.ret, -ENODATA, "cut at %lld: %d %s", where[i],
			     r.ret, r.err);
		cr_assert(strstr(r.err, "closed the connection"), "%s", r.err);
		cr_assert_null(got);
		/* the sender is told too, not left waiting */
		cr_assert(s.ret == -EPIPE || s.ret == -ECONNRESET || s.ret == 0,
			  "sender: %d %s", s.ret, s.err);
	}
	free(data);
}

Test(wire_path, bytes_after_the_end_are_refused)
{
	size_t len = 100000;
	uint8_t *data = fb_like(len, 10), *got;
	struct mitm m = { .flip = -1, .cut = -1, .extra = 64 };
	struct side s, r;

	run_path(data, len, &m, &s, &r, &got);
	cr_assert_eq(r.ret, -EPROTO, "%d %s", r.ret, r.err);
	cr_assert(strstr(r.err, "64 unexpected bytes after the source's END"), "%s", r.err);
	free(got);
	free(data);
}

/* ---- a session's data phase ------------------------------------------------- */

/* The bytes a session's source sends in its data phase, built by hand. */
struct sbuf {
	uint8_t *p;
	size_t len, cap;
	uint64_t seq;
	uint64_t bytes[4], msgs[4];	/* per stream, for END */
	unsigned cur;
};

static uint8_t *sb_room(struct sbuf *b, size_t n)
{
	if (b->cap - b->len < n) {
		b->cap = (b->len + n) * 2;
		b->p = realloc(b->p, b->cap);
		cr_assert_not_null(b->p);
	}
	return b->p + b->len;
}

static void sb_stream(struct sbuf *b, unsigned i)
{
	uint8_t p[8];

	cr_assert_eq(mvgpu_wire_encode_stream(i, p, sizeof(p)), 8);
	b->len += wire_msg(sb_room(b, MVGPU_WIRE_HDR + 8), MVGPU_WIRE_STREAM,
			   b->seq++, p, 8);
	b->cur = i;
}

/* @len bytes of @d as raw DATA messages of at most 1 MiB. */
static void sb_data(struct sbuf *b, const uint8_t *d, size_t len)
{
	while (len) {
		uint32_t n = len < MVGPU_WIRE_DATA_RAW_MAX ? (uint32_t)len :
			     MVGPU_WIRE_DATA_RAW_MAX;
		uint8_t *m = sb_room(b, MVGPU_WIRE_HDR + n);

		memcpy(m + MVGPU_WIRE_HDR, d, n);
		cr_assert_eq(mvgpu_wire_encode_hdr(m, MVGPU_WIRE_DATA, 0, n, b->seq++,
						   m + MVGPU_WIRE_HDR, n), 0);
		b->len += MVGPU_WIRE_HDR + n;
		b->bytes[b->cur] += n;
		b->msgs[b->cur]++;
		d += n;
		len -= n;
	}
}

static void sb_end(struct sbuf *b)
{
	struct mvgpu_wire_end e = { .stream_bytes = b->bytes[b->cur],
				    .data_msgs = b->msgs[b->cur] };
	uint8_t p[64];
	int n = mvgpu_wire_encode_end(&e, p, sizeof(p));

	b->len += wire_msg(sb_room(b, MVGPU_WIRE_HDR + (size_t)n), MVGPU_WIRE_END,
			   b->seq++, p, (uint32_t)n);
}

struct feeder {
	int fd;
	const struct sbuf *b;
};

static void *feed_thread(void *arg)
{
	struct feeder *f = arg;
	size_t o = 0;

	while (o < f->b->len) {
		ssize_t n = send(f->fd, f->b->p + o, f->b->len - o, MSG_NOSIGNAL);

		if (n <= 0)
			break;
		o += (size_t)n;
	}
	shutdown(f->fd, SHUT_WR);
	return NULL;
}

/* Receive @b as a session of @n streams (n 1: xf_stream_recv()); each
 * stream's bytes in @got[i] (malloc'd, @glen[i]); the error in @err. */
static int session_recv(const struct sbuf *b, unsigned n, uint8_t **got,
			size_t *glen, char *err)
{
	struct feeder f = { .b = b };
	uint64_t sb[4] = { 0 }, wire = 0;
	int sv[2], fds[4], ret;
	mvgpu_ctx *ctx;
	pthread_t th;
	unsigned i;

	cr_assert_eq(mvgpu_ctx_create(&ctx, NULL), 0);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	f.fd = sv[0];
	for (i = 0; i < n; i++)
		fds[i] = memfd_create("out", MFD_CLOEXEC);
	pthread_create(&th, NULL, feed_thread, &f);
	if (n == 1)
		ret = xf_stream_recv(ctx, sv[1], fds[0], &sb[0], &wire);
	else
		ret = xf_session_recv(ctx, sv[1], fds, n, sb, &wire);
	snprintf(err, 512, "%s", mvgpu_last_error(ctx));
	shutdown(sv[1], SHUT_RDWR);
	pthread_join(th, NULL);
	for (i = 0; i < n; i++) {
		struct stat st;

		cr_assert_eq(fstat(fds[i], &st), 0);
		glen[i] = (size_t)st.st_size;
		got[i] = malloc(glen[i] + 1);
		cr_assert_eq(pread(fds[i], got[i], glen[i], 0), (ssize_t)glen[i]);
		if (!ret)
			cr_assert_eq(sb[i], glen[i]);
		close(fds[i]);
	}
	close(sv[0]);
	close(sv[1]);
	mvgpu_ctx_free(ctx);
	return ret;
}

Test(wire_path, a_session_s_streams_each_reach_their_fd)
{
	size_t len[3] = { (3u << 20) + 77, 1u << 20, 12345 }, glen[3];
	uint8_t *d[3], *got[3];
	struct sbuf b = { 0 };
	char err[512];
	unsigned i;

	for (i = 0; i < 3; i++)
		d[i] = fb_like(len[i], 30 + 20 * i);
	/* pre-copy passes of each, then each one's rest and END, out of
	 * order */
	sb_stream(&b, 0);
	sb_data(&b, d[0], 2u << 20);
	sb_stream(&b, 1);
	sb_data(&b, d[1], 1000);
	sb_stream(&b, 2);
	sb_data(&b, d[2], len[2]);
	sb_end(&b);
	sb_stream(&b, 0);
	sb_data(&b, d[0] + (2u << 20), len[0] - (2u << 20));
	sb_end(&b);
	sb_stream(&b, 1);
	sb_data(&b, d[1] + 1000, len[1] - 1000);
	sb_end(&b);
	cr_assert_eq(session_recv(&b, 3, got, glen, err), 0, "%s", err);
	for (i = 0; i < 3; i++) {
		cr_assert_eq(glen[i], len[i], "stream %u", i);
		cr_assert_eq(memcmp(got[i], d[i], len[i]), 0, "stream %u", i);
		free(got[i]);
		free(d[i]);
	}
	free(b.p);
}

/* The framings a hostile session source may send, each refused. */
Test(wire_path, a_session_s_hostile_framings_are_refused)
{
	static const struct {
		const char *what, *steps, *why;
		unsigned n;
		int err;
	} cases[] = {
		{ "DATA before a STREAM", "d", "without naming its vGPU (STREAM)", 2, -EPROTO },
		{ "STREAM past the session", "3", "STREAM for vGPU 3 of a session of 3", 3, -EBADMSG },
		{ "a stream reopened after its END", "0de0d", "more of vGPU 0's stream after its END", 2, -EPROTO },
		{ "STREAM in a one-vGPU migration", "0de", "STREAM outside a session", 1, -EPROTO },
		{ "an END whose counts lie", "0dE", "stream bytes in", 2, -EBADMSG },
		{ "STATE twice", "0ss", "STATE message out of turn", 2, -EPROTO },
		{ "one END short", "0de1d", "before the end of the stream", 2, -ENODATA },
		{ "bytes after the last END", "0de1dex", "unexpected bytes after the source's END", 2, -EPROTO },
	};
	static uint8_t d[5000];
	uint8_t *got[4];
	size_t glen[4], i, k;
	char err[512];

	memset(d, 0x5a, sizeof(d));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sbuf b = { 0 };
		uint8_t p[MVGPU_WIRE_NAME_LEN + 4] = "kind";

		for (k = 0; cases[i].steps[k]; k++) {
			char c = cases[i].steps[k];

			if (c >= '0' && c <= '9')
				sb_stream(&b, (unsigned)(c - '0'));
			else if (c == 'd')
				sb_data(&b, d, sizeof(d));
			else if (c == 'e')
				sb_end(&b);
			else if (c == 'E')
				b.bytes[b.cur]++, sb_end(&b);
			else if (c == 's')
				b.len += wire_msg(sb_room(&b, MVGPU_WIRE_HDR + sizeof(p)),
						  MVGPU_WIRE_STATE, b.seq++, p, sizeof(p));
			else if (c == 'x')
				memset(sb_room(&b, 9), 'x', 9), b.len += 9;
		}
		cr_assert_eq(session_recv(&b, cases[i].n, got, glen, err), cases[i].err,
			     "%s: %s", cases[i].what, err);
		cr_assert(strstr(err, cases[i].why), "%s: %s", cases[i].what, err);
		for (k = 0; k < cases[i].n; k++)
			free(got[k]);
		free(b.p);
	}
}
