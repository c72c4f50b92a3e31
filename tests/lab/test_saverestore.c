// SPDX-License-Identifier: MIT
/*
 * `mvgpu save` / `restore` / `inspect` against the real module: a vGPU
 * drawn into through its channels is saved to a file and runs on
 * unchanged; a second vGPU restored from the file has the same
 * framebuffer and channel registers; damaged, truncated and foreign
 * images are refused with the target untouched; a save into a full file
 * system leaves no file and the source intact.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lab.h"
#include "mvgpu.h"

#define PARENT "/sys/class/mdev_bus/mvgpu0"
#define FB (64u << 20)


static mvgpu_ctx *ctx;
/* Devices this process holds: closed by the fixture even when an assertion
 * ends a test early (removing a vGPU we hold open would wait forever). */
static mvgpu_dev *opened[8];
static unsigned nopened;
static char dir[64], full[96];

static void setup(void)
{
	lab_remove_all();
	nopened = 0;
	cr_assert_eq(mvgpu_ctx_create(&ctx, NULL), 0);
	strcpy(dir, "/tmp/saverestore.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(full, sizeof(full), "%s/full", dir);
}

static void rm_tree(const char *d)
{
	DIR *dp = opendir(d);
	struct dirent *de;
	char p[512];

	if (!dp)
		return;
	while ((de = readdir(dp))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%.200s/%.255s", d, de->d_name);
		if (unlink(p) && errno == EISDIR)
			rm_tree(p);
	}
	closedir(dp);
	rmdir(d);
}

static void teardown(void)
{
	while (nopened)
		mvgpu_dev_close(opened[--nopened]);
	mvgpu_ctx_free(ctx);
	lab_remove_all();
	umount2(full, MNT_DETACH);
	rm_tree(dir);
}

TestSuite(saverestore, .init = setup, .fini = teardown, .timeout = 600);

static mvgpu_dev *open_dev(const char *uuid)
{
	mvgpu_dev *dev;

	cr_assert_eq(mvgpu_dev_open(ctx, uuid, &dev), 0, "%s", mvgpu_last_error(ctx));
	opened[nopened++] = dev;
	return dev;
}

static void close_dev(mvgpu_dev *dev)
{
	for (unsigned i = 0; i < nopened; i++) {
		if (opened[i] == dev) {
			opened[i] = opened[--nopened];
			break;
		}
	}
	mvgpu_dev_close(dev);
}



#define CLI(out, ...) lab_run((out), sizeof(out), (char *[]){ (char *)lab_cli(), __VA_ARGS__, NULL })

static char *path(const char *name)
{
	static char p[4][160];
	static unsigned k;
	char *r = p[k++ % 4];

	snprintf(r, 160, "%s/%s", dir, name);
	return r;
}

/*
 * Draw as a guest would: channel fills and fences, an upload of noise
 * (@noise bytes, incompressible), CPU writes, a display mode.
 */
static void draw(mvgpu_dev *dev, size_t noise)
{
	mvgpu_chan *ch;
	mvgpu_dma up;
	uint8_t *fb;
	size_t size;
	uint32_t fence, st;

	cr_assert_eq(mvgpu_chan_open(dev, 0, 65536, &ch), 0, "%s", mvgpu_last_error(ctx));
	for (unsigned i = 0; i < 16; i++) {
		struct mvgpu_cmd c = mvgpu_cmd_fill(i * 131072, 65536, 0x00102030u * (i + 1));

		cr_assert_eq(mvgpu_chan_submit(ch, &c, 1), 0);
	}
	if (noise) {
		cr_assert_eq(mvgpu_dma_alloc(dev, noise, &up), 0);
		srand(7);
		for (size_t i = 0; i < noise; i++)
			((uint8_t *)up.va)[i] = (uint8_t)rand();
		for (size_t off = 0; off < noise; off += 1u << 20) {
			size_t n = noise - off < (1u << 20) ? noise - off : (1u << 20);
			struct mvgpu_cmd c = mvgpu_cmd_dma_to_fb(up.iova + off, (8u << 20) + off, n);

			cr_assert_eq(mvgpu_chan_submit(ch, &c, 1), 0);
		}
	}
	cr_assert_eq(mvgpu_chan_fence(ch, MVGPU_FENCE_IRQ, &fence), 0);
	cr_assert_eq(mvgpu_chan_wait(ch, fence, 60000), 0, "error %u", mvgpu_chan_error(ch));
	cr_assert_eq(mvgpu_fb_map(dev, (void **)&fb, &size), 0);
	memset(fb + (20u << 20) + 100, 0x77, 5000);
	cr_assert_eq(mvgpu_reg_write(dev, MVGPU_REG_DISP_WIDTH, 1024), 0);
	cr_assert_eq(mvgpu_reg_write(dev, MVGPU_REG_DISP_HEIGHT, 768), 0);
	cr_assert_eq(mvgpu_reg_write(dev, MVGPU_REG_DISP_STRIDE, 4096), 0);
	cr_assert_eq(mvgpu_reg_write(dev, MVGPU_REG_DISP_FORMAT, MVGPU_FMT_XRGB8888), 0);
	cr_assert_eq(mvgpu_reg_write(dev, MVGPU_REG_DISP_ENABLE, 1), 0);
	cr_assert_eq(mvgpu_reg_read(dev, MVGPU_REG_DISP_STATUS, &st), 0);
	cr_assert_eq(st, 1);
}

static uint8_t *snapshot(mvgpu_dev *dev)
{
	uint8_t *copy = malloc(FB), *fb;
	size_t size;

	cr_assert_not_null(copy);
	cr_assert_eq(mvgpu_fb_map(dev, (void **)&fb, &size), 0);
	cr_assert_eq(size, FB);
	memcpy(copy, fb, FB);
	return copy;
}

static void assert_fb(mvgpu_dev *dev, const uint8_t *ref, const char *what)
{
	uint8_t *fb;
	size_t size;

	cr_assert_eq(mvgpu_fb_map(dev, (void **)&fb, &size), 0);
	for (size_t off = 0; off < FB; off += 4096)
		if (memcmp(fb + off, ref + off, 4096))
			cr_assert_fail("%s: framebuffer page %zu differs", what, off / 4096);
}

static void read_channels(mvgpu_dev *dev, uint32_t regs[4][10])
{
	for (unsigned c = 0; c < 4; c++)
		for (unsigned r = 0; r < 10; r++)
			cr_assert_eq(mvgpu_reg_read(dev, MVGPU_REG_CH(c, r * 4), &regs[c][r]), 0);
}

static void assert_running(mvgpu_dev *dev)
{
	uint32_t state;

	cr_assert_eq(mvgpu_mig_get_state(dev, &state), 0);
	cr_assert_eq(state, MVGPU_MIG_RUNNING, "state %s", mvgpu_mig_state_name(state));
}

/* A drawn 64M vGPU saved to @file; returns its framebuffer. */
static uint8_t *drawn_and_saved(char uuid[37], const char *file, size_t noise)
{
	static char out[16384];
	mvgpu_dev *a;
	uint8_t *ref;

	cr_assert_eq(lab_create(PARENT, "64M", uuid), 0);
	a = open_dev(uuid);
	draw(a, noise);
	ref = snapshot(a);
	close_dev(a);
	cr_assert_eq(CLI(out, "save", uuid, (char *)file), 0, "%s", out);
	cr_assert_not_null(strstr(out, "saved vGPU"), "%s", out);
	printf("%s", out);
	return ref;
}

Test(saverestore, save_runs_on_restore_elsewhere)
{
	static char out[65536];
	char ua[37], ub[37];
	uint32_t ra[4][10], rb[4][10];
	mvgpu_dev *a, *b;
	uint8_t *ref = drawn_and_saved(ua, path("a.img"), 1u << 20);
	char *line, *save;
	unsigned lines = 0;

	/* the source runs on, unchanged */
	a = open_dev(ua);
	assert_running(a);
	assert_fb(a, ref, "source after save");
	read_channels(a, ra);
	close_dev(a);

	/* another vGPU of the type takes the image */
	cr_assert_eq(lab_create(PARENT, "64M", ub), 0);
	cr_assert_eq(CLI(out, "restore", ub, path("a.img")), 0, "%s", out);
	cr_assert_not_null(strstr(out, "restored vGPU"), "%s", out);
	b = open_dev(ub);
	assert_running(b);
	assert_fb(b, ref, "restored vGPU");
	read_channels(b, rb);
	cr_assert_eq(memcmp(ra, rb, sizeof(ra)), 0, "channel registers differ");
	close_dev(b);

	/* --json: one object per line, events then the summary */
	cr_assert_eq(CLI(out, "--json", "save", ua, path("j.img"), "--no-precopy"), 0, "%s", out);
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		cr_assert_eq(line[0], '{', "%s", line);
		cr_assert_eq(line[strlen(line) - 1], '}', "%s", line);
		lines++;
		if (strstr(line, "\"event\": \"done\"")) {
			cr_assert_not_null(strstr(line, "\"downtime_ms\": "), "%s", line);
			cr_assert_not_null(strstr(line, "\"passes\": 0"), "%s", line);
		}
	}
	cr_assert_geq(lines, 2, "a resumed event and the summary");
	cr_assert_eq(CLI(out, "--json", "restore", ub, path("j.img")), 0, "%s", out);
	cr_assert_not_null(strstr(out, "\"event\": \"validated\""), "%s", out);
	cr_assert_not_null(strstr(out, "\"event\": \"done\""), "%s", out);
	b = open_dev(ub);
	assert_fb(b, ref, "restored from the --no-precopy image");
	free(ref);
}

