/*
 * test_vgpus.c - vGPU listing and lookup against a fake sysfs tree.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "fake_sysfs.h"
#include "mvgpu.h"

#define U1 "11111111-1111-4111-8111-111111111111"
#define U2 "22222222-2222-4222-8222-222222222222"
#define U3 "33333333-3333-4333-8333-333333333333"
#define U4 "44444444-4444-4444-8444-444444444444"

static struct fake *F;
static mvgpu_ctx *C;
static struct fake_warnings W;

static void setup(void)
{
	F = fake_new();
	fake_std(F);
	C = fake_ctx(F, &W);
}

static void teardown(void)
{
	mvgpu_ctx_free(C);
	fake_free(F);
}

TestSuite(vgpus, .init = setup, .fini = teardown, .timeout = 60);

Test(vgpus, none)
{
	mvgpu_vgpu_list l;

	cr_assert_eq(mvgpu_list_vgpus(C, &l), 0);
	cr_assert_eq(l.count, 0);
	cr_assert_eq(l.skipped, 0);
	mvgpu_vgpu_list_free(&l);
}

Test(vgpus, no_mdev_bus_at_all)
{
	mvgpu_ctx *c;
	mvgpu_vgpu_list l;

	cr_assert_eq(mvgpu_ctx_create(&c, "/nonexistent/mvgpu-sysfs"), 0);
	cr_assert_eq(mvgpu_list_vgpus(c, &l), 0);
	cr_assert_eq(l.count, 0);
	mvgpu_ctx_free(c);
}

Test(vgpus, listed_sorted_with_fields)
{
	mvgpu_vgpu_list l;

	fake_add_vgpu(F, "mvgpu0", "mvgpu-256M", U1, 12, "1\n");
	fake_add_vgpu(F, "0000:00:04.0", "mvgpu-64M", U3, 10, "0\n");
	fake_add_vgpu(F, "0000:00:04.0", "mvgpu-1G", U2, 11, "0\n");
	cr_assert_eq(mvgpu_list_vgpus(C, &l), 0);
	cr_assert_eq(l.count, 3);
	cr_assert_eq(W.n, 0, "%s", W.text);
	/* parent, then type id, then uuid */
	cr_assert_str_eq(l.items[0].uuid, U2);
	cr_assert_str_eq(l.items[0].parent, "0000:00:04.0");
	cr_assert_str_eq(l.items[0].type_id, "mvgpu-1G");
	cr_assert_eq(l.items[0].iommu_group, 11);
	cr_assert_eq(l.items[0].in_use, 0);
	cr_assert_str_eq(l.items[1].uuid, U3);
	cr_assert_str_eq(l.items[1].type_id, "mvgpu-64M");
	cr_assert_eq(l.items[1].iommu_group, 10);
	cr_assert_str_eq(l.items[2].uuid, U1);
	cr_assert_str_eq(l.items[2].parent, "mvgpu0");
	cr_assert_str_eq(l.items[2].type_id, "mvgpu-256M");
	cr_assert_eq(l.items[2].iommu_group, 12);
	cr_assert_eq(l.items[2].in_use, 1);
	mvgpu_vgpu_list_free(&l);
	cr_assert_null(l.items);
}

Test(vgpus, foreign_mdev_ignored)
{
	mvgpu_vgpu_list l;

	fake_add_vgpu(F, "0000:00:05.0", "nvidia-63", U4, 20, NULL);
	fake_add_vgpu(F, "mvgpu0", "mvgpu-64M", U1, 21, "0\n");
	cr_assert_eq(mvgpu_list_vgpus(C, &l), 0);
	cr_assert_eq(l.count, 1);
	cr_assert_eq(l.skipped, 0);
	cr_assert_str_eq(l.items[0].uuid, U1);
	mvgpu_vgpu_list_free(&l);
}

Test(vgpus, non_uuid_entry_skipped_with_warning)
{
	mvgpu_vgpu_list l;

	fake_add_vgpu(F, "mvgpu0", "mvgpu-64M", U1, 21, "0\n");
	fake_mkdirs(F, "bus/mdev/devices/not-a-uuid");
	fake_mkdirs(F, "bus/mdev/devices/11111111-1111-4111-8111-11111111111A");
	cr_assert_eq(mvgpu_list_vgpus(C, &l), 0);
	cr_assert_eq(l.count, 1);
	cr_assert_eq(l.skipped, 2);
	cr_assert_eq(W.n, 2);
	cr_assert(strstr(W.text, "not-a-uuid"));
	mvgpu_vgpu_list_free(&l);
}

