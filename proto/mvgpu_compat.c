// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * mvgpu_compat.c - the migration_version string and the compatibility
 * rules.  Portable C for the kernel and userspace (mvgpu_port.h).
 */
#include "mvgpu_compat.h"
#include "mvgpu_stream.h"

#define WHY(buf, len, ...)						\
	do {								\
		if ((buf) && (len))					\
			snprintf((buf), (len), __VA_ARGS__);		\
	} while (0)

#define MAX_FIELDS	32
#define MAX_KEY		32
#define MAX_VALUE	64

static const struct mvgpu_type_desc compat_types[MVGPU_NUM_TYPES] =
	MVGPU_TYPES_INIT;

static bool is_alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z');
}

/* @s holds a NUL within @size, and 1.. characters from [A-Za-z0-9] and
 * @extra before it. */
static bool str_ok(const char *s, size_t size, const char *extra)
{
	size_t i;

	for (i = 0; i < size && s[i]; i++)
		if (!is_alnum(s[i]) && !strchr(extra, s[i]))
			return false;
	return i > 0 && i < size;
}

static bool driver_ok(const char *s, size_t size)
{
	return str_ok(s, size, ".+~_-");
}

static bool type_ok(const char *s, size_t size)
{
	return str_ok(s, size, "._-");
}

/* The "ecc" value of a known mode, NULL for UNKNOWN (and invalid ones). */
static const char *ecc_name(__u32 ecc)
{
	switch (ecc) {
	case MVGPU_COMPAT_ECC_OFF:	return "off";
	case MVGPU_COMPAT_ECC_ON:	return "on";
	default:			return NULL;
	}
}

int mvgpu_compat_validate(const struct mvgpu_compat_info *info,
			  char *why, size_t whylen)
{
	if (!driver_ok(info->driver, sizeof(info->driver))) {
		WHY(why, whylen, "invalid driver version");
		return -EINVAL;
	}
	if (!type_ok(info->type, sizeof(info->type))) {
		WHY(why, whylen, "invalid type name");
		return -EINVAL;
	}
	if (info->ecc > MVGPU_COMPAT_ECC_MAX) {
		WHY(why, whylen, "invalid ECC mode %u", info->ecc);
		return -EINVAL;
	}
	return 0;
}

int mvgpu_compat_local(struct mvgpu_compat_info *info,
		       unsigned int type_index, const char *driver)
{
	const struct mvgpu_type_desc *t;

	memset(info, 0, sizeof(*info));
	if (type_index >= MVGPU_NUM_TYPES || !driver ||
	    !driver_ok(driver, MVGPU_COMPAT_DRIVER_MAX))
		return -EINVAL;
	t = &compat_types[type_index];
	memcpy(info->driver, driver, strlen(driver) + 1);
	snprintf(info->type, sizeof(info->type), MVGPU_TYPE_PREFIX "%s",
		 t->id);
	info->type_index = type_index;
	info->stream_major = MVGPU_STREAM_MAJOR;
	info->stream_minor = MVGPU_STREAM_MINOR;
	info->abi_major = MVGPU_ABI_MAJOR;
	info->abi_minor = MVGPU_ABI_MINOR;
	info->fb_size = (__u64)t->fb_mib << 20;
	info->features = MVGPU_FEATURES_SUPPORTED;
	return 0;
}

int mvgpu_compat_format(const struct mvgpu_compat_info *info, char *buf,
			size_t size)
{
	const char *ecc;
	int n;

	if (mvgpu_compat_validate(info, NULL, 0))
		return -EINVAL;
	ecc = ecc_name(info->ecc);
	n = snprintf(buf, size,
		     "mvgpu-migration-version=%u driver=%s stream=%u.%u abi=%u.%u type=%s type_index=%u fb=%llu features=0x%llx%s%s\n",
		     MVGPU_COMPAT_FORMAT, info->driver, info->stream_major,
		     info->stream_minor, info->abi_major, info->abi_minor,
		     info->type, info->type_index,
		     (unsigned long long)info->fb_size,
		     (unsigned long long)info->features,
		     ecc ? " ecc=" : "", ecc ? ecc : "");
	if (n < 0 || (size_t)n >= size) {
		if (size)
			buf[0] = '\0';
		return -ENOSPC;
	}
	return n;
}

/* ---- Parsing ------------------------------------------------------------- */

/* A value: @len bytes at @s, not NUL-terminated. */
struct span {
	const char *s;
	size_t len;
};

/* Decimal, digits only, <= @max. */
static bool parse_dec(struct span v, __u64 max, __u64 *out)
{
	__u64 x = 0;
	size_t i;

	if (!v.len || v.len > 20)
		return false;
	for (i = 0; i < v.len; i++) {
		unsigned int d = (unsigned char)v.s[i] - '0';

		if (d > 9 || x > (max - d) / 10)
			return false;
		x = x * 10 + d;
	}
	*out = x;
	return true;
}

