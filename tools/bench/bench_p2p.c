// SPDX-License-Identifier: MIT
/*
 * bench_p2p - peer-to-peer copy bandwidth between the vGPUs of one VM, as
 * NVIDIA's `p2p_bandwidth -t Memcpy_DtoD_Read_CE_Bandwidth`: a GB/s matrix
 * whose row i reads from column j (PEER_COPY with PEER_READ), the diagonal
 * a copy inside one vGPU (COPY), all measured side by side in one lab host.
 *
 * The host has three PCI parents (make bench-p2p: lab --pci-parents 3);
 * this joins the first to the second by 2 links and to the third by 1, and
 * leaves the second and third unlinked (PIX: no P2P), creates one mvgpu-256M
 * on each and opens all three (one VM).  Each cell is the best of REPS
 * copies of COPY_MIB, timed from the doorbell to the fence, after a warm-up
 * that backs both framebuffers.  Below the matrix: each link's rate as a
 * share of the link model (links x link_mib_s: the emulation's efficiency),
 * NV2 over NV1, and P2P over the local copy.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mvgpu.h"

#define NGPU		3
#define COPY_MIB	16u
#define REPS		3
#define SRC		0ull			/* bytes read ... */
#define DST		(128ull << 20)		/* ... and where they go */

struct gpu {
	char parent[32];
	mvgpu_vgpu_info info;
	mvgpu_dev *dev;
	mvgpu_chan *ch;
	int peer_index[NGPU];	/* index of GPU j in this one's table, or -1 */
	unsigned links[NGPU];
};

static struct gpu gpus[NGPU];

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "bench_p2p: %s: %s\n", what, strerror(err < 0 ? -err : err));
	exit(1);
}

static void put_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0 || write(fd, s, strlen(s)) < 0)
		die(path, errno);
	close(fd);
}

static void link_parents(unsigned a, unsigned b, unsigned n)
{
	char path[128], v[64];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/mvgpu/links",
		 gpus[a].parent);
	snprintf(v, sizeof(v), "%s %u", gpus[b].parent, n);
	put_file(path, v);
}

static uint32_t reg(struct gpu *g, uint32_t off)
{
	uint32_t v = 0;
	int ret = mvgpu_reg_read(g->dev, off, &v);

	if (ret)
		die("register read", ret);
	return v;
}

/* The peer table: which of the others each one reaches, over how many. */
static void scan(struct gpu *g)
{
	uint32_t n, i, u0;

	for (unsigned j = 0; j < NGPU; j++)
		g->peer_index[j] = -1;
	mvgpu_reg_write(g->dev, MVGPU_REG_PEER_SCAN, 1);
	n = reg(g, MVGPU_REG_PEER_COUNT);
	for (i = 0; i < n; i++) {
		mvgpu_reg_write(g->dev, MVGPU_REG_PEER_SEL, i);
		u0 = reg(g, MVGPU_REG_PEER_UUID0);
		for (unsigned j = 0; j < NGPU; j++) {
			if (reg(&gpus[j], MVGPU_REG_UUID0) == u0) {
				g->peer_index[j] = (int)i;
				g->links[j] = reg(g, MVGPU_REG_PEER_LINKS);
			}
		}
	}
}

/* Seconds for GPU i to read COPY_MIB from GPU j (i == j: a local COPY). */
static double copy_once(unsigned i, unsigned j)
{
	uint64_t len = (uint64_t)COPY_MIB << 20;
	struct gpu *g = &gpus[i];
	struct mvgpu_cmd c[2];
	uint32_t fence;
	double t0;
	int ret;

	c[0] = i == j ? mvgpu_cmd_copy(SRC, DST, len) :
	       mvgpu_cmd_peer_copy((uint32_t)g->peer_index[j], 1, DST, SRC, len);
	if ((ret = mvgpu_chan_fence_cmd(g->ch, MVGPU_FENCE_IRQ, &c[1], &fence)))
		die("fence", ret);
	t0 = now();
	if ((ret = mvgpu_chan_submit(g->ch, c, 2)) ||
	    (ret = mvgpu_chan_wait(g->ch, fence, 600000)))
		die(mvgpu_chan_error(g->ch) ? "the copy failed (channel error)" : "copy", ret);
	return now() - t0;
}

static double gbps(unsigned i, unsigned j)
{
	double best = 1e9;

	copy_once(i, j);		/* warm-up: backs the destination */
	for (int r = 0; r < REPS; r++) {
		double t = copy_once(i, j);

		if (t < best)
			best = t;
	}
	return COPY_MIB * 1048576.0 / best / 1e9;
}

