// SPDX-License-Identifier: MIT
/*
 * The v1 migration region, driven exactly as Debian 12's QEMU 7.2 drives
 * it (REFERENCE.md): source 001 -> 011 (iterations) -> 010 (until
 * pending_bytes is 0) -> 000, destination 001 -> 100 (chunks through the
 * mmapped data area, then data_size) -> 001; cancel; a bad stream fails
 * the load and never shows the error state.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/vfio.h>

#include "lab.h"
#include "mvgpu.h"
#include "mvgpu_v1.h"

#define PARENT "/sys/class/mdev_bus/mvgpu0"
#define FB (64u << 20)
#define REGION 9

static mvgpu_ctx *ctx;
/*
 * Devices and data-area mappings a test made, undone by the fixture even
 * when an assertion ends the test early: a vGPU still open - a mapping
 * holds it open too - cannot be removed.
 */
static mvgpu_dev *opened[4];
static unsigned nopened;
static void *mapped[4];
static size_t mapped_len[4];
static unsigned nmapped;

static void setup(void)
{
	lab_remove_all();
	nopened = 0;
	nmapped = 0;
	cr_assert_eq(mvgpu_ctx_create(&ctx, NULL), 0);
}

static void teardown(void)
{
	while (nmapped) {
		nmapped--;
		munmap(mapped[nmapped], mapped_len[nmapped]);
	}
	while (nopened)
		mvgpu_dev_close(opened[--nopened]);
	mvgpu_ctx_free(ctx);
	lab_remove_all();
}

TestSuite(v1region, .init = setup, .fini = teardown, .timeout = 600);

struct v1 {
	int fd;
	uint64_t off;		/* region offset in the device fd */
	uint8_t *data;		/* the mmapped data area */
	uint64_t data_off;	/* its offset in the region */
};

static mvgpu_dev *open_new(const char *type, char uuid[37])
{
	mvgpu_dev *dev;

	cr_assert_eq(lab_create(PARENT, type, uuid), 0);
	cr_assert_eq(mvgpu_dev_open(ctx, uuid, &dev), 0, "%s", mvgpu_last_error(ctx));
	opened[nopened++] = dev;
	return dev;
}

/* GET_REGION_INFO with the argsz re-query, the type cap and the sparse cap. */
static void v1_open(mvgpu_dev *dev, struct v1 *v)
{
	struct vfio_region_info *ri = calloc(1, sizeof(*ri));
	struct vfio_info_cap_header *h;
	int have_type = 0;

	v->fd = mvgpu_dev_fd(dev);
	ri->argsz = sizeof(*ri);
	ri->index = REGION;
	cr_assert_eq(ioctl(v->fd, VFIO_DEVICE_GET_REGION_INFO, ri), 0);
	cr_assert(ri->flags & VFIO_REGION_INFO_FLAG_CAPS);
	cr_assert_gt(ri->argsz, sizeof(*ri));
	ri = realloc(ri, ri->argsz);
	cr_assert_eq(ioctl(v->fd, VFIO_DEVICE_GET_REGION_INFO, ri), 0);
	v->off = ri->offset;
	for (uint32_t c = ri->cap_offset; c; c = h->next) {
		h = (void *)((char *)ri + c);
		if (h->id == VFIO_REGION_INFO_CAP_TYPE) {
			struct vfio_region_info_cap_type *t = (void *)h;

			cr_assert_eq(t->type, 3);
			cr_assert_eq(t->subtype, 1);
			have_type = 1;
		} else if (h->id == VFIO_REGION_INFO_CAP_SPARSE_MMAP) {
			struct vfio_region_info_cap_sparse_mmap *s = (void *)h;

			cr_assert_eq(s->nr_areas, 1);
			v->data_off = s->areas[0].offset;
			v->data = mmap(NULL, s->areas[0].size, PROT_READ | PROT_WRITE,
				       MAP_SHARED, v->fd, v->off + s->areas[0].offset);
			cr_assert_neq(v->data, MAP_FAILED);
			mapped[nmapped] = v->data;
			mapped_len[nmapped++] = s->areas[0].size;
		}
	}
	cr_assert(have_type, "no type 3/1 capability");
	cr_assert_not_null(v->data, "no sparse mmap capability");
	free(ri);
}

