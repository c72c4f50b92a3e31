// SPDX-License-Identifier: MIT
/*
 * The platform around the vGPU (issue #15), against the real module: a
 * parent's memory kind and ECC mode and what they do to the pool, the
 * guest's ECC registers and opt-out, injected single- and double-bit errors
 * with a workload running, page retirement (pending until a reset, never
 * given out again, kept across a module reload), vgpu_params and the
 * frame-rate limiter, mdevctl applying vgpu_params, and all of it across a
 * migration with pre-copy.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "lab.h"
#include "mvgpu.h"

#define PARENT		"/sys/class/mdev_bus/mvgpu0"
#define PATTR(a)	PARENT "/mvgpu/" a
#define FB64		(64ull << 20)
#define RETIRED_FILE	"/tmp/mvgpu-retired-pages"

static mvgpu_ctx *ctx;
static mvgpu_dev *opened[4];
static unsigned nopened;

static void setup(void)
{
	lab_remove_all();
	nopened = 0;
	lab_platform_defaults();
	cr_assert_eq(mvgpu_ctx_create(&ctx, NULL), 0);
}

static void teardown(void)
{
	while (nopened)
		mvgpu_dev_close(opened[--nopened]);
	mvgpu_ctx_free(ctx);
	lab_remove_all();
	lab_platform_defaults();
}

TestSuite(ecc, .init = setup, .fini = teardown, .timeout = 300);
TestSuite(params, .init = setup, .fini = teardown, .timeout = 300);

/* ---- helpers ------------------------------------------------------------ */

static void vattr(char *out, const char *uuid, const char *name)
{
	snprintf(out, LAB_PATH, "/sys/bus/mdev/devices/%s/mvgpu/%s", uuid, name);
}

/* Value of "key=" in a key=value line, or -1. */
static long long kv(const char *line, const char *key)
{
	size_t n = strlen(key);

	for (const char *p = line; (p = strstr(p, key)); p += n) {
		if ((p == line || p[-1] == ' ') && p[n] == '=')
			return strtoll(p + n + 1, NULL, 0);
	}
	return -1;
}

static long long vgpu_ecc(const char *uuid, const char *key)
{
	char p[LAB_PATH], buf[512];

	vattr(p, uuid, "ecc_status");
	cr_assert_eq(lab_read_str(p, buf, sizeof(buf)), 0);
	if (!strcmp(key, "mode"))
		return strstr(buf, "mode=enabled") ? 1 : 0;
	return kv(buf, key);
}

static long long parent_ecc(const char *key)
{
	char buf[256];

	cr_assert_eq(lab_read_str(PATTR("ecc_errors"), buf, sizeof(buf)), 0);
	return kv(buf, key);
}

static mvgpu_dev *open_new(const char *parent, const char *type, char uuid[37])
{
	mvgpu_dev *dev;

	cr_assert_eq(lab_create(parent, type, uuid), 0);
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

static uint32_t reg(mvgpu_dev *dev, uint32_t off)
{
	uint32_t v = 0xdeadbeef;

	cr_assert_eq(mvgpu_reg_read(dev, off, &v), 0);
	return v;
}

static void wreg(mvgpu_dev *dev, uint32_t off, uint32_t v)
{
	cr_assert_eq(mvgpu_reg_write(dev, off, v), 0);
}

static int inject(const char *uuid, const char *what)
{
	char p[LAB_PATH];

	snprintf(p, sizeof(p), "/sys/kernel/debug/mvgpu/%s/ecc_inject", uuid);
	return lab_write_str(p, what);
}

/*
 * The vGPU's debugfs pool_pages runs ("fb_first-fb_last: pool_first-
 * pool_last"): the pool page behind framebuffer page @idx (*@pool, -1 if
 * none), and whether pool page @page is mapped anywhere.
 */
static bool scan_pool_pages(const char *uuid, unsigned long idx, long long *pool,
			    long long page)
{
	char p[LAB_PATH], buf[8192], *line, *save = NULL;
	unsigned long f0, f1, p0, p1;
	bool mapped = false;

	*pool = -1;
	snprintf(p, sizeof(p), "/sys/kernel/debug/mvgpu/%s/pool_pages", uuid);
	cr_assert_eq(lab_read_str(p, buf, sizeof(buf)), 0);
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		cr_assert_eq(sscanf(line, "%li-%li: %li-%li", &f0, &f1, &p0, &p1), 4,
			     "pool_pages line: %s", line);
		if (idx >= f0 && idx <= f1)
			*pool = p0 + (idx - f0);
		if (page >= (long long)p0 && page <= (long long)p1)
			mapped = true;
	}
	return mapped;
}

static long long pool_page(const char *uuid, unsigned long idx)
{
	long long pool;

	scan_pool_pages(uuid, idx, &pool, -1);
	return pool;
}

static bool maps_pool_page(const char *uuid, long long page)
{
	long long pool;

	return scan_pool_pages(uuid, ~0ul, &pool, page);
}

/* The line of parent's retired_pages for pool page @page, or "". */
static void retired_line(const char *parent, long long page, char *out, size_t len)
{
	char p[LAB_PATH], buf[4096], want[32], *line, *save = NULL;

	snprintf(p, sizeof(p), "%s/mvgpu/retired_pages", parent);
	cr_assert_eq(lab_read_str(p, buf, sizeof(buf)), 0);
	snprintf(want, sizeof(want), "0x%llx ", page);	/* the kernel's %#lx */
	out[0] = 0;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, want, strlen(want))) {
			snprintf(out, len, "%s", line);
			return;
		}
	}
}