/* "0x" and 1..16 hex digits. */
static bool parse_hex(struct span v, __u64 *out)
{
	__u64 x = 0;
	size_t i;

	if (v.len < 3 || v.len > 18 || v.s[0] != '0' ||
	    (v.s[1] != 'x' && v.s[1] != 'X'))
		return false;
	for (i = 2; i < v.len; i++) {
		char c = v.s[i];
		unsigned int d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return false;
		x = x << 4 | d;
	}
	*out = x;
	return true;
}

/* "major.minor", each 0..65535. */
static bool parse_ver(struct span v, __u16 *major, __u16 *minor)
{
	struct span a = v, b;
	__u64 x, y;
	size_t i;

	for (i = 0; i < v.len && v.s[i] != '.'; i++)
		;
	if (i == v.len)
		return false;
	a.len = i;
	b.s = v.s + i + 1;
	b.len = v.len - i - 1;
	if (!parse_dec(a, 0xffff, &x) || !parse_dec(b, 0xffff, &y))
		return false;
	*major = (__u16)x;
	*minor = (__u16)y;
	return true;
}

/* A string field: copied NUL-terminated, checked by @ok. */
static bool parse_str(struct span v, char *dst, size_t size,
		      bool (*ok)(const char *, size_t))
{
	char tmp[MVGPU_COMPAT_TYPE_MAX > MVGPU_COMPAT_DRIVER_MAX ?
		 MVGPU_COMPAT_TYPE_MAX : MVGPU_COMPAT_DRIVER_MAX];

	if (v.len >= size || size > sizeof(tmp))
		return false;
	memcpy(tmp, v.s, v.len);
	tmp[v.len] = '\0';
	if (!ok(tmp, size))
		return false;
	memcpy(dst, tmp, v.len + 1);
	return true;
}

enum {
	K_FORMAT, K_DRIVER, K_STREAM, K_ABI, K_TYPE, K_TYPE_INDEX, K_FB,
	K_FEATURES, K_ECC, K_NR
};

/* Keys a string must have: all but those later drivers added. */
#define K_REQUIRED	((1u << K_NR) - 1 - (1u << K_ECC))

static const char *const compat_keys[K_NR] = {
	[K_FORMAT]	= "mvgpu-migration-version",
	[K_DRIVER]	= "driver",
	[K_STREAM]	= "stream",
	[K_ABI]		= "abi",
	[K_TYPE]	= "type",
	[K_TYPE_INDEX]	= "type_index",
	[K_FB]		= "fb",
	[K_FEATURES]	= "features",
	[K_ECC]		= "ecc",
};

/* A key seen so far, as a position in the string (keeps the stack small) */
struct seen_key {
	__u16 off, len;
};
_Static_assert(MVGPU_COMPAT_STR_MAX <= 0xffff, "seen_key is too small");

static int key_index(struct span k)
{
	int i;

	for (i = 0; i < K_NR; i++)
		if (k.len == strlen(compat_keys[i]) &&
		    !memcmp(k.s, compat_keys[i], k.len))
			return i;
	return -1;
}

static bool key_char(char c)
{
	return is_alnum(c) || c == '_' || c == '-' || c == '.';
}

static bool value_char(char c)
{
	return c > ' ' && c <= '~';
}

/* Stores the value of known key @k; false if it is malformed. */
static bool parse_field(int k, struct span v, struct mvgpu_compat_info *in)
{
	__u64 x;

	switch (k) {
	case K_FORMAT:
		return parse_dec(v, ~0ULL, &x) && x == MVGPU_COMPAT_FORMAT;
	case K_DRIVER:
		return parse_str(v, in->driver, sizeof(in->driver), driver_ok);
	case K_STREAM:
		return parse_ver(v, &in->stream_major, &in->stream_minor);
	case K_ABI:
		return parse_ver(v, &in->abi_major, &in->abi_minor);
	case K_TYPE:
		return parse_str(v, in->type, sizeof(in->type), type_ok);
	case K_TYPE_INDEX:
		if (!parse_dec(v, 0xffffffffu, &x))
			return false;
		in->type_index = (__u32)x;
		return true;
	case K_FB:
		return parse_dec(v, ~0ULL, &in->fb_size);
	case K_FEATURES:
		return parse_hex(v, &in->features);
	case K_ECC:
		if (v.len == 2 && !memcmp(v.s, "on", 2))
			in->ecc = MVGPU_COMPAT_ECC_ON;
		else if (v.len == 3 && !memcmp(v.s, "off", 3))
			in->ecc = MVGPU_COMPAT_ECC_OFF;
		else
			return false;
		return true;
	}
	return false;
}

