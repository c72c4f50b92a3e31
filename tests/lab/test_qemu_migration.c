// SPDX-License-Identifier: MIT
/*
 * QEMU 7.2 itself migrates a VM holding a vGPU through the v1 migration
 * region: the nested guest (tests/nested/draw.c) draws on vGPU A; QEMU
 * saves the VM with `migrate "exec:cat > file"`; a second QEMU on vGPU B
 * loads it with -incoming; its screendump must show what was drawn on A.
 * Synchronisation is by events: the guest's serial line, HMP prompts
 * (`migrate` without -d returns when the migration completed).
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <poll.h>
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

#define TMO 240000

struct vm {
	pid_t pid;
	int mon, serial;
	char out[8192];
	size_t got;
};

static void setup(void)
{
	lab_remove_all();
}

TestSuite(qemu_migration, .init = setup, .fini = lab_remove_all, .timeout = 500);

static bool read_until(int fd, char *buf, size_t len, size_t *got,
		       const char *needle)
{
	while (!memmem(buf, *got, needle, strlen(needle))) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (*got >= len - 1 || poll(&p, 1, TMO) != 1)
			return false;
		n = read(fd, buf + *got, len - 1 - *got);
		if (n <= 0)
			return false;
		*got += n;
		buf[*got] = 0;
	}
	return true;
}

/* Starts QEMU on vGPU @uuid; its monitor connects to a socket in @dir. */
static void vm_start(struct vm *vm, const char *dir, const char *uuid,
		     const char *incoming)
{
	char sock[160], mon[200], dev[256];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	posix_spawn_file_actions_t fa;
	int lsock, pipefd[2];
	struct pollfd p;
	char *argv[24];
	int n = 0;

	snprintf(sock, sizeof(sock), "%s/mon-%d.sock", dir, incoming ? 1 : 0);
	snprintf(mon, sizeof(mon), "unix:%s", sock);
	snprintf(dev, sizeof(dev),
		 "vfio-pci,sysfsdev=/sys/bus/mdev/devices/%s,display=on,x-enable-migration=on",
		 uuid);
	lsock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	strcpy(sa.sun_path, sock);
	cr_assert_eq(bind(lsock, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(lsock, 1), 0);
	cr_assert_eq(pipe2(pipefd, O_CLOEXEC), 0);

	for (const char *a = "qemu-system-x86_64\0-accel\0tcg\0-nodefaults\0-display\0none\0"
			     "-m\0" "64\0-no-reboot\0-kernel\0build/nested/draw.elf\0"
			     "-serial\0stdio\0"; *a; a += strlen(a) + 1)
		argv[n++] = (char *)a;
	argv[n++] = "-monitor";
	argv[n++] = mon;
	argv[n++] = "-device";
	argv[n++] = dev;
	if (incoming) {
		argv[n++] = "-incoming";
		argv[n++] = (char *)incoming;
	}
	argv[n] = NULL;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	cr_assert_eq(posix_spawnp(&vm->pid, argv[0], &fa, NULL, argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	vm->serial = pipefd[0];
	p = (struct pollfd){ .fd = lsock, .events = POLLIN };
	cr_assert_eq(poll(&p, 1, TMO), 1, "QEMU did not connect its monitor");
	vm->mon = accept4(lsock, NULL, NULL, SOCK_CLOEXEC);
	close(lsock);
	vm->got = 0;
	cr_assert(read_until(vm->mon, vm->out, sizeof(vm->out), &vm->got, "(qemu)"));
}

/* One HMP command; returns its output (until the next prompt). */
static const char *hmp(struct vm *vm, const char *cmd)
{
	vm->got = 0;
	vm->out[0] = 0;
	dprintf(vm->mon, "%s\n", cmd);
	cr_assert(read_until(vm->mon, vm->out, sizeof(vm->out), &vm->got, "(qemu)"),
		  "%s: %s", cmd, vm->out);
	return vm->out;
}

static void vm_quit(struct vm *vm)
{
	int status;

	dprintf(vm->mon, "quit\n");
	cr_assert_eq(waitpid(vm->pid, &status, 0), vm->pid);
	close(vm->mon);
	close(vm->serial);
}

Test(qemu_migration, qemu72_saves_and_loads_a_vm_with_a_vgpu)
{
	char ua[37], ub[37], dir[] = "/tmp/mvgpu-qmig.XXXXXX", cmd[400], shot[128];
	char serial[4096] = "", incoming[200];
	size_t sgot = 0;
	struct vm a, b;
	int w, h, maxv;
	uint8_t *rgb;
	FILE *f;

	cr_assert_eq(lab_create("/sys/class/mdev_bus/mvgpu0", "64M", ua), 0);
	cr_assert_eq(lab_create("/sys/class/mdev_bus/mvgpu0", "64M", ub), 0);
	cr_assert_not_null(mkdtemp(dir));

	vm_start(&a, dir, ua, NULL);
	cr_assert(read_until(a.serial, serial, sizeof(serial), &sgot, "MVGPU-DRAW-"));
	cr_assert(read_until(a.serial, serial, sizeof(serial), &sgot, "\n"));
	cr_assert_not_null(strstr(serial, "MVGPU-DRAW-DONE"), "guest: %s", serial);

	snprintf(cmd, sizeof(cmd), "migrate \"exec:cat > %s/vm.mig\"", dir);
	hmp(&a, cmd);
	cr_assert_not_null(strstr(hmp(&a, "info migrate"), "completed"),
			   "source: %s", a.out);
	vm_quit(&a);

	snprintf(incoming, sizeof(incoming), "exec:cat %s/vm.mig", dir);
	vm_start(&b, dir, ub, incoming);
	/* -incoming: the VM runs once the load is through */
	for (int i = 0; i < 2000 && !strstr(hmp(&b, "info status"), "running"); i++)
		cr_assert_null(strstr(b.out, "failed"), "destination: %s", b.out);
	cr_assert_not_null(strstr(b.out, "running"), "destination: %s", b.out);

	snprintf(shot, sizeof(shot), "%s/shot.ppm", dir);
	snprintf(cmd, sizeof(cmd), "screendump %s", shot);
	hmp(&b, cmd);
	vm_quit(&b);

	f = fopen(shot, "rb");
	cr_assert_not_null(f, "no screendump");
	cr_assert_eq(fscanf(f, "P6 %d %d %d", &w, &h, &maxv), 3);
	fgetc(f);
	cr_assert_eq(w, DRAW_W);
	cr_assert_eq(h, DRAW_H);
	rgb = malloc(3 * w * h);
	cr_assert_eq(fread(rgb, 3, w * h, f), (size_t)(w * h));
	fclose(f);
	for (int y = 0; y < DRAW_H; y += 7) {
		uint32_t want = (const uint32_t[]){ BAND0, BAND1, BAND2, BAND3 }[y / (DRAW_H / 4)];

		for (int x = 0; x < DRAW_W; x += 5) {
			const uint8_t *p = rgb + 3 * (y * DRAW_W + x);
			uint32_t got = (uint32_t)p[0] << 16 | p[1] << 8 | p[2];

			cr_assert_eq(got, want, "pixel %d,%d is %06x, want %06x", x, y, got, want);
		}
	}
	free(rgb);
}
