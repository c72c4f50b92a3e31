// SPDX-License-Identifier: MIT
/*
 * bench_migration - what pre-copy buys, measured in one run per size.
 *
 * For each framebuffer size, a vGPU is filled (every page non-zero), then
 * saved twice while a "guest" thread keeps writing pages through the BAR2
 * mapping at a fixed rate until the VM would stop:
 *   - with pre-copy (up to 8 passes, switch-over at 1 % of the fb dirty),
 *   - without (stop, then copy everything).
 * The rate is set so that the guest dirties a given share of the
 * framebuffer in the time one full copy takes (the first pass), i.e. the
 * per-pass dirty rate.  Printed: passes, the bytes stop-copy carried as a
 * share of the framebuffer, and stop-copy time with pre-copy over
 * stop-copy time without.  Run inside a lab host: `make bench-migration`.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mvgpu.h"

struct guest {
	uint8_t *fb;
	size_t pages;
	double pages_per_s;
	atomic_int run;
	atomic_int stop;
	pthread_t thread;
	unsigned long written;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "bench_migration: %s: %s\n", what, strerror(-err));
	exit(1);
}

/* Writes pages at pages_per_s, spread over the framebuffer, until stopped. */
static void *guest_main(void *arg)
{
	struct guest *g = arg;
	double t0 = now();
	unsigned long n = 0, page = 12345;

	while (!atomic_load(&g->stop)) {
		if (!atomic_load(&g->run) || n >= (now() - t0) * g->pages_per_s) {
			sched_yield();
			continue;
		}
		page = (page * 1103515245u + 12345u) % g->pages;
		g->fb[page * 4096 + (n % 1024) * 4] = (uint8_t)(n | 1);
		n++;
	}
	g->written = n;
	return NULL;
}

static void pause_guest(void *opaque, int resumed)
{
	struct guest *g = opaque;

	atomic_store(&g->run, resumed);
}

static int null_fd(void)
{
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		die("/dev/null", -errno);
	return fd;
}

static void run_size(mvgpu_ctx *ctx, const char *type, const double *rates,
		     int nrates)
{
	mvgpu_vgpu_info info;
	mvgpu_save_stats with, without;
	mvgpu_save_opts o = { .max_passes = 8, .precopy = 1,
			      .before_stop = pause_guest };
	struct guest g = { 0 };
	mvgpu_dev *dev;
	mvgpu_chan *ch;
	size_t size;
	uint32_t fence;
	int ret, fd;

	if ((ret = mvgpu_create(ctx, type, "mvgpu0", NULL, &info)))
		die("create", ret);
	if ((ret = mvgpu_dev_open(ctx, info.uuid, &dev)))
		die("open", ret);
	if ((ret = mvgpu_fb_map(dev, (void **)&g.fb, &size)))
		die("map", ret);
	g.pages = size / 4096;
	/* every page non-zero: the worst case for a full copy */
	if ((ret = mvgpu_chan_open(dev, 0, 4096, &ch)) ||
	    (ret = mvgpu_chan_submit(ch, (struct mvgpu_cmd[]){
			mvgpu_cmd_fill(0, size, 0x00336699) }, 1)) ||
	    (ret = mvgpu_chan_fence(ch, MVGPU_FENCE_IRQ, &fence)) ||
	    (ret = mvgpu_chan_wait(ch, fence, 120000)))
		die("fill", ret);
	mvgpu_chan_close(ch);
	o.switchover_bytes = size / 100;
	o.opaque = &g;

	for (int r = 0; r < nrates; r++) {
		/* calibrate: one full copy, no guest */
		fd = null_fd();
		if ((ret = mvgpu_save(dev, fd, &(mvgpu_save_opts){ .precopy = 0 },
				      &without)))
			die("save", ret);
		close(fd);
		mvgpu_mig_set_state(dev, MVGPU_MIG_RUNNING, NULL);
		g.pages_per_s = rates[r] * g.pages / (without.stop_copy_ns / 1e9);

		atomic_store(&g.stop, 0);
		atomic_store(&g.run, 1);
		pthread_create(&g.thread, NULL, guest_main, &g);
		fd = null_fd();
		ret = mvgpu_save(dev, fd, &o, &with);
		close(fd);
		atomic_store(&g.stop, 1);
		pthread_join(g.thread, NULL);
		if (ret)
			die("save with pre-copy", ret);
		mvgpu_mig_set_state(dev, MVGPU_MIG_RUNNING, NULL);

		printf("%-10s %5.0f%%/pass  guest wrote %6lu pages in %6.1f ms  passes %u  "
		       "stop-copy %6.2f%% of fb (%8llu B)  "
		       "downtime %7.1f ms vs %7.1f ms without pre-copy: ratio %.3f\n",
		       type, rates[r] * 100, g.written, with.total_ns / 1e6, with.passes,
		       100.0 * with.stop_copy_bytes / size,
		       (unsigned long long)with.stop_copy_bytes,
		       with.stop_copy_ns / 1e6, without.stop_copy_ns / 1e6,
		       (double)with.stop_copy_ns / without.stop_copy_ns);
	}
	mvgpu_dev_close(dev);
	mvgpu_remove(ctx, info.uuid, 0);
}

int main(void)
{
	static const double rates[] = { 0.01, 0.05, 0.10, 0.30 };
	static const char *const types[] = { "mvgpu-64M", "mvgpu-256M", "mvgpu-512M" };
	mvgpu_ctx *ctx;
	int ret;

	if ((ret = mvgpu_ctx_create(&ctx, NULL)))
		die("context", ret);
	printf("pre-copy vs none: a guest writes pages through BAR2 at a rate that\n"
	       "dirties the given share of the framebuffer per full-copy time\n");
	for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++)
		run_size(ctx, types[t], rates, 4);
	mvgpu_ctx_free(ctx);
	return 0;
}
