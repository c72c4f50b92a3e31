/*
 * test_sysfs.c - low-level attribute I/O against hostile files.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "fake_sysfs.h"
#include "internal.h"

static struct fake *F;
static mvgpu_ctx *C;

static void setup(void)
{
	F = fake_new();
	cr_assert_eq(mvgpu_ctx_create(&C, F->root), 0);
}

static void teardown(void)
{
	mvgpu_ctx_free(C);
	fake_free(F);
}

TestSuite(sysfs, .init = setup, .fini = teardown, .timeout = 60);

static int rd(const char *rel, char *buf, size_t len)
{
	char p[PATH_MAX];

	cr_assert_eq(mvgpu__path(C, p, sizeof(p), "/%s", rel), 0);
	return mvgpu__read_attr(C, p, buf, len);
}

Test(sysfs, strips_one_trailing_newline)
{
	char buf[64];

	fake_write(F, "a", "hello\n");
	cr_assert_eq(rd("a", buf, sizeof(buf)), 5);
	cr_assert_str_eq(buf, "hello");
	fake_write(F, "b", "hello");
	cr_assert_eq(rd("b", buf, sizeof(buf)), 5);
	cr_assert_str_eq(buf, "hello");
	/* Only one newline is the terminator; a second is content. */
	fake_write(F, "c", "hello\n\n");
	cr_assert_eq(rd("c", buf, sizeof(buf)), -EBADMSG);
	fake_write(F, "d", "");
	cr_assert_eq(rd("d", buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "");
}

Test(sysfs, exact_fit_and_overlong)
{
	char buf[8];

	fake_write(F, "fit", "1234567");
	cr_assert_eq(rd("fit", buf, sizeof(buf)), 7);
	cr_assert_str_eq(buf, "1234567");
	fake_write(F, "long", "12345678");
	cr_assert_eq(rd("long", buf, sizeof(buf)), -EOVERFLOW);
	cr_assert_str_eq(buf, "");
	cr_assert(strstr(mvgpu_last_error(C), "long"), "detail names the file: %s",
		  mvgpu_last_error(C));
}

Test(sysfs, huge_file_bounded)
{
	size_t n = 1 << 20;
	char *big = malloc(n), buf[MVGPU_ATTR_MAX];

	cr_assert_not_null(big);
	memset(big, '7', n);
	fake_write_bytes(F, "big", big, n);
	free(big);
	cr_assert_eq(rd("big", buf, sizeof(buf)), -EOVERFLOW);
}

Test(sysfs, control_nul_and_non_ascii_rejected)
{
	char buf[64];

	fake_write_bytes(F, "nul", "ab\0cd", 5);
	cr_assert_eq(rd("nul", buf, sizeof(buf)), -EBADMSG);
	fake_write(F, "esc", "\x1b[2J");
	cr_assert_eq(rd("esc", buf, sizeof(buf)), -EBADMSG);
	fake_write(F, "utf8", "caf\xc3\xa9");
	cr_assert_eq(rd("utf8", buf, sizeof(buf)), -EBADMSG);
	fake_write(F, "cr", "1\r\n");
	cr_assert_eq(rd("cr", buf, sizeof(buf)), -EBADMSG);
	cr_assert(strstr(mvgpu_last_error(C), "0x0d"), "%s", mvgpu_last_error(C));
}

Test(sysfs, missing_and_directory)
{
	char buf[64];

	cr_assert_eq(rd("nope", buf, sizeof(buf)), -ENOENT);
	fake_mkdirs(F, "dir");
	cr_assert_eq(rd("dir", buf, sizeof(buf)), -EISDIR);
}

