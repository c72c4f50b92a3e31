/*
 * test_stream.c - the migration stream codec (proto/mvgpu_stream.[ch]):
 * round trips, zero elision, repeated pages, chunked feeding, truncation at
 * every byte, a bit flip at every byte, every documented rejection, the
 * encoder's contract, the minor-1 records PLAT and ECC (and streams
 * without them), and the checksum function itself.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "mvgpu_stream.h"

#define PG		MVGPU_STREAM_PAGE_SIZE
#define FB_PAGES	256u
#define FB_SIZE		((uint64_t)FB_PAGES * PG)

/* ---- fixtures ------------------------------------------------------------ */

static struct mvgpu_compat_info test_info(void)
{
	struct mvgpu_compat_info in;

	memset(&in, 0, sizeof(in));
	strcpy(in.driver, "0.1.0");
	strcpy(in.type, "mvgpu-test");
	in.type_index = 1;
	in.stream_major = MVGPU_STREAM_MAJOR;
	in.stream_minor = MVGPU_STREAM_MINOR;
	in.abi_major = MVGPU_ABI_MAJOR;
	in.abi_minor = MVGPU_ABI_MINOR;
	in.fb_size = FB_SIZE;
	return in;
}

static void le32(void *p, uint32_t v) { mvgpu_put_le32(p, v); }
static void le64(void *p, uint64_t v) { mvgpu_put_le64(p, v); }

static void set_cmd(struct mvgpu_cmd *c, uint32_t op, uint32_t flags,
		    uint64_t a, uint64_t b, uint64_t x)
{
	le32(&c->op, op);
	le32(&c->flags, flags);
	le64(&c->a, a);
	le64(&c->b, b);
	le64(&c->c, x);
}

/* A valid, busy state: every field non-trivial. */
static void valid_state(struct mvgpu_state *st)
{
	unsigned int i;

	memset(st, 0, sizeof(*st));
	for (i = 0; i < sizeof(st->cfg); i++)
		st->cfg[i] = (uint8_t)(i * 7 + 3);
	mvgpu_put_le16(st->cfg + 0x00, MVGPU_PCI_VENDOR_ID);
	mvgpu_put_le16(st->cfg + 0x02, MVGPU_PCI_DEVICE_ID);
	mvgpu_put_le16(st->cfg + 0x2c, MVGPU_PCI_SUBVENDOR_ID);
	mvgpu_put_le16(st->cfg + 0x2e, MVGPU_PCI_SUBDEV_BASE + 1);
	st->intr_status = MVGPU_INTR_FENCE(0) | MVGPU_INTR_ERROR(2);
	st->intr_mask = MVGPU_INTR_ALL;
	st->scratch = 0xdeadbeef;
	st->irq_kind = MVGPU_IRQ_KIND_MSI;
	st->irq_flags = MVGPU_IRQ_F_INTX_MASKED;
	st->disp = (struct mvgpu_state_display){ 640, 480, 2560,
		MVGPU_FMT_XRGB8888, 4096, 1 };

	/* 0: enabled, busy between commands */
	st->ch[0].ring_base = 0x123456000ull;
	st->ch[0].ring_size = 0x4000;
	st->ch[0].ctrl = MVGPU_CH_CTRL_ENABLE;
	st->ch[0].put = 0x3fe0;
	st->ch[0].get = 0x100;
	st->ch[0].fence = 77;
	set_cmd(&st->ch[0].cmd, 0xffff, 0xffff, 1, 2, 3); /* stale: any */
	/* 1: stopped inside a FILL */
	st->ch[1].ring_base = 0x1000;
	st->ch[1].ring_size = MVGPU_RING_MAX;
	st->ch[1].ctrl = MVGPU_CH_CTRL_ENABLE;
	st->ch[1].put = 0x40;
	st->ch[1].get = 0x20;
	st->ch[1].cmd_done = 256 * 1024;
	set_cmd(&st->ch[1].cmd, MVGPU_OP_FILL, 0, 0, FB_SIZE, 0x11223344);
	/* 2: failed, then disabled */
	st->ch[2].ring_size = 0x1234;		/* garbage written while disabled */
	st->ch[2].error = MVGPU_ERR_OPCODE;
	st->ch[2].error_get = 0x60;
	st->ch[2].put = 0x80;
	st->ch[2].get = 0x60;
	/* 3: enabled, ring invalid at ENABLE */
	st->ch[3].ctrl = MVGPU_CH_CTRL_ENABLE;
	st->ch[3].error = MVGPU_ERR_RING;
	st->ch[3].ring_size = 3;

	/* ECC: opted out, killed by a DBE before the opt-out took effect */
	st->have = MVGPU_STATE_HAVE_ECC;
	st->ecc.ctrl = MVGPU_ECC_CTRL_OPT_OUT;
	st->ecc.flags = MVGPU_STATE_ECC_F_OPTED_OUT | MVGPU_STATE_ECC_F_KILLED;
	st->ecc.sbe_volatile = 5;
	st->ecc.dbe_volatile = 1;
	st->ecc.sbe_aggregate = 0x100000005ull;
	st->ecc.dbe_aggregate = 2;
}

/* The platform the sample streams carry. */
static const struct mvgpu_state_platform sample_plat = {
	.ecc = MVGPU_COMPAT_ECC_ON, .frame_rate_limiter = 1,
};

/* What a target stages: framebuffer, state, descriptor, and a hash of
 * every callback in order, to compare decodes. */
struct target {
	uint8_t *fb;
	uint8_t touched[FB_PAGES];
	struct mvgpu_state st;
	struct mvgpu_compat_info desc;
	struct mvgpu_state_platform plat;
	unsigned int ndesc, nplat, npage, nzero, nhint;
	uint64_t hint_bytes, hint_pages;
	uint64_t log;
	int fail_at_page;	/* callback error on this page record (1-based) */
	int fail_plat;		/* the platform callback's answer */
	unsigned int npeers;
	int fail_peers;		/* the peers callback's answer */
};

static void log_mix(struct target *t, uint64_t a, uint64_t b, uint64_t c)
{
	uint64_t v[4] = { t->log, a, b, c };

	t->log = XXH64(v, sizeof(v), 0);
}

static int cb_desc(void *ctx, const struct mvgpu_compat_info *r)
{
	struct target *t = ctx;

	t->desc = *r;
	t->ndesc++;
	log_mix(t, 1, r->fb_size, r->type_index);
	return 0;
}

static int cb_plat(void *ctx, const struct mvgpu_state_platform *p)
{
	struct target *t = ctx;

	cr_assert(t->st.have & MVGPU_STATE_HAVE_PLAT, "stored first");
	cr_assert_eq(memcmp(&t->st.plat, p, sizeof(*p)), 0);
	t->plat = *p;
	t->nplat++;
	log_mix(t, 5, p->ecc, p->frame_rate_limiter);
	return t->fail_plat;
}

static int cb_peers(void *ctx, const struct mvgpu_state_peers *p)
{
	struct target *t = ctx;

	cr_assert(t->st.have & MVGPU_STATE_HAVE_PEERS, "stored first");
	cr_assert_eq(memcmp(&t->st.peers, p, sizeof(*p)), 0);
	t->npeers++;
	log_mix(t, 6, p->count, p->e[0].links);
	return t->fail_peers;
}

static int cb_hint(void *ctx, __u64 bytes, __u64 pages)
{
	struct target *t = ctx;

	t->hint_bytes = bytes;
	t->hint_pages = pages;
	t->nhint++;
	log_mix(t, 2, bytes, pages);
	return 0;
}

static int cb_page(void *ctx, __u64 index, const void *data)
{
	struct target *t = ctx;

	cr_assert_lt(index, FB_PAGES);
	t->npage++;
	if (t->fail_at_page && t->npage == (unsigned int)t->fail_at_page)
		return -ENOMEM;
	memcpy(t->fb + index * PG, data, PG);
	t->touched[index] = 1;
	log_mix(t, 3, index, XXH64(data, PG, 0));
	return 0;
}

static int cb_zero(void *ctx, __u64 first, __u64 count)
{
	struct target *t = ctx;

	cr_assert(count >= 1 && first < FB_PAGES && count <= FB_PAGES - first);
	t->nzero++;
	memset(t->fb + first * PG, 0, count * PG);
	memset(t->touched + first, 1, count);
	log_mix(t, 4, first, count);
	return 0;
}

static const struct mvgpu_dec_ops ops = {
	.desc = cb_desc, .platform = cb_plat, .peers = cb_peers,
	.size_hint = cb_hint,
	.page = cb_page, .zero = cb_zero,
};

static void target_init(struct target *t)
{
	memset(t, 0, sizeof(*t));
	t->fb = malloc(FB_SIZE);
	cr_assert(t->fb);
	memset(t->fb, 0xa5, FB_SIZE);	/* "stale" target memory */
}

static void target_fini(struct target *t)
{
	free(t->fb);
	t->fb = NULL;
}

/* xorshift: reproducible "random" numbers */
static uint64_t rnd_state = 88172645463325252ull;
static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

enum { FEED_ALL = 0, FEED_RANDOM = -1 };

/* Decodes @len bytes fed in @chunk-byte pieces (FEED_ALL: one push,
 * FEED_RANDOM: random sizes 1..9000).  Returns push's first error or
 * finish()'s result. */
static int decode_with(struct mvgpu_dec *d, const struct mvgpu_compat_info *local,
		       const uint8_t *s, size_t len, long chunk, struct target *t)
{
	size_t pos = 0, n;
	int ret;

	cr_assert_eq(mvgpu_dec_init(d, local, &t->st, &ops, t), 0);
	while (pos < len) {
		if (chunk == FEED_ALL)
			n = len - pos;
		else if (chunk == FEED_RANDOM)
			n = 1 + rnd() % 9000;
		else
			n = (size_t)chunk;
		if (n > len - pos)
			n = len - pos;
		ret = mvgpu_dec_push(d, s + pos, n);
		if (ret)
			return ret;
		pos += n;
	}
	return mvgpu_dec_finish(d);
}

static int decode(const uint8_t *s, size_t len, long chunk, struct target *t,
		  struct mvgpu_dec *d)
{
	struct mvgpu_compat_info in = test_info();

	return decode_with(d, &in, s, len, chunk, t);
}

/* ---- building streams ---------------------------------------------------- */

struct gen {
	struct mvgpu_enc e;
	uint8_t *stage;
	size_t size, used;
	uint8_t *out;
	size_t len, cap;
	uint8_t *model;		/* framebuffer the target must end up with */
	uint8_t sent[FB_PAGES];
	bool plat;		/* a PLAT record (sample_plat) was written */
};

static void out_put(struct gen *g, const void *p, size_t n)
{
	if (!n)
		return;
	if (g->len + n > g->cap) {
		g->cap = (g->len + n) * 2;
		g->out = realloc(g->out, g->cap);
		cr_assert(g->out);
	}
	memcpy(g->out + g->len, p, n);
	g->len += n;
}

static void gen_drain(struct gen *g)
{
	out_put(g, g->stage, g->used);
	g->used = 0;
}