static void copy_file(const char *from, const char *to, long cut, long flip)
{
	FILE *f = fopen(from, "rb"), *g = fopen(to, "wb");
	long n = 0;
	int c;

	cr_assert(f && g);
	while ((c = fgetc(f)) != EOF && (cut < 0 || n < cut)) {
		fputc(n == flip ? c ^ 0x40 : c, g);
		n++;
	}
	fclose(f);
	fclose(g);
}

static long size_of(const char *p)
{
	struct stat sb;

	cr_assert_eq(stat(p, &sb), 0, "%s", p);
	return (long)sb.st_size;
}

/* Fill a vGPU's framebuffer start with a marker, to see it stays. */
static void mark(const char *uuid, uint8_t *marker, size_t len)
{
	mvgpu_dev *d = open_dev(uuid);

	for (size_t i = 0; i < len; i++)
		marker[i] = (uint8_t)(i * 13 + 5);
	cr_assert_eq(mvgpu_fb_write(d, 0, marker, len), 0);
	close_dev(d);
}

static void assert_marked(const char *uuid, const uint8_t *marker, size_t len)
{
	mvgpu_dev *d = open_dev(uuid);
	uint8_t *got = malloc(len);

	cr_assert_eq(mvgpu_fb_read(d, 0, got, len), 0);
	cr_assert_eq(memcmp(got, marker, len), 0, "the target changed");
	free(got);
	close_dev(d);
}

