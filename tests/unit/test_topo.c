/*
 * test_topo.c - libmvgpu's topology (mvgpu.h, "Topology") against a fake
 * sysfs tree: every relation (NV1, NV2, PIX, PXB, PHB, NODE, SYS across
 * NUMA nodes and for a virtual parent, SAME), the affinities, the GPUs
 * given as vGPUs, missing and malformed files; then `mvgpu topo`'s view
 * run in this process: the whole text of one matrix, and its JSON.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "capture.h"
#include "cli.h"
#include "fake_sysfs.h"
#include "json_check.h"
#include "mvgpu.h"

FAKE_SUITE(topo);

#define has(s, sub) \
	cr_assert(strstr((s), (sub)), "missing '%s' in:\n%s", (sub), (s))

/* fake_topo_std()'s GPUs, in natural order */
static const char *const parents[] = { "0000:00:04.0", "0000:01:00.0",
	"0000:01:00.1", "0000:03:00.0", "0000:41:00.0", "0000:81:00.0",
	"mvgpu0" };
#define NP (sizeof(parents) / sizeof(parents[0]))

/* Their relations, row by row. */
static const char *const matrix[NP][NP] = {
	{ "X", "NV2", "PHB", "PHB", "SYS", "NODE", "SYS" },
	{ "NV2", "X", "PIX", "PXB", "SYS", "NODE", "SYS" },
	{ "PHB", "PIX", "X", "PXB", "SYS", "NODE", "SYS" },
	{ "PHB", "PXB", "PXB", "X", "NODE", "NODE", "SYS" },
	{ "SYS", "SYS", "SYS", "NODE", "X", "NV1", "SYS" },
	{ "NODE", "NODE", "NODE", "NODE", "NV1", "X", "SYS" },
	{ "SYS", "SYS", "SYS", "SYS", "SYS", "SYS", "X" },
};

/* @t's relations are @rel (@n x @n, row by row). */
static void assert_matrix(const mvgpu_topology *t, const char *const *rel,
			  size_t n)
{
	size_t i, j;

	cr_assert_eq(t->count, n);
	for (i = 0; i < n; i++)
		for (j = 0; j < n; j++)
			cr_assert_str_eq(mvgpu_topo_rel(t, i, j), rel[i * n + j],
					 "GPU%zu, GPU%zu: %s, expected %s", i, j,
					 mvgpu_topo_rel(t, i, j), rel[i * n + j]);
}

static void assert_gpu(const mvgpu_topo_gpu *g, const char *parent,
		       const char *uuid, const char *cpus, int numa)
{
	cr_assert_str_eq(g->parent, parent);
	cr_assert_str_eq(g->uuid, uuid);
	cr_assert_str_eq(g->cpu_affinity, cpus, "%s: '%s'", parent,
			 g->cpu_affinity);
	cr_assert_eq(g->numa_node, numa, "%s: %d", parent, g->numa_node);
}

/* ---- the parents --------------------------------------------------------- */

Test(topo, every_relation_of_the_parents)
{
	mvgpu_topology t;
	size_t i;

	fake_topo_std(F);
	cr_assert_eq(mvgpu_get_topology(C, NULL, 0, &t), 0, "%s",
		     mvgpu_last_error(C));
	cr_assert_eq(t.count, NP);	/* not the foreign 0000:00:05.0 */
	cr_assert_eq(t.skipped, 0);
	for (i = 0; i < NP; i++)
		cr_assert_str_eq(t.gpus[i].parent, parents[i]);
	assert_matrix(&t, &matrix[0][0], NP);
	cr_assert_eq(W.n, 0, "%s", W.text);
	mvgpu_topology_free(&t);
	cr_assert_null(t.gpus);
	cr_assert_eq(t.count, 0);
	mvgpu_topology_free(NULL);
}

