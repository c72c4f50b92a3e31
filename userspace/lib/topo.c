/*
 * topo.c - how the GPUs are connected, as nvidia-smi topo -m shows it
 * (mvgpu.h, "Topology"): for each pair of GPUs, their emulated links,
 * else where they sit in the PCI hierarchy and in which NUMA nodes; and
 * each GPU's CPU and NUMA affinity.
 *
 * Every file read here is optional, as status.c's are: a missing one (a
 * module without links, a machine without NUMA) is no error, a malformed
 * one is left out with a warning naming it.  Only identity (a vGPU that
 * is not there) and memory failures fail the call.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MDEV_BUS     "/class/mdev_bus"
#define PCI_DEVICES  "/bus/pci/devices"
#define CPU_ONLINE   "/devices/system/cpu/online"
#define LINKS_MAX    MVGPU_MAX_LINKS	/* links between two parents */
#define NUMA_MAX     65535
#define DEPTH_MAX    32		/* PCI root, bridges, the device */
#define WHY_MAX      128

/* A parent, as the matrix needs it. */
struct node {
	char name[MVGPU_ID_MAX];
	char bus_id[MVGPU_BUS_ID_MAX];	/* "": not on PCI */
	/* its PCI device's real path from its PCI root on,
	 * "pci0000:00/0000:00:02.0/0000:01:00.0"; "": not placed */
	char where[PATH_MAX];
	char cpus[MVGPU_CPULIST_MAX];	/* "": unknown */
	int numa;			/* -1: none or unknown */
};

/* The file of parent @n is unusable (ctx->err says why): warn. */
static void warn_bad(mvgpu_ctx *ctx, const struct node *n)
{
	mvgpu__warn(ctx, "parent %s: %s", n->name, ctx->err);
}

/* ---- where a PCI parent sits -------------------------------------------- */

/* Split @where, copied to @copy (PATH_MAX bytes), at '/' into @part
 * (DEPTH_MAX): the PCI root, the bridges, the device.  @return how many
 * parts (at most DEPTH_MAX + 1: too deep). */
static size_t split(const char *where, char *copy, char **part)
{
	char *save = NULL, *p;
	size_t n = 0;

	strcpy(copy, where);
	for (p = strtok_r(copy, "/", &save); p; p = strtok_r(NULL, "/", &save)) {
		if (n == DEPTH_MAX)
			return n + 1;
		part[n++] = p;
	}
	return n;
}

/* 1 if @where is a PCI root ("pci" and its domain:bus), then PCI
 * functions down to @bus_id. */
static int pci_path(const char *where, const char *bus_id)
{
	char copy[PATH_MAX], *part[DEPTH_MAX];
	size_t n = split(where, copy, part), i;

	if (n < 2 || n > DEPTH_MAX || !strchr(part[0], ':') ||
	    strcmp(part[n - 1], bus_id))
		return 0;
	for (i = 1; i < n; i++)
		if (!mvgpu__is_pci_name(part[i]))
			return 0;
	return 1;
}

/* PCI parent @n's device: its sysfs dir into @dir (PATH_MAX bytes), the
 * bus's link to it or else its class/mdev_bus link; where it sits into
 * n->where, from the real path of that dir below @root (the real sysfs
 * root, "" for "/").  @return 0, or -1 (no dir). */
static int place(mvgpu_ctx *ctx, const char *root, struct node *n, char *dir)
{
	size_t rlen = strlen(root);
	char *real, *p, q[128];
	int err;

	if (mvgpu__path(ctx, dir, PATH_MAX, PCI_DEVICES "/%s", n->bus_id) < 0)
		return -1;
	if (mvgpu__exists(dir) != 1 &&
	    mvgpu__path(ctx, dir, PATH_MAX, MDEV_BUS "/%s", n->name) < 0)
		return -1;
	real = realpath(dir, NULL);
	if (!real) {
		err = errno;
		mvgpu__err(ctx, -err, "%s: %s", dir, strerror(err));
		warn_bad(ctx, n);
		return 0;
	}
	/* the first "/pci<domain>:<bus>" below <root>/devices/ */
	p = NULL;
	if (!strncmp(real, root, rlen) && !strncmp(real + rlen, "/devices/", 9))
		for (p = real + rlen + 8; p && strncmp(p, "/pci", 4);
		     p = strchr(p + 1, '/'))
			;
	if (p && strlen(p + 1) < sizeof(n->where) &&
	    pci_path(p + 1, n->bus_id)) {
		strcpy(n->where, p + 1);
	} else {
		mvgpu__quote(q, sizeof(q), strncmp(real, root, rlen) ? real :
					   real + rlen);
		mvgpu__err(ctx, -EBADMSG,
			   "%s -> '%s': not a PCI device's path, so its relations are SYS",
			   dir, q);
		warn_bad(ctx, n);
	}
	free(real);
	return 0;
}

