/*
 * cmd_topo.c - `mvgpu topo [-m] [--uuid UUID[,UUID...]]...`: its command
 * line; topo_view.c prints the matrix.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

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
	ret = cli_split_uuids(cli, vals, nvals, &buf, &uuids, &n);
	if (!ret)
		ret = topo_show(cli, uuids, n);
	free(uuids);
	free(buf);
	return ret;
}