int mvgpu_compat_parse(const char *s, size_t len,
		       struct mvgpu_compat_info *info, char *why,
		       size_t whylen)
{
	struct mvgpu_compat_info in;
	struct seen_key keys[MAX_FIELDS];
	struct span k, v;
	unsigned int nfields = 0, have = 0, i;
	size_t pos = 0, start;
	int ki;

	if (len > MVGPU_COMPAT_STR_MAX) {
		WHY(why, whylen, "longer than %u bytes", MVGPU_COMPAT_STR_MAX);
		return -E2BIG;
	}
	if (len && s[len - 1] == '\n')
		len--;
	memset(&in, 0, sizeof(in));

	for (;;) {
		while (pos < len && (s[pos] == ' ' || s[pos] == '\t'))
			pos++;
		if (pos == len)
			break;
		start = pos;
		while (pos < len && key_char(s[pos]))
			pos++;
		k.s = s + start;
		k.len = pos - start;
		if (!k.len || k.len > MAX_KEY || pos == len || s[pos] != '=') {
			WHY(why, whylen, "malformed field at byte %zu", start);
			return -EINVAL;
		}
		start = ++pos;
		while (pos < len && value_char(s[pos]))
			pos++;
		v.s = s + start;
		v.len = pos - start;
		if (!v.len || v.len > MAX_VALUE ||
		    (pos < len && s[pos] != ' ' && s[pos] != '\t')) {
			WHY(why, whylen, "malformed value of '%.*s'",
			    (int)k.len, k.s);
			return -EINVAL;
		}
		for (i = 0; i < nfields; i++) {
			if (keys[i].len == k.len &&
			    !memcmp(s + keys[i].off, k.s, k.len)) {
				WHY(why, whylen, "duplicate key '%.*s'",
				    (int)k.len, k.s);
				return -EINVAL;
			}
		}
		if (nfields == MAX_FIELDS) {
			WHY(why, whylen, "more than %u fields", MAX_FIELDS);
			return -EINVAL;
		}
		keys[nfields].off = (__u16)(k.s - s);
		keys[nfields++].len = (__u16)k.len;

		ki = key_index(k);
		if (ki < 0)
			continue;	/* a newer driver's field */
		if (!parse_field(ki, v, &in)) {
			WHY(why, whylen, "bad value for %s: '%.*s'",
			    compat_keys[ki], (int)v.len, v.s);
			return -EINVAL;
		}
		have |= 1u << ki;
	}
	for (i = 0; i < K_NR; i++) {
		if ((K_REQUIRED & (1u << i)) && !(have & (1u << i))) {
			WHY(why, whylen, "missing %s", compat_keys[i]);
			return -EINVAL;
		}
	}
	*info = in;
	return 0;
}

/* ---- The rules ----------------------------------------------------------- */

int mvgpu_compat_check(const struct mvgpu_compat_info *local,
		       const struct mvgpu_compat_info *remote,
		       char *why, size_t whylen)
{
	__u64 missing;

	if (mvgpu_compat_validate(local, why, whylen) ||
	    mvgpu_compat_validate(remote, why, whylen))
		return -EINVAL;
	if (strcmp(remote->type, local->type)) {
		WHY(why, whylen, "type differs: source %s, target %s",
		    remote->type, local->type);
		return -EINVAL;
	}
	if (remote->type_index != local->type_index) {
		WHY(why, whylen, "type index differs: source %u, target %u",
		    remote->type_index, local->type_index);
		return -EINVAL;
	}
	if (remote->fb_size != local->fb_size) {
		WHY(why, whylen,
		    "framebuffer size differs: source %llu, target %llu",
		    (unsigned long long)remote->fb_size,
		    (unsigned long long)local->fb_size);
		return -EINVAL;
	}
	/* unknown on either side (an older driver): nothing to compare */
	if (remote->ecc != MVGPU_COMPAT_ECC_UNKNOWN &&
	    local->ecc != MVGPU_COMPAT_ECC_UNKNOWN && remote->ecc != local->ecc) {
		WHY(why, whylen, "ECC mode differs: source %s, target %s",
		    ecc_name(remote->ecc), ecc_name(local->ecc));
		return -EINVAL;
	}
	if (remote->stream_major != local->stream_major) {
		WHY(why, whylen,
		    "stream major version differs: source %u.%u, target %u.%u",
		    remote->stream_major, remote->stream_minor,
		    local->stream_major, local->stream_minor);
		return -EINVAL;
	}
	if (remote->abi_major != local->abi_major ||
	    remote->abi_minor > local->abi_minor) {
		WHY(why, whylen,
		    "device ABI: source %u.%u, target %u.%u",
		    remote->abi_major, remote->abi_minor,
		    local->abi_major, local->abi_minor);
		return -EINVAL;
	}
	missing = remote->features & ~local->features;
	if (missing) {
		WHY(why, whylen, "features 0x%llx not supported by the target",
		    (unsigned long long)missing);
		return -EINVAL;
	}
	return 0;
}

int mvgpu_compat_check_string(const struct mvgpu_compat_info *local,
			      const char *s, size_t len, char *why,
			      size_t whylen)
{
	struct mvgpu_compat_info remote;

	if (mvgpu_compat_parse(s, len, &remote, why, whylen))
		return -EINVAL;
	return mvgpu_compat_check(local, &remote, why, whylen);
}
