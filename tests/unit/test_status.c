/*
 * test_status.c - libmvgpu's status calls (mvgpu.h, "Status") against a
 * fake sysfs tree: every field of the shared status tree, a module older
 * than the files, malformed files, unknown keys, retired pages, and busy %
 * from two samples on a fake clock (no sleeping); then `mvgpu status` run
 * in this process on that clock, to see busy % in its table and JSON.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "capture.h"
#include "cli.h"
#include "fake_sysfs.h"
#include "json_check.h"
#include "mvgpu.h"

#define PCI  "0000:00:04.0"
#define VIRT "mvgpu0"

FAKE_SUITE(status);

#define has(s, sub) \
	cr_assert(strstr((s), (sub)), "missing '%s' in:\n%s", (sub), (s))

static int near(double a, double b)
{
	return a - b < 1e-9 && b - a < 1e-9;
}

static void assert_ecc(const mvgpu_ecc_counts *c, uint64_t sbe_volatile,
		       uint64_t dbe_volatile, uint64_t sbe_aggregate,
		       uint64_t dbe_aggregate)
{
	cr_assert_eq(c->sbe_volatile, sbe_volatile);
	cr_assert_eq(c->dbe_volatile, dbe_volatile);
	cr_assert_eq(c->sbe_aggregate, sbe_aggregate);
	cr_assert_eq(c->dbe_aggregate, dbe_aggregate);
}

/* A parent's retired_pages, counted. */
static void assert_pages(const mvgpu_parent_status_info *s, unsigned retired,
			 unsigned pending, unsigned sbe, unsigned dbe)
{
	cr_assert_eq(s->pages_retired, retired);
	cr_assert_eq(s->pages_pending, pending);
	cr_assert_eq(s->pages_sbe, sbe);
	cr_assert_eq(s->pages_dbe, dbe);
}

#define PST_ALL (MVGPU_PST_MEMORY_KIND | MVGPU_PST_ECC_MODE | \
		 MVGPU_PST_ECC_PENDING | MVGPU_PST_ECC_ERRORS | \
		 MVGPU_PST_RETIRED | MVGPU_PST_FB_TOTAL | MVGPU_PST_FB_USABLE | \
		 MVGPU_PST_FB_USED | MVGPU_PST_BUSY)
#define VST_ALL (MVGPU_VST_ECC | MVGPU_VST_PARAMS | MVGPU_VST_CHANNELS | \
		 MVGPU_VST_BUSY | MVGPU_VST_MIGRATION | MVGPU_VST_FRAMEBUFFER)

/* ---- parents ------------------------------------------------------------ */

Test(status, pci_parent_every_field)
{
	mvgpu_parent_status_info s;

	fake_status_std(F);
	cr_assert_eq(mvgpu_parent_status(C, PCI, &s), 0, "%s",
		     mvgpu_last_error(C));
	cr_assert_str_eq(s.parent, PCI);
	cr_assert_str_eq(s.bus_id, PCI);
	cr_assert_eq(s.have, PST_ALL);
	cr_assert_eq(s.bad, 0);
	cr_assert_str_eq(s.memory_kind, "ddr");
	cr_assert_eq(s.ecc_mode, 1);
	cr_assert_eq(s.ecc_mode_pending, 0);
	assert_ecc(&s.ecc, 5, 0, 12, 1);
	assert_pages(&s, 2, 1, 2, 1);
	cr_assert_eq(s.fb_total, 1073741824ull);
	cr_assert_eq(s.fb_usable, 1006624768ull);
	cr_assert_eq(s.fb_used, 335544320ull);
	cr_assert_eq(s.busy_ns, 1000000000ull);
	cr_assert_eq(s.vgpus, 2);
	cr_assert(near(s.busy_pct, -1));
	cr_assert_eq(W.n, 0, "%s", W.text);
	cr_assert_str_empty(mvgpu_last_error(C));
}

Test(status, virtual_parent_has_no_bus_id)
{
	mvgpu_parent_status_info s;

	fake_status_std(F);
	cr_assert_eq(mvgpu_parent_status(C, VIRT, &s), 0);
	cr_assert_str_eq(s.bus_id, "");
	cr_assert_str_eq(s.memory_kind, "hbm");
	cr_assert_eq(s.ecc_mode, 0);
	cr_assert_eq(s.ecc_mode_pending, 0);
	cr_assert_eq(s.have, PST_ALL);
	cr_assert_eq(s.pages_retired + s.pages_pending, 0);
	cr_assert_eq(s.fb_usable, 1073741824ull);
	cr_assert_eq(s.vgpus, 1);
}

