// SPDX-License-Identifier: MIT
/*
 * QEMU itself migrates a VM holding a vGPU: QEMU 7.2 (--stack bookworm)
 * through the v1 migration region, QEMU 10.0 (--stack modern) through v2
 * (VFIO_DEVICE_FEATURE_MIGRATION).  The nested guest (tests/nested/draw.c)
 * draws on vGPU A; QEMU saves the VM with `migrate "exec:cat > file"`
 * (without -d, HMP returns when it completed); a second QEMU on a fresh
 * vGPU B loads it with -incoming; its screendump must show what was drawn
 * on A.  QEMU does not migrate BAR RAM, so the pixels come through the
 * mvgpu stream.  The same file, damaged inside the mvgpu stream, must be
 * refused by the driver (QEMU's load fails, QEMU exits), and vGPU B must
 * serve a fresh VM after.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lab.h"
#include "nested.h"

static void setup(void)
{
	lab_remove_all();
	lab_platform_defaults();
}

TestSuite(qemu_migration, .init = setup, .fini = nested_fini, .timeout = 500);

/* vGPU @uuid runs the drawing guest, which QEMU saves into @dir/vm.mig. */
static void save_vm(const char *dir, const char *uuid)
{
	struct nested_vm a;
	char cmd[300];

	nested_start(&a, dir, uuid, true, NULL);
	nested_wait_drawn(&a);
	snprintf(cmd, sizeof(cmd), "migrate \"exec:cat > %s/vm.mig\"", dir);
	cr_assert_not_null(strstr(nested_migrate(&a, cmd), "completed"),
			   "source: %s", a.out);
	nested_quit(&a);
}

Test(qemu_migration, qemu_saves_and_loads_a_vm_with_a_vgpu)
{
	char ua[37], ub[37], dir[] = "/tmp/mvgpu-qmig.XXXXXX", shot[128];
	char incoming[200];
	struct nested_vm b;

	cr_assert_eq(lab_create("/sys/class/mdev_bus/mvgpu0", "64M", ua), 0);
	cr_assert_eq(lab_create("/sys/class/mdev_bus/mvgpu0", "64M", ub), 0);
	cr_assert_not_null(mkdtemp(dir));
	printf("qemu_migration: %s\n", nested_migration_prop());

	save_vm(dir, ua);
	snprintf(incoming, sizeof(incoming), "exec:cat %s/vm.mig", dir);
	nested_start(&b, dir, ub, true, incoming);
	/* -incoming: the VM runs once the load is through (each query is a
	 * monitor round trip, bounded) */
	for (int i = 0; i < 2000 && !strstr(nested_hmp(&b, "info status"), "running"); i++)
		cr_assert_null(strstr(b.out, "failed"), "destination: %s", b.out);
	cr_assert_not_null(strstr(b.out, "running"), "destination: %s", b.out);
	snprintf(shot, sizeof(shot), "%s/shot.ppm", dir);
	nested_check_screen(&b, shot);
	nested_quit(&b);
}

