// SPDX-License-Identifier: MIT
/*
 * mvgpu-gpu-test - the nested Linux guest's workload: it drives the vGPU
 * through the mvgpu DRM driver only (KMS dumb buffers, the render ioctls,
 * mmap) and checks every byte it gets back.  It prints lines on stdout
 * (the guest's serial console) that tests/lab/test_linux_guest.c reads:
 *
 *   MVGPU-GUEST-INFO card<m> ...    what the driver reports, per vGPU
 *   MVGPU-GUEST-RESET-OK            a context whose channel failed gets
 *                                   -EIO, others carry on, a new one works
 *                                   (once per vGPU)
 *   MVGPU-GUEST-FRAMES card<m> fps=<f>
 *                                   30 frames (submits with
 *                                   DRM_MVGPU_SUBMIT_FRAME) back to back:
 *                                   the rate the host's frame-rate limiter
 *                                   let through (once per vGPU)
 *   MVGPU-GUEST-OK <n> irqs=<k> msi|intx cards=<c>
 *                                   check round n passed on all c vGPUs,
 *                                   each interrupted (k: their total)
 *   MVGPU-GUEST-FAIL <n> card<m> <what>   and it stops
 *
 * Every mvgpu_drm card of the guest (/dev/dri/card0..3) is driven.
 *
 * A check round first verifies that the vGPU still holds what the previous
 * round left (the picture, and three scratch areas whose contents follow
 * from the round number), then submits new work - a FILL, an UPLOAD of
 * fresh data, a COPY of it, asynchronously and waited for by sequence
 * number, then a DOWNLOAD submitted with WAIT - and checks it through the
 * buffer's mmap and the downloaded bytes.  Migrated live, the first round
 * on the target re-checks what the source wrote.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <drm/drm.h>
#include <drm/drm_mode.h>

#include "mvgpu_drm.h"

#define CARD		"/dev/dri/card%d"
#define INJECT		"/sys/kernel/debug/dri/%d/inject_error"
#define MAX_CARDS	4

#define PIC_W		256
#define PIC_H		128
#define SCR_W		512	/* scratch: 512 x 512 x 4 = 1 MiB */
#define SCR_H		512
#define FILL_OFF	0
#define FILL_LEN	(256u << 10)
#define UP_OFF		(256u << 10)
#define COPY_OFF	(512u << 10)
#define DATA_LEN	(64u << 10)

static const uint32_t band[4] = { 0x00ff0000, 0x0000ff00, 0x000000ff, 0x00ffffff };

struct bo {
	uint32_t handle;
	uint64_t size;
	uint8_t *map;
};

/* One vGPU of the guest: a DRM card of mvgpu_drm. */
struct card {
	int minor, fd;
	char path[32];
	struct bo pic, scr;
};

static unsigned long round_no;
static int cur_card;

static void __attribute__((noreturn, format(printf, 1, 2))) fail(const char *fmt, ...)
{
	va_list ap;

	printf("MVGPU-GUEST-FAIL %lu card%d ", round_no, cur_card);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	exit(1);
}

static int xioctl(int fd, unsigned long req, void *arg)
{
	int r;

	do {
		r = ioctl(fd, req, arg);
	} while (r < 0 && (errno == EINTR || errno == EAGAIN));
	return r < 0 ? -errno : 0;
}

static void bo_create(int fd, struct bo *bo, uint32_t w, uint32_t h)
{
	struct drm_mode_create_dumb c = { .width = w, .height = h, .bpp = 32 };
	struct drm_mode_map_dumb m = { 0 };
	int r;

	r = xioctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &c);
	if (r)
		fail("CREATE_DUMB: %s", strerror(-r));
	m.handle = c.handle;
	r = xioctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &m);
	if (r)
		fail("MAP_DUMB: %s", strerror(-r));
	bo->handle = c.handle;
	bo->size = c.size;
	bo->map = mmap(NULL, c.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, m.offset);
	if (bo->map == MAP_FAILED)
		fail("mmap: %s", strerror(errno));
}

static int submit(int fd, struct drm_mvgpu_cmd *cmds, uint32_t n, uint32_t flags,
		  __u64 *seqno)
{
	struct drm_mvgpu_submit s = {
		.cmds = (uintptr_t)cmds, .count = n, .flags = flags,
	};
	int r = xioctl(fd, DRM_IOCTL_MVGPU_SUBMIT, &s);

	if (seqno)
		*seqno = s.seqno;
	return r;
}