/* Calls an encoder writer, draining the staging buffer on -ENOSPC. */
#define ENC(g, fn, ...)							\
	do {								\
		ssize_t n_;						\
		for (;;) {						\
			n_ = fn(&(g)->e, (g)->stage + (g)->used,	\
				(g)->size - (g)->used, ##__VA_ARGS__);	\
			if (n_ != -ENOSPC)				\
				break;					\
			cr_assert((g)->used, #fn ": no progress");	\
			gen_drain(g);					\
		}							\
		cr_assert_geq(n_, 0, #fn ": %zd", n_);			\
		(g)->used += (size_t)n_;				\
	} while (0)

static void gen_init(struct gen *g, size_t stage)
{
	struct mvgpu_compat_info in = test_info();

	memset(g, 0, sizeof(*g));
	g->size = stage;
	g->stage = malloc(stage);
	g->model = calloc(1, FB_SIZE);
	cr_assert(g->stage && g->model);
	cr_assert_eq(mvgpu_enc_init(&g->e, &in), 0);
	ENC(g, mvgpu_enc_desc);
}

/* DESC, then PLAT (sample_plat): what an ABI 1.1 source writes. */
static void gen_init_plat(struct gen *g, size_t stage)
{
	gen_init(g, stage);
	ENC(g, mvgpu_enc_platform, &sample_plat);
	g->plat = true;
}

static void gen_fini(struct gen *g)
{
	free(g->stage);
	free(g->out);
	free(g->model);
}

static void fill_page(uint8_t *p, uint64_t index, unsigned int pass)
{
	uint64_t x = index * 0x9e3779b97f4a7c15ull + pass;
	size_t i;

	for (i = 0; i < PG; i += 8) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(p + i, &x, 8);
	}
}

static void gen_page(struct gen *g, uint64_t index, unsigned int pass)
{
	uint8_t page[PG];

	if (pass)
		fill_page(page, index, pass);
	else
		memset(page, 0, PG);
	ENC(g, mvgpu_enc_page, index, page);
	memcpy(g->model + index * PG, page, PG);
	g->sent[index] = 1;
}

static void gen_zero(struct gen *g, uint64_t first, uint64_t count)
{
	ENC(g, mvgpu_enc_zero, first, count);
	memset(g->model + first * PG, 0, count * PG);
	memset(g->sent + first, 1, count);
}

static void gen_state(struct gen *g, const struct mvgpu_state *st)
{
	ENC(g, mvgpu_enc_state, st);
}

static void gen_end(struct gen *g)
{
	ENC(g, mvgpu_enc_end);
	gen_drain(g);
	cr_assert(mvgpu_enc_done(&g->e));
	cr_assert_eq(mvgpu_enc_bytes(&g->e), g->len);
}

/* The full sample: the platform, three passes over a 1 MiB framebuffer
 * with zero pages, pages that change, pages that become zero, a
 * never-backed range, an optional record of a later minor, the state (with
 * its ECC record), and stop-copy pages. */
static void gen_sample(struct gen *g, size_t stage, bool unknown)
{
	static const uint8_t future[13] = "later minor!";
	struct mvgpu_state st;
	uint64_t i;

	gen_init_plat(g, stage);
	ENC(g, mvgpu_enc_size_hint, mvgpu_stream_stop_copy_bytes(FB_PAGES),
	    FB_PAGES);
	for (i = 0; i < 200; i++)
		gen_page(g, i, (i % 5 == 0 || (i >= 100 && i < 140)) ? 0 : 1);
	ENC(g, mvgpu_enc_flush);
	if (unknown) {
		ENC(g, mvgpu_enc_record, MVGPU_FOURCC('F', 'U', 'T', 'R'),
		    MVGPU_REC_F_OPTIONAL, future, sizeof(future));
		ENC(g, mvgpu_enc_record, MVGPU_FOURCC('N', 'O', 'N', 'E'),
		    MVGPU_REC_F_OPTIONAL, NULL, 0);
	}
	for (i = 0; i < 200; i += 7)
		gen_page(g, i, 2);
	for (i = 10; i < 13; i++)	/* were non-zero: must be sent */
		gen_page(g, i, 0);
	gen_zero(g, 200, 40);		/* never backed */
	ENC(g, mvgpu_enc_size_hint, 12345, 6);
	valid_state(&st);
	gen_state(g, &st);
	for (i = 240; i < 256; i++)	/* stop-copy after the state */
		gen_page(g, i, i == 250 ? 0 : 3);
	gen_page(g, 3, 4);
	gen_end(g);
}

/* A small one, for the every-byte tests (every kind of record). */
static void gen_small(struct gen *g)
{
	struct mvgpu_state st;

	gen_init_plat(g, MVGPU_ENC_BUF_MIN);
	ENC(g, mvgpu_enc_size_hint, 1, 2);
	gen_page(g, 0, 1);
	gen_page(g, 1, 0);
	gen_page(g, 2, 0);
	gen_page(g, 5, 1);
	ENC(g, mvgpu_enc_record, MVGPU_FOURCC('O', 'P', 'T', '1'),
	    MVGPU_REC_F_OPTIONAL, "abc", 3);
	valid_state(&st);
	gen_state(g, &st);
	gen_page(g, 0, 2);
	gen_end(g);
}

static void expect_target(const struct gen *g, const struct target *t)
{
	struct mvgpu_state st;
	unsigned int i;

	valid_state(&st);
	if (g->plat) {
		st.have |= MVGPU_STATE_HAVE_PLAT;
		st.plat = sample_plat;
	}
	cr_assert_eq(memcmp(&t->st, &st, sizeof(st)), 0, "state differs");
	cr_assert_eq(t->nplat, g->plat ? 1 : 0);
	for (i = 0; i < FB_PAGES; i++) {
		cr_assert_eq(t->touched[i], g->sent[i], "page %u touched", i);
		if (g->sent[i])
			cr_assert_eq(memcmp(t->fb + i * PG, g->model + i * PG,
					    PG), 0, "page %u differs", i);
	}
}

/* ---- checksum ------------------------------------------------------------ */

/* XXH64 written from the specification, as lib/xxhash.c has it. */
static const uint64_t P1 = 11400714785074694791ull, P2 = 14029467366897019727ull,
		      P3 = 1609587929392839161ull, P4 = 9650029242287828579ull,
		      P5 = 2870177450012600261ull;

static uint64_t rotl(uint64_t x, int r) { return x << r | x >> (64 - r); }
static uint64_t rd64(const uint8_t *p) { return mvgpu_get_le64(p); }
static uint64_t rnd1(uint64_t acc, uint64_t in) { return rotl(acc + in * P2, 31) * P1; }
static uint64_t merge(uint64_t h, uint64_t v) { return (h ^ rnd1(0, v)) * P1 + P4; }

static uint64_t ref_xxh64(const uint8_t *p, size_t len)
{
	const uint8_t *end = p + len;
	uint64_t h, v1 = P1 + P2, v2 = P2, v3 = 0, v4 = -P1;

	if (len >= 32) {
		for (; p + 32 <= end; p += 32) {
			v1 = rnd1(v1, rd64(p));
			v2 = rnd1(v2, rd64(p + 8));
			v3 = rnd1(v3, rd64(p + 16));
			v4 = rnd1(v4, rd64(p + 24));
		}
		h = rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18);
		h = merge(merge(merge(merge(h, v1), v2), v3), v4);
	} else {
		h = P5;
	}
	h += len;
	for (; p + 8 <= end; p += 8)
		h = rotl(h ^ rnd1(0, rd64(p)), 27) * P1 + P4;
	if (p + 4 <= end) {
		h = rotl(h ^ (uint64_t)mvgpu_get_le32(p) * P1, 23) * P2 + P3;
		p += 4;
	}
	for (; p < end; p++)
		h = rotl(h ^ *p * P5, 11) * P1;
	h ^= h >> 33;
	h *= P2;
	h ^= h >> 29;
	h *= P3;
	return h ^ h >> 32;
}

static uint64_t wrap_xxh64(const uint8_t *p, size_t len, size_t piece)
{
	struct mvgpu_xxh64 h;
	size_t n;

	mvgpu_xxh64_reset(&h);
	for (; len; p += n, len -= n) {
		n = piece < len ? piece : len;
		mvgpu_xxh64_update(&h, p, n);
	}
	return mvgpu_xxh64_digest(&h);
}

Test(checksum, published_vectors)
{
	cr_assert_eq(wrap_xxh64((const uint8_t *)"", 0, 1), 0xef46db3751d8e999ull);
	cr_assert_eq(wrap_xxh64((const uint8_t *)"a", 1, 1), 0xd24ec4f1a98c6e5bull);
	cr_assert_eq(wrap_xxh64((const uint8_t *)"abc", 3, 1), 0x44bc2cf5ad770999ull);
}

/* The kernel (lib/xxhash.c) and libxxhash implement one function; this
 * checks libxxhash, through the shim, against the specification for every
 * length path and split points. */
Test(checksum, matches_specification_in_pieces)
{
	static uint8_t buf[70000];
	static const size_t pieces[] = { 1, 3, 7, 31, 32, 33, 4096, 70000 };
	size_t len, i;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)rnd();
	for (len = 0; len < 300; len++)
		for (i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++)
			cr_assert_eq(wrap_xxh64(buf, len, pieces[i]),
				     ref_xxh64(buf, len), "len %zu", len);
	for (i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++)
		cr_assert_eq(wrap_xxh64(buf, sizeof(buf), pieces[i]),
			     ref_xxh64(buf, sizeof(buf)));
}

/* ---- round trips --------------------------------------------------------- */

Test(roundtrip, state_and_pages)
{
	struct mvgpu_dec *d = malloc(sizeof(*d));
	struct target t;
	struct gen g;
	struct mvgpu_compat_info in = test_info();

	gen_sample(&g, 1 << 20, true);
	target_init(&t);
	cr_assert_eq(decode(g.out, g.len, FEED_ALL, &t, d), 0, "%s",
		     mvgpu_dec_why(d));
	cr_assert(mvgpu_dec_complete(d));
	cr_assert_eq(mvgpu_dec_error(d), MVGPU_STREAM_OK);
	cr_assert_str_empty(mvgpu_dec_why(d));
	cr_assert_eq(mvgpu_dec_offset(d), g.len);
	cr_assert_eq(t.ndesc, 1);
	cr_assert_eq(memcmp(&t.desc, &in, sizeof(in)), 0);
	/* the remote info: the descriptor, with PLAT's ECC mode */
	in.ecc = MVGPU_COMPAT_ECC_ON;
	cr_assert_eq(memcmp(mvgpu_dec_remote(d), &in, sizeof(in)), 0);
	cr_assert_eq(t.nplat, 1);
	cr_assert_eq(memcmp(&t.plat, &sample_plat, sizeof(sample_plat)), 0);
	cr_assert_eq(t.nhint, 2);
	cr_assert_eq(t.hint_bytes, 12345);
	cr_assert_eq(t.hint_pages, 6);
	expect_target(&g, &t);
	cr_assert_eq(mvgpu_dec_finish(d), 0, "finish is idempotent");
	target_fini(&t);
	gen_fini(&g);
	free(d);
}

Test(roundtrip, zero_pages_are_elided)
{
	struct mvgpu_dec *d = malloc(sizeof(*d));
	struct mvgpu_state st;
	struct target t;
	struct gen g;
	uint64_t i;

	gen_init(&g, MVGPU_ENC_BUF_MIN);
	for (i = 0; i < FB_PAGES; i++)
		gen_page(&g, i, 0);
	valid_state(&st);
	gen_state(&g, &st);
	gen_end(&g);
	/* one ZERO record for the whole framebuffer */
	cr_assert_eq(g.len, MVGPU_ENC_DESC_BYTES + MVGPU_ENC_ZERO_BYTES +
		     MVGPU_ENC_STATE_BYTES - MVGPU_ENC_ZERO_BYTES +
		     MVGPU_REC_HDR_LEN + MVGPU_REC_END_LEN);
	target_init(&t);
	cr_assert_eq(decode(g.out, g.len, 1, &t, d), 0, "%s", mvgpu_dec_why(d));
	cr_assert_eq(t.nzero, 1);
	cr_assert_eq(t.npage, 0);
	expect_target(&g, &t);
	target_fini(&t);
	gen_fini(&g);
	free(d);
}

Test(roundtrip, repeated_pages_last_wins)
{
	struct mvgpu_dec *d = malloc(sizeof(*d));
	struct mvgpu_state st;
	struct target t;
	struct gen g;

	gen_init(&g, MVGPU_ENC_BUF_MIN);
	gen_page(&g, 7, 1);
	gen_page(&g, 8, 1);
	gen_page(&g, 7, 2);	/* changed */
	gen_page(&g, 8, 0);	/* became zero */
	gen_page(&g, 9, 0);
	gen_page(&g, 8, 3);	/* and non-zero again, inside the zero run */
	valid_state(&st);
	gen_state(&g, &st);
	gen_page(&g, 9, 5);	/* after the state */
	gen_end(&g);
	target_init(&t);
	cr_assert_eq(decode(g.out, g.len, 7, &t, d), 0, "%s", mvgpu_dec_why(d));
	expect_target(&g, &t);
	cr_assert_eq(t.npage, 5);
	target_fini(&t);
	gen_fini(&g);
	free(d);
}

/* Staging buffers from the minimum to huge give the same bytes: -ENOSPC
 * left the encoder unchanged every time. */
Test(encoder, output_independent_of_staging_size)
{
	static const size_t sizes[] = { MVGPU_ENC_BUF_MIN, MVGPU_ENC_BUF_MIN + 1,
					 8191, 65536, 16 << 20 };
	struct gen ref, g;
	size_t i;

	gen_sample(&ref, sizes[0], true);
	for (i = 1; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		gen_sample(&g, sizes[i], true);
		cr_assert_eq(g.len, ref.len);
		cr_assert_eq(memcmp(g.out, ref.out, g.len), 0, "stage %zu",
			     sizes[i]);
		gen_fini(&g);
	}
	gen_fini(&ref);
}

Test(decoder, chunk_sizes_give_identical_results)
{
	static const long chunks[] = { FEED_ALL, 1, 7, 8, 16, 4095, 4096, 4104,
				       4120, 65536, FEED_RANDOM, FEED_RANDOM };
	struct mvgpu_dec *d = malloc(sizeof(*d));
	struct target ref, t;
	struct gen g;
	size_t i;

	gen_sample(&g, 65536, true);
	target_init(&ref);
	cr_assert_eq(decode(g.out, g.len, FEED_ALL, &ref, d), 0);
	for (i = 1; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		target_init(&t);
		cr_assert_eq(decode(g.out, g.len, chunks[i], &t, d), 0,
			     "chunk %ld: %s", chunks[i], mvgpu_dec_why(d));
		cr_assert_eq(t.log, ref.log, "chunk %ld", chunks[i]);
		cr_assert_eq(memcmp(t.fb, ref.fb, FB_SIZE), 0);
		cr_assert_eq(memcmp(&t.st, &ref.st, sizeof(t.st)), 0);
		target_fini(&t);
	}
	expect_target(&g, &ref);
	target_fini(&ref);
	gen_fini(&g);
	free(d);
}

