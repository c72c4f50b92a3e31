/*
 * test_types.c - vGPU type discovery against a fake sysfs tree.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "fake_sysfs.h"
#include "mvgpu.h"

FAKE_SUITE(types);

static const mvgpu_type_info *find(const mvgpu_type_list *l,
				   const char *parent, const char *type)
{
	size_t i;

	for (i = 0; i < l->count; i++)
		if (!strcmp(l->items[i].parent, parent) &&
		    !strcmp(l->items[i].type_id, type))
			return &l->items[i];
	return NULL;
}

Test(types, empty_tree_has_no_types)
{
	mvgpu_type_list l;

	cr_assert_eq(mvgpu_list_types(C, NULL, &l), 0);
	cr_assert_eq(l.count, 0);
	cr_assert_eq(l.skipped, 0);
	cr_assert_null(l.items);
	mvgpu_type_list_free(&l);
}

Test(types, missing_sysfs_root_has_no_types)
{
	mvgpu_ctx *c;
	mvgpu_type_list l;

	cr_assert_eq(mvgpu_ctx_create(&c, "/nonexistent/mvgpu-sysfs"), 0);
	cr_assert_eq(mvgpu_list_types(c, NULL, &l), 0);
	cr_assert_eq(l.count, 0);
	cr_assert_eq(mvgpu_list_types(c, "mvgpu0", &l), -ENODEV);
	mvgpu_ctx_free(c);
}

Test(types, two_parents_four_types_sorted)
{
	static const char *const order[] = {
		"mvgpu-64M", "mvgpu-256M", "mvgpu-512M", "mvgpu-1G"
	};
	mvgpu_type_list l;
	size_t i;

	fake_std(F);
	cr_assert_eq(mvgpu_list_types(C, NULL, &l), 0);
	cr_assert_eq(l.count, 8, "got %zu types", l.count);
	cr_assert_eq(l.skipped, 0);
	cr_assert_eq(W.n, 0, "warnings: %s", W.text);
	for (i = 0; i < 8; i++) {
		cr_assert_str_eq(l.items[i].parent,
				 i < 4 ? "0000:00:04.0" : "mvgpu0");
		cr_assert_str_eq(l.items[i].type_id, order[i % 4]);
	}
	mvgpu_type_list_free(&l);
	cr_assert_eq(l.count, 0);
	cr_assert_null(l.items);
}

Test(types, fields_parsed)
{
	const mvgpu_type_info *t;
	mvgpu_type_list l;

	fake_std(F);
	cr_assert_eq(mvgpu_list_types(C, NULL, &l), 0);
	t = find(&l, "mvgpu0", "mvgpu-256M");
	cr_assert_not_null(t);
	cr_assert_str_eq(t->name, "MVGPU-256M");
	cr_assert_str_eq(t->device_api, "vfio-pci");
	cr_assert_eq(t->framebuffer, 256ull << 20);
	cr_assert_eq(t->num_heads, 1);
	cr_assert_eq(t->frl_config, 60);
	cr_assert_eq(t->max_width, 1920);
	cr_assert_eq(t->max_height, 1080);
	cr_assert_eq(t->max_instance, 4);
	cr_assert_eq(t->available_instances, 4);
	t = find(&l, "0000:00:04.0", "mvgpu-1G");
	cr_assert_not_null(t);
	cr_assert_str_eq(t->name, "MVGPU-1G");
	cr_assert_eq(t->framebuffer, 1ull << 30);
	cr_assert_eq(t->max_width, 3840);
	cr_assert_eq(t->max_instance, 1);
	mvgpu_type_list_free(&l);
}

Test(types, foreign_parents_and_types_ignored)
{
	mvgpu_type_list l;

	fake_std(F);
	/* An mvgpu parent that also carries a foreign type. */
	fake_add_type(F, "mvgpu0", "i915-GVTg_V5_4", "GVTg_V5_4\n",
		      "low_gm_size: 128MB\n", "vfio-pci\n", "1\n");
	cr_assert_eq(mvgpu_list_types(C, NULL, &l), 0);
	cr_assert_eq(l.count, 8);
	cr_assert_null(find(&l, "0000:00:05.0", "nvidia-63"));
	cr_assert_null(find(&l, "mvgpu0", "i915-GVTg_V5_4"));
	cr_assert_eq(W.n, 0, "warnings: %s", W.text);
	mvgpu_type_list_free(&l);
	cr_assert_eq(mvgpu_list_types(C, "0000:00:05.0", &l), -ENODEV);
	cr_assert_eq(l.count, 0);
}

Test(types, filter_by_parent)
{
	mvgpu_type_list l;
	size_t i;

	fake_std(F);
	cr_assert_eq(mvgpu_list_types(C, "mvgpu0", &l), 0);
	cr_assert_eq(l.count, 4);
	for (i = 0; i < l.count; i++)
		cr_assert_str_eq(l.items[i].parent, "mvgpu0");
	mvgpu_type_list_free(&l);
	cr_assert_eq(mvgpu_list_types(C, "mvgpu7", &l), -ENODEV);
	cr_assert(strstr(mvgpu_last_error(C), "mvgpu7"));
	cr_assert_eq(mvgpu_list_types(C, "../../etc", &l), -EINVAL);
	cr_assert_eq(mvgpu_list_types(C, "", &l), -EINVAL);
	cr_assert_eq(mvgpu_list_types(C, NULL, NULL), -EINVAL);
}

