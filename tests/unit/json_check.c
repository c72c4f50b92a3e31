/*
 * json_check.c - strict JSON syntax checker for the tests.
 */
#include <string.h>

#include "json_check.h"

struct p {
	const unsigned char *s, *e;
	int depth;
};

static void ws(struct p *p)
{
	while (p->s < p->e && (*p->s == ' ' || *p->s == '\t' ||
			       *p->s == '\n' || *p->s == '\r'))
		p->s++;
}

static int hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

static int utf8(struct p *p)
{
	unsigned char c = *p->s, lo = 0x80, hi = 0xbf;
	int n, i;

	if (c >= 0xc2 && c <= 0xdf) n = 2;
	else if (c >= 0xe0 && c <= 0xef) n = 3;
	else if (c >= 0xf0 && c <= 0xf4) n = 4;
	else return 0;
	if (c == 0xe0) lo = 0xa0;
	if (c == 0xed) hi = 0x9f;
	if (c == 0xf0) lo = 0x90;
	if (c == 0xf4) hi = 0x8f;
	if (p->e - p->s < n || p->s[1] < lo || p->s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (p->s[i] < 0x80 || p->s[i] > 0xbf)
			return 0;
	p->s += n;
	return 1;
}

static int string(struct p *p)
{
	int i;

	if (p->s >= p->e || *p->s != '"')
		return 0;
	p->s++;
	while (p->s < p->e) {
		unsigned char c = *p->s;

		if (c == '"') {
			p->s++;
			return 1;
		}
		if (c < 0x20)
			return 0;
		if (c == '\\') {
			p->s++;
			if (p->s >= p->e)
				return 0;
			c = *p->s++;
			if (c == 'u') {
				for (i = 0; i < 4; i++)
					if (p->s >= p->e || !hex(*p->s++))
						return 0;
			} else if (!strchr("\"\\/bfnrt", c) || !c) {
				return 0;
			}
			continue;
		}
		if (c >= 0x80) {
			if (!utf8(p))
				return 0;
			continue;
		}
		p->s++;
	}
	return 0;
}

static int digits(struct p *p)
{
	const unsigned char *s = p->s;

	while (p->s < p->e && *p->s >= '0' && *p->s <= '9')
		p->s++;
	return p->s > s;
}

static int number(struct p *p)
{
	if (p->s < p->e && *p->s == '-')
		p->s++;
	if (p->s < p->e && *p->s == '0')
		p->s++;
	else if (!digits(p))
		return 0;
	if (p->s < p->e && *p->s == '.') {
		p->s++;
		if (!digits(p))
			return 0;
	}
	if (p->s < p->e && (*p->s == 'e' || *p->s == 'E')) {
		p->s++;
		if (p->s < p->e && (*p->s == '+' || *p->s == '-'))
			p->s++;
		if (!digits(p))
			return 0;
	}
	return 1;
}

static int lit(struct p *p, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(p->e - p->s) < n || memcmp(p->s, w, n))
		return 0;
	p->s += n;
	return 1;
}

static int value(struct p *p);

static int container(struct p *p, char open, char close, int obj)
{
	p->s++;
	if (++p->depth > 64)
		return 0;
	ws(p);
	if (p->s < p->e && *p->s == close) {
		p->s++;
		p->depth--;
		return 1;
	}
	for (;;) {
		ws(p);
		if (obj) {
			if (!string(p))
				return 0;
			ws(p);
			if (p->s >= p->e || *p->s++ != ':')
				return 0;
		}
		if (!value(p))
			return 0;
		ws(p);
		if (p->s >= p->e)
			return 0;
		if (*p->s == ',') {
			p->s++;
			continue;
		}
		if (*p->s == close) {
			p->s++;
			p->depth--;
			return 1;
		}
		return 0;
	}
	(void)open;
}

static int value(struct p *p)
{
	ws(p);
	if (p->s >= p->e)
		return 0;
	switch (*p->s) {
	case '{': return container(p, '{', '}', 1);
	case '[': return container(p, '[', ']', 0);
	case '"': return string(p);
	case 't': return lit(p, "true");
	case 'f': return lit(p, "false");
	case 'n': return lit(p, "null");
	default: return number(p);
	}
}

int json_valid(const char *s, size_t len)
{
	struct p p = { (const unsigned char *)s, (const unsigned char *)s + len, 0 };

	if (!value(&p))
		return 0;
	ws(&p);
	return p.s == p.e;
}
