// SPDX-License-Identifier: MIT
/* Creating and removing vGPUs; the pool accounting across types. */
#include <criterion/criterion.h>
#include <errno.h>
#include <libgen.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "lab.h"
#include "mvgpu_abi.h"

static char parents[LAB_MAX_PARENTS][LAB_PATH];
static int nparents;

static void setup(void)
{
	lab_remove_all();
	cr_assert_eq(lab_count_vgpus(), 0);
	nparents = lab_parents(parents, LAB_MAX_PARENTS);
	cr_assert_geq(nparents, 2);
}

TestSuite(create, .init = setup, .fini = lab_remove_all);

static void assert_avail(const char *parent, long long a64, long long a256,
			 long long a512, long long a1g)
{
	cr_assert_eq(lab_available(parent, "64M"), a64);
	cr_assert_eq(lab_available(parent, "256M"), a256);
	cr_assert_eq(lab_available(parent, "512M"), a512);
	cr_assert_eq(lab_available(parent, "1G"), a1g);
}

Test(create, create_and_remove)
{
	char uuid[37], path[2 * LAB_PATH], link[LAB_PATH], type[LAB_PATH + 32];
	ssize_t n;

	cr_assert_eq(lab_create(parents[0], "256M", uuid), 0);
	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s", uuid);
	cr_assert(lab_exists(path));

	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/mdev_type", uuid);
	n = readlink(path, link, sizeof(link) - 1);
	cr_assert_gt(n, 0);
	link[n] = 0;
	cr_assert_str_eq(basename(link), "mvgpu-256M");

	/* its own VFIO group node */
	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/iommu_group", uuid);
	n = readlink(path, link, sizeof(link) - 1);
	cr_assert_gt(n, 0);
	link[n] = 0;
	snprintf(path, sizeof(path), "/dev/vfio/%s", basename(link));
	cr_assert(lab_exists(path), "%s missing", path);

	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/mvgpu/in_use", uuid);
	cr_assert_eq(lab_read_ll(path), 0);

	lab_type_dir(type, parents[0], "256M");
	snprintf(path, sizeof(path), "%s/devices/%s", type, uuid);
	cr_assert(lab_exists(path));
	assert_avail(parents[0], 12, 3, 1, 0);

	cr_assert_eq(lab_remove(uuid), 0);
	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s", uuid);
	cr_assert_not(lab_exists(path));
	assert_avail(parents[0], 16, 4, 2, 1);
}

Test(create, accounting_across_types_and_parents)
{
	char a[37], b[37], c[37];

	cr_assert_eq(lab_create(parents[0], "512M", a), 0);
	assert_avail(parents[0], 8, 2, 1, 0);
	cr_assert_eq(lab_create(parents[0], "256M", b), 0);
	assert_avail(parents[0], 4, 1, 0, 0);
	cr_assert_eq(lab_create(parents[0], "64M", c), 0);
	assert_avail(parents[0], 3, 0, 0, 0);
	/* the other parent has its own pool */
	assert_avail(parents[1], 16, 4, 2, 1);

	cr_assert_eq(lab_remove(a), 0);
	assert_avail(parents[0], 11, 2, 1, 0);
	cr_assert_eq(lab_remove(c), 0);
	cr_assert_eq(lab_remove(b), 0);
	assert_avail(parents[0], 16, 4, 2, 1);
}

Test(create, pool_exhaustion)
{
	char u[5][37];
	int i;

	for (i = 0; i < 4; i++)
		cr_assert_eq(lab_create(parents[1], "256M", u[i]), 0);
	assert_avail(parents[1], 0, 0, 0, 0);
	cr_assert_eq(lab_create(parents[1], "256M", u[4]), -ENOSPC);
	cr_assert_eq(lab_create(parents[1], "64M", u[4]), -ENOSPC);
	cr_assert_eq(lab_create(parents[1], "1G", u[4]), -ENOSPC);
	cr_assert_eq(lab_count_vgpus(), 4, "a failed create left a device");

	cr_assert_eq(lab_remove(u[0]), 0);
	for (i = 0; i < 4; i++)
		cr_assert_eq(lab_create(parents[1], "64M", u[4]), 0);
	cr_assert_eq(lab_create(parents[1], "64M", u[4]), -ENOSPC);
	assert_avail(parents[1], 0, 0, 0, 0);
}