Test(status, pci_parent_without_subsystem_link)
{
	mvgpu_parent_status_info s;

	/* fake_std's parents have no subsystem link: the device's place
	 * under devices/pci0000:00 says it */
	fake_std(F);
	cr_assert_eq(mvgpu_parent_status(C, PCI, &s), 0);
	cr_assert_str_eq(s.bus_id, PCI);
	/* a link naming another bus wins over the place */
	fake_symlink(F, "../../../bus/platform",
		     "devices/pci0000:00/0000:00:04.0/subsystem");
	cr_assert_eq(mvgpu_parent_status(C, PCI, &s), 0);
	cr_assert_str_eq(s.bus_id, "");
}

Test(status, parent_errors)
{
	mvgpu_parent_status_info s;

	fake_status_std(F);
	cr_assert_eq(mvgpu_parent_status(C, "../x", &s), -EINVAL);
	cr_assert_eq(mvgpu_parent_status(C, "0000:00:05.0", &s), -ENODEV);
	cr_assert_eq(mvgpu_parent_status(C, "mvgpu7", &s), -ENODEV);
	has(mvgpu_last_error(C), "no mvgpu parent 'mvgpu7'");
	cr_assert_eq(mvgpu_parent_status(C, NULL, &s), -EINVAL);
	cr_assert_eq(mvgpu_parent_status(NULL, PCI, &s), -EINVAL);
	cr_assert_eq(mvgpu_parent_status(C, PCI, NULL), -EINVAL);
}

Test(status, older_module_has_none_of_the_files)
{
	mvgpu_parent_status_info p;
	mvgpu_vgpu_status_info v;

	fake_std(F);
	fake_add_vgpu(F, PCI, "mvgpu-256M", FS_U1, 3, "0\n");
	cr_assert_eq(mvgpu_parent_status(C, PCI, &p), 0);
	cr_assert_eq(p.have, 0);
	cr_assert_eq(p.bad, 0);
	cr_assert_eq(p.vgpus, 1);
	cr_assert_str_eq(p.bus_id, PCI);
	cr_assert_eq(mvgpu_vgpu_status(C, FS_U1, &v), 0);
	cr_assert_eq(v.have, MVGPU_VST_FRAMEBUFFER);
	cr_assert_eq(v.bad, 0);
	cr_assert_eq(v.framebuffer, 256ull << 20);
	cr_assert_eq(v.info.in_use, 0);
	cr_assert_eq(v.frame_rate_limiter, -1);
	cr_assert_eq(W.n, 0, "%s", W.text);
}

Test(status, list_parents)
{
	mvgpu_parent_status_list l;

	cr_assert_eq(mvgpu_list_parent_status(C, &l), 0);
	cr_assert_eq(l.count, 0);
	mvgpu_parent_status_list_free(&l);
	fake_status_std(F);
	cr_assert_eq(mvgpu_list_parent_status(C, &l), 0);
	cr_assert_eq(l.count, 2);	/* not the foreign 0000:00:05.0 */
	cr_assert_eq(l.skipped, 0);
	cr_assert_str_eq(l.items[0].parent, PCI);
	cr_assert_str_eq(l.items[1].parent, VIRT);
	cr_assert_eq(l.items[0].vgpus, 2);
	cr_assert_str_eq(l.items[1].memory_kind, "hbm");
	mvgpu_parent_status_list_free(&l);
	cr_assert_null(l.items);
	mvgpu_parent_status_list_free(NULL);
}

/* ---- vGPUs -------------------------------------------------------------- */

