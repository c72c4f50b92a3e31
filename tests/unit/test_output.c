/*
 * test_output.c - CLI output layer: JSON string escaping, the JSON writer,
 * aligned tables and size formatting.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "json_check.h"
#include "output.h"
#include "progress.h"

static char *buf;
static size_t len;
static FILE *mem;

static void setup(void)
{
	mem = open_memstream(&buf, &len);
	cr_assert_not_null(mem);
}

static void teardown(void)
{
	if (mem)
		fclose(mem);
	free(buf);
}

static const char *out(void)
{
	fflush(mem);
	return buf;
}

TestSuite(json, .init = setup, .fini = teardown, .timeout = 60);
TestSuite(table, .init = setup, .fini = teardown, .timeout = 60);

static void expect_escaped(const char *in, const char *expect)
{
	rewind(mem);
	json_write_string(mem, in);
	fputc('\0', mem);
	fflush(mem);
	cr_assert_str_eq(buf, expect, "escaping '%s'", in ? in : "(null)");
	cr_assert(json_valid(buf, strlen(buf)), "not JSON: %s", buf);
}

Test(json, plain_and_null)
{
	expect_escaped("MVGPU-256M", "\"MVGPU-256M\"");
	expect_escaped("", "\"\"");
	expect_escaped(NULL, "null");
}

Test(json, quotes_and_backslashes)
{
	expect_escaped("say \"hi\"", "\"say \\\"hi\\\"\"");
	expect_escaped("C:\\path\\", "\"C:\\\\path\\\\\"");
	expect_escaped("\"\\\"", "\"\\\"\\\\\\\"\"");
	expect_escaped("a/b", "\"a/b\"");
}

Test(json, control_characters)
{
	expect_escaped("a\nb\tc\rd\be\ff", "\"a\\nb\\tc\\rd\\be\\ff\"");
	expect_escaped("\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\"");
	expect_escaped("\x1b[31mred", "\"\\u001b[31mred\"");
}

Test(json, valid_utf8_kept)
{
	expect_escaped("caf\xc3\xa9", "\"caf\xc3\xa9\"");
	expect_escaped("\xe2\x82\xac 5", "\"\xe2\x82\xac 5\"");
	expect_escaped("\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\"");
}

Test(json, invalid_utf8_replaced)
{
	expect_escaped("\xff", "\"\\ufffd\"");
	expect_escaped("a\x80z", "\"a\\ufffdz\"");
	expect_escaped("\xc0\xaf", "\"\\ufffd\\ufffd\"");	/* overlong '/' */
	expect_escaped("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"");	/* surrogate */
	expect_escaped("\xe2\x82", "\"\\ufffd\\ufffd\"");	/* truncated */
	expect_escaped("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
}

Test(json, document_structure)
{
	struct json j;

	json_init(&j, mem);
	json_obj_begin(&j, NULL);
	json_bool(&j, "ok", 1);
	json_arr_begin(&j, "items");
	json_obj_begin(&j, NULL);
	json_str(&j, "name", "a\"b");
	json_u64(&j, "n", 18446744073709551615ull);
	json_int(&j, "g", -1);
	json_null(&j, "x");
	json_obj_end(&j);
	json_obj_begin(&j, NULL);
	json_obj_end(&j);
	json_arr_end(&j);
	json_arr_begin(&j, "empty");
	json_arr_end(&j);
	json_bool(&j, "no", 0);
	json_obj_end(&j);
	json_end(&j);
	cr_assert_str_eq(out(),
		"{\n"
		"  \"ok\": true,\n"
		"  \"items\": [\n"
		"    {\n"
		"      \"name\": \"a\\\"b\",\n"
		"      \"n\": 18446744073709551615,\n"
		"      \"g\": -1,\n"
		"      \"x\": null\n"
		"    },\n"
		"    {}\n"
		"  ],\n"
		"  \"empty\": [],\n"
		"  \"no\": false\n"
		"}\n");
	cr_assert(json_valid(buf, len));
}

/* A JSON line (progress.c) with a session's array of vGPUs: one line. */
Test(json, lines_nest)
{
	struct jline j;

	jl_begin(&j, mem);
	jl_str(&j, "event", "done");
	jl_arr_begin(&j, "vgpus");
	jl_obj_begin(&j, NULL);
	jl_str(&j, "uuid", "a");
	jl_u64(&j, "passes", 2);
	jl_obj_end(&j);
	jl_obj_begin(&j, NULL);
	jl_bool(&j, "created", 1);
	jl_obj_end(&j);
	jl_arr_end(&j);
	jl_arr_begin(&j, "none");
	jl_arr_end(&j);
	jl_num(&j, "seconds", 1.5);
	jl_end(&j);
	cr_assert_str_eq(out(), "{\"event\": \"done\", \"vgpus\": [{\"uuid\": \"a\", "
			 "\"passes\": 2}, {\"created\": true}], \"none\": [], "
			 "\"seconds\": 1.5}\n");
	cr_assert(json_valid(buf, len));
}

Test(json, doubles)
{
	struct json j;

	json_init(&j, mem);
	json_arr_begin(&j, NULL);
	json_double(&j, NULL, 37.25, 1);
	json_double(&j, NULL, 100, 1);
	json_double(&j, NULL, 0, 0);
	json_double(&j, NULL, 2.0 / 3.0, 3);
	json_double(&j, NULL, -1.5, -4);
	json_double(&j, NULL, NAN, 1);
	json_double(&j, NULL, -INFINITY, 1);
	json_arr_end(&j);
	json_end(&j);
	cr_assert_str_eq(out(),
		"[\n  37.2,\n  100.0,\n  0,\n  0.667,\n  -2,\n  null,\n  null\n]\n");
	cr_assert(json_valid(buf, len));
}

Test(json, checker_sanity)
{
	{
		const char *ok = "{\"a\": [1, -2.5e3, true, null, \"x\"]}";

		cr_assert(json_valid(ok, strlen(ok)));
	}
	cr_assert_not(json_valid("{\"a\": 1,}", 9));
	cr_assert_not(json_valid("{} {}", 5));
	cr_assert_not(json_valid("\"a\nb\"", 5));
	cr_assert_not(json_valid("\"\\x\"", 4));
	cr_assert_not(json_valid("\"\xff\"", 3));
}

Test(table, aligned_columns)
{
	static const char *const hdr[] = { "A", "LONGER", "C" };
	static const char *const r1[] = { "wide-cell", "x", "last" };
	static const char *const r2[] = { "y", NULL, "z" };
	struct table t;

	cr_assert_eq(table_init(&t, 3, hdr), 0);
	cr_assert_eq(table_add(&t, r1), 0);
	cr_assert_eq(table_add(&t, r2), 0);
	table_print(&t, mem);
	table_free(&t);
	cr_assert_str_eq(out(),
		"A          LONGER  C\n"
		"wide-cell  x       last\n"
		"y          -       z\n");
}

Test(table, hostile_cells_sanitised)
{
	static const char *const hdr[] = { "NAME", "X" };
	static const char *const r1[] = { "\x1b[2Jevil\n", "caf\xc3\xa9" };
	struct table t;
	size_t i;

	cr_assert_eq(table_init(&t, 2, hdr), 0);
	for (i = 0; i < 40; i++)	/* grow past the initial capacity */
		cr_assert_eq(table_add(&t, r1), 0);
	table_print(&t, mem);
	table_free(&t);
	cr_assert(strstr(out(), "?[2Jevil?  caf??\n"), "%s", buf);
	cr_assert_null(strchr(buf, '\x1b'));
}

Test(table, end_prints_unless_a_row_was_lost)
{
	static const char *const hdr[] = { "A", "B" };
	static const char *const r1[] = { "x", "y" };
	struct table t;

	cr_assert_eq(table_init(&t, 2, hdr), 0);
	cr_assert_eq(table_add(&t, r1), 0);
	cr_assert_eq(table_end(&t, mem), 0);
	cr_assert_null(t.cells);
	cr_assert_str_eq(out(), "A  B\nx  y\n");

	cr_assert_eq(table_init(&t, 2, hdr), 0);
	t.lost = 1;	/* as a failed allocation in table_add() leaves it */
	cr_assert_eq(table_add(&t, r1), -ENOMEM);
	cr_assert_eq(t.nrows, 1);
	cr_assert_eq(table_end(&t, mem), -ENOMEM);
	cr_assert_null(t.cells);
	cr_assert_str_eq(out(), "A  B\nx  y\n", "printed a lost table");
}

Test(table, size_format)
{
	char b[32];

	format_size(256ull << 20, b, sizeof(b));
	cr_assert_str_eq(b, "256M");
	format_size(1ull << 30, b, sizeof(b));
	cr_assert_str_eq(b, "1G");
	format_size(1536ull << 20, b, sizeof(b));
	cr_assert_str_eq(b, "1536M");
	format_size(3ull << 40, b, sizeof(b));
	cr_assert_str_eq(b, "3T");
	format_size(4097, b, sizeof(b));
	cr_assert_str_eq(b, "4097B");
	format_size(8192, b, sizeof(b));
	cr_assert_str_eq(b, "8K");
	format_size(0, b, sizeof(b));
	cr_assert_str_eq(b, "-");
}