Test(encoder, stop_copy_estimate_is_an_upper_bound)
{
	struct mvgpu_state st;
	struct gen g;
	uint64_t i, before;

	gen_init(&g, MVGPU_ENC_BUF_MIN);
	before = g.used;	/* nothing drained yet */
	for (i = 0; i < 10; i++)
		gen_page(&g, i * 3, 1);
	valid_state(&st);
	gen_state(&g, &st);
	gen_end(&g);
	/* all pages non-zero: tight (the bound allows two zero runs) */
	cr_assert_eq(g.len - before + 2 * MVGPU_ENC_ZERO_BYTES,
		     mvgpu_stream_stop_copy_bytes(10));
	gen_fini(&g);

	gen_init(&g, MVGPU_ENC_BUF_MIN);
	before = g.used;
	for (i = 0; i < 10; i++)
		gen_page(&g, i * 3, i & 1);	/* half zero, none adjacent */
	gen_state(&g, &st);
	gen_end(&g);
	cr_assert_lt(g.len - before, mvgpu_stream_stop_copy_bytes(10));
	gen_fini(&g);
}

/* ---- every byte ---------------------------------------------------------- */

Test(decoder, truncation_at_every_byte_is_incomplete)
{
	struct mvgpu_dec *d = malloc(sizeof(*d));
	struct target t;
	struct gen g;
	size_t cut;

	gen_small(&g);
	target_init(&t);
	for (cut = 0; cut < g.len; cut++) {
		t.npage = 0;
		cr_assert_eq(decode(g.out, cut, FEED_ALL, &t, d), -ENODATA,
			     "cut at %zu: %s", cut, mvgpu_dec_why(d));
		cr_assert_eq(mvgpu_dec_error(d), MVGPU_STREAM_E_INCOMPLETE);
		cr_assert(!mvgpu_dec_complete(d));
		cr_assert_eq(mvgpu_dec_push(d, "", 0), -ENODATA, "sticky");
	}
	cr_assert_eq(decode(g.out, g.len, FEED_ALL, &t, d), 0);
	target_fini(&t);
	gen_fini(&g);
	free(d);
}

Test(decoder, bit_flip_at_every_byte_is_rejected)
{
	struct mvgpu_dec *d = malloc(sizeof(*d));
	unsigned int hist[MVGPU_STREAM_E_NR] = { 0 };
	struct target t;
	struct gen g;
	size_t i;
	int ret;

	gen_small(&g);
	target_init(&t);
	for (i = 0; i < g.len; i++) {
		uint8_t bit = (uint8_t)(1u << (i % 8));

		g.out[i] ^= bit;
		ret = decode(g.out, g.len, FEED_ALL, &t, d);
		cr_assert_lt(ret, 0, "flip at %zu accepted", i);
		cr_assert(!mvgpu_dec_complete(d));
		cr_assert_neq(mvgpu_dec_error(d), MVGPU_STREAM_OK);
		cr_assert_str_not_empty(mvgpu_dec_why(d));
		hist[mvgpu_dec_error(d)]++;
		g.out[i] ^= bit;
	}
	cr_assert_gt(hist[MVGPU_STREAM_E_CHECKSUM], 0);
	cr_assert_eq(hist[MVGPU_STREAM_OK], 0);
	target_fini(&t);
	gen_fini(&g);
	free(d);
}

/* ---- rejections ---------------------------------------------------------- */

/* Decodes @s whole and one byte at a time: both must fail with @err and
 * @errno_, and never complete. */
static void expect_err_local(const struct mvgpu_compat_info *local,
			     const uint8_t *s, size_t len,
			     enum mvgpu_stream_err err, int errno_)
{
	static const long chunks[] = { FEED_ALL, 1, 5 };
	struct mvgpu_dec *d = malloc(sizeof(*d));
	struct target t;
	size_t i;

	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		target_init(&t);
		cr_assert_eq(decode_with(d, local, s, len, chunks[i], &t), errno_,
			     "chunk %ld: %s", chunks[i], mvgpu_dec_why(d));
		cr_assert_eq(mvgpu_dec_error(d), err, "chunk %ld: %s",
			     chunks[i], mvgpu_dec_why(d));
		cr_assert(!mvgpu_dec_complete(d));
		cr_assert_str_not_empty(mvgpu_dec_why(d));
		cr_assert_eq(mvgpu_dec_finish(d), errno_, "sticky");
		cr_assert_eq(mvgpu_dec_push(d, s, len), errno_, "sticky");
		target_fini(&t);
	}
	free(d);
}

static void expect_err(const struct gen *g, enum mvgpu_stream_err err,
		       int errno_)
{
	struct mvgpu_compat_info in = test_info();

	expect_err_local(&in, g->out, g->len, err, errno_);
}

/* A raw header (with no payload behind it). */
static void put_raw_hdr(struct gen *g, uint32_t tag, uint32_t flags,
			uint64_t len)
{
	uint8_t h[16];

	le32(h, tag);
	le32(h + 4, flags);
	le64(h + 8, len);
	gen_drain(g);
	out_put(g, h, sizeof(h));
}

/* END with the given counts and a correct checksum over what is there. */
static void put_end(struct gen *g, uint64_t records, uint64_t pages)
{
	struct mvgpu_xxh64 h;
	uint8_t e[16 + 24];

	gen_drain(g);
	le32(e, MVGPU_REC_END);
	le32(e + 4, 0);
	le64(e + 8, 24);
	le64(e + 16, records);
	le64(e + 24, pages);
	mvgpu_xxh64_reset(&h);
	mvgpu_xxh64_update(&h, g->out, g->len);
	mvgpu_xxh64_update(&h, e, 32);
	le64(e + 32, mvgpu_xxh64_digest(&h));
	out_put(g, e, sizeof(e));
}

/* The flags a known record must have. */
static uint32_t rec_flags(uint32_t tag)
{
	return tag == MVGPU_REC_SIZE || tag == MVGPU_REC_PLAT ||
	       tag == MVGPU_REC_ECC ? MVGPU_REC_F_OPTIONAL : 0;
}

static void put_rec(struct gen *g, uint32_t tag, uint32_t flags,
		    const void *p, size_t len)
{
	ENC(g, mvgpu_enc_record, tag, flags, p, len);
}

static void put_chan(uint8_t *p, uint32_t n, const struct mvgpu_state_channel *c)
{
	le32(p, n);
	le32(p + 4, c->ctrl);
	le64(p + 8, c->ring_base);
	le32(p + 16, c->ring_size);
	le32(p + 20, c->put);
	le32(p + 24, c->get);
	le32(p + 28, c->fence);
	le32(p + 32, c->error);
	le32(p + 36, c->error_get);
	le64(p + 40, c->cmd_done);
	memcpy(p + 48, &c->cmd, 32);
}

/* Every state record but channel @skip_ch's, written by hand. */
static void put_state_by_hand(struct gen *g, const struct mvgpu_state *st,
			      int skip_ch)
{
	uint8_t b[256];
	int i;

	put_rec(g, MVGPU_REC_CFG, 0, st->cfg, 256);
	le32(b, st->intr_status);
	le32(b + 4, st->intr_mask);
	le32(b + 8, st->scratch);
	le32(b + 12, 0);
	put_rec(g, MVGPU_REC_REGS, 0, b, 16);
	memset(b, 0, 24);
	put_rec(g, MVGPU_REC_DISP, 0, b, 24);
	le32(b, st->irq_kind);
	le32(b + 4, st->irq_flags);
	put_rec(g, MVGPU_REC_IRQ, 0, b, 8);
	for (i = 0; i < MVGPU_NUM_CHANNELS; i++) {
		if (i == skip_ch)
			continue;
		put_chan(b, i, &st->ch[i]);
		put_rec(g, MVGPU_REC_CHAN, 0, b, 80);
	}
}

Test(reject, hand_made_stream_is_accepted)
{
	struct mvgpu_compat_info in = test_info();
	struct mvgpu_dec *d = malloc(sizeof(*d));
	struct mvgpu_state st;
	struct target t;
	struct gen g;

	/* the helpers below are right: this one passes */
	gen_init(&g, 65536);
	valid_state(&st);
	put_state_by_hand(&g, &st, -1);
	put_end(&g, 9, 0);
	target_init(&t);
	cr_assert_eq(decode_with(d, &in, g.out, g.len, 3, &t), 0, "%s",
		     mvgpu_dec_why(d));
	target_fini(&t);
	gen_fini(&g);
	free(d);
}

Test(reject, not_a_stream)
{
	struct gen g;

	memset(&g, 0, sizeof(g));
	out_put(&g, "hello, world, this is not a stream", 34);
	expect_err(&g, MVGPU_STREAM_E_MAGIC, -EPROTO);
	free(g.out);

	/* first record is not DESC */
	gen_init(&g, 65536);
	g.used = 0;
	put_rec(&g, MVGPU_REC_SIZE, MVGPU_REC_F_OPTIONAL, "0123456789abcdef", 16);
	gen_drain(&g);
	expect_err(&g, MVGPU_STREAM_E_MAGIC, -EPROTO);
	gen_fini(&g);

	/* bad magic */
	gen_init(&g, 65536);
	g.stage[16] ^= 1;
	gen_drain(&g);
	expect_err(&g, MVGPU_STREAM_E_MAGIC, -EPROTO);
	gen_fini(&g);
}

Test(reject, other_stream_major)
{
	struct gen g;

	gen_init(&g, 65536);
	mvgpu_put_le16(g.stage + 16 + 8, MVGPU_STREAM_MAJOR + 1);
	gen_drain(&g);
	expect_err(&g, MVGPU_STREAM_E_VERSION, -EINVAL);
	gen_fini(&g);

	/* a later major with a longer descriptor: still "version" */
	gen_init(&g, 65536);
	g.used = 0;
	{
		uint8_t desc[MVGPU_REC_DESC_LEN + 8] = { 0 };

		le64(desc, MVGPU_STREAM_MAGIC);
		mvgpu_put_le16(desc + 8, 2);
		put_raw_hdr(&g, MVGPU_REC_DESC, 0, sizeof(desc));
		out_put(&g, desc, sizeof(desc));
	}
	expect_err(&g, MVGPU_STREAM_E_VERSION, -EINVAL);
	gen_fini(&g);
}

Test(reject, incompatible_descriptor)
{
	struct mvgpu_compat_info local = test_info();
	struct gen g;

	gen_init(&g, 65536);
	gen_drain(&g);

	strcpy(local.type, "mvgpu-other");
	expect_err_local(&local, g.out, g.len, MVGPU_STREAM_E_INCOMPATIBLE, -EINVAL);
	local = test_info();
	local.fb_size *= 2;
	expect_err_local(&local, g.out, g.len, MVGPU_STREAM_E_INCOMPATIBLE, -EINVAL);
	local = test_info();
	local.abi_minor = 0;
	local.abi_major++;
	expect_err_local(&local, g.out, g.len, MVGPU_STREAM_E_INCOMPATIBLE, -EINVAL);
	local = test_info();
	local.type_index = 2;
	expect_err_local(&local, g.out, g.len, MVGPU_STREAM_E_INCOMPATIBLE, -EINVAL);
	gen_fini(&g);

	/* source uses a feature the target lacks */
	gen_init(&g, 65536);
	le64(g.stage + 16 + 32, 0x4);
	gen_drain(&g);
	expect_err(&g, MVGPU_STREAM_E_INCOMPATIBLE, -EINVAL);
	gen_fini(&g);
}

Test(reject, newer_minor_is_accepted)
{
	struct mvgpu_compat_info in = test_info();
	struct mvgpu_dec *d = malloc(sizeof(*d));
	struct mvgpu_state st;
	struct target t;
	struct gen g;

	gen_init(&g, 65536);
	mvgpu_put_le16(g.stage + 16 + 10, MVGPU_STREAM_MINOR + 3);
	put_rec(&g, MVGPU_FOURCC('N', 'E', 'W', '!'), MVGPU_REC_F_OPTIONAL,
		"x", 1);
	valid_state(&st);
	put_state_by_hand(&g, &st, -1);
	put_end(&g, 10, 0);
	target_init(&t);
	cr_assert_eq(decode_with(d, &in, g.out, g.len, 1, &t), 0, "%s",
		     mvgpu_dec_why(d));
	cr_assert_eq(t.desc.stream_minor, MVGPU_STREAM_MINOR + 3);
	target_fini(&t);
	gen_fini(&g);
	free(d);
}

Test(reject, descriptor_fields)
{
	struct gen g;

	/* type not NUL-terminated */
	gen_init(&g, 65536);
	memset(g.stage + 16 + 40, 'a', 32);
	gen_drain(&g);
	expect_err(&g, MVGPU_STREAM_E_FIELD, -EPROTO);
	gen_fini(&g);

	/* junk after the NUL */
	gen_init(&g, 65536);
	g.stage[16 + 72 + 20] = 'x';
	gen_drain(&g);
	expect_err(&g, MVGPU_STREAM_E_FIELD, -EPROTO);
	gen_fini(&g);

	/* bad characters */
	gen_init(&g, 65536);
	g.stage[16 + 40] = ' ';
	gen_drain(&g);
	expect_err(&g, MVGPU_STREAM_E_FIELD, -EPROTO);
	gen_fini(&g);

	/* reserved */
	gen_init(&g, 65536);
	g.stage[16 + 20] = 1;
	gen_drain(&g);
	expect_err(&g, MVGPU_STREAM_E_FIELD, -EPROTO);
	gen_fini(&g);
}