static uint64_t hdr64(struct v1 *v, unsigned off)
{
	uint64_t x;

	cr_assert_eq(pread(v->fd, &x, 8, v->off + off), 8, "reading header %u", off);
	return x;
}

static uint32_t state(struct v1 *v)
{
	uint32_t s;

	cr_assert_eq(pread(v->fd, &s, 4, v->off), 4);
	return s;
}

/* QEMU's read-modify-write of device_state; returns -errno or 0 */
static int set_state(struct v1 *v, uint32_t bits)
{
	uint32_t s = (state(v) & ~MVGPU_V1_MASK) | bits;

	return pwrite(v->fd, &s, 4, v->off) == 4 ? 0 : -errno;
}

/* one vfio_save_buffer(): data_offset, data_size, the data */
static uint64_t save_buffer(struct v1 *v, int out)
{
	uint64_t off = hdr64(v, MVGPU_V1_OFF_DATA_OFF);
	uint64_t size = hdr64(v, MVGPU_V1_OFF_DATA_SIZE);

	cr_assert_eq(off, v->data_off);
	cr_assert_eq(write(out, v->data, size), (ssize_t)size);
	return size;
}

static int load(struct v1 *v, int in)
{
	static uint8_t buf[1 << 20];
	ssize_t n;

	cr_assert_eq(set_state(v, MVGPU_V1_RESUMING), 0);
	lseek(in, 0, SEEK_SET);
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		uint64_t size = n;

		cr_assert_eq(hdr64(v, MVGPU_V1_OFF_DATA_OFF), v->data_off);
		memcpy(v->data, buf, n);
		if (pwrite(v->fd, &size, 8, v->off + MVGPU_V1_OFF_DATA_SIZE) != 8)
			return -errno;
	}
	return set_state(v, MVGPU_V1_RUNNING);
}

static void fill(mvgpu_dev *dev, uint32_t pattern, uint64_t off)
{
	mvgpu_chan *ch;
	uint32_t f;

	cr_assert_eq(mvgpu_chan_open(dev, 1, 4096, &ch), 0);
	cr_assert_eq(mvgpu_chan_submit(ch, (struct mvgpu_cmd[]){
		mvgpu_cmd_fill(off, 1 << 20, pattern) }, 1), 0);
	cr_assert_eq(mvgpu_chan_fence(ch, MVGPU_FENCE_IRQ, &f), 0);
	cr_assert_eq(mvgpu_chan_wait(ch, f, 30000), 0);
	mvgpu_chan_close(ch);
}

