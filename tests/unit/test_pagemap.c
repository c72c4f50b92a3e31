/*
 * test_pagemap.c - userspace/lib/pagemap.c: each framebuffer page's last
 * record (data, zero, never sent) against a byte-per-page map, for sizes
 * around the 64-page words and their summaries, under random PAGE and
 * ZERO records; and a ZERO record costs what it changes, not what it names.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <criterion/criterion.h>

#include "pagemap.h"

TestSuite(pagemap, .timeout = 60);

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void expect_counts(const struct pagemap *m, const uint8_t *ref,
			  uint64_t pages, unsigned step)
{
	uint64_t d = 0, z = 0, md, mz, i;

	for (i = 0; i < pages; i++) {
		d += ref[i] == 1;
		z += ref[i] == 2;
	}
	pagemap_count(m, &md, &mz);
	cr_assert_eq(md, d, "%llu pages, step %u: %llu data, want %llu",
		     (unsigned long long)pages, step, (unsigned long long)md,
		     (unsigned long long)d);
	cr_assert_eq(mz, z, "%llu pages, step %u: %llu zero, want %llu",
		     (unsigned long long)pages, step, (unsigned long long)mz,
		     (unsigned long long)z);
}

Test(pagemap, matches_a_page_by_page_map)
{
	static const uint64_t sizes[] = {
		1, 2, 63, 64, 65, 127, 128, 4095, 4096, 4097, 262143, 262144,
		262145, 300000,
	};
	unsigned s, step;

	for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		uint64_t pages = sizes[s];
		uint8_t *ref = calloc(1, pages);
		struct pagemap m;

		cr_assert_not_null(ref);
		cr_assert_eq(pagemap_init(&m, pages), 0);
		expect_counts(&m, ref, pages, 0);
		for (step = 1; step <= 3000; step++) {
			uint64_t r = next_rand(), first, count;

			if (r % 3) {
				/* pages near the ends and word edges as often
				 * as anywhere */
				first = r % 2 ? next_rand() % pages :
					(pages - 1) & ~(uint64_t)(next_rand() % 64);
				pagemap_page(&m, first);
				ref[first] = 1;
			} else {
				first = next_rand() % pages;
				count = 1 + next_rand() % (r % 5 ? 130 : pages - first);
				if (count > pages - first)
					count = pages - first;
				pagemap_zero(&m, first, count);
				memset(ref + first, 2, count);
			}
			if (step % 100 == 0 || pages < 200)
				expect_counts(&m, ref, pages, step);
		}
		/* the whole map zeroed, then written page by page */
		pagemap_zero(&m, 0, pages);
		memset(ref, 2, pages);
		expect_counts(&m, ref, pages, step);
		pagemap_page(&m, pages - 1);
		ref[pages - 1] = 1;
		expect_counts(&m, ref, pages, step + 1);
		pagemap_free(&m);
		pagemap_free(&m);	/* a freed map is a no-op */
		free(ref);
	}
}

Test(pagemap, empty_framebuffer)
{
	struct pagemap m;
	uint64_t d = 1, z = 1;

	cr_assert_eq(pagemap_init(&m, 0), 0);
	pagemap_count(&m, &d, &z);
	cr_assert_eq(d, 0);
	cr_assert_eq(z, 0);
	pagemap_free(&m);
}

/* 16 Mi pages (64 GiB): a million ZERO records over all of it, pages in
 * between, in much less than a second each way. */
Test(pagemap, a_zero_record_costs_what_it_changes)
{
	const uint64_t pages = 1ull << 24;
	struct timespec t0, t1;
	struct pagemap m;
	uint64_t d, z, i;
	double secs;

	cr_assert_eq(pagemap_init(&m, pages), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 1000000; i++) {
		if (i % 1000 == 0)
			pagemap_page(&m, (i * 7919) % pages);
		pagemap_zero(&m, i & 1, pages - 1);
	}
	pagemap_page(&m, 12345);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	cr_assert_lt(secs, 5.0, "a million whole-framebuffer ZERO records: %.1f s",
		     secs);
	pagemap_count(&m, &d, &z);
	cr_assert_eq(d, 1);
	cr_assert_eq(z, pages - 1);
	pagemap_free(&m);
}
