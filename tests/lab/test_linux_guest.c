// SPDX-License-Identifier: MIT
/*
 * A real guest: Linux (the lab host's kernel, guest/ initramfs) boots in a
 * nested QEMU on a vGPU, loads the mvgpu_drm driver, shows its console on
 * the vGPU (fbcon) and runs guest/test/mvgpu-gpu-test, which renders
 * through the driver's ioctls and checks every byte and fence in rounds.
 *
 * QEMU itself migrates the running VM to a second QEMU on another vGPU
 * (live, over TCP, with a pre-copy held long by a bandwidth limit; on
 * --stack bookworm through the v1 region, on --stack modern through v2 with
 * pre-copy): both guests' RAM is the same page for page before the target
 * runs, the rounds go on unbroken on the target, the console's pixels are
 * the same, and the guest's kernel said nothing worse than the one error
 * the workload provokes on purpose.  A guest with two vGPUs is saved to a
 * file and loaded on two others, the same.  A damaged stream is refused by
 * the target's driver, and the source carries on: in a live migration at
 * once, from a file once resumed.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lab.h"
#include "nested.h"

#define SERIAL_MAX	(256 << 10)

struct guest {
	struct nested_vm vm;
	char *serial;		/* everything its console said, NUL-terminated */
	size_t got;
};

static void setup(void)
{
	lab_remove_all();
}

TestSuite(linux_guest, .init = setup, .fini = nested_fini, .timeout = 900);

static void guest_start(struct guest *g, const char *dir, const char *uuid,
			const char *incoming, const char *const *extra)
{
	g->serial = calloc(1, SERIAL_MAX);
	cr_assert_not_null(g->serial);
	g->got = 0;
	nested_start_linux(&g->vm, dir, uuid, true, incoming, extra);
}

/* Reads the console until round @n passed; the guest's words on failure. */
static void guest_wait_round(struct guest *g, unsigned long n)
{
	char needle[64];
	bool ok;

	snprintf(needle, sizeof(needle), "MVGPU-GUEST-OK %lu ", n);
	ok = nested_read_until(g->vm.serial, g->serial, SERIAL_MAX, &g->got, needle);
	cr_assert(ok && !strstr(g->serial, "MVGPU-GUEST-FAIL"),
		  "round %lu not reached; the guest said:\n%s", n,
		  g->serial + (g->got > 4000 ? g->got - 4000 : 0));
}

/* What a paused guest's console still has in the pipe. */
static void guest_drain(struct guest *g)
{
	struct pollfd p = { .fd = g->vm.serial, .events = POLLIN };
	ssize_t r;

	while (g->got < SERIAL_MAX - 1 && poll(&p, 1, 0) == 1 && (p.revents & POLLIN)) {
		r = read(g->vm.serial, g->serial + g->got, SERIAL_MAX - 1 - g->got);
		if (r <= 0)
			break;
		g->got += r;
		g->serial[g->got] = 0;
	}
}

static unsigned long last_round(const char *s)
{
	unsigned long n = 0;
	const char *p;

	for (p = s; (p = strstr(p, "MVGPU-GUEST-OK ")); p++)
		n = strtoul(p + 15, NULL, 10);
	return n;
}

/*
 * The console of the source and then the target, as one: every round from
 * 1 to the last appears (none lost or repeated at the switch), the guest
 * booted once, its kernel logged no error but the one the workload
 * provokes (its reset-path check), no warning, no oops, no hang, and each
 * vGPU's frames were paced by the host's frame-rate limiter.
 */