Test(status, vgpu_every_field)
{
	mvgpu_vgpu_status_info s;

	fake_status_std(F);
	cr_assert_eq(mvgpu_vgpu_status(C, FS_U1, &s), 0, "%s",
		     mvgpu_last_error(C));
	cr_assert_str_eq(s.info.uuid, FS_U1);
	cr_assert_str_eq(s.info.parent, PCI);
	cr_assert_str_eq(s.info.type_id, "mvgpu-256M");
	cr_assert_eq(s.info.iommu_group, 13);
	cr_assert_eq(s.info.in_use, 1);
	cr_assert_eq(s.have, VST_ALL);
	cr_assert_eq(s.framebuffer, 256ull << 20);
	cr_assert_eq(s.ecc_mode, 1);
	cr_assert_eq(s.ecc_optout, 0);
	cr_assert_eq(s.ecc_killed, 0);
	assert_ecc(&s.ecc, 3, 0, 7, 0);
	cr_assert_eq(s.pages_retired, 1);
	cr_assert_eq(s.pages_pending, 0);
	cr_assert_str_eq(s.params, "frame_rate_limiter=1");
	cr_assert_eq(s.frame_rate_limiter, 1);
	cr_assert_eq(s.channels_active, 2);
	cr_assert_eq(s.busy_ns, 500000000ull);
	cr_assert_eq(s.migration_state, MVGPU_MIG_RUNNING);

	/* any case; unknown keys of ecc_status and vgpu_params ignored */
	cr_assert_eq(mvgpu_vgpu_status(C, "22222222-2222-4222-8222-222222222222",
				       &s), 0);
	cr_assert_eq(s.have, VST_ALL);
	cr_assert_eq(s.ecc_optout_pending, 1);
	cr_assert_eq(s.ecc_killed, 1);
	assert_ecc(&s.ecc, 2, 1, 5, 1);
	cr_assert_eq(s.pages_pending, 1);
	cr_assert_str_eq(s.params, "frame_rate_limiter=0, disable_vnc=1");
	cr_assert_eq(s.frame_rate_limiter, 0);
	cr_assert_eq(s.migration_state, MVGPU_MIG_PRE_COPY);

	cr_assert_eq(mvgpu_vgpu_status(C, FS_U3, &s), 0);
	cr_assert_eq(s.ecc_mode, 0);
	cr_assert_eq(s.ecc_optout, 1);
	cr_assert_str_eq(s.params, "");
	cr_assert_eq(s.frame_rate_limiter, -1);
	cr_assert_eq(s.migration_state, MVGPU_MIG_STOP);
	cr_assert_eq(W.n, 0, "%s", W.text);
}

Test(status, vgpu_errors)
{
	mvgpu_vgpu_status_info s;

	fake_status_std(F);
	cr_assert_eq(mvgpu_vgpu_status(C, "44444444-4444-4444-8444-444444444444",
				       &s), -ENOENT);
	cr_assert_eq(mvgpu_vgpu_status(C, "nope", &s), -EINVAL);
	cr_assert_eq(s.busy_pct, -1);
	cr_assert_eq(mvgpu_vgpu_status(C, FS_U1, NULL), -EINVAL);
}

Test(status, every_migration_state)
{
	static const char *const names[] = { "error", "stop", "running",
		"stop_copy", "resuming", "running_p2p", "pre_copy",
		"pre_copy_p2p" };
	mvgpu_vgpu_status_info s;
	char buf[32];
	int i;

	fake_status_std(F);
	for (i = 0; i < 8; i++) {
		snprintf(buf, sizeof(buf), "%s\n", names[i]);
		fake_vgpu_file(F, PCI, FS_U1, "migration_state", buf);
		cr_assert_eq(mvgpu_vgpu_status(C, FS_U1, &s), 0, "%s", names[i]);
		cr_assert_eq(s.migration_state, i, "%s", names[i]);
	}
	fake_vgpu_file(F, PCI, FS_U1, "migration_state", "RUNNING\n");
	cr_assert_eq(mvgpu_vgpu_status(C, FS_U1, &s), 1);
	cr_assert_eq(s.bad, MVGPU_VST_MIGRATION);
}

Test(status, list_vgpus)
{
	mvgpu_vgpu_status_list l;

	cr_assert_eq(mvgpu_list_vgpu_status(C, &l), 0);
	cr_assert_eq(l.count, 0);
	fake_status_std(F);
	cr_assert_eq(mvgpu_list_vgpu_status(C, &l), 0);
	cr_assert_eq(l.count, 3);
	/* mvgpu_list_vgpus() order: parent, type, uuid */
	cr_assert_str_eq(l.items[0].info.uuid, FS_U2);
	cr_assert_str_eq(l.items[1].info.uuid, FS_U1);
	cr_assert_str_eq(l.items[2].info.uuid, FS_U3);
	cr_assert_eq(l.items[0].channels_active, 0);
	cr_assert_eq(l.items[1].channels_active, 2);
	cr_assert_eq(l.items[2].have, VST_ALL);
	mvgpu_vgpu_status_list_free(&l);
	cr_assert_null(l.items);
}

/* ---- malformed files ---------------------------------------------------- */

