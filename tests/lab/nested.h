/* SPDX-License-Identifier: MIT */
/*
 * nested.h - a nested QEMU (7.2, or 10.0 with --stack modern) inside the lab host, running the drawing
 * guest (tests/nested/draw.c) or the Linux guest (guest/) on a vGPU.  Synchronisation is by events
 * only: QEMU connects its monitor to our socket, the guest's lines arrive
 * on QEMU's serial pipe, and every HMP command returns at the next prompt.
 */
#ifndef MVGPU_NESTED_H
#define MVGPU_NESTED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct nested_vm {
	pid_t pid;
	int mon;		/* HMP monitor socket */
	int serial;		/* the guest's COM1 */
	char out[8192];		/* the last HMP command's output */
	size_t got;
	char err[200];		/* the file that gets QEMU's stderr */
};

/* Reads @fd into @buf until @needle shows up; false on timeout or EOF. */
bool nested_read_until(int fd, char *buf, size_t len, size_t *got,
		       const char *needle);

/*
 * Starts QEMU with the drawing guest on vGPU @uuid (display=on), its
 * monitor socket in @dir; @migratable adds nested_migration_prop(),
 * @incoming (or NULL) is passed to -incoming.
 */
void nested_start(struct nested_vm *vm, const char *dir, const char *uuid,
		  bool migratable, const char *incoming);
/* nested_start() with more QEMU arguments (@extra: NULL-terminated, ≤ 14). */
void nested_start_args(struct nested_vm *vm, const char *dir, const char *uuid,
		       bool migratable, const char *incoming, const char *const *extra);
/*
 * nested_start() for the Linux guest (make guest): build/guest/initramfs.gz
 * with the kernel its modules are for (initramfs.gz.kernel), 256 MiB + 8 KiB
 * (nested.c says why); its serial console carries the workload's
 * MVGPU-GUEST-* lines (guest/test/mvgpu-gpu-test.c).  @extra: more QEMU
 * arguments (NULL-terminated, ≤ 14) or NULL.
 */
void nested_start_linux(struct nested_vm *vm, const char *dir, const char *uuid,
			bool migratable, const char *incoming, const char *const *extra);
/* The Linux guest's RAM: 256 MiB + 8 KiB (nested.c says why). */
#define NESTED_RAM_LINUX_KIB	262152
#define NESTED_RAM_LINUX_BYTES	(NESTED_RAM_LINUX_KIB * 1024)
/*
 * Compares the RAM of two Linux guests, both stopped (pmemsave into @dir):
 * returns how many 4 KiB pages differ; the first ones' addresses go to
 * @first (@len bytes).
 */
long nested_ram_diff(struct nested_vm *a, struct nested_vm *b, const char *dir,
		     char *first, size_t len);
/*
 * Suite .fini of the nested suites: kills the QEMUs a failed test left
 * (they hold their vGPUs, whose removal would wait for them), then
 * lab_remove_all().
 */
void nested_fini(void);
/* A child this test reaped itself (nested_damage_relay()'s) leaves the list. */
void nested_forget(pid_t pid);
/* The vfio-pci property that turns migration on, for the QEMU on PATH:
 * "x-enable-migration=on" (7.2) or "enable-migration=on" (>= 8.1). */
const char *nested_migration_prop(void);
/* Waits for the guest's MVGPU-DRAW-DONE line (asserts it is not FAIL). */
void nested_wait_drawn(struct nested_vm *vm);
/* One HMP command; returns its output. */
const char *nested_hmp(struct nested_vm *vm, const char *cmd);
/*
 * HMP @cmd, a `migrate` without -d, then `info migrate` until the migration
 * ended (completed, failed or cancelled; 120 s at most): QEMU's HMP returns
 * from `migrate` when the status is no longer setup or active, so also in
 * QEMU >= 9's "device" phase, before the end.  Returns the last `info
 * migrate`.
 */
const char *nested_migrate(struct nested_vm *vm, const char *cmd);
void nested_quit(struct nested_vm *vm);
/* Waits until QEMU exits by itself; its wait status, stderr into @err. */
int nested_wait_exit(struct nested_vm *vm, char *err, size_t len);
/* screendump into @path and check the four bands the guest draws */
void nested_check_screen(struct nested_vm *vm, const char *path);

/* @dir/vm.mig (a QEMU migration file) with the byte at @off from the mvgpu
 * stream's magic XORed with 0x20, as @dir/bad.mig. */
void nested_damage(const char *dir, long off);
/*
 * A relay for a live migration: accepts one connection on 127.0.0.1
 * @listen_port (bound before it returns) and copies it to 127.0.0.1
 * @to_port, flipping bit 5 of the last byte of the mvgpu stream's magic on
 * the way.  Returns the relay's pid (a child process; reap it, then
 * nested_forget() it).
 */
pid_t nested_damage_relay(int listen_port, int to_port);
/* True if a kernel log record after @fd's position (/dev/kmsg opened
 * O_NONBLOCK, at its end) holds @want. */
bool nested_kmsg_has(int fd, const char *want);

#endif
