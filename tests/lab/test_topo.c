// SPDX-License-Identifier: MIT
/*
 * `mvgpu topo` against the real module: a lab host with three PCI parents
 * (`make check-lab-topo`: one on the root bus, two behind a PCI bridge) and
 * a virtual parent; the first PCI parent is joined to the second by 2
 * links and to the third by 1.  The matrix must say NV2, NV1, PIX (the two
 * behind the bridge), SYS (the virtual parent), X; --uuid shows the
 * matrix of a VM's vGPUs, SAME for two on one parent; --json the same.
 * Skipped on a host with fewer parents (the main check-lab boot).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab.h"

static char p[3][32];

#define CLI(out, ...) lab_run((out), sizeof(out), (char *[]){ (char *)lab_cli(), __VA_ARGS__, NULL })

static void links(int a, int b, unsigned n)
{
	char path[LAB_PATH], v[64];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/mvgpu/links", p[a]);
	snprintf(v, sizeof(v), "%s %u", p[b], n);
	cr_assert_eq(lab_write_str(path, v), 0, "%s < %s", path, v);
}

static void setup(void)
{
	const char *env = getenv("MVGPU_LAB_PARENTS");

	if (!env || sscanf(env, "%31s %31s %31s", p[0], p[1], p[2]) != 3 ||
	    !lab_exists("/sys/class/mdev_bus/mvgpu0"))
		cr_skip_test("needs 3 PCI parents and mvgpu0 (make check-lab-topo)");
	lab_remove_all();
	links(0, 1, 2);
	links(0, 2, 1);
}

static void teardown(void)
{
	if (!p[2][0])
		return;
	lab_remove_all();
	links(0, 1, 0);
	links(0, 2, 0);
}

TestSuite(topo, .init = setup, .fini = teardown);

/* The index of GPU @name in the "GPUn: name" lines, or -1. */
static int gpu_index(const char *out, const char *name)
{
	char want[96];
	const char *l;

	for (int i = 0; i < 8; i++) {
		snprintf(want, sizeof(want), "\nGPU%d: %s", i, name);
		l = strstr(out, want);
		if (l && (l[strlen(want)] == '\n' || l[strlen(want)] == ' '))
			return i;
	}
	return -1;
}

/* The cell at row @r, column @c of the matrix (tab-separated, trimmed). */
static void cell(const char *out, int r, int c, char *dst, size_t len)
{
	char row[16];
	const char *l, *e;

	snprintf(row, sizeof(row), "\nGPU%d\t", r);
	l = strstr(out, row);
	cr_assert_not_null(l, "no row GPU%d in:\n%s", r, out);
	l += strlen(row);
	for (int i = 0; i < c; i++) {
		l = strchr(l, '\t');
		cr_assert_not_null(l);
		l++;
	}
	while (*l == ' ')
		l++;
	e = l + strcspn(l, "\t\n");
	while (e > l && e[-1] == ' ')
		e--;
	snprintf(dst, len, "%.*s", (int)(e - l), l);
}

static void assert_rel(const char *out, int a, int b, const char *want)
{
	char got[16];

	cell(out, a, b, got, sizeof(got));
	cr_assert_str_eq(got, want, "GPU%d-GPU%d in:\n%s", a, b, out);
	cell(out, b, a, got, sizeof(got));
	cr_assert_str_eq(got, want, "GPU%d-GPU%d in:\n%s", b, a, out);
}

Test(topo, the_host_matrix_shows_the_links_and_the_pci_tree)
{
	char out[16384];
	int g[4];

	cr_assert_eq(CLI(out, "topo"), 0, "%s", out);
	for (int i = 0; i < 3; i++) {
		g[i] = gpu_index(out, p[i]);
		cr_assert_geq(g[i], 0, "%s in:\n%s", p[i], out);
	}
	g[3] = gpu_index(out, "mvgpu0");
	cr_assert_geq(g[3], 0, "%s", out);
	assert_rel(out, g[0], g[1], "NV2");
	assert_rel(out, g[0], g[2], "NV1");
	assert_rel(out, g[1], g[2], "PIX");	/* both behind the bridge */
	for (int i = 0; i < 3; i++)
		assert_rel(out, g[i], g[3], "SYS");	/* no PCI path */
	assert_rel(out, g[0], g[0], "X");
	cr_assert_not_null(strstr(out, "CPU Affinity"), "%s", out);
	cr_assert_not_null(strstr(out, "Legend:"), "%s", out);

	cr_assert_eq(CLI(out, "--json", "topo"), 0, "%s", out);
	cr_assert_not_null(strstr(out, "\"NV2\""), "%s", out);
	cr_assert_not_null(strstr(out, "\"NV1\""), "%s", out);
	cr_assert_not_null(strstr(out, "\"PIX\""), "%s", out);
	cr_assert_not_null(strstr(out, p[1]), "%s", out);
}

Test(topo, a_vms_matrix_lists_its_vgpus)
{
	char out[16384], u[4][37], list[160], d[3][LAB_PATH];

	for (int i = 0; i < 3; i++)
		snprintf(d[i], sizeof(d[i]), "/sys/class/mdev_bus/%s", p[i]);
	cr_assert_eq(lab_create(d[0], "64M", u[0]), 0);
	cr_assert_eq(lab_create(d[1], "64M", u[1]), 0);
	cr_assert_eq(lab_create(d[2], "64M", u[2]), 0);
	cr_assert_eq(lab_create(d[1], "64M", u[3]), 0);
	snprintf(list, sizeof(list), "%s,%s,%s,%s", u[0], u[1], u[2], u[3]);
	cr_assert_eq(CLI(out, "topo", "--uuid", list), 0, "%s", out);
	assert_rel(out, 0, 1, "NV2");
	assert_rel(out, 0, 2, "NV1");
	assert_rel(out, 1, 2, "PIX");
	assert_rel(out, 1, 3, "SAME");
	assert_rel(out, 0, 3, "NV2");
	cr_assert_not_null(strstr(out, u[3]), "%s", out);
	/* a UUID that is not a vGPU here */
	cr_assert_eq(CLI(out, "topo", "--uuid", "00000000-0000-0000-0000-000000000001"), 1,
		     "%s", out);
	cr_assert_not_null(strstr(out, "00000000-0000-0000-0000-000000000001"), "%s", out);
}