/* ---- affinity ----------------------------------------------------------- */

/* The CPU list file @path into n->cpus ("" when missing or malformed). */
static void read_cpus(mvgpu_ctx *ctx, struct node *n, const char *path)
{
	int ret;

	ret = mvgpu__read_opt(ctx, path, n->cpus, sizeof(n->cpus), 0);
	if (ret > 0 && (!n->cpus[0] ||
			n->cpus[strspn(n->cpus, "0123456789,-")]))
		ret = mvgpu__malformed(ctx, path, n->cpus,
				       "not a CPU list such as 0-3,8");
	if (ret <= 0)
		n->cpus[0] = '\0';
	if (ret < 0)
		warn_bad(ctx, n);
}

/* The NUMA node file @path into n->numa (-1 when missing or malformed). */
static void read_numa(mvgpu_ctx *ctx, struct node *n, const char *path)
{
	char buf[64];
	uint64_t v;
	int ret;

	n->numa = -1;
	ret = mvgpu__read_opt(ctx, path, buf, sizeof(buf), 0);
	if (ret <= 0 || !strcmp(buf, "-1")) {
		if (ret < 0)
			warn_bad(ctx, n);
		return;
	}
	if (mvgpu__parse_u64(buf, NUMA_MAX, &v) < 0) {
		mvgpu__malformed(ctx, path, buf, "expected -1 or a node number");
		warn_bad(ctx, n);
		return;
	}
	n->numa = (int)v;
}

/* Everything of @n but its links: its bus id, where it sits, its CPU
 * and NUMA affinity.  @root: as place()'s, or NULL (unknown). */
static void describe(mvgpu_ctx *ctx, const char *root, struct node *n)
{
	char dir[PATH_MAX], path[PATH_MAX];

	n->numa = -1;
	mvgpu__parent_bus_id(ctx, n->name, n->bus_id, sizeof(n->bus_id));
	if (!n->bus_id[0]) {
		/* a virtual parent: any CPU, no node */
		if (mvgpu__path(ctx, path, sizeof(path), CPU_ONLINE) == 0)
			read_cpus(ctx, n, path);
		return;
	}
	if (!root || place(ctx, root, n, dir) < 0)
		return;
	if (snprintf(path, sizeof(path), "%s/local_cpulist", dir) <
	    (int)sizeof(path))
		read_cpus(ctx, n, path);
	if (snprintf(path, sizeof(path), "%s/numa_node", dir) <
	    (int)sizeof(path))
		read_numa(ctx, n, path);
}

/* ---- links -------------------------------------------------------------- */

static size_t find_node(const struct node *nodes, size_t np, const char *name)
{
	size_t i;

	for (i = 0; i < np && strcmp(nodes[i].name, name); i++)
		;
	return i;
}

/* Parse the links file of node @self (@text, modified) into @row (by
 * node; zeroed): "<peer> <n>" lines, n 1..LINKS_MAX; peers that are not
 * among @nodes are left out, and so are fields after n (a later
 * module's).  @return 0, or -EBADMSG with @why. */
static int parse_links(char *text, const struct node *nodes, size_t np,
		       size_t self, unsigned char *row, char *why, size_t whylen)
{
	char *line, *save = NULL, *lsave, *peer, *count;
	size_t lineno = 0, j;
	uint64_t n;

	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		lsave = NULL;
		peer = strtok_r(line, " \t", &lsave);
		if (!peer)
			continue;	/* blank */
		count = strtok_r(NULL, " \t", &lsave);
		if (!count || mvgpu__parse_u64(count, LINKS_MAX, &n) < 0 || !n) {
			snprintf(why, whylen,
				 "line %zu: expected a parent and 1 to %d links",
				 lineno, LINKS_MAX);
			return -EBADMSG;
		}
		j = find_node(nodes, np, peer);
		if (j == self) {
			snprintf(why, whylen, "line %zu: a link to itself",
				 lineno);
			return -EBADMSG;
		}
		if (j == np)
			continue;	/* not one of these GPUs */
		if (row[j]) {
			snprintf(why, whylen, "line %zu: %s given twice",
				 lineno, peer);
			return -EBADMSG;
		}
		row[j] = (unsigned char)n;
	}
	return 0;
}

