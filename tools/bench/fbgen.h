/*
 * fbgen.h - the synthetic framebuffer of the native benchmarks
 * (bench_image.c, bench_transfer.c): console text pages and noise pages,
 * deterministic.  Include after defining PG (the page size).
 */
#ifndef MVGPU_BENCH_FBGEN_H
#define MVGPU_BENCH_FBGEN_H

#include <stdint.h>
#include <string.h>

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/*
 * A 1920-pixel-wide console: 8x16 glyph cells, one of 96 glyphs (random
 * 8-bit rows of a made-up font), a colour pair per text line.  A 4 KiB
 * page holds 1024 pixels of one scanline: a run of 128 cells.
 */
static uint8_t font[96][16];

static void text_page(uint8_t *p, uint64_t index)
{
	static const uint32_t fg[] = { 0xe0e0e0, 0x30ff30, 0xffcc00, 0x66aaff };
	static const uint32_t bg[] = { 0x101018, 0x000000, 0x202040, 0x300000 };
	uint64_t line = index / 8;		/* 2 pages per scanline, 16 rows */
	unsigned row = (unsigned)(index / 2 % 16), cell, bit;
	uint32_t *px = (uint32_t *)p, f = fg[line % 4], b = bg[line / 7 % 4];
	uint64_t h = line * 0x9e3779b97f4a7c15ull + (index & 1) * 7919;

	for (cell = 0; cell < 128; cell++) {
		unsigned g;

		h = h * 6364136223846793005ull + 1442695040888963407ull;
		/* lines end early: spaces after the text */
		g = cell > 40 + (line % 60) ? 0 : (unsigned)(h >> 58) + 1;
		for (bit = 0; bit < 8; bit++)
			px[cell * 8 + bit] = (font[g % 96][row] >> bit) & 1 ? f : b;
	}
}

static void noise_page(uint8_t *p)
{
	for (unsigned i = 0; i < PG; i += 8) {
		uint64_t v = next();

		memcpy(p + i, &v, 8);
	}
}

/* The made-up font: 96 glyphs of 16 rows, blank above and below. */
static void font_init(void)
{
	for (unsigned i = 1; i < 96; i++)
		for (unsigned r = 0; r < 16; r++)
			font[i][r] = r < 3 || r > 13 ? 0 : (uint8_t)next();
}

#endif
