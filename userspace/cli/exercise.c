/*
 * exercise.c - the `mvgpu exercise` workload model: layout, batch
 * generation and the shadow framebuffer (no device access here; see
 * cmd_exercise.c for running it on a vGPU).
 */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exercise.h"
#include "mvgpu_port.h"

/* ---- deterministic randomness ------------------------------------------- */

static uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

struct rng {
	uint64_t s;
};

static uint32_t rnd(struct rng *r)
{
	r->s = splitmix64(r->s);
	return (uint32_t)(r->s >> 32);
}

/* Uniform-enough value in [0, n); n > 0. */
static uint64_t rnd_below(struct rng *r, uint64_t n)
{
	return ((uint64_t)rnd(r) << 32 | rnd(r)) % n;
}

/* ---- layout ------------------------------------------------------------- */

int ex_layout_init(struct ex_layout *l, uint64_t fb_size, unsigned max_w,
		   unsigned max_h, unsigned nchan)
{
	unsigned c, rows_each;
	uint64_t tail_each;

	memset(l, 0, sizeof(*l));
	if (nchan < 1 || nchan > EX_MAX_CH || max_w < 64 || max_h < 64)
		return -EINVAL;
	l->fb_size = fb_size;
	l->width = max_w < 1024 ? max_w : 1024;
	l->height = max_h < 768 ? max_h : 768;
	l->stride = l->width * 4;
	l->disp_bytes = (uint64_t)l->stride * l->height;
	l->tail_bytes = EX_TAIL_BYTES;
	if (fb_size < l->tail_bytes || fb_size - l->tail_bytes < l->disp_bytes)
		return -EINVAL;
	l->tail_off = fb_size - l->tail_bytes;
	l->nchan = nchan;
	rows_each = l->height / nchan;
	tail_each = (l->tail_bytes / nchan) & ~4095ull;
	for (c = 0; c < nchan; c++) {
		l->ch[c].row0 = c * rows_each;
		l->ch[c].rows = c == nchan - 1 ? l->height - c * rows_each :
			       rows_each;
		l->ch[c].tail_off = l->tail_off + c * tail_each;
		l->ch[c].tail_len = c == nchan - 1 ?
				    fb_size - l->ch[c].tail_off : tail_each;
	}
	return 0;
}

/* ---- shadow ------------------------------------------------------------- */

uint8_t *ex_shadow_at(struct exercise *ex, uint64_t off, uint64_t len)
{
	const struct ex_layout *l = &ex->layout;

	if (off <= l->disp_bytes && len <= l->disp_bytes - off)
		return ex->shadow_disp + off;
	if (off >= l->tail_off && off - l->tail_off <= l->tail_bytes &&
	    len <= l->tail_bytes - (off - l->tail_off))
		return ex->shadow_tail + (off - l->tail_off);
	return NULL;
}

int64_t ex_shadow_apply(struct exercise *ex, const struct mvgpu_cmd *cmd,
			const uint8_t *up, uint64_t up_iova)
{
	uint32_t op = le32toh(cmd->op);
	uint64_t a = le64toh(cmd->a), b = le64toh(cmd->b), c = le64toh(cmd->c);
	uint8_t *dst, *src;
	uint64_t i;

	switch (op) {
	case MVGPU_OP_FILL: {
		uint32_t w = htole32((uint32_t)c);

		dst = ex_shadow_at(ex, a, b);
		if (!dst || a % 4 || b % 4)
			return -EINVAL;
		for (i = 0; i < b; i += 4)
			memcpy(dst + i, &w, 4);
		return (int64_t)b;
	}
	case MVGPU_OP_COPY:
		src = ex_shadow_at(ex, a, c);
		dst = ex_shadow_at(ex, b, c);
		if (!src || !dst || a % 4 || b % 4 || c % 4)
			return -EINVAL;
		memmove(dst, src, c);
		return (int64_t)c;
	case MVGPU_OP_DMA_TO_FB:
		dst = ex_shadow_at(ex, b, c);
		if (!dst || a < up_iova || a - up_iova > EX_XFER_BYTES ||
		    c > EX_XFER_BYTES - (a - up_iova) || b % 4 || c % 4)
			return -EINVAL;
		memcpy(dst, up + (a - up_iova), c);
		return (int64_t)c;
	case MVGPU_OP_DMA_FROM_FB:
		return ex_shadow_at(ex, a, c) ? (int64_t)c : -EINVAL;
	case MVGPU_OP_NOP:
	case MVGPU_OP_FENCE:
		return 0;
	default:
		return -EINVAL;
	}
}

