/*
 * cmd_topo.c - `mvgpu topo [-m] [--uuid UUID[,UUID...]]...`: its command
 * line; topo_view.c prints the matrix.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* The UUIDs of the @nvals --uuid values @vals, each one or more separated
 * by commas: *@uuids (*@n of them) point into *@buf (free() both, also
 * on failure).  @return 0, or EXIT_USAGE after saying which is not one. */
static int split_uuids(struct cli *cli, const char *const *vals, int nvals,
		       char **buf, const char ***uuids, size_t *n)
{
	char canon[MVGPU_UUID_LEN], *rest, *one;
	size_t len = 0, max = 1;
	int i;

	*buf = NULL;
	*uuids = NULL;
	*n = 0;
	if (!nvals)
		return 0;
	for (i = 0; i < nvals; i++)
		len += strlen(vals[i]) + 1;
	*buf = calloc(1, len);	/* "" */
	if (!*buf)
		return cli_fail(cli, EXIT_FAIL, -ENOMEM, "out of memory");
	for (i = 0; i < nvals; i++) {
		if (i)
			strcat(*buf, ",");
		strcat(*buf, vals[i]);
	}
	for (rest = *buf; *rest; rest++)
		max += *rest == ',';
	*uuids = calloc(max, sizeof(**uuids));
	if (!*uuids)
		return cli_fail(cli, EXIT_FAIL, -ENOMEM, "out of memory");
	for (rest = *buf; (one = strsep(&rest, ","));) {
		if (mvgpu_uuid_canonical(one, canon) < 0)
			return cli_bad_uuid(cli, one);
		(*uuids)[(*n)++] = one;
	}
	return 0;
}

int cmd_topo(struct cli *cli, int argc, char **argv)
{
	const char *vals[CLI_EACH_MAX], **uuids;
	int nvals = 0, matrix = 0, ret;
	const struct cli_opt opts[] = {
		{ "uuid", 0, CLI_ARG_EACH, vals, &nvals },
		{ "matrix", 'm', 0, NULL, &matrix },	/* the only view */
		{ NULL, 0, 0, NULL, NULL }
	};
	char *buf;
	size_t n;

	ret = cli_parse(cli, argc, argv, opts, NULL, 0, NULL);
	if (ret)
		return ret;
	if (cli->help) {
		cli_print_cmd_help(cli_find_cmd("topo"), stdout);
		return EXIT_OK;
	}
	ret = split_uuids(cli, vals, nvals, &buf, &uuids, &n);
	if (!ret)
		ret = topo_show(cli, uuids, n);
	free(uuids);
	free(buf);
	return ret;
}
