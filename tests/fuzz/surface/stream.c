// SPDX-License-Identifier: MIT
/*
 * stream.c - migration streams that are well-formed, with valid checksums,
 * and hostile: built on proto's own encoder (mvgpu_enc_*), so that what a
 * target meets is what a hostile *source* can send - ZERO records over the
 * whole framebuffer by the thousand, PAGE storms, every record at its
 * limits, a stream made for another type, truncated, duplicated or shuffled
 * records, flipped bytes with the checksum fixed after them, fields out of
 * range, commands the processor resumes mid-way.
 *
 * Records go through mvgpu_enc_desc() / mvgpu_enc_record() (and the real
 * mvgpu_enc_page/zero/state/end() for the valid variant); the trailer is
 * computed here over the bytes (XXH64, seed 0) with the counts the stream
 * really has, so a damaged record is not caught by a checksum.
 */
#include "fuzz.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "mvgpu_stream.h"

enum {
	V_VALID, V_ZERO_STORM, V_ZERO_TAIL, V_PAGE_STORM, V_LIMITS, V_MISMATCH,
	V_TRUNCATED, V_DUPLICATE, V_SHUFFLE, V_FLIP_FIXED, V_FLIP, V_BAD_FIELDS,
	V_INFLIGHT, V_EMPTYISH, V_UNKNOWN, V_NR
};
const unsigned sf_stream_nvariants = V_NR;

static const char *const vnames[V_NR] = {
	"valid", "zero-storm", "zero-tail", "page-storm", "limits", "mismatch",
	"truncated", "duplicate", "shuffle", "flip-fixed", "flip", "bad-fields",
	"inflight", "emptyish", "unknown",
};

#define MAX_RECS	4096

struct sb {
	struct sf_stream *s;
	struct mvgpu_enc e;
	struct rng r;
	size_t max;
	uint64_t records, pages;
	uint64_t npages;
	struct mvgpu_compat_info info;	/* what the stream says it is */
	const struct mvgpu_compat_info *local;	/* the target */
	size_t off[MAX_RECS];		/* record starts, for the rearranging variants */
	unsigned nrec;
	uint8_t page[4096];
	int err;
};

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t get64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

static bool room(struct sb *b, size_t n)
{
	struct sf_stream *s = b->s;

	if (s->len + n > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 65536;

		while (cap < s->len + n)
			cap *= 2;
		s->p = realloc(s->p, cap);
		if (!s->p)
			abort();
		s->cap = cap;
	}
	return true;
}

static bool full(const struct sb *b)
{
	return b->s->len >= b->max || b->err;
}

/* Counts the records in the bytes just written. */
static void account(struct sb *b, size_t from)
{
	const uint8_t *p = b->s->p;

	while (from + 16 <= b->s->len) {
		uint64_t len = get64(p + from + 8);

		if (b->nrec < MAX_RECS)
			b->off[b->nrec++] = from;
		b->records++;
		if (get32(p + from) == MVGPU_REC_PAGE)
			b->pages++;
		from += 16 + len + ((8 - len % 8) % 8);
	}
}

#define EMIT(b, call)							\
	do {								\
		size_t from_ = (b)->s->len;				\
		ssize_t n_;						\
		room((b), 4096 + 8192);					\
		n_ = (call);						\
		if (n_ < 0) {						\
			(b)->err = (int)n_;				\
		} else {						\
			(b)->s->len += (size_t)n_;			\
			account((b), from_);				\
		}							\
	} while (0)

#define AT(b)		((b)->s->p + (b)->s->len)
#define ROOM(b)		((b)->s->cap - (b)->s->len)

static void desc(struct sb *b)
{
	EMIT(b, mvgpu_enc_desc(&b->e, AT(b), ROOM(b)));
}

static void rec(struct sb *b, uint32_t tag, uint32_t flags, const void *pl,
		size_t len)
{
	room(b, len + 64);
	EMIT(b, mvgpu_enc_record(&b->e, AT(b), ROOM(b), tag, flags, pl, len));
}