struct bad_case {
	int vgpu;		/* 0: the PCI parent's file, 1: FS_U1's */
	const char *file;
	const char *content;
	unsigned bit;
	const char *why;	/* in the warning */
};

static const struct bad_case bad_cases[] = {
	{ 0, "fb_used", "12abc\n", MVGPU_PST_FB_USED, "'12abc' (not a decimal number" },
	{ 0, "fb_total", "-1\n", MVGPU_PST_FB_TOTAL, "not a decimal number" },
	{ 0, "fb_usable", "99999999999999999999999\n", MVGPU_PST_FB_USABLE, "not a decimal number" },
	{ 0, "busy_ns", "\n", MVGPU_PST_BUSY, "not a decimal number" },
	{ 0, "memory_kind", "DDR 4\n", MVGPU_PST_MEMORY_KIND, "expected a name" },
	{ 0, "ecc_mode", "on\n", MVGPU_PST_ECC_MODE, "expected enabled or disabled" },
	{ 0, "ecc_mode_pending", "enabled disabled\n", MVGPU_PST_ECC_PENDING, "expected enabled or disabled" },
	{ 0, "ecc_errors", "sbe_volatile=x dbe_volatile=0 sbe_aggregate=0 dbe_aggregate=0\n", MVGPU_PST_ECC_ERRORS, "sbe_volatile=x: not a decimal number" },
	{ 0, "ecc_errors", "sbe_volatile=1 dbe_volatile=0 sbe_aggregate=0\n", MVGPU_PST_ECC_ERRORS, "no dbe_aggregate" },
	{ 0, "ecc_errors", "sbe_volatile=1 sbe_volatile=2 dbe_volatile=0 sbe_aggregate=0 dbe_aggregate=0\n", MVGPU_PST_ECC_ERRORS, "sbe_volatile given twice" },
	{ 0, "ecc_errors", "garbage\n", MVGPU_PST_ECC_ERRORS, "'garbage' is not key=value" },
	{ 0, "retired_pages", "0x10 sbe retired\n0xzz sbe retired\n", MVGPU_PST_RETIRED, "line 2: page '0xzz'" },
	{ 0, "retired_pages", "0x10 sbe\n", MVGPU_PST_RETIRED, "line 1: a line without page, cause and state" },
	{ 0, "retired_pages", "0x10 tbe retired\n", MVGPU_PST_RETIRED, "cause 'tbe'" },
	{ 0, "retired_pages", "0x10 dbe gone\n", MVGPU_PST_RETIRED, "state 'gone'" },
	{ 0, "retired_pages", "16 sbe retired\n", MVGPU_PST_RETIRED, "expected 0x and hex digits" },
	{ 0, "retired_pages", "0x12345678901234567 sbe retired\n", MVGPU_PST_RETIRED, "expected 0x and hex digits" },
	{ 1, "channels_active", "5\n", MVGPU_VST_CHANNELS, "not a decimal number <= 4" },
	{ 1, "channels_active", "lots\n", MVGPU_VST_CHANNELS, "'lots'" },
	{ 1, "busy_ns", "1.5e9\n", MVGPU_VST_BUSY, "not a decimal number" },
	{ 1, "migration_state", "flying\n", MVGPU_VST_MIGRATION, "not a migration state" },
	{ 1, "ecc_status", "mode=enabled\n", MVGPU_VST_ECC, "no optout" },
	{ 1, "ecc_status", "mode=maybe optout=0 optout_pending=0 killed=0 sbe_volatile=0 dbe_volatile=0 sbe_aggregate=0 dbe_aggregate=0 retired=0 retired_pending=0\n", MVGPU_VST_ECC, "mode=maybe: expected enabled or disabled" },
	{ 1, "ecc_status", "mode=enabled optout=2 optout_pending=0 killed=0 sbe_volatile=0 dbe_volatile=0 sbe_aggregate=0 dbe_aggregate=0 retired=0 retired_pending=0\n", MVGPU_VST_ECC, "optout=2: expected 0 or 1" },
	{ 1, "vgpu_params", "frame_rate_limiter\n", MVGPU_VST_PARAMS, "is not key=value" },
	{ 1, "vgpu_params", "frame_rate_limiter=yes\n", MVGPU_VST_PARAMS, "frame_rate_limiter: expected 0 or 1" },
	{ 0, "fb_used", "\x1b[2J\n", 0, "unexpected byte 0x1b" },
};

