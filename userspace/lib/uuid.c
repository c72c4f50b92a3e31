/*
 * uuid.c - UUID parsing and generation, via libuuid.
 */
#include <errno.h>
#include <string.h>
#include <uuid/uuid.h>

#include "internal.h"

int mvgpu_uuid_canonical(const char *in, char out[MVGPU_UUID_LEN])
{
	uuid_t u;

	if (out)
		out[0] = '\0';
	if (!in || !out)
		return -EINVAL;
	/* libuuid checks the length (exactly 36), the dashes and the hex
	 * digits; anything else is rejected. */
	if (strlen(in) != MVGPU_UUID_LEN - 1 || uuid_parse(in, u) != 0)
		return -EINVAL;
	uuid_unparse_lower(u, out);
	return 0;
}

int mvgpu__uuid_generate(char out[MVGPU_UUID_LEN])
{
	uuid_t u;

	uuid_generate_random(u);
	uuid_unparse_lower(u, out);
	return 0;
}

int mvgpu__uuid_is_canonical(const char *s)
{
	char c[MVGPU_UUID_LEN];

	return mvgpu_uuid_canonical(s, c) == 0 && strcmp(c, s) == 0;
}