Test(types, parents_in_natural_order)
{
	mvgpu_type_list l;

	fake_add_parent(F, "mvgpu10");
	fake_add_std_type(F, "mvgpu10", "mvgpu-64M", 64, 16, 16);
	fake_add_parent(F, "mvgpu2");
	fake_add_std_type(F, "mvgpu2", "mvgpu-64M", 64, 16, 16);
	cr_assert_eq(mvgpu_list_types(C, NULL, &l), 0);
	cr_assert_eq(l.count, 2);
	cr_assert_str_eq(l.items[0].parent, "mvgpu2");
	cr_assert_str_eq(l.items[1].parent, "mvgpu10");
	mvgpu_type_list_free(&l);
}

Test(types, odd_description_keys_tolerated)
{
	const mvgpu_type_info *t;
	mvgpu_type_list l;

	fake_add_parent(F, "mvgpu0");
	fake_add_type(F, "mvgpu0", "mvgpu-2G", "MVGPU-2G\n",
		      "max_instance=1, future_key=7, framebuffer=2048M, "
		      "num_heads=4, max_resolution=5120x2880, encoder=h264\n",
		      "vfio-pci\n", "1\n");
	cr_assert_eq(mvgpu_list_types(C, NULL, &l), 0);
	cr_assert_eq(l.count, 1);
	t = &l.items[0];
	cr_assert_eq(t->framebuffer, 2048ull << 20);
	cr_assert_eq(t->num_heads, 4);
	cr_assert_eq(t->max_width, 5120);
	cr_assert_eq(t->max_height, 2880);
	cr_assert_eq(t->max_instance, 1);
	cr_assert_eq(t->frl_config, 0);
	mvgpu_type_list_free(&l);
}

/* Replace one attribute of mvgpu0/mvgpu-256M in the standard tree and
 * check that exactly that type is skipped, with a warning naming it. */
static void expect_skipped(const char *attr, const void *data, size_t len,
			   int expect_err)
{
	char p[PATH_MAX];
	mvgpu_type_list l;
	mvgpu_type_info t;

	fake_std(F);
	fake_type_attr("mvgpu0", "mvgpu-256M", attr, p, sizeof(p));
	if (data)
		fake_write_bytes(F, p, data, len);
	else
		fake_unlink(F, p);
	cr_assert_eq(mvgpu_list_types(C, NULL, &l), 0);
	cr_assert_eq(l.count, 7, "%s: got %zu types", attr, l.count);
	cr_assert_eq(l.skipped, 1);
	cr_assert_null(find(&l, "mvgpu0", "mvgpu-256M"));
	cr_assert_not_null(find(&l, "0000:00:04.0", "mvgpu-256M"));
	cr_assert_eq(W.n, 1);
	cr_assert(strstr(W.text, "mvgpu-256M") && strstr(W.text, attr),
		  "warning does not name type and file: %s", W.text);
	mvgpu_type_list_free(&l);
	cr_assert_eq(mvgpu_get_type(C, "mvgpu0", "mvgpu-256M", &t), expect_err);
	cr_assert(strstr(mvgpu_last_error(C), attr), "%s",
		  mvgpu_last_error(C));
}

#define S(x) x, sizeof(x) - 1

Test(types, malformed_description_skipped)
{
	expect_skipped("description", S("num_heads=1, framebuffer=lots\n"),
		       -EBADMSG);
}

Test(types, description_without_equals_skipped)
{
	expect_skipped("description", S("just some text\n"), -EBADMSG);
}

Test(types, available_instances_not_a_number)
{
	expect_skipped("available_instances", S("abc\n"), -EBADMSG);
}

Test(types, available_instances_negative)
{
	expect_skipped("available_instances", S("-1\n"), -EBADMSG);
}

Test(types, available_instances_empty)
{
	expect_skipped("available_instances", S(""), -EBADMSG);
}

Test(types, available_instances_two_numbers)
{
	expect_skipped("available_instances", S("4 5\n"), -EBADMSG);
}

Test(types, available_instances_huge)
{
	expect_skipped("available_instances", S("99999999999999\n"), -EBADMSG);
}

Test(types, available_instances_binary)
{
	expect_skipped("available_instances", S("\0\0\xff\n"), -EBADMSG);
}

Test(types, available_instances_missing)
{
	expect_skipped("available_instances", NULL, 0, -EBADMSG);
}

Test(types, name_missing)
{
	expect_skipped("name", NULL, 0, -EBADMSG);
}

Test(types, name_overlong)
{
	char name[MVGPU_NAME_MAX + 10];

	memset(name, 'N', sizeof(name));
	expect_skipped("name", name, sizeof(name), -EOVERFLOW);
}

Test(types, name_with_escape_sequence)
{
	expect_skipped("name", S("MVGPU\x1b]0;pwned\x07\n"), -EBADMSG);
}