Test(saverestore, bad_images_leave_the_target_unchanged)
{
	static char out[16384];
	static uint8_t marker[1u << 20];
	char ua[37], ub[37], uc[37];
	uint8_t *ref = drawn_and_saved(ua, path("a.img"), 0);
	long size = size_of(path("a.img"));

	cr_assert_eq(lab_create(PARENT, "64M", ub), 0);
	mark(ub, marker, sizeof(marker));

	copy_file(path("a.img"), path("flip.img"), -1, size / 2);
	cr_assert_eq(CLI(out, "restore", ub, path("flip.img")), 1, "%s", out);
	cr_assert_not_null(strstr(out, "damaged"), "%s", out);
	cr_assert_not_null(strstr(out, "was not changed"), "%s", out);
	assert_marked(ub, marker, sizeof(marker));

	copy_file(path("a.img"), path("cut.img"), size - 100, -1);
	cr_assert_eq(CLI(out, "restore", ub, path("cut.img")), 1, "%s", out);
	cr_assert_not_null(strstr(out, "truncated"), "%s", out);
	assert_marked(ub, marker, sizeof(marker));

	cr_assert_eq(lab_create(PARENT, "256M", uc), 0);
	mark(uc, marker, sizeof(marker));
	cr_assert_eq(CLI(out, "restore", uc, path("a.img")), 1, "%s", out);
	cr_assert_not_null(strstr(out, "type=mvgpu-64M"), "%s", out);
	cr_assert_not_null(strstr(out, "type=mvgpu-256M"), "%s", out);
	cr_assert_not_null(strstr(out, "mvgpu create --type mvgpu-64M"), "%s", out);
	printf("%s", out);
	assert_marked(uc, marker, sizeof(marker));

	/* the vGPU is busy: a clear no */
	{
		mvgpu_dev *d = open_dev(ub);

		cr_assert_eq(CLI(out, "restore", ub, path("a.img")), 1, "%s", out);
		cr_assert_not_null(strstr(out, "in use"), "%s", out);
		cr_assert_eq(CLI(out, "save", ub, path("busy.img")), 1, "%s", out);
		cr_assert_not_null(strstr(out, "in use"), "%s", out);
		cr_assert_neq(access(path("busy.img"), F_OK), 0);
		close_dev(d);
	}
	/* and the good image still restores */
	cr_assert_eq(CLI(out, "restore", ub, path("a.img")), 0, "%s", out);
	{
		mvgpu_dev *d = open_dev(ub);

		assert_fb(d, ref, "restored after refusals");
	}
	free(ref);
}