static void check_console(const char *src, const char *dst, unsigned long switch_at,
			  int cards)
{
	size_t len = strlen(src) + strlen(dst) + 1;
	char *all = malloc(len), needle[64];
	unsigned long last, k;
	const char *p;
	int errors = 0;

	cr_assert_not_null(all);
	snprintf(all, len, "%s%s", src, dst);
	last = last_round(all);
	for (k = 1; k <= last; k++) {
		snprintf(needle, sizeof(needle), "MVGPU-GUEST-OK %lu ", k);
		p = strstr(all, needle);
		cr_assert(p && !strstr(p + 1, needle), "round %lu appears %s", k,
			  p ? "twice" : "nowhere");
	}
	snprintf(needle, sizeof(needle), " cards=%d", cards);
	p = strstr(dst, needle);
	cr_assert(p && (p[strlen(needle)] == '\r' || p[strlen(needle)] == '\n'),
		  "the rounds did not drive %d vGPUs", cards);
	cr_assert_gt(last, switch_at + 1, "no round after the switch");
	cr_assert_null(strstr(dst, "MVGPU-GUEST-BOOT"), "the guest booted again on the target");
	for (p = all; (p = strstr(p, "*ERROR*")); p++) {
		char line[300];

		snprintf(line, sizeof(line), "%.*s", (int)strcspn(p, "\n"), p);
		errors++;
		/* the invalid opcode (3) the reset-path check injects, per vGPU */
		cr_assert(strstr(line, "stopped: error 3 ") && strstr(line, "its context is lost"),
			  "guest kernel error: %s", line);
	}
	cr_assert_eq(errors, cards, "%d errors in the guest's kernel log (%d provoked)", errors,
		     cards);
	cr_assert_lt(strstr(all, "*ERROR*"), strstr(all, "MVGPU-GUEST-RESET-OK"));
	/* the guest's frames went through the host's frame-rate limiter
	 * (vgpu_params default, 60 fps): 30 frame intervals, never faster */
	k = 0;
	for (p = all; (p = strstr(p, "MVGPU-GUEST-FRAMES card")); p++) {
		const char *f = strstr(p, " fps=");
		double fps = f ? strtod(f + 5, NULL) : 1e9;

		k++;
		cr_assert_leq(fps, 60.5, "the guest's frames were not limited: %.60s", p);
		if (k == 1)
			printf("linux_guest: the guest's frames at %.1f fps (limiter on)\n", fps);
	}
	cr_assert_eq(k, (unsigned long)cards, "%lu MVGPU-GUEST-FRAMES lines for %d vGPUs", k,
		     cards);
	for (const char *const *bad = (const char *const[]){ "WARNING:", "BUG:", "Oops",
		"hung_task", "blocked for more than", "Call Trace", "MVGPU-GUEST-FAIL", NULL };
	     *bad; bad++)
		cr_assert_null(strstr(all, *bad), "the guest said %s:\n%.600s", *bad,
			       strstr(all, *bad));
	free(all);
}

/* screendump of @g into @path; returns the PPM, asserts it is fbcon's mode
 * and not blank. */
static char *screen(struct guest *g, const char *path, size_t *len)
{
	char cmd[300], *buf;
	int w = 0, h = 0, maxv = 0;
	size_t i, lit = 0;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "screendump %s", path);
	nested_hmp(&g->vm, cmd);
	f = fopen(path, "rb");
	cr_assert_not_null(f, "no screendump: %s", g->vm.out);
	cr_assert_eq(fscanf(f, "P6 %d %d %d", &w, &h, &maxv), 3);
	cr_assert(w == 1024 && h == 768, "the console is %dx%d, not fbcon's 1024x768", w, h);
	buf = malloc(4 << 20);
	rewind(f);
	*len = fread(buf, 1, 4 << 20, f);
	fclose(f);
	for (i = *len - (size_t)w * h * 3; i < *len; i++)
		lit += buf[i] != 0;
	/* the banner: some pixels lit, most of the screen black */
	cr_assert(lit > 500 && lit < (size_t)w * h, "%zu lit bytes: no console text", lit);
	return buf;
}

/* The target's console after the move, into the lab's artifacts
 * (docs/guest-driver.md shows one). */