static struct drm_mvgpu_cmd fill(uint32_t h, uint64_t off, uint64_t len, uint32_t v)
{
	return (struct drm_mvgpu_cmd){ .op = DRM_MVGPU_OP_FILL, .handle = h,
				       .offset = off, .size = len, .value = v };
}

/* The 32-bit words that round @n leaves: a pattern, and data from a seed. */
static uint32_t pattern(uint32_t salt, unsigned long n)
{
	return n ? (0x9e3779b9u * (uint32_t)n) ^ salt : 0;
}

static void round_data(uint32_t *w, unsigned long n)
{
	uint32_t x = 0x2545f491u ^ (uint32_t)n;

	for (size_t i = 0; i < DATA_LEN / 4; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		w[i] = n ? x : 0;
	}
}

static void expect_words(const uint8_t *p, size_t len, uint32_t want, const char *what)
{
	for (size_t i = 0; i < len; i += 4) {
		uint32_t v;

		memcpy(&v, p + i, 4);
		if (v != want)
			fail("%s: word at %#zx is %#x, want %#x", what, i, v, want);
	}
}

static void expect_bytes(const uint8_t *got, const void *want, size_t len, const char *what)
{
	if (memcmp(got, want, len)) {
		size_t i = 0;

		while (got[i] == ((const uint8_t *)want)[i])
			i++;
		fail("%s: byte %#zx is %#x, want %#x", what, i, got[i],
		     ((const uint8_t *)want)[i]);
	}
}

/* What the vGPU must hold after round @n. */
static void check_holds(const struct bo *pic, const struct bo *scr, unsigned long n,
			uint32_t *data)
{
	size_t q = (size_t)PIC_W * 4 * (PIC_H / 4);

	for (int b = 0; b < 4; b++)
		expect_words(pic->map + b * q, q, band[b], "picture");
	expect_words(scr->map + FILL_OFF, FILL_LEN, pattern(0x0e0e0e0e, n), "fill");
	round_data(data, n);
	expect_bytes(scr->map + UP_OFF, data, DATA_LEN, "upload");
	expect_bytes(scr->map + COPY_OFF, data, DATA_LEN, "copy");
}

/* Interrupts of @k's vGPU so far (its line of /proc/interrupts, found by
 * the IRQ number sysfs gives), and whether they are MSI. */
static unsigned long irq_count(const struct card *k, int *msi)
{
	char line[512], path[64];
	unsigned long total = 0;
	int irq = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/drm/card%d/device/irq", k->minor);
	f = fopen(path, "r");
	if (!f || fscanf(f, "%d", &irq) != 1)
		fail("no IRQ number in %s", path);
	fclose(f);
	*msi = 0;
	f = fopen("/proc/interrupts", "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *end;

		if (strtol(line, &end, 10) != irq || *end != ':' || !strstr(line, "mvgpu_drm"))
			continue;
		*msi = !!strstr(line, "MSI");
		for (p = end + 1;; p = end) {
			unsigned long v = strtoul(p, &end, 10);

			if (end == p)
				break;
			total += v;
		}
	}
	fclose(f);
	return total;
}

static void inject_error(int minor)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), INJECT, minor);
	fd = open(path, O_WRONLY);
	if (fd < 0 || write(fd, "1", 1) != 1)
		fail("cannot arm %s: %s", path, strerror(errno));
	close(fd);
}

/*
 * A context whose channel fails is lost, and only it: B's work fails with
 * EIO from then on, A (already running) and a new context C are served.
 */
/*
 * Frames as a compositor would submit them: a FILL of the scratch buffer
 * ending a frame, 31 of them back to back, the last waited for.  The host's
 * frame-rate limiter (vgpu_params, on by default: 60 fps for every type)
 * holds each frame's end until its slot.
 */
static void frames(const struct card *k)
{
	struct timespec t0, t1;
	struct drm_mvgpu_cmd c;
	double s;
	int r;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i <= 30; i++) {
		c = fill(k->scr.handle, 768u << 10, 4096, 0x00010101u * i);	/* unused by the rounds */
		r = submit(k->fd, &c, 1, DRM_MVGPU_SUBMIT_FRAME |
			   (i == 30 ? DRM_MVGPU_SUBMIT_WAIT : 0), NULL);
		if (r)
			fail("frame %d: %s", i, strerror(-r));
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("MVGPU-GUEST-FRAMES card%d fps=%.1f\n", k->minor, 30 / s);
}

