// SPDX-License-Identifier: MIT
/*
 * bench_image.c - `make bench-image`: how fast an image is saved, natively.
 *
 * A synthetic vGPU stream (proto's encoder over a framebuffer that is
 * mostly zero pages, some console-text pages and some noise) sits in a
 * memfd, which plays the vGPU's migration data fd: each read copies out of
 * kernel memory, as the VFIO data fd does.  The same bytes then go, side
 * by side in one run:
 *
 *   memcpy                    the bytes copied once in memory
 *   lz4 -1 in memory          LZ4F_compressFrame() on one core, no I/O
 *   plain pipeline            write() into a pipe to `lz4 -1 - FILE`
 *   mvgpu image write         the save pipeline (io_uring + lz4 thread)
 *   mvgpu image check         the restore's native validation pass
 *   mvgpu image extract       the restore's feeding pass (to /dev/null)
 *
 * Files go to a tmpfs (/dev/shm), so the disk is not what is measured.
 * Each figure is the best of --runs (default 3).  Stream MB/s: stream
 * bytes over wall time.
 *
 * usage: bench_image [--type N] [--runs N] [--zero PCT] [--text PCT]
 *                    [--dir DIR] [--keep]
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <lz4frame.h>

#include "mvgpu.h"
#include "mvgpu_stream.h"

#define PG MVGPU_STREAM_PAGE_SIZE

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#include "fbgen.h"

struct stream {
	uint8_t *buf;
	size_t len, cap;
	uint64_t zero, text, noise;
};

static void put(struct stream *s, ssize_t n)
{
	if (n < 0) {
		fprintf(stderr, "encoder: %zd\n", n);
		exit(1);
	}
	s->len += (size_t)n;
}

static void build(struct stream *s, unsigned type, unsigned zero_pct,
		  unsigned text_pct)
{
	struct mvgpu_compat_info in;
	struct mvgpu_state st;
	struct mvgpu_enc e;
	uint8_t p[PG];
	uint64_t pages, i;

	font_init();
	if (mvgpu_compat_local(&in, type, "0.1.0")) {
		fprintf(stderr, "no type %u\n", type);
		exit(2);
	}
	pages = in.fb_size / PG;
	s->cap = (size_t)(pages * MVGPU_ENC_PAGE_BYTES_MAX) + (1 << 20);
	s->buf = mmap(NULL, s->cap, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (s->buf == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	mvgpu_enc_init(&e, &in);
	put(s, mvgpu_enc_desc(&e, s->buf + s->len, s->cap - s->len));
	for (i = 0; i < pages; i++) {
		/* regions, as screens have them: a band of text, blank space,
		 * a picture (noise) now and then */
		uint64_t band = i / 512, r = (band * 2654435761u) % 100;

		if (r < zero_pct) {
			memset(p, 0, PG);
			s->zero++;
		} else if (r < zero_pct + text_pct) {
			text_page(p, i);
			s->text++;
		} else {
			noise_page(p);
			s->noise++;
		}
		put(s, mvgpu_enc_page(&e, s->buf + s->len, s->cap - s->len, i, p));
	}
	memset(&st, 0, sizeof(st));
	mvgpu_put_le16(st.cfg + 0x00, MVGPU_PCI_VENDOR_ID);
	mvgpu_put_le16(st.cfg + 0x02, MVGPU_PCI_DEVICE_ID);
	mvgpu_put_le16(st.cfg + 0x2c, MVGPU_PCI_SUBVENDOR_ID);
	mvgpu_put_le16(st.cfg + 0x2e, MVGPU_PCI_SUBDEV_BASE + type);
	st.disp = (struct mvgpu_state_display){ 1024, 768, 7680,
		MVGPU_FMT_XRGB8888, 0, 1 };
	put(s, mvgpu_enc_state(&e, s->buf + s->len, s->cap - s->len, &st));
	put(s, mvgpu_enc_end(&e, s->buf + s->len, s->cap - s->len));
}

/* ---- the contenders -------------------------------------------------------- */

struct result {
	const char *name;
	double best;		/* seconds */
	uint64_t out;		/* compressed bytes, 0: none */
};