Test(qemu_migration, a_damaged_stream_is_refused_and_the_vgpu_serves_a_new_vm)
{
	/* the stream's magic; a byte of the first PAGE record's pixels, past
	 * DESC (16 + 104) and SIZE (16 + 16) and the PAGE header and index */
	static const long where[] = { 2, 120 + 32 + 16 + 8 + 1000 };
	/* what the driver must have said (its rate-limited dev_warn) */
	static const char *const why[] = { "bad magic", "checksum mismatch" };
	char ua[37], ub[37], dir[] = "/tmp/mvgpu-qbad.XXXXXX", shot[128];
	char incoming[200], err[4096];
	struct nested_vm b;
	int status;

	cr_assert_eq(lab_create("/sys/class/mdev_bus/mvgpu0", "64M", ua), 0);
	cr_assert_eq(lab_create("/sys/class/mdev_bus/mvgpu0", "64M", ub), 0);
	cr_assert_not_null(mkdtemp(dir));
	save_vm(dir, ua);

	for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
		int kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

		cr_assert_geq(kmsg, 0);
		lseek(kmsg, 0, SEEK_END);
		nested_damage(dir, where[i]);
		snprintf(incoming, sizeof(incoming), "exec:cat %s/bad.mig", dir);
		nested_start(&b, dir, ub, true, incoming);
		status = nested_wait_exit(&b, err, sizeof(err));
		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) != 0,
			  "damage at +%ld: QEMU loaded it (status %#x): %s", where[i], status, err);
		cr_assert(strstr(err, "load") || strstr(err, "migrat"),
			  "damage at +%ld: QEMU said: %s", where[i], err);
		cr_assert(nested_kmsg_has(kmsg, why[i]), "damage at +%ld: the driver did not log '%s'",
			  where[i], why[i]);
		close(kmsg);
		/* the refused load left vGPU B to serve a new VM */
		nested_start(&b, dir, ub, false, NULL);
		nested_wait_drawn(&b);
		snprintf(shot, sizeof(shot), "%s/after-%zu.ppm", dir, i);
		nested_check_screen(&b, shot);
		nested_quit(&b);
	}
}

/* ---- live migration between two QEMUs (QEMU >= 8.1: v2 + PRE_COPY) ------ */

/* The file that gets @vm's stderr (QEMU's trace log), read whole. */
static void read_err(const struct nested_vm *vm, char *buf, size_t len)
{
	FILE *f = fopen(vm->err, "r");
	size_t n = 0;

	if (f) {
		n = fread(buf, 1, len - 1, f);
		fclose(f);
	}
	buf[n] = 0;
}

/* "(qemu)" output of @cmd on both; asserts neither said "Error". */
static void both_hmp(struct nested_vm *a, struct nested_vm *b, const char *cmd)
{
	cr_assert_null(strstr(nested_hmp(a, cmd), "rror"), "source: %s: %s", cmd, a->out);
	cr_assert_null(strstr(nested_hmp(b, cmd), "rror"), "target: %s: %s", cmd, b->out);
}

/* One line for docs/benchmarks.md: @what's total time and downtime as
 * `info migrate` gives them. */
static void print_times(const char *what, const char *info)
{
	const char *t = strstr(info, "total time:"), *d = strstr(info, "downtime:");

	if (!t)
		t = strstr(info, "Total time:");
	if (!d)
		d = strstr(info, "Downtime:");
	printf("LAB-QEMU-LIVE %s: total %.*s, downtime %.*s\n", what,
	       t ? (int)strcspn(t + 11, "\r\n") : 1, t ? t + 11 : "?",
	       d ? (int)strcspn(d + 9, "\r\n") : 1, d ? d + 9 : "?");
	fflush(stdout);
}

/*
 * Live migration over TCP from vGPU A's VM to vGPU B's, with @caps (HMP
 * commands run on both before it starts); QEMU's trace events @trace are
 * on, and the source's and target's logs must show @src_ev and @dst_ev:
 * shown, not assumed.  The target's screen must be the source's.
 */
