/*
 * test_compat.c - the migration_version string and the compatibility rules
 * (proto/mvgpu_compat.[ch]): format, parse (hostile strings), check.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "mvgpu_compat.h"
#include "mvgpu_stream.h"

#define XSTR_(x) #x
#define XSTR(x) XSTR_(x)
/* the stream and ABI versions of this build, as the string has them */
#define VERS "stream=" XSTR(MVGPU_STREAM_MAJOR) "." XSTR(MVGPU_STREAM_MINOR) \
	     " abi=" XSTR(MVGPU_ABI_MAJOR) "." XSTR(MVGPU_ABI_MINOR)
#define V1_256M "mvgpu-migration-version=1 driver=0.1.0 " VERS " " \
		"type=mvgpu-256M type_index=1 fb=268435456 features=0x0\n"

static struct mvgpu_compat_info local(unsigned int type)
{
	struct mvgpu_compat_info in;

	cr_assert_eq(mvgpu_compat_local(&in, type, "0.1.0"), 0);
	return in;
}

static int parse(const char *s, struct mvgpu_compat_info *in, char *why)
{
	return mvgpu_compat_parse(s, strlen(s), in, why, MVGPU_COMPAT_WHY_MAX);
}

Test(compat, local_info_of_every_type)
{
	static const char *const types[] = { "mvgpu-64M", "mvgpu-256M",
					     "mvgpu-512M", "mvgpu-1G",
					     "mvgpu-full" };
	/* the 1:1 type's size is the vGPU's: the kernel fills it in */
	static const unsigned long long fb[] = { 64ull << 20, 256ull << 20,
						 512ull << 20, 1ull << 30, 0 };
	struct mvgpu_compat_info in;
	unsigned int i;

	for (i = 0; i < MVGPU_NUM_TYPES; i++) {
		in = local(i);
		cr_assert_str_eq(in.type, types[i]);
		cr_assert_eq(in.type_index, i);
		cr_assert_eq(in.fb_size, fb[i]);
		cr_assert_eq(in.stream_major, MVGPU_STREAM_MAJOR);
		cr_assert_eq(in.stream_minor, MVGPU_STREAM_MINOR);
		cr_assert_eq(in.abi_major, MVGPU_ABI_MAJOR);
		cr_assert_eq(in.abi_minor, MVGPU_ABI_MINOR);
		cr_assert_eq(in.features, MVGPU_FEATURES_SUPPORTED);
		cr_assert_eq(in.ecc, MVGPU_COMPAT_ECC_UNKNOWN, "the kernel's");
		cr_assert_str_eq(in.driver, "0.1.0");
		cr_assert_eq(mvgpu_compat_validate(&in, NULL, 0), 0);
	}
	cr_assert_eq(mvgpu_compat_local(&in, MVGPU_NUM_TYPES, "0.1.0"), -EINVAL);
	cr_assert_eq(mvgpu_compat_local(&in, 0, ""), -EINVAL);
	cr_assert_eq(mvgpu_compat_local(&in, 0, "0.1 0"), -EINVAL);
	cr_assert_eq(mvgpu_compat_local(&in, 0, NULL), -EINVAL);
	cr_assert_eq(mvgpu_compat_local(&in, 0,
					"0123456789012345678901234567890123"),
		     -EINVAL);
	cr_assert_eq(mvgpu_compat_local(&in, 0, "6.12.0-1+deb12~rc1_x"), 0);
}