static void reset_path(const struct card *k)
{
	int fd_a = k->fd, fd_b = open(k->path, O_RDWR | O_CLOEXEC), fd_c, r;
	const struct bo *pic = &k->pic;
	struct drm_mvgpu_cmd c;
	struct bo bb, bc;
	__u64 seq;

	if (fd_b < 0)
		fail("open %s: %s", k->path, strerror(errno));
	bo_create(fd_b, &bb, 64, 64);
	c = fill(bb.handle, 0, bb.size, 0x11111111);
	if ((r = submit(fd_b, &c, 1, DRM_MVGPU_SUBMIT_WAIT, NULL)))
		fail("context B's first submit: %s", strerror(-r));
	inject_error(k->minor);
	c = fill(bb.handle, 0, bb.size, 0x22222222);
	r = submit(fd_b, &c, 1, DRM_MVGPU_SUBMIT_WAIT, &seq);
	if (r != -EIO)
		fail("context B's failing submit returned %d, want -EIO", r);
	r = submit(fd_b, &c, 1, 0, NULL);
	if (r != -EIO)
		fail("context B's next submit returned %d, want -EIO", r);
	expect_words(bb.map, bb.size, 0x11111111, "context B's buffer");

	/* A is not affected */
	c = fill(pic->handle, 0, 4096, band[0]);
	if ((r = submit(fd_a, &c, 1, DRM_MVGPU_SUBMIT_WAIT, NULL)))
		fail("context A after B's error: %s", strerror(-r));

	/* closing B resets its channel; a new context gets a clean one */
	munmap(bb.map, bb.size);
	close(fd_b);
	fd_c = open(k->path, O_RDWR | O_CLOEXEC);
	if (fd_c < 0)
		fail("open %s: %s", k->path, strerror(errno));
	for (int i = 0; i < 5; i++) {	/* more contexts than one: every channel */
		bo_create(fd_c, &bc, 64, 64);
		c = fill(bc.handle, 0, bc.size, 0x33333333 + i);
		if ((r = submit(fd_c, &c, 1, DRM_MVGPU_SUBMIT_WAIT, NULL)))
			fail("context C: %s", strerror(-r));
		expect_words(bc.map, bc.size, 0x33333333 + i, "context C's buffer");
		munmap(bc.map, bc.size);
		close(fd_c);
		fd_c = open(k->path, O_RDWR | O_CLOEXEC);
	}
	close(fd_c);
	printf("MVGPU-GUEST-RESET-OK\n");
	fflush(stdout);
}

static void draw_picture(int fd, const struct bo *pic)
{
	size_t q = (size_t)PIC_W * 4 * (PIC_H / 4);
	struct drm_mvgpu_cmd c[4];
	int r;

	for (int b = 0; b < 4; b++)
		c[b] = fill(pic->handle, b * q, q, band[b]);
	if ((r = submit(fd, c, 4, DRM_MVGPU_SUBMIT_WAIT, NULL)))
		fail("picture: %s", strerror(-r));
}

static void one_round(int fd, const struct bo *scr, unsigned long n, uint32_t *data,
		      uint8_t *down)
{
	struct drm_mvgpu_cmd c[3];
	struct drm_mvgpu_wait w = { .timeout_ns = 10000000000ll };
	int r;

	round_data(data, n);
	c[0] = fill(scr->handle, FILL_OFF, FILL_LEN, pattern(0x0e0e0e0e, n));
	c[1] = (struct drm_mvgpu_cmd){ .op = DRM_MVGPU_OP_UPLOAD, .handle = scr->handle,
				       .offset = UP_OFF, .size = DATA_LEN,
				       .value = (uintptr_t)data };
	c[2] = (struct drm_mvgpu_cmd){ .op = DRM_MVGPU_OP_COPY, .handle = scr->handle,
				       .offset = COPY_OFF, .size = DATA_LEN,
				       .src_handle = scr->handle, .src_offset = UP_OFF };
	if ((r = submit(fd, c, 3, 0, &w.seqno)))
		fail("submit: %s", strerror(-r));
	if ((r = xioctl(fd, DRM_IOCTL_MVGPU_WAIT, &w)))
		fail("wait %llu: %s", (unsigned long long)w.seqno, strerror(-r));
	c[0] = (struct drm_mvgpu_cmd){ .op = DRM_MVGPU_OP_DOWNLOAD, .handle = scr->handle,
				       .offset = COPY_OFF, .size = DATA_LEN,
				       .value = (uintptr_t)down };
	memset(down, 0xa5, DATA_LEN);
	if ((r = submit(fd, c, 1, DRM_MVGPU_SUBMIT_WAIT, NULL)))
		fail("download: %s", strerror(-r));
	expect_bytes(down, data, DATA_LEN, "download");
}