Test(vgpus, missing_or_malformed_in_use_is_unknown)
{
	mvgpu_vgpu_list l;

	fake_add_vgpu(F, "mvgpu0", "mvgpu-64M", U1, 21, NULL);
	fake_add_vgpu(F, "mvgpu0", "mvgpu-64M", U2, 22, "2\n");
	fake_add_vgpu(F, "mvgpu0", "mvgpu-64M", U3, 23, "yes\n");
	cr_assert_eq(mvgpu_list_vgpus(C, &l), 0);
	cr_assert_eq(l.count, 3);
	cr_assert_eq(l.items[0].in_use, -1);
	cr_assert_eq(l.items[1].in_use, -1);
	cr_assert_eq(l.items[2].in_use, -1);
	cr_assert_eq(W.n, 3, "%s", W.text);
	cr_assert(strstr(W.text, "in_use"), "%s", W.text);
	mvgpu_vgpu_list_free(&l);
}

Test(vgpus, missing_or_bad_iommu_group)
{
	mvgpu_vgpu_list l;
	char p[PATH_MAX], pd[256];

	fake_add_vgpu(F, "mvgpu0", "mvgpu-64M", U1, -1, "0\n");
	fake_add_vgpu(F, "mvgpu0", "mvgpu-64M", U2, -1, "0\n");
	fake_parent_dir("mvgpu0", pd, sizeof(pd));
	snprintf(p, sizeof(p), "%s/%s/iommu_group", pd, U2);
	fake_symlink(F, "../../kernel/iommu_groups/group-x", p);
	cr_assert_eq(mvgpu_list_vgpus(C, &l), 0);
	cr_assert_eq(l.count, 2);
	cr_assert_eq(l.items[0].iommu_group, -1);
	cr_assert_eq(l.items[1].iommu_group, -1);
	cr_assert_eq(W.n, 1, "only the bad link warns: %s", W.text);
	mvgpu_vgpu_list_free(&l);
}

Test(vgpus, broken_mdev_type_skipped)
{
	mvgpu_vgpu_list l;
	mvgpu_vgpu_info v;
	char p[PATH_MAX], pd[256];

	fake_add_vgpu(F, "mvgpu0", "mvgpu-64M", U1, 1, "0\n");
	fake_add_vgpu(F, "mvgpu0", "mvgpu-64M", U2, 2, "0\n");
	fake_add_vgpu(F, "mvgpu0", "mvgpu-64M", U3, 3, "0\n");
	fake_parent_dir("mvgpu0", pd, sizeof(pd));
	/* U2: dangling link */
	snprintf(p, sizeof(p), "%s/%s/mdev_type", pd, U2);
	fake_unlink(F, p);
	fake_symlink(F, "../mdev_supported_types/mvgpu-gone", p);
	/* U3: points somewhere that is not a type dir */
	snprintf(p, sizeof(p), "%s/%s/mdev_type", pd, U3);
	fake_unlink(F, p);
	fake_symlink(F, "../../mvgpu0", p);
	cr_assert_eq(mvgpu_list_vgpus(C, &l), 0);
	cr_assert_eq(l.count, 1);
	cr_assert_eq(l.skipped, 2);
	cr_assert_str_eq(l.items[0].uuid, U1);
	mvgpu_vgpu_list_free(&l);
	cr_assert_eq(mvgpu_find_vgpu(C, U2, &v), -EBADMSG);
	cr_assert_eq(mvgpu_find_vgpu(C, U3, &v), -EBADMSG);
}

Test(vgpus, find)
{
	mvgpu_vgpu_info v;

	fake_add_vgpu(F, "mvgpu0", "mvgpu-512M", U1, 7, "1\n");
	fake_add_vgpu(F, "0000:00:05.0", "nvidia-63", U4, 20, NULL);
	cr_assert_eq(mvgpu_find_vgpu(C, "11111111-1111-4111-8111-111111111111", &v), 0);
	cr_assert_str_eq(v.uuid, U1);
	cr_assert_str_eq(v.parent, "mvgpu0");
	cr_assert_str_eq(v.type_id, "mvgpu-512M");
	cr_assert_eq(v.iommu_group, 7);
	cr_assert_eq(v.in_use, 1);
	cr_assert_eq(mvgpu_find_vgpu(C, U2, &v), -ENOENT);
	cr_assert_eq(mvgpu_find_vgpu(C, U4, &v), -ENOENT);
	cr_assert_eq(mvgpu_find_vgpu(C, "../../../etc", &v), -EINVAL);
	cr_assert_eq(mvgpu_find_vgpu(C, NULL, &v), -EINVAL);
}

Test(vgpus, find_upper_case)
{
	mvgpu_vgpu_info v;

	fake_add_vgpu(F, "mvgpu0", "mvgpu-512M",
		      "abcdef01-2345-4789-8bcd-ef0123456789", 7, "0\n");
	cr_assert_eq(mvgpu_find_vgpu(C, "ABCDEF01-2345-4789-8BCD-EF0123456789",
				     &v), 0);
	cr_assert_str_eq(v.uuid, "abcdef01-2345-4789-8bcd-ef0123456789");
}