Test(saverestore, inspect_in_the_lab)
{
	static char out[16384];
	char ua[37];
	uint8_t *ref = drawn_and_saved(ua, path("a.img"), 0), png[24];
	int fd;

	cr_assert_eq(CLI(out, "inspect", path("a.img")), 0, "%s", out);
	cr_assert_not_null(strstr(out, "mvgpu-64M (index 0)"), "%s", out);
	cr_assert_not_null(strstr(out, ua), "%s", out);
	printf("%s", out);
	/* closing a vGPU resets its display: nothing to show without --mode */
	cr_assert_eq(CLI(out, "inspect", path("a.img"), "--png", path("a.png")), 1, "%s", out);
	cr_assert_not_null(strstr(out, "--mode"), "%s", out);
	cr_assert_eq(CLI(out, "inspect", path("a.img"), "--png", path("a.png"),
			 "--mode", "1024x768"), 0, "%s", out);
	fd = open(path("a.png"), O_RDONLY);
	cr_assert_geq(fd, 0);
	cr_assert_eq(read(fd, png, sizeof(png)), (ssize_t)sizeof(png));
	close(fd);
	cr_assert_eq(memcmp(png, "\x89PNG\r\n\x1a\n", 8), 0);
	cr_assert_eq(memcmp(png + 12, "IHDR", 4), 0);
	cr_assert_eq(png[18] << 8 | png[19], 1024);
	cr_assert_eq(png[22] << 8 | png[23], 768);
	free(ref);
}