static void live_case(const char *port, const char *const *caps, const char *const *trace,
		      const char *src_ev, const char *dst_ev)
{
	char ua[37], ub[37], dir[] = "/tmp/mvgpu-qlive.XXXXXX", shot[128], cmd[200];
	static char log[1 << 20];
	struct nested_vm a, b;

	const char *stack = getenv("MVGPU_LAB_STACK");

	if (strcmp(nested_migration_prop(), "enable-migration=on")) {
		/* the modern stack's own suite must never pass by skipping */
		cr_assert(!stack || strcmp(stack, "modern"),
			  "--stack modern, but this QEMU has no enable-migration: the stack's layer is not in place");
		cr_skip_test("QEMU < 8.1 (v1 only): this is the modern stack's test");
	}
	cr_assert_eq(lab_create("/sys/class/mdev_bus/mvgpu0", "64M", ua), 0);
	cr_assert_eq(lab_create("/sys/class/mdev_bus/mvgpu0", "64M", ub), 0);
	cr_assert_not_null(mkdtemp(dir));

	nested_start_args(&a, dir, ua, true, NULL, trace);
	nested_start_args(&b, dir, ub, true, "defer", trace);
	for (; caps && *caps; caps++)
		both_hmp(&a, &b, *caps);
	snprintf(cmd, sizeof(cmd), "migrate_incoming tcp:127.0.0.1:%s", port);
	cr_assert_null(strstr(nested_hmp(&b, cmd), "rror"), "target: %s", b.out);
	nested_wait_drawn(&a);
	/* HMP migrate without -d returns when it completed or failed */
	snprintf(cmd, sizeof(cmd), "migrate tcp:127.0.0.1:%s", port);
	cr_assert_not_null(strstr(nested_migrate(&a, cmd), "completed"), "source: %s", a.out);
	print_times(src_ev, a.out);
	for (int i = 0; i < 2000 && !strstr(nested_hmp(&b, "info status"), "running"); i++)
		cr_assert_null(strstr(b.out, "failed"), "target: %s", b.out);
	cr_assert_not_null(strstr(b.out, "running"), "target: %s", b.out);
	snprintf(shot, sizeof(shot), "%s/shot.ppm", dir);
	nested_check_screen(&b, shot);
	nested_quit(&a);
	nested_quit(&b);
	read_err(&a, log, sizeof(log));
	cr_assert_not_null(strstr(log, src_ev), "the source's log has no %s", src_ev);
	read_err(&b, log, sizeof(log));
	cr_assert_not_null(strstr(log, dst_ev), "the target's log has no %s", dst_ev);
}

Test(qemu_migration, live_with_switchover_ack)
{
	/* the target acknowledges once it loaded the vGPU's initial_bytes */
	static const char *const caps[] = {
		"migrate_set_capability return-path on",
		"migrate_set_capability switchover-ack on", NULL,
	};
	static const char *const trace[] = {
		"-trace", "loadvm_approve_switchover",
		"-trace", "source_return_path_thread_switchover_acked", NULL,
	};

	live_case("4461", caps, trace, "source_return_path_thread_switchover_acked",
		  "loadvm_approve_switchover");
}

Test(qemu_migration, live_with_multifd_device_state)
{
	/* QEMU 10.0: the vGPU's stop-copy state on multifd channels
	 * (x-migration-multifd-transfer=auto: multifd on, no compression,
	 * no mapped-ram) */
	static const char *const caps[] = {
		"migrate_set_capability multifd on",
		"migrate_set_parameter multifd-channels 2", NULL,
	};
	static const char *const trace[] = {
		"-trace", "vfio_save_complete_precopy_thread_start",
		"-trace", "vfio_load_bufs_thread_start", NULL,
	};

	live_case("4462", caps, trace, "vfio_save_complete_precopy_thread_start",
		  "vfio_load_bufs_thread_start");
}

/* ---- the benchmark (make bench-qemu; skipped unless MVGPU_BENCH=1) ------- */

/* The number after the first of @keys in @info, or -1. */
static long num_after(const char *info, const char *const *keys)
{
	for (; *keys; keys++) {
		const char *p = strstr(info, *keys);

		if (p)
			return strtol(p + strlen(*keys), NULL, 10);
	}
	return -1;
}

struct bench_mode {
	const char *name;
	bool v2;			/* needs QEMU >= 8.1 */
	const char *const *caps;
};

static const char *const caps_none[] = { NULL };
static const char *const caps_ack[] = {
	"migrate_set_capability return-path on",
	"migrate_set_capability switchover-ack on", NULL,
};
static const char *const caps_multifd[] = {
	"migrate_set_capability multifd on",
	"migrate_set_parameter multifd-channels 2", NULL,
};

/*
 * vGPUs of @type on two parents, the source's guest dirtying @pct % of
 * the framebuffer a second; live migration over TCP in @mode, bounded to
 * 90 s (then cancelled: did-not-converge); prints one LAB-QEMU-BENCH line.
 */
