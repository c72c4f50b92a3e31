/*
 * cmd_types.c - `mvgpu types [--parent PARENT]`.
 */
#include <errno.h>
#include <stdio.h>

#include "cli.h"
#include "output.h"

static void print_json(const mvgpu_type_list *l)
{
	struct json j;
	size_t i;

	json_init(&j, stdout);
	json_obj_begin(&j, NULL);
	json_bool(&j, "ok", 1);
	json_arr_begin(&j, "types");
	for (i = 0; i < l->count; i++) {
		const mvgpu_type_info *t = &l->items[i];

		json_obj_begin(&j, NULL);
		json_str(&j, "parent", t->parent);
		json_str(&j, "type", t->type_id);
		json_str(&j, "name", t->name);
		json_u64(&j, "framebuffer", t->framebuffer);
		json_u64(&j, "num_heads", t->num_heads);
		json_u64(&j, "frl_config", t->frl_config);
		json_obj_begin(&j, "max_resolution");
		json_u64(&j, "width", t->max_width);
		json_u64(&j, "height", t->max_height);
		json_obj_end(&j);
		json_u64(&j, "max_instance", t->max_instance);
		json_u64(&j, "available_instances", t->available_instances);
		json_str(&j, "device_api", t->device_api);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_u64(&j, "skipped", l->skipped);
	json_obj_end(&j);
	json_end(&j);
}

static int print_table(const mvgpu_type_list *l)
{
	static const char *const hdr[] = { "PARENT", "TYPE", "NAME",
		"FRAMEBUFFER", "HEADS", "MAX_RESOLUTION", "AVAILABLE/MAX" };
	char fb[32], heads[16], res[32], avail[32];
	struct table t;
	size_t i;

	table_init(&t, 7, hdr);
	for (i = 0; i < l->count; i++) {
		const mvgpu_type_info *ti = &l->items[i];
		const char *row[7];

		format_size(ti->framebuffer, fb, sizeof(fb));
		snprintf(heads, sizeof(heads), "%u", ti->num_heads);
		if (ti->max_width && ti->max_height)
			snprintf(res, sizeof(res), "%ux%u", ti->max_width,
				 ti->max_height);
		else
			snprintf(res, sizeof(res), "-");
		if (ti->max_instance)
			snprintf(avail, sizeof(avail), "%u/%u",
				 ti->available_instances, ti->max_instance);
		else
			snprintf(avail, sizeof(avail), "%u/-",
				 ti->available_instances);
		row[0] = ti->parent;
		row[1] = ti->type_id;
		row[2] = ti->name;
		row[3] = fb;
		row[4] = heads;
		row[5] = res;
		row[6] = avail;
		table_add(&t, row);
	}
	return table_end(&t, stdout);
}

int cmd_types(struct cli *cli, int argc, char **argv)
{
	const char *parent = NULL;
	const struct cli_opt opts[] = {
		{ "parent", 'p', 1, &parent, NULL },
		{ NULL, 0, 0, NULL, NULL }
	};
	char known[512];
	mvgpu_type_list l;
	mvgpu_ctx *ctx;
	int ret;

	ret = cli_parse(cli, argc, argv, opts, NULL, 0, NULL);
	if (ret)
		return ret;
	if (cli->help) {
		cli_print_cmd_help(cli_find_cmd("types"), stdout);
		return EXIT_OK;
	}
	ctx = cli_ctx(cli);
	if (!ctx)
		return EXIT_FAIL;
	ret = mvgpu_list_types(ctx, parent, &l);
	if (ret == -EINVAL)
		return cli_usage(cli, "invalid parent name '%s'", parent);
	if (ret == -ENODEV) {
		cli_known_parents(cli, known, sizeof(known));
		if (!*known)
			return cli_fail(cli, EXIT_FAIL, ret,
					"no mvgpu parent '%s'; " MSG_NO_TYPES,
					parent);
		return cli_fail(cli, EXIT_FAIL, ret,
				"no mvgpu parent '%s'; known parents: %s",
				parent, known);
	}
	if (ret < 0)
		return cli_fail(cli, EXIT_FAIL, ret,
				"cannot list vGPU types: %s (%s)",
				mvgpu_strerror(ret), mvgpu_last_error(ctx));
	if (l.count == 0) {
		size_t skipped = l.skipped;

		mvgpu_type_list_free(&l);
		if (skipped)
			return cli_fail(cli, EXIT_FAIL, -EBADMSG,
					"no usable vGPU types: %zu malformed type(s) skipped (see the warnings above); does the mvgpu module match this tool (mvgpu %s)?",
					skipped, mvgpu_version_string());
		return cli_fail(cli, EXIT_FAIL, -ENODEV, MSG_NO_TYPES);
	}
	if (cli->json) {
		print_json(&l);
		cli->doc_written = 1;
		ret = 0;
	} else {
		ret = print_table(&l);
	}
	mvgpu_type_list_free(&l);
	if (ret < 0)
		return cli_fail(cli, EXIT_FAIL, ret, "out of memory");
	return EXIT_OK;
}