Test(saverestore, full_file_system_leaves_no_file_and_the_source_intact)
{
	static char out[16384];
	char ua[37], file[160];
	mvgpu_dev *a;
	uint8_t *ref;
	DIR *d;
	struct dirent *de;
	int entries = 0;

	cr_assert_eq(unshare(CLONE_NEWNS), 0);
	cr_assert_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	cr_assert_eq(mkdir(full, 0700), 0);
	cr_assert_eq(mount("tmpfs", full, "tmpfs", 0, "size=1m"), 0, "%s", strerror(errno));

	cr_assert_eq(lab_create(PARENT, "64M", ua), 0);
	a = open_dev(ua);
	draw(a, 3u << 20);	/* 3 MiB of noise: more than the 1 MiB there is */
	ref = snapshot(a);
	close_dev(a);

	snprintf(file, sizeof(file), "%s/x.img", full);
	cr_assert_eq(CLI(out, "save", ua, file), 1, "%s", out);
	cr_assert_not_null(strstr(out, "No space left"), "%s", out);
	cr_assert_not_null(strstr(out, "running, unchanged"), "%s", out);
	printf("%s", out);
	d = opendir(full);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			entries++;
	closedir(d);
	cr_assert_eq(entries, 0, "nothing left in the full file system");

	a = open_dev(ua);
	assert_running(a);
	assert_fb(a, ref, "source after a failed save");
	free(ref);
}

static void set_memory_kind(const char *parent, const char *kind)
{
	char p[LAB_PATH + 32];

	snprintf(p, sizeof(p), "%s/mvgpu/memory_kind", parent);
	cr_assert_eq(lab_write_str(p, kind), 0, "%s", p);
}

/* before the suite's teardown: the defaults need the parents empty */
static void one_to_one_teardown(void)
{
	while (nopened)
		mvgpu_dev_close(opened[--nopened]);
	lab_remove_all();
	lab_platform_defaults();
}

/*
 * A 1:1 vGPU's framebuffer is its parent's usable pool (960 MiB on DDR
 * with ECC, BAR2 1 GiB): it moves to another 1:1 vGPU of the same size,
 * and a target whose pool differs (HBM: 1024 MiB) refuses the image
 * unchanged.
 */
Test(saverestore, a_one_to_one_vgpu_moves_to_a_gpu_of_its_size_only,
     .fini = one_to_one_teardown)
{
	static char out[16384];
	static uint32_t head[1024], tail[1024], got[1024];
	const uint64_t fb = 960ull << 20;
	char dirs[LAB_MAX_PARENTS][LAB_PATH], ua[37], ub[37];
	mvgpu_dev *a, *b;

	cr_assert_eq(lab_parents(dirs, LAB_MAX_PARENTS), 2);
	set_memory_kind(dirs[0], "ddr");
	set_memory_kind(dirs[1], "ddr");
	for (unsigned i = 0; i < 1024; i++) {
		head[i] = 0x11000000 + i;
		tail[i] = 0x22000000 + i;
	}
	cr_assert_eq(lab_create(dirs[0], "full", ua), 0);
	a = open_dev(ua);
	cr_assert_eq(mvgpu_dev_get_info(a)->fb_size, fb);
	cr_assert_eq(mvgpu_fb_write(a, 0, head, sizeof(head)), 0);
	cr_assert_eq(mvgpu_fb_write(a, fb - sizeof(tail), tail, sizeof(tail)), 0);
	close_dev(a);
	cr_assert_eq(CLI(out, "save", ua, path("full.img")), 0, "%s", out);

	cr_assert_eq(lab_create(dirs[1], "full", ub), 0);
	cr_assert_eq(CLI(out, "restore", ub, path("full.img")), 0, "%s", out);
	b = open_dev(ub);
	cr_assert_eq(mvgpu_fb_read(b, 0, got, sizeof(got)), 0);
	cr_assert_eq(memcmp(got, head, sizeof(got)), 0);
	cr_assert_eq(mvgpu_fb_read(b, fb - sizeof(got), got, sizeof(got)), 0);
	cr_assert_eq(memcmp(got, tail, sizeof(got)), 0);
	close_dev(b);
	cr_assert_eq(lab_remove(ub), 0);

	set_memory_kind(dirs[1], "hbm");
	cr_assert_eq(lab_create(dirs[1], "full", ub), 0);
	cr_assert_eq(CLI(out, "restore", ub, path("full.img")), 1, "%s", out);
	cr_assert_not_null(strstr(out, "framebuffer size differs"), "%s", out);
	cr_assert_not_null(strstr(out, "was not changed"), "%s", out);
}