static void bench_one(const char *type, int pct, const struct bench_mode *m, int port)
{
	static const char *const total_keys[] = { "total time: ", "total=", NULL };
	static const char *const down_keys[] = { "downtime: ", "down=", NULL };
	char parents[4][LAB_PATH], ua[37], ub[37], dir[] = "/tmp/mvgpu-qbench.XXXXXX";
	char append[32], cmd[200], serial[8192] = "";
	const char *extra[] = { "-append", append, NULL };
	const char *status = "failed";
	struct nested_vm a, b;
	size_t got = 0;
	long total = -1, down = -1;

	cr_assert_geq(lab_parents(parents, 4), 2, "the bench wants two parents (virtual_parents=1)");
	if (lab_create(parents[0], type, ua) || lab_create(parents[1], type, ub)) {
		printf("LAB-QEMU-BENCH mode=%s type=%s dirty=%d status=no-room\n", m->name, type, pct);
		lab_remove_all();
		return;
	}
	cr_assert_not_null(mkdtemp(dir));
	snprintf(append, sizeof(append), "dirty=%d", pct);
	nested_start_args(&a, dir, ua, true, NULL, extra);
	nested_start_args(&b, dir, ub, true, "defer", NULL);
	both_hmp(&a, &b, "migrate_set_parameter max-bandwidth 1g");
	for (const char *const *c = m->caps; *c; c++)
		both_hmp(&a, &b, *c);
	snprintf(cmd, sizeof(cmd), "migrate_incoming tcp:127.0.0.1:%d", port);
	cr_assert_null(strstr(nested_hmp(&b, cmd), "rror"), "target: %s", b.out);
	/* the 32-bit guest cannot reach a BAR2 that QEMU put above 4 GiB */
	cr_assert(nested_read_until(a.serial, serial, sizeof(serial), &got, "MVGPU-DRAW-"),
		  "guest: %s", serial);
	cr_assert(nested_read_until(a.serial, serial, sizeof(serial), &got, "\n"));
	if (!strstr(serial, "MVGPU-DRAW-DONE")) {
		printf("LAB-QEMU-BENCH mode=%s type=%s dirty=%d status=guest-cannot-run(%.*s)\n",
		       m->name, type, pct, (int)strcspn(strstr(serial, "MVGPU-DRAW-") + 16, "\n"),
		       strstr(serial, "MVGPU-DRAW-") + 16);
		nested_quit(&a);
		nested_quit(&b);
		lab_remove_all();
		return;
	}
	/* two dirtying rounds first: the workload runs when pre-copy starts */
	cr_assert(nested_read_until(a.serial, serial, sizeof(serial), &got, "MVGPU-DIRTY 2\n"),
		  "guest: %s", serial);
	cr_assert_null(strstr(serial, "FAIL"), "guest: %s", serial);
	snprintf(cmd, sizeof(cmd), "migrate -d tcp:127.0.0.1:%d", port);
	nested_hmp(&a, cmd);
	for (int i = 0; i < 450; i++) {		/* 90 s */
		nested_hmp(&a, "info migrate");
		if (strstr(a.out, "completed")) {
			status = "completed";
			break;
		}
		if (strstr(a.out, "failed"))
			break;
		usleep(200 * 1000);	/* a measurement's poll, not a test's sync */
	}
	if (!strcmp(status, "completed")) {
		total = num_after(a.out, total_keys);
		down = num_after(a.out, down_keys);
	} else if (!strstr(a.out, "failed")) {
		status = "did-not-converge";
		nested_hmp(&a, "migrate_cancel");
	}
	printf("LAB-QEMU-BENCH mode=%s type=%s dirty=%d status=%s total_ms=%ld downtime_ms=%ld\n",
	       m->name, type, pct, status, total, down);
	fflush(stdout);
	nested_quit(&a);
	nested_quit(&b);
	lab_remove_all();
}

