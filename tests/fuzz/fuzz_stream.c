/*
 * fuzz_stream.c - libFuzzer target for the migration stream decoder.
 *
 * Each input is decoded twice against a 1 MiB framebuffer: in one push and
 * in a chunk pattern of sizes 1..4097, by a target whose parent's ECC mode
 * is unknown, off or on (by the input's size).  Invariants (a violation
 * aborts):
 *   - both decodes end the same way: same result, error code, offset, and
 *     the same callbacks with the same data in the same order;
 *   - callbacks only ever see page indices and ranges inside the
 *     framebuffer; a failed decode has a reason string and is not complete;
 *   - a PLAT record reaches its callback only valid and matching the
 *     target's ECC mode; a PEER record only valid, right after DESC/PLAT;
 *   - a successful decode yields a state mvgpu_state_check() accepts, and
 *     re-encoding what was decoded (PLAT and the ECC record included)
 *     decodes to the same framebuffer and state.
 * The input is also parsed as a migration_version string (mvgpu_compat):
 * no crash, no clobbering on failure, and format(parse(s)) parses back to
 * the same info; and as a sequence of wire messages (mvgpu_wire, the
 * helper's protocol): every header and payload decoder on it, and every
 * payload that decodes re-encodes to one that decodes the same.
 * The fuzz build defines FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION, so the
 * checksum does not stop mutated inputs (proto/proto.mk).
 *
 * Built with -DMVGPU_FUZZ_SEEDER instead, it is a program that writes a
 * seed corpus and a libFuzzer dictionary into the directory argv[1].
 *
 *   make fuzz          (FUZZ_SECONDS=600 for longer)
 *   make fuzz-smoke
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mvgpu_stream.h"
#include "mvgpu_wire.h"
#include "fuzz_util.h"

#define PG		MVGPU_STREAM_PAGE_SIZE
#define FB_PAGES	256u
#define FB_SIZE		((uint64_t)FB_PAGES * PG)

/* The target's (and re-encoding source's) ECC mode for this input. */
static __u32 fuzz_ecc;

static struct mvgpu_compat_info fuzz_info(void)
{
	struct mvgpu_compat_info in;

	memset(&in, 0, sizeof(in));
	strcpy(in.driver, "0.1.0");
	strcpy(in.type, "mvgpu-fuzz");
	in.type_index = 1;
	in.stream_major = MVGPU_STREAM_MAJOR;
	in.stream_minor = MVGPU_STREAM_MINOR;
	in.abi_major = MVGPU_ABI_MAJOR;
	in.abi_minor = MVGPU_ABI_MINOR;
	in.fb_size = FB_SIZE;
	in.ecc = fuzz_ecc;
	return in;
}

/* ---- the target side ----------------------------------------------------- */

struct sink {
	uint8_t *fb;
	uint8_t touched[FB_PAGES];
	struct mvgpu_state st;
	uint64_t log;
	unsigned int calls;
};

static void mix(struct sink *s, uint64_t a, uint64_t b, uint64_t c)
{
	uint64_t v[4] = { s->log, a, b, c };

	s->log = XXH64(v, sizeof(v), 0);
	s->calls++;
}

static int on_desc(void *ctx, const struct mvgpu_compat_info *r)
{
	struct mvgpu_compat_info l = fuzz_info();

	CHECK(!mvgpu_compat_check(&l, r, NULL, 0));
	mix(ctx, 1, r->stream_minor, r->features);
	return 0;
}

static int on_plat(void *ctx, const struct mvgpu_state_platform *p)
{
	struct sink *s = ctx;

	CHECK(p->ecc == MVGPU_COMPAT_ECC_OFF || p->ecc == MVGPU_COMPAT_ECC_ON);
	CHECK(fuzz_ecc == MVGPU_COMPAT_ECC_UNKNOWN || p->ecc == fuzz_ecc);
	CHECK(p->frame_rate_limiter <= 1);
	CHECK(s->st.have & MVGPU_STATE_HAVE_PLAT);
	CHECK(s->calls == 1);		/* right after DESC */
	mix(s, 5, p->ecc, p->frame_rate_limiter);
	return 0;
}