/* A record the encoder would refuse (too long, bad padding, before DESC). */
static void raw_rec(struct sb *b, uint32_t tag, uint32_t flags, uint64_t len,
		    const void *pl, size_t have, uint8_t padbyte)
{
	size_t pad = (8 - len % 8) % 8, from = b->s->len;
	uint8_t *p;

	room(b, 16 + have + pad);
	p = AT(b);
	put32(p, tag);
	put32(p + 4, flags);
	put64(p + 8, len);
	if (have)
		memcpy(p + 16, pl, have);
	memset(p + 16 + have, padbyte, have == len ? pad : 0);
	b->s->len += 16 + have + (have == len ? pad : 0);
	if (b->nrec < MAX_RECS)
		b->off[b->nrec++] = from;
	b->records++;
}

static void zero(struct sb *b, uint64_t first, uint64_t count)
{
	uint8_t pl[16];

	put64(pl, first);
	put64(pl + 8, count);
	rec(b, MVGPU_REC_ZERO, 0, pl, 16);
}

static void page(struct sb *b, uint64_t index)
{
	static __thread uint8_t pl[8 + 4096];

	put64(pl, index);
	memcpy(pl + 8, b->page, 4096);
	put64(pl + 8 + 8 * (index % 511), rng_next(&b->r));
	rec(b, MVGPU_REC_PAGE, 0, pl, sizeof(pl));
}

/* The trailer with the stream's true counts and checksum; @damage breaks one. */
static void end(struct sb *b, int damage)
{
	uint8_t *p;

	room(b, 64);
	p = AT(b);
	put32(p, MVGPU_REC_END);
	put32(p + 4, 0);
	put64(p + 8, MVGPU_REC_END_LEN);
	put64(p + 16, b->records + (damage == 1));
	put64(p + 24, b->pages + (damage == 2));
	put64(p + 32, XXH64(b->s->p, b->s->len + 32, 0) + (damage == 3));
	b->s->len += 40;
}

/* ---- states ------------------------------------------------------------------ */

static void gen_cmd_inflight(struct rng *r, uint64_t fb, struct mvgpu_state_channel *c,
			     bool limits)
{
	uint64_t len = limits ? fb : 4 * (1 + rng_below(r, fb / 16));
	uint64_t a = limits ? 0 : rng_below(r, fb - len + 1) & ~3ull;

	memset(&c->cmd, 0, sizeof(c->cmd));
	switch (rng_below(r, 4)) {
	case 0:
		c->cmd.op = MVGPU_OP_FILL;
		c->cmd.a = a;
		c->cmd.b = len;
		c->cmd.c = rng_next(r);
		break;
	case 1:
		c->cmd.op = MVGPU_OP_COPY;
		if (len > fb - 4)
			len = fb - 4;
		c->cmd.a = 0;
		c->cmd.b = 4 * rng_below(r, (fb - len) / 4 + 1);	/* overlapping */
		c->cmd.c = len;
		break;
	case 2:
		c->cmd.op = MVGPU_OP_DMA_TO_FB;
		c->cmd.a = 0x100000000ull + rng_below(r, 16) * 0x400000;
		c->cmd.b = a;
		c->cmd.c = len;
		break;
	default:
		c->cmd.op = MVGPU_OP_DMA_FROM_FB;
		c->cmd.a = a;
		c->cmd.b = rng_chance(r, 1, 2) ? 0xdead0000ull : ~0ull - len;
		c->cmd.c = len;
		break;
	}
	c->cmd_done = limits ? len - 4 : 4 * rng_below(r, len / 4);
}

/* A state the decoder accepts; @limits puts fields at their edges. */
static void gen_state(struct rng *r, const struct mvgpu_compat_info *info,
		      struct mvgpu_state *st, bool limits, bool inflight)
{
	uint64_t fb = info->fb_size;