static double mbps(const struct stream *s, double secs)
{
	return secs > 0 ? (double)s->len / secs / 1e6 : 0;
}

static double run_memcpy(const struct stream *s, uint8_t *dst)
{
	double t = now();

	memcpy(dst, s->buf, s->len);
	__asm__ volatile("" : : "r"(dst) : "memory");
	return now() - t;
}

static double run_lz4_mem(const struct stream *s, uint8_t *dst, size_t room,
			  uint64_t *out)
{
	LZ4F_preferences_t p;
	double t;
	size_t n;

	memset(&p, 0, sizeof(p));
	p.frameInfo.blockSizeID = LZ4F_max4MB;
	p.frameInfo.blockMode = LZ4F_blockIndependent;
	p.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
	p.frameInfo.blockChecksumFlag = LZ4F_blockChecksumEnabled;
	p.compressionLevel = 1;
	t = now();
	n = LZ4F_compressFrame(dst, room, s->buf, s->len, &p);
	t = now() - t;
	if (LZ4F_isError(n)) {
		fprintf(stderr, "lz4: %s\n", LZ4F_getErrorName(n));
		exit(1);
	}
	*out = n;
	return t;
}

static uint64_t file_size(const char *path)
{
	struct stat sb;

	return stat(path, &sb) ? 0 : (uint64_t)sb.st_size;
}

static double run_plain(const struct stream *s, const char *path, uint64_t *out)
{
	char cmd[600];
	FILE *f;
	size_t off = 0;
	double t;

	snprintf(cmd, sizeof(cmd), "lz4 -1 -q -f - '%s'", path);
	t = now();
	f = popen(cmd, "w");
	if (!f) {
		perror("popen lz4");
		exit(1);
	}
	while (off < s->len) {
		size_t n = s->len - off < (1 << 20) ? s->len - off : (1 << 20);

		if (fwrite(s->buf + off, 1, n, f) != n) {
			perror("writing to lz4");
			exit(1);
		}
		off += n;
	}
	if (pclose(f) != 0) {
		fprintf(stderr, "lz4 failed: is the lz4 package installed?\n");
		exit(1);
	}
	t = now() - t;
	*out = file_size(path);
	return t;
}

static double run_write(mvgpu_ctx *ctx, int mfd, const char *path,
			const char *version, uint64_t *out, int *registered)
{
	mvgpu_image_stats st;
	double t;

	lseek(mfd, 0, SEEK_SET);
	t = now();
	if (mvgpu_image_write(ctx, mfd, path, version, NULL, &st)) {
		fprintf(stderr, "mvgpu_image_write: %s\n", mvgpu_last_error(ctx));
		exit(1);
	}
	t = now() - t;
	*out = st.file_bytes;
	*registered = st.registered;
	return t;
}

static double run_check(mvgpu_ctx *ctx, const char *path, int extract)
{
	mvgpu_image *img;
	double t;
	int ret, fd = -1;

	if (mvgpu_image_open(ctx, path, &img)) {
		fprintf(stderr, "open: %s\n", mvgpu_last_error(ctx));
		exit(1);
	}
	if (extract)
		fd = open("/dev/null", O_WRONLY);
	t = now();
	ret = extract ? mvgpu_image_extract(img, fd, NULL, NULL)
		      : mvgpu_image_check(img, NULL, NULL, NULL);
	t = now() - t;
	if (ret) {
		fprintf(stderr, "%s: %s\n", extract ? "extract" : "check",
			mvgpu_last_error(ctx));
		exit(1);
	}
	if (fd >= 0)
		close(fd);
	mvgpu_image_close(img);
	return t;
}