static int on_peers(void *ctx, const struct mvgpu_state_peers *p)
{
	struct sink *s = ctx;
	unsigned int i;

	CHECK(p->count <= MVGPU_MAX_PEERS);
	for (i = 0; i < p->count; i++)
		CHECK(p->e[i].links >= 1 && p->e[i].links <= MVGPU_MAX_LINKS);
	CHECK(s->st.have & MVGPU_STATE_HAVE_PEERS);
	/* right after DESC, or DESC and PLAT */
	CHECK(s->calls == 1 + !!(s->st.have & MVGPU_STATE_HAVE_PLAT));
	mix(s, 6, p->count, p->count ? p->e[0].links : 0);
	return 0;
}

static int on_hint(void *ctx, __u64 bytes, __u64 pages)
{
	mix(ctx, 2, bytes, pages);
	return 0;
}

static int on_page(void *ctx, __u64 index, const void *data)
{
	struct sink *s = ctx;

	CHECK(index < FB_PAGES);
	memcpy(s->fb + index * PG, data, PG);
	s->touched[index] = 1;
	mix(s, 3, index, XXH64(data, PG, 0));
	return 0;
}

static int on_zero(void *ctx, __u64 first, __u64 count)
{
	struct sink *s = ctx;

	CHECK(count >= 1 && first < FB_PAGES && count <= FB_PAGES - first);
	memset(s->fb + first * PG, 0, count * PG);
	memset(s->touched + first, 1, count);
	mix(s, 4, first, count);
	return 0;
}

static const struct mvgpu_dec_ops sink_ops = {
	.desc = on_desc, .platform = on_plat, .peers = on_peers,
	.size_hint = on_hint,
	.page = on_page, .zero = on_zero,
};

struct result {
	int ret;
	enum mvgpu_stream_err err;
	uint64_t offset;
	bool complete;
};

static struct mvgpu_dec dec;

/* Decodes @size bytes; @pattern 0 = one push, else chunk sizes from it. */
static struct result decode(const uint8_t *data, size_t size,
			    unsigned int pattern, struct sink *s)
{
	static const size_t sizes[] = { 1, 2, 3, 7, 16, 17, 100, 4095, 4097,
					5, 1, 64 };
	struct mvgpu_compat_info in = fuzz_info();
	struct result r = { 0 };
	size_t pos = 0, n, k = pattern;
	int ret = 0;

	memset(s->touched, 0, sizeof(s->touched));
	memset(&s->st, 0, sizeof(s->st));
	s->log = 0;
	s->calls = 0;
	CHECK(!mvgpu_dec_init(&dec, &in, &s->st, &sink_ops, s));
	while (pos < size && !ret) {
		n = pattern ? sizes[k++ % (sizeof(sizes) / sizeof(sizes[0]))] :
			      size;
		if (n > size - pos)
			n = size - pos;
		ret = mvgpu_dec_push(&dec, data + pos, n);
		pos += n;
	}
	r.ret = ret ? ret : mvgpu_dec_finish(&dec);
	r.err = mvgpu_dec_error(&dec);
	r.offset = mvgpu_dec_offset(&dec);
	r.complete = mvgpu_dec_complete(&dec);

	CHECK(strlen(mvgpu_dec_why(&dec)) < sizeof(dec.why));
	if (r.ret) {
		CHECK(r.err != MVGPU_STREAM_OK && !r.complete);
		CHECK(mvgpu_dec_why(&dec)[0]);
		CHECK(r.ret == mvgpu_stream_errno(r.err));	/* no callback fails */
		CHECK(mvgpu_dec_push(&dec, data, size) == r.ret);
		CHECK(mvgpu_dec_finish(&dec) == r.ret);
	} else {
		CHECK(r.err == MVGPU_STREAM_OK && r.complete);
		CHECK(r.offset == size);
		CHECK(mvgpu_dec_remote(&dec));
	}
	return r;
}

/* ---- re-encoding --------------------------------------------------------- */