Test(compat, format_is_documented_string)
{
	struct mvgpu_compat_info in = local(1);
	char buf[MVGPU_COMPAT_STR_MAX];

	cr_assert_eq(mvgpu_compat_format(&in, buf, sizeof(buf)),
		     (int)strlen(V1_256M));
	cr_assert_str_eq(buf, V1_256M);

	in.features = 0x1f;
	cr_assert_gt(mvgpu_compat_format(&in, buf, sizeof(buf)), 0);
	cr_assert(strstr(buf, " features=0x1f\n"));

	/* a known ECC mode follows features; an unknown one is left out */
	in.ecc = MVGPU_COMPAT_ECC_ON;
	cr_assert_gt(mvgpu_compat_format(&in, buf, sizeof(buf)), 0);
	cr_assert(strstr(buf, " features=0x1f ecc=on\n"), "%s", buf);
	in.ecc = MVGPU_COMPAT_ECC_OFF;
	cr_assert_gt(mvgpu_compat_format(&in, buf, sizeof(buf)), 0);
	cr_assert(strstr(buf, " features=0x1f ecc=off\n"), "%s", buf);
	in.ecc = MVGPU_COMPAT_ECC_MAX + 1;
	cr_assert_eq(mvgpu_compat_format(&in, buf, sizeof(buf)), -EINVAL);
	in.ecc = MVGPU_COMPAT_ECC_UNKNOWN;

	cr_assert_eq(mvgpu_compat_format(&in, buf, 20), -ENOSPC);
	cr_assert_str_empty(buf);
	in.type[0] = '\0';
	cr_assert_eq(mvgpu_compat_format(&in, buf, sizeof(buf)), -EINVAL);
}

Test(compat, format_parse_round_trip)
{
	struct mvgpu_compat_info in, out;
	char buf[MVGPU_COMPAT_STR_MAX], why[MVGPU_COMPAT_WHY_MAX];
	unsigned int i;

	for (i = 0; i < 3 * MVGPU_NUM_TYPES; i++) {
		in = local(i % MVGPU_NUM_TYPES);
		in.features = 0xfedcba9876543210ull;
		in.stream_minor = 65535;
		in.ecc = i / MVGPU_NUM_TYPES;	/* unknown, off, on */
		cr_assert_gt(mvgpu_compat_format(&in, buf, sizeof(buf)), 0);
		memset(&out, 0x55, sizeof(out));
		cr_assert_eq(parse(buf, &out, why), 0, "%s", why);
		cr_assert_eq(memcmp(&in, &out, sizeof(in)), 0);
	}
}

Test(compat, parse_tolerates_layout_and_unknown_keys)
{
	static const char *const ok[] = {
		V1_256M,
		"mvgpu-migration-version=1 driver=0.1.0 " VERS " type=mvgpu-256M type_index=1 fb=268435456 features=0x0",
		"  \tfeatures=0X0\ttype=mvgpu-256M  fb=268435456 type_index=1 " VERS " driver=0.1.0 mvgpu-migration-version=1  \n",
		"mvgpu-migration-version=1 driver=0.1.0 " VERS " type=mvgpu-256M type_index=1 fb=268435456 features=0x0 future_key=some,value=x frl=60",
		"mvgpu-migration-version=1 driver=0.1.0 stream=0" XSTR(MVGPU_STREAM_MAJOR) ".0" XSTR(MVGPU_STREAM_MINOR) " abi=" XSTR(MVGPU_ABI_MAJOR) ".00" XSTR(MVGPU_ABI_MINOR) " type=mvgpu-256M type_index=001 fb=0268435456 features=0x0000000000000000",
	};
	struct mvgpu_compat_info want = local(1), out;
	char why[MVGPU_COMPAT_WHY_MAX];
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		cr_assert_eq(parse(ok[i], &out, why), 0, "'%s': %s", ok[i], why);
		cr_assert_eq(memcmp(&want, &out, sizeof(out)), 0, "'%s'", ok[i]);
	}
}