Test(reject, second_descriptor)
{
	struct gen g;
	uint8_t desc[MVGPU_REC_DESC_LEN];

	gen_init(&g, 65536);
	memcpy(desc, g.stage + 16, sizeof(desc));
	put_rec(&g, MVGPU_REC_DESC, 0, desc, sizeof(desc));
	gen_drain(&g);
	expect_err(&g, MVGPU_STREAM_E_ORDER, -EPROTO);
	gen_fini(&g);
}

Test(reject, wrong_lengths)
{
	static const uint32_t tags[] = { MVGPU_REC_SIZE, MVGPU_REC_PAGE,
		MVGPU_REC_ZERO, MVGPU_REC_CFG, MVGPU_REC_REGS, MVGPU_REC_DISP,
		MVGPU_REC_IRQ, MVGPU_REC_CHAN, MVGPU_REC_END, MVGPU_REC_PLAT,
		MVGPU_REC_ECC };
	static const uint32_t lens[] = { MVGPU_REC_SIZE_LEN, MVGPU_REC_PAGE_LEN,
		MVGPU_REC_ZERO_LEN, MVGPU_REC_CFG_LEN, MVGPU_REC_REGS_LEN,
		MVGPU_REC_DISP_LEN, MVGPU_REC_IRQ_LEN, MVGPU_REC_CHAN_LEN,
		MVGPU_REC_END_LEN, MVGPU_REC_PLAT_LEN, MVGPU_REC_ECC_LEN };
	static uint8_t zero[8192];
	struct gen g;
	size_t i;
	int delta;

	for (i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		for (delta = -8; delta <= 8; delta += 4) {
			if (!delta)
				continue;
			gen_init(&g, 65536);
			put_rec(&g, tags[i], rec_flags(tags[i]), zero,
				lens[i] + delta);
			gen_drain(&g);
			expect_err(&g, MVGPU_STREAM_E_LENGTH, -EPROTO);
			gen_fini(&g);
		}
	}
	/* a descriptor too short to hold magic and version */
	memset(&g, 0, sizeof(g));
	put_raw_hdr(&g, MVGPU_REC_DESC, 0, 8);
	out_put(&g, zero, 8);
	expect_err(&g, MVGPU_STREAM_E_LENGTH, -EPROTO);
	free(g.out);
	free(g.stage);
}

Test(reject, huge_lengths)
{
	static const uint64_t lens[] = { MVGPU_REC_MAX_LEN + 1ull, 1ull << 32,
					 1ull << 63, ~0ull };
	static const uint32_t tags[] = { MVGPU_REC_PAGE,
		MVGPU_FOURCC('B', 'I', 'G', '!') };
	struct gen g;
	size_t i, j;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		for (j = 0; j < 2; j++) {
			gen_init(&g, 65536);
			put_raw_hdr(&g, tags[j], j ? MVGPU_REC_F_OPTIONAL : 0,
				    lens[i]);
			expect_err(&g, MVGPU_STREAM_E_TOO_BIG, -EFBIG);
			gen_fini(&g);
		}
	}
	/* the first header is checked before anything else: a huge DESC */
	memset(&g, 0, sizeof(g));
	put_raw_hdr(&g, MVGPU_REC_DESC, 0, ~0ull);
	expect_err(&g, MVGPU_STREAM_E_TOO_BIG, -EFBIG);
	free(g.out);
	free(g.stage);
}

Test(reject, flags)
{
	struct gen g;
	uint8_t page[MVGPU_REC_PAGE_LEN] = { 0 };

	gen_init(&g, 65536);
	put_rec(&g, MVGPU_REC_PAGE, 2, page, sizeof(page));
	gen_drain(&g);
	expect_err(&g, MVGPU_STREAM_E_FLAGS, -EPROTO);
	gen_fini(&g);

	/* known mandatory record marked optional */
	gen_init(&g, 65536);
	put_rec(&g, MVGPU_REC_PAGE, MVGPU_REC_F_OPTIONAL, page, sizeof(page));
	gen_drain(&g);
	expect_err(&g, MVGPU_STREAM_E_FLAGS, -EPROTO);
	gen_fini(&g);

	/* SIZE, PLAT and ECC are optional by definition */
	gen_init(&g, 65536);
	put_rec(&g, MVGPU_REC_SIZE, 0, page, 16);
	gen_drain(&g);
	expect_err(&g, MVGPU_STREAM_E_FLAGS, -EPROTO);
	gen_fini(&g);
	gen_init(&g, 65536);
	put_rec(&g, MVGPU_REC_PLAT, 0, page, MVGPU_REC_PLAT_LEN);
	gen_drain(&g);
	expect_err(&g, MVGPU_STREAM_E_FLAGS, -EPROTO);
	gen_fini(&g);
	gen_init(&g, 65536);
	put_rec(&g, MVGPU_REC_ECC, 0, page, MVGPU_REC_ECC_LEN);
	gen_drain(&g);
	expect_err(&g, MVGPU_STREAM_E_FLAGS, -EPROTO);
	gen_fini(&g);
}

Test(reject, unknown_mandatory_record)
{
	struct gen g;

	gen_init(&g, 65536);
	put_rec(&g, MVGPU_FOURCC('N', 'E', 'W', '!'), 0, "x", 1);
	gen_drain(&g);
	expect_err(&g, MVGPU_STREAM_E_UNKNOWN, -EPROTO);
	gen_fini(&g);

	/* a tag that is not text is named in hex */
	gen_init(&g, 65536);
	put_rec(&g, 0x00ff0001, 0, "x", 1);
	gen_drain(&g);
	expect_err(&g, MVGPU_STREAM_E_UNKNOWN, -EPROTO);
	{
		struct mvgpu_dec *d = malloc(sizeof(*d));
		struct target t;

		target_init(&t);
		cr_assert_eq(decode(g.out, g.len, FEED_ALL, &t, d), -EPROTO);
		cr_assert_str_eq(mvgpu_dec_why(d),
				 "unknown mandatory record at offset 120 "
				 "(0x00ff0001): length 1");
		target_fini(&t);
		free(d);
	}
	gen_fini(&g);
}

Test(reject, nonzero_padding)
{
	struct gen g;

	gen_init(&g, 65536);
	put_rec(&g, MVGPU_FOURCC('O', 'P', 'T', '!'), MVGPU_REC_F_OPTIONAL,
		"abc", 3);
	g.stage[g.used - 1] = 1;
	gen_drain(&g);
	expect_err(&g, MVGPU_STREAM_E_PADDING, -EPROTO);
	gen_fini(&g);
}

Test(reject, duplicate_state_records)
{
	struct mvgpu_state st;
	struct gen g;
	uint8_t b[256];

	valid_state(&st);
	gen_init(&g, 65536);
	gen_state(&g, &st);
	put_rec(&g, MVGPU_REC_CFG, 0, st.cfg, 256);
	gen_drain(&g);
	expect_err(&g, MVGPU_STREAM_E_DUPLICATE, -EPROTO);
	gen_fini(&g);

	gen_init(&g, 65536);
	put_chan(b, 2, &st.ch[2]);
	put_rec(&g, MVGPU_REC_CHAN, 0, b, 80);
	put_rec(&g, MVGPU_REC_CHAN, 0, b, 80);
	gen_drain(&g);
	expect_err(&g, MVGPU_STREAM_E_DUPLICATE, -EPROTO);
	gen_fini(&g);

	gen_init(&g, 65536);
	memset(b, 0, 24);
	put_rec(&g, MVGPU_REC_DISP, 0, b, 24);
	put_rec(&g, MVGPU_REC_DISP, 0, b, 24);
	gen_drain(&g);
	expect_err(&g, MVGPU_STREAM_E_DUPLICATE, -EPROTO);
	gen_fini(&g);
}

Test(reject, missing_state_records)
{
	struct mvgpu_state st;
	struct gen g;
	int ch;

	valid_state(&st);
	gen_init(&g, 65536);
	put_end(&g, 1, 0);	/* DESC, END */
	expect_err(&g, MVGPU_STREAM_E_MISSING, -EPROTO);
	gen_fini(&g);

	for (ch = 0; ch < MVGPU_NUM_CHANNELS; ch++) {
		gen_init(&g, 65536);
		put_state_by_hand(&g, &st, ch);
		put_end(&g, 8, 0);
		expect_err(&g, MVGPU_STREAM_E_MISSING, -EPROTO);
		gen_fini(&g);
	}
}

Test(reject, trailer_counts)
{
	struct mvgpu_state st;
	struct gen g;

	valid_state(&st);
	gen_init(&g, 65536);
	gen_page(&g, 1, 1);
	put_state_by_hand(&g, &st, -1);
	put_end(&g, 11, 1);	/* 10 records */
	expect_err(&g, MVGPU_STREAM_E_COUNT, -EPROTO);
	gen_fini(&g);

	gen_init(&g, 65536);
	gen_page(&g, 1, 1);
	put_state_by_hand(&g, &st, -1);
	put_end(&g, 10, 2);	/* 1 page */
	expect_err(&g, MVGPU_STREAM_E_COUNT, -EPROTO);
	gen_fini(&g);
}

Test(reject, wrong_checksum)
{
	struct gen g;

	gen_small(&g);
	g.out[g.len - 1] ^= 0x80;
	expect_err(&g, MVGPU_STREAM_E_CHECKSUM, -EBADMSG);
	g.out[g.len - 1] ^= 0x80;
	/* inside SIZE's data */
	g.out[MVGPU_ENC_DESC_BYTES + MVGPU_ENC_PLAT_BYTES + 19] ^= 0x01;
	expect_err(&g, MVGPU_STREAM_E_CHECKSUM, -EBADMSG);
	gen_fini(&g);
}

Test(reject, trailing_garbage)
{
	struct gen g;
	static const uint8_t zero[16];

	gen_small(&g);
	out_put(&g, "x", 1);
	expect_err(&g, MVGPU_STREAM_E_TRAILING, -EPROTO);
	gen_fini(&g);

	/* even a whole valid-looking record */
	gen_small(&g);
	out_put(&g, zero, sizeof(zero));
	expect_err(&g, MVGPU_STREAM_E_TRAILING, -EPROTO);
	gen_fini(&g);
}

static void expect_field(const uint8_t *payload, uint32_t tag, size_t len)
{
	struct gen g;

	gen_init(&g, 65536);
	put_rec(&g, tag, rec_flags(tag), payload, len);
	gen_drain(&g);
	expect_err(&g, MVGPU_STREAM_E_FIELD, -EPROTO);
	gen_fini(&g);
}

Test(reject, page_ranges)
{
	static uint8_t page[MVGPU_REC_PAGE_LEN];
	uint8_t z[16];

	le64(page, FB_PAGES);
	expect_field(page, MVGPU_REC_PAGE, sizeof(page));
	le64(page, ~0ull);
	expect_field(page, MVGPU_REC_PAGE, sizeof(page));

	le64(z, 0);
	le64(z + 8, 0);		/* empty range */
	expect_field(z, MVGPU_REC_ZERO, 16);
	le64(z, FB_PAGES);
	le64(z + 8, 1);
	expect_field(z, MVGPU_REC_ZERO, 16);
	le64(z, 1);
	le64(z + 8, FB_PAGES);	/* one past */
	expect_field(z, MVGPU_REC_ZERO, 16);
	le64(z, 2);
	le64(z + 8, ~0ull);	/* wraps */
	expect_field(z, MVGPU_REC_ZERO, 16);
}

Test(reject, register_and_irq_fields)
{
	struct mvgpu_state st;
	uint8_t b[256];

	valid_state(&st);
	memcpy(b, st.cfg, 256);
	mvgpu_put_le16(b, 0x8086);
	expect_field(b, MVGPU_REC_CFG, 256);
	memcpy(b, st.cfg, 256);
	mvgpu_put_le16(b + 0x2e, MVGPU_PCI_SUBDEV_BASE + 2);	/* other type */
	expect_field(b, MVGPU_REC_CFG, 256);

	memset(b, 0, 16);
	le32(b, 1u << 20);
	expect_field(b, MVGPU_REC_REGS, 16);
	memset(b, 0, 16);
	le32(b + 4, 0x10000);
	expect_field(b, MVGPU_REC_REGS, 16);
	memset(b, 0, 16);
	le32(b + 12, 1);
	expect_field(b, MVGPU_REC_REGS, 16);

	le32(b, MVGPU_IRQ_KIND_MAX + 1);
	le32(b + 4, 0);
	expect_field(b, MVGPU_REC_IRQ, 8);
	le32(b, MVGPU_IRQ_KIND_INTX);
	le32(b + 4, 2);
	expect_field(b, MVGPU_REC_IRQ, 8);
}

/* Channel @c as channel 0 must be refused. */
static void expect_bad_chan(const struct mvgpu_state_channel *c, uint32_t n)
{
	uint8_t b[80];

	put_chan(b, n, c);
	expect_field(b, MVGPU_REC_CHAN, 80);
}