int main(int argc, char **argv)
{
	unsigned type = 3, runs = 3, zero = 60, text = 30;
	const char *base = "/dev/shm";
	char dir[256], img[300], plain[300];
	char version[MVGPU_COMPAT_STR_MAX];
	struct mvgpu_compat_info ci;
	struct result r[6] = {
		{ "memcpy", 1e9, 0 },
		{ "lz4 -1 in memory, 1 core", 1e9, 0 },
		{ "plain: pipe | lz4 -1 > file", 1e9, 0 },
		{ "mvgpu save pipeline", 1e9, 0 },
		{ "mvgpu restore: validate", 1e9, 0 },
		{ "mvgpu restore: feed", 1e9, 0 },
	};
	struct stream s = { 0 };
	mvgpu_ctx *ctx;
	uint8_t *dst;
	size_t room;
	int mfd, keep = 0, registered = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--type") && i + 1 < argc)
			type = (unsigned)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
			runs = (unsigned)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--zero") && i + 1 < argc)
			zero = (unsigned)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--text") && i + 1 < argc)
			text = (unsigned)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
			base = argv[++i];
		else if (!strcmp(argv[i], "--keep"))
			keep = 1;
		else {
			fprintf(stderr, "usage: %s [--type N] [--runs N] [--zero PCT] [--text PCT] [--dir DIR] [--keep]\n",
				argv[0]);
			return 2;
		}
	}
	if (zero + text > 100 || !runs)
		return 2;
	signal(SIGPIPE, SIG_IGN);
	build(&s, type, zero, text);
	mvgpu_compat_local(&ci, type, "0.1.0");
	mvgpu_compat_format(&ci, version, sizeof(version));
	snprintf(dir, sizeof(dir), "%s/bench-image.XXXXXX", base);
	if (!mkdtemp(dir)) {
		perror(dir);
		return 1;
	}
	snprintf(img, sizeof(img), "%s/a.img", dir);
	snprintf(plain, sizeof(plain), "%s/a.lz4", dir);
	mfd = memfd_create("stream", MFD_CLOEXEC);
	if (mfd < 0 || write(mfd, s.buf, s.len) != (ssize_t)s.len) {
		perror("memfd");
		return 1;
	}
	room = LZ4F_compressFrameBound(s.len, NULL) + (1 << 20);
	dst = malloc(room);
	memset(dst, 1, room);	/* faulted in: not part of the figures */
	if (mvgpu_ctx_create(&ctx, "/nonexistent"))
		return 1;

	for (unsigned k = 0; k < runs; k++) {
		double t;

		t = run_memcpy(&s, dst);
		if (t < r[0].best)
			r[0].best = t;
		t = run_lz4_mem(&s, dst, room, &r[1].out);
		if (t < r[1].best)
			r[1].best = t;
		t = run_plain(&s, plain, &r[2].out);
		if (t < r[2].best)
			r[2].best = t;
		unlink(plain);
		t = run_write(ctx, mfd, img, version, &r[3].out, &registered);
		if (t < r[3].best)
			r[3].best = t;
		t = run_check(ctx, img, 0);
		if (t < r[4].best)
			r[4].best = t;
		t = run_check(ctx, img, 1);
		if (t < r[5].best)
			r[5].best = t;
	}
	r[4].out = r[5].out = r[3].out;

	printf("stream: %.1f MB (%s: %llu zero pages, %llu text, %llu noise), files on %s, best of %u, %ld CPUs\n",
	       (double)s.len / 1e6, ci.type, (unsigned long long)s.zero,
	       (unsigned long long)s.text, (unsigned long long)s.noise, base,
	       runs, sysconf(_SC_NPROCESSORS_ONLN));
	printf("%-30s %10s %8s %10s\n", "", "stream MB/s", "ratio", "vs plain");
	for (int i = 0; i < 6; i++) {
		printf("%-30s %10.0f", r[i].name, mbps(&s, r[i].best));
		if (r[i].out)
			printf(" %7.2fx", (double)s.len / (double)r[i].out);
		else
			printf(" %8s", "");
		if (i >= 2 && i <= 3)
			printf(" %9.2fx", r[2].best / r[i].best);
		printf("\n");
	}
	printf("save pipeline: %.2fx the plain pipeline (aim 2x), %.2f of 1-core lz4 (aim 0.5); registered buffers: %s\n",
	       r[2].best / r[3].best, r[1].best / r[3].best,
	       registered ? "yes" : "no");
	if (!keep) {
		unlink(img);
		rmdir(dir);
	} else {
		printf("kept: %s\n", img);
	}
	mvgpu_ctx_free(ctx);
	return 0;
}