static void keep_shot(const char *how, const char *ppm, size_t len)
{
	const char *out = getenv("MVGPU_LAB_OUT");
	char path[300];
	FILE *f;

	if (!out)
		return;
	snprintf(path, sizeof(path), "%s/linux-guest-console-%s.ppm", out, how);
	f = fopen(path, "wb");
	if (f) {
		fwrite(ppm, 1, len, f);
		fclose(f);
	}
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The status of @vm once it left @transient ("inmigrate"...); 60 s at most. */
static const char *settled_status(struct nested_vm *vm, const char *transient)
{
	double end = now_s() + 60;

	while (strstr(nested_hmp(vm, "info status"), transient) && now_s() < end)
		;
	cr_assert_null(strstr(vm->out, transient), "still %s: %s", transient, vm->out);
	return vm->out;
}

/*
 * A long pre-copy: the source's RAM went over in several passes while the
 * guest ran and the vGPU wrote to it.  Both stopped now (the target at -S),
 * their RAM must be the same page for page - guest writes by the CPU and by
 * the vGPU's DMA all arrived - before the target runs.
 */
static void check_ram(struct guest *a, struct guest *b, const char *dir)
{
	char first[400];
	const char *info = nested_hmp(&a->vm, "info migrate"), *p, *t;
	long syncs, ms, pages;

	p = strstr(info, "dirty sync count:");
	t = strstr(info, "total time:");
	cr_assert(p && t, "source: %s", info);
	syncs = strtol(p + 17, NULL, 10);
	ms = strtol(t + 11, NULL, 10);
	/* every pre-copy counts 3 syncs at least: the time says it was long */
	cr_assert_geq(ms, 10000, "not a long pre-copy: %ld ms, %ld RAM syncs", ms, syncs);
	cr_assert_not_null(strstr(settled_status(&b->vm, "inmigrate"), "paused"),
			   "target: %s", b->vm.out);
	pages = nested_ram_diff(&a->vm, &b->vm, dir, first, sizeof(first));
	printf("linux_guest tcp: %ld ms of pre-copy, %ld RAM syncs, %ld pages differ\n", ms,
	       syncs, pages);
	fflush(stdout);
	cr_assert_eq(pages, 0, "%ld guest pages differ between source and target:%s",
		     pages, first);
	nested_hmp(&b->vm, "cont");
}

static void expect_running(struct nested_vm *vm)
{
	for (int i = 0; i < 2000 && !strstr(nested_hmp(vm, "info status"), "running"); i++)
		cr_assert_null(strstr(vm->out, "failed"), "target: %s", vm->out);
	cr_assert_not_null(strstr(vm->out, "running"), "target: %s", vm->out);
}

/* A second vGPU for a guest: QEMU arguments, in @s. */
struct second {
	char dev[200];
	const char *argv[3];
};

static const char *const *second_vgpu(struct second *s, const char *uuid)
{
	snprintf(s->dev, sizeof(s->dev), "vfio-pci,sysfsdev=/sys/bus/mdev/devices/%s,%s",
		 uuid, nested_migration_prop());
	s->argv[0] = "-device";
	s->argv[1] = s->dev;
	s->argv[2] = NULL;
	return s->argv;
}

/*
 * @a has just been saved to @dir/vm.mig and is paused.  The file with its
 * mvgpu stream damaged is refused by vGPU @ub's driver (QEMU's load fails;
 * @ub2 is the target's second vGPU);
 * @a, resumed, carries on rendering (its first round re-checks everything)
 * and is saved again into @dir/vm.mig.
 */
static void refuse_and_resume(struct guest *a, const char *dir, const char *ub,
			      const char *ub2)
{
	struct second s;
	int kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC), status;
	char cmd[300], err[4096];
	struct nested_vm bad;
	unsigned long at = last_round(a->serial);

	cr_assert_geq(kmsg, 0);
	lseek(kmsg, 0, SEEK_END);
	nested_damage(dir, 2);		/* the stream's magic */
	snprintf(cmd, sizeof(cmd), "exec:cat %s/bad.mig", dir);
	nested_start_linux(&bad, dir, ub, true, cmd, second_vgpu(&s, ub2));
	status = nested_wait_exit(&bad, err, sizeof(err));
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) != 0,
		  "QEMU loaded a damaged stream (status %#x): %s", status, err);
	cr_assert(nested_kmsg_has(kmsg, "bad magic"), "the target's driver did not say why");
	close(kmsg);

	nested_hmp(&a->vm, "cont");
	guest_wait_round(a, at + 2);
	snprintf(cmd, sizeof(cmd), "migrate \"exec:cat > %s/vm.mig\"", dir);
	cr_assert_not_null(strstr(nested_migrate(&a->vm, cmd), "completed"),
			   "source: %s", a->vm.out);
	guest_drain(a);
}

/*
 * A live migration of running @a whose mvgpu stream is damaged on the way
 * (a relay flips a bit of its magic) is refused by vGPU @ub's driver: the
 * target's QEMU fails its load, the source's migration fails, and the guest
 * renders on there (its stop-copy, if it began, is undone).
 */
static void refuse_live(struct guest *a, const char *dir, const char *ub)
{
	int kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC), status;
	unsigned long at;
	struct nested_vm bad;
	char err[4096];
	pid_t relay;

	cr_assert_geq(kmsg, 0);
	lseek(kmsg, 0, SEEK_END);
	nested_start_linux(&bad, dir, ub, true, "defer", NULL);
	cr_assert_null(strstr(nested_hmp(&bad, "migrate_incoming tcp:127.0.0.1:4472"), "rror"),
		       "target: %s", bad.out);
	relay = nested_damage_relay(4473, 4472);
	/* the return path: a load that fails on the target fails the source's
	 * migration, which then runs on, also after its stop-copy began */
	cr_assert_null(strstr(nested_hmp(&bad, "migrate_set_capability return-path on"), "rror"));
	cr_assert_null(strstr(nested_hmp(&a->vm, "migrate_set_capability return-path on"), "rror"));
	cr_assert_not_null(strstr(nested_migrate(&a->vm, "migrate tcp:127.0.0.1:4473"), "failed"),
			   "a damaged stream did not fail the migration: %s", a->vm.out);
	cr_assert(nested_kmsg_has(kmsg, "bad magic"), "the target's driver did not say why");
	close(kmsg);
	/* the target failed loading the vGPU's section (QEMU 7.2 exits then,
	 * 10.0 waits for a monitor command) */
	kill(bad.pid, SIGTERM);
	nested_wait_exit(&bad, err, sizeof(err));
	cr_assert(strstr(err, "error while loading state section") && strstr(err, "/vfio)"),
		  "the target did not fail loading the vGPU: %s", err);
	kill(relay, SIGKILL);
	cr_assert_eq(waitpid(relay, &status, 0), relay);
	nested_forget(relay);
	cr_assert_not_null(strstr(nested_hmp(&a->vm, "info status"), "running"),
			   "source after the refused migration: %s", a->vm.out);
	/* rounds after the refusal, not ones already in the pipe */
	guest_drain(a);
	at = last_round(a->serial);
	guest_wait_round(a, at + 2);
	nested_hmp(&a->vm, "migrate_set_capability return-path off");
	printf("linux_guest tcp: a damaged stream refused after round %lu, source rendering on\n",
	       at);
	fflush(stdout);
}