	memset(st, 0, sizeof(*st));
	if (rng_chance(r, 1, 2))
		sf_fill(r, st->cfg, sizeof(st->cfg));
	st->cfg[0] = 0x34;
	st->cfg[1] = 0x12;
	st->cfg[2] = 0x47;
	st->cfg[3] = 0x4d;
	st->cfg[0x2c] = 0x34;
	st->cfg[0x2d] = 0x12;
	st->cfg[0x2e] = (uint8_t)(0x00 + info->type_index);
	st->cfg[0x2f] = 0x01;
	st->intr_status = limits ? 0x0f0f : (uint32_t)rng_next(r) & 0x0f0f;
	st->intr_mask = limits ? 0x0f0f : (uint32_t)rng_next(r) & 0x0f0f;
	st->scratch = (uint32_t)rng_next(r);
	st->irq_kind = (uint32_t)rng_below(r, 3);
	st->irq_flags = (uint32_t)rng_below(r, 2);
	st->disp.width = limits ? 1 : (uint32_t)rng_below(r, 4000);
	st->disp.height = limits ? 1 : (uint32_t)rng_below(r, 2200);
	st->disp.stride = limits ? 0xfffffffc : sf_pick_u32(r);
	st->disp.format = rng_chance(r, 3, 4) ? 0x34325258 : sf_pick_u32(r);
	st->disp.offset = limits ? 0 : sf_pick_u32(r);
	st->disp.enable = rng_chance(r, 3, 4);
	for (int i = 0; i < MVGPU_NUM_CHANNELS; i++) {
		struct mvgpu_state_channel *c = &st->ch[i];
		uint32_t size = 4096u << rng_below(r, 9);

		c->fence = (uint32_t)rng_next(r);
		switch (limits ? 4 : rng_below(r, inflight ? 3 : 6)) {
		case 0: case 1:		/* enabled, a legal ring, work queued */
			c->ctrl = MVGPU_CH_CTRL_ENABLE;
			c->ring_size = size;
			c->ring_base = rng_chance(r, 3, 4) ?
				0x100000000ull + rng_below(r, 16) * 0x400000 :
				sf_pick_u64(r) & ~4095ull;
			c->put = (uint32_t)rng_below(r, size / 32) * 32;
			c->get = (uint32_t)rng_below(r, size / 32) * 32;
			break;
		case 2:			/* enabled, stopped on an error: any ring */
			c->ctrl = MVGPU_CH_CTRL_ENABLE;
			c->error = 1 + (uint32_t)rng_below(r, 7);
			c->ring_size = sf_pick_u32(r);
			c->ring_base = sf_pick_u64(r);
			c->error_get = (uint32_t)rng_below(r, MVGPU_RING_MAX / 32) * 32;
			break;
		case 4:			/* the edges of legal */
			c->ctrl = MVGPU_CH_CTRL_ENABLE;
			c->ring_size = MVGPU_RING_MAX;
			c->ring_base = 0ull - 2 * (uint64_t)MVGPU_RING_MAX;
			c->put = MVGPU_RING_MAX - 32;
			c->get = 0;
			c->error_get = MVGPU_RING_MAX - 32;
			break;
		default:		/* disabled: ring registers hold anything */
			c->ring_size = sf_pick_u32(r);
			c->ring_base = sf_pick_u64(r);
			c->put = (uint32_t)rng_below(r, MVGPU_RING_MAX / 32) * 32;
			c->get = (uint32_t)rng_below(r, MVGPU_RING_MAX / 32) * 32;
			break;
		}
		if (inflight || limits || rng_chance(r, 1, 4))
			gen_cmd_inflight(r, fb, c, limits);
		if (mvgpu_state_check(st, info, NULL, 0)) {
			/* not legal after all: this channel quiet */
			memset(c, 0, sizeof(*c));
		}
	}
}

static void state(struct sb *b, bool limits, bool inflight)
{
	struct mvgpu_state st;

	gen_state(&b->r, b->local, &st, limits, inflight);
	EMIT(b, mvgpu_enc_state(&b->e, AT(b), ROOM(b), &st));
	if (b->err) {		/* the encoder refused: a plain one */
		b->err = 0;
		gen_state(&b->r, b->local, &st, false, false);
		for (int i = 0; i < MVGPU_NUM_CHANNELS; i++)
			memset(&st.ch[i], 0, sizeof(st.ch[i]));
		EMIT(b, mvgpu_enc_state(&b->e, AT(b), ROOM(b), &st));
	}
}

/* ---- variants ------------------------------------------------------------------ */

