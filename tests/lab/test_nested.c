// SPDX-License-Identifier: MIT
/*
 * The nested check: QEMU 7.2 inside the lab host opens the vGPU with
 * -device vfio-pci,sysfsdev=...,display=on.  SeaBIOS sizes and assigns the
 * BARs; a bare-metal guest (tests/nested/draw.c) sets a mode and draws four
 * bands, two with the CPU through BAR2 and two with the channel engine;
 * then `screendump` on QEMU's monitor must show exactly those bands.
 *
 * Synchronisation is by events only: QEMU connects to our monitor socket,
 * the guest's "done" line arrives on QEMU's serial pipe, and HMP's prompt
 * returns once the screendump is written.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../nested/draw.h"
#include "lab.h"

extern char **environ;

#define NESTED_TIMEOUT_MS 240000

static void setup(void)
{
	lab_remove_all();
}

TestSuite(nested, .init = setup, .fini = lab_remove_all, .timeout = 400);

/* Reads from fd into buf until needle shows up; false on timeout/EOF. */
static bool read_until(int fd, char *buf, size_t len, size_t *got,
		       const char *needle)
{
	while (!memmem(buf, *got, needle, strlen(needle))) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (*got >= len - 1 || poll(&p, 1, NESTED_TIMEOUT_MS) != 1)
			return false;
		n = read(fd, buf + *got, len - 1 - *got);
		if (n <= 0)
			return false;
		*got += n;
		buf[*got] = 0;
	}
	return true;
}

static uint32_t pixel(const uint8_t *rgb, int x, int y)
{
	const uint8_t *p = rgb + 3 * (y * DRAW_W + x);

	return (uint32_t)p[0] << 16 | p[1] << 8 | p[2];
}

Test(nested, qemu_screendump_shows_the_framebuffer)
{
	char uuid[37], dir[] = "/tmp/mvgpu-nested.XXXXXX", sock[128], shot[128];
	char dev[256], mon_arg[160], serial[4096] = "", mon[8192] = "";
	size_t sgot = 0, mgot = 0;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	posix_spawn_file_actions_t fa;
	int lsock, msock, pipefd[2], status, w, h, maxv;
	uint8_t *rgb;
	FILE *f;
	pid_t pid;

	cr_assert_eq(lab_create("/sys/class/mdev_bus/mvgpu0", "64M", uuid), 0);
	cr_assert_not_null(mkdtemp(dir));
	snprintf(sock, sizeof(sock), "%s/mon.sock", dir);
	snprintf(shot, sizeof(shot), "%s/shot.ppm", dir);
	snprintf(dev, sizeof(dev), "vfio-pci,sysfsdev=/sys/bus/mdev/devices/%s,display=on", uuid);
	snprintf(mon_arg, sizeof(mon_arg), "unix:%s", sock);

	lsock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	strcpy(sa.sun_path, sock);
	cr_assert_eq(bind(lsock, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(lsock, 1), 0);
	cr_assert_eq(pipe2(pipefd, O_CLOEXEC), 0);

	char *argv[] = {
		"qemu-system-x86_64", "-accel", "tcg", "-nodefaults",
		"-display", "none", "-m", "64", "-no-reboot",
		"-kernel", "build/nested/draw.elf", "-serial", "stdio",
		"-monitor", mon_arg, "-device", dev, NULL,
	};
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	cr_assert_eq(posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);

	struct pollfd p = { .fd = lsock, .events = POLLIN };
	cr_assert_eq(poll(&p, 1, NESTED_TIMEOUT_MS), 1, "QEMU did not connect its monitor");
	msock = accept4(lsock, NULL, NULL, SOCK_CLOEXEC);
	cr_assert_geq(msock, 0);
	cr_assert(read_until(msock, mon, sizeof(mon), &mgot, "(qemu)"), "no monitor prompt: %s", mon);

	cr_assert(read_until(pipefd[0], serial, sizeof(serial), &sgot, "MVGPU-DRAW-"),
		  "guest said nothing: %s", serial);
	cr_assert(read_until(pipefd[0], serial, sizeof(serial), &sgot, "\n"));
	cr_assert_not_null(strstr(serial, "MVGPU-DRAW-DONE"), "guest: %s", serial);

	mgot = 0;
	mon[0] = 0;
	dprintf(msock, "screendump %s\n", shot);
	cr_assert(read_until(msock, mon, sizeof(mon), &mgot, "(qemu)"), "screendump: %s", mon);
	dprintf(msock, "quit\n");
	cr_assert_eq(waitpid(pid, &status, 0), pid);

	f = fopen(shot, "rb");
	cr_assert_not_null(f, "no screendump (%s)", mon);
	cr_assert_eq(fscanf(f, "P6 %d %d %d", &w, &h, &maxv), 3);
	fgetc(f);
	cr_assert_eq(w, DRAW_W);
	cr_assert_eq(h, DRAW_H);
	cr_assert_eq(maxv, 255);
	rgb = malloc(3 * w * h);
	cr_assert_eq(fread(rgb, 3, w * h, f), (size_t)(w * h));
	fclose(f);

	for (int y = 0; y < DRAW_H; y += 7) {
		uint32_t want = (const uint32_t[]){ BAND0, BAND1, BAND2, BAND3 }[y / (DRAW_H / 4)];

		for (int x = 0; x < DRAW_W; x += 5)
			cr_assert_eq(pixel(rgb, x, y), want, "pixel %d,%d is %06x, want %06x",
				     x, y, pixel(rgb, x, y), want);
	}
	free(rgb);
	close(msock);
	close(lsock);
	close(pipefd[0]);
}