int ex_init(struct exercise *ex, const struct ex_layout *l, unsigned nchan,
	    uint32_t seed)
{
	unsigned c;

	memset(ex, 0, sizeof(*ex));
	ex->layout = *l;
	ex->nchan = nchan;
	ex->seed = seed;
	ex->shadow_disp = calloc(1, l->disp_bytes);
	ex->shadow_tail = calloc(1, l->tail_bytes);
	if (!ex->shadow_disp || !ex->shadow_tail)
		goto nomem;
	for (c = 0; c < nchan; c++) {
		ex->batch[c].expect = calloc(1, EX_XFER_BYTES);
		if (!ex->batch[c].expect)
			goto nomem;
	}
	return 0;
nomem:
	ex_free(ex);
	return -ENOMEM;
}

void ex_free(struct exercise *ex)
{
	unsigned c;

	free(ex->shadow_disp);
	free(ex->shadow_tail);
	for (c = 0; c < EX_MAX_CH; c++) {
		free(ex->batch[c].cmds);
		free(ex->batch[c].expect);
	}
	ex->shadow_disp = ex->shadow_tail = NULL;
	memset(ex->batch, 0, sizeof(ex->batch));
}

/* ---- batches ------------------------------------------------------------ */

struct gen {
	struct exercise *ex;
	struct ex_batch *b;
	const uint8_t *up;
	uint64_t up_iova;
	int err;
};

/* Append @cmd to the batch and apply it to the shadow. */
static void emit(struct gen *g, struct mvgpu_cmd cmd)
{
	struct ex_batch *b = g->b;
	int64_t moved;

	if (g->err)
		return;
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 256;
		struct mvgpu_cmd *p = realloc(b->cmds, cap * sizeof(*p));

		if (!p) {
			g->err = -ENOMEM;
			return;
		}
		b->cmds = p;
		b->cap = cap;
	}
	moved = ex_shadow_apply(g->ex, &cmd, g->up, g->up_iova);
	if (moved < 0) {
		/* A generator bug: keep the batch valid, report it loudly. */
		fprintf(stderr, "mvgpu: exercise: generated a command outside its windows (op %u)\n",
			le32toh(cmd.op));
		g->err = -EINVAL;
		return;
	}
	b->cmds[b->n++] = cmd;
	b->bytes += (uint64_t)moved;
}

static void batch_reset(struct ex_batch *b)
{
	b->n = 0;
	b->ndl = 0;
	b->bytes = 0;
}

/* A random 4-aligned range of 4..@max bytes inside [@lo, @lo + @len). */
static void pick_range(struct rng *r, uint64_t lo, uint64_t len, uint64_t max,
		       uint64_t *off, uint64_t *n)
{
	uint64_t words = len / 4, w0, nw;

	w0 = rnd_below(r, words);
	nw = 1 + rnd_below(r, (words - w0) < max / 4 ? (words - w0) : max / 4);
	*off = lo + w0 * 4;
	*n = nw * 4;
}

/* Download fb [@off, +@n) to buffer offset @buf_off; expectation now. */
static void download(struct gen *g, uint64_t down_iova, uint64_t off,
		     uint64_t n, uint32_t buf_off)
{
	struct ex_batch *b = g->b;
	const uint8_t *s = ex_shadow_at(g->ex, off, n);

	if (!s || b->ndl >= sizeof(b->dl) / sizeof(b->dl[0]) ||
	    buf_off + n > EX_XFER_BYTES) {
		g->err = g->err ? g->err : -EINVAL;
		return;
	}
	emit(g, mvgpu_cmd_dma_from_fb(off, down_iova + buf_off, n));
	if (g->err)
		return;
	memcpy(b->expect + buf_off, s, n);
	b->dl[b->ndl].fb_off = off;
	b->dl[b->ndl].buf_off = buf_off;
	b->dl[b->ndl].len = (uint32_t)n;
	b->ndl++;
}