static uint8_t *stream_buf;
#define STREAM_MAX	(2u << 20)

#define ENC(e, pos, call)						\
	do {								\
		ssize_t n_ = (call);					\
		CHECK(n_ >= 0);						\
		(pos) += (size_t)n_;					\
	} while (0)

/* Everything a successful decode staged, as a fresh stream. */
static size_t reencode(const struct sink *s)
{
	struct mvgpu_compat_info in = fuzz_info();
	struct mvgpu_enc e;
	size_t pos = 0;
	unsigned int i;

	CHECK(!mvgpu_enc_init(&e, &in));
	ENC(e, pos, mvgpu_enc_desc(&e, stream_buf, STREAM_MAX));
	if (s->st.have & MVGPU_STATE_HAVE_PLAT)
		ENC(e, pos, mvgpu_enc_platform(&e, stream_buf + pos,
					       STREAM_MAX - pos, &s->st.plat));
	if (s->st.have & MVGPU_STATE_HAVE_PEERS)
		ENC(e, pos, mvgpu_enc_peers(&e, stream_buf + pos,
					    STREAM_MAX - pos, &s->st.peers));
	for (i = 0; i < FB_PAGES; i++)
		if (s->touched[i])
			ENC(e, pos, mvgpu_enc_page(&e, stream_buf + pos,
						   STREAM_MAX - pos, i,
						   s->fb + (size_t)i * PG));
	ENC(e, pos, mvgpu_enc_state(&e, stream_buf + pos, STREAM_MAX - pos,
				    &s->st));
	ENC(e, pos, mvgpu_enc_end(&e, stream_buf + pos, STREAM_MAX - pos));
	CHECK(mvgpu_enc_bytes(&e) == pos);
	return pos;
}

static struct sink sinks[3];

static void setup(void)
{
	unsigned int i;

	if (stream_buf)
		return;
	stream_buf = malloc(STREAM_MAX);
	CHECK(stream_buf);
	for (i = 0; i < 3; i++) {
		sinks[i].fb = malloc(FB_SIZE);
		CHECK(sinks[i].fb);
	}
}

static bool same_fb(const struct sink *a, const struct sink *b)
{
	unsigned int i;

	for (i = 0; i < FB_PAGES; i++) {
		if (a->touched[i] != b->touched[i])
			return false;
		if (a->touched[i] &&
		    memcmp(a->fb + (size_t)i * PG, b->fb + (size_t)i * PG, PG))
			return false;
	}
	return true;
}

/* The same input as a migration_version string: parse never crashes or
 * clobbers, and what parses formats back to itself. */
static void fuzz_compat(const uint8_t *data, size_t size)
{
	struct mvgpu_compat_info a, b;
	char buf[MVGPU_COMPAT_STR_MAX], why[MVGPU_COMPAT_WHY_MAX] = "";
	int n, ret;

	memset(&a, 0x5a, sizeof(a));
	b = a;
	ret = mvgpu_compat_parse((const char *)data, size, &a, why, sizeof(why));
	CHECK(strlen(why) < sizeof(why));
	if (ret) {
		CHECK(ret == -EINVAL || ret == -E2BIG);
		CHECK(why[0] && !memcmp(&a, &b, sizeof(a)));
		return;
	}
	CHECK(!mvgpu_compat_validate(&a, NULL, 0));
	n = mvgpu_compat_format(&a, buf, sizeof(buf));
	CHECK(n > 0);
	CHECK(!mvgpu_compat_parse(buf, (size_t)n, &b, NULL, 0));
	CHECK(!memcmp(&a, &b, sizeof(a)));
}

