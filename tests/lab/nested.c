// SPDX-License-Identifier: MIT
/* nested.c - see nested.h */
#include "nested.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../nested/draw.h"
#include "lab.h"
#include "mvgpu_stream.h"

extern char **environ;

/* The QEMUs this test process started and has not reaped yet. */
static pid_t nested_pids[8];

static void nested_track(pid_t pid, pid_t gone)
{
	for (size_t i = 0; i < sizeof(nested_pids) / sizeof(nested_pids[0]); i++)
		if (nested_pids[i] == gone) {
			nested_pids[i] = pid;
			return;
		}
}

void nested_forget(pid_t pid)
{
	nested_track(0, pid);
}

void nested_fini(void)
{
	for (size_t i = 0; i < sizeof(nested_pids) / sizeof(nested_pids[0]); i++)
		if (nested_pids[i] > 0) {
			kill(nested_pids[i], SIGKILL);
			waitpid(nested_pids[i], NULL, 0);
			nested_pids[i] = 0;
		}
	lab_remove_all();
}

#define NESTED_TIMEOUT_MS 240000

/*
 * Guest RAM sizes that are not a multiple of 256 KiB (64 pages), on purpose.
 * QEMU before 9.0 (Debian 12's 7.2) loses TCG guest writes in a migration:
 * its fast path for syncing a RAM block's dirty bitmap, taken when the block
 * is a multiple of 64 pages, clears the bits without resetting the vCPUs'
 * TLB dirty state, so a page written through a TLB entry older than the sync
 * is never sent again (fixed upstream by "physmem: Fix migration dirty
 * bitmap coherency with TCG memory access", 03bfc2188f).  A long pre-copy
 * of a Linux guest on 7.2 then resumes on the target with stale kernel
 * pages - with or without a vGPU (docs/guest-driver.md).  Any other size
 * takes the per-page path, which resets the TLB state.  KVM hosts are not
 * affected: KVM logs dirty pages itself.
 */
#define NESTED_RAM_DRAW		"65544k"	/* 64 MiB + 8 KiB */
#define NESTED_STR_(x)		#x
#define NESTED_STR(x)		NESTED_STR_(x)
#define NESTED_RAM_LINUX	NESTED_STR(NESTED_RAM_LINUX_KIB) "k"	/* nested.h */

bool nested_read_until(int fd, char *buf, size_t len, size_t *got,
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

const char *nested_migration_prop(void)
{
	static const char *prop;
	char line[512];
	FILE *f;

	if (prop)
		return prop;
	/* QEMU 7.2: x-enable-migration (experimental, off); QEMU >= 8.1:
	 * enable-migration (on/off/auto) */
	prop = "x-enable-migration=on";
	f = popen("qemu-system-x86_64 -nodefaults -machine none -device vfio-pci,help 2>/dev/null", "r");
	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line + strspn(line, " "), "enable-migration=", 17))
			prop = "enable-migration=on";
	pclose(f);
	return prop;
}

void nested_start(struct nested_vm *vm, const char *dir, const char *uuid,
		  bool migratable, const char *incoming)
{
	nested_start_args(vm, dir, uuid, migratable, incoming, NULL);
}