Test(reject, channel_fields)
{
	struct mvgpu_state st;
	struct mvgpu_state_channel c;

	valid_state(&st);
	expect_bad_chan(&st.ch[0], MVGPU_NUM_CHANNELS);
	expect_bad_chan(&st.ch[0], ~0u);

	c = st.ch[0]; c.ctrl |= MVGPU_CH_CTRL_RESET;	expect_bad_chan(&c, 0);
	c = st.ch[0]; c.error = MVGPU_ERR_MAX + 1;	expect_bad_chan(&c, 0);
	c = st.ch[0]; c.ring_size = 0x3000;		expect_bad_chan(&c, 0);
	c = st.ch[0]; c.ring_size = MVGPU_RING_MAX * 2;	expect_bad_chan(&c, 0);
	c = st.ch[0]; c.ring_size = 0x800;		expect_bad_chan(&c, 0);
	c = st.ch[0]; c.ring_base |= 0x800;		expect_bad_chan(&c, 0);
	c = st.ch[0]; c.ring_base = ~0ull << 12;	expect_bad_chan(&c, 0);
	c = st.ch[0]; c.put = 0x4000;			expect_bad_chan(&c, 0);
	c = st.ch[0]; c.get = 0x101;			expect_bad_chan(&c, 0);
	c = st.ch[2]; c.put = MVGPU_RING_MAX;		expect_bad_chan(&c, 2);
	c = st.ch[2]; c.error_get = 0x61;		expect_bad_chan(&c, 2);

	/* in-flight commands */
	c = st.ch[0]; c.cmd_done = 4;			/* stale cmd is junk */
	expect_bad_chan(&c, 0);
	c = st.ch[1]; c.cmd_done = FB_SIZE;		expect_bad_chan(&c, 1);
	c = st.ch[1]; c.cmd_done = 2;			expect_bad_chan(&c, 1);
	c = st.ch[1];
	set_cmd(&c.cmd, MVGPU_OP_FILL, 0, 4096, FB_SIZE, 0);	/* past the end */
	expect_bad_chan(&c, 1);
	set_cmd(&c.cmd, MVGPU_OP_FILL, 0, 2, 4096, 0);		/* misaligned */
	expect_bad_chan(&c, 1);
	set_cmd(&c.cmd, MVGPU_OP_FILL, 1, 0, 1 << 20, 0);	/* flags */
	expect_bad_chan(&c, 1);
	set_cmd(&c.cmd, MVGPU_OP_FENCE, 0, 0, 0, 0);		/* not long */
	expect_bad_chan(&c, 1);
	set_cmd(&c.cmd, MVGPU_OP_MAX + 1, 0, 0, 1 << 20, 0);
	expect_bad_chan(&c, 1);
	set_cmd(&c.cmd, MVGPU_OP_COPY, 0, 0, ~0ull - 4095, 1 << 20);
	expect_bad_chan(&c, 1);
	set_cmd(&c.cmd, MVGPU_OP_DMA_FROM_FB, 0, FB_SIZE - 4096, 0, 8192);
	expect_bad_chan(&c, 1);
}

/* Channel @c as channel @n is accepted (the stream then just ends). */
static void expect_good_chan(const struct mvgpu_state_channel *c, uint32_t n)
{
	struct mvgpu_dec *d = malloc(sizeof(*d));
	struct target t;
	struct gen g;
	uint8_t b[80];

	put_chan(b, n, c);
	gen_init(&g, 65536);
	put_rec(&g, MVGPU_REC_CHAN, 0, b, 80);
	gen_drain(&g);
	target_init(&t);
	cr_assert_eq(decode(g.out, g.len, FEED_ALL, &t, d), -ENODATA, "%s",
		     mvgpu_dec_why(d));
	cr_assert_eq(memcmp(&t.st.ch[n], c, sizeof(*c)), 0);
	target_fini(&t);
	gen_fini(&g);
	free(d);
}

/* States the kernel's channel code can reach must travel. */
Test(accept, reachable_channel_states)
{
	struct mvgpu_state st;
	struct mvgpu_state_channel c;

	valid_state(&st);
	/* a guest moved PUT back to GET in the middle of a command */
	c = st.ch[1]; c.get = c.put;			expect_good_chan(&c, 1);
	/* or disabled the channel (CTRL = 0 keeps cmd_done) */
	c = st.ch[1]; c.ctrl = 0;			expect_good_chan(&c, 1);
	/* disabled: ring registers hold whatever was written */
	c = st.ch[2]; c.ring_base = 0x123; c.ring_size = ~0u;
	expect_good_chan(&c, 2);
	/* an in-flight DMA: the IOVA side is not checked here */
	c = st.ch[1];
	set_cmd(&c.cmd, MVGPU_OP_DMA_TO_FB, 0, 1, 0, 1 << 20);
	expect_good_chan(&c, 1);
	set_cmd(&c.cmd, MVGPU_OP_COPY, 0, FB_SIZE - 8192, 0, 8192);
	c.cmd_done = 4096;
	expect_good_chan(&c, 1);
	c = st.ch[0]; c.fence = ~0u; c.cmd_done = 0;	expect_good_chan(&c, 0);
}

Test(reject, callback_error_is_returned)
{
	struct mvgpu_dec *d = malloc(sizeof(*d));
	struct target t;
	struct gen g;

	gen_sample(&g, 65536, false);
	target_init(&t);
	t.fail_at_page = 3;
	cr_assert_eq(decode(g.out, g.len, 100, &t, d), -ENOMEM);
	cr_assert_eq(mvgpu_dec_error(d), MVGPU_STREAM_E_CALLBACK);
	cr_assert_eq(mvgpu_dec_finish(d), -ENOMEM);
	cr_assert_eq(t.npage, 3, "no callback after the error");
	target_fini(&t);
	gen_fini(&g);
	free(d);
}

/* ---- minor 1: PLAT and ECC ------------------------------------------------ */

static void put_plat(uint8_t *b, uint32_t ecc, uint32_t frl, uint64_t rsvd)
{
	le32(b, ecc);
	le32(b + 4, frl);
	le64(b + 8, rsvd);
}

static void put_ecc_rec(uint8_t *b, const struct mvgpu_state_ecc *e)
{
	le32(b, e->ctrl);
	le32(b + 4, e->flags);
	le64(b + 8, e->sbe_volatile);
	le64(b + 16, e->dbe_volatile);
	le64(b + 24, e->sbe_aggregate);
	le64(b + 32, e->dbe_aggregate);
	le64(b + 40, 0);
}

/* The wire layout of both, byte for byte, and OPTIONAL: what makes a
 * minor-0 reader skip them. */
Test(minor1, layout)
{
	struct mvgpu_state st;
	struct gen g;
	const uint8_t *p;
	size_t at;

	cr_assert_geq(MVGPU_STREAM_MINOR, 1);
	cr_assert_eq(MVGPU_REC_PLAT, mvgpu_get_le32("PLAT"));
	cr_assert_eq(MVGPU_REC_ECC, mvgpu_get_le32("ECC "));
	gen_init_plat(&g, 65536);
	p = g.stage + MVGPU_ENC_DESC_BYTES;
	cr_assert_eq(memcmp(p, "PLAT", 4), 0);
	cr_assert_eq(mvgpu_get_le32(p + 4), MVGPU_REC_F_OPTIONAL);
	cr_assert_eq(mvgpu_get_le64(p + 8), 16);
	cr_assert_eq(mvgpu_get_le32(p + 16), MVGPU_COMPAT_ECC_ON);
	cr_assert_eq(mvgpu_get_le32(p + 20), 1);
	cr_assert_eq(mvgpu_get_le64(p + 24), 0);
	valid_state(&st);
	at = g.used;
	gen_state(&g, &st);
	cr_assert_eq(g.used - at, MVGPU_ENC_STATE_BYTES - MVGPU_ENC_ZERO_BYTES);
	p = g.stage + g.used - MVGPU_REC_HDR_LEN - MVGPU_REC_ECC_LEN;
	cr_assert_eq(memcmp(p, "ECC ", 4), 0, "ECC follows the channels");
	cr_assert_eq(memcmp(p - MVGPU_REC_HDR_LEN - MVGPU_REC_CHAN_LEN, "CHAN", 4), 0);
	cr_assert_eq(mvgpu_get_le32(p + 4), MVGPU_REC_F_OPTIONAL);
	cr_assert_eq(mvgpu_get_le64(p + 8), 48);
	cr_assert_eq(mvgpu_get_le32(p + 16), MVGPU_ECC_CTRL_OPT_OUT);
	cr_assert_eq(mvgpu_get_le32(p + 20), 3);
	cr_assert_eq(mvgpu_get_le64(p + 24), 5);
	cr_assert_eq(mvgpu_get_le64(p + 32), 1);
	cr_assert_eq(mvgpu_get_le64(p + 40), 0x100000005ull);
	cr_assert_eq(mvgpu_get_le64(p + 48), 2);
	cr_assert_eq(mvgpu_get_le64(p + 56), 0);

	/* a state without the ECC part writes no ECC record */
	gen_fini(&g);
	gen_init(&g, 65536);
	st.have = 0;
	at = g.used;
	gen_state(&g, &st);
	cr_assert_eq(g.used - at, MVGPU_ENC_STATE_BYTES - MVGPU_ENC_ZERO_BYTES -
		     MVGPU_REC_HDR_LEN - MVGPU_REC_ECC_LEN);
	gen_fini(&g);
}

Test(minor1, encoder_platform_contract)
{
	struct mvgpu_compat_info in = test_info();
	static uint8_t buf[1 << 16], page[PG];
	struct mvgpu_state_platform pl = sample_plat;
	struct mvgpu_enc e;

	/* not before DESC */
	cr_assert_eq(mvgpu_enc_init(&e, &in), 0);
	cr_assert_eq(mvgpu_enc_platform(&e, buf, sizeof(buf), &pl), -EINVAL);
	cr_assert_eq(mvgpu_enc_desc(&e, buf, sizeof(buf)), MVGPU_ENC_DESC_BYTES);
	/* bad fields */
	pl.ecc = MVGPU_COMPAT_ECC_UNKNOWN;
	cr_assert_eq(mvgpu_enc_platform(&e, buf, sizeof(buf), &pl), -EINVAL);
	pl.ecc = MVGPU_COMPAT_ECC_ON + 1;
	cr_assert_eq(mvgpu_enc_platform(&e, buf, sizeof(buf), &pl), -EINVAL);
	pl = sample_plat;
	pl.frame_rate_limiter = 2;
	cr_assert_eq(mvgpu_enc_platform(&e, buf, sizeof(buf), &pl), -EINVAL);
	/* too little room changes nothing */
	pl = sample_plat;
	cr_assert_eq(mvgpu_enc_platform(&e, buf, MVGPU_ENC_PLAT_BYTES - 1, &pl),
		     -ENOSPC);
	cr_assert_eq(mvgpu_enc_platform(&e, buf, MVGPU_ENC_PLAT_BYTES, &pl),
		     MVGPU_ENC_PLAT_BYTES);
	cr_assert_eq(mvgpu_enc_bytes(&e), MVGPU_ENC_DESC_BYTES + MVGPU_ENC_PLAT_BYTES);
	/* once */
	cr_assert_eq(mvgpu_enc_platform(&e, buf, sizeof(buf), &pl), -EINVAL);

	/* not after anything else: a SIZE, a page, a pending zero run */
	cr_assert_eq(mvgpu_enc_init(&e, &in), 0);
	cr_assert_gt(mvgpu_enc_desc(&e, buf, sizeof(buf)), 0);
	cr_assert_gt(mvgpu_enc_size_hint(&e, buf, sizeof(buf), 1, 1), 0);
	cr_assert_eq(mvgpu_enc_platform(&e, buf, sizeof(buf), &pl), -EINVAL);
	cr_assert_eq(mvgpu_enc_init(&e, &in), 0);
	cr_assert_gt(mvgpu_enc_desc(&e, buf, sizeof(buf)), 0);
	cr_assert_eq(mvgpu_enc_zero(&e, buf, sizeof(buf), 0, 1), 0);
	cr_assert_eq(mvgpu_enc_platform(&e, buf, sizeof(buf), &pl), -EINVAL);
	cr_assert_eq(mvgpu_enc_init(&e, &in), 0);
	cr_assert_gt(mvgpu_enc_desc(&e, buf, sizeof(buf)), 0);
	page[0] = 1;
	cr_assert_gt(mvgpu_enc_page(&e, buf, sizeof(buf), 0, page), 0);
	cr_assert_eq(mvgpu_enc_platform(&e, buf, sizeof(buf), &pl), -EINVAL);

	/* a source that knows its mode writes that one */
	in.ecc = MVGPU_COMPAT_ECC_OFF;
	cr_assert_eq(mvgpu_enc_init(&e, &in), 0);
	cr_assert_gt(mvgpu_enc_desc(&e, buf, sizeof(buf)), 0);
	cr_assert_eq(mvgpu_enc_platform(&e, buf, sizeof(buf), &pl), -EINVAL);
	pl.ecc = MVGPU_COMPAT_ECC_OFF;
	pl.frame_rate_limiter = 0;
	cr_assert_eq(mvgpu_enc_platform(&e, buf, sizeof(buf), &pl),
		     MVGPU_ENC_PLAT_BYTES);
	in.ecc = MVGPU_COMPAT_ECC_MAX + 1;
	cr_assert_eq(mvgpu_enc_init(&e, &in), -EINVAL);
}

/* Decodes @g against a target whose parent's ECC mode is @ecc. */
static int decode_ecc(const struct gen *g, __u32 ecc, struct target *t,
		      struct mvgpu_dec *d)
{
	struct mvgpu_compat_info in = test_info();

	in.ecc = ecc;
	return decode_with(d, &in, g->out, g->len, FEED_ALL, t);
}