/* "ecc": optional (a driver before ABI 1.1 has none), "on" or "off". */
Test(compat, parse_ecc_key)
{
	static const struct {
		const char *s;
		int ret;
		__u32 ecc;
	} cases[] = {
		/* an older driver's string: stream 1.0, ABI 1.0, no ecc */
		{ "mvgpu-migration-version=1 driver=0.1.0 stream=1.0 abi=1.0 type=mvgpu-256M type_index=1 fb=268435456 features=0x0\n",
		  0, MVGPU_COMPAT_ECC_UNKNOWN },
		{ "mvgpu-migration-version=1 driver=0.1.0 stream=1.1 abi=1.1 type=mvgpu-256M type_index=1 fb=268435456 features=0x0 ecc=on\n",
		  0, MVGPU_COMPAT_ECC_ON },
		{ "mvgpu-migration-version=1 driver=0.1.0 stream=1.1 abi=1.1 type=mvgpu-256M type_index=1 fb=268435456 features=0x0 ecc=off",
		  0, MVGPU_COMPAT_ECC_OFF },
		/* anywhere, as every key */
		{ "ecc=on mvgpu-migration-version=1 driver=0.1.0 stream=1.1 abi=1.1 type=mvgpu-256M type_index=1 fb=268435456 features=0x0",
		  0, MVGPU_COMPAT_ECC_ON },
		/* bad values */
		{ "mvgpu-migration-version=1 driver=0.1.0 stream=1.1 abi=1.1 type=mvgpu-256M type_index=1 fb=268435456 features=0x0 ecc=ON", -EINVAL, 0 },
		{ "mvgpu-migration-version=1 driver=0.1.0 stream=1.1 abi=1.1 type=mvgpu-256M type_index=1 fb=268435456 features=0x0 ecc=1", -EINVAL, 0 },
		{ "mvgpu-migration-version=1 driver=0.1.0 stream=1.1 abi=1.1 type=mvgpu-256M type_index=1 fb=268435456 features=0x0 ecc=unknown", -EINVAL, 0 },
		{ "mvgpu-migration-version=1 driver=0.1.0 stream=1.1 abi=1.1 type=mvgpu-256M type_index=1 fb=268435456 features=0x0 ecc=onn", -EINVAL, 0 },
		{ "mvgpu-migration-version=1 driver=0.1.0 stream=1.1 abi=1.1 type=mvgpu-256M type_index=1 fb=268435456 features=0x0 ecc=of", -EINVAL, 0 },
		{ "mvgpu-migration-version=1 driver=0.1.0 stream=1.1 abi=1.1 type=mvgpu-256M type_index=1 fb=268435456 features=0x0 ecc=", -EINVAL, 0 },
		/* duplicates, same or different */
		{ "mvgpu-migration-version=1 driver=0.1.0 stream=1.1 abi=1.1 type=mvgpu-256M type_index=1 fb=268435456 features=0x0 ecc=on ecc=on", -EINVAL, 0 },
		{ "ecc=off mvgpu-migration-version=1 driver=0.1.0 stream=1.1 abi=1.1 type=mvgpu-256M type_index=1 fb=268435456 features=0x0 ecc=on", -EINVAL, 0 },
	};
	struct mvgpu_compat_info out, poison;
	char why[MVGPU_COMPAT_WHY_MAX];
	size_t i;

	memset(&poison, 0x5a, sizeof(poison));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		out = poison;
		why[0] = '\0';
		cr_assert_eq(parse(cases[i].s, &out, why), cases[i].ret,
			     "'%s': %s", cases[i].s, why);
		if (cases[i].ret) {
			cr_assert_str_not_empty(why, "'%s'", cases[i].s);
			cr_assert_eq(memcmp(&out, &poison, sizeof(out)), 0);
			continue;
		}
		cr_assert_eq(out.ecc, cases[i].ecc, "'%s'", cases[i].s);
		cr_assert_str_eq(out.type, "mvgpu-256M");
	}
	cr_assert_eq(parse(cases[4].s, &out, why), -EINVAL);
	cr_assert_str_eq(why, "bad value for ecc: 'ON'");
	cr_assert_eq(parse(cases[10].s, &out, why), -EINVAL);
	cr_assert_str_eq(why, "duplicate key 'ecc'");
}

