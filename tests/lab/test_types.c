// SPDX-License-Identifier: MIT
/*
 * Type attributes on both kinds of parent (the lab host binds QEMU's edu
 * PCI function through new_id and loads the module with virtual_parents=1).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <string.h>

#include "lab.h"
#include "mvgpu_abi.h"

static const struct mvgpu_type_desc types[] = MVGPU_TYPES_INIT;
#define POOL_MIB 1024

static void setup(void)
{
	lab_remove_all();
	cr_assert_eq(lab_count_vgpus(), 0);
}

TestSuite(types, .init = setup, .fini = lab_remove_all);

Test(types, both_parent_kinds)
{
	char dirs[LAB_MAX_PARENTS][LAB_PATH];
	glob_t g;

	cr_assert_eq(lab_parents(dirs, LAB_MAX_PARENTS), 2,
		     "expected the PCI parent and mvgpu0");
	/* NVIDIA's layout, which libvirt's node devices need */
	cr_assert_eq(glob("/sys/bus/pci/drivers/mvgpu/0000:*/mdev_supported_types/mvgpu-256M",
			  0, NULL, &g), 0);
	cr_assert_eq(g.gl_pathc, 1);
	globfree(&g);
	cr_assert(lab_exists("/sys/class/mvgpu/mvgpu0/mdev_supported_types/mvgpu-1G"));
}

Test(types, attributes_of_every_type)
{
	char dirs[LAB_MAX_PARENTS][LAB_PATH];
	int n = lab_parents(dirs, LAB_MAX_PARENTS);

	cr_assert_gt(n, 0);
	for (int p = 0; p < n; p++) {
		for (size_t t = 0; t < MVGPU_NUM_TYPES; t++) {
			char dir[LAB_PATH], path[LAB_PATH + 32], val[256], want[256];

			lab_type_dir(dir, dirs[p], types[t].id);
			snprintf(path, sizeof(path), "%s/name", dir);
			cr_assert_eq(lab_read_str(path, val, sizeof(val)), 0, "%s", path);
			cr_assert_str_eq(val, types[t].name);

			snprintf(path, sizeof(path), "%s/device_api", dir);
			cr_assert_eq(lab_read_str(path, val, sizeof(val)), 0);
			cr_assert_str_eq(val, "vfio-pci");

			snprintf(path, sizeof(path), "%s/description", dir);
			cr_assert_eq(lab_read_str(path, val, sizeof(val)), 0);
			/* the 1:1 type: the whole pool, once */
			snprintf(want, sizeof(want),
				 "num_heads=%u, frl_config=%u, framebuffer=%uM, max_resolution=%ux%u, max_instance=%u",
				 types[t].heads, types[t].frl,
				 types[t].fb_mib ? types[t].fb_mib : POOL_MIB,
				 types[t].max_width, types[t].max_height,
				 types[t].fb_mib ? POOL_MIB / types[t].fb_mib : 1);
			cr_assert_str_eq(val, want);

			cr_assert_eq(lab_available(dirs[p], types[t].id),
				     types[t].fb_mib ? POOL_MIB / types[t].fb_mib : 1);
			snprintf(path, sizeof(path), "%s/devices", dir);
			cr_assert(lab_exists(path));
		}
	}
}

static void one_to_one_teardown(void)
{
	lab_remove_all();
	lab_platform_defaults();
}

/* NVIDIA's 1:1 profile: the whole GPU, and nothing else on it meanwhile. */
Test(types, the_one_to_one_type_is_alone_on_its_parent,
     .fini = one_to_one_teardown)
{
	char dirs[LAB_MAX_PARENTS][LAB_PATH], u[37], v[37];

	cr_assert_eq(lab_parents(dirs, LAB_MAX_PARENTS), 2);
	cr_assert_eq(lab_available(dirs[0], "full"), 1);
	cr_assert_eq(lab_create(dirs[0], "full", u), 0);
	cr_assert_eq(lab_available(dirs[0], "full"), 0);
	for (size_t t = 0; t < MVGPU_TYPE_FULL; t++)
		cr_assert_eq(lab_available(dirs[0], types[t].id), 0, "%s",
			     types[t].id);
	cr_assert_eq(lab_create(dirs[0], "64M", v), -EBUSY);
	cr_assert_eq(lab_create(dirs[0], "full", v), -EBUSY);
	/* the other parent is its own GPU */
	cr_assert_eq(lab_available(dirs[1], "64M"), POOL_MIB / 64);
	cr_assert_eq(lab_available(dirs[1], "full"), 1);

	cr_assert_eq(lab_remove(u), 0);
	cr_assert_eq(lab_available(dirs[0], "full"), 1);
	cr_assert_eq(lab_available(dirs[0], "64M"), POOL_MIB / 64);
	/* and the other way round */
	cr_assert_eq(lab_create(dirs[0], "64M", v), 0);
	cr_assert_eq(lab_available(dirs[0], "full"), 0);
	cr_assert_eq(lab_create(dirs[0], "full", u), -EBUSY);
	cr_assert_eq(lab_available(dirs[0], "64M"), POOL_MIB / 64 - 1);
}

