// SPDX-License-Identifier: MIT
/*
 * fuzz_receive.c - libFuzzer target for the receiving end of a live
 * migration: what a migration source sends `mvgpu receive` in the data
 * phase (DATA, STATE, END: docs/wire-protocol.md), as bytes off the
 * socket, through libmvgpu's own code - the reassembly of messages across
 * reads, the header, checksum and seq checks, the lz4 decoding and the END
 * counts (xf_receive() in userspace/lib/transfer.c, run by
 * xf_stream_recv()).  The socket is a memfd, the sink /dev/null (and a
 * hash of every byte that reaches it), the pipeline tests/fuzz/uio_sync.c:
 * no kernel, no io_uring, no thread.
 *
 * Input: byte 0 the mode (bits 0-1) and the streams (bits 2-3: n - 1; a
 * session of n > 1 streams goes through xf_session_recv(), as
 * mvgpu_receive_n() receives one), byte 1 how the second run cuts the
 * bytes into reads, then the body:
 *   RAW        the body as the socket's bytes, as they are;
 *   FRAMED     the body as messages whose checksums (and lz4 frame
 *              descriptor checksums) are made right after mutation, and
 *              seq renumbered: hostile contents in valid framing;
 *   FRAMED_SEQ the same with seq as the body has it;
 *   SOURCE     the body is a migration stream (byte 0 picks the DATA
 *              chunk size, byte 1 a STATE), sent as xf_stream_send()
 *              sends it (the seeder checks that byte for byte); in a
 *              session, cut into n streams, each sent in two parts as a
 *              source sends pre-copy and stop-copy (STREAM i before each
 *              part, a STATE and END after the second).
 * Invariants (a violation aborts):
 *   - two runs, one with reads as big as the pipeline's buffers and one in
 *     the pieces byte 1 picks, end the same way; when they succeed, with
 *     the same bytes at the sink and the same counts;
 *   - a failure is a negative errno with a message; the counts match what
 *     reached the sink;
 *   - SOURCE: the stream arrives byte-exact, its DATA payload bytes
 *     counted (a session's in the order its parts were sent).
 * Bounds: libFuzzer's -malloc_limit_mb (tests/fuzz/fuzz.mk) makes any
 * allocation of more than the receiver's fixed buffers a crash: a hostile
 * length must never allocate.
 *
 * Built with -DMVGPU_FUZZ_SEEDER instead, it writes a seed corpus (made by
 * the real sender, xf_stream_send(), over a socketpair) and a dictionary
 * into the directory argv[1].
 */
#include <errno.h>
#include <lz4frame.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <xxhash.h>

#include "fuzz_util.h"
#include "mvgpu.h"
#include "mvgpu_stream.h"
#include "mvgpu_wire.h"
#include "transfer.h"
#include "uio_sync.h"

enum { RX_RAW, RX_FRAMED, RX_FRAMED_SEQ, RX_SOURCE };

static mvgpu_ctx *ctx;
static int sock_fd;		/* the memfd standing in for the socket */

/* ---- the sender, as transfer.c's xf_compress() frames a stream ----------- */

static LZ4F_cctx *cctx;
static LZ4F_preferences_t prefs;
static uint8_t *lz4_buf;
static size_t lz4_cap;

static void rx_setup(void)
{
	if (ctx)
		return;
	CHECK(!mvgpu_ctx_create(&ctx, "/nonexistent-sysfs"));
	sock_fd = fz_memfd("socket");
	CHECK(!LZ4F_isError(LZ4F_createCompressionContext(&cctx, LZ4F_VERSION)));
	memset(&prefs, 0, sizeof(prefs));	/* transfer.c's xf_lz4_init() */
	prefs.frameInfo.blockSizeID = LZ4F_max1MB;
	prefs.frameInfo.blockMode = LZ4F_blockIndependent;
	prefs.compressionLevel = 1;
	prefs.autoFlush = 1;
	lz4_cap = LZ4F_compressFrameBound(MVGPU_WIRE_DATA_RAW_MAX, &prefs);
	lz4_buf = malloc(lz4_cap);
	CHECK(lz4_buf);
}