/* QEMU with @guest's arguments (NULL-terminated) and the rest. */
static void nested_spawn(struct nested_vm *vm, const char *dir, const char *uuid,
			 bool migratable, const char *incoming,
			 const char *const *guest, const char *const *extra)
{
	static const char *const base[] = {
		"qemu-system-x86_64", "-accel", "tcg", "-nodefaults",
		"-display", "none", "-no-reboot", "-serial", "stdio",
	};
	char sock[160], mon[200], dev[256];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	posix_spawn_file_actions_t fa;
	int lsock, pipefd[2], n = 0;
	char *argv[48];
	struct pollfd p;

	snprintf(sock, sizeof(sock), "%s/mon-%s.sock", dir, uuid);
	snprintf(mon, sizeof(mon), "unix:%s", sock);
	snprintf(dev, sizeof(dev), "vfio-pci,sysfsdev=/sys/bus/mdev/devices/%s,display=on%s%s",
		 uuid, migratable ? "," : "", migratable ? nested_migration_prop() : "");
	lsock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	strcpy(sa.sun_path, sock);
	unlink(sock);		/* a QEMU of this vGPU before */
	cr_assert_eq(bind(lsock, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(lsock, 1), 0);
	cr_assert_eq(pipe2(pipefd, O_CLOEXEC), 0);

	for (size_t i = 0; i < sizeof(base) / sizeof(base[0]); i++)
		argv[n++] = (char *)base[i];
	for (; *guest && n < 30; guest++)
		argv[n++] = (char *)*guest;
	argv[n++] = "-monitor";
	argv[n++] = mon;
	argv[n++] = "-device";
	argv[n++] = dev;
	if (incoming) {
		argv[n++] = "-incoming";
		argv[n++] = (char *)incoming;
	}
	for (; extra && *extra && n < 46; extra++)
		argv[n++] = (char *)*extra;
	argv[n] = NULL;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	snprintf(vm->err, sizeof(vm->err), "%s/qemu-%s.err", dir, uuid);
	posix_spawn_file_actions_addopen(&fa, 2, vm->err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	cr_assert_eq(posix_spawnp(&vm->pid, argv[0], &fa, NULL, argv, environ), 0);
	nested_track(vm->pid, 0);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	vm->serial = pipefd[0];

	p = (struct pollfd){ .fd = lsock, .events = POLLIN };
	cr_assert_eq(poll(&p, 1, NESTED_TIMEOUT_MS), 1, "QEMU did not connect its monitor");
	vm->mon = accept4(lsock, NULL, NULL, SOCK_CLOEXEC);
	close(lsock);
	cr_assert_geq(vm->mon, 0);
	vm->got = 0;
	cr_assert(nested_read_until(vm->mon, vm->out, sizeof(vm->out), &vm->got, "(qemu)"),
		  "no monitor prompt: %s", vm->out);
}

void nested_start_args(struct nested_vm *vm, const char *dir, const char *uuid,
		       bool migratable, const char *incoming, const char *const *extra)
{
	static const char *const draw[] = {
		"-m", NESTED_RAM_DRAW, "-kernel", "build/nested/draw.elf", NULL,
	};

	nested_spawn(vm, dir, uuid, migratable, incoming, draw, extra);
}

void nested_start_linux(struct nested_vm *vm, const char *dir, const char *uuid,
			bool migratable, const char *incoming, const char *const *extra)
{
	static char kernel[200];
	const char *linux_guest[] = {
		"-m", NESTED_RAM_LINUX, "-kernel", kernel, "-initrd", "build/guest/initramfs.gz",
		"-append", "console=ttyS0 loglevel=5 panic=-1", NULL,
	};
	FILE *f = fopen("build/guest/initramfs.gz.kernel", "r");

	/* the kernel the image's modules are for, not necessarily ours */
	cr_assert_not_null(f, "no build/guest/initramfs.gz.kernel (make guest)");
	cr_assert_not_null(fgets(kernel, sizeof(kernel), f));
	fclose(f);
	kernel[strcspn(kernel, "\n")] = 0;
	nested_spawn(vm, dir, uuid, migratable, incoming, linux_guest, extra);
}

long nested_ram_diff(struct nested_vm *a, struct nested_vm *b, const char *dir,
		     char *first, size_t len)
{
	static char pa[4096], pb[4096];
	char cmd[300], path[2][200];
	long pages = 0, page = 0;
	size_t n, at = 0;
	FILE *f[2];

	for (int i = 0; i < 2; i++) {
		snprintf(path[i], sizeof(path[i]), "%s/ram-%c.bin", dir, 'a' + i);
		/* quoted: unquoted, "SIZE /path" parses as a division */
		snprintf(cmd, sizeof(cmd), "pmemsave 0 %d \"%s\"", NESTED_RAM_LINUX_BYTES,
			 path[i]);
		nested_hmp(i ? b : a, cmd);
		f[i] = fopen(path[i], "rb");
		cr_assert_not_null(f[i], "pmemsave: %s", (i ? b : a)->out);
	}
	first[0] = 0;
	while ((n = fread(pa, 1, sizeof(pa), f[0])) > 0) {
		cr_assert_eq(fread(pb, 1, n, f[1]), n);
		if (memcmp(pa, pb, n)) {
			pages++;
			if (at + 24 < len)
				at += snprintf(first + at, len - at, " %#lx", page * 4096);
		}
		page++;
	}
	cr_assert_eq(page * 4096, NESTED_RAM_LINUX_BYTES, "short pmemsave");
	for (int i = 0; i < 2; i++) {
		fclose(f[i]);
		unlink(path[i]);
	}
	return pages;
}

void nested_wait_drawn(struct nested_vm *vm)
{
	char serial[4096] = "";
	size_t got = 0;

	cr_assert(nested_read_until(vm->serial, serial, sizeof(serial), &got, "MVGPU-DRAW-"),
		  "guest said nothing: %s", serial);
	cr_assert(nested_read_until(vm->serial, serial, sizeof(serial), &got, "\n"));
	cr_assert_not_null(strstr(serial, "MVGPU-DRAW-DONE"), "guest: %s", serial);
}

const char *nested_hmp(struct nested_vm *vm, const char *cmd)
{
	vm->got = 0;
	vm->out[0] = 0;
	dprintf(vm->mon, "%s\n", cmd);
	cr_assert(nested_read_until(vm->mon, vm->out, sizeof(vm->out), &vm->got, "(qemu)"),
		  "%s: %s", cmd, vm->out);
	return vm->out;
}

const char *nested_migrate(struct nested_vm *vm, const char *cmd)
{
	struct timespec t0, t;

	nested_hmp(vm, cmd);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		nested_hmp(vm, "info migrate");
		if (strstr(vm->out, "completed") || strstr(vm->out, "failed") ||
		    strstr(vm->out, "cancelled"))
			return vm->out;
		clock_gettime(CLOCK_MONOTONIC, &t);
		cr_assert_lt(t.tv_sec - t0.tv_sec, 120, "the migration did not end: %s", vm->out);
		usleep(50 * 1000);	/* polling QEMU's status, not a sync by time */
	}
}

void nested_quit(struct nested_vm *vm)
{
	int status;

	dprintf(vm->mon, "quit\n");
	cr_assert_eq(waitpid(vm->pid, &status, 0), vm->pid);
	nested_track(0, vm->pid);
	close(vm->mon);
	close(vm->serial);
}

int nested_wait_exit(struct nested_vm *vm, char *err, size_t len)
{
	size_t n = 0;
	int status;
	FILE *f;

	cr_assert_eq(waitpid(vm->pid, &status, 0), vm->pid);
	nested_track(0, vm->pid);
	close(vm->mon);
	close(vm->serial);
	err[0] = 0;
	f = fopen(vm->err, "r");
	if (f) {
		n = fread(err, 1, len - 1, f);
		fclose(f);
	}
	err[n] = 0;
	return status;
}

void nested_check_screen(struct nested_vm *vm, const char *path)
{
	static const uint32_t band[] = { BAND0, BAND1, BAND2, BAND3 };
	char cmd[300];
	int w, h, maxv;
	uint8_t *rgb;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "screendump %s", path);
	nested_hmp(vm, cmd);
	f = fopen(path, "rb");
	cr_assert_not_null(f, "no screendump (%s)", vm->out);
	cr_assert_eq(fscanf(f, "P6 %d %d %d", &w, &h, &maxv), 3);
	fgetc(f);
	cr_assert_eq(w, DRAW_W);
	cr_assert_eq(h, DRAW_H);
	cr_assert_eq(maxv, 255);
	rgb = malloc(3 * w * h);
	cr_assert_eq(fread(rgb, 3, w * h, f), (size_t)(w * h));
	fclose(f);
	for (int y = 0; y < DRAW_H; y += 7) {
		for (int x = 0; x < DRAW_W; x += 5) {
			const uint8_t *p = rgb + 3 * (y * DRAW_W + x);
			uint32_t got = (uint32_t)p[0] << 16 | p[1] << 8 | p[2];
			uint32_t want = band[y / (DRAW_H / 4)];

			if (got != want) {
				free(rgb);
				cr_assert_fail("pixel %d,%d is %06x, want %06x", x, y, got, want);
			}
		}
	}
	free(rgb);
}

