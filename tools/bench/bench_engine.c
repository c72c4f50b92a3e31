// SPDX-License-Identifier: MIT
/*
 * bench_engine - the command processor's throughput next to the CPU doing
 * the same work in the same lab host, as ratios measured in one run.
 *
 *   FILL        vs memset        (64 MiB per command)
 *   COPY        vs memcpy        (32 MiB, non-overlapping, within the fb)
 *   DMA_TO_FB   vs memcpy        (guest memory -> framebuffer, 16 MiB)
 *   DMA_FROM_FB vs memcpy        (framebuffer -> guest memory, 16 MiB)
 *
 * Each figure is the best of REPS runs (timed from the doorbell to the
 * fence), after a warm-up that backs every framebuffer page.  Run inside a
 * lab host: `make bench-engine`.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mvgpu.h"

#define REPS 5
#define MIB (1024ull * 1024)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "bench_engine: %s: %s\n", what, strerror(-err));
	exit(1);
}

/* Seconds for one command and its fence, best of REPS. */
static double time_cmd(mvgpu_chan *ch, struct mvgpu_cmd cmd)
{
	double best = 1e9;

	for (int r = 0; r < REPS; r++) {
		uint32_t fence;
		double t0 = now();
		int ret = mvgpu_chan_submit(ch, &cmd, 1);

		if (!ret)
			ret = mvgpu_chan_fence(ch, MVGPU_FENCE_IRQ, &fence);
		if (!ret)
			ret = mvgpu_chan_wait(ch, fence, 60000);
		if (ret)
			die("command", ret);
		if (now() - t0 < best)
			best = now() - t0;
	}
	return best;
}

static volatile unsigned char sink;

static double time_memset(void *p, size_t n)
{
	double best = 1e9;

	for (int r = 0; r < REPS; r++) {
		double t0 = now();

		memset(p, r + 1, n);
		sink = ((unsigned char *)p)[n - 1];
		if (now() - t0 < best)
			best = now() - t0;
	}
	return best;
}

static double time_memcpy(void *d, const void *s, size_t n)
{
	double best = 1e9;

	for (int r = 0; r < REPS; r++) {
		double t0 = now();

		memcpy(d, s, n);
		sink = ((unsigned char *)d)[n - 1];
		if (now() - t0 < best)
			best = now() - t0;
	}
	return best;
}

static void row(const char *engine, const char *cpu, size_t bytes,
		double te, double tc)
{
	double me = bytes / MIB / te, mc = bytes / MIB / tc;

	printf("%-12s %8.0f MB/s   %-7s %8.0f MB/s   ratio %.2f\n",
	       engine, me, cpu, mc, me / mc);
}

int main(int argc, char **argv)
{
	const char *parent = argc > 1 ? argv[1] : "mvgpu0";
	mvgpu_vgpu_info info;
	mvgpu_ctx *ctx;
	mvgpu_dev *dev;
	mvgpu_chan *ch;
	mvgpu_dma dma;
	char *a, *b;
	int ret;

	if ((ret = mvgpu_ctx_create(&ctx, NULL)))
		die("context", ret);
	if ((ret = mvgpu_create(ctx, "mvgpu-256M", parent, NULL, &info)))
		die("create a mvgpu-256M vGPU", ret);
	if ((ret = mvgpu_dev_open(ctx, info.uuid, &dev)))
		die("open", ret);
	if ((ret = mvgpu_chan_open(dev, 0, 64 * 1024, &ch)))
		die("channel", ret);
	if ((ret = mvgpu_dma_alloc(dev, 16 * MIB, &dma)))
		die("dma", ret);
	a = malloc(64 * MIB);
	b = malloc(64 * MIB);
	if (!a || !b)
		die("malloc", -ENOMEM);
	memset(a, 1, 64 * MIB);
	memset(b, 2, 64 * MIB);
	memset(dma.va, 3, 16 * MIB);

	/* warm-up: back every page of the first 128 MiB */
	time_cmd(ch, mvgpu_cmd_fill(0, 128 * MIB, 0x01010101));

	printf("mvgpu command processor vs the CPU, same lab host, best of %d\n", REPS);
	row("FILL", "memset", 64 * MIB,
	    time_cmd(ch, mvgpu_cmd_fill(0, 64 * MIB, 0x5a5a5a5a)),
	    time_memset(a, 64 * MIB));
	row("COPY", "memcpy", 32 * MIB,
	    time_cmd(ch, mvgpu_cmd_copy(0, 64 * MIB, 32 * MIB)),
	    time_memcpy(b, a, 32 * MIB));
	row("DMA_TO_FB", "memcpy", 16 * MIB,
	    time_cmd(ch, mvgpu_cmd_dma_to_fb(dma.iova, 0, 16 * MIB)),
	    time_memcpy(b, dma.va, 16 * MIB));
	row("DMA_FROM_FB", "memcpy", 16 * MIB,
	    time_cmd(ch, mvgpu_cmd_dma_from_fb(0, dma.iova, 16 * MIB)),
	    time_memcpy(dma.va, b, 16 * MIB));

	mvgpu_dma_free(dev, &dma);
	mvgpu_chan_close(ch);
	mvgpu_dev_close(dev);
	mvgpu_remove(ctx, info.uuid, 0);
	mvgpu_ctx_free(ctx);
	free(a);
	free(b);
	return 0;
}