Test(topo, affinity)
{
	mvgpu_topology t;

	fake_topo_std(F);
	cr_assert_eq(mvgpu_get_topology(C, NULL, 0, &t), 0);
	assert_gpu(&t.gpus[0], "0000:00:04.0", "", "0-3", 0);
	cr_assert_str_eq(t.gpus[0].bus_id, "0000:00:04.0");
	/* without a bus/pci/devices link: through class/mdev_bus */
	assert_gpu(&t.gpus[2], "0000:01:00.1", "", "0-3", 0);
	/* no local_cpulist, numa_node -1 */
	assert_gpu(&t.gpus[3], "0000:03:00.0", "", "", -1);
	assert_gpu(&t.gpus[4], "0000:41:00.0", "", "4-7", 1);
	/* a virtual parent: every CPU online, no node */
	assert_gpu(&t.gpus[6], "mvgpu0", "", "0-7", -1);
	cr_assert_str_eq(t.gpus[6].bus_id, "");
	mvgpu_topology_free(&t);
}

Test(topo, no_parents)
{
	mvgpu_topology t;

	cr_assert_eq(mvgpu_get_topology(C, NULL, 0, &t), 0);
	cr_assert_eq(t.count, 0);
	cr_assert_null(t.gpus);
	cr_assert_null(t.rel);
	cr_assert_str_eq(mvgpu_topo_rel(&t, 0, 0), "");
}

Test(topo, two_parents_under_one_switch_and_one_on_another_root)
{
	static const char *const rel[] = {
		"X", "PIX", "PXB",
		"PIX", "X", "PXB",
		"PXB", "PXB", "X",
	};
	mvgpu_topology t;

	/* a switch under root port 00:02.0: 10:00.0 and 10:00.1 below its
	 * downstream port 0f:01.0, 11:00.0 below 0f:02.0 */
	fake_place("0000:10:00.0", "devices/pci0000:00/0000:00:02.0/0000:0e:00.0/0000:0f:01.0/0000:10:00.0");
	fake_place("0000:10:00.1", "devices/pci0000:00/0000:00:02.0/0000:0e:00.0/0000:0f:01.0/0000:10:00.1");
	fake_place("0000:11:00.0", "devices/pci0000:00/0000:00:02.0/0000:0e:00.0/0000:0f:02.0/0000:11:00.0");
	fake_add_parent(F, "0000:10:00.0");
	fake_add_std_type(F, "0000:10:00.0", "mvgpu-64M", 64, 16, 16);
	fake_add_parent(F, "0000:10:00.1");
	fake_add_std_type(F, "0000:10:00.1", "mvgpu-64M", 64, 16, 16);
	fake_add_parent(F, "0000:11:00.0");
	fake_add_std_type(F, "0000:11:00.0", "mvgpu-64M", 64, 16, 16);
	cr_assert_eq(mvgpu_get_topology(C, NULL, 0, &t), 0);
	assert_matrix(&t, rel, 3);
	/* a module without links, a machine without NUMA files */
	cr_assert_str_eq(t.gpus[0].cpu_affinity, "");
	cr_assert_eq(t.gpus[0].numa_node, -1);
	cr_assert_eq(W.n, 0, "%s", W.text);
	mvgpu_topology_free(&t);
}

/* ---- vGPUs --------------------------------------------------------------- */

Test(topo, vgpus_in_the_order_given)
{
	static const char *const rel[] = {
		"X", "NV2", "NV2", "SYS", "SYS",
		"NV2", "X", "SAME", "SYS", "SYS",
		"NV2", "SAME", "X", "SYS", "SYS",
		"SYS", "SYS", "SYS", "X", "SYS",
		"SYS", "SYS", "SYS", "SYS", "X",
	};
	/* any case */
	const char *const uuids[] = { FT_UC, FT_UB,
		"AAAAAAAA-AAAA-4AAA-8AAA-AAAAAAAAAAAA", FT_UD, FT_UE };
	mvgpu_topology t;

	fake_topo_std(F);
	cr_assert_eq(mvgpu_get_topology(C, uuids, 5, &t), 0, "%s",
		     mvgpu_last_error(C));
	assert_matrix(&t, rel, 5);
	assert_gpu(&t.gpus[0], "0000:00:04.0", FT_UC, "0-3", 0);
	assert_gpu(&t.gpus[1], "0000:01:00.0", FT_UB, "0-3", 0);
	assert_gpu(&t.gpus[2], "0000:01:00.0", FT_UA, "0-3", 0);
	assert_gpu(&t.gpus[3], "0000:41:00.0", FT_UD, "4-7", 1);
	assert_gpu(&t.gpus[4], "mvgpu0", FT_UE, "0-7", -1);
	cr_assert_eq(W.n, 0, "%s", W.text);
	mvgpu_topology_free(&t);
}

