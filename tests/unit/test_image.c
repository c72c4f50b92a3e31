/*
 * test_image.c - image files (userspace/lib/image.c, uring_io.c) natively:
 * a synthetic stream from proto's encoder through the writer and back
 * (memfd and pipe "vGPUs"), the summary and framebuffer a restore would
 * produce, truncation and corruption everywhere, a fuzzed header parser,
 * incompatible targets, atomic writes under ENOSPC and EFBIG and on
 * cancel, and `mvgpu inspect` (text, JSON, PNG) on a synthetic image.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <lz4frame.h>

#include "image.h"
#include "json_check.h"
#include "mvgpu.h"
#include "mvgpu_stream.h"

#ifndef MVGPU_TEST_CLI
#define MVGPU_TEST_CLI "build/asan/bin/mvgpu"
#endif

#define PG		MVGPU_STREAM_PAGE_SIZE
#define FB_SIZE		(64ull << 20)		/* type 0, mvgpu-64M */
#define FB_PAGES	(FB_SIZE / PG)

extern char **environ;

/* ---- a synthetic vGPU stream ------------------------------------------------ */

struct sstream {
	uint8_t *buf;
	size_t len, cap;
	uint8_t *fb;		/* the framebuffer a restore must produce */
	struct mvgpu_state st;
};

static struct mvgpu_compat_info type_info(unsigned idx)
{
	struct mvgpu_compat_info in;

	cr_assert_eq(mvgpu_compat_local(&in, idx, "0.1.0"), 0);
	return in;
}

static const char *version_of(unsigned idx)
{
	static char s[4][MVGPU_COMPAT_STR_MAX];
	struct mvgpu_compat_info in = type_info(idx);

	cr_assert_gt(mvgpu_compat_format(&in, s[idx], sizeof(s[idx])), 0);
	return s[idx];
}

/* Type @idx's migration_version on a parent whose ECC mode is @ecc. */
static const char *version_ecc(unsigned idx, __u32 ecc)
{
	static char s[3][MVGPU_COMPAT_STR_MAX];
	struct mvgpu_compat_info in = type_info(idx);

	in.ecc = ecc;
	cr_assert_gt(mvgpu_compat_format(&in, s[ecc], sizeof(s[ecc])), 0);
	return s[ecc];
}

static void put(struct sstream *s, ssize_t (*fn)(struct mvgpu_enc *, void *, size_t),
		struct mvgpu_enc *e)
{
	ssize_t n;

	if (s->cap - s->len < MVGPU_ENC_BUF_MIN + MVGPU_ENC_STATE_BYTES) {
		s->cap = s->cap * 2 + (1 << 20);
		s->buf = realloc(s->buf, s->cap);
	}
	n = fn(e, s->buf + s->len, s->cap - s->len);
	cr_assert_geq(n, 0);
	s->len += (size_t)n;
}

static struct mvgpu_enc *g_enc;
static uint64_t g_index;
static const void *g_data;
static const struct mvgpu_state *g_st;

static ssize_t do_page(struct mvgpu_enc *e, void *d, size_t r)
{
	return mvgpu_enc_page(e, d, r, g_index, g_data);
}

static ssize_t do_state(struct mvgpu_enc *e, void *d, size_t r)
{
	return mvgpu_enc_state(e, d, r, g_st);
}

static void page(struct sstream *s, uint64_t index, const uint8_t *data)
{
	g_index = index;
	g_data = data;
	put(s, do_page, g_enc);
	memcpy(s->fb + index * PG, data, PG);
}

/* Console text: a background with glyph-like runs, as a screen of text. */
static void text_page(uint8_t *p, uint64_t index)
{
	uint32_t *px = (uint32_t *)p;

	for (unsigned i = 0; i < PG / 4; i++) {
		unsigned x = i % 64, glyph = (unsigned)((index * 31 + i / 8) % 7);

		px[i] = (x % 8 < 2 || !glyph) ? 0x00202030 : 0x00e0e0e0;
	}
}

static uint64_t rng = 88172645463325252ull;

