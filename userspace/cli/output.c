/*
 * output.c - mvgpu CLI output: aligned tables and a small JSON writer.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"

/* ---- tables ---------------------------------------------------------- */

static char *sanitized_dup(const char *s)
{
	size_t i, n;
	char *d;

	if (!s)
		s = "-";
	n = strlen(s);
	d = malloc(n + 1);
	if (!d)
		return NULL;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		d[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	d[n] = '\0';
	return d;
}

int table_add(struct table *t, const char *const *cells)
{
	size_t i, base;
	char **nc;

	if (t->lost)
		return -ENOMEM;
	if (t->nrows == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 16;

		nc = realloc(t->cells, ncap * t->ncols * sizeof(*nc));
		if (!nc)
			goto lost;
		t->cells = nc;
		t->cap = ncap;
	}
	base = t->nrows * t->ncols;
	for (i = 0; i < t->ncols; i++) {
		t->cells[base + i] = sanitized_dup(cells[i]);
		if (!t->cells[base + i]) {
			while (i--)
				free(t->cells[base + i]);
			goto lost;
		}
	}
	t->nrows++;
	return 0;
lost:
	t->lost = 1;
	return -ENOMEM;
}

int table_init(struct table *t, size_t ncols, const char *const *headers)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
	return table_add(t, headers);
}

void table_print(const struct table *t, FILE *f)
{
	size_t r, c, w[32] = { 0 };

	for (r = 0; r < t->nrows; r++)
		for (c = 0; c < t->ncols && c < 32; c++) {
			size_t l = strlen(t->cells[r * t->ncols + c]);

			if (l > w[c])
				w[c] = l;
		}
	for (r = 0; r < t->nrows; r++) {
		for (c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * t->ncols + c];

			if (c + 1 == t->ncols || c >= 32)
				fprintf(f, "%s", s);
			else
				fprintf(f, "%-*s  ", (int)w[c], s);
		}
		fputc('\n', f);
	}
}

void table_free(struct table *t)
{
	size_t i;

	if (t->cells)
		for (i = 0; i < t->nrows * t->ncols; i++)
			free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}

int table_end(struct table *t, FILE *f)
{
	int ret = t->lost ? -ENOMEM : 0;

	if (!ret)
		table_print(t, f);
	table_free(t);
	return ret;
}

/* ---- JSON ------------------------------------------------------------ */

/* Length of the valid UTF-8 sequence at @s (1..4), 0 if invalid. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned char c = s[0];
	size_t n, i;
	unsigned char lo = 0x80, hi = 0xbf;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;	/* no UTF-16 surrogates */
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;	/* <= U+10FFFF */
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

void json_write_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	if (!s) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	while (*p) {
		switch (*p) {
		case '"':  fputs("\\\"", f); p++; continue;
		case '\\': fputs("\\\\", f); p++; continue;
		case '\b': fputs("\\b", f); p++; continue;
		case '\f': fputs("\\f", f); p++; continue;
		case '\n': fputs("\\n", f); p++; continue;
		case '\r': fputs("\\r", f); p++; continue;
		case '\t': fputs("\\t", f); p++; continue;
		default: break;
		}
		if (*p < 0x20 || *p == 0x7f) {
			fprintf(f, "\\u%04x", *p);
			p++;
			continue;
		}
		n = utf8_len(p);
		if (n == 0) {
			fputs("\\ufffd", f);
			p++;
			continue;
		}
		fwrite(p, 1, n, f);
		p += n;
	}
	fputc('"', f);
}

void json_init(struct json *j, FILE *f)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
}

static void indent(struct json *j)
{
	int i;

	for (i = 0; i < j->depth; i++)
		fputs("  ", j->f);
}

/* Separator, newline and indentation before a value, then its key. */
static void member(struct json *j, const char *key)
{
	if (j->depth > 0) {
		fputs(j->count[j->depth] ? ",\n" : "\n", j->f);
		j->count[j->depth]++;
		indent(j);
	}
	if (key) {
		json_write_string(j->f, key);
		fputs(": ", j->f);
	}
}

static void open_(struct json *j, const char *key, char c)
{
	member(j, key);
	fputc(c, j->f);
	if (j->depth + 1 >= JSON_MAX_DEPTH)
		abort();	/* programming error: documented limit */
	j->depth++;
	j->count[j->depth] = 0;
}

static void close_(struct json *j, char c)
{
	int had = j->count[j->depth];

	if (j->depth > 0)
		j->depth--;
	if (had) {
		fputc('\n', j->f);
		indent(j);
	}
	fputc(c, j->f);
}

void json_obj_begin(struct json *j, const char *key) { open_(j, key, '{'); }
void json_obj_end(struct json *j) { close_(j, '}'); }
void json_arr_begin(struct json *j, const char *key) { open_(j, key, '['); }
void json_arr_end(struct json *j) { close_(j, ']'); }

void json_str(struct json *j, const char *key, const char *v)
{
	member(j, key);
	json_write_string(j->f, v);
}

void json_u64(struct json *j, const char *key, uint64_t v)
{
	member(j, key);
	fprintf(j->f, "%" PRIu64, v);
}

void json_int(struct json *j, const char *key, long long v)
{
	member(j, key);
	fprintf(j->f, "%lld", v);
}

void json_bool(struct json *j, const char *key, int v)
{
	member(j, key);
	fputs(v ? "true" : "false", j->f);
}

void json_null(struct json *j, const char *key)
{
	member(j, key);
	fputs("null", j->f);
}

void json_double(struct json *j, const char *key, double v, int decimals)
{
	member(j, key);
	if (!isfinite(v))
		fputs("null", j->f);
	else
		fprintf(j->f, "%.*f", decimals < 0 ? 0 : decimals, v);
}

void json_end(struct json *j)
{
	fputc('\n', j->f);
}

/* ---- formatting ------------------------------------------------------ */

void format_size(uint64_t bytes, char *buf, size_t len)
{
	static const char units[] = "TGMK";
	int i;

	if (bytes == 0) {
		snprintf(buf, len, "-");
		return;
	}
	for (i = 0; i < 4; i++) {
		unsigned shift = 10u * (unsigned)(4 - i);
		uint64_t unit = (uint64_t)1 << shift;

		if (bytes % unit == 0) {
			snprintf(buf, len, "%" PRIu64 "%c", bytes >> shift,
				 units[i]);
			return;
		}
	}
	snprintf(buf, len, "%" PRIu64 "B", bytes);
}

void fput_sanitized(const char *in, FILE *f)
{
	const unsigned char *p = (const unsigned char *)in;

	for (; p && *p; p++)
		fputc((*p >= 0x20 && *p < 0x7f) ? *p : '?', f);
}