/* One lz4 frame of @n bytes, as transfer.c's lz4_frame(); 0: no gain. */
static size_t rx_lz4(const uint8_t *src, size_t n)
{
	size_t a, b, c;

	a = LZ4F_compressBegin(cctx, lz4_buf, lz4_cap, &prefs);
	CHECK(!LZ4F_isError(a));
	b = LZ4F_compressUpdate(cctx, lz4_buf + a, lz4_cap - a, src, n, NULL);
	CHECK(!LZ4F_isError(b));
	c = LZ4F_compressEnd(cctx, lz4_buf + a + b, lz4_cap - a - b, NULL);
	CHECK(!LZ4F_isError(c));
	return a + b + c < n ? a + b + c : 0;
}

struct rx_wire {
	uint8_t *p;
	size_t len, cap;
	uint64_t seq, data_msgs, data_bytes;
};

static uint8_t *rx_room(struct rx_wire *w, size_t n)
{
	if (w->cap - w->len < n) {
		w->cap = (w->cap + n) * 2;
		w->p = realloc(w->p, w->cap);
		CHECK(w->p);
	}
	return w->p + w->len;
}

static void rx_msg(struct rx_wire *w, unsigned type, unsigned flags,
		   uint32_t raw, const void *payload, uint32_t len)
{
	uint8_t *m = rx_room(w, MVGPU_WIRE_HDR + len);

	memcpy(m + MVGPU_WIRE_HDR, payload, len);
	CHECK(!mvgpu_wire_encode_hdr(m, type, flags, raw, w->seq++,
				     m + MVGPU_WIRE_HDR, len));
	w->len += MVGPU_WIRE_HDR + len;
}

/* A state to travel: @len bytes of kind "exercise" (or none: "", 0). */
static void rx_state(struct rx_wire *w, const char *kind, size_t len)
{
	uint8_t *s = calloc(1, MVGPU_WIRE_NAME_LEN + len + 1);
	size_t i;

	CHECK(s);
	CHECK(mvgpu_wire_encode_kind(kind, s, MVGPU_WIRE_NAME_LEN) > 0);
	for (i = 0; i < len; i++)
		s[MVGPU_WIRE_NAME_LEN + i] = (uint8_t)(i * 7 + 3);
	rx_msg(w, MVGPU_WIRE_STATE, 0, 0, s, (uint32_t)(MVGPU_WIRE_NAME_LEN + len));
	free(s);
}

static void rx_stream_msg(struct rx_wire *w, unsigned i)
{
	uint8_t p[8];

	CHECK(mvgpu_wire_encode_stream(i, p, sizeof(p)) == 8);
	rx_msg(w, MVGPU_WIRE_STREAM, 0, 0, p, 8);
}

/* DATA messages of @n bytes of @s, counted for END in @e. */
static void rx_data(struct rx_wire *w, const uint8_t *s, size_t n, size_t chunk,
		    struct mvgpu_wire_end *e)
{
	while (n) {
		size_t c = n < chunk ? n : chunk, z = rx_lz4(s, c);

		if (z)
			rx_msg(w, MVGPU_WIRE_DATA, MVGPU_WIRE_F_LZ4, (uint32_t)c,
			       lz4_buf, (uint32_t)z);
		else
			rx_msg(w, MVGPU_WIRE_DATA, 0, (uint32_t)c, s, (uint32_t)c);
		e->data_msgs++;
		e->stream_bytes += c;
		w->data_bytes += z ? z : c;
		s += c;
		n -= c;
	}
}

static void rx_end(struct rx_wire *w, const struct mvgpu_wire_end *e)
{
	uint8_t end[64];
	int k = mvgpu_wire_encode_end(e, end, sizeof(end));

	CHECK(k > 0);
	rx_msg(w, MVGPU_WIRE_END, 0, 0, end, (uint32_t)k);
}