Test(create, config_space_over_vfio)
{
	char uuid[37], path[LAB_PATH];
	struct lab_vfio v;
	uint8_t cfg[256];
	uint32_t bar, ones = 0xffffffff;
	uint16_t vendor = 0xdead;
	uint64_t size;
	long long off;

	cr_assert_eq(lab_create(parents[0], "64M", uuid), 0);
	cr_assert_eq(lab_vfio_open(&v, uuid), 0);
	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/mvgpu/in_use", uuid);
	cr_assert_eq(lab_read_ll(path), 1);

	off = lab_region_offset(&v, VFIO_PCI_CONFIG_REGION_INDEX, &size);
	cr_assert_geq(off, 0);
	cr_assert_eq(size, 256);
	cr_assert_eq(pread(v.device, cfg, sizeof(cfg), off), 256);
	cr_assert_eq(cfg[0] | cfg[1] << 8, MVGPU_PCI_VENDOR_ID);
	cr_assert_eq(cfg[2] | cfg[3] << 8, MVGPU_PCI_DEVICE_ID);
	cr_assert_eq(cfg[9] | cfg[10] << 8 | cfg[11] << 16, MVGPU_PCI_CLASS);
	cr_assert_eq(cfg[PCI_SUBSYSTEM_ID] | cfg[PCI_SUBSYSTEM_ID + 1] << 8,
		     MVGPU_PCI_SUBDEV_BASE + 0);
	cr_assert_eq(cfg[PCI_CAPABILITY_LIST], MVGPU_CFG_CAP_MSI);
	cr_assert_eq(cfg[MVGPU_CFG_CAP_MSI], PCI_CAP_ID_MSI);

	/* read-only vendor id */
	cr_assert_eq(pwrite(v.device, &vendor, 2, off + PCI_VENDOR_ID), 2);
	cr_assert_eq(pread(v.device, &vendor, 2, off + PCI_VENDOR_ID), 2);
	cr_assert_eq(vendor, MVGPU_PCI_VENDOR_ID);

	/* BAR sizing: 64 KiB registers, 64 MiB 64-bit prefetchable framebuffer */
	cr_assert_eq(pwrite(v.device, &ones, 4, off + PCI_BASE_ADDRESS_0), 4);
	cr_assert_eq(pread(v.device, &bar, 4, off + PCI_BASE_ADDRESS_0), 4);
	cr_assert_eq(bar, 0xffff0000u);
	cr_assert_eq(pwrite(v.device, &ones, 4, off + PCI_BASE_ADDRESS_2), 4);
	cr_assert_eq(pread(v.device, &bar, 4, off + PCI_BASE_ADDRESS_2), 4);
	cr_assert_eq(bar, 0xfc00000cu);
	cr_assert_eq(pwrite(v.device, &ones, 4, off + PCI_BASE_ADDRESS_3), 4);
	cr_assert_eq(pread(v.device, &bar, 4, off + PCI_BASE_ADDRESS_3), 4);
	cr_assert_eq(bar, 0xffffffffu);

	/* reset returns to power-on state */
	cr_assert_eq(ioctl(v.device, VFIO_DEVICE_RESET), 0);
	cr_assert_eq(pread(v.device, &bar, 4, off + PCI_BASE_ADDRESS_2), 4);
	cr_assert_eq(bar, 0x0000000cu);

	/* out of range */
	cr_assert_eq(pread(v.device, cfg, 4, off + 256), -1);
	cr_assert_eq(errno, EINVAL);

	lab_vfio_close(&v);
	cr_assert_eq(lab_read_ll(path), 0);
}
