/*
 * json_check.h - strict RFC 8259 syntax check, to verify the CLI prints
 * exactly one well-formed JSON document.
 */
#ifndef JSON_CHECK_H
#define JSON_CHECK_H

#include <stddef.h>

/* 1 if @s (@len bytes) is exactly one JSON value (surrounded by optional
 * whitespace) with valid strings (escapes, no raw control characters,
 * valid UTF-8); 0 otherwise. */
int json_valid(const char *s, size_t len);

#endif