/*
 * @n stream bytes as a source sends them: DATA messages of @chunk stream
 * bytes (an lz4 frame when it is smaller, else as they are), a STATE when
 * @state_sel says (bit 7: "exercise" with (bits 0..6) * 9 bytes, bit 6:
 * the empty kind), END.
 */
static void rx_send(struct rx_wire *w, const uint8_t *s, size_t n,
		    size_t chunk, unsigned state_sel)
{
	struct mvgpu_wire_end e = { 0 };

	memset(w, 0, sizeof(*w));
	rx_data(w, s, n, chunk, &e);
	w->data_msgs = e.data_msgs;
	if (state_sel & 0x80)
		rx_state(w, "exercise", (state_sel & 0x7f) * 9u);
	else if (state_sel & 0x40)
		rx_state(w, "", 0);
	rx_end(w, &e);
}

/*
 * The @n bytes at @s as a session of @ns streams: stream i is the i-th
 * part, sent as a session's source sends it - its first half (pre-copy)
 * after STREAM i, stream after stream, then its second half, a STATE (as
 * @state_sel says) and END.  @order gets the parts as sent (offset,
 * length: 2 * @ns of them).
 */
static void rx_send_session(struct rx_wire *w, const uint8_t *s, size_t n,
			    unsigned ns, size_t chunk, unsigned state_sel,
			    size_t order[][2])
{
	struct mvgpu_wire_end e[4] = { { 0 } };
	size_t part = n / ns, off[4], len[4];
	unsigned i, k = 0;

	memset(w, 0, sizeof(*w));
	for (i = 0; i < ns; i++) {
		off[i] = i * part;
		len[i] = i + 1 == ns ? n - off[i] : part;
	}
	for (i = 0; i < ns; i++) {
		rx_stream_msg(w, i);
		rx_data(w, s + off[i], len[i] / 2, chunk, &e[i]);
		order[k][0] = off[i];
		order[k++][1] = len[i] / 2;
	}
	for (i = 0; i < ns; i++) {
		rx_stream_msg(w, i);
		rx_data(w, s + off[i] + len[i] / 2, len[i] - len[i] / 2, chunk, &e[i]);
		order[k][0] = off[i] + len[i] / 2;
		order[k++][1] = len[i] - len[i] / 2;
		if (state_sel & 0x80)
			rx_state(w, "exercise", (state_sel & 0x7f) * 9u + i);
		else if (state_sel & 0x40)
			rx_state(w, "", 0);
		w->data_msgs += e[i].data_msgs;
		rx_end(w, &e[i]);
	}
}

static size_t rx_chunk(unsigned sel)
{
	static const size_t sizes[] = { 1, 16, 100, 4095, 4096, 65536,
					MVGPU_WIRE_DATA_RAW_MAX, 3000 };

	return sizes[sel % (sizeof(sizes) / sizeof(sizes[0]))];
}

/* ---- framing repaired after mutation --------------------------------------- */

static uint64_t rx_check(const uint8_t *hdr, const uint8_t *payload,
			 uint32_t len)
{
	struct mvgpu_xxh64 h;

	mvgpu_xxh64_reset(&h);
	mvgpu_xxh64_update(&h, hdr, 24);	/* header bytes 0..23 */
	mvgpu_xxh64_update(&h, payload, len);
	return mvgpu_xxh64_digest(&h);
}

/* Walk @p as messages by their length fields; fix what a mutation broke
 * outside the fields themselves.  A message cut short is left as it is. */
static void rx_fix(uint8_t *p, size_t n, bool renumber)
{
	uint64_t seq = 0;

	while (n >= MVGPU_WIRE_HDR) {
		uint32_t len = mvgpu_get_le32(p + 8);

		if (len > n - MVGPU_WIRE_HDR)
			return;
		if (mvgpu_get_le16(p + 4) == MVGPU_WIRE_DATA &&
		    (mvgpu_get_le16(p + 6) & MVGPU_WIRE_F_LZ4))
			fz_lz4_fix(p + MVGPU_WIRE_HDR, len);
		if (renumber)
			mvgpu_put_le64(p + 16, seq++);
		mvgpu_put_le64(p + 24, rx_check(p, p + MVGPU_WIRE_HDR, len));
		p += MVGPU_WIRE_HDR + len;
		n -= MVGPU_WIRE_HDR + len;
	}
}

