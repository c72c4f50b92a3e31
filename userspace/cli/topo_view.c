/*
 * topo_view.c - `mvgpu topo`: how the GPUs are connected, printed as
 * nvidia-smi topo -m prints it (docs/topo.md): the matrix with each GPU's
 * CPU and NUMA affinity, what each GPU is, the legend; or one JSON
 * document.
 *
 * The GPUs are the parents, or the vGPUs given (each on its parent); the
 * relations and affinities are libmvgpu's (mvgpu.h, "Topology").
 */
#include <errno.h>
#include <stdio.h>

#include "cli.h"
#include "output.h"

#define NA "N/A"	/* nvidia-smi's word for no affinity */

/* nvidia-smi's legend, in its order and words, for mvgpu. */
static const char *const legend[][2] = {
	{ "X", "Self" },
	{ "SYS", "Connection traversing PCIe as well as the SMP interconnect between NUMA nodes, or a virtual GPU (mvgpuN, not on PCI)" },
	{ "NODE", "Connection traversing PCIe as well as the interconnect between PCIe Host Bridges within a NUMA node" },
	{ "PHB", "Connection traversing PCIe as well as a PCIe Host Bridge (typically the CPU)" },
	{ "PXB", "Connection traversing multiple PCIe bridges (without traversing the PCIe Host Bridge)" },
	{ "PIX", "Connection traversing at most a single PCIe bridge" },
	{ "NV#", "Connection traversing a bonded set of # mvgpu links" },
	{ "SAME", "vGPUs of the same GPU (no peer-to-peer between them)" },
};

static void print_text(const mvgpu_topology *t, int by_uuid)
{
	const mvgpu_topo_gpu *g;
	size_t i, j;

	for (i = 0; i < t->count; i++)
		printf("\tGPU%zu", i);
	printf("\tCPU Affinity\tNUMA Affinity\n");
	for (i = 0; i < t->count; i++) {
		g = &t->gpus[i];
		printf("GPU%zu", i);
		for (j = 0; j < t->count; j++)
			printf("\t%s", i == j ? " X " : mvgpu_topo_rel(t, i, j));
		printf("\t%s", g->cpu_affinity[0] ? g->cpu_affinity : NA);
		if (g->numa_node >= 0)
			printf("\t%d\n", g->numa_node);
		else
			printf("\t" NA "\n");
	}
	putchar('\n');
	for (i = 0; i < t->count; i++) {
		g = &t->gpus[i];
		if (by_uuid)
			printf("GPU%zu: %s on %s\n", i, g->uuid, g->parent);
		else
			printf("GPU%zu: %s\n", i, g->parent);
	}
	printf("\nLegend:\n\n");
	for (i = 0; i < sizeof(legend) / sizeof(legend[0]); i++)
		printf("  %-4s = %s\n", legend[i][0], legend[i][1]);
}

static void print_json(const mvgpu_topology *t, int by_uuid,
		       const struct cli_warnings *w)
{
	const mvgpu_topo_gpu *g;
	struct json j;
	char name[32];
	size_t a, b;

	json_init(&j, stdout);
	json_obj_begin(&j, NULL);
	json_bool(&j, "ok", 1);
	json_arr_begin(&j, "gpus");
	for (a = 0; a < t->count; a++) {
		g = &t->gpus[a];
		snprintf(name, sizeof(name), "GPU%zu", a);
		json_obj_begin(&j, NULL);
		json_str(&j, "name", name);
		json_str(&j, "parent", g->parent);
		if (by_uuid)
			json_str(&j, "uuid", g->uuid);
		json_str(&j, "cpu_affinity",
			 g->cpu_affinity[0] ? g->cpu_affinity : NULL);
		json_int(&j, "numa_node", g->numa_node);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_arr_begin(&j, "matrix");
	for (a = 0; a < t->count; a++) {
		json_arr_begin(&j, NULL);
		for (b = 0; b < t->count; b++)
			json_str(&j, NULL, mvgpu_topo_rel(t, a, b));
		json_arr_end(&j);
	}
	json_arr_end(&j);
	cli_json_warnings(&j, w);
	json_obj_end(&j);
	json_end(&j);
}

/* mvgpu_get_topology() returned @ret < 0, or no GPU: say why.  @return
 * the exit code. */
static int failed(struct cli *cli, mvgpu_ctx *ctx, int ret)
{
	if (ret == -EINVAL)
		return cli_usage(cli, "%s", mvgpu_last_error(ctx));
	if (ret == -ENOENT)
		return cli_fail(cli, EXIT_FAIL, ret, "%s; see 'mvgpu list'",
				mvgpu_last_error(ctx));
	if (ret < 0)
		return cli_fail(cli, EXIT_FAIL, ret,
				"cannot read the topology: %s (%s)",
				mvgpu_strerror(ret), mvgpu_last_error(ctx));
	return cli_fail(cli, EXIT_FAIL, -ENODEV, MSG_NO_PARENTS);
}

int topo_show(struct cli *cli, const char *const *uuids, size_t n)
{
	mvgpu_topology t = { 0 };
	struct cli_warnings w = { 0 };
	mvgpu_ctx *ctx;
	int ret;

	ctx = cli_ctx(cli);
	if (!ctx)
		return EXIT_FAIL;
	cli_warnings_keep(ctx, &w);
	ret = mvgpu_get_topology(ctx, uuids, n, &t);
	if (ret < 0 || !t.count) {
		ret = failed(cli, ctx, ret);
		goto out;
	}
	if (cli->json) {
		print_json(&t, n > 0, &w);
		cli->doc_written = 1;
	} else {
		print_text(&t, n > 0);
	}
	ret = EXIT_OK;
out:
	cli_warnings_end(ctx, &w);
	mvgpu_topology_free(&t);
	return ret;
}
