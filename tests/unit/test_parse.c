/*
 * test_parse.c - strict parsers, description parsing, UUIDs, context,
 * version and strerror.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "internal.h"
#include "mvgpu.h"

Test(parse, u64_accepts_plain_decimal)
{
	uint64_t v;

	cr_assert_eq(mvgpu__parse_u64("0", UINT64_MAX, &v), 0);
	cr_assert_eq(v, 0);
	cr_assert_eq(mvgpu__parse_u64("42", UINT64_MAX, &v), 0);
	cr_assert_eq(v, 42);
	cr_assert_eq(mvgpu__parse_u64("18446744073709551615", UINT64_MAX, &v), 0);
	cr_assert_eq(v, UINT64_MAX);
	cr_assert_eq(mvgpu__parse_u64("4294967295", UINT32_MAX, &v), 0);
	cr_assert_eq(v, UINT32_MAX);
}

Test(parse, u64_rejects_junk_and_overflow)
{
	static const char *const bad[] = {
		"", "-1", "+1", " 1", "1 ", "0x10", "1a", "1.0", "١",
		"18446744073709551616", "99999999999999999999999",
	};
	uint64_t v = 7;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(mvgpu__parse_u64(bad[i], UINT64_MAX, &v), -EBADMSG,
			     "accepted '%s'", bad[i]);
		cr_assert_eq(v, 7, "clobbered output on '%s'", bad[i]);
	}
	cr_assert_eq(mvgpu__parse_u64("4294967296", UINT32_MAX, &v), -EBADMSG);
	cr_assert_eq(mvgpu__parse_u64("5", 4, &v), -EBADMSG);
	cr_assert_eq(mvgpu__parse_u64("1", 0, &v), -EBADMSG);
	cr_assert_eq(mvgpu__parse_u64(NULL, 10, &v), -EBADMSG);
}

Test(parse, size_suffixes)
{
	uint64_t v;

	cr_assert_eq(mvgpu__parse_size("256M", &v), 0);
	cr_assert_eq(v, 256ull << 20);
	cr_assert_eq(mvgpu__parse_size("1G", &v), 0);
	cr_assert_eq(v, 1ull << 30);
	cr_assert_eq(mvgpu__parse_size("16k", &v), 0);
	cr_assert_eq(v, 16ull << 10);
	cr_assert_eq(mvgpu__parse_size("2T", &v), 0);
	cr_assert_eq(v, 2ull << 40);
	cr_assert_eq(mvgpu__parse_size("4096", &v), 0);
	cr_assert_eq(v, 4096);
}

Test(parse, size_rejects_junk)
{
	static const char *const bad[] = {
		"", "M", "1.5G", "256MB", "-1M", "G1", "17179869184G",
		"99999999999999999999999999999999999",
	};
	uint64_t v;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(mvgpu__parse_size(bad[i], &v), -EBADMSG,
			     "accepted '%s'", bad[i]);
}

Test(parse, resolution)
{
	unsigned w = 0, h = 0;

	cr_assert_eq(mvgpu__parse_resolution("1920x1080", &w, &h), 0);
	cr_assert_eq(w, 1920);
	cr_assert_eq(h, 1080);
	cr_assert_eq(mvgpu__parse_resolution("1920x", &w, &h), -EBADMSG);
	cr_assert_eq(mvgpu__parse_resolution("x1080", &w, &h), -EBADMSG);
	cr_assert_eq(mvgpu__parse_resolution("1920X1080", &w, &h), -EBADMSG);
	cr_assert_eq(mvgpu__parse_resolution("1920*1080", &w, &h), -EBADMSG);
	cr_assert_eq(mvgpu__parse_resolution("1920x1080x2", &w, &h), -EBADMSG);
	cr_assert_eq(mvgpu__parse_resolution("99999999999x1", &w, &h), -EBADMSG);
	cr_assert_eq(mvgpu__parse_resolution("123456789012345678901234567x1",
					     &w, &h), -EBADMSG);
}

Test(description, canonical_format)
{
	mvgpu_type_info t;

	memset(&t, 0, sizeof(t));
	cr_assert_eq(mvgpu_parse_description(
		"num_heads=1, frl_config=60, framebuffer=256M, max_resolution=1920x1080, max_instance=4",
		&t), 0);
	cr_assert_eq(t.num_heads, 1);
	cr_assert_eq(t.frl_config, 60);
	cr_assert_eq(t.framebuffer, 256ull << 20);
	cr_assert_eq(t.max_width, 1920);
	cr_assert_eq(t.max_height, 1080);
	cr_assert_eq(t.max_instance, 4);
}

Test(description, any_order_unknown_keys_spaces)
{
	mvgpu_type_info t;

	memset(&t, 0, sizeof(t));
	cr_assert_eq(mvgpu_parse_description(
		" max_instance=2 ,vendor_flag=x=y,framebuffer = 1G,, ecc=on,"
		"\tmax_resolution=3840x2160,num_heads=2,",
		&t), 0);
	cr_assert_eq(t.max_instance, 2);
	cr_assert_eq(t.framebuffer, 1ull << 30);
	cr_assert_eq(t.max_width, 3840);
	cr_assert_eq(t.max_height, 2160);
	cr_assert_eq(t.num_heads, 2);
	cr_assert_eq(t.frl_config, 0, "absent key must stay 0");
}

Test(description, empty_is_ok)
{
	mvgpu_type_info t;

	memset(&t, 0, sizeof(t));
	cr_assert_eq(mvgpu_parse_description("", &t), 0);
	cr_assert_eq(t.framebuffer, 0);
}

Test(description, malformed_rejected_and_output_untouched)
{
	static const char *const bad[] = {
		"num_heads", "=5", "framebuffer=abc", "num_heads=-1",
		"max_resolution=1920", "num_heads=4294967296",
		"framebuffer=", "max_instance=4, garbage",
		"framebuffer=256M, max_instance=four",
	};
	mvgpu_type_info t;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&t, 0, sizeof(t));
		t.num_heads = 9;
		cr_assert_eq(mvgpu_parse_description(bad[i], &t), -EBADMSG,
			     "accepted '%s'", bad[i]);
		cr_assert_eq(t.num_heads, 9, "clobbered on '%s'", bad[i]);
		cr_assert_eq(t.framebuffer, 0, "clobbered on '%s'", bad[i]);
	}
	cr_assert_eq(mvgpu_parse_description(NULL, &t), -EBADMSG);
	cr_assert_eq(mvgpu_parse_description("a=b", NULL), -EBADMSG);
}

Test(description, overlong_rejected)
{
	size_t n = 2 * MVGPU_ATTR_MAX;
	char *s = malloc(n + 1);
	mvgpu_type_info t;

	cr_assert_not_null(s);
	memset(s, 'a', n);
	s[0] = 'x';
	s[1] = '=';
	s[n] = '\0';
	cr_assert_eq(mvgpu_parse_description(s, &t), -EBADMSG);
	free(s);
}

Test(uuid, canonicalises_with_libuuid)
{
	char out[MVGPU_UUID_LEN];

	cr_assert_eq(mvgpu_uuid_canonical("3F1C1A9E-7B2D-4C11-9A6B-0123456789AB",
					  out), 0);
	cr_assert_str_eq(out, "3f1c1a9e-7b2d-4c11-9a6b-0123456789ab");
	cr_assert_eq(mvgpu_uuid_canonical("00000000-0000-0000-0000-000000000000",
					  out), 0);
	cr_assert(mvgpu__uuid_is_canonical("3f1c1a9e-7b2d-4c11-9a6b-0123456789ab"));
	cr_assert_not(mvgpu__uuid_is_canonical("3F1C1A9E-7B2D-4C11-9A6B-0123456789AB"));
}

Test(uuid, rejects_junk)
{
	static const char *const bad[] = {
		"", "zz", "3f1c1a9e7b2d4c119a6b0123456789ab",
		"3f1c1a9e-7b2d-4c11-9a6b-0123456789a",
		"3f1c1a9e-7b2d-4c11-9a6b-0123456789abc",
		"{3f1c1a9e-7b2d-4c11-9a6b-0123456789ab}",
		"3f1c1a9e-7b2d-4c11-9a6b-0123456789ag",
		"3f1c1a9e_7b2d_4c11_9a6b_0123456789ab",
		" 3f1c1a9e-7b2d-4c11-9a6b-0123456789a",
		"3f1c1a9e-7b2d-4c11-9a6b-0123456789ab\n",
	};
	char out[MVGPU_UUID_LEN];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(mvgpu_uuid_canonical(bad[i], out), -EINVAL,
			     "accepted '%s'", bad[i]);
		cr_assert_str_eq(out, "");
	}
	cr_assert_eq(mvgpu_uuid_canonical(NULL, out), -EINVAL);
}

Test(uuid, generated_are_canonical_and_distinct)
{
	char a[MVGPU_UUID_LEN], b[MVGPU_UUID_LEN];

	mvgpu__uuid_generate(a);
	mvgpu__uuid_generate(b);
	cr_assert(mvgpu__uuid_is_canonical(a));
	cr_assert(mvgpu__uuid_is_canonical(b));
	cr_assert_str_neq(a, b);
}

Test(ids, valid_id)
{
	char longid[MVGPU_ID_MAX + 1];

	cr_assert(mvgpu__valid_id("0000:00:04.0"));
	cr_assert(mvgpu__valid_id("mvgpu-256M"));
	cr_assert_not(mvgpu__valid_id(""));
	cr_assert_not(mvgpu__valid_id(NULL));
	cr_assert_not(mvgpu__valid_id("."));
	cr_assert_not(mvgpu__valid_id(".."));
	cr_assert_not(mvgpu__valid_id("../etc"));
	cr_assert_not(mvgpu__valid_id("a/b"));
	cr_assert_not(mvgpu__valid_id("a b"));
	cr_assert_not(mvgpu__valid_id("a\nb"));
	cr_assert_not(mvgpu__valid_id("caf\xc3\xa9"));
	/* The longest id that fits MVGPU_ID_MAX with its NUL, and one more. */
	memset(longid, 'a', MVGPU_ID_MAX);
	longid[MVGPU_ID_MAX] = '\0';
	cr_assert_not(mvgpu__valid_id(longid));
	longid[MVGPU_ID_MAX - 1] = '\0';
	cr_assert(mvgpu__valid_id(longid));
}

