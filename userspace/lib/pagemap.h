/*
 * pagemap.h - libmvgpu private: what a stream did to each framebuffer
 * page - its last record a PAGE (data), a ZERO, or none (never sent) - as
 * image.c's check counts it for the summary.
 *
 * A stream names pages in records that cost it a few bytes each: a ZERO
 * record of 32 bytes may name a whole framebuffer (up to 16 Mi pages), and
 * a hostile stream may send millions of them.  So a ZERO costs what it
 * changes, not the range it names (the kernel's load does the same with
 * its staged pages, kernel/mig_stream.c): two bitmaps with a summary of
 * their non-empty words above them (64-ary, as the kernel's find_next_bit
 * does it over a bitmap of bitmaps), the pages with data and the pages no
 * ZERO has named yet.  A PAGE and a ZERO record cost O(log64 pages) plus
 * one step per 64-page word the ZERO empties - each emptied once per PAGE
 * that filled it (or once at all, for the never-named set) - and 2 bits a
 * page: 4 MiB for a 64 GiB framebuffer.
 */
#ifndef MVGPU_PAGEMAP_H
#define MVGPU_PAGEMAP_H

#include <stdint.h>

#define PAGEMAP_LEVELS	11	/* 64^11 > 2^64: any page count */

/* A set of page indices, with the summary levels above it. */
struct pagemap_bits {
	uint64_t *w[PAGEMAP_LEVELS];	/* w[0]: a bit per page; w[l + 1]:
					 * a bit per non-zero word of w[l] */
	uint64_t nbits[PAGEMAP_LEVELS];
	unsigned levels;
};

struct pagemap {
	uint64_t pages;
	struct pagemap_bits data;	/* the last record was a PAGE */
	struct pagemap_bits unnamed;	/* no ZERO record named it */
};

/* Every one of @pages pages never sent.  Return: 0 or -ENOMEM. */
int pagemap_init(struct pagemap *m, uint64_t pages);
/* Frees what pagemap_init() allocated; a zeroed or freed map is a no-op. */
void pagemap_free(struct pagemap *m);

/* A PAGE record for @index (< pages). */
void pagemap_page(struct pagemap *m, uint64_t index);
/* A ZERO record for [@first, @first + @count) (inside the framebuffer). */
void pagemap_zero(struct pagemap *m, uint64_t first, uint64_t count);

/* Pages whose last record is a PAGE, and a ZERO; the rest were never sent. */
void pagemap_count(const struct pagemap *m, uint64_t *data, uint64_t *zero);

#endif /* MVGPU_PAGEMAP_H */
