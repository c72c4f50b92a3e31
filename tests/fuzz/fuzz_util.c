// SPDX-License-Identifier: MIT
/*
 * fuzz_util.c - helpers of the libmvgpu fuzz targets (fuzz_util.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xxhash.h>

#include "fuzz_util.h"

#define LZ4_MAGIC	0x184d2204u
#define LZ4_FLG_DICT	0x01u
#define LZ4_FLG_CSUM	0x04u	/* content checksum */
#define LZ4_FLG_SIZE	0x08u	/* content size */
#define LZ4_FLG_BSUM	0x10u	/* block checksums */
#define LZ4_RAW_BLOCK	0x80000000u

int fz_memfd(const char *name)
{
	int fd = memfd_create(name, MFD_CLOEXEC);

	CHECK(fd >= 0);
	return fd;
}

void fz_load(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t done = 0;
	ssize_t w;

	CHECK(!ftruncate(fd, 0));
	while (done < n) {
		w = pwrite(fd, b + done, n - done, (off_t)done);
		CHECK(w > 0);
		done += (size_t)w;
	}
	CHECK(lseek(fd, 0, SEEK_SET) == 0);
}

int fz_devnull(void)
{
	static int fd = -1;

	if (fd < 0)
		fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	CHECK(fd >= 0);
	return fd;
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

void fz_lz4_fix(uint8_t *p, size_t n)
{
	size_t desc, pos;
	uint8_t flg;

	if (n < 7 || get_le32(p) != LZ4_MAGIC)
		return;
	flg = p[4];
	desc = 2 + (flg & LZ4_FLG_SIZE ? 8 : 0) + (flg & LZ4_FLG_DICT ? 4 : 0);
	if (4 + desc + 1 > n)
		return;
	p[4 + desc] = (uint8_t)(XXH32(p + 4, desc, 0) >> 8);
	pos = 4 + desc + 1;
	while (pos + 4 <= n) {
		uint32_t size = get_le32(p + pos) & ~LZ4_RAW_BLOCK;

		if (!size)
			return;	/* the end mark */
		pos += 4;
		if (size > n - pos)
			return;
		if (flg & LZ4_FLG_BSUM) {
			if (n - pos - size < 4)
				return;
			put_le32(p + pos + size, XXH32(p + pos, size, 0));
			pos += 4;
		}
		pos += size;
	}
}

void fz_write_file(const char *dir, const char *name, const void *p, size_t n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	CHECK(f);
	CHECK(fwrite(p, 1, n, f) == n);
	CHECK(!fclose(f));
}

void fz_write_dict(const char *dir, const char *name,
		   const char *const *words, size_t n)
{
	char path[4096];
	size_t i;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	CHECK(f);
	for (i = 0; i < n; i++)
		fprintf(f, "kw%zu=\"%s\"\n", i, words[i]);
	CHECK(!fclose(f));
}