Test(status, malformed_files_are_reported_not_fatal)
{
	mvgpu_parent_status_info p;
	mvgpu_vgpu_status_info v;
	const struct bad_case *c;
	char path[256];
	size_t i;
	int ret;

	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		c = &bad_cases[i];
		teardown();	/* a new tree and context for each case */
		setup();
		fake_status_std(F);
		if (c->vgpu && c->bit) {
			fake_vgpu_file(F, PCI, FS_U1, c->file, c->content);
			ret = mvgpu_vgpu_status(C, FS_U1, &v);
			cr_assert_eq(ret, 1, "%s '%s': %d", c->file, c->content, ret);
			cr_assert_eq(v.bad, c->bit, "%s", c->file);
			cr_assert_eq(v.have, VST_ALL & ~c->bit, "%s", c->file);
			snprintf(path, sizeof(path), "%s/mvgpu/%s: malformed: ",
				 FS_U1, c->file);
			has(W.text, "vGPU " FS_U1 ": ");
		} else {
			/* the parent's own file; the last case: a control
			 * byte, reported by the attribute reader */
			fake_parent_file(F, PCI, c->file, c->content);
			ret = mvgpu_parent_status(C, PCI, &p);
			cr_assert_eq(ret, 1, "%s '%s': %d", c->file, c->content, ret);
			if (c->bit) {
				cr_assert_eq(p.bad, c->bit, "%s", c->file);
				cr_assert_eq(p.have, PST_ALL & ~c->bit, "%s",
					     c->file);
				snprintf(path, sizeof(path),
					 PCI "/mvgpu/%s: malformed: ", c->file);
			} else {
				cr_assert_eq(p.bad, MVGPU_PST_FB_USED);
				snprintf(path, sizeof(path), PCI "/mvgpu/%s: ",
					 c->file);
			}
			has(W.text, "parent " PCI ": ");
		}
		cr_assert_eq(W.n, 1, "%s", W.text);
		has(W.text, path);
		has(W.text, c->why);
		/* the last error names the file too */
		has(mvgpu_last_error(C), path);
	}
}