Test(sysfs, uint_attr)
{
	char p[PATH_MAX];
	uint64_t v;

	fake_write(F, "n", "12\n");
	cr_assert_eq(mvgpu__path(C, p, sizeof(p), "/n"), 0);
	cr_assert_eq(mvgpu__read_uint_attr(C, p, UINT32_MAX, &v), 0);
	cr_assert_eq(v, 12);
	fake_write(F, "n", "-1\n");
	cr_assert_eq(mvgpu__read_uint_attr(C, p, UINT32_MAX, &v), -EBADMSG);
	fake_write(F, "n", "4294967296\n");
	cr_assert_eq(mvgpu__read_uint_attr(C, p, UINT32_MAX, &v), -EBADMSG);
	fake_write(F, "n", "\n");
	cr_assert_eq(mvgpu__read_uint_attr(C, p, UINT32_MAX, &v), -EBADMSG);
	fake_write(F, "n", "123456789012345678901234567890123456789012345678901234567890123456789");
	cr_assert_eq(mvgpu__read_uint_attr(C, p, UINT32_MAX, &v), -EBADMSG);
}

Test(sysfs, write_never_creates)
{
	char p[PATH_MAX], *s;

	cr_assert_eq(mvgpu__path(C, p, sizeof(p), "/absent"), 0);
	cr_assert_eq(mvgpu__write_attr(C, p, "1"), -ENOENT);
	cr_assert_not(fake_exists(F, "absent"));
	fake_write(F, "attr", "old content");
	cr_assert_eq(mvgpu__path(C, p, sizeof(p), "/attr"), 0);
	cr_assert_eq(mvgpu__write_attr(C, p, "1"), 0);
	s = fake_read(F, "attr");
	cr_assert_str_eq(s, "1");
	free(s);
}

Test(sysfs, path_too_long)
{
	char p[64], big[200];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	cr_assert_eq(mvgpu__path(C, p, sizeof(p), "/%s", big), -ENAMETOOLONG);
}

Test(sysfs, list_dir_natural_order_hides_dot_entries)
{
	char p[PATH_MAX];
	char **names;
	size_t n;

	fake_mkdirs(F, "d/mvgpu10");
	fake_mkdirs(F, "d/mvgpu2");
	fake_mkdirs(F, "d/mvgpu1");
	fake_write(F, "d/.hidden", "");
	cr_assert_eq(mvgpu__path(C, p, sizeof(p), "/d"), 0);
	cr_assert_eq(mvgpu__list_dir(C, p, &names, &n), 0);
	cr_assert_eq(n, 3);
	cr_assert_str_eq(names[0], "mvgpu1");
	cr_assert_str_eq(names[1], "mvgpu2");
	cr_assert_str_eq(names[2], "mvgpu10");
	mvgpu__free_names(names, n);
	cr_assert_eq(mvgpu__path(C, p, sizeof(p), "/nope"), 0);
	cr_assert_eq(mvgpu__list_dir(C, p, &names, &n), -ENOENT);
	cr_assert_null(names);
	cr_assert_eq(n, 0);
}

Test(sysfs, link_basename)
{
	char p[PATH_MAX], out[16];

	fake_symlink(F, "../../kernel/iommu_groups/42", "g");
	cr_assert_eq(mvgpu__path(C, p, sizeof(p), "/g"), 0);
	cr_assert_eq(mvgpu__link_basename(C, p, out, sizeof(out)), 0);
	cr_assert_str_eq(out, "42");
	fake_symlink(F, "/a/very-long-basename-beyond-16", "h");
	cr_assert_eq(mvgpu__path(C, p, sizeof(p), "/h"), 0);
	cr_assert_eq(mvgpu__link_basename(C, p, out, sizeof(out)), -EBADMSG);
	fake_write(F, "notalink", "");
	cr_assert_eq(mvgpu__path(C, p, sizeof(p), "/notalink"), 0);
	cr_assert_eq(mvgpu__link_basename(C, p, out, sizeof(out)), -EINVAL);
}

/* A detail that quotes the last one (callers do: "cannot X: %s",
 * mvgpu_last_error(ctx)) reads as written, not overlapped with itself. */
Test(sysfs, an_error_quoting_the_last_error_is_whole)
{
	cr_assert_eq(mvgpu__err(C, -EIO, "the target: %s", "the vGPU could not start"), -EIO);
	cr_assert_eq(mvgpu__err(C, -EIO, "the target refused the commit (%s): it does not run it",
				mvgpu_last_error(C)), -EIO);
	cr_assert_str_eq(mvgpu_last_error(C),
			 "the target refused the commit (the target: the vGPU could not start): it does not run it");
}