static unsigned param_link_mib_s(void)
{
	FILE *f = fopen("/sys/module/mvgpu/parameters/link_mib_s", "r");
	unsigned v = 0;

	if (!f || fscanf(f, "%u", &v) != 1)
		die("/sys/module/mvgpu/parameters/link_mib_s", ENOENT);
	fclose(f);
	return v;
}

int main(void)
{
	const char *env = getenv("MVGPU_LAB_PARENTS");
	double m[NGPU][NGPU], nv[3] = { 0 };
	unsigned mib_s = param_link_mib_s(), k = 0;
	mvgpu_ctx *ctx;
	int ret;

	if (!env || sscanf(env, "%31s %31s %31s", gpus[0].parent, gpus[1].parent,
			   gpus[2].parent) != 3)
		die("MVGPU_LAB_PARENTS: want 3 PCI parents (lab --pci-parents 3)", EINVAL);
	link_parents(0, 1, 2);
	link_parents(0, 2, 1);
	if ((ret = mvgpu_ctx_create(&ctx, NULL)))
		die("context", ret);
	for (unsigned i = 0; i < NGPU; i++) {
		struct gpu *g = &gpus[i];

		if ((ret = mvgpu_create(ctx, "mvgpu-256M", g->parent, NULL, &g->info)) ||
		    (ret = mvgpu_dev_open(ctx, g->info.uuid, &g->dev)) ||
		    (ret = mvgpu_chan_open(g->dev, 0, 65536, &g->ch)))
			die(mvgpu_last_error(ctx), ret);
	}
	for (unsigned i = 0; i < NGPU; i++) {
		struct mvgpu_cmd c[2];
		uint32_t fence;

		scan(&gpus[i]);
		/* back the source range: every copy reads real pages */
		c[0] = mvgpu_cmd_fill(SRC, (uint64_t)COPY_MIB << 20, 0x01010101u * (i + 1));
		if ((ret = mvgpu_chan_fence_cmd(gpus[i].ch, MVGPU_FENCE_IRQ, &c[1], &fence)) ||
		    (ret = mvgpu_chan_submit(gpus[i].ch, c, 2)) ||
		    (ret = mvgpu_chan_wait(gpus[i].ch, fence, 600000)))
			die("fill", ret);
	}
	for (unsigned i = 0; i < NGPU; i++)
		for (unsigned j = 0; j < NGPU; j++)
			m[i][j] = i == j || gpus[i].peer_index[j] >= 0 ? gbps(i, j) : 0;

	printf("Memcpy_DtoD_Read_CE_Bandwidth (GB/s): row reads %u MiB from column, best of %u; link_mib_s=%u\n",
	       COPY_MIB, REPS, mib_s);
	printf("  %-6s", "");
	for (unsigned j = 0; j < NGPU; j++)
		printf(" %8s%u", "GPU", j);
	printf("\n");
	for (unsigned i = 0; i < NGPU; i++) {
		printf("  GPU%-3u", i);
		for (unsigned j = 0; j < NGPU; j++) {
			if (i != j && gpus[i].peer_index[j] < 0)
				printf(" %9s", "-");
			else
				printf(" %9.3f", m[i][j]);
		}
		printf("   %s\n", gpus[i].parent);
	}
	printf("  (diagonal: COPY inside the vGPU; -: no link, no P2P)\n");
	for (unsigned i = 0; i < NGPU; i++) {
		for (unsigned j = 0; j < NGPU; j++) {
			double model;

			if (i == j || gpus[i].peer_index[j] < 0)
				continue;
			model = gpus[i].links[j] * mib_s * 1048576.0 / 1e9;
			printf("  GPU%u<-GPU%u NV%u: %.3f GB/s, %.2f of the link model (%.3f), %.2f of GPU%u's local copy\n",
			       i, j, gpus[i].links[j], m[i][j], m[i][j] / model, model,
			       m[i][j] / m[i][i], i);
			if (gpus[i].links[j] <= 2) {
				nv[gpus[i].links[j]] += m[i][j];
				k++;
			}
		}
	}
	if (nv[1] > 0 && nv[2] > 0)
		printf("  NV2 / NV1: %.2f\n", nv[2] / nv[1]);
	for (unsigned i = 0; i < NGPU; i++) {
		mvgpu_chan_close(gpus[i].ch);
		mvgpu_dev_close(gpus[i].dev);
		mvgpu_remove(ctx, gpus[i].info.uuid, 0);
	}
	link_parents(0, 1, 0);
	link_parents(0, 2, 0);
	mvgpu_ctx_free(ctx);
	return k ? 0 : 1;
}