/* Node @i's links file into @row (@np counts; all 0 when the file is
 * missing or malformed). */
static void read_links(mvgpu_ctx *ctx, const struct node *nodes, size_t np,
		       size_t i, unsigned char *row)
{
	char path[PATH_MAX], buf[MVGPU_ATTR_MAX], copy[MVGPU_ATTR_MAX];
	char why[WHY_MAX];
	int ret;

	if (mvgpu__path(ctx, path, sizeof(path), MDEV_BUS "/%s/mvgpu/links",
			nodes[i].name) < 0)
		return;
	ret = mvgpu__read_opt(ctx, path, buf, sizeof(buf), 1);
	if (ret > 0) {
		memcpy(copy, buf, sizeof(copy));
		if (parse_links(copy, nodes, np, i, row, why, sizeof(why)) < 0) {
			memset(row, 0, np * sizeof(*row));
			ret = mvgpu__malformed(ctx, path, buf, why);
		}
	}
	if (ret < 0)
		warn_bad(ctx, &nodes[i]);
}

/* @nv (@np x @np): each node's links files, then made symmetric: either
 * side's count, the smaller (and a warning) when they disagree. */
static void read_all_links(mvgpu_ctx *ctx, const struct node *nodes,
			   size_t np, unsigned char *nv)
{
	unsigned char a, b;
	size_t i, j;

	for (i = 0; i < np; i++)
		read_links(ctx, nodes, np, i, nv + i * np);
	for (i = 0; i < np; i++) {
		for (j = i + 1; j < np; j++) {
			a = nv[i * np + j];
			b = nv[j * np + i];
			if (a && b && a != b)
				mvgpu__warn(ctx, "parents %s and %s: their links files disagree (%u and %u links): taking %u",
					    nodes[i].name, nodes[j].name, a, b,
					    a < b ? a : b);
			if (!a || (b && b < a))
				a = b;
			nv[i * np + j] = nv[j * np + i] = a;
		}
	}
}

/* ---- the relation of two parents ---------------------------------------- */

/* Two parents placed on PCI, without links. */
static const char *pci_relation(const struct node *a, const struct node *b)
{
	char ca[PATH_MAX], cb[PATH_MAX], *pa[DEPTH_MAX], *pb[DEPTH_MAX];
	size_t na = split(a->where, ca, pa), nb = split(b->where, cb, pb), k;

	if (strcmp(pa[0], pb[0]))
		return a->numa >= 0 && b->numa >= 0 && a->numa != b->numa ?
		       "SYS" : "NODE";
	/* the bridges above each: parts 1 .. n - 2 */
	for (k = 0; k + 2 < na && k + 2 < nb && !strcmp(pa[k + 1], pb[k + 1]);
	     k++)
		;
	if (!k)
		return "PHB";
	return k + 2 == na && k + 2 == nb ? "PIX" : "PXB";
}

/* Different parents @a and @b with @links links between them. */
static void relation(const struct node *a, const struct node *b,
		     unsigned char links, char *out)
{
	if (links)
		snprintf(out, MVGPU_TOPO_REL_MAX, "NV%u", links);
	else if (!a->where[0] || !b->where[0])
		strcpy(out, "SYS");
	else
		strcpy(out, pci_relation(a, b));
}

/* ---- the GPUs ----------------------------------------------------------- */

/* mvgpu__collect()'s reader of a class/mdev_bus entry: a node. */
static int collect_node(mvgpu_ctx *ctx, const char *name, void *item)
{
	struct node *n = item;
	int ret = mvgpu__parent_entry(ctx, name);

	if (ret == MVGPU__KEEP) {
		memset(n, 0, sizeof(*n));
		strcpy(n->name, name);	/* a valid id: fits */
	}
	return ret;
}

/* The GPUs are the vGPUs @uuids: each into @gpus (its uuid and parent),
 * its parent's node into *@nodes (each parent once), its node's index
 * into @at.  @return 0, -errno. */