/* ---- the receiver ------------------------------------------------------------ */

struct rx_result {
	int ret;
	uint64_t stream, wire;	/* what xf_stream_recv() counted */
	uint64_t sunk, hash;	/* what reached the sink */
};

static XXH64_state_t *tap_state;
static uint64_t tap_bytes;

static void rx_tap(void *opaque, const void *buf, size_t len)
{
	XXH64_update(opaque, buf, len);
	tap_bytes += len;
}

static const uint32_t rx_patterns[][6] = {
	{ 1 }, { 32 }, { 31, 33 }, { 7, 4096, 1 }, { 4097, 65536 },
	{ 100, 2, 3, 5000 }, { 1u << 20, 5 }, { 65535, 17, 32768, 9 },
};

static struct rx_result rx_run(unsigned pattern, unsigned ns)
{
	struct rx_result r = { 0 };
	uint64_t each[4] = { 0 };
	int sinks[4];
	size_t n = 0;
	unsigned i;

	if (pattern) {
		const uint32_t *p = rx_patterns[(pattern - 1) %
			(sizeof(rx_patterns) / sizeof(rx_patterns[0]))];

		while (n < 6 && p[n])
			n++;
		uio_sync_reads(p, n);
	} else {
		uio_sync_reads(NULL, 0);
	}
	if (!tap_state)
		tap_state = XXH64_createState();
	CHECK(tap_state);
	XXH64_reset(tap_state, 0);
	tap_bytes = 0;
	uio_sync_tap(rx_tap, tap_state);
	CHECK(lseek(sock_fd, 0, SEEK_SET) == 0);
	if (ns == 1) {
		r.ret = xf_stream_recv(ctx, sock_fd, fz_devnull(), &r.stream, &r.wire);
	} else {
		for (i = 0; i < ns; i++)
			sinks[i] = fz_devnull();
		r.ret = xf_session_recv(ctx, sock_fd, sinks, ns, each, &r.wire);
		for (i = 0; i < ns; i++)
			r.stream += each[i];
	}
	uio_sync_tap(NULL, NULL);
	r.sunk = tap_bytes;
	r.hash = XXH64_digest(tap_state);
	if (r.ret)
		CHECK(r.ret < 0 && mvgpu_last_error(ctx)[0]);
	/* a session counts what it decoded, written or not (a failure may
	 * leave the last buffer unwritten) */
	CHECK(r.stream == r.sunk || (ns > 1 && r.ret && r.stream >= r.sunk));
	return r;
}

static int rx_last_ret;	/* for the seeder: its seeds are received whole */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *body = data + 2;
	struct rx_wire w = { 0 };
	struct rx_result a, b;
	size_t n, order[8][2];
	unsigned mode, ns, i;

	if (size < 2)
		return 0;
	n = size - 2;
	rx_setup();
	mode = data[0] & 3;
	ns = 1 + ((data[0] >> 2) & 3);
	if (mode == RX_SOURCE) {
		if (n < 2)
			return 0;
		if (ns > 1)
			rx_send_session(&w, body + 2, n - 2, ns, rx_chunk(body[0]),
					body[1], order);
		else
			rx_send(&w, body + 2, n - 2, rx_chunk(body[0]), body[1]);
	} else {
		w.p = malloc(n ? n : 1);
		CHECK(w.p);
		memcpy(w.p, body, n);
		w.len = n;
		if (mode != RX_RAW)
			rx_fix(w.p, n, mode == RX_FRAMED);
	}
	fz_load(sock_fd, w.p, w.len);
	free(w.p);

	a = rx_run(0, ns);
	b = rx_run(1u + data[1], ns);
	CHECK(a.ret == b.ret);
	rx_last_ret = a.ret;
	if (!a.ret)
		CHECK(a.stream == b.stream && a.wire == b.wire && a.hash == b.hash);
	if (mode == RX_SOURCE) {
		uint64_t h = XXH64(body + 2, n - 2, 0);

		if (ns > 1) {
			XXH64_reset(tap_state, 0);
			for (i = 0; i < 2 * ns; i++)
				XXH64_update(tap_state, body + 2 + order[i][0],
					     order[i][1]);
			h = XXH64_digest(tap_state);
		}
		CHECK(!a.ret);
		CHECK(a.stream == n - 2);
		CHECK(a.hash == h);
		CHECK(a.wire == w.data_bytes);
	}
	return 0;
}