static void valid_body(struct sb *b, unsigned npages)
{
	if (rng_chance(&b->r, 1, 2))
		EMIT(b, mvgpu_enc_size_hint(&b->e, AT(b), ROOM(b),
					    sf_pick_u64(&b->r), sf_pick_u64(&b->r)));
	for (unsigned i = 0; i < npages && !full(b); i++) {
		uint64_t idx = rng_below(&b->r, b->npages);

		if (rng_chance(&b->r, 1, 4)) {
			uint64_t n = 1 + rng_below(&b->r, b->npages - idx);

			EMIT(b, mvgpu_enc_zero(&b->e, AT(b), ROOM(b), idx, n));
			continue;
		}
		if (rng_chance(&b->r, 1, 5))
			memset(b->page, 0, sizeof(b->page));
		else
			sf_fill(&b->r, b->page, sizeof(b->page));
		EMIT(b, mvgpu_enc_page(&b->e, AT(b), ROOM(b), idx, b->page));
	}
	EMIT(b, mvgpu_enc_flush(&b->e, AT(b), ROOM(b)));
}

static void build_valid(struct sb *b)
{
	desc(b);
	valid_body(b, (unsigned)rng_below(&b->r, 33));
	state(b, false, false);
	EMIT(b, mvgpu_enc_end(&b->e, AT(b), ROOM(b)));
}

/* Rebuilds the stream from its records (without END) in @order, then END. */
static void rebuild(struct sb *b, const unsigned *order, unsigned n, int damage)
{
	struct sf_stream old = *b->s;
	unsigned nrec = b->nrec;
	size_t offs[MAX_RECS];

	memcpy(offs, b->off, sizeof(size_t) * nrec);
	b->s->p = NULL;
	b->s->len = b->s->cap = 0;
	b->records = b->pages = 0;
	b->nrec = 0;
	for (unsigned i = 0; i < n; i++) {
		unsigned k = order[i];
		size_t from = offs[k];
		size_t to = k + 1 < nrec ? offs[k + 1] : old.len;
		size_t at = b->s->len;

		room(b, to - from);
		memcpy(AT(b), old.p + from, to - from);
		b->s->len += to - from;
		account(b, at);
	}
	free(old.p);
	end(b, damage);
}

/* The valid stream's records, rearranged: duplicated or shuffled. */
static void build_rearranged(struct sb *b, bool shuffle)
{
	static __thread unsigned order[MAX_RECS + 1];
	unsigned n, k, m = 0;

	if (!shuffle && rng_chance(&b->r, 1, 8)) {
		build_valid(b);		/* END twice: bytes after END */
		end(b, 0);
		return;
	}
	build_valid(b);
	n = b->nrec - 1;		/* without END */
	if (!n)
		return;
	k = (unsigned)rng_below(&b->r, n);
	for (unsigned i = 0; i < n; i++) {
		order[m++] = i;
		if (!shuffle && i == k)
			order[m++] = i;	/* twice */
	}
	if (shuffle) {
		unsigned from = rng_chance(&b->r, 1, 2);	/* DESC first, or not */

		for (unsigned i = m - 1; i > from; i--) {
			unsigned j = from + (unsigned)rng_below(&b->r, i - from + 1);
			unsigned tmp = order[i];

			order[i] = order[j];
			order[j] = tmp;
		}
	}
	rebuild(b, order, m, 0);
}

static void build_flip(struct sb *b, bool fix)
{
	unsigned n = 1 + (unsigned)rng_below(&b->r, 4);

	build_valid(b);
	if (!fix) {
		for (unsigned i = 0; i < n; i++)
			b->s->p[rng_below(&b->r, b->s->len)] ^= (uint8_t)(1u << rng_below(&b->r, 8));
		return;
	}
	b->s->len -= 40;		/* END goes, comes back with its checksum fixed */
	for (unsigned i = 0; i < n && b->s->len; i++) {
		size_t at = rng_below(&b->r, b->s->len);

		/* mostly in a record's header or first fields, not page data */
		if (b->nrec > 1 && rng_chance(&b->r, 3, 4))
			at = b->off[rng_below(&b->r, b->nrec - 1)] + rng_below(&b->r, 48);
		if (at < b->s->len)
			b->s->p[at] ^= (uint8_t)(1u << rng_below(&b->r, 8));
	}
	b->records--;
	/* the counts as they were: the flips may have made records of anything */
	end(b, 0);
}

