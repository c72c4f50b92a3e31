// SPDX-License-Identifier: MIT
/*
 * pagemap.c - framebuffer pages by their last record (pagemap.h): two
 * summarised bitmaps, so that a ZERO record costs what it changes.
 *
 * In a struct pagemap_bits, level 0 has a bit per page; each level above
 * has a bit per word of the level below, set exactly when that word is not
 * zero; the top level is one word.  Finding the next set bit climbs only
 * as far as the words below are empty, so it costs O(levels); emptying a
 * range visits only its non-empty words.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pagemap.h"

#define PM_NONE		UINT64_MAX

static uint64_t pm_words(uint64_t bits)
{
	return bits / 64 + !!(bits % 64);
}

static void pm_bits_free(struct pagemap_bits *b)
{
	unsigned l;

	for (l = 0; l < b->levels; l++)
		free(b->w[l]);
	memset(b, 0, sizeof(*b));
}

/* @bits bits, all clear, or all set when @full. */
static int pm_bits_init(struct pagemap_bits *b, uint64_t bits, int full)
{
	uint64_t n = bits ? bits : 1, words, i;
	unsigned l;

	memset(b, 0, sizeof(*b));
	for (l = 0; l < PAGEMAP_LEVELS; l++) {
		words = pm_words(n);
		b->nbits[l] = n;
		b->w[l] = calloc(words, sizeof(uint64_t));
		b->levels = l + 1;
		if (!b->w[l]) {
			pm_bits_free(b);
			return -ENOMEM;
		}
		if (full && bits) {
			for (i = 0; i < n / 64; i++)
				b->w[l][i] = ~0ull;
			if (n % 64)
				b->w[l][n / 64] = (1ull << (n % 64)) - 1;
		}
		if (words == 1)
			break;
		n = words;
	}
	return 0;
}

static void pm_set(struct pagemap_bits *b, uint64_t i)
{
	unsigned l;

	for (l = 0; l < b->levels; l++) {
		uint64_t *w = &b->w[l][i / 64], was = *w;

		*w |= 1ull << (i % 64);
		if (was)
			return;	/* the levels above knew the word */
		i /= 64;
	}
}

/* Bit @i of level @l is cleared: so are the summaries of emptied words. */
static void pm_clear_up(struct pagemap_bits *b, unsigned l, uint64_t i)
{
	for (; l < b->levels; l++) {
		uint64_t *w = &b->w[l][i / 64];

		*w &= ~(1ull << (i % 64));
		if (*w)
			return;
		i /= 64;
	}
}

/* The first set bit of level @l at or after @i, or PM_NONE. */
static uint64_t pm_next(const struct pagemap_bits *b, unsigned l, uint64_t i)
{
	for (;;) {
		uint64_t word = i / 64, v, next;

		if (i >= b->nbits[l])
			return PM_NONE;
		v = b->w[l][word] & (~0ull << (i % 64));
		if (v)
			return word * 64 + (uint64_t)__builtin_ctzll(v);
		if (l + 1 == b->levels)
			return PM_NONE;	/* the top: one word */
		next = pm_next(b, l + 1, word + 1);
		if (next == PM_NONE)
			return PM_NONE;
		i = next * 64;	/* a non-empty word: found next time */
	}
}

/* Clear [@first, @end) of level 0, visiting its non-empty words only. */
static void pm_clear_range(struct pagemap_bits *b, uint64_t first,
			   uint64_t end)
{
	uint64_t i = pm_next(b, 0, first);

	while (i < end) {
		uint64_t word = i / 64, base = word * 64;
		uint64_t lo = first > base ? first - base : 0;
		uint64_t hi = end - base < 64 ? end - base : 64;
		uint64_t mask = (hi == 64 ? ~0ull : (1ull << hi) - 1) & (~0ull << lo);

		b->w[0][word] &= ~mask;
		if (!b->w[0][word])
			pm_clear_up(b, 1, word);
		if (hi < 64)
			return;
		i = pm_next(b, 0, base + 64);
	}
}

int pagemap_init(struct pagemap *m, uint64_t pages)
{
	memset(m, 0, sizeof(*m));
	m->pages = pages;
	if (pm_bits_init(&m->data, pages, 0) ||
	    pm_bits_init(&m->unnamed, pages, 1)) {
		pagemap_free(m);
		return -ENOMEM;
	}
	return 0;
}

void pagemap_free(struct pagemap *m)
{
	pm_bits_free(&m->data);
	pm_bits_free(&m->unnamed);
}

void pagemap_page(struct pagemap *m, uint64_t index)
{
	pm_set(&m->data, index);
}

void pagemap_zero(struct pagemap *m, uint64_t first, uint64_t count)
{
	pm_clear_range(&m->data, first, first + count);
	pm_clear_range(&m->unnamed, first, first + count);
}

void pagemap_count(const struct pagemap *m, uint64_t *data, uint64_t *zero)
{
	uint64_t i, d = 0, other = 0;

	for (i = 0; m->pages && i < pm_words(m->pages); i++) {
		uint64_t dw = m->data.w[0][i];

		d += (uint64_t)__builtin_popcountll(dw);
		/* a page is never sent when it has no data and no ZERO named it */
		other += (uint64_t)__builtin_popcountll(dw | m->unnamed.w[0][i]);
	}
	*data = d;
	*zero = m->pages - other;
}