Test(minor1, platform_round_trip_and_ecc_rule)
{
	static const __u32 modes[] = { MVGPU_COMPAT_ECC_UNKNOWN,
				       MVGPU_COMPAT_ECC_ON };
	struct mvgpu_dec *d = malloc(sizeof(*d));
	struct mvgpu_state_platform pl = { MVGPU_COMPAT_ECC_OFF, 0 };
	struct mvgpu_compat_info in = test_info();
	struct target t;
	struct gen g;
	size_t i;

	/* sample_plat: ECC on, limiter on */
	gen_sample(&g, 65536, false);
	for (i = 0; i < 2; i++) {
		target_init(&t);
		cr_assert_eq(decode_ecc(&g, modes[i], &t, d), 0, "%s",
			     mvgpu_dec_why(d));
		cr_assert_eq(t.st.have, MVGPU_STATE_HAVE_PLAT | MVGPU_STATE_HAVE_ECC);
		cr_assert_eq(memcmp(&t.st.plat, &sample_plat, sizeof(pl)), 0);
		cr_assert_eq(t.nplat, 1);
		cr_assert_eq(mvgpu_dec_remote(d)->ecc, MVGPU_COMPAT_ECC_ON);
		expect_target(&g, &t);
		target_fini(&t);
	}

	/* a target with ECC off refuses it at PLAT: before any page */
	target_init(&t);
	cr_assert_eq(decode_ecc(&g, MVGPU_COMPAT_ECC_OFF, &t, d), -EINVAL);
	cr_assert_eq(mvgpu_dec_error(d), MVGPU_STREAM_E_INCOMPATIBLE);
	cr_assert_eq(mvgpu_dec_offset(d), MVGPU_ENC_DESC_BYTES);
	cr_assert_str_eq(mvgpu_dec_why(d),
			 "incompatible source vGPU at offset 120 (PLAT): "
			 "ECC mode differs: source on, target off");
	cr_assert_eq(t.ndesc, 1);
	cr_assert_eq(t.nplat + t.npage + t.nzero + t.nhint, 0);
	cr_assert_eq(t.st.have, 0, "nothing stored");
	cr_assert_eq(mvgpu_dec_remote(d)->ecc, MVGPU_COMPAT_ECC_UNKNOWN);
	target_fini(&t);
	gen_fini(&g);

	/* and the other way round; any chunking */
	gen_init(&g, 65536);
	ENC(&g, mvgpu_enc_platform, &pl);
	gen_drain(&g);
	in.ecc = MVGPU_COMPAT_ECC_ON;
	expect_err_local(&in, g.out, g.len, MVGPU_STREAM_E_INCOMPATIBLE, -EINVAL);
	target_init(&t);
	cr_assert_eq(decode_ecc(&g, MVGPU_COMPAT_ECC_ON, &t, d), -EINVAL);
	cr_assert_str_eq(mvgpu_dec_why(d),
			 "incompatible source vGPU at offset 120 (PLAT): "
			 "ECC mode differs: source off, target on");
	target_fini(&t);
	/* the same mode: fine (the stream then just ends) */
	target_init(&t);
	cr_assert_eq(decode_ecc(&g, MVGPU_COMPAT_ECC_OFF, &t, d), -ENODATA);
	cr_assert_eq(t.st.have, MVGPU_STATE_HAVE_PLAT);
	cr_assert_eq(memcmp(&t.st.plat, &pl, sizeof(pl)), 0);
	target_fini(&t);
	gen_fini(&g);
	free(d);
}

Test(minor1, platform_callback_may_refuse)
{
	struct mvgpu_dec *d = malloc(sizeof(*d));
	struct mvgpu_dec_ops no_plat = ops;
	struct mvgpu_compat_info in = test_info();
	struct target t;
	struct gen g;

	gen_sample(&g, 65536, false);
	target_init(&t);
	t.fail_plat = -EOPNOTSUPP;
	cr_assert_eq(decode(g.out, g.len, 3, &t, d), -EOPNOTSUPP);
	cr_assert_eq(mvgpu_dec_error(d), MVGPU_STREAM_E_CALLBACK);
	cr_assert_eq(t.npage, 0);
	target_fini(&t);

	/* no platform callback: PLAT is still decoded and stored */
	no_plat.platform = NULL;
	target_init(&t);
	cr_assert_eq(mvgpu_dec_init(d, &in, &t.st, &no_plat, &t), 0);
	cr_assert_eq(mvgpu_dec_push(d, g.out, g.len), 0, "%s", mvgpu_dec_why(d));
	cr_assert_eq(mvgpu_dec_finish(d), 0);
	cr_assert_eq(t.nplat, 0);
	t.nplat = 1;		/* as if it had been called */
	expect_target(&g, &t);
	target_fini(&t);
	gen_fini(&g);
	free(d);
}

Test(minor1, platform_only_right_after_desc)
{
	struct mvgpu_state st;
	uint8_t b[16], page[MVGPU_REC_PAGE_LEN] = { 0 };
	struct gen g;

	put_plat(b, MVGPU_COMPAT_ECC_ON, 0, 0);
	valid_state(&st);

	/* twice */
	gen_init(&g, 65536);
	put_rec(&g, MVGPU_REC_PLAT, MVGPU_REC_F_OPTIONAL, b, 16);
	put_rec(&g, MVGPU_REC_PLAT, MVGPU_REC_F_OPTIONAL, b, 16);
	gen_drain(&g);
	expect_err(&g, MVGPU_STREAM_E_ORDER, -EPROTO);
	gen_fini(&g);

	/* after a SIZE, an unknown optional record, a page, the state */
	gen_init(&g, 65536);
	put_rec(&g, MVGPU_REC_SIZE, MVGPU_REC_F_OPTIONAL, "0123456789abcdef", 16);
	put_rec(&g, MVGPU_REC_PLAT, MVGPU_REC_F_OPTIONAL, b, 16);
	gen_drain(&g);
	expect_err(&g, MVGPU_STREAM_E_ORDER, -EPROTO);
	gen_fini(&g);
	gen_init(&g, 65536);
	put_rec(&g, MVGPU_FOURCC('N', 'E', 'W', '!'), MVGPU_REC_F_OPTIONAL, "", 0);
	put_rec(&g, MVGPU_REC_PLAT, MVGPU_REC_F_OPTIONAL, b, 16);
	gen_drain(&g);
	expect_err(&g, MVGPU_STREAM_E_ORDER, -EPROTO);
	gen_fini(&g);
	gen_init(&g, 65536);
	put_rec(&g, MVGPU_REC_PAGE, 0, page, sizeof(page));
	put_rec(&g, MVGPU_REC_PLAT, MVGPU_REC_F_OPTIONAL, b, 16);
	gen_drain(&g);
	expect_err(&g, MVGPU_STREAM_E_ORDER, -EPROTO);
	gen_fini(&g);
	gen_init(&g, 65536);
	gen_state(&g, &st);
	put_rec(&g, MVGPU_REC_PLAT, MVGPU_REC_F_OPTIONAL, b, 16);
	gen_drain(&g);
	expect_err(&g, MVGPU_STREAM_E_ORDER, -EPROTO);
	gen_fini(&g);

	/* not first either: the first record is DESC */
	gen_init(&g, 65536);
	g.used = 0;
	put_rec(&g, MVGPU_REC_PLAT, MVGPU_REC_F_OPTIONAL, b, 16);
	gen_drain(&g);
	expect_err(&g, MVGPU_STREAM_E_MAGIC, -EPROTO);
	gen_fini(&g);

	/* the messages say which */
	{
		struct mvgpu_dec *d = malloc(sizeof(*d));
		struct target t;

		gen_init(&g, 65536);
		put_rec(&g, MVGPU_REC_PLAT, MVGPU_REC_F_OPTIONAL, b, 16);
		put_rec(&g, MVGPU_REC_PLAT, MVGPU_REC_F_OPTIONAL, b, 16);
		gen_drain(&g);
		target_init(&t);
		cr_assert_eq(decode(g.out, g.len, FEED_ALL, &t, d), -EPROTO);
		cr_assert_str_eq(mvgpu_dec_why(d),
				 "record out of order at offset 152 (PLAT): sent twice");
		target_fini(&t);
		gen_fini(&g);
		gen_init(&g, 65536);
		put_rec(&g, MVGPU_REC_SIZE, MVGPU_REC_F_OPTIONAL, "0123456789abcdef", 16);
		put_rec(&g, MVGPU_REC_PLAT, MVGPU_REC_F_OPTIONAL, b, 16);
		gen_drain(&g);
		target_init(&t);
		cr_assert_eq(decode(g.out, g.len, FEED_ALL, &t, d), -EPROTO);
		cr_assert_str_eq(mvgpu_dec_why(d),
				 "record out of order at offset 152 (PLAT): not right after DESC");
		target_fini(&t);
		gen_fini(&g);
		free(d);
	}
}

Test(minor1, platform_fields)
{
	uint8_t b[16];

	put_plat(b, MVGPU_COMPAT_ECC_UNKNOWN, 0, 0);
	expect_field(b, MVGPU_REC_PLAT, 16);
	put_plat(b, MVGPU_COMPAT_ECC_ON + 1, 0, 0);
	expect_field(b, MVGPU_REC_PLAT, 16);
	put_plat(b, ~0u, 0, 0);
	expect_field(b, MVGPU_REC_PLAT, 16);
	put_plat(b, MVGPU_COMPAT_ECC_OFF, 2, 0);
	expect_field(b, MVGPU_REC_PLAT, 16);
	put_plat(b, MVGPU_COMPAT_ECC_OFF, 1u << 31, 0);
	expect_field(b, MVGPU_REC_PLAT, 16);
	put_plat(b, MVGPU_COMPAT_ECC_OFF, 0, 1);
	expect_field(b, MVGPU_REC_PLAT, 16);
	put_plat(b, MVGPU_COMPAT_ECC_OFF, 0, 1ull << 63);
	expect_field(b, MVGPU_REC_PLAT, 16);
}

/* ECC record @e (as channel-like state) must be refused with E_FIELD. */
static void expect_bad_ecc(const struct mvgpu_state_ecc *e)
{
	struct mvgpu_compat_info in = test_info();
	struct mvgpu_state st;
	uint8_t b[48];

	put_ecc_rec(b, e);
	expect_field(b, MVGPU_REC_ECC, 48);
	/* the state check and the encoder agree */
	valid_state(&st);
	st.ecc = *e;
	cr_assert_eq(mvgpu_state_check(&st, &in, NULL, 0), -EINVAL);
}

Test(minor1, ecc_fields)
{
	struct mvgpu_state st;
	struct mvgpu_state_ecc e;
	uint8_t b[48];

	valid_state(&st);
	e = st.ecc; e.ctrl = 2;				expect_bad_ecc(&e);
	e = st.ecc; e.ctrl = ~0u;			expect_bad_ecc(&e);
	e = st.ecc; e.flags = 4;			expect_bad_ecc(&e);
	e = st.ecc; e.flags = 1u << 31;			expect_bad_ecc(&e);
	e = st.ecc; e.sbe_volatile = e.sbe_aggregate + 1; expect_bad_ecc(&e);
	e = st.ecc; e.dbe_volatile = 3;			expect_bad_ecc(&e);
	e = st.ecc; e.dbe_aggregate = 0;		expect_bad_ecc(&e);
	e = st.ecc; e.sbe_volatile = ~0ull; e.sbe_aggregate = 0; expect_bad_ecc(&e);
	/* reserved */
	put_ecc_rec(b, &st.ecc);
	le64(b + 40, 1);
	expect_field(b, MVGPU_REC_ECC, 48);
}

/* Any ECC state the device can be in travels. */
Test(minor1, ecc_states_accepted)
{
	static const struct mvgpu_state_ecc good[] = {
		{ 0, 0, 0, 0, 0, 0 },
		{ MVGPU_ECC_CTRL_OPT_OUT, 0, 0, 0, 0, 0 },	/* pending */
		{ 0, MVGPU_STATE_ECC_F_OPTED_OUT, 0, 0, 7, 0 },	/* opt-in pending */
		{ 0, MVGPU_STATE_ECC_F_KILLED, 1, 1, 1, 1 },
		{ 0, 0, ~0ull, ~0ull, ~0ull, ~0ull },
		{ 0, 0, 0, 0, ~0ull, ~0ull },
	};
	struct mvgpu_dec *d = malloc(sizeof(*d));
	struct mvgpu_state st;
	struct target t;
	struct gen g;
	size_t i;
	uint8_t b[48];

	valid_state(&st);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		/* by the encoder */
		st.ecc = good[i];
		gen_init(&g, 65536);
		gen_state(&g, &st);
		gen_end(&g);
		target_init(&t);
		cr_assert_eq(decode(g.out, g.len, 1, &t, d), 0, "%zu: %s", i,
			     mvgpu_dec_why(d));
		cr_assert_eq(t.st.have, MVGPU_STATE_HAVE_ECC);
		cr_assert_eq(memcmp(&t.st.ecc, &good[i], sizeof(good[i])), 0);
		cr_assert_eq(memcmp(&t.st, &st, sizeof(st)), 0);
		target_fini(&t);
		gen_fini(&g);
		/* by hand, anywhere a state record may be: first */
		gen_init(&g, 65536);
		put_ecc_rec(b, &good[i]);
		put_rec(&g, MVGPU_REC_ECC, MVGPU_REC_F_OPTIONAL, b, 48);
		put_state_by_hand(&g, &st, -1);
		put_end(&g, 10, 0);
		target_init(&t);
		cr_assert_eq(decode(g.out, g.len, FEED_ALL, &t, d), 0, "%s",
			     mvgpu_dec_why(d));
		cr_assert_eq(memcmp(&t.st.ecc, &good[i], sizeof(good[i])), 0);
		target_fini(&t);
		gen_fini(&g);
	}
	free(d);
}