Test(topo, vgpu_errors)
{
	const char *const unknown[] = { FT_UA,
		"44444444-4444-4444-8444-444444444444" };
	const char *const twice[] = { FT_UA, FT_UB,
		"aaaaaaaa-AAAA-4aaa-8aaa-aaaaaaaaaaaa" };
	const char *const bad[] = { "nope" };
	mvgpu_topology t;

	fake_topo_std(F);
	cr_assert_eq(mvgpu_get_topology(C, unknown, 2, &t), -ENOENT);
	cr_assert_str_eq(mvgpu_last_error(C),
			 "no vGPU 44444444-4444-4444-8444-444444444444");
	cr_assert_eq(t.count, 0);
	cr_assert_null(t.gpus);
	cr_assert_eq(mvgpu_get_topology(C, twice, 3, &t), -EINVAL);
	cr_assert_str_eq(mvgpu_last_error(C), "vGPU " FT_UA " is given twice");
	cr_assert_eq(mvgpu_get_topology(C, bad, 1, &t), -EINVAL);
	has(mvgpu_last_error(C), "invalid UUID 'nope'");
	cr_assert_eq(mvgpu_get_topology(C, NULL, 1, &t), -EINVAL);
	cr_assert_eq(mvgpu_get_topology(NULL, NULL, 0, &t), -EINVAL);
	cr_assert_eq(mvgpu_get_topology(C, NULL, 0, NULL), -EINVAL);
}

/* ---- missing and malformed files ----------------------------------------- */

Test(topo, an_older_module_has_no_links)
{
	mvgpu_topology t;

	fake_topo_std(F);
	fake_unlink(F, "devices/pci0000:00/0000:00:04.0/mvgpu/links");
	fake_unlink(F, "devices/pci0000:00/0000:00:01.0/0000:01:00.0/mvgpu/links");
	cr_assert_eq(mvgpu_get_topology(C, NULL, 0, &t), 0);
	/* what the PCI hierarchy says: both under pci0000:00, no bridge in
	 * common */
	cr_assert_str_eq(mvgpu_topo_rel(&t, 0, 1), "PHB");
	cr_assert_str_eq(mvgpu_topo_rel(&t, 1, 0), "PHB");
	cr_assert_str_eq(mvgpu_topo_rel(&t, 4, 5), "NV1");
	cr_assert_eq(W.n, 0, "%s", W.text);
	mvgpu_topology_free(&t);
}

Test(topo, one_side_of_the_links_is_enough)
{
	mvgpu_topology t;

	fake_topo_std(F);
	fake_unlink(F, "devices/pci0000:00/0000:00:04.0/mvgpu/links");
	cr_assert_eq(mvgpu_get_topology(C, NULL, 0, &t), 0);
	cr_assert_str_eq(mvgpu_topo_rel(&t, 0, 1), "NV2");
	cr_assert_str_eq(mvgpu_topo_rel(&t, 1, 0), "NV2");
	mvgpu_topology_free(&t);
}

struct bad_case {
	const char *parent;
	const char *file;	/* in the parent's device dir */
	const char *content;
	const char *why;	/* in the warning */
};

#define P1_DIR "devices/pci0000:00/0000:00:01.0/0000:01:00.0"

static const struct bad_case bad_cases[] = {
	{ "0000:01:00.0", "mvgpu/links", "0000:00:04.0\n", "line 1: expected a parent and 1 to 12 links" },
	{ "0000:01:00.0", "mvgpu/links", "0000:00:04.0 2\n\n0000:01:00.1 13\n", "line 2: expected a parent and 1 to 12 links" },
	{ "0000:01:00.0", "mvgpu/links", "0000:00:04.0 0\n", "line 1: expected a parent and 1 to 12 links" },
	{ "0000:01:00.0", "mvgpu/links", "0000:00:04.0 two\n", "expected a parent and 1 to 12 links" },
	{ "0000:01:00.0", "mvgpu/links", "0000:01:00.0 1\n", "line 1: a link to itself" },
	{ "0000:01:00.0", "mvgpu/links", "0000:00:04.0 2\n0000:00:04.0 2\n", "line 2: 0000:00:04.0 given twice" },
	{ "0000:01:00.0", "mvgpu/links", "0000:00:04.0 2\x1b\n", "unexpected byte 0x1b" },
	{ "0000:01:00.0", "local_cpulist", "0-3 please\n", "malformed: '0-3 please' (not a CPU list such as 0-3,8)" },
	{ "0000:01:00.0", "local_cpulist", "\n", "malformed: '' (not a CPU list" },
	{ "0000:01:00.0", "numa_node", "zero\n", "malformed: 'zero' (expected -1 or a node number)" },
	{ "0000:01:00.0", "numa_node", "-2\n", "expected -1 or a node number" },
};