/* One wire payload of @type: decode; what decodes must round-trip. */
static void fuzz_wire_payload(unsigned int type, const uint8_t *p, size_t n)
{
	static uint8_t buf[MVGPU_WIRE_CTRL_MAX];
	char kind[MVGPU_WIRE_NAME_LEN];
	int k;

	switch (type) {
	case MVGPU_WIRE_HELLO: {
		struct mvgpu_wire_hello a, b;

		if (mvgpu_wire_decode_hello(p, n, &a, NULL, 0) ||
		    a.major != MVGPU_WIRE_MAJOR)
			return;
		k = mvgpu_wire_encode_hello(&a, buf, sizeof(buf));
		CHECK(k > 0);
		CHECK(!mvgpu_wire_decode_hello(buf, (size_t)k, &b, NULL, 0));
		CHECK(!memcmp(&a, &b, sizeof(a)));
		return;
	}
	case MVGPU_WIRE_ACCEPT: {
		struct mvgpu_wire_accept a, b;

		if (mvgpu_wire_decode_accept(p, n, &a, NULL, 0))
			return;
		k = mvgpu_wire_encode_accept(&a, buf, sizeof(buf));
		CHECK(k > 0);
		CHECK(!mvgpu_wire_decode_accept(buf, (size_t)k, &b, NULL, 0));
		CHECK(!memcmp(&a, &b, sizeof(a)));
		return;
	}
	case MVGPU_WIRE_ERROR: {
		struct mvgpu_wire_error a, b;

		if (mvgpu_wire_decode_error(p, n, &a, NULL, 0))
			return;
		CHECK(strlen(a.text) < MVGPU_WIRE_MSG_MAX);
		k = mvgpu_wire_encode_error(&a, buf, sizeof(buf));
		CHECK(k > 0);
		CHECK(!mvgpu_wire_decode_error(buf, (size_t)k, &b, NULL, 0));
		CHECK(a.code == b.code && !strcmp(a.text, b.text));
		return;
	}
	case MVGPU_WIRE_END: {
		struct mvgpu_wire_end a, b;

		if (mvgpu_wire_decode_end(p, n, &a, NULL, 0))
			return;
		k = mvgpu_wire_encode_end(&a, buf, sizeof(buf));
		CHECK(!mvgpu_wire_decode_end(buf, (size_t)k, &b, NULL, 0));
		CHECK(!memcmp(&a, &b, sizeof(a)));
		return;
	}
	case MVGPU_WIRE_AGENT: {
		struct mvgpu_wire_agent a, b;

		if (mvgpu_wire_decode_agent(p, n, &a, NULL, 0))
			return;
		k = mvgpu_wire_encode_agent(&a, buf, sizeof(buf));
		CHECK(k > 0);
		CHECK(!mvgpu_wire_decode_agent(buf, (size_t)k, &b, NULL, 0));
		CHECK(!memcmp(&a, &b, sizeof(a)));
		return;
	}
	case MVGPU_WIRE_SESSION: {
		struct mvgpu_wire_session a, b;

		if (mvgpu_wire_decode_session(p, n, &a, NULL, 0) ||
		    a.major != MVGPU_WIRE_MAJOR)
			return;
		CHECK(a.count >= 2 && a.count <= MVGPU_WIRE_VGPUS_MAX);
		k = mvgpu_wire_encode_session(&a, buf, sizeof(buf));
		CHECK(k > 0);
		CHECK(!mvgpu_wire_decode_session(buf, (size_t)k, &b, NULL, 0));
		CHECK(!memcmp(&a, &b, sizeof(a)));
		return;
	}
	case MVGPU_WIRE_STREAM: {
		__u32 a, b;

		if (mvgpu_wire_decode_stream(p, n, MVGPU_WIRE_VGPUS_MAX, &a, NULL, 0))
			return;
		CHECK(a < MVGPU_WIRE_VGPUS_MAX);
		k = mvgpu_wire_encode_stream(a, buf, sizeof(buf));
		CHECK(k > 0);
		CHECK(!mvgpu_wire_decode_stream(buf, (size_t)k, a + 1, &b, NULL, 0));
		CHECK(a == b);
		/* an index of the session's count or more never decodes */
		CHECK(mvgpu_wire_decode_stream(buf, (size_t)k, a, &b, NULL, 0) == -EBADMSG);
		return;
	}
	case MVGPU_WIRE_STATE:
	case MVGPU_WIRE_PAUSED:
	case MVGPU_WIRE_START:
		if (!mvgpu_wire_decode_kind(p, n, kind, NULL, 0))
			CHECK(strlen(kind) < MVGPU_WIRE_NAME_LEN);
		return;
	default: {
		__u64 ns;

		mvgpu_wire_decode_ns(p, n, &ns, NULL, 0);
		return;
	}
	}
}

