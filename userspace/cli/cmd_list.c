/*
 * cmd_list.c - `mvgpu list`.
 */
#include <errno.h>
#include <stdio.h>

#include "cli.h"
#include "output.h"

static void print_json(const mvgpu_vgpu_list *l)
{
	struct json j;
	size_t i;

	json_init(&j, stdout);
	json_obj_begin(&j, NULL);
	json_bool(&j, "ok", 1);
	json_arr_begin(&j, "vgpus");
	for (i = 0; i < l->count; i++) {
		const mvgpu_vgpu_info *v = &l->items[i];

		json_obj_begin(&j, NULL);
		json_str(&j, "uuid", v->uuid);
		json_str(&j, "parent", v->parent);
		json_str(&j, "type", v->type_id);
		if (v->iommu_group >= 0)
			json_int(&j, "iommu_group", v->iommu_group);
		else
			json_null(&j, "iommu_group");
		if (v->in_use >= 0)
			json_bool(&j, "in_use", v->in_use);
		else
			json_null(&j, "in_use");
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_u64(&j, "skipped", l->skipped);
	json_obj_end(&j);
	json_end(&j);
}

static int print_table(const mvgpu_vgpu_list *l)
{
	static const char *const hdr[] = { "UUID", "PARENT", "TYPE",
		"IOMMU_GROUP", "IN_USE" };
	struct table t;
	char group[16];
	size_t i;

	table_init(&t, 5, hdr);
	for (i = 0; i < l->count; i++) {
		const mvgpu_vgpu_info *v = &l->items[i];
		const char *row[5];

		if (v->iommu_group >= 0)
			snprintf(group, sizeof(group), "%d", v->iommu_group);
		else
			snprintf(group, sizeof(group), "-");
		row[0] = v->uuid;
		row[1] = v->parent;
		row[2] = v->type_id;
		row[3] = group;
		row[4] = v->in_use > 0 ? "yes" : v->in_use == 0 ? "no" : "?";
		table_add(&t, row);
	}
	return table_end(&t, stdout);
}

int cmd_list(struct cli *cli, int argc, char **argv)
{
	mvgpu_vgpu_list l;
	mvgpu_ctx *ctx;
	int ret;

	ret = cli_parse(cli, argc, argv, NULL, NULL, 0, NULL);
	if (ret)
		return ret;
	if (cli->help) {
		cli_print_cmd_help(cli_find_cmd("list"), stdout);
		return EXIT_OK;
	}
	ctx = cli_ctx(cli);
	if (!ctx)
		return EXIT_FAIL;
	ret = mvgpu_list_vgpus(ctx, &l);
	if (ret < 0)
		return cli_fail(cli, EXIT_FAIL, ret, "cannot list vGPUs: %s (%s)",
				mvgpu_strerror(ret), mvgpu_last_error(ctx));
	if (cli->json) {
		print_json(&l);
		cli->doc_written = 1;
	} else if (l.count == 0) {
		printf("no vGPUs; create one with 'mvgpu create --type TYPE' (types: 'mvgpu types')\n");
	} else {
		ret = print_table(&l);
	}
	mvgpu_vgpu_list_free(&l);
	if (ret < 0)
		return cli_fail(cli, EXIT_FAIL, ret, "out of memory");
	return EXIT_OK;
}