Test(topo, malformed_files_are_reported_not_fatal)
{
	const struct bad_case *c;
	mvgpu_topology t;
	char path[PATH_MAX], msg[PATH_MAX];
	size_t i;

	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		c = &bad_cases[i];
		teardown();	/* a new tree and context for each case */
		setup();
		fake_topo_std(F);
		snprintf(path, sizeof(path), P1_DIR "/%s", c->file);
		fake_write(F, path, c->content);
		cr_assert_eq(mvgpu_get_topology(C, NULL, 0, &t), 0, "%s",
			     c->content);
		cr_assert_eq(W.n, 1, "%s: %s", c->content, W.text);
		has(W.text, "parent 0000:01:00.0: ");
		snprintf(msg, sizeof(msg), "/%s: ", c->file);
		has(W.text, msg);
		has(W.text, c->why);
		/* left out: no links (the other side's stay), no affinity */
		if (!strcmp(c->file, "mvgpu/links"))
			cr_assert_str_eq(mvgpu_topo_rel(&t, 1, 0), "NV2");
		else if (!strcmp(c->file, "numa_node"))
			cr_assert_eq(t.gpus[1].numa_node, -1);
		else
			cr_assert_str_eq(t.gpus[1].cpu_affinity, "");
		mvgpu_topology_free(&t);
	}
}

Test(topo, both_sides_malformed_or_disagreeing)
{
	mvgpu_topology t;

	fake_topo_std(F);
	fake_parent_file(F, "0000:41:00.0", "links", "0000:81:00.0 3\n");
	fake_parent_file(F, "0000:00:04.0", "links", "rubbish\n");
	fake_parent_file(F, "0000:01:00.0", "links", "rubbish\n");
	cr_assert_eq(mvgpu_get_topology(C, NULL, 0, &t), 0);
	cr_assert_eq(W.n, 3, "%s", W.text);
	has(W.text, "parents 0000:41:00.0 and 0000:81:00.0: their links files disagree (3 and 1 links): taking 1\n");
	cr_assert_str_eq(mvgpu_topo_rel(&t, 4, 5), "NV1");
	cr_assert_str_eq(mvgpu_topo_rel(&t, 5, 4), "NV1");
	/* neither side: the PCI hierarchy */
	cr_assert_str_eq(mvgpu_topo_rel(&t, 0, 1), "PHB");
	mvgpu_topology_free(&t);
}

Test(topo, a_pci_parent_in_an_unexpected_place_is_sys)
{
	mvgpu_topology t;

	fake_topo_std(F);
	fake_unlink(F, "bus/pci/devices/0000:00:04.0");
	fake_symlink(F, "../../../devices/virtual/mvgpu/mvgpu0",
		     "bus/pci/devices/0000:00:04.0");
	cr_assert_eq(mvgpu_get_topology(C, NULL, 0, &t), 0);
	cr_assert_eq(W.n, 1, "%s", W.text);
	has(W.text, "parent 0000:00:04.0: ");
	has(W.text, "/bus/pci/devices/0000:00:04.0 -> '/devices/virtual/mvgpu/mvgpu0': ");
	has(W.text, "not a PCI device's path, so its relations are SYS");
	cr_assert_str_eq(mvgpu_topo_rel(&t, 0, 2), "SYS");
	/* links still count */
	cr_assert_str_eq(mvgpu_topo_rel(&t, 0, 1), "NV2");
	mvgpu_topology_free(&t);
}

/* ---- `mvgpu topo`'s view, in this process -------------------------------- */

struct topo_args {
	struct cli *cli;
	const char *const *uuids;
	size_t n;
};

static int topo_view(void *arg)
{
	struct topo_args *a = arg;

	return topo_show(a->cli, a->uuids, a->n);
}

/* stderr of the last run_topo() */
static char *Err;