Test(compat, parse_rejects_hostile_strings)
{
	static const char *const bad[] = {
		"",
		"\n",
		" ",
		V1_256M "\n",				/* two newlines */
		"mvgpu-migration-version=2 driver=0.1.0 stream=1.0 abi=1.0 type=mvgpu-256M type_index=1 fb=268435456 features=0x0",
		/* each required key missing */
		"driver=0.1.0 stream=1.0 abi=1.0 type=mvgpu-256M type_index=1 fb=268435456 features=0x0",
		"mvgpu-migration-version=1 stream=1.0 abi=1.0 type=mvgpu-256M type_index=1 fb=268435456 features=0x0",
		"mvgpu-migration-version=1 driver=0.1.0 abi=1.0 type=mvgpu-256M type_index=1 fb=268435456 features=0x0",
		"mvgpu-migration-version=1 driver=0.1.0 stream=1.0 type=mvgpu-256M type_index=1 fb=268435456 features=0x0",
		"mvgpu-migration-version=1 driver=0.1.0 stream=1.0 abi=1.0 type_index=1 fb=268435456 features=0x0",
		"mvgpu-migration-version=1 driver=0.1.0 stream=1.0 abi=1.0 type=mvgpu-256M fb=268435456 features=0x0",
		"mvgpu-migration-version=1 driver=0.1.0 stream=1.0 abi=1.0 type=mvgpu-256M type_index=1 features=0x0",
		"mvgpu-migration-version=1 driver=0.1.0 stream=1.0 abi=1.0 type=mvgpu-256M type_index=1 fb=268435456",
		/* duplicates, known and unknown */
		V1_256M " type=mvgpu-256M",
		"type=mvgpu-64M " V1_256M,
		"x=1 mvgpu-migration-version=1 driver=0.1.0 stream=1.0 abi=1.0 type=mvgpu-256M type_index=1 fb=268435456 features=0x0 x=1",
		/* syntax */
		"mvgpu-migration-version=1 driver=0.1.0 stream=1.0 abi=1.0 type=mvgpu-256M type_index=1 fb=268435456 features=0x0 novalue",
		"mvgpu-migration-version=1 driver=0.1.0 stream=1.0 abi=1.0 type=mvgpu-256M type_index=1 fb=268435456 features=0x0 =x",
		"mvgpu-migration-version=1 driver=0.1.0 stream=1.0 abi=1.0 type=mvgpu-256M type_index=1 fb=268435456 features=0x0 empty=",
		"mvgpu-migration-version=1 driver=0.1.0 stream=1.0 abi=1.0 type=mvgpu-256M type_index=1 fb=268435456 features=0x0\r\n",
		"mvgpu-migration-version=1,driver=0.1.0 stream=1.0 abi=1.0 type=mvgpu-256M type_index=1 fb=268435456 features=0x0",
		"mvgpu-migration-version=1 driver=0.1.0 stream=1.0 abi=1.0 type=mvgpu-256M type_index=1 fb=268435456 features=0x0 k\xc3\xa9y=1",
		"mvgpu-migration-version=1 driver=0.1.0 stream=1.0 abi=1.0 type=mvgpu-256M type_index=1 fb=268435456 features=0x0 k=v\xc3\xa9",
		"mvgpu-migration-version=1 driver=0.1.0 stream=1.0 abi=1.0 type=mvgpu-256M type_index=1 fb=268435456 features=0x0 k=\x7f",
		/* values */
		"mvgpu-migration-version=1 driver=0.1.0 stream=1 abi=1.0 type=mvgpu-256M type_index=1 fb=268435456 features=0x0",
		"mvgpu-migration-version=1 driver=0.1.0 stream=1. abi=1.0 type=mvgpu-256M type_index=1 fb=268435456 features=0x0",
		"mvgpu-migration-version=1 driver=0.1.0 stream=.0 abi=1.0 type=mvgpu-256M type_index=1 fb=268435456 features=0x0",
		"mvgpu-migration-version=1 driver=0.1.0 stream=1.0.0 abi=1.0 type=mvgpu-256M type_index=1 fb=268435456 features=0x0",
		"mvgpu-migration-version=1 driver=0.1.0 stream=65536.0 abi=1.0 type=mvgpu-256M type_index=1 fb=268435456 features=0x0",
		"mvgpu-migration-version=1 driver=0.1.0 stream=1.0 abi=-1.0 type=mvgpu-256M type_index=1 fb=268435456 features=0x0",
		"mvgpu-migration-version=1 driver=0.1.0 stream=1.0 abi=1.0 type=mvgpu-256M type_index=4294967296 fb=268435456 features=0x0",
		"mvgpu-migration-version=1 driver=0.1.0 stream=1.0 abi=1.0 type=mvgpu-256M type_index=+1 fb=268435456 features=0x0",
		"mvgpu-migration-version=1 driver=0.1.0 stream=1.0 abi=1.0 type=mvgpu-256M type_index=1 fb=18446744073709551616 features=0x0",
		"mvgpu-migration-version=1 driver=0.1.0 stream=1.0 abi=1.0 type=mvgpu-256M type_index=1 fb=256M features=0x0",
		"mvgpu-migration-version=1 driver=0.1.0 stream=1.0 abi=1.0 type=mvgpu-256M type_index=1 fb=268435456 features=0",
		"mvgpu-migration-version=1 driver=0.1.0 stream=1.0 abi=1.0 type=mvgpu-256M type_index=1 fb=268435456 features=0x",
		"mvgpu-migration-version=1 driver=0.1.0 stream=1.0 abi=1.0 type=mvgpu-256M type_index=1 fb=268435456 features=0x1g",
		"mvgpu-migration-version=1 driver=0.1.0 stream=1.0 abi=1.0 type=mvgpu-256M type_index=1 fb=268435456 features=0x10000000000000000",
		"mvgpu-migration-version=1 driver=0.1.0 stream=1.0 abi=1.0 type=mvgpu/256M type_index=1 fb=268435456 features=0x0",
		"mvgpu-migration-version=1 driver=0.1.0 stream=1.0 abi=1.0 type=mvgpu-256M-0123456789012345678901234 type_index=1 fb=268435456 features=0x0",
		"mvgpu-migration-version=1 driver=0.1.0; stream=1.0 abi=1.0 type=mvgpu-256M type_index=1 fb=268435456 features=0x0",
		"mvgpu-migration-version=1.0 driver=0.1.0 stream=1.0 abi=1.0 type=mvgpu-256M type_index=1 fb=268435456 features=0x0",
		"mvgpu-migration-version=99999999999999999999999 driver=0.1.0 stream=1.0 abi=1.0 type=mvgpu-256M type_index=1 fb=268435456 features=0x0",
	};
	struct mvgpu_compat_info out, poison;
	char why[MVGPU_COMPAT_WHY_MAX];
	size_t i;

	memset(&poison, 0x5a, sizeof(poison));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		out = poison;
		why[0] = '\0';
		cr_assert_eq(parse(bad[i], &out, why), -EINVAL, "accepted '%s'",
			     bad[i]);
		cr_assert_str_not_empty(why, "no reason for '%s'", bad[i]);
		cr_assert_eq(memcmp(&out, &poison, sizeof(out)), 0,
			     "clobbered on '%s'", bad[i]);
	}
}

