/*
 * test_remove.c - mvgpu_remove() against a fake sysfs tree.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "fake_sysfs.h"
#include "mvgpu.h"

#define IDLE  "11111111-1111-4111-8111-111111111111"
#define BUSY  "22222222-2222-4222-8222-222222222222"
#define NOUSE "33333333-3333-4333-8333-333333333333"

static struct fake *F;
static mvgpu_ctx *C;

static void setup(void)
{
	F = fake_new();
	fake_std(F);
	fake_add_vgpu(F, "mvgpu0", "mvgpu-256M", IDLE, 5, "0\n");
	fake_add_vgpu(F, "mvgpu0", "mvgpu-256M", BUSY, 6, "1\n");
	fake_add_vgpu(F, "0000:00:04.0", "mvgpu-64M", NOUSE, 7, NULL);
	cr_assert_eq(mvgpu_ctx_create(&C, F->root), 0);
}

static void teardown(void)
{
	mvgpu_ctx_free(C);
	fake_free(F);
}

TestSuite(remove, .init = setup, .fini = teardown, .timeout = 60);

static void assert_remove_file(const char *parent, const char *uuid,
			       const char *expect)
{
	char pd[256], p[PATH_MAX], *s;

	fake_parent_dir(parent, pd, sizeof(pd));
	snprintf(p, sizeof(p), "%s/%s/remove", pd, uuid);
	s = fake_read(F, p);
	cr_assert_not_null(s);
	cr_assert_str_eq(s, expect, "%s: got '%s'", uuid, s);
	free(s);
}

Test(remove, idle_vgpu_removed)
{
	cr_assert_eq(mvgpu_remove(C, IDLE, 0), 0);
	assert_remove_file("mvgpu0", IDLE, "1");
	assert_remove_file("mvgpu0", BUSY, "");
}

Test(remove, in_use_refused_without_force)
{
	cr_assert_eq(mvgpu_remove(C, BUSY, 0), -EBUSY);
	assert_remove_file("mvgpu0", BUSY, "");
	cr_assert(strstr(mvgpu_last_error(C), BUSY));
}

Test(remove, in_use_removed_with_force)
{
	cr_assert_eq(mvgpu_remove(C, BUSY, 1), 0);
	assert_remove_file("mvgpu0", BUSY, "1");
}

Test(remove, unknown_in_use_refused_without_force)
{
	cr_assert_eq(mvgpu_remove(C, NOUSE, 0), -EBADMSG);
	assert_remove_file("0000:00:04.0", NOUSE, "");
	cr_assert(strstr(mvgpu_last_error(C), "in_use"), "%s",
		  mvgpu_last_error(C));
	cr_assert_eq(mvgpu_remove(C, NOUSE, 1), 0);
	assert_remove_file("0000:00:04.0", NOUSE, "1");
}

Test(remove, unknown_uuid)
{
	cr_assert_eq(mvgpu_remove(C, "44444444-4444-4444-8444-444444444444", 0),
		     -ENOENT);
	cr_assert_eq(mvgpu_remove(C, "44444444-4444-4444-8444-444444444444", 1),
		     -ENOENT);
}

Test(remove, invalid_uuid)
{
	cr_assert_eq(mvgpu_remove(C, "1", 0), -EINVAL);
	cr_assert_eq(mvgpu_remove(C, "../../../../etc/passwd", 1), -EINVAL);
	cr_assert_eq(mvgpu_remove(C, NULL, 1), -EINVAL);
	cr_assert_eq(mvgpu_remove(NULL, IDLE, 1), -EINVAL);
	assert_remove_file("mvgpu0", IDLE, "");
}

Test(remove, upper_case_uuid)
{
	fake_add_vgpu(F, "mvgpu0", "mvgpu-64M",
		      "abcdef01-2345-4789-8bcd-ef0123456789", 8, "0\n");
	cr_assert_eq(mvgpu_remove(C, "ABCDEF01-2345-4789-8BCD-EF0123456789", 0), 0);
	assert_remove_file("mvgpu0", "abcdef01-2345-4789-8bcd-ef0123456789", "1");
	assert_remove_file("mvgpu0", IDLE, "");
}

Test(remove, foreign_mdev_not_touched)
{
	fake_add_vgpu(F, "0000:00:05.0", "nvidia-63",
		      "55555555-5555-4555-8555-555555555555", 9, NULL);
	cr_assert_eq(mvgpu_remove(C, "55555555-5555-4555-8555-555555555555", 1),
		     -ENOENT);
	assert_remove_file("0000:00:05.0", "55555555-5555-4555-8555-555555555555",
			   "");
}