static void build_bad_fields(struct sb *b)
{
	struct mvgpu_state st;
	uint8_t pl[256];
	uint64_t np = b->npages;

	desc(b);
	for (unsigned i = 0; i < 1 + rng_below(&b->r, 3); i++) {
		memset(pl, 0, sizeof(pl));
		switch (rng_below(&b->r, 18)) {
		case 0: zero(b, 0, 0); break;
		case 1: zero(b, np, 1); break;
		case 2: zero(b, np - 1, 2); break;
		case 3: zero(b, 1, ~0ull); break;			/* first + count wraps */
		case 4: zero(b, ~0ull, 2); break;
		case 5: put64(pl, np); rec(b, MVGPU_REC_PAGE, 0, b->page, 8 + 0); break;
		case 6: {
			static __thread uint8_t p[8 + 4096];

			put64(p, rng_chance(&b->r, 1, 2) ? np : ~0ull);
			rec(b, MVGPU_REC_PAGE, 0, p, sizeof(p));
			break;
		}
		case 7:
			gen_state(&b->r, b->local, &st, false, false);
			mvgpu_stream_put_chan(pl, 4 + (uint32_t)rng_below(&b->r, 1000), &st.ch[0]);
			rec(b, MVGPU_REC_CHAN, 0, pl, MVGPU_REC_CHAN_LEN);
			break;
		case 8:
			gen_state(&b->r, b->local, &st, false, false);
			st.ch[1].ctrl = sf_pick_u32(&b->r) | 2;
			st.ch[1].cmd_done = sf_pick_u64(&b->r);
			mvgpu_stream_put_chan(pl, 1, &st.ch[1]);
			rec(b, MVGPU_REC_CHAN, 0, pl, MVGPU_REC_CHAN_LEN);
			break;
		case 9:
			put32(pl, 0x10000);
			rec(b, MVGPU_REC_REGS, 0, pl, MVGPU_REC_REGS_LEN);
			break;
		case 10:
			put32(pl, 3);
			rec(b, MVGPU_REC_IRQ, 0, pl, MVGPU_REC_IRQ_LEN);
			break;
		case 11: put64(pl, 0); rec(b, MVGPU_REC_ZERO, 2, pl, 16); break;	/* flags */
		case 12: rec(b, MVGPU_REC_ZERO, MVGPU_REC_F_OPTIONAL, pl, 16); break;
		case 13: rec(b, MVGPU_REC_ZERO, 0, pl, 8 * rng_below(&b->r, 4)); break; /* length */
		case 14: rec(b, MVGPU_FOURCC('B', 'A', 'D', '!'), 0, pl, 16); break;
		case 15: raw_rec(b, MVGPU_REC_SIZE, MVGPU_REC_F_OPTIONAL, 12, pl, 12, 0xff); break; /* padding */
		case 16: raw_rec(b, MVGPU_FOURCC('H', 'U', 'G', 'E'), MVGPU_REC_F_OPTIONAL,
				 MVGPU_REC_MAX_LEN + 1 + rng_below(&b->r, 1 << 20), pl, 0, 0); break;
		default:
			memcpy(pl, "MVGPUMIX", 8);
			rec(b, MVGPU_REC_DESC, 0, pl, MVGPU_REC_DESC_LEN);
			break;
		}
	}
	state(b, false, false);
	end(b, (int)rng_below(&b->r, 12) < 3 ? 1 + (int)rng_below(&b->r, 3) : 0);
}

static void build_emptyish(struct sb *b)
{
	switch (rng_below(&b->r, 5)) {
	case 0: return;					/* nothing at all */
	case 1: desc(b); return;			/* DESC only */
	case 2: desc(b); end(b, 0); return;		/* no state */
	case 3: end(b, 0); return;			/* END first */
	default: state(b, false, false); return;	/* no DESC: refused by the encoder */
	}
}

static void build_unknown(struct sb *b)
{
	uint8_t *big = malloc(MVGPU_REC_MAX_LEN);
	unsigned n = 1 + (unsigned)rng_below(&b->r, 16);

	if (!big)
		abort();

	desc(b);
	for (unsigned i = 0; i < n && !full(b); i++) {
		size_t len = rng_chance(&b->r, 1, 4) ? MVGPU_REC_MAX_LEN
						     : (size_t)rng_below(&b->r, 70000);

		if (len > 4096)
			memset(big, (int)i, len);
		else
			sf_fill(&b->r, big, len);
		rec(b, MVGPU_FOURCC('X', 'T', 'R', (char)('A' + rng_below(&b->r, 26))),
		    MVGPU_REC_F_OPTIONAL, big, len);
		if (rng_chance(&b->r, 1, 3))
			valid_body(b, 2);
	}
	free(big);
	state(b, false, false);
	end(b, 0);
}