/* ---- seed corpus ------------------------------------------------------------- */

#ifdef MVGPU_FUZZ_SEEDER

struct drain {
	int fd;
	uint8_t *p;
	size_t len, cap;
};

static void *drain_thread(void *arg)
{
	struct drain *d = arg;
	ssize_t r;

	for (;;) {
		if (d->cap - d->len < 65536) {
			d->cap = d->cap * 2 + 65536;
			d->p = realloc(d->p, d->cap);
			CHECK(d->p);
		}
		r = read(d->fd, d->p + d->len, d->cap - d->len);
		if (r <= 0)
			break;
		d->len += (size_t)r;
	}
	return NULL;
}

/* What xf_stream_send() puts on the wire for @n stream bytes. */
static struct drain real_send(const uint8_t *s, size_t n)
{
	struct drain d = { 0 };
	uint64_t sb, wb;
	pthread_t th;
	int sv[2], in = fz_memfd("stream");

	fz_load(in, s, n);
	CHECK(!socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	d.fd = sv[1];
	CHECK(!pthread_create(&th, NULL, drain_thread, &d));
	CHECK(!xf_stream_send(ctx, in, sv[0], &sb, &wb));
	CHECK(sb == n);
	shutdown(sv[0], SHUT_WR);
	CHECK(!pthread_join(th, NULL));
	close(sv[0]);
	close(sv[1]);
	close(in);
	return d;
}

/* A stream of type 0 with @pages pages of console-like text, some zero
 * runs and a noise page (lz4 cannot shrink it: a raw DATA); with noise,
 * also the platform and the ECC record (stream minor 1). */
static size_t seed_stream(uint8_t *buf, size_t cap, unsigned pages,
			  bool noise)
{
	struct mvgpu_compat_info in;
	struct mvgpu_state st;
	struct mvgpu_enc e;
	uint8_t page[MVGPU_STREAM_PAGE_SIZE];
	uint64_t x = 88172645463325252ull;
	size_t pos = 0, j;
	ssize_t k;
	unsigned i;

	CHECK(!mvgpu_compat_local(&in, 0, "0.1.0"));
	CHECK(!mvgpu_enc_init(&e, &in));
#define PUT(call) do { k = (call); CHECK(k >= 0); pos += (size_t)k; } while (0)
	PUT(mvgpu_enc_desc(&e, buf, cap));
	if (noise)
		PUT(mvgpu_enc_platform(&e, buf + pos, cap - pos,
				       &(struct mvgpu_state_platform){
						MVGPU_COMPAT_ECC_OFF, 1 }));
	for (i = 0; i < pages; i++) {
		for (j = 0; j < sizeof(page); j++)
			page[j] = (j % 64 < 8 || (i + j / 8) % 7 == 0) ? 0x20 : 0xe0;
		PUT(mvgpu_enc_page(&e, buf + pos, cap - pos, i * 3, page));
	}
	PUT(mvgpu_enc_zero(&e, buf + pos, cap - pos, 1000, 2000));
	if (noise) {
		for (j = 0; j < sizeof(page); j += 8) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			memcpy(page + j, &x, 8);
		}
		PUT(mvgpu_enc_page(&e, buf + pos, cap - pos, 77, page));
	}
	memset(&st, 0, sizeof(st));
	mvgpu_put_le16(st.cfg + 0x00, MVGPU_PCI_VENDOR_ID);
	mvgpu_put_le16(st.cfg + 0x02, MVGPU_PCI_DEVICE_ID);
	mvgpu_put_le16(st.cfg + 0x2c, MVGPU_PCI_SUBVENDOR_ID);
	mvgpu_put_le16(st.cfg + 0x2e, MVGPU_PCI_SUBDEV_BASE);
	if (noise) {
		st.have = MVGPU_STATE_HAVE_ECC;
		st.ecc = (struct mvgpu_state_ecc){ 0, 0, 12, 0, 12, 0 };
	}
	PUT(mvgpu_enc_state(&e, buf + pos, cap - pos, &st));
	PUT(mvgpu_enc_end(&e, buf + pos, cap - pos));
#undef PUT
	return pos;
}