/* `mvgpu topo` (of @uuids if @n) on the suite's context; its stdout. */
static char *run_topo(int json, const char *const *uuids, size_t n,
		      int *code)
{
	struct cli cli = { .cmd = "topo", .json = json, .ctx = C };
	struct topo_args a = { &cli, uuids, n };
	char *out;

	free(Err);
	out = capture(topo_view, &a, code, &Err);
	return out;
}

static const char text[] =
	"\tGPU0\tGPU1\tGPU2\tGPU3\tGPU4\tGPU5\tGPU6\tCPU Affinity\tNUMA Affinity\n"
	"GPU0\t X \tNV2\tPHB\tPHB\tSYS\tNODE\tSYS\t0-3\t0\n"
	"GPU1\tNV2\t X \tPIX\tPXB\tSYS\tNODE\tSYS\t0-3\t0\n"
	"GPU2\tPHB\tPIX\t X \tPXB\tSYS\tNODE\tSYS\t0-3\t0\n"
	"GPU3\tPHB\tPXB\tPXB\t X \tNODE\tNODE\tSYS\tN/A\tN/A\n"
	"GPU4\tSYS\tSYS\tSYS\tNODE\t X \tNV1\tSYS\t4-7\t1\n"
	"GPU5\tNODE\tNODE\tNODE\tNODE\tNV1\t X \tSYS\t0-3\t0\n"
	"GPU6\tSYS\tSYS\tSYS\tSYS\tSYS\tSYS\t X \t0-7\tN/A\n"
	"\n"
	"GPU0: 0000:00:04.0\n"
	"GPU1: 0000:01:00.0\n"
	"GPU2: 0000:01:00.1\n"
	"GPU3: 0000:03:00.0\n"
	"GPU4: 0000:41:00.0\n"
	"GPU5: 0000:81:00.0\n"
	"GPU6: mvgpu0\n"
	"\n"
	"Legend:\n"
	"\n"
	"  X    = Self\n"
	"  SYS  = Connection traversing PCIe as well as the SMP interconnect between NUMA nodes, or a virtual GPU (mvgpuN, not on PCI)\n"
	"  NODE = Connection traversing PCIe as well as the interconnect between PCIe Host Bridges within a NUMA node\n"
	"  PHB  = Connection traversing PCIe as well as a PCIe Host Bridge (typically the CPU)\n"
	"  PXB  = Connection traversing multiple PCIe bridges (without traversing the PCIe Host Bridge)\n"
	"  PIX  = Connection traversing at most a single PCIe bridge\n"
	"  NV#  = Connection traversing a bonded set of # mvgpu links\n"
	"  SAME = vGPUs of the same GPU (no peer-to-peer between them)\n";

/* The matrix of FT_UA, FT_UB and FT_UE, before the legend. */
static const char vgpu_text[] =
	"\tGPU0\tGPU1\tGPU2\tCPU Affinity\tNUMA Affinity\n"
	"GPU0\t X \tSAME\tSYS\t0-3\t0\n"
	"GPU1\tSAME\t X \tSYS\t0-3\t0\n"
	"GPU2\tSYS\tSYS\t X \t0-7\tN/A\n"
	"\n"
	"GPU0: " FT_UA " on 0000:01:00.0\n"
	"GPU1: " FT_UB " on 0000:01:00.0\n"
	"GPU2: " FT_UE " on mvgpu0\n"
	"\n"
	"Legend:\n";

Test(topo, view_text)
{
	const char *const uuids[] = { FT_UA, FT_UB, FT_UE };
	char *out;
	int code;

	fake_topo_std(F);
	out = run_topo(0, NULL, 0, &code);
	cr_assert_eq(code, 0, "%s", Err);
	cr_assert_str_eq(out, text);
	cr_assert_str_eq(Err, "");
	free(out);

	out = run_topo(0, uuids, 3, &code);
	cr_assert_eq(code, 0, "%s", Err);
	cr_assert_eq(strncmp(out, vgpu_text, strlen(vgpu_text)), 0, "%s", out);
	/* the same legend */
	cr_assert_str_eq(out + strlen(vgpu_text),
			 strstr(text, "\nLegend:\n") + strlen("\nLegend:\n"));
	free(out);
}