static bool is_mvgpu(int fd)
{
	char name[32] = "";
	struct drm_version v = { .name = name, .name_len = sizeof(name) - 1 };

	return !xioctl(fd, DRM_IOCTL_VERSION, &v) && !strcmp(name, "mvgpu");
}

/* Every card of mvgpu_drm (card0 first: its console is the one on screen). */
static int open_cards(struct card *cards)
{
	struct drm_mvgpu_info info;
	int n = 0, r;

	for (int minor = 0; minor < MAX_CARDS; minor++) {
		struct card *k = &cards[n];

		snprintf(k->path, sizeof(k->path), CARD, minor);
		k->minor = minor;
		k->fd = open(k->path, O_RDWR | O_CLOEXEC);
		if (k->fd < 0) {
			if (errno == ENOENT)
				continue;
			fail("open %s: %s", k->path, strerror(errno));
		}
		cur_card = minor;
		if (!is_mvgpu(k->fd)) {
			close(k->fd);
			continue;
		}
		if ((r = xioctl(k->fd, DRM_IOCTL_MVGPU_INFO, &info)))
			fail("INFO: %s", strerror(-r));
		printf("MVGPU-GUEST-INFO card%d fb=%llu MiB abi=%u.%u channels=%u type=%u max=%ux%u\n",
		       minor, (unsigned long long)info.fb_size >> 20, info.abi >> 16,
		       info.abi & 0xffff, info.channels, info.type_index, info.max_width,
		       info.max_height);
		n++;
	}
	if (!n)
		fail("no mvgpu_drm card");
	return n;
}

int main(int argc, char **argv)
{
	static uint32_t data[DATA_LEN / 4];
	static uint8_t down[DATA_LEN];
	static struct card cards[MAX_CARDS];
	unsigned long irqs0[MAX_CARDS], irqs = 0;
	int n, msi = 0;

	(void)argc;
	(void)argv;
	setvbuf(stdout, NULL, _IOLBF, 0);
	n = open_cards(cards);
	for (int i = 0; i < n; i++) {
		struct card *k = &cards[i];

		cur_card = k->minor;
		bo_create(k->fd, &k->pic, PIC_W, PIC_H);
		bo_create(k->fd, &k->scr, SCR_W, SCR_H);
		draw_picture(k->fd, &k->pic);
		reset_path(k);
		draw_picture(k->fd, &k->pic);	/* reset_path drew over a corner */
		frames(k);
	}
	for (int i = 0; i < n; i++)
		irqs0[i] = irq_count(&cards[i], &msi);

	for (round_no = 0;; round_no++) {
		struct timespec ts = { 0, 500 * 1000 * 1000 };

		for (int i = 0; i < n; i++) {
			struct card *k = &cards[i];

			cur_card = k->minor;
			check_holds(&k->pic, &k->scr, round_no, data);
			one_round(k->fd, &k->scr, round_no + 1, data, down);
			check_holds(&k->pic, &k->scr, round_no + 1, data);
		}
		irqs = 0;
		for (int i = 0; i < n; i++) {
			unsigned long c = irq_count(&cards[i], &msi);

			cur_card = cards[i].minor;
			if (c <= irqs0[i])
				fail("no interrupt from the vGPU (%lu)", c);
			irqs0[i] = c;
			irqs += c;
		}
		printf("MVGPU-GUEST-OK %lu irqs=%lu %s cards=%d\n", round_no + 1, irqs,
		       msi ? "msi" : "intx", n);
		nanosleep(&ts, NULL);	/* pace: a round every half second */
	}
}