Test(compat, parse_limits)
{
	char s[2 * MVGPU_COMPAT_STR_MAX], why[MVGPU_COMPAT_WHY_MAX];
	struct mvgpu_compat_info out;
	size_t n;
	int i;

	/* embedded NUL: length says more than strlen */
	n = strlen(V1_256M);
	memcpy(s, V1_256M, n);
	s[20] = '\0';
	cr_assert_eq(mvgpu_compat_parse(s, n, &out, why, sizeof(why)), -EINVAL);

	/* too long */
	memset(s, ' ', sizeof(s));
	memcpy(s, V1_256M, n - 1);
	cr_assert_eq(mvgpu_compat_parse(s, MVGPU_COMPAT_STR_MAX, &out, why,
					sizeof(why)), 0, "%s", why);
	cr_assert_eq(mvgpu_compat_parse(s, MVGPU_COMPAT_STR_MAX + 1, &out,
					why, sizeof(why)), -E2BIG);
	cr_assert_eq(mvgpu_compat_parse(s, (size_t)-1, &out, why, sizeof(why)),
		     -E2BIG);

	/* 32 fields are fine, 33 are not */
	n = (size_t)sprintf(s, "%.*s", (int)strlen(V1_256M) - 1, V1_256M);
	for (i = 0; i < 24; i++)
		n += (size_t)sprintf(s + n, " k%d=v", i);
	cr_assert_eq(mvgpu_compat_parse(s, n, &out, why, sizeof(why)), 0, "%s", why);
	n += (size_t)sprintf(s + n, " k%d=v", i);
	cr_assert_eq(mvgpu_compat_parse(s, n, &out, why, sizeof(why)), -EINVAL);

	/* keys up to 32, values up to 64 characters */
	n = (size_t)sprintf(s, "%.*s %s=v", (int)strlen(V1_256M) - 1, V1_256M,
			    "k2345678901234567890123456789012");
	cr_assert_eq(mvgpu_compat_parse(s, n, &out, why, sizeof(why)), 0, "%s", why);
	n = (size_t)sprintf(s, "%.*s %s=v", (int)strlen(V1_256M) - 1, V1_256M,
			    "k23456789012345678901234567890123");
	cr_assert_eq(mvgpu_compat_parse(s, n, &out, why, sizeof(why)), -EINVAL);
	n = (size_t)sprintf(s, "%.*s k=%064d", (int)strlen(V1_256M) - 1, V1_256M, 0);
	cr_assert_eq(mvgpu_compat_parse(s, n, &out, why, sizeof(why)), 0, "%s", why);
	n = (size_t)sprintf(s, "%.*s k=%065d", (int)strlen(V1_256M) - 1, V1_256M, 0);
	cr_assert_eq(mvgpu_compat_parse(s, n, &out, why, sizeof(why)), -EINVAL);

	/* a NULL or tiny reason buffer is fine */
	cr_assert_eq(mvgpu_compat_parse("x", 1, &out, NULL, 0), -EINVAL);
	why[0] = 'x';
	cr_assert_eq(mvgpu_compat_parse("x", 1, &out, why, 1), -EINVAL);
	cr_assert_str_empty(why);
}