/*
 * Source runs rounds; @how moves it to @dst_uuid's QEMU: "tcp" live (after
 * a damaged live stream was refused), or
 * "file" (saved; a damaged copy refused and the source resumed; saved
 * again, then loaded), with two vGPUs in the guest (both rendered to in
 * every round; the first has the console).  Checks the target as above.
 */
static void move_case(const char *how, const char *port)
{
	char ua[37], ub[37], ua2[37], ub2[37], dir[] = "/tmp/mvgpu-linux.XXXXXX";
	char path[200], cmd[300];
	int cards = strcmp(how, "tcp") ? 2 : 1;
	char *shot_a, *shot_b;
	struct second s;
	size_t la, lb;
	struct guest a, b;
	unsigned long at;

	cr_assert_eq(lab_create("/sys/class/mdev_bus/mvgpu0", "64M", ua), 0);
	cr_assert_eq(lab_create("/sys/class/mdev_bus/mvgpu0", "64M", ub), 0);
	if (cards == 2) {
		cr_assert_eq(lab_create("/sys/class/mdev_bus/mvgpu0", "64M", ua2), 0);
		cr_assert_eq(lab_create("/sys/class/mdev_bus/mvgpu0", "64M", ub2), 0);
	}
	cr_assert_not_null(mkdtemp(dir));

	guest_start(&a, dir, ua, NULL, cards == 2 ? second_vgpu(&s, ua2) : NULL);
	guest_wait_round(&a, 3);
	snprintf(path, sizeof(path), "%s/a.ppm", dir);
	shot_a = screen(&a, path, &la);

	if (!strcmp(how, "tcp")) {
		refuse_live(&a, dir, ub);
		/* held at -S: its RAM is compared before it runs */
		guest_start(&b, dir, ub, "defer", (const char *const[]){ "-S", NULL });
		snprintf(cmd, sizeof(cmd), "migrate_incoming tcp:127.0.0.1:%s", port);
		cr_assert_null(strstr(nested_hmp(&b.vm, cmd), "rror"), "target: %s", b.vm.out);
		/* ~25 s of pre-copy: several RAM passes while the guest renders */
		nested_hmp(&a.vm, "migrate_set_parameter max-bandwidth 4M");
		snprintf(cmd, sizeof(cmd), "migrate tcp:127.0.0.1:%s", port);
	} else {
		snprintf(cmd, sizeof(cmd), "migrate \"exec:cat > %s/vm.mig\"", dir);
	}
	cr_assert_not_null(strstr(nested_migrate(&a.vm, cmd), "completed"),
			   "source: %s", a.vm.out);
	guest_drain(&a);
	at = last_round(a.serial);
	printf("linux_guest %s: switched after round %lu\n", how, at);
	fflush(stdout);
	if (strcmp(how, "tcp")) {
		refuse_and_resume(&a, dir, ub, ub2);
		at = last_round(a.serial);
		printf("linux_guest %s: saved again after round %lu\n", how, at);
		snprintf(cmd, sizeof(cmd), "exec:cat %s/vm.mig", dir);
		guest_start(&b, dir, ub, cmd, second_vgpu(&s, ub2));
	} else {
		check_ram(&a, &b, dir);
	}
	expect_running(&b.vm);
	guest_wait_round(&b, at + 3);

	snprintf(path, sizeof(path), "%s/b.ppm", dir);
	shot_b = screen(&b, path, &lb);
	cr_assert(la == lb && !memcmp(shot_a, shot_b, la),
		  "the console changed across the migration (%s/a.ppm, b.ppm)", dir);
	keep_shot(how, shot_b, lb);
	check_console(a.serial, b.serial, at, cards);
	nested_quit(&a.vm);
	nested_quit(&b.vm);
	free(shot_a);
	free(shot_b);
	free(a.serial);
	free(b.serial);
}

Test(linux_guest, live_migration_keeps_the_guest_rendering)
{
	move_case("tcp", "4471");
}

Test(linux_guest, save_refused_if_damaged_then_restored)
{
	move_case("file", NULL);
}