Test(ctx, root_from_argument_env_and_default)
{
	mvgpu_ctx *c = NULL;

	cr_assert_eq(mvgpu_ctx_create(&c, "/tmp/x///"), 0);
	cr_assert_str_eq(mvgpu_ctx_sysfs_root(c), "/tmp/x");
	cr_assert_str_eq(mvgpu_last_error(c), "");
	mvgpu_ctx_free(c);

	setenv("MVGPU_SYSFS", "/fake/sys", 1);
	cr_assert_eq(mvgpu_ctx_create(&c, NULL), 0);
	cr_assert_str_eq(mvgpu_ctx_sysfs_root(c), "/fake/sys");
	mvgpu_ctx_free(c);

	unsetenv("MVGPU_SYSFS");
	cr_assert_eq(mvgpu_ctx_create(&c, NULL), 0);
	cr_assert_str_eq(mvgpu_ctx_sysfs_root(c), "/sys");
	mvgpu_ctx_free(c);

	cr_assert_eq(mvgpu_ctx_create(&c, "/"), 0);
	cr_assert_str_eq(mvgpu_ctx_sysfs_root(c), "/");
	mvgpu_ctx_free(c);
	mvgpu_ctx_free(NULL);
}

Test(ctx, bad_arguments)
{
	char *huge = malloc(PATH_MAX + 2);
	mvgpu_ctx *c = (mvgpu_ctx *)0x1;

	cr_assert_eq(mvgpu_ctx_create(NULL, "/sys"), -EINVAL);
	cr_assert_eq(mvgpu_ctx_create(&c, ""), -EINVAL);
	cr_assert_not_null(huge);
	memset(huge, 'a', PATH_MAX + 1);
	huge[0] = '/';
	huge[PATH_MAX + 1] = '\0';
	cr_assert_eq(mvgpu_ctx_create(&c, huge), -ENAMETOOLONG);
	cr_assert_eq(c, (mvgpu_ctx *)0x1, "output set on failure");
	free(huge);
}