/* One row: a change to the source (remote), the expected answer and a
 * word of the reason. */
struct rule {
	const char *name;
	void (*change)(struct mvgpu_compat_info *remote,
		       struct mvgpu_compat_info *local);
	int ret;
	const char *why;
};

static void same(struct mvgpu_compat_info *r, struct mvgpu_compat_info *l)
{ (void)r; (void)l; }
static void other_type(struct mvgpu_compat_info *r, struct mvgpu_compat_info *l)
{ (void)l; *r = local(0); }
static void type_name(struct mvgpu_compat_info *r, struct mvgpu_compat_info *l)
{ (void)l; strcpy(r->type, "mvgpu-256m"); }
static void type_index(struct mvgpu_compat_info *r, struct mvgpu_compat_info *l)
{ (void)l; r->type_index = 2; }
static void fb(struct mvgpu_compat_info *r, struct mvgpu_compat_info *l)
{ (void)l; r->fb_size += 4096; }
static void stream_major(struct mvgpu_compat_info *r, struct mvgpu_compat_info *l)
{ (void)l; r->stream_major++; }
static void stream_major_down(struct mvgpu_compat_info *r, struct mvgpu_compat_info *l)
{ (void)r; l->stream_major++; }
static void stream_minor_up(struct mvgpu_compat_info *r, struct mvgpu_compat_info *l)
{ (void)l; r->stream_minor += 5; }
static void stream_minor_down(struct mvgpu_compat_info *r, struct mvgpu_compat_info *l)
{ (void)r; l->stream_minor += 5; }
static void abi_major(struct mvgpu_compat_info *r, struct mvgpu_compat_info *l)
{ (void)l; r->abi_major++; r->abi_minor = 0; }
static void abi_minor_up(struct mvgpu_compat_info *r, struct mvgpu_compat_info *l)
{ l->abi_minor = 1; r->abi_minor = 2; }
static void abi_minor_down(struct mvgpu_compat_info *r, struct mvgpu_compat_info *l)
{ (void)r; l->abi_minor++; }
static void feature_missing(struct mvgpu_compat_info *r, struct mvgpu_compat_info *l)
{ l->features = 0x3; r->features = 0x5; }
static void feature_subset(struct mvgpu_compat_info *r, struct mvgpu_compat_info *l)
{ l->features = 0x7; r->features = 0x5; }
static void ecc_differs(struct mvgpu_compat_info *r, struct mvgpu_compat_info *l)
{ r->ecc = MVGPU_COMPAT_ECC_ON; l->ecc = MVGPU_COMPAT_ECC_OFF; }
static void ecc_differs_off(struct mvgpu_compat_info *r, struct mvgpu_compat_info *l)
{ r->ecc = MVGPU_COMPAT_ECC_OFF; l->ecc = MVGPU_COMPAT_ECC_ON; }
static void ecc_same_on(struct mvgpu_compat_info *r, struct mvgpu_compat_info *l)
{ r->ecc = MVGPU_COMPAT_ECC_ON; l->ecc = MVGPU_COMPAT_ECC_ON; }
static void ecc_same_off(struct mvgpu_compat_info *r, struct mvgpu_compat_info *l)
{ r->ecc = MVGPU_COMPAT_ECC_OFF; l->ecc = MVGPU_COMPAT_ECC_OFF; }
static void ecc_source_unknown(struct mvgpu_compat_info *r, struct mvgpu_compat_info *l)
{ r->ecc = MVGPU_COMPAT_ECC_UNKNOWN; l->ecc = MVGPU_COMPAT_ECC_ON; }
static void ecc_target_unknown(struct mvgpu_compat_info *r, struct mvgpu_compat_info *l)
{ r->ecc = MVGPU_COMPAT_ECC_OFF; l->ecc = MVGPU_COMPAT_ECC_UNKNOWN; }
/* the ECC rule comes after the framebuffer's, before the versions' */
static void ecc_and_fb(struct mvgpu_compat_info *r, struct mvgpu_compat_info *l)
{ ecc_differs(r, l); r->fb_size += 4096; }
static void ecc_and_stream(struct mvgpu_compat_info *r, struct mvgpu_compat_info *l)
{ ecc_differs(r, l); r->stream_major++; }
static void ecc_bad(struct mvgpu_compat_info *r, struct mvgpu_compat_info *l)
{ r->ecc = MVGPU_COMPAT_ECC_MAX + 1; l->ecc = MVGPU_COMPAT_ECC_MAX + 1; }
static void driver(struct mvgpu_compat_info *r, struct mvgpu_compat_info *l)
{ strcpy(r->driver, "9.9.9"); strcpy(l->driver, "0.0.1"); }
static void bad_remote(struct mvgpu_compat_info *r, struct mvgpu_compat_info *l)
{ (void)l; memset(r->type, 'x', sizeof(r->type)); }