static uint64_t xorshift(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void noise_page(uint8_t *p)
{
	for (unsigned i = 0; i < PG; i += 8) {
		uint64_t v = xorshift();

		memcpy(p + i, &v, 8);
	}
}

static void valid_state(struct mvgpu_state *st, unsigned type_index)
{
	memset(st, 0, sizeof(*st));
	mvgpu_put_le16(st->cfg + 0x00, MVGPU_PCI_VENDOR_ID);
	mvgpu_put_le16(st->cfg + 0x02, MVGPU_PCI_DEVICE_ID);
	mvgpu_put_le16(st->cfg + 0x2c, MVGPU_PCI_SUBVENDOR_ID);
	mvgpu_put_le16(st->cfg + 0x2e, MVGPU_PCI_SUBDEV_BASE + type_index);
	st->intr_status = MVGPU_INTR_FENCE(0);
	st->intr_mask = MVGPU_INTR_ALL;
	st->scratch = 0x5eed;
	st->irq_kind = MVGPU_IRQ_KIND_MSI;
	st->disp = (struct mvgpu_state_display){ 640, 480, 2560,
		MVGPU_FMT_XRGB8888, 0, 1 };
	st->ch[0].ring_base = 0x40000000ull;
	st->ch[0].ring_size = 0x10000;
	st->ch[0].ctrl = MVGPU_CH_CTRL_ENABLE;
	st->ch[0].put = 0x1a0;
	st->ch[0].get = 0x1a0;
	st->ch[0].fence = 12;
	st->ch[2].error = MVGPU_ERR_OPCODE;
	st->ch[2].error_get = 0x60;
	st->ch[2].put = 0x80;
	st->ch[2].get = 0x60;
}

static const struct mvgpu_state_platform *g_plat;

static ssize_t do_platform(struct mvgpu_enc *e, void *d, size_t r)
{
	return mvgpu_enc_platform(e, d, r, g_plat);
}

/*
 * Pass 1: @text text pages from 0, zero pages, @noise noise pages; pass 2:
 * a page rewritten, a zero page written, a noise page zeroed; the state;
 * the end.  With @plat (stream 1.1): PLAT after DESC, and the state with
 * its ECC record.
 */
static void build_stream_plat(struct sstream *s, unsigned text,
			      unsigned noise,
			      const struct mvgpu_state_platform *plat)
{
	struct mvgpu_compat_info in = type_info(0);
	struct mvgpu_enc e;
	uint8_t p[PG], z[PG] = { 0 };
	unsigned i;

	memset(s, 0, sizeof(*s));
	s->fb = calloc(1, FB_SIZE);
	cr_assert_not_null(s->fb);
	cr_assert_eq(mvgpu_enc_init(&e, &in), 0);
	g_enc = &e;
	put(s, mvgpu_enc_desc, &e);
	if (plat) {
		g_plat = plat;
		put(s, do_platform, &e);
	}
	for (i = 0; i < text; i++) {
		text_page(p, i);
		page(s, i, p);
	}
	for (i = 0; i < 100; i++)
		page(s, 5000 + i, z);
	for (i = 0; i < noise; i++) {
		noise_page(p);
		page(s, 6000 + i, p);
	}
	put(s, mvgpu_enc_flush, &e);
	text_page(p, 999);
	page(s, 5, p);
	page(s, 5000, p);
	if (noise)
		page(s, 6000, z);
	put(s, mvgpu_enc_flush, &e);
	valid_state(&s->st, 0);
	if (plat) {
		s->st.have = MVGPU_STATE_HAVE_ECC;
		s->st.ecc = (struct mvgpu_state_ecc){ MVGPU_ECC_CTRL_OPT_OUT,
			MVGPU_STATE_ECC_F_KILLED, 7, 1, 1234, 3 };
	}
	g_st = &s->st;
	put(s, do_state, &e);
	put(s, mvgpu_enc_end, &e);
	cr_assert(mvgpu_enc_done(&e));
}

static void build_stream(struct sstream *s, unsigned text, unsigned noise)
{
	build_stream_plat(s, text, noise, NULL);
}

static void free_stream(struct sstream *s)
{
	free(s->buf);
	free(s->fb);
}

/* ---- fixtures --------------------------------------------------------------- */

/* fsync() of a directory fails with EIO while this is set (the image
 * writer's own fsync() calls resolve to this one: libmvgpu is linked in
 * statically). */
static int fail_dir_fsync;

int fsync(int fd)
{
	struct stat sb;

	if (fail_dir_fsync && !fstat(fd, &sb) && S_ISDIR(sb.st_mode)) {
		errno = EIO;
		return -1;
	}
	return (int)syscall(SYS_fsync, fd);
}

static mvgpu_ctx *ctx;
static char dir[64];

static void setup(void)
{
	strcpy(dir, "/tmp/mvgpu-image.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	cr_assert_eq(mvgpu_ctx_create(&ctx, "/nonexistent-sysfs"), 0);
}

/* Names in @dir ("" terminated list), for checking leftovers. */
static int count_entries(const char *d)
{
	DIR *dp = opendir(d);
	struct dirent *de;
	int n = 0;

	cr_assert_not_null(dp);
	while ((de = readdir(dp)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(dp);
	return n;
}

static void rm_dir(const char *d)
{
	DIR *dp = opendir(d);
	struct dirent *de;
	char p[512];

	if (!dp)
		return;
	while ((de = readdir(dp))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%s/%s", d, de->d_name);
		unlink(p);
	}
	closedir(dp);
	rmdir(d);
}

static void teardown(void)
{
	mvgpu_ctx_free(ctx);
	umount2(dir, MNT_DETACH);	/* if a test mounted one */
	rm_dir(dir);
}

TestSuite(image, .init = setup, .fini = teardown, .timeout = 120);

static char *path_in(const char *name)
{
	static char p[8][512];
	static unsigned k;
	char *r = p[k++ % 8];

	snprintf(r, 512, "%.60s/%.400s", dir, name);
	return r;
}

static int memfd_with(const void *buf, size_t len)
{
	int fd = memfd_create("stream", MFD_CLOEXEC);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, buf, len), (ssize_t)len);
	cr_assert_eq(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

static int write_img(const char *path, const struct sstream *s,
		     const mvgpu_image_opts *o, mvgpu_image_stats *st)
{
	int fd = memfd_with(s->buf, s->len), ret;

	ret = mvgpu_image_write(ctx, fd, path, version_of(0), o, st);
	close(fd);
	return ret;
}

static uint8_t *slurp(const char *path, size_t *len)
{
	struct stat sb;
	uint8_t *b;
	int fd = open(path, O_RDONLY);

	cr_assert_geq(fd, 0, "%s", path);
	cr_assert_eq(fstat(fd, &sb), 0);
	b = malloc((size_t)sb.st_size + 1);
	cr_assert_eq(pread(fd, b, (size_t)sb.st_size, 0), sb.st_size);
	close(fd);
	*len = (size_t)sb.st_size;
	return b;
}

static void spit(const char *path, const void *b, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, b, len), (ssize_t)len);
	close(fd);
}

/* Open and fully check: 0 or the first error. */
static int check_file(const char *path, const char *target)
{
	mvgpu_image *img;
	int ret = mvgpu_image_open(ctx, path, &img);

	if (ret)
		return ret;
	ret = mvgpu_image_check(img, target, NULL, NULL);
	mvgpu_image_close(img);
	return ret;
}

/* ---- round trips ------------------------------------------------------------ */

Test(image, round_trip_memfd)
{
	struct sstream s;
	mvgpu_image_stats st;
	mvgpu_image_summary sum;
	mvgpu_image *img;
	const mvgpu_image_info *in;
	struct stat sb;
	uint8_t *back;
	int out;

	build_stream(&s, 400, 50);
	cr_assert_eq(write_img(path_in("a.img"), &s, NULL, &st), 0, "%s",
		     mvgpu_last_error(ctx));
	cr_assert_eq(st.stream_bytes, s.len);
	cr_assert_eq(stat(path_in("a.img"), &sb), 0);
	cr_assert_eq((uint64_t)sb.st_size, st.file_bytes);
	cr_assert_eq(sb.st_mode & 0777, 0600);
	cr_assert_lt(st.file_bytes, s.len / 2, "text compresses: %llu of %zu",
		     (unsigned long long)st.file_bytes, s.len);

	cr_assert_eq(mvgpu_image_open(ctx, path_in("a.img"), &img), 0, "%s",
		     mvgpu_last_error(ctx));
	in = mvgpu_image_get_info(img);
	cr_assert_eq(in->major, MVGPU_IMAGE_MAJOR);
	cr_assert_eq(in->stream_bytes, s.len);
	cr_assert_eq(in->file_bytes, st.file_bytes);
	cr_assert_eq(in->flags, 0);
	cr_assert_str_eq(in->source_uuid, "");
	cr_assert_eq(strncmp(in->migration_version, version_of(0),
			     strlen(in->migration_version)), 0);
	cr_assert_eq(strlen(in->migration_version) + 1, strlen(version_of(0)),
		     "stored without the newline");

	cr_assert_eq(mvgpu_image_check(img, NULL, &sum, NULL), 0, "%s",
		     mvgpu_last_error(ctx));
	cr_assert_str_eq(sum.type, "mvgpu-64M");
	cr_assert_eq(sum.fb_size, FB_SIZE);
	cr_assert_eq(sum.fb_pages, FB_PAGES);
	/* 400 text + 50 noise - 1 zeroed + page 5000 written */
	cr_assert_eq(sum.pages_data, 400 + 50 - 1 + 1, "%llu",
		     (unsigned long long)sum.pages_data);
	cr_assert_eq(sum.pages_zero, 99 + 1);
	cr_assert_eq(sum.pages_data + sum.pages_zero + sum.pages_unsent, FB_PAGES);
	cr_assert_eq(sum.page_records, 400 + 50 + 2);
	cr_assert_eq(sum.disp.width, 640);
	cr_assert_eq(sum.disp.stride, 2560);
	cr_assert_eq(sum.ch[0].fence, 12);
	cr_assert_eq(sum.ch[0].ring_base, 0x40000000ull);
	cr_assert_eq(sum.ch[2].error, MVGPU_ERR_OPCODE);
	cr_assert_eq(sum.irq_kind, MVGPU_IRQ_KIND_MSI);
	cr_assert_eq(sum.subdevice, MVGPU_PCI_SUBDEV_BASE);
	/* a stream without PLAT and ECC records, a version without ecc */
	cr_assert_eq(sum.ecc_mode, MVGPU_COMPAT_ECC_UNKNOWN);
	cr_assert_eq(sum.has_platform, 0);
	cr_assert_eq(sum.has_ecc, 0);

	/* the "vGPU" reads it back */
	out = memfd_create("back", MFD_CLOEXEC);
	cr_assert_eq(mvgpu_image_extract(img, out, NULL, &st), 0, "%s",
		     mvgpu_last_error(ctx));
	cr_assert_eq(st.stream_bytes, s.len);
	back = malloc(s.len);
	cr_assert_eq(pread(out, back, s.len, 0), (ssize_t)s.len);
	cr_assert_eq(memcmp(back, s.buf, s.len), 0);
	cr_assert_eq(lseek(out, 0, SEEK_END), (off_t)s.len);
	free(back);
	close(out);
	mvgpu_image_close(img);
	free_stream(&s);
}

/* The fake vGPU writes its stream in odd pieces into a pipe, as a data fd
 * returns what it has; several 4 MiB chunks. */
struct feeder {
	int fd;
	const uint8_t *p;
	size_t len;
	size_t step;
};

static void *feed(void *arg)
{
	struct feeder *f = arg;
	size_t off = 0;

	while (off < f->len) {
		size_t n = f->len - off < f->step ? f->len - off : f->step;
		ssize_t w = write(f->fd, f->p + off, n);

		if (w <= 0)
			break;
		off += (size_t)w;
		f->step = f->step * 7 % 200003 + 1;
	}
	close(f->fd);
	return NULL;
}

struct drainer {
	int fd;
	uint8_t *p;
	size_t len, cap;
};

static void *drain(void *arg)
{
	struct drainer *d = arg;
	ssize_t n;

	while ((n = read(d->fd, d->p + d->len, d->cap - d->len)) > 0)
		d->len += (size_t)n;
	close(d->fd);
	return NULL;
}

Test(image, round_trip_pipes_many_chunks)
{
	struct sstream s;
	struct feeder f;
	struct drainer d;
	mvgpu_image *img;
	pthread_t th;
	int p[2];

	build_stream(&s, 2000, 3000);	/* ~20 MiB: five 4 MiB chunks */
	cr_assert_gt(s.len, 4 * IMG_BLOCK);
	cr_assert_eq(pipe(p), 0);
	f = (struct feeder){ p[1], s.buf, s.len, 4096 };
	pthread_create(&th, NULL, feed, &f);
	cr_assert_eq(mvgpu_image_write(ctx, p[0], path_in("b.img"), version_of(0),
				       NULL, NULL), 0, "%s", mvgpu_last_error(ctx));
	pthread_join(th, NULL);
	close(p[0]);

	cr_assert_eq(mvgpu_image_open(ctx, path_in("b.img"), &img), 0);
	cr_assert_eq(mvgpu_image_check(img, version_of(0), NULL, NULL), 0, "%s",
		     mvgpu_last_error(ctx));
	cr_assert_eq(pipe(p), 0);
	d = (struct drainer){ p[0], malloc(s.len + 1), 0, s.len + 1 };
	pthread_create(&th, NULL, drain, &d);
	cr_assert_eq(mvgpu_image_extract(img, p[1], NULL, NULL), 0, "%s",
		     mvgpu_last_error(ctx));
	close(p[1]);
	pthread_join(th, NULL);
	cr_assert_eq(d.len, s.len);
	cr_assert_eq(memcmp(d.p, s.buf, s.len), 0);
	free(d.p);
	mvgpu_image_close(img);
	free_stream(&s);
}

Test(image, read_fb_matches_what_a_restore_leaves)
{
	struct sstream s;
	mvgpu_image *img;
	static const uint64_t win[][2] = {
		{ 0, 640 * 4 * 480 }, { 5 * PG - 100, 300 }, { 4999 * PG, 3 * PG },
		{ 6000 * PG - 1, 2 }, { FB_SIZE - PG, PG }, { 12345, 1 },
	};
	uint8_t *buf = malloc(2 << 20);

	build_stream(&s, 300, 10);
	cr_assert_eq(write_img(path_in("c.img"), &s, NULL, NULL), 0);
	cr_assert_eq(mvgpu_image_open(ctx, path_in("c.img"), &img), 0);
	for (size_t i = 0; i < sizeof(win) / sizeof(win[0]); i++) {
		memset(buf, 0xa5, win[i][1]);
		cr_assert_eq(mvgpu_image_read_fb(img, win[i][0], buf, win[i][1]), 0);
		cr_assert_eq(memcmp(buf, s.fb + win[i][0], win[i][1]), 0,
			     "window %zu", i);
	}
	cr_assert_eq(mvgpu_image_read_fb(img, FB_SIZE - 4, buf, 8), -EINVAL);
	cr_assert_eq(mvgpu_image_read_fb(img, FB_SIZE + 1, buf, 0), -EINVAL);
	mvgpu_image_close(img);
	free(buf);
	free_stream(&s);
}

static unsigned ev_count[8];

static void count_event(void *opaque, const mvgpu_image_event *ev)
{
	(void)opaque;
	cr_assert_lt(ev->kind, 8);
	cr_assert_not_null(ev->name);
	ev_count[ev->kind]++;
}

Test(image, events_and_stats)
{
	struct sstream s;
	mvgpu_image_stats st;
	mvgpu_image *img;
	mvgpu_image_opts o = { .event = count_event };

	build_stream(&s, 10, 0);
	cr_assert_eq(write_img(path_in("d.img"), &s, &o, &st), 0);
	cr_assert_eq(st.passes, 0);
	cr_assert_eq(st.precopy_bytes, 0);
	cr_assert_eq(st.stop_copy_bytes, s.len);
	cr_assert_gt(st.elapsed_ns, 0);
	cr_assert_eq(mvgpu_image_open(ctx, path_in("d.img"), &img), 0);
	memset(ev_count, 0, sizeof(ev_count));
	cr_assert_eq(mvgpu_image_check(img, NULL, NULL, &o), 0);
	cr_assert_eq(ev_count[MVGPU_IMAGE_EV_VALIDATED], 1);
	mvgpu_image_close(img);
	free_stream(&s);
}

/* ---- hostile files ---------------------------------------------------------- */

Test(image, truncation_anywhere_is_refused)
{
	struct sstream s;
	uint8_t *img;
	size_t len;
	int ret;
	unsigned n = 0;

	build_stream(&s, 300, 200);
	cr_assert_eq(write_img(path_in("t.img"), &s, NULL, NULL), 0);
	img = slurp(path_in("t.img"), &len);
	for (size_t cut = 0; cut < len; cut += cut < 256 ? 1 : len / 97 + 1, n++) {
		spit(path_in("cut.img"), img, cut);
		ret = check_file(path_in("cut.img"), NULL);
		cr_assert(ret == -ENODATA || ret == -EPROTO,
			  "cut at %zu of %zu: %d %s", cut, len, ret,
			  mvgpu_last_error(ctx));
	}
	/* a header rewritten to match the cut: lz4 sees the truncation */
	{
		mvgpu_image_info in;
		char why[256];
		uint8_t hdr[IMG_HEADER_MAX];
		int hb;

		cr_assert_eq(img_header_decode(img, len, len, &in, why, sizeof(why)), 0);
		for (size_t cut = in.header_bytes + 1; cut < len;
		     cut += (len - in.header_bytes) / 13 + 1) {
			in.payload_bytes = cut - in.header_bytes;
			hb = img_header_encode(&in, hdr, sizeof(hdr));
			cr_assert_eq(hb, (int)in.header_bytes);
			memcpy(img, hdr, (size_t)hb);
			spit(path_in("cut.img"), img, cut);
			ret = check_file(path_in("cut.img"), NULL);
			cr_assert(ret == -ENODATA || ret == -EBADMSG,
				  "cut at %zu: %d %s", cut, ret, mvgpu_last_error(ctx));
		}
		cr_assert_not_null(strstr(mvgpu_last_error(ctx), "truncated") ?:
				   strstr(mvgpu_last_error(ctx), "damaged"),
				   "%s", mvgpu_last_error(ctx));
	}
	cr_assert_gt(n, 200);
	free(img);
	free_stream(&s);
}

Test(image, corruption_anywhere_is_refused)
{
	struct sstream s;
	uint8_t *img;
	size_t len, hb;
	int ret;

	build_stream(&s, 300, 200);
	cr_assert_eq(write_img(path_in("k.img"), &s, NULL, NULL), 0);
	img = slurp(path_in("k.img"), &len);
	hb = mvgpu_get_le32(img + 12);
	for (size_t at = 0; at < len; at += at < hb ? 1 : len / 211 + 1) {
		img[at] ^= 0x10;
		spit(path_in("bad.img"), img, len);
		img[at] ^= 0x10;
		ret = check_file(path_in("bad.img"), NULL);
		cr_assert(ret == -EBADMSG || ret == -EPROTO || ret == -ENODATA ||
			  ret == -EPROTONOSUPPORT,
			  "flip at %zu of %zu: %d %s", at, len, ret,
			  mvgpu_last_error(ctx));
		if (at >= hb)
			cr_assert_not_null(strstr(mvgpu_last_error(ctx), "damaged"),
					   "flip at %zu: %s", at, mvgpu_last_error(ctx));
	}
	/* and the original is fine */
	spit(path_in("bad.img"), img, len);
	cr_assert_eq(check_file(path_in("bad.img"), NULL), 0);
	/* trailing garbage */
	img = realloc(img, len + 1);
	img[len] = 0;
	spit(path_in("bad.img"), img, len + 1);
	cr_assert_eq(check_file(path_in("bad.img"), NULL), -EBADMSG);
	free(img);
	free_stream(&s);
}

Test(image, not_an_image)
{
	spit(path_in("text"), "hello, world\n", 13);
	cr_assert_eq(check_file(path_in("text"), NULL), -EPROTO);
	cr_assert_not_null(strstr(mvgpu_last_error(ctx), "not an mvgpu image"));
	spit(path_in("empty"), "", 0);
	cr_assert_eq(check_file(path_in("empty"), NULL), -EPROTO);
	cr_assert_eq(check_file(dir, NULL), -EISDIR);
	cr_assert_eq(check_file(path_in("missing"), NULL), -ENOENT);
	cr_assert_eq(check_file("/dev/null", NULL), -EINVAL);
}

static void fix_csum(uint8_t *h, uint32_t hb)
{
	memset(h + IMG_CSUM_OFF, 0, 8);
	mvgpu_put_le64(h + IMG_CSUM_OFF, XXH64(h, hb, 0));
}

static void fix_csum_set(uint8_t *h, uint32_t hb)
{
	memset(h + IMG_SET_CSUM_OFF, 0, 8);
	mvgpu_put_le64(h + IMG_SET_CSUM_OFF, XXH64(h, hb, 0));
}

Test(image, header_parser_fuzz)
{
	mvgpu_image_info in = { 0 }, out;
	uint8_t good[IMG_HEADER_MAX], h[IMG_HEADER_MAX + 64];
	char why[256];
	int hb, ret;
	unsigned accepted = 0;

	strcpy(in.migration_version, "mvgpu-migration-version=1 driver=0.1.0 stream=1.0 abi=1.0 type=mvgpu-64M type_index=0 fb=67108864 features=0x0");
	in.stream_bytes = 1 << 20;
	in.payload_bytes = 4096;
	in.created = 1700000000;
	in.passes = 3;
	strcpy(in.source_uuid, "123e4567-e89b-12d3-a456-426614174000");
	hb = img_header_encode(&in, good, sizeof(good));
	cr_assert_gt(hb, (int)IMG_FIXED);
	cr_assert_eq(img_header_decode(good, (size_t)hb, (uint64_t)hb + 4096, &out,
				       why, sizeof(why)), 0, "%s", why);
	cr_assert_str_eq(out.source_uuid, in.source_uuid);
	cr_assert_str_eq(out.migration_version, in.migration_version);
	cr_assert_eq(out.passes, 3);
	cr_assert_eq(out.created, 1700000000);

	/* named cases */
	memcpy(h, good, hb);
	mvgpu_put_le16(h + 8, 2);
	fix_csum(h, hb);
	cr_assert_eq(img_header_decode(h, hb, hb + 4096, &out, why, sizeof(why)),
		     -EPROTONOSUPPORT);
	cr_assert_not_null(strstr(why, "format 2.0"), "%s", why);
	memcpy(h, good, hb);
	mvgpu_put_le32(h + 16, 1u << 7);
	fix_csum(h, hb);
	cr_assert_eq(img_header_decode(h, hb, hb + 4096, &out, why, sizeof(why)),
		     -EPROTONOSUPPORT);
	memcpy(h, good, hb);
	h[IMG_FIXED + 5] = '\n';
	fix_csum(h, hb);
	cr_assert_eq(img_header_decode(h, hb, hb + 4096, &out, why, sizeof(why)),
		     -EBADMSG);
	memcpy(h, good, hb);
	memcpy(h + IMG_FIXED + 6, "XXXXXXXXXXX", 11);	/* breaks a key */
	fix_csum(h, hb);
	cr_assert_eq(img_header_decode(h, hb, hb + 4096, &out, why, sizeof(why)),
		     -EBADMSG, "%s", why);
	cr_assert_eq(img_header_decode(good, hb, hb + 4095, &out, why, sizeof(why)),
		     -ENODATA);
	cr_assert_eq(img_header_decode(good, hb, hb + 4097, &out, why, sizeof(why)),
		     -EBADMSG);
	cr_assert_eq(img_header_decode(good, hb - 1, hb - 1, &out, why, sizeof(why)),
		     -ENODATA);
	memcpy(h, good, hb);
	mvgpu_put_le64(h + 24, IMG_STREAM_MAX + 1);
	fix_csum(h, hb);
	cr_assert_eq(img_header_decode(h, hb, hb + 4096, &out, why, sizeof(why)),
		     -EBADMSG);

	/* random mutations, with and without a repaired checksum; whatever is
	 * accepted is self-consistent */
	for (unsigned iter = 0; iter < 200000; iter++) {
		size_t len = (size_t)hb;
		unsigned flips = 1 + (unsigned)(xorshift() % 4);

		memcpy(h, good, hb);
		for (unsigned f = 0; f < flips; f++) {
			size_t at = xorshift() % (size_t)hb;

			switch (xorshift() % 4) {
			case 0: h[at] ^= (uint8_t)(1u << (xorshift() % 8)); break;
			case 1: h[at] = (uint8_t)xorshift(); break;
			case 2: h[at] = (uint8_t)(h[at] + 1); break;
			default: len = xorshift() % (size_t)(hb + 64); break;
			}
		}
		if (iter & 1)
			fix_csum(h, mvgpu_get_le32(h + 12) <= sizeof(h) &&
				 mvgpu_get_le32(h + 12) >= IMG_FIXED ?
				 mvgpu_get_le32(h + 12) : (uint32_t)hb);
		if (len > sizeof(h))
			len = sizeof(h);
		/* no reason left over from the last round: a refusal must
		 * give its own, an acceptance none */
		why[0] = '\0';
		ret = img_header_decode(h, len, len + 4096, &out, why, sizeof(why));
		cr_assert(ret == 0 || ret == -EPROTO || ret == -EBADMSG ||
			  ret == -ENODATA || ret == -EPROTONOSUPPORT, "%d", ret);
		if (!ret) {
			cr_assert_eq(why[0], '\0', "accepted, yet: %s", why);
			accepted++;
			cr_assert_eq(out.header_bytes + out.payload_bytes, out.file_bytes);
			cr_assert_lt(strlen(out.migration_version), MVGPU_IMAGE_VERSION_MAX);
			cr_assert_leq(out.stream_bytes, IMG_STREAM_MAX);
		} else {
			cr_assert_neq(why[0], '\0');
		}
	}
	cr_assert_gt(accepted, 0, "some mutations (e.g. created, uuid) stay valid");
}

Test(image, incompatible_target_names_both_versions)
{
	struct sstream s;
	mvgpu_image *img;

	build_stream(&s, 10, 0);
	cr_assert_eq(write_img(path_in("i.img"), &s, NULL, NULL), 0);
	cr_assert_eq(mvgpu_image_open(ctx, path_in("i.img"), &img), 0);
	cr_assert_eq(mvgpu_image_check(img, version_of(1), NULL, NULL), -EINVAL);
	cr_assert_not_null(strstr(mvgpu_last_error(ctx), "type=mvgpu-64M"), "%s",
			   mvgpu_last_error(ctx));
	cr_assert_not_null(strstr(mvgpu_last_error(ctx), "type=mvgpu-256M"), "%s",
			   mvgpu_last_error(ctx));
	cr_assert_eq(mvgpu_image_check(img, "garbage", NULL, NULL), -EINVAL);
	cr_assert_eq(mvgpu_image_check(img, version_of(0), NULL, NULL), 0);
	mvgpu_image_close(img);
	free_stream(&s);
}

/* Stream 1.1: PLAT and the ECC record in the summary; the ECC mode of
 * the header, the stream and the target must agree. */
Test(image, platform_and_ecc_state)
{
	static const struct mvgpu_state_platform on = {
		MVGPU_COMPAT_ECC_ON, 1 };
	mvgpu_image_summary sum;
	struct sstream s;
	mvgpu_image *img;
	int fd;

	build_stream_plat(&s, 10, 0, &on);
	fd = memfd_with(s.buf, s.len);
	cr_assert_eq(mvgpu_image_write(ctx, fd, path_in("e.img"),
				       version_ecc(0, MVGPU_COMPAT_ECC_ON),
				       NULL, NULL), 0, "%s", mvgpu_last_error(ctx));
	close(fd);
	cr_assert_eq(mvgpu_image_open(ctx, path_in("e.img"), &img), 0);
	cr_assert_eq(mvgpu_image_check(img, NULL, &sum, NULL), 0, "%s",
		     mvgpu_last_error(ctx));
	cr_assert_eq(sum.stream_minor, MVGPU_STREAM_MINOR);
	cr_assert_eq(sum.ecc_mode, MVGPU_COMPAT_ECC_ON);
	cr_assert_eq(sum.has_platform, 1);
	cr_assert_eq(sum.platform.ecc, MVGPU_COMPAT_ECC_ON);
	cr_assert_eq(sum.platform.frame_rate_limiter, 1);
	cr_assert_eq(sum.has_ecc, 1);
	cr_assert_eq(sum.ecc.ctrl, MVGPU_ECC_CTRL_OPT_OUT);
	cr_assert_eq(sum.ecc.flags, MVGPU_STATE_ECC_F_KILLED);
	cr_assert_eq(sum.ecc.sbe_volatile, 7);
	cr_assert_eq(sum.ecc.dbe_volatile, 1);
	cr_assert_eq(sum.ecc.sbe_aggregate, 1234);
	cr_assert_eq(sum.ecc.dbe_aggregate, 3);
	/* targets: ECC on or unknown take it, ECC off does not */
	cr_assert_eq(mvgpu_image_check(img, version_ecc(0, MVGPU_COMPAT_ECC_ON),
				       NULL, NULL), 0);
	cr_assert_eq(mvgpu_image_check(img, version_of(0), NULL, NULL), 0);
	cr_assert_eq(mvgpu_image_check(img, version_ecc(0, MVGPU_COMPAT_ECC_OFF),
				       NULL, NULL), -EINVAL);
	cr_assert_not_null(strstr(mvgpu_last_error(ctx),
				  "ECC mode differs: source on, target off"),
			   "%s", mvgpu_last_error(ctx));
	mvgpu_image_close(img);

	/* a header without ecc: the stream's PLAT says it */
	fd = memfd_with(s.buf, s.len);
	cr_assert_eq(mvgpu_image_write(ctx, fd, path_in("f.img"), version_of(0),
				       NULL, NULL), 0);
	close(fd);
	cr_assert_eq(mvgpu_image_open(ctx, path_in("f.img"), &img), 0);
	cr_assert_eq(mvgpu_image_check(img, NULL, &sum, NULL), 0, "%s",
		     mvgpu_last_error(ctx));
	cr_assert_eq(sum.ecc_mode, MVGPU_COMPAT_ECC_ON);
	/* the string check cannot tell, the stream's PLAT can */
	cr_assert_eq(mvgpu_image_check(img, version_ecc(0, MVGPU_COMPAT_ECC_OFF),
				       NULL, NULL), -EINVAL);
	cr_assert_not_null(strstr(mvgpu_last_error(ctx), "ECC mode differs"),
			   "%s", mvgpu_last_error(ctx));
	mvgpu_image_close(img);

	/* a header that says off on a stream that says on: damage */
	fd = memfd_with(s.buf, s.len);
	cr_assert_eq(mvgpu_image_write(ctx, fd, path_in("g.img"),
				       version_ecc(0, MVGPU_COMPAT_ECC_OFF),
				       NULL, NULL), 0);
	close(fd);
	cr_assert_eq(check_file(path_in("g.img"), NULL), -EBADMSG);
	cr_assert_not_null(strstr(mvgpu_last_error(ctx), "disagree"), "%s",
			   mvgpu_last_error(ctx));
	free_stream(&s);

	/* a stream 1.0 under a header with ecc: the header's mode */
	build_stream(&s, 10, 0);
	fd = memfd_with(s.buf, s.len);
	cr_assert_eq(mvgpu_image_write(ctx, fd, path_in("h.img"),
				       version_ecc(0, MVGPU_COMPAT_ECC_OFF),
				       NULL, NULL), 0);
	close(fd);
	cr_assert_eq(mvgpu_image_open(ctx, path_in("h.img"), &img), 0);
	cr_assert_eq(mvgpu_image_check(img, NULL, &sum, NULL), 0, "%s",
		     mvgpu_last_error(ctx));
	cr_assert_eq(sum.ecc_mode, MVGPU_COMPAT_ECC_OFF);
	cr_assert_eq(sum.has_platform, 0);
	cr_assert_eq(sum.has_ecc, 0);
	mvgpu_image_close(img);
	free_stream(&s);
}

Test(image, header_and_stream_must_agree)
{
	struct sstream s;
	int fd;

	build_stream(&s, 10, 0);
	/* a 64M stream labelled as a 256M one */
	fd = memfd_with(s.buf, s.len);
	cr_assert_eq(mvgpu_image_write(ctx, fd, path_in("x.img"), version_of(1),
				       NULL, NULL), 0);
	close(fd);
	cr_assert_eq(check_file(path_in("x.img"), NULL), -EBADMSG);
	cr_assert_not_null(strstr(mvgpu_last_error(ctx), "disagree"), "%s",
			   mvgpu_last_error(ctx));
	/* a truncated stream written as is fails the check */
	fd = memfd_with(s.buf, s.len - 8);
	cr_assert_eq(mvgpu_image_write(ctx, fd, path_in("y.img"), version_of(0),
				       NULL, NULL), 0);
	close(fd);
	cr_assert_eq(check_file(path_in("y.img"), NULL), -ENODATA, "%s",
		     mvgpu_last_error(ctx));
	cr_assert_eq(mvgpu_image_write(ctx, 0, path_in("z.img"), "type=mvgpu-64M",
				       NULL, NULL), -EINVAL);
	free_stream(&s);
}

/*
 * A ZERO storm: an image of a vGPU with a 64 GiB framebuffer, the most a
 * header may claim, whose stream names the whole framebuffer in 200 000
 * ZERO records (6 MB of stream, a 25 KB file).  A record of 32 bytes must
 * cost about that to check, not the 16 Mi pages it names: image.c's check
 * once set a byte per named page for each record - this test took five
 * minutes, a file of a few MB hours (found setting the image fuzzer's
 * bounds, docs/fuzzing.md).  The map is 2 bits a page (4 MiB here) now,
 * not a byte.
 */
Test(image, zero_storm_costs_what_it_changes)
{
	struct mvgpu_compat_info in = type_info(3);
	char version[MVGPU_COMPAT_STR_MAX];
	const uint64_t pages = (64ull << 30) / PG;
	const unsigned records = 200000;
	mvgpu_image_summary sum;
	struct timespec t0, t1;
	struct sstream s;
	struct mvgpu_enc e;
	mvgpu_image *img;
	uint8_t p[PG];
	double secs;
	unsigned i;
	int fd;

	in.fb_size = 64ull << 30;
	strcpy(in.type, "mvgpu-64G");
	cr_assert_gt(mvgpu_compat_format(&in, version, sizeof(version)), 0);
	memset(&s, 0, sizeof(s));
	s.fb = calloc(1, 8 * PG);	/* page() keeps a copy of pages 0..7 */
	cr_assert_eq(mvgpu_enc_init(&e, &in), 0);
	g_enc = &e;
	put(&s, mvgpu_enc_desc, &e);
	text_page(p, 5);
	page(&s, 5, p);
	page(&s, 7, p);
	for (i = 0; i < records; i++) {
		ssize_t n;

		put(&s, mvgpu_enc_flush, &e);
		n = mvgpu_enc_zero(&e, s.buf + s.len, s.cap - s.len, i & 1,
				   pages - 1);
		cr_assert_geq(n, 0);
		s.len += (size_t)n;
	}
	put(&s, mvgpu_enc_flush, &e);
	page(&s, 7, p);
	valid_state(&s.st, 3);
	g_st = &s.st;
	put(&s, do_state, &e);
	put(&s, mvgpu_enc_end, &e);
	cr_assert(mvgpu_enc_done(&e));

	fd = memfd_with(s.buf, s.len);
	cr_assert_eq(mvgpu_image_write(ctx, fd, path_in("storm.img"), version,
				       NULL, NULL), 0, "%s", mvgpu_last_error(ctx));
	close(fd);
	cr_assert_eq(mvgpu_image_open(ctx, path_in("storm.img"), &img), 0);
	cr_assert_lt(mvgpu_image_get_info(img)->file_bytes, 1u << 20);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cr_assert_eq(mvgpu_image_check(img, NULL, &sum, NULL), 0, "%s",
		     mvgpu_last_error(ctx));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	mvgpu_image_close(img);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	cr_assert_lt(secs, 10.0, "checking a %zu-byte ZERO storm took %.1f s",
		     s.len, secs);
	cr_assert_eq(sum.fb_pages, pages);
	cr_assert_eq(sum.zero_records, records);
	cr_assert_eq(sum.page_records, 3);
	cr_assert_eq(sum.pages_data, 1);		/* page 7, after the storm */
	cr_assert_eq(sum.pages_zero, pages - 1);	/* the storm covers all */
	cr_assert_eq(sum.pages_unsent, 0);
	free_stream(&s);
}

/*
 * A frame mvgpu does not write - no content checksum - is refused, also
 * when it is small enough for lz4 to decode it in one call: the check of
 * the frame's header once looked for it only after decoding, when lz4 had
 * forgotten a frame that ended in that call, and let every such image of
 * under 4 MiB through (found by the image fuzzer, docs/fuzzing.md).
 */
Test(image, a_frame_without_content_checksum_is_refused)
{
	static const int big[] = { 0, 1 };	/* one call of lz4, several */
	LZ4F_preferences_t prefs;
	mvgpu_image_info in;
	struct sstream s;
	uint8_t *file;
	size_t i, z, cap;
	int hb;

	build_stream(&s, 10, 0);
	for (i = 0; i < sizeof(big) / sizeof(big[0]); i++) {
		size_t n = s.len;
		uint8_t *body = s.buf;

		if (big[i]) {
			/* 6 MiB of noise pages: several 4 MiB blocks */
			struct sstream b;

			build_stream(&b, 10, 1500);
			n = b.len;
			body = b.buf;
			b.buf = NULL;
			free_stream(&b);
		}
		memset(&prefs, 0, sizeof(prefs));
		prefs.frameInfo.blockSizeID = LZ4F_max4MB;
		prefs.frameInfo.blockMode = LZ4F_blockIndependent;
		prefs.frameInfo.blockChecksumFlag = LZ4F_blockChecksumEnabled;
		prefs.compressionLevel = 1;
		memset(&in, 0, sizeof(in));
		snprintf(in.migration_version, sizeof(in.migration_version), "%s",
			 version_of(0));
		in.migration_version[strcspn(in.migration_version, "\n")] = '\0';
		in.stream_bytes = n;
		cap = IMG_HEADER_MAX + LZ4F_compressFrameBound(n, &prefs);
		file = malloc(cap);
		cr_assert_not_null(file);
		hb = img_header_encode(&in, file, IMG_HEADER_MAX);
		cr_assert_gt(hb, 0);
		z = LZ4F_compressFrame(file + hb, cap - (size_t)hb, body, n, &prefs);
		cr_assert(!LZ4F_isError(z));
		in.payload_bytes = z;
		cr_assert_eq(img_header_encode(&in, file, IMG_HEADER_MAX), hb);
		spit(path_in("nocsum.img"), file, (size_t)hb + z);
		cr_assert_eq(check_file(path_in("nocsum.img"), NULL), -EBADMSG,
			     "%zu bytes: %s", n, mvgpu_last_error(ctx));
		cr_assert_not_null(strstr(mvgpu_last_error(ctx), "no content checksum"),
				   "%s", mvgpu_last_error(ctx));
		free(file);
		if (body != s.buf)
			free(body);
	}
	free_stream(&s);
}

/* ---- atomic writes ---------------------------------------------------------- */

static void big_noise(struct sstream *s)
{
	build_stream(s, 10, 1500);	/* 6 MiB of incompressible pages */
}

Test(image, enospc_leaves_no_file_and_keeps_the_old_one)
{
	struct sstream s;
	int ret;

	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("tmpfs", dir, "tmpfs", 0, "size=1m"))
		cr_skip_test("cannot mount a tmpfs here: %s", strerror(errno));
	big_noise(&s);
	ret = write_img(path_in("full.img"), &s, NULL, NULL);
	cr_assert_eq(ret, -ENOSPC, "%d %s", ret, mvgpu_last_error(ctx));
	cr_assert_eq(count_entries(dir), 0, "nothing left behind");

	/* an existing image under the name survives a failed save */
	spit(path_in("full.img"), "old", 3);
	cr_assert_eq(write_img(path_in("full.img"), &s, NULL, NULL), -ENOSPC);
	cr_assert_eq(count_entries(dir), 1);
	{
		size_t len;
		uint8_t *b = slurp(path_in("full.img"), &len);

		cr_assert_eq(len, 3);
		cr_assert_eq(memcmp(b, "old", 3), 0);
		free(b);
	}
	/* a small one fits and replaces it */
	free_stream(&s);
	build_stream(&s, 10, 0);
	cr_assert_eq(write_img(path_in("full.img"), &s, NULL, NULL), 0, "%s",
		     mvgpu_last_error(ctx));
	cr_assert_eq(count_entries(dir), 1);
	cr_assert_eq(check_file(path_in("full.img"), NULL), 0);
	free_stream(&s);
}

Test(image, file_size_limit_leaves_no_file)
{
	struct rlimit rl = { 1 << 20, 1 << 20 };
	struct sstream s;

	int fd;

	signal(SIGXFSZ, SIG_IGN);
	big_noise(&s);
	fd = memfd_with(s.buf, s.len);
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
	cr_assert_eq(mvgpu_image_write(ctx, fd, path_in("big.img"), version_of(0),
				       NULL, NULL), -EFBIG, "%s",
		     mvgpu_last_error(ctx));
	cr_assert_eq(count_entries(dir), 0);
	close(fd);
	free_stream(&s);
}

static volatile sig_atomic_t stop_now;

static void *stop_later(void *arg)
{
	(void)arg;
	usleep(300 * 1000);
	stop_now = 1;
	return NULL;
}

Test(image, cancel_leaves_no_file)
{
	mvgpu_image_opts o = { .cancel = &stop_now };
	struct sstream s;
	pthread_t th;
	int p[2];

	build_stream(&s, 10, 0);
	cr_assert_eq(pipe(p), 0);
	/* half a stream, then a writer that never finishes */
	cr_assert_eq(write(p[1], s.buf, 1000), 1000);
	stop_now = 0;
	pthread_create(&th, NULL, stop_later, NULL);
	cr_assert_eq(mvgpu_image_write(ctx, p[0], path_in("c.img"), version_of(0),
				       &o, NULL), -ECANCELED);
	pthread_join(th, NULL);
	cr_assert_eq(count_entries(dir), 0);
	close(p[0]);
	close(p[1]);
	free_stream(&s);
}

Test(image, bad_names)
{
	struct sstream s;
	char lng[400];

	build_stream(&s, 1, 0);
	cr_assert_eq(write_img(dir, &s, NULL, NULL), -EISDIR);
	cr_assert_eq(write_img(path_in(""), &s, NULL, NULL), -EISDIR);
	cr_assert_eq(write_img(path_in(".."), &s, NULL, NULL), -EISDIR);
	cr_assert_eq(write_img("/nonexistent-dir/x.img", &s, NULL, NULL), -ENOENT);
	memset(lng, 'a', sizeof(lng) - 1);
	lng[sizeof(lng) - 1] = 0;
	cr_assert_eq(write_img(path_in(lng), &s, NULL, NULL), -ENAMETOOLONG);
	cr_assert_eq(count_entries(dir), 0);
	free_stream(&s);
}

/* ---- mvgpu inspect / save / restore from the command line -------------------- */

struct run {
	int code;
	char out[65536], err[8192];
};

static void run_cli(struct run *r, char *const argv[])
{
	int po[2], pe[2], status;
	posix_spawn_file_actions_t fa;
	ssize_t n;
	size_t lo = 0, le = 0;
	pid_t pid;

	cr_assert_eq(pipe(po), 0);
	cr_assert_eq(pipe(pe), 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, po[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
	posix_spawn_file_actions_addclose(&fa, po[0]);
	posix_spawn_file_actions_addclose(&fa, pe[0]);
	cr_assert_eq(posix_spawn(&pid, MVGPU_TEST_CLI, &fa, NULL, argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	close(po[1]);
	close(pe[1]);
	while ((n = read(po[0], r->out + lo, sizeof(r->out) - 1 - lo)) > 0)
		lo += (size_t)n;
	while ((n = read(pe[0], r->err + le, sizeof(r->err) - 1 - le)) > 0)
		le += (size_t)n;
	r->out[lo] = r->err[le] = 0;
	close(po[0]);
	close(pe[0]);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	r->code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

#define CLI(r, ...) run_cli((r), (char *[]){ MVGPU_TEST_CLI, __VA_ARGS__, NULL })

Test(image, inspect_text_json_png)
{
	static struct run r;
	struct sstream s;
	uint8_t *png;
	size_t len;

	build_stream(&s, 400, 20);
	cr_assert_eq(write_img(path_in("s.img"), &s, NULL, NULL), 0);

	CLI(&r, "inspect", path_in("s.img"));
	cr_assert_eq(r.code, 0, "%s%s", r.out, r.err);
	cr_assert_not_null(strstr(r.out, "valid"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "mvgpu-64M (index 0)"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "640x480, stride 2560"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "fence 12"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "error OPCODE at 0x60"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "type=mvgpu-64M"), "%s", r.out);

	CLI(&r, "--json", "inspect", path_in("s.img"), "--png", path_in("s.png"));
	cr_assert_eq(r.code, 0, "%s%s", r.out, r.err);
	cr_assert(json_valid(r.out, strlen(r.out)), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "\"pages\""), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "\"data\": 420"), "%s", r.out);

	png = slurp(path_in("s.png"), &len);
	cr_assert_gt(len, 33);
	cr_assert_eq(memcmp(png, "\x89PNG\r\n\x1a\n", 8), 0);
	cr_assert_eq(memcmp(png + 12, "IHDR", 4), 0);
	cr_assert_eq(png[16] << 24 | png[17] << 16 | png[18] << 8 | png[19], 640);
	cr_assert_eq(png[20] << 24 | png[21] << 16 | png[22] << 8 | png[23], 480);
	cr_assert_eq(png[24], 8, "bit depth");
	cr_assert_eq(png[25], 2, "RGB");
	free(png);

	/* --mode overrides; a mode that does not fit is a usage error */
	CLI(&r, "inspect", path_in("s.img"), "--png", path_in("m.png"), "--mode", "100x50");
	cr_assert_eq(r.code, 0, "%s%s", r.out, r.err);
	png = slurp(path_in("m.png"), &len);
	cr_assert_eq(png[19], 100);
	cr_assert_eq(png[23], 50);
	free(png);
	CLI(&r, "inspect", path_in("s.img"), "--png", path_in("m.png"), "--mode", "99999x1");
	cr_assert_eq(r.code, 2, "%s%s", r.out, r.err);
	CLI(&r, "inspect", path_in("s.img"), "--mode", "10x10");
	cr_assert_eq(r.code, 2);
	/* stream 1.0, a version without ecc: nothing to show */
	CLI(&r, "inspect", path_in("s.img"));
	cr_assert_not_null(strstr(r.out, ", ECC not recorded\n"), "%s", r.out);
	cr_assert_null(strstr(r.out, "platform "), "%s", r.out);
	cr_assert_null(strstr(r.out, "\necc "), "%s", r.out);
	CLI(&r, "--json", "inspect", path_in("s.img"));
	cr_assert(json_valid(r.out, strlen(r.out)), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "\"ecc\": null"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "\"platform\": null"), "%s", r.out);
	free_stream(&s);
}

Test(image, inspect_shows_platform_and_ecc)
{
	static const struct mvgpu_state_platform off = {
		MVGPU_COMPAT_ECC_OFF, 1 };
	static struct run r;
	struct sstream s;
	int fd;

	build_stream_plat(&s, 10, 0, &off);
	fd = memfd_with(s.buf, s.len);
	cr_assert_eq(mvgpu_image_write(ctx, fd, path_in("p.img"),
				       version_ecc(0, MVGPU_COMPAT_ECC_OFF),
				       NULL, NULL), 0, "%s", mvgpu_last_error(ctx));
	close(fd);

	CLI(&r, "inspect", path_in("p.img"));
	cr_assert_eq(r.code, 0, "%s%s", r.out, r.err);
	cr_assert_not_null(strstr(r.out, " ecc=off"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "features 0x0, ECC off\n"), "%s", r.out);
	cr_assert_not_null(strstr(r.out,
		"platform     ECC off, frame rate limiter on\n"), "%s", r.out);
	cr_assert_not_null(strstr(r.out,
		"ecc          ctrl 0x1 (opt-out), not opted out, channels killed by a double-bit error (reset needed); "
		"single-bit errors 7 (aggregate 1234), double-bit errors 1 (aggregate 3)\n"),
		"%s", r.out);

	CLI(&r, "--json", "inspect", path_in("p.img"));
	cr_assert_eq(r.code, 0, "%s%s", r.out, r.err);
	cr_assert(json_valid(r.out, strlen(r.out)), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "\"ecc\": \"off\""), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "\"frame_rate_limiter\": true"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "\"opt_out_requested\": true"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "\"opted_out\": false"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "\"killed\": true"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "\"sbe_aggregate\": 1234"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "\"dbe_volatile\": 1"), "%s", r.out);
	free_stream(&s);
}

Test(image, inspect_refuses_damage_with_a_message)
{
	static struct run r;
	struct sstream s;
	uint8_t *img;
	size_t len;

	build_stream(&s, 300, 0);
	cr_assert_eq(write_img(path_in("s.img"), &s, NULL, NULL), 0);
	img = slurp(path_in("s.img"), &len);
	img[len / 2] ^= 1;
	spit(path_in("s.img"), img, len);
	CLI(&r, "inspect", path_in("s.img"));
	cr_assert_eq(r.code, 1);
	cr_assert_not_null(strstr(r.err, "not a valid image"), "%s", r.err);
	cr_assert_not_null(strstr(r.err, "damaged"), "%s", r.err);
	spit(path_in("s.img"), img, len / 3);
	CLI(&r, "--json", "inspect", path_in("s.img"));
	cr_assert_eq(r.code, 1);
	cr_assert_not_null(strstr(r.err, "truncated"), "%s", r.err);
	cr_assert(json_valid(r.out, strlen(r.out)), "%s", r.out);
	CLI(&r, "inspect");
	cr_assert_eq(r.code, 2);
	free(img);
	free_stream(&s);
}

Test(image, save_restore_usage_errors)
{
	static struct run r;

	CLI(&r, "save");
	cr_assert_eq(r.code, 2);
	cr_assert_not_null(strstr(r.err, "missing UUID and FILE"), "%s", r.err);
	CLI(&r, "save", "not-a-uuid", "x.img");
	cr_assert_eq(r.code, 2);
	CLI(&r, "save", "123e4567-e89b-12d3-a456-426614174000");
	cr_assert_eq(r.code, 2);
	cr_assert_not_null(strstr(r.err, "missing FILE"), "%s", r.err);
	CLI(&r, "restore", "123e4567-e89b-12d3-a456-426614174000", "/nonexistent.img");
	cr_assert_eq(r.code, 1);
	cr_assert_not_null(strstr(r.err, "/nonexistent.img"), "%s", r.err);
	CLI(&r, "--json", "restore", "123e4567-e89b-12d3-a456-426614174000", "/etc/hostname");
	cr_assert_eq(r.code, 1);
	cr_assert_not_null(strstr(r.err, "not an mvgpu image"), "%s", r.err);
	cr_assert_not_null(strstr(r.out, "\"event\": \"error\""), "%s", r.out);
	cr_assert_eq(strchr(r.out, '\n'), r.out + strlen(r.out) - 1, "one line: %s", r.out);
	CLI(&r, "save", "--bogus", "123e4567-e89b-12d3-a456-426614174000", "x");
	cr_assert_eq(r.code, 2);
}

static void keep_warning(void *opaque, const char *msg)
{
	snprintf(opaque, 512, "%s", msg);
}

/* A directory that cannot be synced after the rename: the image is
 * there and whole, and the writer says that its name may not survive a
 * crash. */
Test(image, an_unsynced_directory_is_reported)
{
	char warned[512] = "";
	struct sstream s;
	mvgpu_image *img;

	build_stream(&s, 10, 0);
	mvgpu_set_warn_handler(ctx, keep_warning, warned);
	fail_dir_fsync = 1;
	cr_assert_eq(write_img(path_in("d.img"), &s, NULL, NULL), 0, "%s",
		     mvgpu_last_error(ctx));
	fail_dir_fsync = 0;
	cr_assert(strstr(warned, "d.img is complete, but its directory could not be synced (Input/output error)"),
		  "warning: '%s'", warned);
	cr_assert(strstr(warned, "run 'sync'"), "%s", warned);
	cr_assert_eq(mvgpu_image_open(ctx, path_in("d.img"), &img), 0, "%s",
		     mvgpu_last_error(ctx));
	mvgpu_image_close(img);
	/* and nothing is said when it can be */
	warned[0] = '\0';
	cr_assert_eq(write_img(path_in("d.img"), &s, NULL, NULL), 0);
	cr_assert_str_eq(warned, "");
	free_stream(&s);
}

/* ---- sets: several vGPUs in one image (format 2.0) --------------------------- */

static const char *const SET_UUID[] = {
	"5e700000-0000-4000-8000-000000000001", "5e700000-0000-4000-8000-000000000002",
	"5e700000-0000-4000-8000-000000000003",
};

/* The image at @path with @uuid as its source (the header rewritten). */
static void set_source_uuid(const char *path, const char *uuid)
{
	mvgpu_image_info in;
	uint8_t *b, hdr[IMG_HEADER_MAX];
	char why[256];
	size_t len;

	b = slurp(path, &len);
	cr_assert_eq(img_header_decode(b, len, len, &in, why, sizeof(why)), 0, "%s", why);
	snprintf(in.source_uuid, sizeof(in.source_uuid), "%s", uuid);
	cr_assert_eq(img_header_encode(&in, hdr, sizeof(hdr)), (int)in.header_bytes);
	memcpy(b, hdr, in.header_bytes);
	spit(path, b, len);
	free(b);
}

/* A set at @out of @n images made of @s[i] (vGPU SET_UUID[i]): a
 * directory and the images as they are; its bytes in *@all. */
static void make_set(const char *path, struct sstream *s, unsigned n,
		     uint8_t **all, size_t *len)
{
	struct img_set_entry e[MVGPU_SESSION_MAX];
	uint8_t *sec[MVGPU_SESSION_MAX];
	size_t slen[MVGPU_SESSION_MAX], at;
	char out[512];
	unsigned i;
	int hb;

	snprintf(out, sizeof(out), "%s", path);	/* path_in()'s buffers turn */
	at = IMG_SET_FIXED + IMG_SET_ENTRY * n;
	for (i = 0; i < n; i++) {
		cr_assert_eq(write_img(path_in("section.img"), &s[i], NULL, NULL), 0);
		set_source_uuid(path_in("section.img"), SET_UUID[i]);
		sec[i] = slurp(path_in("section.img"), &slen[i]);
		e[i] = (struct img_set_entry){ .offset = at, .bytes = slen[i] };
		snprintf(e[i].uuid, sizeof(e[i].uuid), "%s", SET_UUID[i]);
		at += slen[i];
	}
	*all = malloc(at);
	cr_assert_not_null(*all);
	hb = img_set_encode(e, n, *all, at);
	cr_assert_eq(hb, (int)(IMG_SET_FIXED + IMG_SET_ENTRY * n));
	for (i = 0, at = (size_t)hb; i < n; i++) {
		memcpy(*all + at, sec[i], slen[i]);
		at += slen[i];
		free(sec[i]);
	}
	*len = at;
	spit(out, *all, at);
	unlink(path_in("section.img"));
}

/* Open a set and check every vGPU of it: 0 or the first error. */
static int check_set_file(const char *path)
{
	mvgpu_image *img;
	unsigned i;
	int ret = mvgpu_image_open(ctx, path, &img);

	if (ret)
		return ret;
	for (i = 0; !ret && i < mvgpu_image_get_info(img)->vgpus; i++)
		ret = mvgpu_image_check(mvgpu_image_vgpu(img, i), NULL, NULL, NULL);
	mvgpu_image_close(img);
	return ret;
}

Test(image, a_set_holds_each_vgpu_as_an_image)
{
	struct sstream s[3];
	mvgpu_image_stats st;
	const mvgpu_image_info *in;
	mvgpu_image *img, *one;
	uint8_t *all, *back, *sec;
	size_t len, slen;
	unsigned i;
	int out;

	for (i = 0; i < 3; i++)
		build_stream(&s[i], 100 + 150 * i, 20 * i);
	make_set(path_in("set.img"), s, 3, &all, &len);
	cr_assert_eq(mvgpu_image_open(ctx, path_in("set.img"), &img), 0, "%s",
		     mvgpu_last_error(ctx));
	in = mvgpu_image_get_info(img);
	cr_assert_eq(in->major, MVGPU_IMAGE_SET_MAJOR);
	cr_assert_eq(in->vgpus, 3);
	cr_assert_eq(in->file_bytes, len);
	cr_assert_eq(in->stream_bytes, s[0].len + s[1].len + s[2].len);
	cr_assert_str_eq(in->source_uuid, "");
	/* the set itself is no vGPU */
	cr_assert_eq(mvgpu_image_check(img, NULL, NULL, NULL), -EISDIR);
	cr_assert(strstr(mvgpu_last_error(ctx), "a set of 3 vGPUs"), "%s", mvgpu_last_error(ctx));
	cr_assert_eq(mvgpu_image_extract(img, 1, NULL, &st), -EISDIR);
	cr_assert_null(mvgpu_image_vgpu(img, 3));
	for (i = 0; i < 3; i++) {
		one = mvgpu_image_vgpu(img, i);
		cr_assert_not_null(one);
		cr_assert_str_eq(mvgpu_image_get_info(one)->source_uuid, SET_UUID[i]);
		cr_assert_eq(mvgpu_image_get_info(one)->stream_bytes, s[i].len);
		cr_assert_eq(mvgpu_image_check(one, version_of(0), NULL, NULL), 0, "%u: %s",
			     i, mvgpu_last_error(ctx));
		/* each one's stream and framebuffer, as a restore would have them */
		out = memfd_create("out", MFD_CLOEXEC);
		cr_assert_eq(mvgpu_image_extract(one, out, NULL, &st), 0, "%s",
			     mvgpu_last_error(ctx));
		back = malloc(s[i].len);
		cr_assert_eq(pread(out, back, s[i].len, 0), (ssize_t)s[i].len);
		cr_assert_eq(memcmp(back, s[i].buf, s[i].len), 0, "vGPU %u's stream", i);
		close(out);
		cr_assert_eq(mvgpu_image_read_fb(one, 0, back, s[i].len < FB_SIZE ?
						 s[i].len : FB_SIZE), 0);
		cr_assert_eq(memcmp(back, s[i].fb, s[i].len < FB_SIZE ? s[i].len : FB_SIZE), 0);
		free(back);
		/* its section, cut out, is a plain image (an older mvgpu's) */
		sec = all + mvgpu_image_get_info(one)->offset;
		slen = (size_t)(mvgpu_image_get_info(one)->header_bytes +
				mvgpu_image_get_info(one)->payload_bytes);
		spit(path_in("cut.img"), sec, slen);
		cr_assert_eq(check_file(path_in("cut.img"), NULL), 0, "%s",
			     mvgpu_last_error(ctx));
	}
	mvgpu_image_close(img);
	/* a plain image is its own only vGPU */
	cr_assert_eq(mvgpu_image_open(ctx, path_in("cut.img"), &img), 0);
	cr_assert_eq(mvgpu_image_get_info(img)->vgpus, 1);
	cr_assert_eq(mvgpu_image_vgpu(img, 0), img);
	cr_assert_null(mvgpu_image_vgpu(img, 1));
	mvgpu_image_close(img);
	free(all);
	for (i = 0; i < 3; i++)
		free_stream(&s[i]);
}

Test(image, a_damaged_or_truncated_set_is_refused)
{
	struct sstream s[2];
	uint8_t *all;
	size_t len, hb = IMG_SET_FIXED + 2 * IMG_SET_ENTRY;
	int ret;
	unsigned i;

	for (i = 0; i < 2; i++)
		build_stream(&s[i], 200, 30);
	make_set(path_in("set.img"), s, 2, &all, &len);
	cr_assert_eq(check_set_file(path_in("set.img")), 0, "%s", mvgpu_last_error(ctx));
	/* cut anywhere: in the directory, in a section's header, payload */
	for (size_t cut = 0; cut < len; cut += cut < hb + 200 ? 1 : len / 89 + 1) {
		spit(path_in("cut.img"), all, cut);
		ret = check_set_file(path_in("cut.img"));
		cr_assert(ret == -ENODATA || ret == -EPROTO || ret == -EBADMSG,
			  "cut at %zu of %zu: %d %s", cut, len, ret, mvgpu_last_error(ctx));
	}
	/* a bit flipped anywhere */
	for (size_t at = 0; at < len; at += at < hb + 120 ? 1 : len / 173 + 1) {
		all[at] ^= 0x04;
		spit(path_in("bad.img"), all, len);
		all[at] ^= 0x04;
		ret = check_set_file(path_in("bad.img"));
		cr_assert(ret == -EBADMSG || ret == -EPROTO || ret == -ENODATA ||
			  ret == -EPROTONOSUPPORT,
			  "flip at %zu of %zu: %d %s", at, len, ret, mvgpu_last_error(ctx));
	}
	/* bytes after the last vGPU */
	all = realloc(all, len + 3);
	memset(all + len, 0, 3);
	spit(path_in("bad.img"), all, len + 3);
	cr_assert_eq(check_set_file(path_in("bad.img")), -EBADMSG);
	cr_assert(strstr(mvgpu_last_error(ctx), "3 unexpected bytes after the last vGPU"),
		  "%s", mvgpu_last_error(ctx));
	free(all);
	for (i = 0; i < 2; i++)
		free_stream(&s[i]);
}

/* Directories a writer could have got wrong, checksums right: refused. */
Test(image, foreign_sets_are_refused)
{
	struct img_set_entry e[MVGPU_SESSION_MAX];
	struct sstream s[2];
	uint8_t *all, h[IMG_SET_HEADER_MAX];
	size_t len, sec1;
	unsigned i, n;
	char why[256];

	for (i = 0; i < 2; i++)
		build_stream(&s[i], 50, 0);
	make_set(path_in("set.img"), s, 2, &all, &len);
	cr_assert_eq(img_set_decode(all, len, len, e, &n, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(n, 2);
	sec1 = (size_t)e[1].offset;
#define REWRITE(expect, what, ...) do {						\
		struct img_set_entry f[MVGPU_SESSION_MAX];			\
		memcpy(f, e, sizeof(f));					\
		__VA_ARGS__;							\
		cr_assert_eq(img_set_encode(f, 2, all, len), (int)(IMG_SET_FIXED + 2 * IMG_SET_ENTRY)); \
		spit(path_in("bad.img"), all, len);				\
		cr_assert_eq(check_set_file(path_in("bad.img")), (expect), "%s: %s", \
			     (what), mvgpu_last_error(ctx));			\
		cr_assert(strstr(mvgpu_last_error(ctx), (what)), "%s",	\
			  mvgpu_last_error(ctx));				\
	} while (0)
	REWRITE(-EBADMSG, "in the set twice", snprintf(f[1].uuid, sizeof(f[1].uuid), "%s", SET_UUID[0]));
	REWRITE(-EBADMSG, "its section saved vGPU " "5e700000-0000-4000-8000-000000000002" ", the set's header says",
		snprintf(f[1].uuid, sizeof(f[1].uuid), "%s", SET_UUID[2]));
	REWRITE(-EBADMSG, "vGPU 2's section at", f[1].offset += 8);
	REWRITE(-EBADMSG, "unexpected bytes after the last vGPU", f[1].bytes -= 8);
	REWRITE(-ENODATA, "truncated", f[1].bytes += 8);
	REWRITE(-ENODATA, "vGPU 1 of 2", f[0].bytes = 100, f[1].offset = IMG_SET_FIXED + 2 * IMG_SET_ENTRY + 100,
		f[1].bytes = len - f[1].offset);
#undef REWRITE
	cr_assert_eq(img_set_encode(e, 2, all, len), (int)(IMG_SET_FIXED + 2 * IMG_SET_ENTRY));
	/* counts no writer makes, with a checksum made right */
	for (i = 0; i < 3; i++) {
		static const uint32_t bad[] = { 0, 1, MVGPU_SESSION_MAX + 1 };

		memcpy(h, all, IMG_SET_HEADER_MAX);
		mvgpu_put_le32(h + 20, bad[i]);
		mvgpu_put_le32(h + 12, IMG_SET_FIXED + IMG_SET_ENTRY * bad[i]);
		fix_csum_set(h, IMG_SET_FIXED + IMG_SET_ENTRY * (bad[i] < 17 ? bad[i] : 16));
		cr_assert_eq(img_set_decode(h, sizeof(h), len, e, &n, why, sizeof(why)),
			     -EBADMSG, "count %u", bad[i]);
		cr_assert(strstr(why, "a set of"), "%s", why);
	}
	cr_assert_eq(img_set_encode(e, 1, h, sizeof(h)), -EINVAL);
	cr_assert_eq(img_set_encode(e, MVGPU_SESSION_MAX + 1, h, sizeof(h)), -EINVAL);
	cr_assert_eq(img_set_encode(e, 2, h, 40), -ENOSPC);
	/* unknown flags: a newer writer */
	memcpy(h, all, IMG_SET_FIXED + 2 * IMG_SET_ENTRY);
	mvgpu_put_le32(h + 16, 8);
	fix_csum_set(h, IMG_SET_FIXED + 2 * IMG_SET_ENTRY);
	cr_assert_eq(img_set_decode(h, sizeof(h), len, e, &n, why, sizeof(why)),
		     -EPROTONOSUPPORT);
	/* a section that is itself a set */
	memcpy(all + sec1, all, IMG_SET_FIXED + 2 * IMG_SET_ENTRY);
	spit(path_in("bad.img"), all, len);
	cr_assert_eq(check_set_file(path_in("bad.img")), -EPROTONOSUPPORT, "%s",
		     mvgpu_last_error(ctx));
	cr_assert(strstr(mvgpu_last_error(ctx), "vGPU 2 of 2"), "%s", mvgpu_last_error(ctx));
	free(all);
	for (i = 0; i < 2; i++)
		free_stream(&s[i]);
}

/* mvgpu inspect lists a set's vGPUs; restore wants as many UUIDs. */
Test(image, inspect_and_restore_of_a_set)
{
	static struct run r;
	struct sstream s[3];
	uint8_t *all, *png;
	size_t len, plen;
	unsigned i;

	for (i = 0; i < 3; i++)
		build_stream(&s[i], 100 + 10 * i, 5);
	make_set(path_in("set.img"), s, 3, &all, &len);
	CLI(&r, "inspect", path_in("set.img"));
	cr_assert_eq(r.code, 0, "%s%s", r.out, r.err);
	cr_assert(strstr(r.out, ": valid, a set of 3 vGPUs saved together\n"), "%s", r.out);
	cr_assert(strstr(r.out, "\nformat       2.0, "), "%s", r.out);
	cr_assert(strstr(r.out, "\nvgpu         2 of 3, at byte "), "%s", r.out);
	cr_assert(strstr(r.out, "from vGPU " "5e700000-0000-4000-8000-000000000003"), "%s", r.out);
	cr_assert(strstr(r.out, "mvgpu-64M (index 0)"), "%s", r.out);
	CLI(&r, "--json", "inspect", path_in("set.img"));
	cr_assert_eq(r.code, 0, "%s%s", r.out, r.err);
	cr_assert(json_valid(r.out, strlen(r.out)), "%s", r.out);
	cr_assert(strstr(r.out, "\"vgpus\": 3"), "%s", r.out);
	cr_assert(strstr(r.out, "\"vgpu\": 3"), "%s", r.out);
	cr_assert(strstr(r.out, "\"source_uuid\": \"5e700000-0000-4000-8000-000000000002\""), "%s", r.out);
	/* a picture of one of them */
	CLI(&r, "inspect", path_in("set.img"), "--png", path_in("p.png"));
	cr_assert_eq(r.code, 2, "%s%s", r.out, r.err);
	cr_assert(strstr(r.err, "holds 3 vGPUs: --png needs --vgpu 1..3"), "%s", r.err);
	CLI(&r, "inspect", path_in("set.img"), "--png", path_in("p.png"), "--vgpu", "4");
	cr_assert_eq(r.code, 2, "%s%s", r.out, r.err);
	CLI(&r, "inspect", path_in("set.img"), "--png", path_in("p.png"), "--vgpu", "2");
	cr_assert_eq(r.code, 0, "%s%s", r.out, r.err);
	png = slurp(path_in("p.png"), &plen);
	cr_assert_eq(memcmp(png, "\x89PNG\r\n\x1a\n", 8), 0);
	free(png);
	/* a damaged vGPU is named */
	all[len - 20] ^= 1;
	spit(path_in("bad.img"), all, len);
	CLI(&r, "inspect", path_in("bad.img"));
	cr_assert_eq(r.code, 1, "%s%s", r.out, r.err);
	cr_assert(strstr(r.err, "is not a valid image: vGPU 3 of 3: "), "%s", r.err);
	/* restoring: one UUID for each vGPU, in order */
	CLI(&r, "restore", "11111111-1111-4111-8111-111111111111,22222222-2222-4222-8222-222222222222",
	    path_in("set.img"));
	cr_assert_eq(r.code, 2, "%s%s", r.out, r.err);
	cr_assert(strstr(r.err, "holds 3 vGPUs (saved from " "5e700000-0000-4000-8000-000000000001" ", "),
		  "%s", r.err);
	cr_assert(strstr(r.err, "give 3 target UUIDs, one for each in that order, not 2"), "%s", r.err);
	CLI(&r, "restore", "11111111-1111-4111-8111-111111111111,11111111-1111-4111-8111-111111111111",
	    path_in("set.img"));
	cr_assert_eq(r.code, 2, "%s%s", r.out, r.err);
	cr_assert(strstr(r.err, "is given twice"), "%s", r.err);
	free(all);
	for (i = 0; i < 3; i++)
		free_stream(&s[i]);
}