/* The stream's magic as it is on the wire: proto's le64, in bytes. */
static void stream_magic(char magic[8])
{
	for (int i = 0; i < 8; i++)
		magic[i] = (char)(MVGPU_STREAM_MAGIC >> (8 * i));
}

void nested_damage(const char *dir, long off)
{
	char path[200], want[8], *buf, *magic;
	struct stat st;
	size_t len;
	FILE *f;

	snprintf(path, sizeof(path), "%s/vm.mig", dir);
	f = fopen(path, "rb");
	cr_assert_not_null(f);
	cr_assert_eq(fstat(fileno(f), &st), 0);
	len = st.st_size;
	buf = malloc(len + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, len, f), len);
	fclose(f);
	stream_magic(want);
	magic = memmem(buf, len, want, sizeof(want));
	cr_assert_not_null(magic, "no mvgpu stream in the QEMU migration file");
	cr_assert_lt(magic - buf + off, (long)len);
	magic[off] ^= 0x20;
	snprintf(path, sizeof(path), "%s/bad.mig", dir);
	f = fopen(path, "wb");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(buf, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
	free(buf);
}

/*
 * Relays @src <-> @dst until both directions ended, flipping bit 5 of the
 * last byte of the first mvgpu stream magic from @src (it may straddle
 * reads).  Both ways: the target's return path comes back on the same
 * connection.
 */
