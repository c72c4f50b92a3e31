// SPDX-License-Identifier: MIT
/*
 * Type attributes on both kinds of parent (the lab host binds QEMU's edu
 * PCI function through new_id and loads the module with virtual_parents=1).
 */
#include <criterion/criterion.h>
#include <glob.h>
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
			snprintf(want, sizeof(want),
				 "num_heads=%u, frl_config=%u, framebuffer=%uM, max_resolution=%ux%u, max_instance=%u",
				 types[t].heads, types[t].frl, types[t].fb_mib,
				 types[t].max_width, types[t].max_height,
				 POOL_MIB / types[t].fb_mib);
			cr_assert_str_eq(val, want);

			cr_assert_eq(lab_available(dirs[p], types[t].id),
				     POOL_MIB / types[t].fb_mib);
			snprintf(path, sizeof(path), "%s/devices", dir);
			cr_assert(lab_exists(path));
		}
	}
}