Test(qemu_bench, downtime_and_total_time, .timeout = 7200)
{
	static const struct bench_mode modes[] = {
		{ "v1", false, caps_none },
		{ "v2", true, caps_none },
		{ "v2+switchover-ack", true, caps_ack },
		{ "v2+multifd", true, caps_multifd },
	};
	static const char *const types[] = { "64M", "256M", "512M", "1G" };
	static const int dirty[] = { 0, 1, 10 };
	bool v2 = !strcmp(nested_migration_prop(), "enable-migration=on");
	const char *only = getenv("MVGPU_BENCH_TYPES");
	char ver[200] = "?";
	int port = 4500;
	FILE *f;

	if (!getenv("MVGPU_BENCH"))
		cr_skip_test("a benchmark: make bench-qemu runs it");
	/* a target whose incoming migration was cancelled has exited */
	signal(SIGPIPE, SIG_IGN);
	f = popen("qemu-system-x86_64 --version", "r");
	if (f) {
		if (!fgets(ver, sizeof(ver), f))
			strcpy(ver, "?\n");
		pclose(f);
	}
	printf("LAB-QEMU-BENCH-QEMU %s", ver);
	for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		if (only && !strstr(only, types[t]))
			continue;
		for (size_t d = 0; d < sizeof(dirty) / sizeof(dirty[0]); d++)
			for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
				/* QEMU 7.2 speaks v1 only; QEMU 10 prefers v2 */
				if (modes[i].v2 == v2)
					bench_one(types[t], dirty[d], &modes[i], port++);
	}
}

/*
 * A live migration to a vGPU whose parent runs without ECC, from one with
 * ECC on: the target's driver refuses the stream at its PLAT record, the
 * second record, before any page - so the source, told over the return
 * path, fails the migration while its VM still runs (both stacks: v1 and v2
 * both send the stream's head in pre-copy).
 */
Test(qemu_migration, an_ecc_mismatch_is_refused_while_the_source_runs)
{
	static const char *const mvgpu0 = "/sys/class/mdev_bus/mvgpu0";
	const char *pci = getenv("MVGPU_LAB_PARENT");
	char ua[37], ub[37], dir[] = "/tmp/mvgpu-qecc.XXXXXX", pdir[256], p[LAB_PATH];
	struct nested_vm a, b;
	int kmsg;

	cr_assert_not_null(pci, "no PCI parent in this lab host");
	snprintf(pdir, sizeof(pdir), "/sys/class/mdev_bus/%s", pci);
	snprintf(p, sizeof(p), "%s/mvgpu/ecc_mode", pdir);
	cr_assert_eq(lab_write_str(p, "disabled"), 0);
	cr_assert_eq(lab_create(mvgpu0, "64M", ua), 0);
	cr_assert_eq(lab_create(pdir, "64M", ub), 0);
	cr_assert_not_null(mkdtemp(dir));
	kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	cr_assert_geq(kmsg, 0);
	lseek(kmsg, 0, SEEK_END);

	nested_start_args(&a, dir, ua, true, NULL, NULL);
	nested_start_args(&b, dir, ub, true, "defer", NULL);
	both_hmp(&a, &b, "migrate_set_capability return-path on");
	cr_assert_null(strstr(nested_hmp(&b, "migrate_incoming tcp:127.0.0.1:4465"), "rror"),
		       "target: %s", b.out);
	nested_wait_drawn(&a);
	cr_assert_not_null(strstr(nested_migrate(&a, "migrate tcp:127.0.0.1:4465"), "failed"),
			   "source: %s", a.out);
	cr_assert_not_null(strstr(nested_hmp(&a, "info status"), "running"), "source: %s", a.out);
	cr_assert(nested_kmsg_has(kmsg, "ECC mode differs: source on, target off"),
		  "the target's driver did not say why");
	close(kmsg);
	nested_quit(&a);
}

