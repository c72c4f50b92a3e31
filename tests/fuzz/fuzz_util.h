/*
 * fuzz_util.h - what the libFuzzer targets of libmvgpu (fuzz_receive.c,
 * fuzz_image.c) share: the invariant check, an in-memory file, lz4 frames
 * repaired after mutation, and the seeders' output.
 */
#ifndef MVGPU_FUZZ_UTIL_H
#define MVGPU_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: invariant failed: %s\n",	\
				__FILE__, __LINE__, #cond);		\
			abort();					\
		}							\
	} while (0)

/* A memfd (aborts on failure); fz_load() makes it hold exactly @n bytes
 * at @p, positioned at 0. */
int fz_memfd(const char *name);
void fz_load(int fd, const void *p, size_t n);

/* An fd on /dev/null, for writing (opened once). */
int fz_devnull(void);

/*
 * fz_lz4_fix() - make the lz4 frame at @p (@n bytes, maybe cut short or
 * mutated) pass lz4's own checks where a mutation broke them: the frame
 * descriptor's checksum and, when the frame has them, every block's
 * checksum.  The content checksum (over the decoded bytes) is left as it
 * is.  Bytes that are not a frame are left alone.
 */
void fz_lz4_fix(uint8_t *p, size_t n);

/* Seeders: @dir/@name holds @n bytes at @p, or a libFuzzer dictionary of
 * @n entries (escaped as the dictionary format wants). */
void fz_write_file(const char *dir, const char *name, const void *p, size_t n);
void fz_write_dict(const char *dir, const char *name,
		   const char *const *words, size_t n);

#endif /* MVGPU_FUZZ_UTIL_H */