Test(misc, version)
{
	cr_assert_eq(mvgpu_version_number(), MVGPU_VERSION_NUMBER);
	cr_assert_eq(MVGPU_VERSION_NUMBER, 100);
	cr_assert_str_eq(mvgpu_version_string(), "0.1.0");
	cr_assert_str_eq(MVGPU_VERSION_STRING, "0.1.0");
}

Test(misc, strerror)
{
	cr_assert_str_eq(mvgpu_strerror(-EBUSY), "vGPU is in use");
	cr_assert_str_eq(mvgpu_strerror(EBUSY), "vGPU is in use");
	cr_assert_str_eq(mvgpu_strerror(-EBADMSG), "malformed sysfs content");
	cr_assert(strstr(mvgpu_strerror(-ENOSPC), "exhausted"));
	cr_assert(strstr(mvgpu_strerror(-EDQUOT), "exhausted"));
	cr_assert_str_eq(mvgpu_strerror(-EACCES), "Permission denied");
	cr_assert_not_null(mvgpu_strerror(-123456));
	cr_assert_not_null(mvgpu_strerror(0));
}

Test(misc, quote_truncates_and_sanitises)
{
	char out[8];

	mvgpu__quote(out, sizeof(out), "abc");
	cr_assert_str_eq(out, "abc");
	mvgpu__quote(out, sizeof(out), "a\x1b[31mzzzzz");
	cr_assert_str_eq(out, "a?[3...");
	mvgpu__quote(out, sizeof(out), "1234567");
	cr_assert_str_eq(out, "1234567");
	mvgpu__quote(out, sizeof(out), "12345678");
	cr_assert_str_eq(out, "1234...");
	mvgpu__quote(out, sizeof(out), NULL);
	cr_assert_str_eq(out, "");
}