int ex_build(struct exercise *ex, unsigned c, uint64_t pass, uint8_t *up,
	     uint64_t up_iova, uint64_t down_iova)
{
	const struct ex_layout *l = &ex->layout;
	const unsigned W = l->width, S = l->stride;
	const unsigned r0 = l->ch[c].row0, nr = l->ch[c].rows;
	const uint64_t m0 = (uint64_t)r0 * S, mlen = (uint64_t)nr * S;
	const uint64_t t0 = l->ch[c].tail_off, tlen = l->ch[c].tail_len;
	struct rng r = { splitmix64(ex->seed ^ pass << 8 ^ c) };
	struct gen g = { ex, &ex->batch[c], up, up_iova, 0 };
	uint64_t off, n, src, dst, d;
	unsigned k, y;
	uint32_t i;

	batch_reset(g.b);

	/* Rectangles, one FILL per line, in per-pass colours. */
	for (k = 0; k < 3; k++) {
		unsigned x = (unsigned)rnd_below(&r, W);
		unsigned w = 1 + (unsigned)rnd_below(&r, W - x < 256 ? W - x : 256);
		unsigned yy = r0 + (unsigned)rnd_below(&r, nr);
		unsigned h = 1 + (unsigned)rnd_below(&r, r0 + nr - yy < 48 ?
						       r0 + nr - yy : 48);
		uint32_t colour = 0xff000000u | (rnd(&r) & 0xffffff);

		for (y = yy; y < yy + h; y++)
			emit(&g, mvgpu_cmd_fill((uint64_t)y * S + x * 4ull,
						w * 4ull, colour));
	}

	/* A range fill in the tail window; on odd passes the last channel's
	 * ends exactly at the end of the framebuffer. */
	pick_range(&r, t0, tlen, 64 << 10, &off, &n);
	if (c == l->nchan - 1 && pass % 2)
		off = l->fb_size - n;
	emit(&g, mvgpu_cmd_fill(off, n, rnd(&r)));

	/* A blit inside the channel's rows, line by line; source and
	 * destination may overlap, even within a line. */
	{
		unsigned w = 1 + (unsigned)rnd_below(&r, W / 4);
		unsigned h = 1 + (unsigned)rnd_below(&r, nr < 32 ? nr : 32);
		unsigned sx = (unsigned)rnd_below(&r, W - w + 1);
		unsigned sy = r0 + (unsigned)rnd_below(&r, nr - h + 1);
		unsigned dx = (unsigned)rnd_below(&r, W - w + 1);
		unsigned dy = r0 + (unsigned)rnd_below(&r, nr - h + 1);

		if (rnd(&r) % 2) {	/* half the time: overlapping */
			dx = sx + w / 2 < W - w ? sx + w / 2 : sx;
			dy = sy;
		}
		for (y = 0; y < h; y++)
			emit(&g, mvgpu_cmd_copy((uint64_t)(sy + y) * S + sx * 4ull,
						(uint64_t)(dy + y) * S + dx * 4ull,
						w * 4ull));
	}

	/* Overlapping linear copies in the tail: forward and backward. */
	for (k = 0; k < 2; k++) {
		d = 4 * (1 + rnd_below(&r, 1024));
		n = 4 * (1 + rnd_below(&r, 16384));
		if (n + d > tlen)
			n = (tlen - d) & ~3ull;
		src = t0 + 4 * rnd_below(&r, (tlen - n - d) / 4 + 1);
		dst = src + d;
		if (k)	/* backward: destination below the source */
			src += d, dst -= d;
		emit(&g, mvgpu_cmd_copy(src, dst, n));
	}

	/* A linear copy across lines of the channel's rows. */
	n = 4 * (1 + rnd_below(&r, (mlen / 2) / 4 < 3 * W ? (mlen / 2) / 4 : 3 * W));
	src = m0 + 4 * rnd_below(&r, (mlen - n) / 4 + 1);
	dst = m0 + 4 * rnd_below(&r, (mlen - n) / 4 + 1);
	emit(&g, mvgpu_cmd_copy(src, dst, n));

	/* Upload: a fresh pattern in guest memory, two pieces of it. */
	for (i = 0; i < EX_XFER_BYTES / 4; i++) {
		uint32_t v = htole32((uint32_t)splitmix64(pass << 40 ^ (uint64_t)c << 32 ^ i));

		memcpy(up + i * 4ull, &v, 4);
	}
	pick_range(&r, m0, mlen, 64 << 10, &off, &n);
	d = 4 * rnd_below(&r, (EX_XFER_BYTES - n) / 4 + 1);
	emit(&g, mvgpu_cmd_dma_to_fb(up_iova + d, off, n));
	pick_range(&r, t0, tlen, 64 << 10, &off, &n);
	d = 4 * rnd_below(&r, (EX_XFER_BYTES - n) / 4 + 1);
	emit(&g, mvgpu_cmd_dma_to_fb(up_iova + d, off, n));

	/* Downloads of what is there now, then overwrite part of the first
	 * range: the download must show the state before the overwrite. */
	pick_range(&r, m0, mlen, 64 << 10, &off, &n);
	download(&g, down_iova, off, n, 0);
	emit(&g, mvgpu_cmd_fill(off, (n / 2 + 3) & ~3ull, rnd(&r)));
	pick_range(&r, t0, tlen, 64 << 10, &off, &n);
	download(&g, down_iova, off, n, 64 << 10);
	/* The very end of the framebuffer, from the last channel. */
	if (c == l->nchan - 1)
		download(&g, down_iova, l->fb_size - 4096, 4096, 128 << 10);
	emit(&g, mvgpu_cmd_nop());
	return g.err;
}