/* The input as messages: headers checked, payloads decoded in place. */
static void fuzz_wire(const uint8_t *data, size_t size)
{
	uint64_t seq = 0;

	while (size >= MVGPU_WIRE_HDR) {
		struct mvgpu_wire_hdr h;
		char why[256];

		if (mvgpu_wire_decode_hdr(data, &h, why, sizeof(why))) {
			CHECK(why[0]);
			return;
		}
		CHECK(h.length <= mvgpu_wire_payload_max(h.type));
		if (h.length > size - MVGPU_WIRE_HDR)
			return;
		/* the checksum is computed, its verdict only counted */
		(void)mvgpu_wire_verify(data, &h, data + MVGPU_WIRE_HDR, seq++,
					NULL, 0);
		fuzz_wire_payload(h.type, data + MVGPU_WIRE_HDR, h.length);
		data += MVGPU_WIRE_HDR + h.length;
		size -= MVGPU_WIRE_HDR + h.length;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mvgpu_compat_info in;
	struct result a, b, c;
	size_t len;

	setup();
	fuzz_ecc = (__u32)(size % 3);	/* unknown, off, on */
	in = fuzz_info();
	fuzz_compat(data, size);
	fuzz_wire(data, size);
	a = decode(data, size, 0, &sinks[0]);
	b = decode(data, size, 1 + (unsigned int)(size % 11), &sinks[1]);
	CHECK(a.ret == b.ret && a.err == b.err && a.offset == b.offset);
	CHECK(sinks[0].log == sinks[1].log && sinks[0].calls == sinks[1].calls);
	if (a.ret)
		return 0;

	CHECK(same_fb(&sinks[0], &sinks[1]));
	CHECK(!memcmp(&sinks[0].st, &sinks[1].st, sizeof(sinks[0].st)));
	CHECK(!mvgpu_state_check(&sinks[0].st, &in, NULL, 0));

	len = reencode(&sinks[0]);
	c = decode(stream_buf, len, 0, &sinks[2]);
	CHECK(!c.ret);
	CHECK(same_fb(&sinks[0], &sinks[2]));
	CHECK(!memcmp(&sinks[0].st, &sinks[2].st, sizeof(sinks[0].st)));
	return 0;
}

/* ---- seed corpus --------------------------------------------------------- */

#ifdef MVGPU_FUZZ_SEEDER

static void set_cmd(struct mvgpu_cmd *c, uint32_t op, uint64_t a, uint64_t b,
		    uint64_t x)
{
	mvgpu_put_le32(&c->op, op);
	mvgpu_put_le32(&c->flags, 0);
	mvgpu_put_le64(&c->a, a);
	mvgpu_put_le64(&c->b, b);
	mvgpu_put_le64(&c->c, x);
}

static void seed_state(struct mvgpu_state *st, unsigned int variant)
{
	memset(st, 0, sizeof(*st));
	mvgpu_put_le16(st->cfg + 0x00, MVGPU_PCI_VENDOR_ID);
	mvgpu_put_le16(st->cfg + 0x02, MVGPU_PCI_DEVICE_ID);
	mvgpu_put_le16(st->cfg + 0x2c, MVGPU_PCI_SUBVENDOR_ID);
	mvgpu_put_le16(st->cfg + 0x2e, MVGPU_PCI_SUBDEV_BASE + 1);
	if (!variant)
		return;
	st->intr_status = MVGPU_INTR_FENCE(1);
	st->intr_mask = MVGPU_INTR_ALL;
	st->irq_kind = variant % 3;
	st->irq_flags = variant & 1;
	st->disp = (struct mvgpu_state_display){ 64, 64, 256,
		MVGPU_FMT_XRGB8888, 0, 1 };
	st->ch[0].ctrl = MVGPU_CH_CTRL_ENABLE;
	st->ch[0].ring_base = 0x10000;
	st->ch[0].ring_size = 0x1000;
	st->ch[0].put = 0x60;
	st->ch[0].get = 0x20;
	st->ch[0].cmd_done = 4096;
	set_cmd(&st->ch[0].cmd, MVGPU_OP_FILL + variant % 4, 0, 8192, 65536);
	if (variant % 4 == 0)	/* FILL: a = offset, b = bytes */
		set_cmd(&st->ch[0].cmd, MVGPU_OP_FILL, 0, 65536, 0x1234);
	st->ch[1].error = MVGPU_ERR_PUT;
	st->ch[1].error_get = 0x40;
	st->ch[2].ring_size = 0x100000;
	st->ch[3].ctrl = MVGPU_CH_CTRL_ENABLE;
	st->ch[3].error = MVGPU_ERR_RING;
	if (variant & 2) {	/* the ECC record */
		st->have = MVGPU_STATE_HAVE_ECC;
		st->ecc.ctrl = variant & 4 ? MVGPU_ECC_CTRL_OPT_OUT : 0;
		st->ecc.flags = variant & 4 ? MVGPU_STATE_ECC_F_ALL : 0;
		st->ecc.sbe_volatile = variant;
		st->ecc.dbe_volatile = variant & 4 ? 1 : 0;
		st->ecc.sbe_aggregate = 100 + variant;
		st->ecc.dbe_aggregate = 1;
	}
	if (variant & 8) {	/* peers (minor 2), channel 0 inside a copy */
		st->have |= MVGPU_STATE_HAVE_PEERS;
		st->peers.count = 2;
		memset(st->peers.e[0].uuid, 0x31, 16);
		st->peers.e[0].fb_size = FB_SIZE;
		st->peers.e[0].links = 2;
		memset(st->peers.e[1].uuid, 0x32, 16);
		st->peers.e[1].fb_size = 4 * FB_SIZE;
		st->peers.e[1].links = 1;
		set_cmd(&st->ch[0].cmd, MVGPU_OP_PEER_COPY, 8192, 65536 * 8,
			65536);
		mvgpu_put_le32(&st->ch[0].cmd.flags, 1 | MVGPU_CMD_F_PEER_READ);
	}
}

static size_t seed_stream(unsigned int variant)
{
	struct mvgpu_compat_info in = fuzz_info();
	struct mvgpu_state st;
	struct mvgpu_enc e;
	uint8_t page[PG];
	size_t pos = 0;
	unsigned int i, npages = variant * 2;

	CHECK(!mvgpu_enc_init(&e, &in));
	ENC(e, pos, mvgpu_enc_desc(&e, stream_buf, STREAM_MAX));
	if (variant % 4 != 3) {		/* the platform, as minor 1 has it */
		struct mvgpu_state_platform pl = {
			.ecc = MVGPU_COMPAT_ECC_ON,
			.frame_rate_limiter = variant & 1,
		};

		ENC(e, pos, mvgpu_enc_platform(&e, stream_buf + pos,
					       STREAM_MAX - pos, &pl));
	}
	seed_state(&st, variant);
	if (st.have & MVGPU_STATE_HAVE_PEERS)
		ENC(e, pos, mvgpu_enc_peers(&e, stream_buf + pos,
					    STREAM_MAX - pos, &st.peers));
	if (variant & 1)
		ENC(e, pos, mvgpu_enc_size_hint(&e, stream_buf + pos,
						STREAM_MAX - pos, 1234, 3));
	for (i = 0; i < npages; i++) {
		memset(page, 0, PG);
		if (i % 3 != 2)
			memset(page + 16 * i, 0x40 + (int)i, 16);
		ENC(e, pos, mvgpu_enc_page(&e, stream_buf + pos,
					   STREAM_MAX - pos, i * 5 % FB_PAGES,
					   page));
	}
	if (variant & 2)
		ENC(e, pos, mvgpu_enc_zero(&e, stream_buf + pos,
					   STREAM_MAX - pos, 100, 50));
	if (variant & 4)
		ENC(e, pos, mvgpu_enc_record(&e, stream_buf + pos,
					     STREAM_MAX - pos,
					     MVGPU_FOURCC('F', 'U', 'T', 'R'),
					     MVGPU_REC_F_OPTIONAL, "abcde", 5));
	ENC(e, pos, mvgpu_enc_state(&e, stream_buf + pos, STREAM_MAX - pos,
				    &st));
	if (variant & 1) {
		memset(page, 0x77, PG);
		ENC(e, pos, mvgpu_enc_page(&e, stream_buf + pos,
					   STREAM_MAX - pos, FB_PAGES - 1,
					   page));
	}
	ENC(e, pos, mvgpu_enc_end(&e, stream_buf + pos, STREAM_MAX - pos));
	return pos;
}

static void write_file(const char *dir, const char *name, const void *p,
		       size_t n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	CHECK(f);
	CHECK(fwrite(p, 1, n, f) == n);
	CHECK(!fclose(f));
}

int main(int argc, char **argv)
{
	static const char *const dict[] = {
		"DESC", "SIZE", "PAGE", "ZERO", "CFG ", "REGS", "DISP", "IRQ ",
		"CHAN", "END ", "PLAT", "ECC ", "PEER", "MVGPUMIG", "mvgpu-fuzz",
		"0.1.0",
		"\\x01\\x00\\x00\\x00", "\\x00\\x10\\x00\\x00\\x00\\x00\\x00\\x00",
		"\\x08\\x10\\x00\\x00\\x00\\x00\\x00\\x00",
		"mvgpu-migration-version=", " driver=", " stream=", " abi=",
		" type=", " type_index=", " fb=", " features=0x", " ecc=on",
		" ecc=off",
		"MVGW", "\\x01\\x00", "\\x10\\x00", "\\x20\\x00",
	};
	static const char compat[] =
		"mvgpu-migration-version=1 driver=0.1.0 stream=1.2 abi=1.2 "
		"type=mvgpu-fuzz type_index=1 fb=1048576 features=0x0 ecc=on\n";
	char name[64], *text;
	size_t i, n, len;
	struct sink s;
	struct result r;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	setup();
	fuzz_ecc = MVGPU_COMPAT_ECC_ON;	/* the seeds' PLAT says on */
	s.fb = sinks[0].fb;
	for (i = 0; i < 12; i++) {	/* 8..11: with peers */
		len = seed_stream((unsigned int)i);
		r = decode(stream_buf, len, 0, &s);	/* seeds are valid */
		CHECK(!r.ret);
		snprintf(name, sizeof(name), "seed-%zu", i);
		write_file(argv[1], name, stream_buf, len);
	}
	write_file(argv[1], "seed-compat", compat, sizeof(compat) - 1);
	{
		/* wire: HELLO, END, ERROR back to back */
		static const struct mvgpu_wire_hello h = {
			.major = MVGPU_WIRE_MAJOR, .minor = MVGPU_WIRE_MINOR,
			.flags = MVGPU_WIRE_HELLO_PRECOPY,
			.source_uuid = "11111111-2222-3333-4444-555555555555",
			.type = "mvgpu-fuzz", .host = "a", .fb_size = FB_SIZE,
			.version = "mvgpu-migration-version=1 type=mvgpu-fuzz",
		};
		static const struct mvgpu_wire_end e = { 100, 1, 2, 50 };
		static const struct mvgpu_wire_error er = { .code = 22, .text = "no" };
		uint8_t *w = malloc(3 * (MVGPU_WIRE_HDR + MVGPU_WIRE_CTRL_MAX));
		size_t o = 0;
		int k;

		CHECK(w);
		k = mvgpu_wire_encode_hello(&h, w + o + MVGPU_WIRE_HDR, MVGPU_WIRE_CTRL_MAX);
		CHECK(!mvgpu_wire_encode_hdr(w + o, MVGPU_WIRE_HELLO, 0, 0, 0,
					     w + o + MVGPU_WIRE_HDR, (uint32_t)k));
		o += MVGPU_WIRE_HDR + (size_t)k;
		k = mvgpu_wire_encode_end(&e, w + o + MVGPU_WIRE_HDR, MVGPU_WIRE_CTRL_MAX);
		CHECK(!mvgpu_wire_encode_hdr(w + o, MVGPU_WIRE_END, 0, 0, 1,
					     w + o + MVGPU_WIRE_HDR, (uint32_t)k));
		o += MVGPU_WIRE_HDR + (size_t)k;
		k = mvgpu_wire_encode_error(&er, w + o + MVGPU_WIRE_HDR, MVGPU_WIRE_CTRL_MAX);
		CHECK(!mvgpu_wire_encode_hdr(w + o, MVGPU_WIRE_ERROR, 0, 0, 2,
					     w + o + MVGPU_WIRE_HDR, (uint32_t)k));
		o += MVGPU_WIRE_HDR + (size_t)k;
		write_file(argv[1], "seed-wire", w, o);
		free(w);
	}
	{
		/* wire 1.1: SESSION of 2, two HELLOs, STREAM 1 */
		static const struct mvgpu_wire_session ss = {
			.major = MVGPU_WIRE_MAJOR, .minor = MVGPU_WIRE_MINOR,
			.count = 2,
		};
		struct mvgpu_wire_hello h = {
			.major = MVGPU_WIRE_MAJOR, .minor = MVGPU_WIRE_MINOR,
			.flags = MVGPU_WIRE_HELLO_PRECOPY,
			.type = "mvgpu-fuzz", .host = "a", .fb_size = FB_SIZE,
			.version = "mvgpu-migration-version=1 type=mvgpu-fuzz",
		};
		uint8_t *w = malloc(4 * (MVGPU_WIRE_HDR + MVGPU_WIRE_CTRL_MAX));
		size_t o = 0;
		int k, v;

		CHECK(w);
		k = mvgpu_wire_encode_session(&ss, w + o + MVGPU_WIRE_HDR, MVGPU_WIRE_CTRL_MAX);
		CHECK(!mvgpu_wire_encode_hdr(w + o, MVGPU_WIRE_SESSION, 0, 0, 0,
					     w + o + MVGPU_WIRE_HDR, (uint32_t)k));
		o += MVGPU_WIRE_HDR + (size_t)k;
		for (v = 0; v < 2; v++) {
			snprintf(h.source_uuid, sizeof(h.source_uuid),
				 "%d1111111-2222-3333-4444-555555555555", v);
			k = mvgpu_wire_encode_hello(&h, w + o + MVGPU_WIRE_HDR,
						    MVGPU_WIRE_CTRL_MAX);
			CHECK(!mvgpu_wire_encode_hdr(w + o, MVGPU_WIRE_HELLO, 0, 0,
						     1 + (unsigned)v,
						     w + o + MVGPU_WIRE_HDR, (uint32_t)k));
			o += MVGPU_WIRE_HDR + (size_t)k;
		}
		k = mvgpu_wire_encode_stream(1, w + o + MVGPU_WIRE_HDR, MVGPU_WIRE_CTRL_MAX);
		CHECK(!mvgpu_wire_encode_hdr(w + o, MVGPU_WIRE_STREAM, 0, 0, 3,
					     w + o + MVGPU_WIRE_HDR, (uint32_t)k));
		o += MVGPU_WIRE_HDR + (size_t)k;
		write_file(argv[1], "seed-wire-session", w, o);
		free(w);
	}
	text = malloc(4096);
	CHECK(text);
	for (i = 0, n = 0; i < sizeof(dict) / sizeof(dict[0]); i++)
		n += (size_t)snprintf(text + n, 4096 - n, "kw%zu=\"%s\"\n", i,
				      dict[i]);
	write_file(argv[1], "stream.dict", text, n);
	free(text);
	printf("fuzz seeds: 12 streams (4 with peers), a migration_version and stream.dict "
	       "in %s\n", argv[1]);
	return 0;
}

#endif /* MVGPU_FUZZ_SEEDER */