Test(minor1, ecc_duplicate)
{
	struct mvgpu_state st;
	struct gen g;
	uint8_t b[48];

	valid_state(&st);
	put_ecc_rec(b, &st.ecc);
	gen_init(&g, 65536);
	gen_state(&g, &st);		/* has one */
	put_rec(&g, MVGPU_REC_ECC, MVGPU_REC_F_OPTIONAL, b, 48);
	gen_drain(&g);
	expect_err(&g, MVGPU_STREAM_E_DUPLICATE, -EPROTO);
	gen_fini(&g);

	gen_init(&g, 65536);
	put_rec(&g, MVGPU_REC_ECC, MVGPU_REC_F_OPTIONAL, b, 48);
	put_rec(&g, MVGPU_REC_ECC, MVGPU_REC_F_OPTIONAL, b, 48);
	gen_drain(&g);
	expect_err(&g, MVGPU_STREAM_E_DUPLICATE, -EPROTO);
	gen_fini(&g);
}

/* What a minor-0 source sends: DESC says 1.0, no PLAT, no ECC.  It
 * decodes; the state says so, and the decoder leaves the target's own ECC
 * state and platform alone. */
Test(minor1, minor0_stream_without_plat_and_ecc)
{
	struct mvgpu_compat_info in = test_info();
	struct mvgpu_dec *d = malloc(sizeof(*d));
	struct mvgpu_state st;
	struct target t;
	struct gen g;
	size_t i;
	static const __u32 modes[] = { MVGPU_COMPAT_ECC_UNKNOWN,
				       MVGPU_COMPAT_ECC_OFF,
				       MVGPU_COMPAT_ECC_ON };

	gen_init(&g, 65536);
	mvgpu_put_le16(g.stage + 16 + 10, 0);	/* stream 1.0 */
	gen_page(&g, 4, 1);
	valid_state(&st);
	put_state_by_hand(&g, &st, -1);
	put_end(&g, 10, 1);
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		target_init(&t);
		memset(&t.st.ecc, 0xee, sizeof(t.st.ecc));
		memset(&t.st.plat, 0xdd, sizeof(t.st.plat));
		t.st.have = ~0u;		/* cleared by init */
		in.ecc = modes[i];
		cr_assert_eq(decode_with(d, &in, g.out, g.len, 7, &t), 0, "%s",
			     mvgpu_dec_why(d));
		cr_assert_eq(t.desc.stream_minor, 0);
		cr_assert_eq(mvgpu_dec_remote(d)->ecc, MVGPU_COMPAT_ECC_UNKNOWN);
		cr_assert_eq(t.st.have, 0);
		cr_assert_eq(t.nplat, 0);
		cr_assert_eq(t.st.ecc.ctrl, 0xeeeeeeeeu, "untouched");
		cr_assert_eq(t.st.plat.ecc, 0xddddddddu, "untouched");
		cr_assert_eq(memcmp(t.st.ch, st.ch, sizeof(st.ch)), 0);
		target_fini(&t);
	}
	gen_fini(&g);
	free(d);
}

Test(minor1, state_check)
{
	struct mvgpu_compat_info in = test_info();
	static uint8_t buf[1 << 16];
	struct mvgpu_state st;
	struct mvgpu_enc e;
	char why[MVGPU_COMPAT_WHY_MAX];

	valid_state(&st);
	st.have |= MVGPU_STATE_HAVE_PLAT;
	st.plat = sample_plat;
	cr_assert_eq(mvgpu_state_check(&st, &in, why, sizeof(why)), 0, "%s", why);
	st.plat.frame_rate_limiter = 2;
	cr_assert_eq(mvgpu_state_check(&st, &in, why, sizeof(why)), -EINVAL);
	cr_assert_str_eq(why, "frame rate limiter 2");
	/* the encoder ignores the platform: mvgpu_enc_platform() writes it */
	cr_assert_eq(mvgpu_enc_init(&e, &in), 0);
	cr_assert_gt(mvgpu_enc_desc(&e, buf, sizeof(buf)), 0);
	cr_assert_gt(mvgpu_enc_state(&e, buf, sizeof(buf), &st), 0);
	st.have &= ~MVGPU_STATE_HAVE_PLAT;
	cr_assert_eq(mvgpu_state_check(&st, &in, why, sizeof(why)), 0, "%s", why);
	st.plat.ecc = 0;
	cr_assert_eq(mvgpu_state_check(&st, &in, why, sizeof(why)), 0,
		     "without HAVE_PLAT plat is not looked at");
	st.have |= MVGPU_STATE_HAVE_PLAT;
	st.plat.frame_rate_limiter = 0;
	cr_assert_eq(mvgpu_state_check(&st, &in, why, sizeof(why)), -EINVAL);
	cr_assert_str_eq(why, "platform ECC mode 0");

	/* the ECC part only counts with HAVE_ECC */
	valid_state(&st);
	st.ecc.flags = 0x10;
	cr_assert_eq(mvgpu_state_check(&st, &in, why, sizeof(why)), -EINVAL);
	cr_assert_str_eq(why, "ECC flags 0x10 have unknown bits");
	cr_assert_eq(mvgpu_enc_init(&e, &in), 0);
	cr_assert_gt(mvgpu_enc_desc(&e, buf, sizeof(buf)), 0);
	cr_assert_eq(mvgpu_enc_state(&e, buf, sizeof(buf), &st), -EINVAL);
	st.have = 0;
	cr_assert_eq(mvgpu_state_check(&st, &in, why, sizeof(why)), 0, "%s", why);
	cr_assert_gt(mvgpu_enc_state(&e, buf, sizeof(buf), &st), 0);

	/* unknown parts */
	valid_state(&st);
	st.have |= 8;
	cr_assert_eq(mvgpu_state_check(&st, &in, why, sizeof(why)), -EINVAL);
	cr_assert_str_eq(why, "state parts 0x8 unknown");
	cr_assert_eq(mvgpu_enc_init(&e, &in), 0);
	cr_assert_gt(mvgpu_enc_desc(&e, buf, sizeof(buf)), 0);
	cr_assert_eq(mvgpu_enc_state(&e, buf, sizeof(buf), &st), -EINVAL);
}

/* ---- API contracts ------------------------------------------------------- */

Test(encoder, misuse_is_einval)
{
	struct mvgpu_compat_info in = test_info();
	static uint8_t buf[1 << 16], page[PG];
	struct mvgpu_state st;
	struct mvgpu_enc e;

	valid_state(&st);
	page[0] = 1;
	cr_assert_eq(mvgpu_enc_init(&e, &in), 0);
	cr_assert_eq(mvgpu_enc_page(&e, buf, sizeof(buf), 0, page), -EINVAL);
	cr_assert_eq(mvgpu_enc_state(&e, buf, sizeof(buf), &st), -EINVAL);
	cr_assert_eq(mvgpu_enc_end(&e, buf, sizeof(buf)), -EINVAL);
	cr_assert_eq(mvgpu_enc_desc(&e, buf, MVGPU_ENC_DESC_BYTES - 1), -ENOSPC);
	cr_assert_eq(mvgpu_enc_desc(&e, buf, sizeof(buf)), MVGPU_ENC_DESC_BYTES);
	cr_assert_eq(mvgpu_enc_desc(&e, buf, sizeof(buf)), -EINVAL);
	cr_assert_eq(mvgpu_enc_page(&e, buf, sizeof(buf), FB_PAGES, page), -EINVAL);
	cr_assert_eq(mvgpu_enc_zero(&e, buf, sizeof(buf), 0, 0), -EINVAL);
	cr_assert_eq(mvgpu_enc_zero(&e, buf, sizeof(buf), 1, FB_PAGES), -EINVAL);
	cr_assert_eq(mvgpu_enc_zero(&e, buf, sizeof(buf), FB_PAGES, 1), -EINVAL);
	cr_assert_eq(mvgpu_enc_record(&e, buf, sizeof(buf), 1, 0, NULL, 1), -EINVAL);
	cr_assert_eq(mvgpu_enc_record(&e, buf, sizeof(buf), 1, 0, buf,
				      MVGPU_REC_MAX_LEN + 1), -EINVAL);
	cr_assert_eq(mvgpu_enc_end(&e, buf, sizeof(buf)), -EINVAL, "no state");
	st.irq_kind = 9;
	cr_assert_eq(mvgpu_enc_state(&e, buf, sizeof(buf), &st), -EINVAL);
	valid_state(&st);
	cr_assert_eq(mvgpu_enc_state(&e, buf, MVGPU_ENC_STATE_BYTES - 1, &st),
		     -ENOSPC);
	cr_assert_gt(mvgpu_enc_state(&e, buf, sizeof(buf), &st), 0);
	cr_assert_eq(mvgpu_enc_state(&e, buf, sizeof(buf), &st), -EINVAL);
	cr_assert_eq(mvgpu_enc_page(&e, buf, sizeof(buf), 0, page),
		     MVGPU_ENC_PAGE_BYTES);
	cr_assert_eq(mvgpu_enc_zero(&e, buf, sizeof(buf), 1, 3), 0);
	cr_assert(mvgpu_enc_pending(&e));
	cr_assert_eq(mvgpu_enc_end(&e, buf, MVGPU_ENC_END_BYTES - 1), -ENOSPC);
	cr_assert(mvgpu_enc_pending(&e));
	cr_assert_eq(mvgpu_enc_end(&e, buf, sizeof(buf)), MVGPU_ENC_END_BYTES);
	cr_assert(!mvgpu_enc_pending(&e));
	cr_assert(mvgpu_enc_done(&e));
	cr_assert_eq(mvgpu_enc_page(&e, buf, sizeof(buf), 0, page), -EINVAL);
	cr_assert_eq(mvgpu_enc_flush(&e, buf, sizeof(buf)), -EINVAL);
	cr_assert_eq(mvgpu_enc_end(&e, buf, sizeof(buf)), -EINVAL);

	in.fb_size = 4095;
	cr_assert_eq(mvgpu_enc_init(&e, &in), -EINVAL);
	in = test_info();
	in.type[0] = '\0';
	cr_assert_eq(mvgpu_enc_init(&e, &in), -EINVAL);
}

Test(encoder, zero_runs_coalesce)
{
	struct mvgpu_compat_info in = test_info();
	static uint8_t buf[1 << 16], zero[PG];
	struct mvgpu_enc e;

	cr_assert_eq(mvgpu_enc_init(&e, &in), 0);
	cr_assert_eq(mvgpu_enc_desc(&e, buf, sizeof(buf)), MVGPU_ENC_DESC_BYTES);
	cr_assert_eq(mvgpu_enc_page(&e, buf, 0, 4, zero), 0);
	cr_assert_eq(mvgpu_enc_page(&e, buf, 0, 5, zero), 0);
	cr_assert_eq(mvgpu_enc_zero(&e, buf, 0, 6, 10), 0);
	cr_assert_eq(mvgpu_enc_page(&e, buf, 0, 16, zero), 0);
	/* a gap: the run [4, 17) is written, a new one starts */
	cr_assert_eq(mvgpu_enc_page(&e, buf, 0, 30, zero), -ENOSPC);
	cr_assert_eq(mvgpu_enc_page(&e, buf, sizeof(buf), 30, zero),
		     MVGPU_ENC_ZERO_BYTES);
	cr_assert_eq(mvgpu_get_le32(buf), MVGPU_REC_ZERO);
	cr_assert_eq(mvgpu_get_le64(buf + 16), 4);
	cr_assert_eq(mvgpu_get_le64(buf + 24), 13);
	cr_assert_eq(mvgpu_enc_flush(&e, buf, 0), -ENOSPC);
	cr_assert_eq(mvgpu_enc_flush(&e, buf, sizeof(buf)), MVGPU_ENC_ZERO_BYTES);
	cr_assert_eq(mvgpu_get_le64(buf + 16), 30);
	cr_assert_eq(mvgpu_get_le64(buf + 24), 1);
	cr_assert_eq(mvgpu_enc_flush(&e, buf, 0), 0, "nothing pending");
}

Test(decoder, init_rejects_bad_arguments)
{
	struct mvgpu_compat_info in = test_info();
	struct mvgpu_dec *d = malloc(sizeof(*d));
	struct mvgpu_dec_ops none = { 0 };
	struct mvgpu_state st;

	cr_assert_eq(mvgpu_dec_init(d, &in, &st, &none, NULL), -EINVAL);
	cr_assert_eq(mvgpu_dec_push(d, "DESC", 4), -EINVAL, "unusable");
	cr_assert_eq(mvgpu_dec_finish(d), -EINVAL);
	cr_assert(!mvgpu_dec_complete(d));
	cr_assert_eq(mvgpu_dec_init(d, &in, NULL, &ops, NULL), -EINVAL);
	cr_assert_eq(mvgpu_dec_init(d, NULL, &st, &ops, NULL), -EINVAL);
	in.fb_size = 0;
	cr_assert_eq(mvgpu_dec_init(d, &in, &st, &ops, NULL), -EINVAL);
	in = test_info();
	cr_assert_eq(mvgpu_dec_init(d, &in, &st, &ops, NULL), 0);
	cr_assert_null(mvgpu_dec_remote(d));
	cr_assert_eq(mvgpu_dec_finish(d), -ENODATA, "empty stream");
	free(d);
}