/* A channel's work: fill, copy, fence - true if it completed. */
static bool work(mvgpu_chan *c, unsigned i)
{
	struct mvgpu_cmd cmds[] = {
		mvgpu_cmd_fill((32u << 20) + (i % 8) * 65536, 65536, 0x01020304u * (i + 1)),
		mvgpu_cmd_copy(32u << 20, (48u << 20) + (i % 4) * 65536, 65536),
	};
	uint32_t fence;

	return !mvgpu_chan_submit(c, cmds, 2) &&
	       !mvgpu_chan_fence(c, MVGPU_FENCE_IRQ, &fence) &&
	       !mvgpu_chan_wait(c, fence, 30000);
}

static void fb_pattern(mvgpu_dev *dev, unsigned long page, uint8_t seed)
{
	uint8_t buf[4096];

	for (unsigned i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(seed + i * 7);
	cr_assert_eq(mvgpu_fb_write(dev, page * 4096, buf, sizeof(buf)), 0);
}

static void fb_expect(mvgpu_dev *dev, unsigned long page, uint8_t seed,
		      int flip_byte, uint8_t flip)
{
	uint8_t buf[4096];

	cr_assert_eq(mvgpu_fb_read(dev, page * 4096, buf, sizeof(buf)), 0);
	for (unsigned i = 0; i < sizeof(buf); i++) {
		uint8_t want = (uint8_t)(seed + i * 7);

		if ((int)i == flip_byte)
			want ^= flip;
		cr_assert_eq(buf[i], want, "fb page %lu byte %u: %#x, want %#x",
			     page, i, buf[i], want);
	}
}

static long long sysfs_ll(const char *path)
{
	long long v = lab_read_ll(path);

	cr_assert_geq(v, 0, "%s: %lld", path, v);
	return v;
}

static void dmesg_has(const char *what)
{
	static char out[1 << 16];
	/* the end of the log: a long one would not fit, and dmesg would die
	 * of SIGPIPE when lab_run stops reading */
	char *argv[] = { "/bin/sh", "-c", "dmesg | tail -c 60000", NULL };

	cr_assert_eq(lab_run(out, sizeof(out), argv), 0);
	cr_assert(strstr(out, what), "dmesg lacks '%s'", what);
}

/* ---- the pool and the modes --------------------------------------------- */

Test(ecc, memory_kind_and_mode_change_the_pool)
{
	long long total = sysfs_ll(PATTR("fb_total"));
	char buf[256], p[LAB_PATH], uuid[37];
	mvgpu_dev *dev;

	cr_assert_eq(lab_read_str(PATTR("memory_kind"), buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "hbm");
	cr_assert_eq(lab_read_str(PATTR("ecc_mode"), buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "enabled");
	/* HBM: ECC costs nothing */
	cr_assert_eq(sysfs_ll(PATTR("fb_usable")), total);
	cr_assert_eq(lab_available(PARENT, "256M"), total >> 28);

	/* DDR: 1/16 of the pool holds the check bits */
	cr_assert_eq(lab_write_str(PATTR("memory_kind"), "ddr"), 0);
	cr_assert_eq(sysfs_ll(PATTR("fb_usable")), total - total / 16);
	cr_assert_eq(lab_available(PARENT, "256M"), (total - total / 16) >> 28);
	cr_assert_eq(lab_available(PARENT, "1G"), (total - total / 16) >> 30);
	lab_type_dir(p, PARENT, "256M");
	strcat(p, "/description");
	cr_assert_eq(lab_read_str(p, buf, sizeof(buf)), 0);
	cr_assert(strstr(buf, "framebuffer=256M"), "%s", buf);
	cr_assert_eq(kv(strstr(buf, "max_instance"), "max_instance"),
		     (total - total / 16) >> 28, "%s", buf);
	cr_assert_eq(lab_write_str(PATTR("ecc_mode"), "disabled"), 0);
	cr_assert_eq(sysfs_ll(PATTR("fb_usable")), total);
	cr_assert_eq(lab_write_str(PATTR("ecc_mode"), "enabled"), 0);
	cr_assert_eq(lab_write_str(PATTR("ecc_mode"), "sometimes"), -EINVAL);
	cr_assert_eq(lab_write_str(PATTR("memory_kind"), "sram"), -EINVAL);

	/* with a vGPU: the kind is fixed, a mode change waits for its removal */
	dev = open_new(PARENT, "64M", uuid);
	cr_assert_eq(sysfs_ll(PATTR("fb_used")), FB64);
	cr_assert_eq(lab_write_str(PATTR("memory_kind"), "hbm"), -EBUSY);
	cr_assert_eq(reg(dev, MVGPU_REG_ECC_STATUS),
		     MVGPU_ECC_STATUS_SUPPORTED | MVGPU_ECC_STATUS_ENABLED |
		     MVGPU_ECC_STATUS_DDR);
	cr_assert_gt(mvgpu_vgpu_migration_version(ctx, uuid, buf, sizeof(buf)), 0);
	cr_assert(strstr(buf, " ecc=on"), "%s", buf);
	cr_assert_eq(lab_write_str(PATTR("ecc_mode"), "disabled"), 0);
	cr_assert_eq(lab_read_str(PATTR("ecc_mode"), buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "enabled");
	cr_assert_eq(lab_read_str(PATTR("ecc_mode_pending"), buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "disabled");
	cr_assert(reg(dev, MVGPU_REG_ECC_STATUS) & MVGPU_ECC_STATUS_ENABLED);
	vattr(p, uuid, "ecc_status");
	close_dev(dev);
	cr_assert_eq(lab_remove(uuid), 0);
	cr_assert_eq(lab_read_str(PATTR("ecc_mode"), buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "disabled");
	cr_assert_eq(sysfs_ll(PATTR("fb_used")), 0);

	dev = open_new(PARENT, "64M", uuid);
	cr_assert_eq(reg(dev, MVGPU_REG_ECC_STATUS), MVGPU_ECC_STATUS_DDR);
	cr_assert_gt(mvgpu_vgpu_migration_version(ctx, uuid, buf, sizeof(buf)), 0);
	cr_assert(strstr(buf, " ecc=off"), "%s", buf);
}

/* ---- errors under a workload -------------------------------------------- */

Test(ecc, single_bit_errors_are_corrected_counted_and_retire_a_page)
{
	char uuid[37], line[128];
	mvgpu_dev *dev;
	mvgpu_chan *c;
	long long sbe0 = parent_ecc("sbe_aggregate"), page, spare;

	cr_assert_eq(lab_write_str(PATTR("memory_kind"), "ddr"), 0);
	dev = open_new(PARENT, "64M", uuid);
	cr_assert_eq(mvgpu_chan_open(dev, 0, 65536, &c), 0);
	fb_pattern(dev, 5, 0x11);
	fb_pattern(dev, 6, 0x22);
	cr_assert(work(c, 0));

	/* corrected: the data is intact, the workload goes on */
	cr_assert_eq(inject(uuid, "sbe 5 100"), 0);
	cr_assert(work(c, 1));
	fb_expect(dev, 5, 0x11, -1, 0);
	cr_assert_eq(reg(dev, MVGPU_REG_ECC_SBE_VOL), 1);
	cr_assert_eq(reg(dev, MVGPU_REG_ECC_SBE_AGG), 1);
	cr_assert_eq(reg(dev, MVGPU_REG_RETIRED_PEND), 0);
	cr_assert_eq(vgpu_ecc(uuid, "sbe_volatile"), 1);
	cr_assert_eq(parent_ecc("sbe_aggregate"), sbe0 + 1);

	/* a second one on the same page retires it, pending the next reset */
	page = pool_page(uuid, 5);
	cr_assert_geq(page, 0);
	cr_assert_eq(inject(uuid, "sbe 5"), 0);
	cr_assert_eq(inject(uuid, "sbe 6"), 0);
	cr_assert(work(c, 2));
	cr_assert_eq(reg(dev, MVGPU_REG_ECC_SBE_VOL), 3);
	cr_assert_eq(reg(dev, MVGPU_REG_RETIRED_PEND), 1);
	cr_assert_eq(reg(dev, MVGPU_REG_RETIRED), 0);
	cr_assert_eq(vgpu_ecc(uuid, "retired_pending"), 1);
	retired_line(PARENT, page, line, sizeof(line));
	cr_assert(strstr(line, " sbe pending"), "retired_pages: '%s'", line);
	cr_assert_eq(pool_page(uuid, 5), page, "replaced before the reset");

	/* the guest resets its vGPU: a spare takes the page's place, the
	 * framebuffer keeps its bytes (an engine reset keeps them) */
	cr_assert_eq(mvgpu_dev_reset(dev, MVGPU_RESET_REG), 0);
	spare = pool_page(uuid, 5);
	cr_assert_neq(spare, page);
	cr_assert_eq(reg(dev, MVGPU_REG_RETIRED_PEND), 0);
	cr_assert_eq(reg(dev, MVGPU_REG_RETIRED), 1);
	cr_assert_eq(reg(dev, MVGPU_REG_ECC_SBE_VOL), 0, "volatile restarts at reset");
	cr_assert_eq(reg(dev, MVGPU_REG_ECC_SBE_AGG), 3);
	retired_line(PARENT, page, line, sizeof(line));
	cr_assert(strstr(line, " sbe retired"), "retired_pages: '%s'", line);
	fb_expect(dev, 5, 0x11, -1, 0);
	fb_expect(dev, 6, 0x22, -1, 0);
	cr_assert_eq(mvgpu_chan_reset(c), 0);
	cr_assert(work(c, 3));
	mvgpu_chan_close(c);
}

Test(ecc, double_bit_error_stops_every_channel_until_reset)
{
	char uuid[37], line[128];
	mvgpu_chan *c0, *c1;
	mvgpu_dev *dev;
	long long page;

	dev = open_new(PARENT, "64M", uuid);
	cr_assert_eq(mvgpu_chan_open(dev, 0, 65536, &c0), 0);
	cr_assert_eq(mvgpu_chan_open(dev, 1, 65536, &c1), 0);
	cr_assert(work(c0, 0));
	cr_assert(work(c1, 1));
	page = pool_page(uuid, 9);

	/* strikes while channel 0 has work queued: 8 fills of 4 MiB */
	for (unsigned i = 0; i < 8; i++) {
		struct mvgpu_cmd fill = mvgpu_cmd_fill((16u + 4 * i) << 20, 4u << 20, i);

		cr_assert_eq(mvgpu_chan_submit(c0, &fill, 1), 0);
	}
	cr_assert_eq(inject(uuid, "dbe 9"), 0);
	cr_assert_eq(reg(dev, MVGPU_REG_ECC_STATUS) & MVGPU_ECC_STATUS_KILLED,
		     MVGPU_ECC_STATUS_KILLED);
	cr_assert_eq(reg(dev, MVGPU_REG_ECC_DBE_VOL), 1);
	cr_assert_eq(reg(dev, MVGPU_REG_RETIRED_PEND), 1);
	for (unsigned ch = 0; ch < 2; ch++) {
		cr_assert_eq(reg(dev, MVGPU_REG_CH(ch, MVGPU_CH_ERROR)), MVGPU_ERR_ECC);
		cr_assert(reg(dev, MVGPU_REG_INTR_STATUS) & MVGPU_INTR_ERROR(ch));
	}
	cr_assert(!work(c0, 2), "a killed channel ran");
	cr_assert_eq(mvgpu_chan_error(c0), MVGPU_ERR_ECC);
	cr_assert_eq(vgpu_ecc(uuid, "killed"), 1);
	retired_line(PARENT, page, line, sizeof(line));
	cr_assert(strstr(line, " dbe pending"), "retired_pages: '%s'", line);

	/* ENABLE is refused until the vGPU is reset */
	cr_assert_eq(mvgpu_chan_reset(c0), -EIO);
	cr_assert_eq(mvgpu_chan_error(c0), MVGPU_ERR_ECC);

	/* the VM reboots: VFIO reset */
	cr_assert_eq(mvgpu_dev_reset(dev, MVGPU_RESET_VFIO), 0);
	cr_assert_eq(reg(dev, MVGPU_REG_ECC_STATUS) & MVGPU_ECC_STATUS_KILLED, 0);
	cr_assert_eq(reg(dev, MVGPU_REG_ECC_DBE_VOL), 0);
	cr_assert_eq(reg(dev, MVGPU_REG_ECC_DBE_AGG), 1);
	cr_assert_eq(reg(dev, MVGPU_REG_RETIRED), 1);
	cr_assert_neq(pool_page(uuid, 9), page);
	cr_assert_eq(mvgpu_chan_reset(c0), 0);
	cr_assert_eq(mvgpu_chan_reset(c1), 0);
	cr_assert(work(c0, 4));
	cr_assert(work(c1, 5));
	mvgpu_chan_close(c0);
	mvgpu_chan_close(c1);
}

Test(ecc, guest_opt_out_takes_effect_at_reset_and_errors_go_unseen)
{
	char uuid[37];
	mvgpu_dev *dev;
	mvgpu_chan *c;

	dev = open_new(PARENT, "64M", uuid);
	cr_assert_eq(reg(dev, MVGPU_REG_ECC_STATUS),
		     MVGPU_ECC_STATUS_SUPPORTED | MVGPU_ECC_STATUS_ENABLED);
	wreg(dev, MVGPU_REG_ECC_CTRL, MVGPU_ECC_CTRL_OPT_OUT | 0xf0);
	cr_assert_eq(reg(dev, MVGPU_REG_ECC_CTRL), MVGPU_ECC_CTRL_OPT_OUT);
	cr_assert_eq(reg(dev, MVGPU_REG_ECC_STATUS),
		     MVGPU_ECC_STATUS_SUPPORTED | MVGPU_ECC_STATUS_ENABLED |
		     MVGPU_ECC_STATUS_PENDING);
	cr_assert_eq(vgpu_ecc(uuid, "optout_pending"), 1);
	cr_assert_eq(mvgpu_dev_reset(dev, MVGPU_RESET_REG), 0);
	cr_assert_eq(reg(dev, MVGPU_REG_ECC_STATUS), MVGPU_ECC_STATUS_SUPPORTED);
	cr_assert_eq(vgpu_ecc(uuid, "optout"), 1);
	cr_assert_eq(vgpu_ecc(uuid, "mode"), 0);

	/* without ECC nothing corrects or counts: the bits flip */
	cr_assert_eq(mvgpu_chan_open(dev, 0, 65536, &c), 0);
	fb_pattern(dev, 3, 0x33);
	cr_assert_eq(inject(uuid, "sbe 3 10"), 0);
	fb_expect(dev, 3, 0x33, 10, 0x01);
	fb_pattern(dev, 3, 0x33);
	cr_assert_eq(inject(uuid, "dbe 3 11"), 0);
	fb_expect(dev, 3, 0x33, 11, 0x03);
	cr_assert(work(c, 0), "no ECC, no kill");
	cr_assert_eq(reg(dev, MVGPU_REG_ECC_SBE_AGG), 0);
	cr_assert_eq(reg(dev, MVGPU_REG_ECC_DBE_AGG), 0);
	cr_assert_eq(reg(dev, MVGPU_REG_RETIRED_PEND), 0);
	mvgpu_chan_close(c);

	/* opting in again */
	wreg(dev, MVGPU_REG_ECC_CTRL, 0);
	cr_assert_eq(mvgpu_dev_reset(dev, MVGPU_RESET_VFIO), 0);
	cr_assert_eq(reg(dev, MVGPU_REG_ECC_STATUS),
		     MVGPU_ECC_STATUS_SUPPORTED | MVGPU_ECC_STATUS_ENABLED);

	/* a bad injection is refused */
	cr_assert_eq(inject(uuid, "tbe 1"), -EINVAL);
	cr_assert_eq(inject(uuid, "sbe 16384"), -ERANGE);
	cr_assert_eq(inject(uuid, "sbe 1 4096"), -ERANGE);
}

Test(ecc, injection_is_refused_while_a_stream_is_loaded)
{
	char uuid[37];
	mvgpu_dev *dev = open_new(PARENT, "64M", uuid);
	int fd = -1;

	/* a stream's state would overwrite what the error did */
	cr_assert_eq(mvgpu_mig_set_state(dev, MVGPU_MIG_STOP, NULL), 0);
	cr_assert_eq(mvgpu_mig_set_state(dev, MVGPU_MIG_RESUMING, &fd), 0);
	cr_assert_eq(inject(uuid, "dbe 1"), -EBUSY);
	cr_assert_eq(reg(dev, MVGPU_REG_ECC_DBE_AGG), 0);
	close(fd);
	cr_assert_eq(mvgpu_dev_reset(dev, MVGPU_RESET_VFIO), 0);	/* ends it */
	cr_assert_eq(inject(uuid, "dbe 1"), 0);
	cr_assert_eq(reg(dev, MVGPU_REG_ECC_DBE_AGG), 1);
}

/* ---- mvgpu status against the real files --------------------------------- */

static void has(const char *out, const char *what)
{
	cr_assert(strstr(out, what), "lacks '%s':\n%s", what, out);
}

Test(ecc, mvgpu_status_shows_the_platform)
{
	static char out[1 << 16];
	char uuid[37];
	mvgpu_dev *dev;
	mvgpu_chan *c;

	cr_assert_eq(lab_write_str(PATTR("memory_kind"), "ddr"), 0);
	dev = open_new(PARENT, "64M", uuid);
	cr_assert_eq(mvgpu_chan_open(dev, 0, 65536, &c), 0);
	cr_assert(work(c, 0));
	cr_assert_eq(inject(uuid, "sbe 5"), 0);
	cr_assert_eq(inject(uuid, "sbe 5"), 0);
	cr_assert_eq(inject(uuid, "dbe 6"), 0);

	cr_assert_eq(lab_run(out, sizeof(out), (char *[]){ (char *)lab_cli(), "--json",
			     "status", "-q", uuid, "--interval", "50", NULL }), 0, "%s", out);
	has(out, "\"memory_kind\": \"ddr\"");
	has(out, "\"ecc_mode\": \"enabled\"");
	has(out, "\"migration_state\": \"running\"");
	has(out, "\"channels_active\": 1");
	has(out, "\"in_use\": true");
	has(out, "\"killed\": true");
	has(out, "\"sbe_volatile\": 2");
	has(out, "\"dbe_volatile\": 1");
	has(out, "\"retired_pending\": 2");
	has(out, "\"state\": \"pending\"");
	has(out, "\"frame_rate_limiter\": true");

	cr_assert_eq(lab_run(out, sizeof(out), (char *[]){ (char *)lab_cli(), "status",
			     "--interval", "0", NULL }), 0, "%s", out);
	has(out, uuid);
	has(out, "ddr");
	mvgpu_chan_close(c);
}

/* ---- migration ----------------------------------------------------------- */

/* A new 64M vGPU on mvgpu0 that stream @mfd (closed here) was restored into. */
static mvgpu_dev *restore_new(int mfd, char uuid[37])
{
	mvgpu_dev *dev = open_new(PARENT, "64M", uuid);

	cr_assert_eq(mvgpu_restore(dev, mfd, NULL), 0, "%s", mvgpu_last_error(ctx));
	close(mfd);
	return dev;
}

static int save_precopy(mvgpu_dev *dev, const char *uuid)
{
	int mfd = memfd_create("stream", MFD_CLOEXEC);
	mvgpu_save_opts o = { .max_passes = 3, .precopy = 1 };

	(void)uuid;
	cr_assert_eq(mvgpu_save(dev, mfd, &o, NULL), 0, "%s", mvgpu_last_error(ctx));
	cr_assert_eq(lseek(mfd, 0, SEEK_SET), 0);
	return mfd;
}

/* Between pre-copy passes the workload runs on another channel and the
 * memory takes one more single-bit error, at page 3. */
struct live {
	mvgpu_chan *ch;
	const char *uuid;
	unsigned passes;
};

static int live_pass(void *opaque, unsigned pass, uint64_t dirty)
{
	struct live *l = opaque;

	(void)dirty;
	l->passes++;
	if (!work(l->ch, 10 + pass))
		return -EIO;
	return pass == 1 ? inject(l->uuid, "sbe 3") : 0;
}

Test(ecc, state_migrates_and_a_different_mode_is_refused)
{
	const char *pci = getenv("MVGPU_LAB_PARENT");
	char ua[37], ub[37], uc[37], pci_dir[256], p[LAB_PATH], ver[512];
	mvgpu_dev *a, *b, *c;
	mvgpu_chan *ch;
	struct live live = { .uuid = ua };
	long long retired;
	mvgpu_save_opts o = { .max_passes = 3, .precopy = 1,
			      .between_passes = live_pass, .opaque = &live };
	int mfd;

	cr_assert_eq(lab_write_str(PATTR("memory_kind"), "ddr"), 0);
	a = open_new(PARENT, "64M", ua);
	/* a page retired on the source (and replaced at its reset): that is
	 * the source's physical page, not the guest's */
	retired = pool_page(ua, 4);
	cr_assert_eq(inject(ua, "dbe 4"), 0);
	cr_assert_eq(mvgpu_dev_reset(a, MVGPU_RESET_REG), 0);
	cr_assert_eq(reg(a, MVGPU_REG_RETIRED), 1);
	cr_assert_eq(mvgpu_chan_open(a, 0, 65536, &ch), 0);
	cr_assert(work(ch, 0));
	cr_assert_eq(inject(ua, "sbe 1"), 0);
	wreg(a, MVGPU_REG_ECC_CTRL, MVGPU_ECC_CTRL_OPT_OUT);
	mvgpu_chan_close(ch);

	/* live: pre-copy passes with the workload running and one more error */
	cr_assert_eq(mvgpu_chan_open(a, 2, 65536, &live.ch), 0);
	mfd = memfd_create("stream", MFD_CLOEXEC);
	cr_assert_eq(mvgpu_save(a, mfd, &o, NULL), 0, "%s", mvgpu_last_error(ctx));
	cr_assert_geq(live.passes, 2);
	cr_assert_eq(lseek(mfd, 0, SEEK_SET), 0);
	b = restore_new(mfd, ub);
	/* one SBE before the migration, one during; the DBE before the
	 * source's reset counts in the aggregate only */
	cr_assert_eq(reg(b, MVGPU_REG_ECC_SBE_VOL), 2);
	cr_assert_eq(reg(b, MVGPU_REG_ECC_SBE_AGG), 2);
	cr_assert_eq(reg(b, MVGPU_REG_ECC_DBE_VOL), 0);
	cr_assert_eq(reg(b, MVGPU_REG_ECC_DBE_AGG), 1);
	cr_assert_eq(reg(b, MVGPU_REG_ECC_CTRL), MVGPU_ECC_CTRL_OPT_OUT);
	cr_assert_eq(reg(b, MVGPU_REG_ECC_STATUS),
		     MVGPU_ECC_STATUS_SUPPORTED | MVGPU_ECC_STATUS_ENABLED |
		     MVGPU_ECC_STATUS_PENDING | MVGPU_ECC_STATUS_DDR);
	/* retirements are physical: the target has its own healthy pages */
	cr_assert_eq(reg(b, MVGPU_REG_RETIRED), 0);
	cr_assert_eq(reg(b, MVGPU_REG_RETIRED_PEND), 0);
	cr_assert(!maps_pool_page(ub, retired), "the target maps retired page %#llx", retired);
	cr_assert_eq(reg(b, MVGPU_REG_CH(2, MVGPU_CH_FENCE)),
		     reg(a, MVGPU_REG_CH(2, MVGPU_CH_FENCE)));

	/* the source runs again (the migration is abandoned), takes a DBE:
	 * killed, and that migrates too */
	cr_assert_eq(mvgpu_mig_set_state(a, MVGPU_MIG_RUNNING, NULL), 0);
	mvgpu_chan_close(live.ch);
	cr_assert_eq(inject(ua, "dbe 7"), 0);
	close_dev(b);
	cr_assert_eq(lab_remove(ub), 0);
	b = restore_new(save_precopy(a, ua), ub);
	cr_assert_eq(reg(b, MVGPU_REG_ECC_SBE_VOL), 2);
	cr_assert_eq(reg(b, MVGPU_REG_ECC_SBE_AGG), 2);
	cr_assert_eq(reg(b, MVGPU_REG_ECC_DBE_VOL), 1);
	cr_assert_eq(reg(b, MVGPU_REG_ECC_DBE_AGG), 2);
	cr_assert_eq(reg(b, MVGPU_REG_ECC_CTRL), MVGPU_ECC_CTRL_OPT_OUT);
	cr_assert_eq(reg(b, MVGPU_REG_ECC_STATUS),
		     MVGPU_ECC_STATUS_SUPPORTED | MVGPU_ECC_STATUS_ENABLED |
		     MVGPU_ECC_STATUS_PENDING | MVGPU_ECC_STATUS_KILLED |
		     MVGPU_ECC_STATUS_DDR);
	/* killed there too, until its reset - which applies the opt-out */
	cr_assert_eq(mvgpu_chan_open(b, 1, 65536, &ch), -EIO);
	cr_assert_eq(mvgpu_dev_reset(b, MVGPU_RESET_VFIO), 0);
	cr_assert_eq(reg(b, MVGPU_REG_ECC_STATUS),
		     MVGPU_ECC_STATUS_SUPPORTED | MVGPU_ECC_STATUS_DDR);
	cr_assert_eq(mvgpu_chan_open(b, 1, 65536, &ch), 0);
	cr_assert(work(ch, 1));
	mvgpu_chan_close(ch);

	/* a target whose parent runs without ECC: refused by
	 * migration_version and by the stream, the source runs on */
	cr_assert_not_null(pci, "no PCI parent in this lab host");
	snprintf(pci_dir, sizeof(pci_dir), "/sys/class/mdev_bus/%s", pci);
	snprintf(p, sizeof(p), "%s/mvgpu/ecc_mode", pci_dir);
	cr_assert_eq(lab_write_str(p, "disabled"), 0);
	c = open_new(pci_dir, "64M", uc);
	cr_assert_gt(mvgpu_vgpu_migration_version(ctx, ua, ver, sizeof(ver)), 0);
	vattr(p, uc, "../migration_version");
	cr_assert_eq(lab_write_str(p, ver), -EINVAL);
	cr_assert_eq(mvgpu_mig_set_state(a, MVGPU_MIG_RUNNING, NULL), 0);
	mfd = save_precopy(a, ua);
	cr_assert_neq(mvgpu_restore(c, mfd, NULL), 0);
	dmesg_has("ECC mode differs: source on, target off");
	close(mfd);
	cr_assert_eq(mvgpu_mig_set_state(a, MVGPU_MIG_RUNNING, NULL), 0);
	close_dev(c);
	cr_assert_eq(lab_remove(uc), 0);
}

/* ---- vgpu_params --------------------------------------------------------- */

static void params_of(const char *uuid, char *buf, size_t len)
{
	char p[LAB_PATH];

	vattr(p, uuid, "vgpu_params");
	cr_assert_eq(lab_read_str(p, buf, len), 0);
}

static int params_set(const char *uuid, const char *s)
{
	char p[LAB_PATH];

	vattr(p, uuid, "vgpu_params");
	return lab_write_str(p, s);
}

Test(params, written_while_closed_read_back_canonically)
{
	char uuid[37], buf[128];
	mvgpu_dev *dev;

	cr_assert_eq(lab_create(PARENT, "64M", uuid), 0);
	params_of(uuid, buf, sizeof(buf));
	cr_assert_str_eq(buf, "frame_rate_limiter=1");
	cr_assert_eq(params_set(uuid, "frame_rate_limiter=0"), 0);
	params_of(uuid, buf, sizeof(buf));
	cr_assert_str_eq(buf, "frame_rate_limiter=0");
	cr_assert_eq(params_set(uuid, "frame_rate_limiter=2"), -EINVAL);
	dmesg_has("frame_rate_limiter=2: want 0 or 1");
	cr_assert_eq(params_set(uuid, "frame_rate_limiter=1, fps_cap=30"), -EINVAL);
	dmesg_has("unknown key \"fps_cap\"");
	cr_assert_eq(params_set(uuid, "frame_rate_limiter"), -EINVAL);
	params_of(uuid, buf, sizeof(buf));
	cr_assert_str_eq(buf, "frame_rate_limiter=0", "a refused write changed it");
	cr_assert_eq(params_set(uuid, " "), 0);
	params_of(uuid, buf, sizeof(buf));
	cr_assert_str_eq(buf, "frame_rate_limiter=1", "empty: the defaults");
	cr_assert_eq(params_set(uuid, "frame_rate_limiter=0,\n"), 0);

	cr_assert_eq(mvgpu_dev_open(ctx, uuid, &dev), 0);
	opened[nopened++] = dev;
	cr_assert_eq(params_set(uuid, "frame_rate_limiter=1"), -EBUSY);
	close_dev(dev);
	cr_assert_eq(params_set(uuid, "frame_rate_limiter=1"), 0);
}

/* Runs @n frames (a fill and a FENCE that ends a frame); returns seconds. */
static double frames(mvgpu_dev *dev, unsigned n)
{
	struct timespec t0, t1;
	struct mvgpu_cmd cmds[2];
	uint32_t fence = 0;
	mvgpu_chan *c;

	cr_assert_eq(mvgpu_chan_open(dev, 0, 65536, &c), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned i = 0; i < n; i++) {
		cmds[0] = mvgpu_cmd_fill(0, 4096, i);
		cr_assert_eq(mvgpu_chan_fence_cmd(c, MVGPU_FENCE_IRQ, &cmds[1], &fence), 0);
		cmds[1].flags |= MVGPU_CMD_F_FRAME;	/* le32: x86 */
		cr_assert_eq(mvgpu_chan_submit(c, cmds, 2), 0);
	}
	cr_assert_eq(mvgpu_chan_wait(c, fence, 30000), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	mvgpu_chan_close(c);
	return (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
}

Test(params, frame_rate_limiter_caps_frames_at_frl_config)
{
	const unsigned n = 31;	/* 30 frame intervals */
	char uuid[37];
	mvgpu_dev *dev;
	double on, off;

	cr_assert_eq(lab_create(PARENT, "64M", uuid), 0);
	cr_assert_eq(mvgpu_dev_open(ctx, uuid, &dev), 0);
	opened[nopened++] = dev;
	on = frames(dev, n);
	close_dev(dev);
	/* frl_config=60: 30 intervals take at least half a second */
	cr_assert_geq(on, 30 / 60.0 - 0.001, "%u frames in %.3f s with the limiter", n, on);

	cr_assert_eq(params_set(uuid, "frame_rate_limiter=0"), 0);
	cr_assert_eq(mvgpu_dev_open(ctx, uuid, &dev), 0);
	opened[nopened++] = dev;
	off = frames(dev, n);
	cr_log_info("frames: %.1f/s with the limiter, %.1f/s without", (n - 1) / on,
		    (n - 1) / off);
}

Test(params, migrate_with_the_vgpu)
{
	char ua[37], ub[37], buf[128];
	mvgpu_dev *a, *b;
	int mfd;

	cr_assert_eq(lab_create(PARENT, "64M", ua), 0);
	cr_assert_eq(params_set(ua, "frame_rate_limiter=0"), 0);
	cr_assert_eq(mvgpu_dev_open(ctx, ua, &a), 0);
	opened[nopened++] = a;
	mfd = save_precopy(a, ua);
	b = open_new(PARENT, "64M", ub);
	params_of(ub, buf, sizeof(buf));
	cr_assert_str_eq(buf, "frame_rate_limiter=1");
	cr_assert_eq(mvgpu_restore(b, mfd, NULL), 0, "%s", mvgpu_last_error(ctx));
	close(mfd);
	params_of(ub, buf, sizeof(buf));
	cr_assert_str_eq(buf, "frame_rate_limiter=0", "the target applies the source's");
}

Test(params, mdevctl_applies_them_at_start)
{
	char uuid[37], out[4096], buf[128];
	char *def[] = { "/usr/bin/mdevctl", "define", "-u", uuid, "-p", "mvgpu0",
			"-t", "mvgpu-64M", NULL };
	/* mdevctl 1.2 (bookworm) takes attributes through modify */
	char *attr[] = { "/usr/bin/mdevctl", "modify", "-u", uuid,
			 "--addattr=mvgpu/vgpu_params",
			 "--value=frame_rate_limiter=0", NULL };
	char *start[] = { "/usr/bin/mdevctl", "start", "-u", uuid, NULL };
	char *stop[] = { "/usr/bin/mdevctl", "stop", "-u", uuid, NULL };
	char *undef[] = { "/usr/bin/mdevctl", "undefine", "-u", uuid, NULL };

	lab_new_uuid(uuid);
	cr_assert_eq(lab_run(out, sizeof(out), def), 0, "%s", out);
	cr_assert_eq(lab_run(out, sizeof(out), attr), 0, "%s", out);
	cr_assert_eq(lab_run(out, sizeof(out), start), 0, "%s", out);
	params_of(uuid, buf, sizeof(buf));
	cr_assert_str_eq(buf, "frame_rate_limiter=0");
	cr_assert_eq(lab_run(out, sizeof(out), stop), 0, "%s", out);
	cr_assert_eq(lab_run(out, sizeof(out), undef), 0, "%s", out);
}

/* ---- retired pages across a module reload -------------------------------- */

/*
 * Loads the module again with the lab's parameters and @extra, and binds
 * the PCI parent again; no vGPU may exist.  @between (shell) runs while the
 * module is out.
 */
static void module_reload_with(const char *extra, const char *between)
{
	static char out[4096];
	char cmd[1024];
	char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	const char *ko = getenv("MVGPU_LAB_KO"), *mp = getenv("MVGPU_LAB_MODPARAMS");

	cr_assert_not_null(ko, "MVGPU_LAB_KO: not in a lab host?");
	snprintf(cmd, sizeof(cmd),
		 "rmmod mvgpu && %s insmod %s %s %s && "
		 "{ [ -z \"$MVGPU_LAB_PARENT\" ] || echo 1234 11e8 >/sys/bus/pci/drivers/mvgpu/new_id; }",
		 between ? between : "", ko, mp ? mp : "", extra ? extra : "");
	cr_assert_eq(lab_run(out, sizeof(out), argv), 0, "%s: %s", cmd, out);
}

static void module_reload(const char *extra)
{
	module_reload_with(extra, NULL);
}

static void retire_setup(void)
{
	setup();
	unlink(RETIRED_FILE);
	unlink(RETIRED_FILE ".new");
	module_reload("retired_pages_file=" RETIRED_FILE " spare_pages=0");
}

static void retire_teardown(void)
{
	while (nopened)
		mvgpu_dev_close(opened[--nopened]);
	mvgpu_ctx_free(ctx);
	lab_remove_all();
	module_reload(NULL);
	unlink(RETIRED_FILE);
	unlink(RETIRED_FILE ".new");
}

TestSuite(retire, .init = retire_setup, .fini = retire_teardown, .timeout = 300);

Test(retire, retired_pages_are_never_given_out_and_outlive_the_module)
{
	long long total = sysfs_ll(PATTR("fb_total")), page;
	char ua[37], ub[37], line[128], file[4096], want[64];

	/* no spares: every retired page costs the pool a page */
	cr_assert_eq(lab_available(PARENT, "1G"), total >> 30);
	cr_assert_eq(lab_create(PARENT, "64M", ua), 0);
	page = pool_page(ua, 0);
	cr_assert_eq(inject(ua, "dbe 0"), 0);
	retired_line(PARENT, page, line, sizeof(line));
	cr_assert(strstr(line, " dbe pending"), "'%s'", line);
	cr_assert_eq(lab_remove(ua), 0);
	retired_line(PARENT, page, line, sizeof(line));
	cr_assert(strstr(line, " dbe retired"), "'%s'", line);
	cr_assert_eq(sysfs_ll(PATTR("fb_usable")), total - 4096);
	cr_assert_eq(lab_available(PARENT, "1G"), 0, "a 1G vGPU would need the retired page");
	cr_assert_eq(lab_create(PARENT, "64M", ub), 0);
	cr_assert(!maps_pool_page(ub, page), "a new vGPU got retired page %#llx", page);
	cr_assert_eq(lab_remove(ub), 0);

	/* unloading writes the file; loading reads it */
	module_reload("retired_pages_file=" RETIRED_FILE " spare_pages=0");
	cr_assert_eq(lab_read_str(RETIRED_FILE, file, sizeof(file)), 0);
	snprintf(want, sizeof(want), "mvgpu0 page 0x%llx dbe\n", page);
	cr_assert(strstr(file, want), "%s lacks '%s':\n%s", RETIRED_FILE, want, file);
	cr_assert(strstr(file, "mvgpu0 ecc sbe=0 dbe=1"), "%s", file);
	retired_line(PARENT, page, line, sizeof(line));
	cr_assert(strstr(line, " dbe retired"), "after the reload: '%s'", line);
	cr_assert_eq(parent_ecc("dbe_aggregate"), 1);
	cr_assert_eq(parent_ecc("dbe_volatile"), 0);
	cr_assert_eq(lab_available(PARENT, "1G"), 0);
	cr_assert_eq(lab_create(PARENT, "64M", ub), 0);
	cr_assert(!maps_pool_page(ub, page));
	cr_assert_eq(lab_remove(ub), 0);

	/* the file is checked: nonsense is skipped, the module loads (the
	 * nonsense goes in while the module is out: unloading rewrites it) */
	module_reload_with("retired_pages_file=" RETIRED_FILE " spare_pages=0",
			   "printf 'mvgpu0 page 0x7fffffff dbe\\nmvgpu0 page 0x10 tbe\\nmvgpu0\\n"
			   "0000:00:99.0 page 0x5 sbe\\n' >>"
			   RETIRED_FILE " &&");
	dmesg_has("1 retired page(s) beyond the pool: skipped, kept in the file");
	dmesg_has("2 malformed line(s) skipped");
	retired_line(PARENT, page, line, sizeof(line));
	cr_assert(strstr(line, " dbe retired"), "'%s'", line);
	retired_line(PARENT, 0x10, line, sizeof(line));
	cr_assert_str_eq(line, "");

	/* a rewrite loses nothing it could not use: the page beyond this
	 * pool, another parent's page; the malformed lines go; both copies */
	module_reload("retired_pages_file=" RETIRED_FILE " spare_pages=0");
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(lab_read_str(i ? RETIRED_FILE ".new" : RETIRED_FILE, file,
					  sizeof(file)), 0);
		cr_assert(strstr(file, want), "%s", file);
		cr_assert(strstr(file, "mvgpu0 page 0x7fffffff dbe\n"), "%s", file);
		cr_assert(strstr(file, "0000:00:99.0 page 0x5 sbe\n"), "%s", file);
		cr_assert_null(strstr(file, "tbe"), "%s", file);
	}
}
