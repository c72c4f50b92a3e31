/*
 * output.h - mvgpu CLI output: aligned tables and a small JSON writer.
 */
#ifndef MVGPU_CLI_OUTPUT_H
#define MVGPU_CLI_OUTPUT_H

#include <stdint.h>
#include <stdio.h>

/* ---- tables ---------------------------------------------------------- */

/* A table of strings printed with columns aligned (two spaces apart, last
 * column not padded).  Cells are copied; bytes that are not printable ASCII
 * become '?', so sysfs content cannot drive the terminal. */
struct table {
	size_t ncols;
	size_t nrows;		/* including the header row */
	size_t cap;
	char **cells;		/* nrows * ncols */
	int lost;		/* a table_add() failed: a row is missing */
};

/* @headers: the first row.  @return 0 or -ENOMEM, as table_add(). */
int table_init(struct table *t, size_t ncols, const char *const *headers);
/* @cells: ncols strings (NULL prints as "-").  @return 0 or -ENOMEM (then
 * the table is lost: later rows are not added either, table_end() fails). */
int table_add(struct table *t, const char *const *cells);
void table_print(const struct table *t, FILE *f);
void table_free(struct table *t);
/* Print @t to @f, unless a row was lost, and free it.  @return 0, or
 * -ENOMEM (nothing printed). */
int table_end(struct table *t, FILE *f);

/* ---- JSON ------------------------------------------------------------ */

#define JSON_MAX_DEPTH 16

/* Streaming, pretty-printed JSON writer.  Inside objects every value takes
 * a key; inside arrays and at the top level, key must be NULL.  At most
 * JSON_MAX_DEPTH - 1 nested levels (deeper is a programming error). */
struct json {
	FILE *f;
	int depth;
	int count[JSON_MAX_DEPTH];	/* members written at each depth */
};

void json_init(struct json *j, FILE *f);
void json_obj_begin(struct json *j, const char *key);
void json_obj_end(struct json *j);
void json_arr_begin(struct json *j, const char *key);
void json_arr_end(struct json *j);
void json_str(struct json *j, const char *key, const char *v); /* NULL: null */
void json_u64(struct json *j, const char *key, uint64_t v);
void json_int(struct json *j, const char *key, long long v);
void json_bool(struct json *j, const char *key, int v);
void json_null(struct json *j, const char *key);
/* @v with @decimals digits after the point; NaN and infinities: null. */
void json_double(struct json *j, const char *key, double v, int decimals);
/* Terminate the document with a newline. */
void json_end(struct json *j);

/* Write @s as a JSON string literal (quotes included): '"', '\\' and
 * control characters are escaped, valid UTF-8 is kept, invalid bytes
 * become U+FFFD.  NULL writes null. */
void json_write_string(FILE *f, const char *s);

/* ---- formatting ------------------------------------------------------ */

/* "256M", "1G", "1536M", "4097B"; "-" for 0 (unknown). */
void format_size(uint64_t bytes, char *buf, size_t len);

/* Copy @in to @f replacing non-printable ASCII with '?'. */
void fput_sanitized(const char *in, FILE *f);

#endif
