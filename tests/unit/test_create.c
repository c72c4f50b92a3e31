/*
 * test_create.c - mvgpu_create() against a fake sysfs tree, where each
 * type's "create" is a regular file we can read back.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "fake_sysfs.h"
#include "mvgpu.h"

#define U1 "11111111-1111-4111-8111-111111111111"

static struct fake *F;
static mvgpu_ctx *C;

static void setup(void)
{
	F = fake_new();
	fake_std(F);
	cr_assert_eq(mvgpu_ctx_create(&C, F->root), 0);
}

static void teardown(void)
{
	mvgpu_ctx_free(C);
	fake_free(F);
}

TestSuite(create, .init = setup, .fini = teardown, .timeout = 60);

static void assert_created(const char *parent, const char *type,
			   const char *expect)
{
	char *s = fake_created(F, parent, type);

	cr_assert_str_eq(s, expect, "%s/%s create got '%s', expected '%s'",
			 parent, type, s, expect);
	free(s);
}

/* No create file of any type on any parent was written. */
static void assert_nothing_written(void)
{
	static const char *const parents[] = { "0000:00:04.0", "mvgpu0" };
	static const char *const types[] = { "mvgpu-64M", "mvgpu-256M",
					     "mvgpu-512M", "mvgpu-1G" };
	size_t i, j;

	for (i = 0; i < 2; i++)
		for (j = 0; j < 4; j++)
			assert_created(parents[i], types[j], "");
	assert_created("0000:00:05.0", "nvidia-63", "");
}

static void set_avail(const char *parent, const char *type, const char *v)
{
	char p[PATH_MAX];

	fake_type_attr(parent, type, "available_instances", p, sizeof(p));
	fake_write(F, p, v);
}

Test(create, with_parent_and_uuid)
{
	mvgpu_vgpu_info v;

	cr_assert_eq(mvgpu_create(C, "mvgpu-256M", "mvgpu0", U1, &v), 0);
	assert_created("mvgpu0", "mvgpu-256M", U1);
	assert_created("0000:00:04.0", "mvgpu-256M", "");
	cr_assert_str_eq(v.uuid, U1);
	cr_assert_str_eq(v.parent, "mvgpu0");
	cr_assert_str_eq(v.type_id, "mvgpu-256M");
	/* The fake kernel does not make the device appear. */
	cr_assert_eq(v.iommu_group, -1);
	cr_assert_eq(v.in_use, 0);
}

Test(create, uuid_canonicalised)
{
	mvgpu_vgpu_info v;

	cr_assert_eq(mvgpu_create(C, "mvgpu-64M", "mvgpu0",
				  "ABCDEF01-2345-4789-8BCD-EF0123456789", &v), 0);
	assert_created("mvgpu0", "mvgpu-64M",
		       "abcdef01-2345-4789-8bcd-ef0123456789");
	cr_assert_str_eq(v.uuid, "abcdef01-2345-4789-8bcd-ef0123456789");
}

Test(create, generated_uuid)
{
	mvgpu_vgpu_info v, w;
	char *s;

	cr_assert_eq(mvgpu_create(C, "mvgpu-512M", "0000:00:04.0", NULL, &v), 0);
	s = fake_created(F, "0000:00:04.0", "mvgpu-512M");
	cr_assert_str_eq(s, v.uuid);
	free(s);
	cr_assert_eq(strlen(v.uuid), 36);
	cr_assert_eq(mvgpu_uuid_canonical(v.uuid, w.uuid), 0);
	cr_assert_str_eq(v.uuid, w.uuid, "generated UUID not canonical");
	cr_assert_eq(mvgpu_create(C, "mvgpu-512M", "0000:00:04.0", NULL, &w), 0);
	cr_assert_str_neq(v.uuid, w.uuid);
	assert_created("0000:00:04.0", "mvgpu-512M", w.uuid);
}

Test(create, out_may_be_null)
{
	cr_assert_eq(mvgpu_create(C, "mvgpu-64M", "mvgpu0", U1, NULL), 0);
	assert_created("mvgpu0", "mvgpu-64M", U1);
}

Test(create, no_parent_picks_first_sorted)
{
	mvgpu_vgpu_info v;

	cr_assert_eq(mvgpu_create(C, "mvgpu-1G", NULL, U1, &v), 0);
	cr_assert_str_eq(v.parent, "0000:00:04.0");
	assert_created("0000:00:04.0", "mvgpu-1G", U1);
	assert_created("mvgpu0", "mvgpu-1G", "");
}

Test(create, no_parent_skips_exhausted)
{
	mvgpu_vgpu_info v;

	set_avail("0000:00:04.0", "mvgpu-1G", "0\n");
	cr_assert_eq(mvgpu_create(C, "mvgpu-1G", NULL, U1, &v), 0);
	cr_assert_str_eq(v.parent, "mvgpu0");
	assert_created("mvgpu0", "mvgpu-1G", U1);
	assert_created("0000:00:04.0", "mvgpu-1G", "");
}