static int vgpu_nodes(mvgpu_ctx *ctx, const char *const *uuids, size_t n,
		      mvgpu_topo_gpu *gpus, struct node **nodes, size_t *np,
		      size_t *at)
{
	struct node *nv;
	mvgpu_vgpu_info v;
	size_t i, k, cap = 0;
	int ret;

	for (i = 0; i < n; i++) {
		ret = mvgpu_find_vgpu(ctx, uuids[i], &v);
		if (ret < 0)
			return ret;
		for (k = 0; k < i; k++)
			if (!strcmp(gpus[k].uuid, v.uuid))
				return mvgpu__err(ctx, -EINVAL,
						  "vGPU %s is given twice",
						  v.uuid);
		strcpy(gpus[i].uuid, v.uuid);
		strcpy(gpus[i].parent, v.parent);
		at[i] = find_node(*nodes, *np, v.parent);
		if (at[i] < *np)
			continue;
		nv = mvgpu__grow(*nodes, *np, &cap, sizeof(*nv), 4);
		if (!nv)
			return mvgpu__err(ctx, -ENOMEM, "out of memory");
		*nodes = nv;
		memset(&nv[*np], 0, sizeof(*nv));
		strcpy(nv[*np].name, v.parent);
		(*np)++;
	}
	return 0;
}

/* Fill @t's GPUs' affinity and its relations from @nodes (described),
 * @nv (their links) and @at (each GPU's node). */
static void fill(mvgpu_topology *t, const struct node *nodes, size_t np,
		 const unsigned char *nv, const size_t *at)
{
	size_t i, j, c = t->count;

	for (i = 0; i < c; i++) {
		const struct node *n = &nodes[at[i]];

		strcpy(t->gpus[i].parent, n->name);
		strcpy(t->gpus[i].bus_id, n->bus_id);
		strcpy(t->gpus[i].cpu_affinity, n->cpus);
		t->gpus[i].numa_node = n->numa;
		for (j = 0; j < c; j++) {
			if (i == j)
				strcpy(t->rel[i * c + j], "X");
			else if (at[i] == at[j])
				strcpy(t->rel[i * c + j], "SAME");
			else
				relation(n, &nodes[at[j]],
					 nv[at[i] * np + at[j]],
					 t->rel[i * c + j]);
		}
	}
}

int mvgpu_get_topology(mvgpu_ctx *ctx, const char *const *uuids,
		       size_t nuuids, mvgpu_topology *out)
{
	struct node *nodes = NULL;
	unsigned char *nv = NULL;
	size_t np = 0, *at = NULL, i;
	void *items;
	char *root = NULL;
	int ret;

	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (!ctx || (nuuids && !uuids))
		return -EINVAL;
	if (!nuuids) {
		ret = mvgpu__collect(ctx, MDEV_BUS, sizeof(*nodes), 4,
				     collect_node, &items, &np, &out->skipped);
		if (ret < 0)
			return ret;
		nodes = items;
		out->count = np;
	} else {
		out->count = nuuids;
	}
	if (!out->count)
		return 0;
	ret = -ENOMEM;
	out->gpus = calloc(out->count, sizeof(*out->gpus));
	out->rel = calloc(out->count * out->count, sizeof(*out->rel));
	at = calloc(out->count, sizeof(*at));
	if (!out->gpus || !out->rel || !at)
		goto fail;
	if (nuuids) {
		ret = vgpu_nodes(ctx, uuids, nuuids, out->gpus, &nodes, &np,
				 at);
		if (ret < 0)
			goto fail;
	} else {
		for (i = 0; i < np; i++)
			at[i] = i;
	}
	ret = -ENOMEM;
	nv = calloc(np * np, sizeof(*nv));
	if (!nv)
		goto fail;
	/* device paths are compared below the real root */
	root = realpath(ctx->root[0] ? ctx->root : "/", NULL);
	if (root && !strcmp(root, "/"))
		root[0] = '\0';
	for (i = 0; i < np; i++)
		describe(ctx, root, &nodes[i]);
	read_all_links(ctx, nodes, np, nv);
	fill(out, nodes, np, nv, at);
	ret = 0;
	goto out;
fail:
	if (ret == -ENOMEM)
		mvgpu__err(ctx, ret, "out of memory");
	mvgpu_topology_free(out);
out:
	free(root);
	free(nv);
	free(at);
	free(nodes);
	return ret;
}

const char *mvgpu_topo_rel(const mvgpu_topology *t, size_t i, size_t j)
{
	if (!t || !t->rel || i >= t->count || j >= t->count)
		return "";
	return t->rel[i * t->count + j];
}

void mvgpu_topology_free(mvgpu_topology *t)
{
	if (!t)
		return;
	free(t->gpus);
	free(t->rel);
	memset(t, 0, sizeof(*t));
}