/* Another type, or this type with one field a source must not have. */
static void mismatched_info(struct sb *b)
{
	struct mvgpu_compat_info i = *b->local;

	switch (rng_below(&b->r, 8)) {
	case 0: case 1: case 2:
		i = sf.types[(b->local->type_index + 1 + rng_below(&b->r, 3)) % MVGPU_NUM_TYPES];
		break;
	case 3: i.fb_size *= 2; break;
	case 4: i.stream_major++; break;
	case 5: i.abi_minor++; break;
	case 6: i.features |= 1ull << rng_below(&b->r, 64); break;
	default: i.stream_minor++; break;	/* allowed: a newer minor */
	}
	if (mvgpu_enc_init(&b->e, &i) == 0)
		b->info = i;
	else
		mvgpu_enc_init(&b->e, b->local);
}

int sf_stream_build(struct sf_stream *s, const struct mvgpu_compat_info *local,
		    uint64_t variant, uint64_t seed, size_t max_bytes)
{
	struct sb *b = calloc(1, sizeof(*b));
	unsigned v = (unsigned)(variant % V_NR);
	int ret;

	if (!b)
		return -ENOMEM;
	memset(s, 0, sizeof(*s));
	b->s = s;
	b->local = local;
	b->info = *local;
	b->max = max_bytes < 4096 ? 4096 : max_bytes;
	b->npages = local->fb_size / MVGPU_STREAM_PAGE_SIZE;
	rng_seed(&b->r, seed);
	sf_fill(&b->r, b->page, sizeof(b->page));
	s->what = vnames[v];
	if (!sf_quirk(Q_ZERO_STORM) && (v == V_ZERO_STORM || v == V_ZERO_TAIL) &&
	    b->max > 65536)
		b->max = 65536;		/* --disable zero-storm */
	ret = mvgpu_enc_init(&b->e, local);
	if (ret) {
		free(b);
		return ret;
	}
	switch (v) {
	case V_VALID:
		build_valid(b);
		break;
	case V_ZERO_STORM:
	case V_ZERO_TAIL:
		desc(b);
		while (!full(b)) {
			uint64_t first = v == V_ZERO_STORM ? 0 : rng_below(&b->r, b->npages);

			zero(b, first, b->npages - first);
		}
		state(b, false, false);
		end(b, 0);
		break;
	case V_PAGE_STORM: {
		uint64_t mode = rng_below(&b->r, 3), same = rng_below(&b->r, b->npages);

		desc(b);
		for (uint64_t i = 0; !full(b); i++)
			page(b, mode == 0 ? same : mode == 1 ? i % b->npages
					   : rng_below(&b->r, b->npages));
		state(b, false, false);
		end(b, 0);
		break;
	}
	case V_LIMITS: {
		uint8_t *big = calloc(1, MVGPU_REC_MAX_LEN), pl[16];

		desc(b);
		put64(pl, ~0ull);
		put64(pl + 8, ~0ull);
		rec(b, MVGPU_REC_SIZE, MVGPU_REC_F_OPTIONAL, pl, 16);
		zero(b, b->npages - 1, 1);
		zero(b, 0, b->npages);
		page(b, b->npages - 1);
		page(b, 0);
		for (unsigned i = 0; i < 1 + rng_below(&b->r, 4) && !full(b); i++)
			rec(b, MVGPU_FOURCC('L', 'I', 'M', 'T'), MVGPU_REC_F_OPTIONAL,
			    big, MVGPU_REC_MAX_LEN);
		free(big);
		rec(b, MVGPU_FOURCC('N', 'I', 'L', ' '), MVGPU_REC_F_OPTIONAL, NULL, 0);
		state(b, true, false);
		end(b, 0);
		break;
	}
	case V_MISMATCH:
		mismatched_info(b);
		desc(b);
		valid_body(b, (unsigned)rng_below(&b->r, 8));
		state(b, false, false);
		end(b, 0);
		break;
	case V_TRUNCATED:
		build_valid(b);
		switch (rng_below(&b->r, 4)) {
		case 0: s->len = s->len - 1; break;
		case 1: s->len = s->len - 40; break;	/* no END */
		case 2: s->len = s->len > 120 ? 120 : s->len; break;	/* DESC only */
		default: s->len = (size_t)rng_below(&b->r, s->len); break;
		}
		break;
	case V_DUPLICATE:
		build_rearranged(b, false);
		break;
	case V_SHUFFLE:
		build_rearranged(b, true);
		break;
	case V_FLIP_FIXED:
		build_flip(b, true);
		break;
	case V_FLIP:
		build_flip(b, false);
		break;
	case V_BAD_FIELDS:
		build_bad_fields(b);
		break;
	case V_INFLIGHT:
		desc(b);
		valid_body(b, (unsigned)rng_below(&b->r, 4));
		state(b, rng_chance(&b->r, 1, 4), true);
		end(b, 0);
		break;
	case V_EMPTYISH:
		build_emptyish(b);
		break;
	default:
		build_unknown(b);
		break;
	}
	free(b);
	if (!s->p) {			/* an empty stream still has a buffer */
		s->p = malloc(1);
		s->cap = 1;
	}
	return 0;
}