/* @mode, @pattern, @head then @p as a seed: one the receiver takes whole,
 * or refuses (@refused). */
static void seed_as(const char *dir, const char *name, unsigned mode,
		    unsigned pattern, const uint8_t *head, size_t hlen,
		    const uint8_t *p, size_t n, bool refused)
{
	uint8_t *s = malloc(2 + hlen + n);

	CHECK(s);
	s[0] = (uint8_t)mode;
	s[1] = (uint8_t)pattern;
	if (hlen)
		memcpy(s + 2, head, hlen);
	memcpy(s + 2 + hlen, p, n);
	LLVMFuzzerTestOneInput(s, 2 + hlen + n);
	CHECK(!rx_last_ret == !refused);
	fz_write_file(dir, name, s, 2 + hlen + n);
	free(s);
}

static void seed(const char *dir, const char *name, unsigned mode,
		 unsigned pattern, const uint8_t *head, size_t hlen,
		 const uint8_t *p, size_t n)
{
	seed_as(dir, name, mode, pattern, head, hlen, p, n, false);
}

/* What a source may send that the receiver must refuse: an ERROR (it gave
 * up), DATA after the STATE, two STATEs. */
static void seed_refused(const char *dir, const uint8_t *s, size_t n)
{
	static const struct mvgpu_wire_error er = {
		.code = EIO, .text = "the source's vGPU went away",
	};
	struct rx_wire w;
	uint8_t buf[MVGPU_WIRE_CTRL_MAX];
	int k;

	/* DATA, then ERROR where END was due */
	memset(&w, 0, sizeof(w));
	rx_msg(&w, MVGPU_WIRE_DATA, 0, (uint32_t)(n < 100 ? n : 100), s,
	       (uint32_t)(n < 100 ? n : 100));
	k = mvgpu_wire_encode_error(&er, buf, sizeof(buf));
	CHECK(k > 0);
	rx_msg(&w, MVGPU_WIRE_ERROR, 0, 0, buf, (uint32_t)k);
	seed_as(dir, "refused-error", RX_FRAMED, 1, NULL, 0, w.p, w.len, true);
	free(w.p);
	/* STATE, then DATA */
	memset(&w, 0, sizeof(w));
	rx_state(&w, "exercise", 64);
	rx_msg(&w, MVGPU_WIRE_DATA, 0, 16, s, 16);
	seed_as(dir, "refused-data-after-state", RX_FRAMED, 2, NULL, 0, w.p,
		w.len, true);
	free(w.p);
	/* two STATEs */
	memset(&w, 0, sizeof(w));
	rx_state(&w, "exercise", 8);
	rx_state(&w, "exercise", 8);
	seed_as(dir, "refused-two-states", RX_FRAMED, 3, NULL, 0, w.p, w.len,
		true);
	free(w.p);
}

