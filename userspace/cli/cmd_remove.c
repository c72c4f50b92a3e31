/*
 * cmd_remove.c - `mvgpu remove UUID [--force]`.
 */
#include <errno.h>
#include <stdio.h>

#include "cli.h"
#include "output.h"

int cmd_remove(struct cli *cli, int argc, char **argv)
{
	int force = 0, n, ret;
	const struct cli_opt opts[] = {
		{ "force", 'f', 0, NULL, &force },
		{ NULL, 0, 0, NULL, NULL }
	};
	char uuid[MVGPU_UUID_LEN];
	const char *pos[1];
	mvgpu_ctx *ctx;
	struct json j;

	ret = cli_parse(cli, argc, argv, opts, pos, 1, &n);
	if (ret)
		return ret;
	if (cli->help) {
		cli_print_cmd_help(cli_find_cmd("remove"), stdout);
		return EXIT_OK;
	}
	if (n == 0)
		return cli_usage(cli, "missing UUID (see 'mvgpu list')");
	if (mvgpu_uuid_canonical(pos[0], uuid) < 0)
		return cli_bad_uuid(cli, pos[0]);
	ctx = cli_ctx(cli);
	if (!ctx)
		return EXIT_FAIL;
	ret = mvgpu_remove(ctx, uuid, force);
	switch (ret) {
	case 0:
		break;
	case -ENOENT:
		return cli_fail(cli, EXIT_FAIL, ret,
				"no vGPU %s; see 'mvgpu list'", uuid);
	case -EBUSY:
		return cli_fail(cli, EXIT_FAIL, ret,
				"vGPU %s is in use (a VFIO user has it open); stop that user first, or pass --force to wait for it",
				uuid);
	case -EBADMSG:
		return cli_fail(cli, EXIT_FAIL, ret,
				"%s; pass --force to remove it anyway (waits until any VFIO user closes it)",
				mvgpu_last_error(ctx));
	default:
		return cli_fail(cli, EXIT_FAIL, ret,
				"cannot remove vGPU %s: %s (%s)", uuid,
				mvgpu_strerror(ret), mvgpu_last_error(ctx));
	}
	if (cli->json) {
		json_init(&j, stdout);
		json_obj_begin(&j, NULL);
		json_bool(&j, "ok", 1);
		json_str(&j, "action", "remove");
		json_str(&j, "uuid", uuid);
		json_bool(&j, "forced", force);
		json_obj_end(&j);
		json_end(&j);
		cli->doc_written = 1;
	} else {
		printf("removed %s\n", uuid);
	}
	return EXIT_OK;
}