static uint64_t bar2_probe(struct lab_vfio *v)
{
	long long cfg = lab_region_offset(v, VFIO_PCI_CONFIG_REGION_INDEX, NULL);
	uint32_t ones = ~0u, lo, hi, save[2];

	cr_assert_geq(cfg, 0);
	cr_assert_eq(pread(v->device, save, 8, cfg + 0x18), 8);
	cr_assert_eq(pwrite(v->device, &ones, 4, cfg + 0x18), 4);
	cr_assert_eq(pwrite(v->device, &ones, 4, cfg + 0x1c), 4);
	cr_assert_eq(pread(v->device, &lo, 4, cfg + 0x18), 4);
	cr_assert_eq(pread(v->device, &hi, 4, cfg + 0x1c), 4);
	cr_assert_eq(pwrite(v->device, save, 8, cfg + 0x18), 8);
	return ~((uint64_t)hi << 32 | (lo & ~0xfu)) + 1;
}

/*
 * DDR with ECC: the usable pool is 960 MiB, which is the 1:1 vGPU's
 * framebuffer; BAR2 is 1 GiB, the tail past the framebuffer reads zeroes
 * and drops writes, and only the framebuffer can be mapped.
 */
Test(types, the_one_to_one_framebuffer_is_the_usable_pool,
     .fini = one_to_one_teardown)
{
	char dirs[LAB_MAX_PARENTS][LAB_PATH], p[LAB_PATH + 64], val[256], u[37];
	const uint64_t fb = 960ull << 20;
	uint32_t word = 0x5a5aa5a5, back = 0, lo, hi;
	uint64_t bar2 = 0;
	struct lab_vfio v;
	long long off;
	void *m;

	cr_assert_eq(lab_parents(dirs, LAB_MAX_PARENTS), 2);
	snprintf(p, sizeof(p), "%s/mvgpu/memory_kind", dirs[0]);
	cr_assert_eq(lab_write_str(p, "ddr"), 0);
	lab_type_dir(p, dirs[0], "full");
	strcat(p, "/description");
	cr_assert_eq(lab_read_str(p, val, sizeof(val)), 0);
	cr_assert_not_null(strstr(val, "framebuffer=960M,"), "%s", val);
	cr_assert_not_null(strstr(val, "max_instance=1"), "%s", val);

	cr_assert_eq(lab_create(dirs[0], "full", u), 0);
	cr_assert_eq(lab_vfio_open(&v, u), 0);
	lo = lab_reg_read(&v, MVGPU_REG_FB_SIZE_LO);
	hi = lab_reg_read(&v, MVGPU_REG_FB_SIZE_HI);
	cr_assert_eq((uint64_t)hi << 32 | lo, fb);
	cr_assert_eq(lab_reg_read(&v, MVGPU_REG_CAPS) >> 16 & 0xff, MVGPU_TYPE_FULL);
	off = lab_region_offset(&v, VFIO_PCI_BAR2_REGION_INDEX, &bar2);
	cr_assert_geq(off, 0);
	cr_assert_eq(bar2, 1ull << 30, "BAR2 is the framebuffer rounded up to a power of two");
	cr_assert_eq(bar2_probe(&v), 1ull << 30, "the guest sizes the same BAR");

	/* the framebuffer's last word is memory */
	cr_assert_eq(pwrite(v.device, &word, 4, off + (long long)fb - 4), 4);
	cr_assert_eq(pread(v.device, &back, 4, off + (long long)fb - 4), 4);
	cr_assert_eq(back, word);
	/* the tail is not */
	cr_assert_eq(pwrite(v.device, &word, 4, off + (long long)fb), 4);
	back = 1;
	cr_assert_eq(pread(v.device, &back, 4, off + (long long)fb), 4);
	cr_assert_eq(back, 0);
	m = mmap(NULL, bar2, PROT_READ, MAP_SHARED, v.device, off);
	cr_assert_eq(m, MAP_FAILED, "BAR2 is not mappable past the framebuffer");
	m = mmap(NULL, fb, PROT_READ, MAP_SHARED, v.device, off);
	cr_assert_neq(m, MAP_FAILED);
	cr_assert_eq(((uint32_t *)m)[fb / 4 - 1], word);
	munmap(m, fb);
	lab_vfio_close(&v);
}