int main(int argc, char **argv)
{
	static const char *const dict[] = {
		"MVGW", "\\x02\\x00\\x01\\x00", "\\x02\\x00\\x00\\x00",
		"\\x03\\x00\\x00\\x00", "\\x04\\x00\\x00\\x00",
		"\\x20\\x00\\x00\\x00", "\\x04\\x22\\x4d\\x18", "\\x00\\x00\\x10\\x00",
		"\\x00\\x00\\x00\\x00", "exercise", "\\x00\\x00\\x11\\x00",
		"\\x07\\x00\\x00\\x00", "\\x01\\x00\\x00\\x00",
	};
	static const struct { unsigned pages; bool noise; } streams[] = {
		{ 0, false }, { 2, false }, { 5, true }, { 9, true },
	};
	const size_t cap = 1 << 20;
	uint8_t *buf = malloc(cap), head[2];
	char name[64];
	size_t i, n;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	CHECK(buf);
	rx_setup();
	for (i = 0; i < sizeof(streams) / sizeof(streams[0]); i++) {
		struct drain d;
		struct rx_wire w;

		n = seed_stream(buf, cap, streams[i].pages, streams[i].noise);
		d = real_send(buf, n);
		/* the fuzzer's sender is the real one, byte for byte */
		rx_send(&w, buf, n, MVGPU_WIRE_DATA_RAW_MAX, 0);
		CHECK(w.len == d.len && !memcmp(w.p, d.p, d.len));
		free(w.p);
		snprintf(name, sizeof(name), "raw-%zu", i);
		seed(argv[1], name, RX_RAW, (unsigned)i, NULL, 0, d.p, d.len);
		snprintf(name, sizeof(name), "framed-%zu", i);
		seed(argv[1], name, RX_FRAMED, (unsigned)i * 2, NULL, 0, d.p, d.len);
		free(d.p);
		/* the same stream as the SOURCE mode sends it, in small chunks
		 * and with a state */
		head[0] = (uint8_t)(i + 2);
		head[1] = (uint8_t)(i & 1 ? 0x80 | (i * 5) : 0x40 * (i / 2));
		snprintf(name, sizeof(name), "source-%zu", i);
		seed(argv[1], name, RX_SOURCE, (unsigned)i * 3, head, 2, buf, n);
		rx_send(&w, buf, n, rx_chunk(head[0]), head[1]);
		snprintf(name, sizeof(name), "framed-seq-%zu", i);
		seed(argv[1], name, RX_FRAMED_SEQ, (unsigned)i + 4, NULL, 0,
		     w.p, w.len);
		free(w.p);
	}
	seed_refused(argv[1], buf, n);
	/* sessions of 2, 3 and 4 streams, as a source sends them, and one
	 * framed by hand that reopens a stream after its END */
	for (i = 1; i < 4; i++) {
		struct rx_wire w;
		size_t order[8][2];

		n = seed_stream(buf, cap, 4 + (unsigned)i, i & 1);
		head[0] = (uint8_t)(i + 1);
		head[1] = (uint8_t)(0x80 | i);
		snprintf(name, sizeof(name), "session-%zu", i + 1);
		seed(argv[1], name, RX_SOURCE | (unsigned)i << 2, (unsigned)i, head, 2,
		     buf, n);
		rx_send_session(&w, buf, n, (unsigned)i + 1, MVGPU_WIRE_DATA_RAW_MAX,
				0, order);
		snprintf(name, sizeof(name), "session-framed-%zu", i + 1);
		seed(argv[1], name, RX_FRAMED | (unsigned)i << 2, (unsigned)i + 2, NULL,
		     0, w.p, w.len);
		free(w.p);
	}
	{
		struct rx_wire w;
		struct mvgpu_wire_end e = { 0 };

		memset(&w, 0, sizeof(w));
		rx_stream_msg(&w, 0);
		rx_data(&w, buf, 100, 100, &e);
		rx_end(&w, &e);
		rx_stream_msg(&w, 0);
		seed_as(argv[1], "session-refused-reopened", RX_FRAMED | 1u << 2, 1,
			NULL, 0, w.p, w.len, true);
		free(w.p);
	}
	fz_write_dict(argv[1], "receive.dict", dict, sizeof(dict) / sizeof(dict[0]));
	printf("fuzz seeds: %zu streams sent 4 ways, 3 refusals, sessions of 2-4 streams sent 2 ways and one refused, and receive.dict in %s\n",
	       sizeof(streams) / sizeof(streams[0]), argv[1]);
	free(buf);
	mvgpu_ctx_free(ctx);
	return 0;
}

#endif /* MVGPU_FUZZ_SEEDER */