Test(compat, rules_table)
{
	static const struct rule rules[] = {
		{ "same",		same,			0,	NULL },
		{ "other type",		other_type,		-EINVAL, "type differs: source mvgpu-64M, target mvgpu-256M" },
		{ "type name",		type_name,		-EINVAL, "type differs" },
		{ "type index",		type_index,		-EINVAL, "type index differs" },
		{ "fb size",		fb,			-EINVAL, "framebuffer size differs" },
		{ "ecc on to off",	ecc_differs,		-EINVAL, "ECC mode differs: source on, target off" },
		{ "ecc off to on",	ecc_differs_off,	-EINVAL, "ECC mode differs: source off, target on" },
		{ "ecc both on",	ecc_same_on,		0,	NULL },
		{ "ecc both off",	ecc_same_off,		0,	NULL },
		{ "ecc source unknown",	ecc_source_unknown,	0,	NULL },
		{ "ecc target unknown",	ecc_target_unknown,	0,	NULL },
		{ "ecc after fb",	ecc_and_fb,		-EINVAL, "framebuffer size differs" },
		{ "ecc before stream",	ecc_and_stream,		-EINVAL, "ECC mode differs" },
		{ "ecc invalid",	ecc_bad,		-EINVAL, "invalid ECC mode 3" },
		{ "stream major up",	stream_major,		-EINVAL, "stream major" },
		{ "stream major down",	stream_major_down,	-EINVAL, "stream major" },
		{ "stream minor up",	stream_minor_up,	0,	NULL },
		{ "stream minor down",	stream_minor_down,	0,	NULL },
		{ "abi major",		abi_major,		-EINVAL, "device ABI" },
		{ "abi minor newer",	abi_minor_up,		-EINVAL, "device ABI: source 1.2, target 1.1" },
		{ "abi minor older",	abi_minor_down,		0,	NULL },
		{ "feature missing",	feature_missing,	-EINVAL, "features 0x4 not supported" },
		{ "feature subset",	feature_subset,		0,	NULL },
		{ "driver",		driver,			0,	NULL },
		{ "bad remote",		bad_remote,		-EINVAL, "invalid type" },
	};
	char why[MVGPU_COMPAT_WHY_MAX], buf[MVGPU_COMPAT_STR_MAX];
	struct mvgpu_compat_info l, r;
	size_t i;
	int n;

	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		l = local(1);
		r = local(1);
		rules[i].change(&r, &l);
		why[0] = '\0';
		cr_assert_eq(mvgpu_compat_check(&l, &r, why, sizeof(why)),
			     rules[i].ret, "%s: %s", rules[i].name, why);
		if (rules[i].why)
			cr_assert(strstr(why, rules[i].why), "%s: '%s'",
				  rules[i].name, why);
		cr_assert_eq(mvgpu_compat_check(&l, &r, NULL, 0), rules[i].ret);

		/* the sysfs path: format on the source, write on the target */
		n = mvgpu_compat_format(&r, buf, sizeof(buf));
		if (n < 0)
			continue;	/* an invalid remote has no string */
		cr_assert_eq(mvgpu_compat_check_string(&l, buf, (size_t)n, why,
						       sizeof(why)),
			     rules[i].ret, "%s (string): %s", rules[i].name, why);
	}
}