/*
 * A VM with two vGPUs on two parents (-device vfio-pci twice) migrates live
 * with both: the guest draws on both and checks both every second; on the
 * target it goes on, round after round, without a failed check.  QEMU 10
 * moves several VFIO devices only through the P2P states (RUNNING_P2P,
 * PRE_COPY_P2P), QEMU 7.2 through the v1 region: check-lab and
 * check-lab-modern run it on each.  (The parents are not linked here: a
 * migration within one host changes the vGPUs' UUIDs, by which peers are
 * named; check-libvirt moves a VM with peers between two hosts.)
 */
Test(qemu_migration, a_vm_with_two_vgpus_migrates_live_with_both)
{
	static const char *const mvgpu0 = "/sys/class/mdev_bus/mvgpu0";
	const char *pci = getenv("MVGPU_LAB_PARENT");
	char u[4][37], dir[] = "/tmp/mvgpu-qtwo.XXXXXX", pdir[256], dev[2][200];
	char serial[8192] = "", tail[8192] = "", want[64];
	const char *src_extra[] = { "-append", "check", "-device", dev[0], NULL };
	const char *dst_extra[] = { "-append", "check", "-device", dev[1], NULL };
	struct nested_vm a, b;
	size_t got = 0, tgot = 0;
	unsigned first;
	const char *l;

	cr_assert_not_null(pci, "no PCI parent in this lab host");
	snprintf(pdir, sizeof(pdir), "/sys/class/mdev_bus/%s", pci);
	cr_assert_eq(lab_create(pdir, "64M", u[0]), 0);
	cr_assert_eq(lab_create(mvgpu0, "64M", u[1]), 0);
	cr_assert_eq(lab_create(pdir, "64M", u[2]), 0);
	cr_assert_eq(lab_create(mvgpu0, "64M", u[3]), 0);
	for (int i = 0; i < 2; i++)
		snprintf(dev[i], sizeof(dev[i]), "vfio-pci,sysfsdev=/sys/bus/mdev/devices/%s,%s",
			 u[2 * i + 1], nested_migration_prop());
	cr_assert_not_null(mkdtemp(dir));
	nested_start_args(&a, dir, u[0], true, NULL, src_extra);
	nested_start_args(&b, dir, u[2], true, "defer", dst_extra);
	cr_assert_null(strstr(nested_hmp(&b, "migrate_incoming tcp:127.0.0.1:4467"), "rror"),
		       "target: %s", b.out);
	/* both vGPUs drawn and checked twice before the migration */
	cr_assert(nested_read_until(a.serial, serial, sizeof(serial), &got, "MVGPU-CHECK-OK 2\n"),
		  "guest: %s", serial);
	cr_assert_not_null(strstr(serial, "MVGPU-GPUS 2 peers 0\n"), "guest: %s", serial);
	cr_assert_null(strstr(serial, "FAIL"), "guest: %s", serial);
	cr_assert_not_null(strstr(nested_migrate(&a, "migrate tcp:127.0.0.1:4467"), "completed"),
			   "source: %s", a.out);
	/* the target goes on from the source's rounds: no reboot, no failure */
	cr_assert(nested_read_until(b.serial, tail, sizeof(tail), &tgot, "MVGPU-CHECK-OK "),
		  "target guest: %s", tail);
	cr_assert(nested_read_until(b.serial, tail, sizeof(tail), &tgot, "\n"));
	l = strstr(tail, "MVGPU-CHECK-OK ");
	first = (unsigned)strtoul(l + 15, NULL, 10);
	cr_assert_geq(first, 3, "the target's guest restarted its rounds: %s", tail);
	snprintf(want, sizeof(want), "MVGPU-CHECK-OK %u\n", first + 2);
	cr_assert(nested_read_until(b.serial, tail, sizeof(tail), &tgot, want),
		  "target guest: %s", tail);
	cr_assert_null(strstr(tail, "FAIL"), "target guest: %s", tail);
	cr_assert_null(strstr(tail, "MVGPU-DRAW-DONE"), "the guest rebooted: %s", tail);
	nested_quit(&a);
	nested_quit(&b);
}
