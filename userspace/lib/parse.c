/*
 * parse.c - strict parsers for sysfs values (numbers, sizes, resolutions,
 * the type "description" attribute).
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

int mvgpu__parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (!s || !*s)
		return -EBADMSG;
	for (i = 0; s[i]; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return -EBADMSG;
		d = (unsigned)(s[i] - '0');
		if (d > max || v > (max - d) / 10)
			return -EBADMSG;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int mvgpu__parse_size(const char *s, uint64_t *out)
{
	char num[32];
	size_t len;
	unsigned shift = 0;
	uint64_t v;

	if (!s)
		return -EBADMSG;
	len = strlen(s);
	if (len == 0 || len >= sizeof(num))
		return -EBADMSG;
	memcpy(num, s, len + 1);
	switch (num[len - 1]) {
	case 'K': case 'k': shift = 10; break;
	case 'M': case 'm': shift = 20; break;
	case 'G': case 'g': shift = 30; break;
	case 'T': case 't': shift = 40; break;
	default: break;
	}
	if (shift)
		num[--len] = '\0';
	if (mvgpu__parse_u64(num, UINT64_MAX >> shift, &v) < 0)
		return -EBADMSG;
	*out = v << shift;
	return 0;
}

int mvgpu__parse_resolution(const char *s, unsigned *w, unsigned *h)
{
	char num[24];
	const char *x;
	uint64_t a, b;
	size_t n;

	if (!s)
		return -EBADMSG;
	x = strchr(s, 'x');
	if (!x)
		return -EBADMSG;
	n = (size_t)(x - s);
	if (n == 0 || n >= sizeof(num))
		return -EBADMSG;
	memcpy(num, s, n);
	num[n] = '\0';
	if (mvgpu__parse_u64(num, UINT32_MAX, &a) < 0 ||
	    mvgpu__parse_u64(x + 1, UINT32_MAX, &b) < 0)
		return -EBADMSG;
	*w = (unsigned)a;
	*h = (unsigned)b;
	return 0;
}

int mvgpu__valid_id(const char *s)
{
	size_t i;

	if (!s || !*s || s[0] == '.')
		return 0;
	for (i = 0; s[i]; i++) {
		unsigned char c = (unsigned char)s[i];

		if (i >= MVGPU_ID_MAX - 1 || c <= 0x20 || c >= 0x7f || c == '/')
			return 0;
	}
	return 1;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	return s;
}

static int parse_uint_field(const char *v, unsigned *out)
{
	uint64_t x;

	if (mvgpu__parse_u64(v, UINT32_MAX, &x) < 0)
		return -EBADMSG;
	*out = (unsigned)x;
	return 0;
}

static int parse_item(char *item, mvgpu_type_info *t)
{
	char *eq, *key, *val;

	item = trim(item);
	if (!*item)
		return 0;	/* tolerate ", ," and a trailing comma */
	eq = strchr(item, '=');
	if (!eq)
		return -EBADMSG;
	*eq = '\0';
	key = trim(item);
	val = trim(eq + 1);
	if (!*key)
		return -EBADMSG;
	if (!strcmp(key, "num_heads"))
		return parse_uint_field(val, &t->num_heads);
	if (!strcmp(key, "frl_config"))
		return parse_uint_field(val, &t->frl_config);
	if (!strcmp(key, "max_instance"))
		return parse_uint_field(val, &t->max_instance);
	if (!strcmp(key, "framebuffer"))
		return mvgpu__parse_size(val, &t->framebuffer);
	if (!strcmp(key, "max_resolution"))
		return mvgpu__parse_resolution(val, &t->max_width,
					       &t->max_height);
	return 0;	/* unknown key: newer module, ignore */
}

int mvgpu_parse_description(const char *desc, mvgpu_type_info *t)
{
	char buf[MVGPU_ATTR_MAX];
	mvgpu_type_info tmp;
	char *p, *comma;
	size_t len;

	if (!desc || !t)
		return -EBADMSG;
	len = strlen(desc);
	if (len >= sizeof(buf))
		return -EBADMSG;
	memcpy(buf, desc, len + 1);
	/* Parse into a copy so @t is untouched on error. */
	tmp = *t;
	for (p = buf;; p = comma + 1) {
		comma = strchr(p, ',');
		if (comma)
			*comma = '\0';
		if (parse_item(p, &tmp) < 0)
			return -EBADMSG;
		if (!comma)
			break;
	}
	*t = tmp;
	return 0;
}