Test(compat, check_string_answers_einval_only)
{
	struct mvgpu_compat_info l = local(1);
	char big[MVGPU_COMPAT_STR_MAX + 10], why[MVGPU_COMPAT_WHY_MAX];

	cr_assert_eq(mvgpu_compat_check_string(&l, V1_256M, strlen(V1_256M),
					       why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(mvgpu_compat_check_string(&l, "garbage", 7, why,
					       sizeof(why)), -EINVAL);
	memset(big, ' ', sizeof(big));
	cr_assert_eq(mvgpu_compat_check_string(&l, big, sizeof(big), why,
					       sizeof(why)), -EINVAL);
	cr_assert_eq(mvgpu_compat_check_string(&l, V1_256M, strlen(V1_256M),
					       NULL, 0), 0);
	l = local(0);
	cr_assert_eq(mvgpu_compat_check_string(&l, V1_256M, strlen(V1_256M),
					       why, sizeof(why)), -EINVAL);
	cr_assert_str_eq(why, "type differs: source mvgpu-256M, target mvgpu-64M");
}

Test(compat, reason_is_truncated_safely)
{
	struct mvgpu_compat_info l = local(1), r = local(0);
	char why[8];

	memset(why, 'x', sizeof(why));
	cr_assert_eq(mvgpu_compat_check(&l, &r, why, sizeof(why)), -EINVAL);
	cr_assert_eq(strlen(why), sizeof(why) - 1);
}

Test(compat, validate)
{
	struct mvgpu_compat_info in = local(2);
	char why[MVGPU_COMPAT_WHY_MAX];

	cr_assert_eq(mvgpu_compat_validate(&in, why, sizeof(why)), 0);
	in.driver[0] = '\0';
	cr_assert_eq(mvgpu_compat_validate(&in, why, sizeof(why)), -EINVAL);
	cr_assert_str_eq(why, "invalid driver version");
	in = local(2);
	memset(in.driver, '1', sizeof(in.driver));	/* no NUL */
	cr_assert_eq(mvgpu_compat_validate(&in, why, sizeof(why)), -EINVAL);
	in = local(2);
	in.type[3] = '\n';
	cr_assert_eq(mvgpu_compat_validate(&in, why, sizeof(why)), -EINVAL);
	cr_assert_str_eq(why, "invalid type name");
	in = local(2);
	in.ecc = MVGPU_COMPAT_ECC_ON;
	cr_assert_eq(mvgpu_compat_validate(&in, why, sizeof(why)), 0);
	in.ecc = 0xffffffffu;
	cr_assert_eq(mvgpu_compat_validate(&in, why, sizeof(why)), -EINVAL);
	cr_assert_str_eq(why, "invalid ECC mode 4294967295");
}