Test(v1region, qemu72_source_and_destination)
{
	char ua[37], ub[37];
	mvgpu_dev *a = open_new("64M", ua), *b = open_new("64M", ub);
	struct v1 va, vb;
	uint8_t *fa, *fbb, *ref;
	size_t size;
	int mfd = memfd_create("v1", MFD_CLOEXEC), iters = 0;

	v1_open(a, &va);
	v1_open(b, &vb);
	cr_assert_eq(state(&va), MVGPU_V1_RUNNING);
	cr_assert_eq(mvgpu_fb_map(a, (void **)&fa, &size), 0);
	fill(a, 0x11223344, 0);
	memset(fa + (4u << 20), 0x5a, 3 << 20);

	/* 001 -> 011: iterations while the guest keeps drawing */
	cr_assert_eq(set_state(&va, MVGPU_V1_RUNNING | MVGPU_V1_SAVING), 0);
	cr_assert_eq(state(&va), MVGPU_V1_RUNNING | MVGPU_V1_SAVING);
	for (int round = 0; round < 3; round++) {
		while (hdr64(&va, MVGPU_V1_OFF_PENDING)) {
			save_buffer(&va, mfd);
			iters++;
		}
		fill(a, 0x55000000 + round, (8u + round) << 20);
		memset(fa + (20u << 20) + round * 8192, 0x60 + round, 4096);
	}
	cr_assert_gt(iters, 1);

	/* 010: until pending_bytes is 0, then 010 again, then 000 */
	cr_assert_eq(set_state(&va, MVGPU_V1_SAVING), 0);
	do
		save_buffer(&va, mfd);
	while (hdr64(&va, MVGPU_V1_OFF_PENDING));
	cr_assert_eq(set_state(&va, MVGPU_V1_SAVING), 0);
	cr_assert_eq(set_state(&va, 0), 0);
	cr_assert_eq(state(&va), 0);
	ref = malloc(FB);
	memcpy(ref, fa, FB);

	/* destination: 001 -> 100 -> 001 */
	cr_assert_eq(load(&vb, mfd), 0, "load: %s", strerror(errno));
	cr_assert_eq(state(&vb), MVGPU_V1_RUNNING);
	cr_assert_eq(mvgpu_fb_map(b, (void **)&fbb, &size), 0);
	for (size_t off = 0; off < FB; off += 4096) {
		if (memcmp(fbb + off, ref + off, 4096)) {
			free(ref);
			cr_assert_fail("page %zu differs", off / 4096);
		}
	}
	free(ref);
	close(mfd);
}

Test(v1region, cancel_and_bad_stream)
{
	char ua[37], ub[37];
	mvgpu_dev *a = open_new("64M", ua), *b = open_new("64M", ub);
	struct v1 va, vb;
	struct stat sb;
	int mfd = memfd_create("v1", MFD_CLOEXEC), bad;
	char *img;

	v1_open(a, &va);
	v1_open(b, &vb);
	fill(a, 0xcafe0001, 0);

	/* cancel: 011 -> 001, the source runs on */
	cr_assert_eq(set_state(&va, MVGPU_V1_RUNNING | MVGPU_V1_SAVING), 0);
	save_buffer(&va, mfd);
	cr_assert_eq(set_state(&va, MVGPU_V1_RUNNING), 0);
	cr_assert_eq(state(&va), MVGPU_V1_RUNNING);
	fill(a, 0xcafe0002, 1 << 20);

	/* savevm of a paused VM: 001 -> 010 -> 000 */
	cr_assert_eq(ftruncate(mfd, 0), 0);
	lseek(mfd, 0, SEEK_SET);
	cr_assert_eq(set_state(&va, MVGPU_V1_SAVING), 0);
	do
		save_buffer(&va, mfd);
	while (hdr64(&va, MVGPU_V1_OFF_PENDING));
	cr_assert_eq(set_state(&va, 0), 0);

	/* the error state and stray bits are refused, the state stays */
	cr_assert_eq(set_state(&va, MVGPU_V1_ERROR), -EINVAL);
	cr_assert_eq(state(&va), 0);

	/* a corrupted stream: the load fails, never the error state */
	cr_assert_eq(fstat(mfd, &sb), 0);
	img = malloc(sb.st_size);
	cr_assert_eq(pread(mfd, img, sb.st_size, 0), sb.st_size);
	img[sb.st_size - 3] ^= 1;
	bad = memfd_create("bad", MFD_CLOEXEC);
	cr_assert_eq(write(bad, img, sb.st_size), sb.st_size);
	cr_assert_neq(load(&vb, bad), 0);
	cr_assert_eq(state(&vb), MVGPU_V1_RESUMING, "not the error state");
	cr_assert_eq(ioctl(vb.fd, VFIO_DEVICE_RESET), 0);
	cr_assert_eq(state(&vb), MVGPU_V1_RUNNING);

	/* and the good one loads */
	cr_assert_eq(load(&vb, mfd), 0);
	free(img);
	close(bad);
	close(mfd);
}
