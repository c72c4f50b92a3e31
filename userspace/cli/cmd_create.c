/*
 * cmd_create.c - `mvgpu create --type TYPE [--uuid UUID] [--parent PARENT]`.
 */
#include <errno.h>
#include <stdio.h>

#include "cli.h"
#include "output.h"

static void print_json(const mvgpu_vgpu_info *v)
{
	struct json j;

	json_init(&j, stdout);
	json_obj_begin(&j, NULL);
	json_bool(&j, "ok", 1);
	json_str(&j, "action", "create");
	json_obj_begin(&j, "vgpu");
	json_str(&j, "uuid", v->uuid);
	json_str(&j, "parent", v->parent);
	json_str(&j, "type", v->type_id);
	if (v->iommu_group >= 0)
		json_int(&j, "iommu_group", v->iommu_group);
	else
		json_null(&j, "iommu_group");
	json_obj_end(&j);
	json_obj_end(&j);
	json_end(&j);
}

static int report(struct cli *cli, int ret, const char *type,
		  const char *parent, const char *uuid)
{
	const char *detail = mvgpu_last_error(cli->ctx);
	char known[512];

	switch (ret) {
	case -EINVAL:
		return cli_usage(cli, "%s", detail);
	case -ENOENT:
		if (parent) {
			cli_known_types(cli, parent, known, sizeof(known));
			return cli_fail(cli, EXIT_FAIL, ret,
					"parent %s has no vGPU type '%s'; its types: %s",
					parent, type, *known ? known : "none");
		}
		cli_known_types(cli, NULL, known, sizeof(known));
		if (!*known)
			return cli_fail(cli, EXIT_FAIL, ret, MSG_NO_TYPES);
		return cli_fail(cli, EXIT_FAIL, ret,
				"unknown vGPU type '%s'; known types: %s (see 'mvgpu types')",
				type, known);
	case -ENODEV:
		if (!parent)
			return cli_fail(cli, EXIT_FAIL, ret,
					"cannot create vGPU: the parent device went away (%s)",
					detail);
		cli_known_parents(cli, known, sizeof(known));
		if (!*known)
			return cli_fail(cli, EXIT_FAIL, ret,
					"no mvgpu parent '%s'; " MSG_NO_TYPES,
					parent);
		return cli_fail(cli, EXIT_FAIL, ret,
				"no mvgpu parent '%s'; known parents: %s",
				parent, known);
	case -ENOSPC:
		if (parent)
			return cli_fail(cli, EXIT_FAIL, ret,
					"type %s has no free instance on parent %s (framebuffer pool exhausted); remove a vGPU, choose a smaller type, or omit --parent",
					type, parent);
		return cli_fail(cli, EXIT_FAIL, ret,
				"type %s has no free instance on any parent (framebuffer pool exhausted); remove a vGPU or choose a smaller type",
				type);
	case -EEXIST:
		return cli_fail(cli, EXIT_FAIL, ret,
				"a vGPU with UUID %s already exists; choose another UUID, or omit --uuid to generate one",
				uuid ? uuid : "?");
	case -EBADMSG:
	case -EOVERFLOW:
		return cli_fail(cli, EXIT_FAIL, ret,
				"cannot create vGPU: malformed sysfs content (%s); does the mvgpu module match this tool?",
				detail);
	default:
		return cli_fail(cli, EXIT_FAIL, ret,
				"cannot create vGPU of type %s: %s (%s)", type,
				mvgpu_strerror(ret), detail);
	}
}

int cmd_create(struct cli *cli, int argc, char **argv)
{
	const char *type = NULL, *uuid = NULL, *parent = NULL;
	const struct cli_opt opts[] = {
		{ "type", 't', 1, &type, NULL },
		{ "uuid", 'u', 1, &uuid, NULL },
		{ "parent", 'p', 1, &parent, NULL },
		{ NULL, 0, 0, NULL, NULL }
	};
	char canon[MVGPU_UUID_LEN], known[512];
	mvgpu_vgpu_info v;
	mvgpu_ctx *ctx;
	int ret;

	ret = cli_parse(cli, argc, argv, opts, NULL, 0, NULL);
	if (ret)
		return ret;
	if (cli->help) {
		cli_print_cmd_help(cli_find_cmd("create"), stdout);
		return EXIT_OK;
	}
	if (uuid && mvgpu_uuid_canonical(uuid, canon) < 0)
		return cli_usage(cli,
				 "invalid UUID '%s': expected 8-4-4-4-12 hex digits such as 123e4567-e89b-12d3-a456-426614174000 (or omit --uuid to generate one)",
				 uuid);
	ctx = cli_ctx(cli);
	if (!ctx)
		return EXIT_FAIL;
	if (!type || !*type) {
		cli_known_types(cli, NULL, known, sizeof(known));
		if (!*known)
			return cli_usage(cli, "--type TYPE is required (see 'mvgpu types')");
		return cli_usage(cli, "--type TYPE is required; known types: %s",
				 known);
	}
	ret = mvgpu_create(ctx, type, parent, uuid ? canon : NULL, &v);
	if (ret < 0)
		return report(cli, ret, type, parent, uuid ? canon : NULL);
	if (cli->json) {
		print_json(&v);
		cli->doc_written = 1;
	} else {
		printf("%s\n", v.uuid);
	}
	return EXIT_OK;
}