static void relay_copy(int src, int dst)
{
	/* the matcher restarts at the first byte only: it would miss a magic
	 * that follows "MVGPU" (never in a QEMU stream's headers) */
	char magic[8];
	struct pollfd p[2] = { { .fd = src, .events = POLLIN }, { .fd = dst, .events = POLLIN } };
	char buf[65536];
	bool done = false;
	size_t seen = 0;
	ssize_t n;

	stream_magic(magic);
	while (p[0].fd >= 0 || p[1].fd >= 0) {
		if (poll(p, 2, -1) < 0)
			return;
		for (int k = 0; k < 2; k++) {
			int out = k ? src : dst;

			if (p[k].fd < 0 || !p[k].revents)
				continue;
			n = read(p[k].fd, buf, sizeof(buf));
			if (n <= 0) {
				shutdown(out, SHUT_WR);
				p[k].fd = -1;
				continue;
			}
			for (ssize_t i = 0; i < n && !k && !done; i++) {
				seen = buf[i] == magic[seen] ? seen + 1 : buf[i] == magic[0];
				if (seen == 8) {
					buf[i] ^= 0x20;
					done = true;
				}
			}
			if (send(out, buf, n, MSG_NOSIGNAL) != n)
				return;
		}
	}
}

pid_t nested_damage_relay(int listen_port, int to_port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1, in, out;
	pid_t pid;

	cr_assert_geq(ls, 0);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sa.sin_port = htons(listen_port);
	cr_assert_eq(bind(ls, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(ls, 1), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid) {
		close(ls);
		nested_track(pid, 0);	/* nested_fini() kills it if it is left */
		return pid;
	}
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	in = accept(ls, NULL, NULL);
	close(ls);
	out = socket(AF_INET, SOCK_STREAM, 0);
	sa.sin_port = htons(to_port);
	if (in < 0 || out < 0 || connect(out, (struct sockaddr *)&sa, sizeof(sa)))
		_exit(1);
	relay_copy(in, out);
	_exit(0);
}

bool nested_kmsg_has(int fd, const char *want)
{
	char rec[2048];
	ssize_t n;
	bool found = false;

	while ((n = read(fd, rec, sizeof(rec) - 1)) > 0 || (n < 0 && errno == EPIPE)) {
		if (n > 0) {
			rec[n] = 0;
			found |= strstr(rec, want) != NULL;
		}
	}
	return found;
}
