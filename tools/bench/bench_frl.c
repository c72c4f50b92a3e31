// SPDX-License-Identifier: MIT
/*
 * bench_frl - the frame-rate limiter (vgpu_params frame_rate_limiter), on
 * and off, side by side in one lab host.
 *
 * A "frame" is what a guest renders and presents: a FILL of a whole
 * 1280x1024 XRGB8888 plane (5 MiB) and a FENCE with MVGPU_CMD_F_FRAME.  The
 * guest submits frames as fast as the vGPU takes them; the table gives the
 * frames per second it gets with the limiter on (capped at the type's
 * frl_config, 60) and off (what the engine does), and their ratio.  Run
 * inside a lab host: `make bench-frl`.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mvgpu.h"

#define FRAMES	121		/* 120 frame intervals */
#define PLANE	(1280u * 1024 * 4)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "bench_frl: %s: %s\n", what, strerror(-err));
	exit(1);
}

static void set_params(const char *uuid, const char *params)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/mvgpu/vgpu_params", uuid);
	fd = open(path, O_WRONLY);
	if (fd < 0 || write(fd, params, strlen(params)) < 0)
		die(path, -errno);
	close(fd);
}

/* Frames per second: FRAMES frames submitted back to back. */
static double run(mvgpu_ctx *ctx, const char *uuid)
{
	struct mvgpu_cmd cmds[2];
	uint32_t fence = 0;
	mvgpu_chan *ch;
	mvgpu_dev *dev;
	double t0, t;
	int ret;

	if ((ret = mvgpu_dev_open(ctx, uuid, &dev)))
		die("open", ret);
	if ((ret = mvgpu_chan_open(dev, 0, 65536, &ch)))
		die("channel", ret);
	t0 = now();
	for (unsigned i = 0; i < FRAMES; i++) {
		cmds[0] = mvgpu_cmd_fill(0, PLANE, 0x00010101u * i);
		if ((ret = mvgpu_chan_fence_cmd(ch, MVGPU_FENCE_IRQ, &cmds[1], &fence)))
			die("fence", ret);
		cmds[1].flags |= MVGPU_CMD_F_FRAME;	/* le32: x86 */
		if ((ret = mvgpu_chan_submit(ch, cmds, 2)))
			die("submit", ret);
	}
	if ((ret = mvgpu_chan_wait(ch, fence, 120000)))
		die("wait", ret);
	t = now() - t0;
	mvgpu_chan_close(ch);
	mvgpu_dev_close(dev);
	return (FRAMES - 1) / t;
}

int main(int argc, char **argv)
{
	const char *parent = argc > 1 ? argv[1] : "mvgpu0";
	mvgpu_vgpu_info info;
	mvgpu_ctx *ctx;
	double on, off;
	int ret;

	if ((ret = mvgpu_ctx_create(&ctx, NULL)))
		die("context", ret);
	if ((ret = mvgpu_create(ctx, "mvgpu-64M", parent, NULL, &info)))
		die(mvgpu_last_error(ctx), ret);
	set_params(info.uuid, "frame_rate_limiter=1");
	on = run(ctx, info.uuid);
	set_params(info.uuid, "frame_rate_limiter=0");
	off = run(ctx, info.uuid);
	mvgpu_remove(ctx, info.uuid, 0);
	mvgpu_ctx_free(ctx);

	printf("frame-rate limiter, %u frames of a 1280x1024 plane (FILL + FENCE FRAME), type mvgpu-64M (frl_config 60):\n",
	       FRAMES);
	printf("  %-22s %10s\n", "vgpu_params", "frames/s");
	printf("  %-22s %10.1f\n", "frame_rate_limiter=1", on);
	printf("  %-22s %10.1f\n", "frame_rate_limiter=0", off);
	printf("  off/on ratio: %.2f\n", off / on);
	return 0;
}