void sf_stream_free(struct sf_stream *s)
{
	free(s->p);
	memset(s, 0, sizeof(*s));
}

/* ---- self-test: every variant through proto's own decoder, natively ------ */

static int st_page(void *ctx, __u64 index, const void *data)
{
	(void)ctx;
	(void)index;
	(void)data;
	return 0;
}

static int st_zero(void *ctx, __u64 first, __u64 count)
{
	(void)ctx;
	(void)first;
	(void)count;
	return 0;
}

int sf_stream_selftest(unsigned seeds)
{
	static const struct mvgpu_dec_ops ops = { .page = st_page, .zero = st_zero };
	static const bool must_decode[V_NR] = {
		[V_VALID] = true, [V_ZERO_STORM] = true, [V_ZERO_TAIL] = true,
		[V_PAGE_STORM] = true, [V_LIMITS] = true, [V_INFLIGHT] = true,
		[V_UNKNOWN] = true,
	};
	struct mvgpu_compat_info local;
	struct mvgpu_dec *d = malloc(sizeof(*d));
	struct mvgpu_state *st = malloc(sizeof(*st));
	int bad = 0;

	if (!d || !st)
		abort();
	mvgpu_compat_local(&local, 0, "0.1.0");
	for (unsigned v = 0; v < V_NR; v++) {
		unsigned count[MVGPU_STREAM_E_NR] = { 0 };
		size_t bytes = 0;
		char line[1024];
		int n;

		for (unsigned s = 0; s < seeds; s++) {
			struct sf_stream str;
			struct rng r;
			size_t off = 0;
			int ret;

			rng_seed(&r, s);
			if (sf_stream_build(&str, &local, v, s * 7919 + v, 1u << 20))
				abort();
			bytes += str.len;
			mvgpu_dec_init(d, &local, st, &ops, NULL);
			ret = 0;
			while (!ret && off < str.len) {
				size_t c = 1 + (size_t)rng_below(&r, 70000);

				if (c > str.len - off)
					c = str.len - off;
				ret = mvgpu_dec_push(d, str.p + off, c);
				off += c;
			}
			if (!ret)
				ret = mvgpu_dec_finish(d);
			count[mvgpu_dec_error(d)]++;
			if (must_decode[v] && ret) {
				fprintf(stderr, "surface-fuzz: stream %s seed %u does not decode: %s\n",
					vnames[v], s, mvgpu_dec_why(d));
				bad = 1;
			}
			sf_stream_free(&str);
		}
		n = snprintf(line, sizeof(line), "stream %-11s %7zu bytes avg:", vnames[v],
			     bytes / seeds);
		for (int e = 0; e < MVGPU_STREAM_E_NR; e++)
			if (count[e])
				n += snprintf(line + n, sizeof(line) - (size_t)n, " %s %u",
					      e ? mvgpu_stream_strerror(e) : "ok", count[e]);
		printf("%s\n", line);
	}
	free(d);
	free(st);
	return bad;
}