Test(types, description_overlong)
{
	size_t n = 64 * 1024;
	char *d = malloc(n);

	cr_assert_not_null(d);
	memset(d, 'x', n);
	memcpy(d, "a=", 2);
	expect_skipped("description", d, n, -EOVERFLOW);
	free(d);
}

Test(types, device_api_empty)
{
	expect_skipped("device_api", S("\n"), -EBADMSG);
}

Test(types, unusable_type_dir_name_skipped)
{
	mvgpu_type_list l;

	fake_add_parent(F, "mvgpu0");
	fake_add_std_type(F, "mvgpu0", "mvgpu-64M", 64, 16, 16);
	fake_add_std_type(F, "mvgpu0", "mvgpu-bad name\n", 64, 16, 16);
	cr_assert_eq(mvgpu_list_types(C, NULL, &l), 0);
	cr_assert_eq(l.count, 1);
	cr_assert_eq(l.skipped, 1);
	cr_assert_eq(W.n, 1);
	/* The hostile name is quoted: the only newline is the one
	 * fake_ctx()'s handler appended. */
	cr_assert_eq(strchr(W.text, '\n'), W.text + strlen(W.text) - 1,
		     "raw newline in warning: %s", W.text);
	cr_assert(strstr(W.text, "mvgpu-bad name?"), "%s", W.text);
	mvgpu_type_list_free(&l);
}

Test(types, parent_without_types_dir_is_not_a_parent)
{
	mvgpu_type_list l;

	fake_add_parent(F, "mvgpu0");	/* no mdev_supported_types */
	fake_mkdirs(F, "class/mdev_bus/stray-dir");
	fake_write(F, "class/mdev_bus/stray-file", "x");
	cr_assert_eq(mvgpu_list_types(C, NULL, &l), 0);
	cr_assert_eq(l.count, 0);
	cr_assert_eq(W.n, 0, "%s", W.text);
	cr_assert_eq(mvgpu_list_types(C, "mvgpu0", &l), -ENODEV);
}

Test(types, get_type)
{
	mvgpu_type_info t;

	fake_std(F);
	cr_assert_eq(mvgpu_get_type(C, "0000:00:04.0", "mvgpu-512M", &t), 0);
	cr_assert_str_eq(t.parent, "0000:00:04.0");
	cr_assert_str_eq(t.type_id, "mvgpu-512M");
	cr_assert_eq(t.framebuffer, 512ull << 20);
	cr_assert_eq(t.max_instance, 2);
	cr_assert_eq(mvgpu_get_type(C, "mvgpu9", "mvgpu-512M", &t), -ENODEV);
	cr_assert_eq(mvgpu_get_type(C, "mvgpu0", "mvgpu-3G", &t), -ENOENT);
	cr_assert_eq(mvgpu_get_type(C, "0000:00:05.0", "nvidia-63", &t), -ENODEV);
	cr_assert_eq(mvgpu_get_type(C, "mvgpu0", "../mvgpu-1G", &t), -EINVAL);
	cr_assert_eq(mvgpu_get_type(C, "..", "mvgpu-1G", &t), -EINVAL);
	/* the parent's name is checked first, then the type id, then
	 * whether the parent is there */
	cr_assert_eq(mvgpu_get_type(C, "..", "../mvgpu-1G", &t), -EINVAL);
	cr_assert_str_eq(mvgpu_last_error(C), "invalid parent name '..'");
	cr_assert_eq(mvgpu_get_type(C, "mvgpu9", "../mvgpu-1G", &t), -EINVAL);
	cr_assert_str_eq(mvgpu_last_error(C),
			 "invalid type id '../mvgpu-1G'");
}

/* Random junk (fixed seed) in every attribute of one type: discovery must
 * either list the type with sane values or skip it, never crash or leak. */
Test(types, random_junk_never_crashes)
{
	static const char *const attrs[] = { "name", "description",
		"device_api", "available_instances" };
	static const char alphabet[] = "0123456789=,x MGKkT\n\t-+_abc\0\xff\x1b";
	char p[PATH_MAX], junk[300];
	mvgpu_type_list l;
	unsigned seed = 12345;
	int iter, a;

	fake_std(F);
	for (iter = 0; iter < 300; iter++) {
		for (a = 0; a < 4; a++) {
			size_t n = (size_t)rand_r(&seed) % sizeof(junk), i;

			for (i = 0; i < n; i++)
				junk[i] = alphabet[(size_t)rand_r(&seed) %
						   (sizeof(alphabet) - 1)];
			fake_type_attr("mvgpu0", "mvgpu-64M", attrs[a], p,
				       sizeof(p));
			/* Sometimes keep a valid value, so that single bad
			 * attributes get exercised too. */
			if (rand_r(&seed) % 2)
				fake_write_bytes(F, p, junk, n);
		}
		cr_assert_eq(mvgpu_list_types(C, NULL, &l), 0);
		cr_assert_eq(l.count + l.skipped, 8);
		cr_assert(l.count >= 7);
		mvgpu_type_list_free(&l);
	}
}