Test(status, overlong_file)
{
	mvgpu_parent_status_info p;
	char big[5000];

	fake_status_std(F);
	memset(big, '1', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	fake_parent_file(F, PCI, "ecc_errors", big);
	fake_parent_file(F, PCI, "fb_total", big);
	cr_assert_eq(mvgpu_parent_status(C, PCI, &p), 2);
	cr_assert_eq(p.bad, MVGPU_PST_ECC_ERRORS | MVGPU_PST_FB_TOTAL);
	has(W.text, "ecc_errors: value longer than");
	has(W.text, "fb_total: value longer than");
}

Test(status, malformed_entries_stay_in_lists)
{
	mvgpu_parent_status_list pl;
	mvgpu_vgpu_status_list vl;

	fake_status_std(F);
	fake_parent_file(F, VIRT, "ecc_mode", "sometimes\n");
	fake_vgpu_file(F, VIRT, FS_U3, "channels_active", "-\n");
	cr_assert_eq(mvgpu_list_parent_status(C, &pl), 0);
	cr_assert_eq(pl.count, 2);
	cr_assert_eq(pl.items[1].bad, MVGPU_PST_ECC_MODE);
	cr_assert_eq(mvgpu_list_vgpu_status(C, &vl), 0);
	cr_assert_eq(vl.count, 3);
	cr_assert_eq(vl.items[2].bad, MVGPU_VST_CHANNELS);
	cr_assert_eq(W.n, 2, "%s", W.text);
	has(W.text, "parent mvgpu0: ");
	has(W.text, "mvgpu/ecc_mode: malformed: 'sometimes'");
	has(W.text, "vGPU " FS_U3 ": ");
	mvgpu_parent_status_list_free(&pl);
	mvgpu_vgpu_status_list_free(&vl);
}

Test(status, unknown_keys_and_layout_tolerated)
{
	mvgpu_parent_status_info p;

	fake_status_std(F);
	fake_parent_file(F, PCI, "ecc_errors",
			 "  dbe_aggregate=4   future=x=y sbe_volatile=1 sbe_aggregate=2  dbe_volatile=3 other=\n");
	fake_parent_file(F, PCI, "retired_pages",
			 "0xABC dbe pending since=12\n\n  0x0 sbe retired\n");
	cr_assert_eq(mvgpu_parent_status(C, PCI, &p), 0, "%s", W.text);
	assert_ecc(&p.ecc, 1, 3, 2, 4);
	assert_pages(&p, 1, 1, 1, 1);
}

/* ---- retired pages ------------------------------------------------------ */

Test(status, retired_page_list)
{
	mvgpu_retired_page_list l;

	fake_status_std(F);
	cr_assert_eq(mvgpu_retired_pages(C, PCI, &l), 0);
	cr_assert_eq(l.count, 3);
	cr_assert_eq(l.items[0].page, 0x1a2b);
	cr_assert_eq(l.items[0].dbe, 0);
	cr_assert_eq(l.items[0].pending, 0);
	cr_assert_eq(l.items[1].page, 0x3c4d);
	cr_assert_eq(l.items[1].dbe, 1);
	cr_assert_eq(l.items[2].page, 0x5e6f);
	cr_assert_eq(l.items[2].pending, 1);
	mvgpu_retired_page_list_free(&l);
	cr_assert_eq(mvgpu_retired_pages(C, VIRT, &l), 0);
	cr_assert_eq(l.count, 0);
	cr_assert_eq(mvgpu_retired_pages(C, "mvgpu9", &l), -ENODEV);

	fake_parent_file(F, PCI, "retired_pages", "0x1 sbe retired\nrubbish\n");
	cr_assert_eq(mvgpu_retired_pages(C, PCI, &l), -EBADMSG);
	cr_assert_eq(l.count, 0);
	has(mvgpu_last_error(C), PCI "/mvgpu/retired_pages: malformed: ");
	has(mvgpu_last_error(C), "line 2");
	fake_unlink(F, "devices/pci0000:00/0000:00:04.0/mvgpu/retired_pages");
	cr_assert_eq(mvgpu_retired_pages(C, PCI, &l), -ENOENT);
}

/* ---- busy % ------------------------------------------------------------- */

Test(status, busy_percent_from_two_samples)
{
	cr_assert(near(mvgpu_busy_percent(0, 0, 50, 100), 50));
	cr_assert(near(mvgpu_busy_percent(1000, 5000, 1000, 6000), 0));
	cr_assert(near(mvgpu_busy_percent(100, 1000, 350, 2000), 25));
	/* busier than the wall clock: the reads are not simultaneous */
	cr_assert(near(mvgpu_busy_percent(0, 0, 120, 100), 100));
	/* cannot tell */
	cr_assert(near(mvgpu_busy_percent(0, 100, 10, 100), -1));
	cr_assert(near(mvgpu_busy_percent(0, 200, 10, 100), -1));
	cr_assert(near(mvgpu_busy_percent(500, 0, 10, 100), -1));
	cr_assert(near(mvgpu_busy_percent(UINT64_MAX - 10, 0, UINT64_MAX, 20),
		       50));
}

/* A fake clock: sleeping advances it and runs @during (the counters
 * move), so a sample takes no time at all. */
struct fclock {
	uint64_t now;
	uint64_t slept;
	int sleeps;
	int ret;
	void (*during)(void);
};

static struct fclock FC;

static uint64_t fc_now(void *opaque)
{
	return ((struct fclock *)opaque)->now;
}

static int fc_sleep(void *opaque, uint64_t ns)
{
	struct fclock *c = opaque;

	c->sleeps++;
	c->slept += ns;
	c->now += ns;
	if (c->during)
		c->during();
	return c->ret;
}

static void use_fake_clock(mvgpu_ctx *ctx, void (*during)(void))
{
	mvgpu_clock clk = { fc_now, fc_sleep, &FC };

	memset(&FC, 0, sizeof(FC));
	FC.now = 1000000000000ull;
	FC.during = during;
	mvgpu_ctx_set_clock(ctx, &clk);
}

/* While the sample waits: the PCI parent runs 100 ms (50 % of 200 ms),
 * FS_U1 50 ms (25 %), mvgpu0 nothing; FS_U2's counter turns to garbage,
 * FS_U3's vanishes. */
static void counters_move(void)
{
	fake_parent_file(F, PCI, "busy_ns", "1100000000\n");
	fake_vgpu_file(F, PCI, FS_U1, "busy_ns", "550000000\n");
	fake_vgpu_file(F, PCI, FS_U2, "busy_ns", "soon\n");
	fake_unlink(F, "devices/virtual/mvgpu/mvgpu0/" FS_U3 "/mvgpu/busy_ns");
}

Test(status, sample_on_a_fake_clock)
{
	mvgpu_parent_status_list pl;
	mvgpu_vgpu_status_list vl;

	fake_status_std(F);
	use_fake_clock(C, counters_move);
	cr_assert_eq(mvgpu_list_parent_status(C, &pl), 0);
	cr_assert_eq(mvgpu_list_vgpu_status(C, &vl), 0);
	cr_assert_eq(mvgpu_status_sample(C, 200, &pl, &vl), 0, "%s",
		     mvgpu_last_error(C));
	cr_assert_eq(FC.sleeps, 1);
	cr_assert_eq(FC.slept, 200000000ull);
	cr_assert(near(pl.items[0].busy_pct, 50), "%f", pl.items[0].busy_pct);
	cr_assert_eq(pl.items[0].busy_ns, 1100000000ull);
	cr_assert(near(pl.items[1].busy_pct, 0), "%f", pl.items[1].busy_pct);
	cr_assert_str_eq(vl.items[1].info.uuid, FS_U1);
	cr_assert(near(vl.items[1].busy_pct, 25), "%f", vl.items[1].busy_pct);
	cr_assert_eq(vl.items[1].busy_ns, 550000000ull);
	/* garbage: reported, not measured */
	cr_assert(near(vl.items[0].busy_pct, -1));
	cr_assert_eq(vl.items[0].bad, MVGPU_VST_BUSY);
	cr_assert_eq(W.n, 1, "%s", W.text);
	has(W.text, FS_U2 "/mvgpu/busy_ns: malformed: 'soon' (not a decimal number)");
	/* vanished: not measured, no warning */
	cr_assert(near(vl.items[2].busy_pct, -1));
	cr_assert_eq(vl.items[2].bad, 0);

	/* either list alone */
	FC.during = NULL;
	cr_assert_eq(mvgpu_status_sample(C, 1000, &pl, NULL), 0);
	cr_assert_eq(FC.slept, 1200000000ull);
	cr_assert(near(pl.items[0].busy_pct, 0));
	mvgpu_parent_status_list_free(&pl);
	mvgpu_vgpu_status_list_free(&vl);
}

Test(status, sample_without_counters_does_not_wait)
{
	mvgpu_parent_status_list pl;
	mvgpu_vgpu_status_list vl;

	fake_std(F);	/* an older module: no busy_ns anywhere */
	fake_add_vgpu(F, PCI, "mvgpu-64M", FS_U1, 3, "0\n");
	use_fake_clock(C, NULL);
	cr_assert_eq(mvgpu_list_parent_status(C, &pl), 0);
	cr_assert_eq(mvgpu_list_vgpu_status(C, &vl), 0);
	cr_assert_eq(mvgpu_status_sample(C, 200, &pl, &vl), 0);
	cr_assert_eq(FC.sleeps, 0);
	cr_assert(near(pl.items[0].busy_pct, -1));
	cr_assert(near(vl.items[0].busy_pct, -1));
	cr_assert_eq(mvgpu_status_sample(C, 200, NULL, NULL), 0);
	cr_assert_eq(FC.sleeps, 0);
	mvgpu_parent_status_list_free(&pl);
	mvgpu_vgpu_status_list_free(&vl);
}

Test(status, sample_arguments_and_interruptions)
{
	static volatile sig_atomic_t cancel;
	mvgpu_parent_status_list pl;

	fake_status_std(F);
	use_fake_clock(C, NULL);
	cr_assert_eq(mvgpu_list_parent_status(C, &pl), 0);
	cr_assert_eq(mvgpu_status_sample(C, 0, &pl, NULL), -EINVAL);
	cr_assert_eq(mvgpu_status_sample(C, 60001, &pl, NULL), -EINVAL);
	cr_assert_eq(mvgpu_status_sample(NULL, 200, &pl, NULL), -EINVAL);
	cr_assert_eq(FC.sleeps, 0);
	FC.ret = -EINTR;
	cr_assert_eq(mvgpu_status_sample(C, 200, &pl, NULL), -EINTR);
	cr_assert(near(pl.items[0].busy_pct, -1));
	FC.ret = 0;
	cancel = 1;
	mvgpu_ctx_set_cancel(C, &cancel);
	cr_assert_eq(mvgpu_status_sample(C, 200, &pl, NULL), -ECANCELED);
	has(mvgpu_last_error(C), "cancelled");
	mvgpu_parent_status_list_free(&pl);
}

Test(status, sample_on_the_real_clock_is_cancelled_at_once)
{
	static volatile sig_atomic_t cancel = 1;
	mvgpu_parent_status_list pl;

	fake_status_std(F);
	cr_assert_eq(mvgpu_list_parent_status(C, &pl), 0);
	mvgpu_ctx_set_cancel(C, &cancel);
	cr_assert_eq(mvgpu_status_sample(C, 60000, &pl, NULL), -ECANCELED);
	mvgpu_parent_status_list_free(&pl);
}

/* ---- `mvgpu status` in this process, on the fake clock ------------------- */

/* The counters as fake_status_std() made them. */
static void counters_reset(void)
{
	fake_parent_file(F, PCI, "busy_ns", "1000000000\n");
	fake_vgpu_file(F, PCI, FS_U1, "busy_ns", "500000000\n");
	fake_vgpu_file(F, PCI, FS_U2, "busy_ns", "0\n");
	fake_vgpu_file(F, VIRT, FS_U3, "busy_ns", "0\n");
}

/* stderr of the last run_status() */
static char *Err;

struct status_args {
	struct cli *cli;
	const char *query;
	unsigned interval_ms;
};

static int status_view(void *arg)
{
	struct status_args *a = arg;

	return a->query ? status_query(a->cli, a->query, a->interval_ms) :
			  status_overview(a->cli, a->interval_ms);
}

/* `mvgpu status` (-q @query if not NULL) over @interval_ms; its stdout,
 * malloc'd.  (The command line's parsing is test_cli.c's: cmd_status()
 * itself needs main.c.) */
static char *run_status(struct cli *cli, const char *query,
			unsigned interval_ms, int *code)
{
	struct status_args a = { cli, query, interval_ms };

	free(Err);
	return capture(status_view, &a, code, &Err);
}

Test(status, cli_shows_busy_percent)
{
	struct cli cli = { .cmd = "status" };
	char *out;
	int code;

	fake_status_std(F);
	use_fake_clock(C, counters_move);
	cli.ctx = C;
	out = run_status(&cli, NULL, 200, &code);
	cr_assert_eq(code, 0, "%s", out);
	cr_assert_eq(FC.slept, 200000000ull);
	has(out, "0000:00:04.0  0000:00:04.0  ddr     enabled/disabled   320/959/1024              2/1              5/12         0/1          2      50%\n");
	has(out, "mvgpu0        -             hbm     disabled/disabled  256/1024/1024             0/0              0/0          0/0          1      0%\n");
	has(out, FS_U1 "  0000:00:04.0  mvgpu-256M  256     2         yes     running    enabled                          3/7          0/0          25%\n");
	has(out, "1/1          ?\n");	/* FS_U2: garbage */
	has(out, "0/0          -\n");	/* FS_U3: vanished */
	has(Err, "mvgpu: warning: vGPU " FS_U2 ": ");
	has(Err, FS_U2 "/mvgpu/busy_ns: malformed: 'soon' (not a decimal number)\n");
	free(out);

	/* JSON, over 500 ms: the same moves are 20 % and 10 % */
	counters_reset();
	cli.json = 1;
	out = run_status(&cli, NULL, 500, &code);
	cr_assert_eq(code, 0, "%s", out);
	cr_assert(json_valid(out, strlen(out)), "%s", out);
	has(out, "\"interval_ms\": 500");
	has(out, "\"busy_ns\": 1100000000,\n      \"busy_percent\": 20.0");
	has(out, "\"busy_ns\": 550000000,\n      \"busy_percent\": 10.0");
	has(out, "\"warnings\": [\n    \"vGPU " FS_U2 ": ");
	has(Err, "busy_ns: malformed: 'soon'");
	free(out);

	/* -q: the one vGPU and its parent */
	cli.json = 0;
	cli.doc_written = 0;
	counters_reset();
	out = run_status(&cli, FS_U1, 200, &code);
	cr_assert_eq(code, 0, "%s", out);
	has(out, "vGPU " FS_U1 "\n");
	has(out, "    Utilization\n        Busy                          : 25 %\n"
		 "        Busy Time                     : 550000000 ns\n"
		 "        Sample Period                 : 200 ms\n");
	has(out, "Parent 0000:00:04.0\n");
	has(out, "        Busy                          : 50 %\n");
	free(out);
	free(Err);
	Err = NULL;
	cli.ctx = NULL;	/* C is the suite's */
}