Test(errors, every_code_has_errno_and_message)
{
	static const int want[MVGPU_STREAM_E_NR] = {
		[MVGPU_STREAM_OK] = 0,
		[MVGPU_STREAM_E_INCOMPLETE] = -ENODATA,
		[MVGPU_STREAM_E_MAGIC] = -EPROTO,
		[MVGPU_STREAM_E_VERSION] = -EINVAL,
		[MVGPU_STREAM_E_INCOMPATIBLE] = -EINVAL,
		[MVGPU_STREAM_E_ORDER] = -EPROTO,
		[MVGPU_STREAM_E_FLAGS] = -EPROTO,
		[MVGPU_STREAM_E_UNKNOWN] = -EPROTO,
		[MVGPU_STREAM_E_TOO_BIG] = -EFBIG,
		[MVGPU_STREAM_E_LENGTH] = -EPROTO,
		[MVGPU_STREAM_E_FIELD] = -EPROTO,
		[MVGPU_STREAM_E_PADDING] = -EPROTO,
		[MVGPU_STREAM_E_DUPLICATE] = -EPROTO,
		[MVGPU_STREAM_E_MISSING] = -EPROTO,
		[MVGPU_STREAM_E_COUNT] = -EPROTO,
		[MVGPU_STREAM_E_CHECKSUM] = -EBADMSG,
		[MVGPU_STREAM_E_TRAILING] = -EPROTO,
		[MVGPU_STREAM_E_CALLBACK] = -EPROTO,
	};
	int i;

	for (i = 0; i < MVGPU_STREAM_E_NR; i++) {
		cr_assert_eq(mvgpu_stream_errno(i), want[i], "code %d", i);
		cr_assert_str_not_empty(mvgpu_stream_strerror(i));
	}
	cr_assert_str_eq(mvgpu_stream_strerror(MVGPU_STREAM_E_NR), "unknown error");
	cr_assert_str_eq(mvgpu_stream_strerror(-1), "unknown error");
}

Test(state, check)
{
	struct mvgpu_compat_info in = test_info();
	struct mvgpu_state st;
	char why[MVGPU_COMPAT_WHY_MAX];

	valid_state(&st);
	cr_assert_eq(mvgpu_state_check(&st, &in, why, sizeof(why)), 0);
	st.ch[1].cmd_done = FB_SIZE;
	cr_assert_eq(mvgpu_state_check(&st, &in, why, sizeof(why)), -EINVAL);
	cr_assert_str_not_empty(why);
	cr_assert_eq(mvgpu_state_check(&st, &in, NULL, 0), -EINVAL);
	/* a smaller framebuffer makes the in-flight FILL invalid */
	valid_state(&st);
	in.fb_size = FB_SIZE / 2;
	cr_assert_eq(mvgpu_state_check(&st, &in, why, sizeof(why)), -EINVAL);
}

/* The wire layout is what stream-format.md says, byte for byte. */
Test(format, layout)
{
	struct gen g;
	const uint8_t *p;

	gen_init(&g, 65536);
	p = g.stage;
	cr_assert_eq(memcmp(p, "DESC", 4), 0);
	cr_assert_eq(mvgpu_get_le32(p + 4), 0);
	cr_assert_eq(mvgpu_get_le64(p + 8), 104);
	cr_assert_eq(memcmp(p + 16, "MVGPUMIG", 8), 0);
	cr_assert_eq(mvgpu_get_le16(p + 24), MVGPU_STREAM_MAJOR);
	cr_assert_eq(mvgpu_get_le32(p + 32), 1);
	cr_assert_eq(mvgpu_get_le64(p + 40), FB_SIZE);
	cr_assert_str_eq((const char *)p + 56, "mvgpu-test");
	cr_assert_str_eq((const char *)p + 88, "0.1.0");
	gen_fini(&g);
	cr_assert_eq(MVGPU_ENC_STATE_BYTES,
		     32 + 9 * 16 + 256 + 16 + 24 + 8 + 4 * 80 + 48);
}

/* ---- minor 2: PEER --------------------------------------------------------- */

/* Two peers, sorted: a 64 MiB one over 2 links, a 1 MiB one over 1. */
static void sample_peers(struct mvgpu_state_peers *p)
{
	memset(p, 0, sizeof(*p));
	p->count = 2;
	memset(p->e[0].uuid, 0x11, 16);
	p->e[0].fb_size = 64ull << 20;
	p->e[0].links = 2;
	memset(p->e[1].uuid, 0x22, 16);
	p->e[1].fb_size = 1ull << 20;
	p->e[1].links = 1;
}

/* A valid state whose channel 1 stopped inside a PEER_COPY to peer 1. */
static void peer_state(struct mvgpu_state *st)
{
	valid_state(st);
	sample_peers(&st->peers);
	st->have |= MVGPU_STATE_HAVE_PEERS;
	set_cmd(&st->ch[1].cmd, MVGPU_OP_PEER_COPY, 1 | MVGPU_CMD_F_PEER_READ,
		FB_SIZE - 8192, (1u << 20) - 8192, 8192);
	st->ch[1].cmd_done = 4096;
}

/* DESC, PLAT, PEER, a page, the state, END. */
static void gen_peer_stream(struct gen *g, const struct mvgpu_state *st)
{
	gen_init_plat(g, 65536);
	ENC(g, mvgpu_enc_peers, &st->peers);
	gen_page(g, 3, 1);
	gen_state(g, st);
	gen_end(g);
}

Test(minor2, layout_and_round_trip)
{
	struct mvgpu_state st;
	struct mvgpu_dec d;
	struct target t;
	struct gen g;
	const uint8_t *p;

	cr_assert_eq(MVGPU_STREAM_MINOR, 2);
	cr_assert_eq(MVGPU_REC_PEER, mvgpu_get_le32("PEER"));
	peer_state(&st);
	gen_peer_stream(&g, &st);
	p = g.out + MVGPU_ENC_DESC_BYTES + MVGPU_ENC_PLAT_BYTES;
	cr_assert_eq(memcmp(p, "PEER", 4), 0, "right after PLAT");
	cr_assert_eq(mvgpu_get_le32(p + 4), MVGPU_REC_F_OPTIONAL);
	cr_assert_eq(mvgpu_get_le64(p + 8), 232);
	cr_assert_eq(mvgpu_get_le32(p + 16), 2);
	cr_assert_eq(mvgpu_get_le32(p + 20), 0);
	cr_assert_eq(p[24], 0x11);
	cr_assert_eq(mvgpu_get_le64(p + 24 + 16), 64ull << 20);
	cr_assert_eq(mvgpu_get_le32(p + 24 + 24), 2);
	cr_assert_eq(p[24 + 32], 0x22);
	cr_assert_eq(mvgpu_get_le32(p + 24 + 32 + 24), 1);
	cr_assert(mvgpu_is_zero(p + 24 + 64, 5 * 32), "entries past the count");

	target_init(&t);
	cr_assert_eq(decode(g.out, g.len, FEED_RANDOM, &t, &d), 0);
	cr_assert_eq(t.npeers, 1);
	st.have |= MVGPU_STATE_HAVE_PLAT;	/* and the platform */
	st.plat = sample_plat;
	cr_assert_eq(memcmp(&t.st, &st, sizeof(st)), 0, "the whole state");
	target_fini(&t);

	/* the target's callback refuses: the decoder stops there */
	target_init(&t);
	t.fail_peers = -EINVAL;
	cr_assert_eq(decode(g.out, g.len, FEED_ALL, &t, &d), -EINVAL);
	cr_assert_eq(t.npage, 0, "before any page");
	target_fini(&t);
	gen_fini(&g);
}

Test(minor2, peer_only_right_after_desc_and_plat)
{
	struct mvgpu_state st;
	struct gen g;

	peer_state(&st);
	/* after DESC alone is fine */
	gen_init(&g, 65536);
	ENC(&g, mvgpu_enc_peers, &st.peers);
	cr_assert_eq(mvgpu_enc_peers(&g.e, g.stage, g.size, &st.peers), -EINVAL,
		     "once");
	gen_fini(&g);
	/* not after a page */
	gen_init_plat(&g, 65536);
	gen_page(&g, 0, 1);
	cr_assert_eq(mvgpu_enc_peers(&g.e, g.stage, g.size, &st.peers), -EINVAL);
	gen_fini(&g);
}

Test(minor2, out_of_place_peer_records_are_refused)
{
	static uint8_t rec[MVGPU_ENC_PEER_BYTES];
	struct mvgpu_state st;
	struct mvgpu_enc e;
	struct mvgpu_compat_info in = test_info();
	struct mvgpu_dec d;
	struct target t;
	struct gen g;
	uint8_t *s;
	size_t at;

	/* a PEER record, taken from an encoder */
	peer_state(&st);
	cr_assert_eq(mvgpu_enc_init(&e, &in), 0);
	cr_assert_gt(mvgpu_enc_desc(&e, rec, sizeof(rec)), 0);
	cr_assert_eq(mvgpu_enc_peers(&e, rec, sizeof(rec), &st.peers),
		     MVGPU_ENC_PEER_BYTES);

	/* spliced in after a page: out of order */
	gen_init_plat(&g, 65536);
	gen_page(&g, 0, 1);
	gen_drain(&g);
	at = g.len;
	s = malloc(at + sizeof(rec));
	memcpy(s, g.out, at);
	memcpy(s + at, rec, sizeof(rec));
	target_init(&t);
	cr_assert_eq(mvgpu_dec_init(&d, &in, &t.st, &ops, &t), 0);
	cr_assert_eq(mvgpu_dec_push(&d, s, at + sizeof(rec)), -EPROTO);
	cr_assert_eq(mvgpu_dec_error(&d), MVGPU_STREAM_E_ORDER);
	target_fini(&t);
	free(s);
	gen_fini(&g);
}

Test(minor2, peer_tables)
{
	struct mvgpu_compat_info in = test_info();
	struct mvgpu_state st;
	char why[128];

	peer_state(&st);
	cr_assert_eq(mvgpu_state_check(&st, &in, why, sizeof(why)), 0, "%s", why);
	st.peers.e[1].links = 0;
	cr_assert_eq(mvgpu_state_check(&st, &in, why, sizeof(why)), -EINVAL);
	st.peers.e[1].links = MVGPU_MAX_LINKS + 1;
	cr_assert_eq(mvgpu_state_check(&st, &in, why, sizeof(why)), -EINVAL);
	peer_state(&st);
	memset(st.peers.e[1].uuid, 0x11, 16);
	cr_assert_eq(mvgpu_state_check(&st, &in, why, sizeof(why)), -EINVAL);
	cr_assert_str_eq(why, "peers not sorted or not distinct at 1");
	peer_state(&st);
	st.peers.e[2].links = 1;
	cr_assert_eq(mvgpu_state_check(&st, &in, why, sizeof(why)), -EINVAL);
	cr_assert_str_eq(why, "peer entry 2 past the count");
	peer_state(&st);
	st.peers.count = MVGPU_MAX_PEERS + 1;
	cr_assert_eq(mvgpu_state_check(&st, &in, why, sizeof(why)), -EINVAL);
	peer_state(&st);
	st.peers.e[0].fb_size = 4095;
	cr_assert_eq(mvgpu_state_check(&st, &in, why, sizeof(why)), -EINVAL);
}

/* A channel stopped inside a PEER_COPY: valid only with the table, an
 * entry it names and ranges inside both framebuffers. */
Test(minor2, in_flight_peer_copies)
{
	struct mvgpu_compat_info in = test_info();
	struct mvgpu_state st;
	char why[128];

	peer_state(&st);
	st.have &= ~MVGPU_STATE_HAVE_PEERS;
	cr_assert_eq(mvgpu_state_check(&st, &in, why, sizeof(why)), -EINVAL);
	cr_assert_str_eq(why, "in-flight peer copy with flags 0x101, 0 peers");
	peer_state(&st);
	le32(&st.ch[1].cmd.flags, 2);
	cr_assert_eq(mvgpu_state_check(&st, &in, why, sizeof(why)), -EINVAL,
		     "no entry 2");
	peer_state(&st);
	le32(&st.ch[1].cmd.flags, 1u << 4);
	cr_assert_eq(mvgpu_state_check(&st, &in, why, sizeof(why)), -EINVAL,
		     "unknown flag");
	peer_state(&st);
	le64(&st.ch[1].cmd.b, (1u << 20) - 4096);	/* past peer 1's end */
	cr_assert_eq(mvgpu_state_check(&st, &in, why, sizeof(why)), -EINVAL);
	cr_assert_str_eq(why, "in-flight command is outside the framebuffer");
	/* peer 0 is 64 MiB: the same offset fits there */
	le32(&st.ch[1].cmd.flags, 0);
	cr_assert_eq(mvgpu_state_check(&st, &in, why, sizeof(why)), 0, "%s", why);
}