int ex_build_clear(struct exercise *ex, unsigned c)
{
	const struct ex_layout *l = &ex->layout;
	struct gen g = { ex, &ex->batch[c], NULL, 0, 0 };

	batch_reset(g.b);
	emit(&g, mvgpu_cmd_fill((uint64_t)l->ch[c].row0 * l->stride,
				(uint64_t)l->ch[c].rows * l->stride, 0xff202020));
	emit(&g, mvgpu_cmd_fill(l->ch[c].tail_off, l->ch[c].tail_len, 0));
	return g.err;
}

int ex_compare(struct exercise *ex, const char *what, uint64_t fb_off,
	       const uint8_t *want, const uint8_t *got, size_t len)
{
	uint32_t w = 0, v = 0;
	size_t i, at, k;

	if (!memcmp(want, got, len))
		return 0;
	for (i = 0; i < len && want[i] == got[i]; i++)
		;
	at = i & ~(size_t)3;
	for (k = 0; k < 4 && at + k < len; k++) {
		w |= (uint32_t)want[at + k] << (8 * k);
		v |= (uint32_t)got[at + k] << (8 * k);
	}
	snprintf(ex->failure, sizeof(ex->failure),
		 "%s at fb offset 0x%llx: expected 0x%08x, got 0x%08x",
		 what, (unsigned long long)(fb_off + at), w, v);
	return -1;
}

/* ---- the state that travels --------------------------------------------- */

_Static_assert(sizeof(struct ex_wire_state) == 72, "ex_wire_state is 72 bytes");

uint64_t ex_shadow_digest(const struct exercise *ex)
{
	struct mvgpu_xxh64 h;

	mvgpu_xxh64_reset(&h);
	mvgpu_xxh64_update(&h, ex->shadow_disp, ex->layout.disp_bytes);
	mvgpu_xxh64_update(&h, ex->shadow_tail, ex->layout.tail_bytes);
	return mvgpu_xxh64_digest(&h);
}

void ex_state_encode(const struct exercise *ex, struct ex_wire_state *w)
{
	unsigned c;

	memset(w, 0, sizeof(*w));
	w->magic = htole32(EX_STATE_MAGIC);
	w->version = htole32(EX_STATE_VER);
	w->seed = htole32(ex->seed);
	w->nchan = htole32(ex->nchan);
	w->pass = htole64(ex->pass);
	w->fences = htole64(ex->fences);
	w->bytes_moved = htole64(ex->bytes_moved);
	w->fb_size = htole64(ex->layout.fb_size);
	for (c = 0; c < EX_MAX_CH; c++)
		w->fence[c] = htole32(ex->fence[c]);
	w->shadow_xxh64 = htole64(ex_shadow_digest(ex));
}

int ex_state_check(const struct ex_wire_state *w, size_t len, uint64_t fb_size,
		   char *why, size_t whylen)
{
	uint32_t ver = le32toh(w->version), nchan = le32toh(w->nchan);

	if (len < 8 || le32toh(w->magic) != EX_STATE_MAGIC) {
		snprintf(why, whylen, "the vGPU arrived without an exercise state (its source ran another workload)");
		return -EPROTO;
	}
	if (ver != EX_STATE_VER) {
		snprintf(why, whylen,
			 "the exercise state is version %u, this mvgpu takes version %u: run the same mvgpu on both hosts",
			 ver, EX_STATE_VER);
		return -EPROTO;
	}
	if (len != sizeof(*w)) {
		snprintf(why, whylen, "the exercise state is %zu bytes, not %zu", len,
			 sizeof(*w));
		return -EPROTO;
	}
	if (!nchan || nchan > EX_MAX_CH || le64toh(w->fb_size) != fb_size) {
		snprintf(why, whylen,
			 "the exercise state (%u channels, a %llu-byte framebuffer) does not fit this vGPU (%llu bytes)",
			 nchan, (unsigned long long)le64toh(w->fb_size),
			 (unsigned long long)fb_size);
		return -EPROTO;
	}
	if (le64toh(w->pass) > EX_PASS_MAX) {
		snprintf(why, whylen, "the exercise state claims pass %llu (at most %llu)",
			 (unsigned long long)le64toh(w->pass),
			 (unsigned long long)EX_PASS_MAX);
		return -EPROTO;
	}
	return 0;
}

int ex_adopt_shadow(struct exercise *ex, const uint8_t *fb,
		    const struct ex_wire_state *w)
{
	const struct ex_layout *l = &ex->layout;
	uint64_t got, want = le64toh(w->shadow_xxh64);

	memcpy(ex->shadow_disp, fb, l->disp_bytes);
	memcpy(ex->shadow_tail, fb + l->tail_off, l->tail_bytes);
	got = ex_shadow_digest(ex);
	if (got == want)
		return 0;
	snprintf(ex->failure, sizeof(ex->failure),
		 "framebuffer after migration is not the source's: XXH64 %016llx of the drawn windows, the source's %016llx",
		 (unsigned long long)got, (unsigned long long)want);
	return -1;
}