Test(create, no_parent_skips_malformed)
{
	mvgpu_vgpu_info v;

	set_avail("0000:00:04.0", "mvgpu-1G", "lots\n");
	cr_assert_eq(mvgpu_create(C, "mvgpu-1G", NULL, U1, &v), 0);
	cr_assert_str_eq(v.parent, "mvgpu0");
}

Test(create, all_exhausted)
{
	mvgpu_vgpu_info v;

	set_avail("0000:00:04.0", "mvgpu-1G", "0\n");
	set_avail("mvgpu0", "mvgpu-1G", "0\n");
	cr_assert_eq(mvgpu_create(C, "mvgpu-1G", NULL, U1, &v), -ENOSPC);
	cr_assert_eq(mvgpu_create(C, "mvgpu-1G", "mvgpu0", U1, &v), -ENOSPC);
	cr_assert(strstr(mvgpu_last_error(C), "mvgpu-1G"));
	assert_nothing_written();
}

Test(create, invalid_uuids_rejected_without_write)
{
	static const char *const bad[] = {
		"", "not-a-uuid", "11111111-1111-4111-8111-11111111111",
		"11111111-1111-4111-8111-1111111111111",
		"11111111111141118111111111111111",
		"{11111111-1111-4111-8111-111111111111}",
		"11111111-1111-4111-8111-11111111111g",
		"11111111-1111-4111-8111-111111111111\n",
		"../../../../../etc/passwd",
	};
	mvgpu_vgpu_info v;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(mvgpu_create(C, "mvgpu-64M", "mvgpu0", bad[i], &v),
			     -EINVAL, "accepted '%s'", bad[i]);
		cr_assert_eq(mvgpu_create(C, "mvgpu-64M", NULL, bad[i], &v),
			     -EINVAL, "accepted '%s'", bad[i]);
	}
	cr_assert(strstr(mvgpu_last_error(C), "invalid UUID"));
	assert_nothing_written();
}

Test(create, bad_names_rejected_without_write)
{
	cr_assert_eq(mvgpu_create(C, "../mvgpu-64M", "mvgpu0", U1, NULL), -EINVAL);
	cr_assert_eq(mvgpu_create(C, "", "mvgpu0", U1, NULL), -EINVAL);
	cr_assert_eq(mvgpu_create(C, NULL, "mvgpu0", U1, NULL), -EINVAL);
	cr_assert_eq(mvgpu_create(C, "mvgpu-64M", "../x", U1, NULL), -EINVAL);
	cr_assert_eq(mvgpu_create(C, "mvgpu-64M", "a/b", U1, NULL), -EINVAL);
	cr_assert_eq(mvgpu_create(NULL, "mvgpu-64M", "mvgpu0", U1, NULL), -EINVAL);
	assert_nothing_written();
}

Test(create, unknown_type_and_parent)
{
	cr_assert_eq(mvgpu_create(C, "mvgpu-3G", NULL, U1, NULL), -ENOENT);
	cr_assert_eq(mvgpu_create(C, "mvgpu-3G", "mvgpu0", U1, NULL), -ENOENT);
	cr_assert_eq(mvgpu_create(C, "mvgpu-64M", "mvgpu5", U1, NULL), -ENODEV);
	/* Foreign parent and type are not ours to create. */
	cr_assert_eq(mvgpu_create(C, "nvidia-63", NULL, U1, NULL), -ENOENT);
	cr_assert_eq(mvgpu_create(C, "nvidia-63", "0000:00:05.0", U1, NULL), -ENODEV);
	assert_nothing_written();
}

Test(create, existing_uuid_rejected_without_write)
{
	fake_add_vgpu(F, "mvgpu0", "mvgpu-64M", U1, 3, "0\n");
	cr_assert_eq(mvgpu_create(C, "mvgpu-256M", "0000:00:04.0", U1, NULL),
		     -EEXIST);
	cr_assert_eq(mvgpu_create(C, "mvgpu-256M", NULL,
				  "11111111-1111-4111-8111-111111111111", NULL),
		     -EEXIST);
	assert_nothing_written();
}

Test(create, write_error_propagated)
{
	char p[PATH_MAX];

	fake_type_attr("mvgpu0", "mvgpu-64M", "create", p, sizeof(p));
	fake_unlink(F, p);
	fake_mkdirs(F, p);	/* create is a directory: open fails */
	cr_assert_eq(mvgpu_create(C, "mvgpu-64M", "mvgpu0", U1, NULL), -EISDIR);
	cr_assert(strstr(mvgpu_last_error(C), "create"), "%s",
		  mvgpu_last_error(C));
}

Test(create, missing_create_attribute_not_created)
{
	char p[PATH_MAX];

	fake_type_attr("mvgpu0", "mvgpu-64M", "create", p, sizeof(p));
	fake_unlink(F, p);
	cr_assert_eq(mvgpu_create(C, "mvgpu-64M", "mvgpu0", U1, NULL), -ENOENT);
	cr_assert_not(fake_exists(F, p), "library created a sysfs file");
}