Test(topo, view_json)
{
	const char *const uuids[] = { FT_UD, FT_UC };
	char *out;
	int code;

	fake_topo_std(F);
	fake_write(F, P1_DIR "/numa_node", "x\n");
	out = run_topo(1, NULL, 0, &code);
	cr_assert_eq(code, 0, "%s", Err);
	cr_assert(json_valid(out, strlen(out)), "%s", out);
	has(out, "{\n  \"ok\": true,\n  \"gpus\": [\n"
		 "    {\n"
		 "      \"name\": \"GPU0\",\n"
		 "      \"parent\": \"0000:00:04.0\",\n"
		 "      \"cpu_affinity\": \"0-3\",\n"
		 "      \"numa_node\": 0\n"
		 "    },\n");
	has(out, "      \"name\": \"GPU3\",\n"
		 "      \"parent\": \"0000:03:00.0\",\n"
		 "      \"cpu_affinity\": null,\n"
		 "      \"numa_node\": -1\n");
	has(out, "      \"parent\": \"mvgpu0\",\n"
		 "      \"cpu_affinity\": \"0-7\",\n"
		 "      \"numa_node\": -1\n");
	cr_assert_null(strstr(out, "\"uuid\""), "%s", out);
	has(out, "  \"matrix\": [\n"
		 "    [\n"
		 "      \"X\",\n"
		 "      \"NV2\",\n"
		 "      \"PHB\",\n"
		 "      \"PHB\",\n"
		 "      \"SYS\",\n"
		 "      \"NODE\",\n"
		 "      \"SYS\"\n"
		 "    ],\n");
	has(out, "      \"SYS\",\n"
		 "      \"X\"\n"
		 "    ]\n"
		 "  ],\n"
		 "  \"warnings\": [\n"
		 "    \"parent 0000:01:00.0: ");
	has(out, "numa_node: malformed: 'x' (expected -1 or a node number)\"\n  ]\n}\n");
	has(Err, "mvgpu: warning: parent 0000:01:00.0: ");
	free(out);

	out = run_topo(1, uuids, 2, &code);
	cr_assert_eq(code, 0, "%s", Err);
	cr_assert(json_valid(out, strlen(out)), "%s", out);
	has(out, "      \"name\": \"GPU0\",\n"
		 "      \"parent\": \"0000:41:00.0\",\n"
		 "      \"uuid\": \"" FT_UD "\",\n"
		 "      \"cpu_affinity\": \"4-7\",\n"
		 "      \"numa_node\": 1\n");
	has(out, "\"uuid\": \"" FT_UC "\"");
	has(out, "  \"matrix\": [\n"
		 "    [\n"
		 "      \"X\",\n"
		 "      \"SYS\"\n"
		 "    ],\n"
		 "    [\n"
		 "      \"SYS\",\n"
		 "      \"X\"\n"
		 "    ]\n"
		 "  ],\n"
		 "  \"warnings\": []\n}\n");
	free(out);
}

Test(topo, view_failures)
{
	const char *const unknown[] = { "44444444-4444-4444-8444-444444444444" };
	const char *const twice[] = { FT_UA, FT_UA };
	char *out;
	int code;

	out = run_topo(0, NULL, 0, &code);
	cr_assert_eq(code, EXIT_FAIL);
	cr_assert_str_eq(out, "");
	cr_assert_str_eq(Err, "mvgpu: " MSG_NO_PARENTS "\n");
	free(out);
	out = run_topo(1, NULL, 0, &code);
	cr_assert_eq(code, EXIT_FAIL);
	cr_assert(json_valid(out, strlen(out)), "%s", out);
	has(out, "\"errno\": \"ENODEV\"");
	has(out, "\"message\": \"no mvgpu parents: is the mvgpu module loaded?");
	free(out);

	fake_topo_std(F);
	out = run_topo(0, unknown, 1, &code);
	cr_assert_eq(code, EXIT_FAIL);
	cr_assert_str_eq(Err, "mvgpu: no vGPU 44444444-4444-4444-8444-444444444444; see 'mvgpu list'\n");
	free(out);
	out = run_topo(0, twice, 2, &code);
	cr_assert_eq(code, EXIT_USAGE);
	cr_assert_str_eq(Err, "mvgpu: topo: vGPU " FT_UA " is given twice; see 'mvgpu help topo'\n");
	free(out);
	free(Err);
	Err = NULL;
}
