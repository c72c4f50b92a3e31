// SPDX-License-Identifier: MIT
/*
 * test_migrate.c - live migration between two lab hosts with the real
 * module, the real CLI and the real network (issue #5).
 *
 *  - a vGPU under `mvgpu exercise` moves A -> B and back; after each hop
 *    the incoming workload checks every channel's registers against the
 *    state that travelled and the framebuffer against the digest of the
 *    source's verified shadow, then carries on with the next fences;
 *  - save on A, restore on B, same framebuffer;
 *  - faults: incompatible target, network cut, either helper killed in
 *    pre-copy and in stop-copy, or stopped by SIGTERM, corrupted bytes, a
 *    cut stream, a target that fails at the commit; each time
 *    the source vGPU runs on with its workload still verifying, the
 *    target vGPU is as before, both sides say what happened;
 *  - downtime and total time per framebuffer size (printed for
 *    docs/benchmarks.md; not asserted).
 *
 * Source-side faults are injected with $MVGPU_FAULT (transfer.c); the
 * rest are real: processes killed, the link taken down.
 */
#include "lab2.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>

/* every connection is TLS with the lab's credentials (tls_creds()) */
#define CLI		"env MVGPU_TLS_DIR=" TLS_DIR " build/asan/bin/mvgpu"
#define TLS_DIR		"/tmp/mvgpu-tls"
#define PORT		"7077"
#define T_CMD		60000
#define T_MIG		240000		/* a migration under TCG, at most */
#define T_PASS		120000		/* the next exercise pass, at most */
#define HOST_B		"169.254.77.2"
#define HOST_A		"169.254.77.1"

static char uuid[37];

static void new_uuid(char *out)
{
	FILE *f = fopen("/proc/sys/kernel/random/uuid", "r");

	cr_assert_not_null(f);
	cr_assert_not_null(fgets(out, 37, f));
	fclose(f);
}

static void run_a(struct peer_result *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void run_a(struct peer_result *r, const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	cr_assert_eq(local_run(cmd, T_MIG, r), 0, "A: %s", cmd);
}

static void run_b(struct peer_result *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void run_b(struct peer_result *r, const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	cr_assert_eq(peer_run(cmd, T_MIG, r), 0, "B: %s: %s", cmd, peer_error());
}

/* Create vGPU @uuid of @type on A and on B (@type_b). */
static void create_both(const char *type_a, const char *type_b)
{
	struct peer_result r;

	run_a(&r, CLI " create --type %s --uuid %s", type_a, uuid);
	cr_assert_eq(r.status, 0, "A create: %s", r.err);
	peer_result_free(&r);
	run_b(&r, CLI " create --type %s --uuid %s", type_b, uuid);
	cr_assert_eq(r.status, 0, "B create: %s", r.err);
	peer_result_free(&r);
}

/*
 * Credentials, once per boot: A's in TLS_DIR (CN=lab-a), B's in TLS_DIR on
 * B (CN=lab-b), from one CA; an impostor's from another CA in /tmp/tls-x
 * on both; from the right CA, certificates that expired in 2020 in
 * /tmp/tls-old on both, and A's without a client certificate in
 * /tmp/tls-noc on A.  Made on A with tools/tls/mvgpu-certs, B's copied over.
 */
static void put_dir_b(const char *from, const char *to)
{
	static const char *const files[] = {
		"ca-cert.pem", "server-cert.pem", "server-key.pem",
		"client-cert.pem", "client-key.pem",
	};
	struct peer_result r;

	run_b(&r, "mkdir -p %s", to);
	peer_result_free(&r);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char src[256], dst[256], *buf;
		size_t len;
		FILE *f;

		snprintf(src, sizeof(src), "%s/%s", from, files[i]);
		snprintf(dst, sizeof(dst), "%s/%s", to, files[i]);
		f = fopen(src, "r");
		cr_assert_not_null(f, "%s", src);
		buf = malloc(65536);
		len = fread(buf, 1, 65536, f);
		fclose(f);
		cr_assert_eq(peer_put(dst, buf, len, 0600), 0, "%s", peer_error());
		free(buf);
	}
}

static void tls_creds(void)
{
	struct peer_result r;

	if (!access(TLS_DIR "/ca-cert.pem", R_OK))
		return;
	run_a(&r, "set -e; c=tools/tls/mvgpu-certs; rm -rf /tmp/tls-*;"
	      "$c ca /tmp/tls-ca; $c ca /tmp/tls-other-ca 'other CA';"
	      "$c host /tmp/tls-ca /tmp/tls-a lab-a --ip " HOST_A " --ip 127.0.0.1;"
	      "$c host /tmp/tls-ca /tmp/tls-b lab-b --ip " HOST_B ";"
	      "$c host /tmp/tls-other-ca /tmp/tls-x impostor --ip " HOST_A " --ip " HOST_B " --ip 127.0.0.1;"
	      "$c host /tmp/tls-ca /tmp/tls-old lab-old --ip " HOST_A " --ip " HOST_B " --expired;"
	      "$c host /tmp/tls-ca /tmp/tls-noc lab-a --ip " HOST_A " --no-client");
	cr_assert_eq(r.status, 0, "%s", r.err);
	peer_result_free(&r);
	put_dir_b("/tmp/tls-b", TLS_DIR);
	put_dir_b("/tmp/tls-x", "/tmp/tls-x");
	put_dir_b("/tmp/tls-old", "/tmp/tls-old");
	run_a(&r, "cp -r /tmp/tls-a " TLS_DIR);
	cr_assert_eq(r.status, 0, "%s", r.err);
	peer_result_free(&r);
}

static void setup(void)
{
	lab2_peer();
	new_uuid(uuid);
	tls_creds();
}

/* Kill every mvgpu process on both hosts, remove every vGPU. */
static void teardown(void)
{
	static const char clean[] =
		"pkill -KILL -x mvgpu; ip link set eth0 up 2>/dev/null;"
		"for u in /sys/bus/mdev/devices/*; do [ -e \"$u/remove\" ] && echo 1 > \"$u/remove\"; done; true";
	struct peer_result r;

	local_cleanup();
	if (local_run(clean, T_CMD, &r) == 0)
		peer_result_free(&r);
	if (peer_run(clean, T_CMD, &r) == 0)
		peer_result_free(&r);
}

TestSuite(migrate, .init = setup, .fini = teardown, .timeout = 900);

/* "pass N" lines of `mvgpu exercise --seconds`: wait for a later one. */
static uint64_t last_pass(const char *out)
{
	const char *p = out, *q;
	uint64_t n = 0;

	while ((q = strstr(p, "pass "))) {
		char *end;
		unsigned long long v = strtoull(q + 5, &end, 10);

		if (end != q + 5 && *end == ' ')
			n = v;
		p = q + 5;
	}
	return n;
}

/* Wait until job @id (A: local, B: peer) reports a pass after @after;
 * @return the last pass it reported. */
static uint64_t wait_pass_after(bool on_b, int id, uint64_t after)
{
	int left = T_PASS;

	for (;;) {
		struct peer_result r;
		uint64_t last;
		int ret = on_b ? peer_wait(id, 500, &r) : local_wait(id, 500, &r);

		cr_assert_geq(ret, 0, "%s: %s", on_b ? "B" : "A", peer_error());
		last = last_pass(r.out);
		if (last > after) {
			peer_result_free(&r);
			return last;
		}
		cr_assert_eq(ret, PEER_RUNNING,
			     "%s: the workload ended (status %d) after pass %llu: %s%s",
			     on_b ? "B" : "A", r.status, (unsigned long long)last,
			     r.out, r.err);
		peer_result_free(&r);
		left -= 500;
		cr_assert_gt(left, 0, "%s: no pass after %llu in %d ms",
			     on_b ? "B" : "A", (unsigned long long)after, T_PASS);
	}
}

static int spawn_a(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int spawn_a(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	int id;

	/* exec: signals reach the program, not a shell around it */
	memcpy(cmd, "exec ", 5);
	va_start(ap, fmt);
	vsnprintf(cmd + 5, sizeof(cmd) - 5, fmt, ap);
	va_end(ap);
	cr_assert_eq(local_spawn(cmd, &id), 0, "A: %s", cmd);
	return id;
}

static int spawn_b(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int spawn_b(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	int id;

	memcpy(cmd, "exec ", 5);
	va_start(ap, fmt);
	vsnprintf(cmd + 5, sizeof(cmd) - 5, fmt, ap);
	va_end(ap);
	cr_assert_eq(peer_spawn(cmd, &id), 0, "B: %s: %s", cmd, peer_error());
	return id;
}

static void wait_b(int id, const char *needle)
{
	struct peer_result r;

	cr_assert_eq(peer_wait_for(id, needle, T_MIG, &r), 0, "B: %s", peer_error());
	peer_result_free(&r);
}

static void wait_a(int id, const char *needle)
{
	struct peer_result r;

	cr_assert_eq(local_wait_for(id, needle, T_MIG, &r), 0, "A: %s", peer_error());
	peer_result_free(&r);
}

/* A workload on A's vGPU that serves the agent; first passes verified. */
static int start_source_workload(uint64_t *pass)
{
	int id = spawn_a(CLI " exercise -u %s --agent --seconds 3000", uuid);

	*pass = wait_pass_after(false, id, 1);
	return id;
}

/* B: a receiver for the vGPU (through a waiting workload if @incoming). */
static int start_receiver_b_json(bool incoming, int *wl, bool json)
{
	int id;

	*wl = -1;
	if (incoming) {
		*wl = spawn_b(CLI " exercise -u %s --incoming --seconds 3000", uuid);
		wait_b(*wl, "waits for a migration in");
	}
	id = spawn_b(CLI "%s receive --listen :" PORT " --uuid %s --timeout 8",
		     json ? " --json" : "", uuid);
	wait_b(id, json ? "\"event\": \"listening\"" : "listening on");
	return id;
}

static int start_receiver_b(bool incoming, int *wl)
{
	return start_receiver_b_json(incoming, wl, false);
}

/* The source vGPU is RUNNING and its workload verifies new passes. */
static void source_runs_on(int wl, uint64_t pass)
{
	wait_pass_after(false, wl, pass + 1);
}

/* B's vGPU: idle, not loading, nothing applied (all zero, as created). */
static void target_clean(void)
{
	struct peer_result r;

	run_b(&r, CLI " --json list");
	cr_assert_eq(r.status, 0);
	cr_assert(strstr(r.out, uuid), "B lost its vGPU: %s", r.out);
	cr_assert(!strstr(r.out, "\"in_use\": true"), "B's vGPU still in use: %s", r.out);
	peer_result_free(&r);
	/* a save of it shows an empty framebuffer: nothing was applied */
	run_b(&r, CLI " save %s /tmp/clean.img && " CLI " --json inspect /tmp/clean.img", uuid);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "\"data\": 0,"), "B's vGPU holds data: %s", r.out);
	peer_result_free(&r);
}

/*
 * B's vGPU drawn on by one pass of `mvgpu exercise` (when @draw), and the
 * sha256 of its displayed picture into @sha: what a refused migration must
 * leave as it was (an empty framebuffer would not tell that from a reset).
 */
static void target_picture(bool draw, char *sha, size_t len)
{
	struct peer_result r;

	if (draw) {
		run_b(&r, CLI " exercise --uuid %s --passes 1", uuid);
		cr_assert_eq(r.status, 0, "B: %s", r.err);
		peer_result_free(&r);
	}
	run_b(&r, CLI " save %s /tmp/t.img >/dev/null && " CLI
	      " inspect /tmp/t.img --png /tmp/t.png --mode 1024x768 >/dev/null && sha256sum < /tmp/t.png",
	      uuid);
	cr_assert_eq(r.status, 0, "B: %s", r.err);
	cr_assert_eq(strlen(r.out), 68, "%s", r.out);
	snprintf(sha, len, "%s", r.out);
	peer_result_free(&r);
}

/* B's vGPU idle, not loading, its picture still @before's. */
static void target_unchanged(const char *before)
{
	struct peer_result r;
	char after[80];

	run_b(&r, CLI " --json list");
	cr_assert_eq(r.status, 0);
	cr_assert(strstr(r.out, uuid), "B lost its vGPU: %s", r.out);
	cr_assert(!strstr(r.out, "\"in_use\": true"), "B's vGPU still in use: %s", r.out);
	peer_result_free(&r);
	target_picture(false, after, sizeof(after));
	cr_assert_str_eq(after, before, "B's vGPU changed: its picture is not what it was");
}

/* The vGPU's framebuffer is the same on A and B: a save of each renders
 * to the same PNG (the displayed area, from the image alone). */
static void same_picture(void)
{
	static const char cmd[] =
		CLI " save %s /tmp/p.img >/dev/null && " CLI
		" inspect /tmp/p.img --png /tmp/p.png --mode 1024x768 >/dev/null && sha256sum < /tmp/p.png";
	struct peer_result a, b;

	run_a(&a, cmd, uuid);
	cr_assert_eq(a.status, 0, "A: %s", a.err);
	run_b(&b, cmd, uuid);
	cr_assert_eq(b.status, 0, "B: %s", b.err);
	cr_assert_eq(strlen(a.out), 68, "%s", a.out);
	cr_assert_str_eq(a.out, b.out);
	peer_result_free(&a);
	peer_result_free(&b);
}

/* ---- the happy path ------------------------------------------------------- */

Test(migrate, a_to_b_and_back_under_exercise)
{
	struct peer_result r, m;
	uint64_t pass, after;
	int wl_a, wl_b, rcv;

	create_both("mvgpu-64M", "mvgpu-64M");
	wl_a = start_source_workload(&pass);
	rcv = start_receiver_b(true, &wl_b);

	/* A -> B, while the workload keeps drawing */
	run_a(&m, CLI " --json migrate %s " HOST_B ":" PORT, uuid);
	cr_assert_eq(m.status, 0, "migrate A->B: %s%s", m.out, m.err);
	cr_assert(strstr(m.out, "\"event\": \"done\", \"ok\": true"), "%s", m.out);
	cr_assert(strstr(m.out, "\"workload\": true"), "%s", m.out);
	cr_log_info("A->B: %s", strstr(m.out, "{\"event\": \"done\""));
	peer_result_free(&m);
	cr_assert_eq(peer_wait(rcv, T_MIG, &r), 0);
	cr_assert_eq(r.status, 0, "receive: %s", r.err);
	cr_assert(strstr(r.out, "its workload continues here"), "%s", r.out);
	peer_result_free(&r);
	/* the source workload ended cleanly, the target one continued */
	cr_assert_eq(local_wait(wl_a, T_MIG, &r), 0);
	cr_assert_eq(r.status, 0, "A's workload: %s%s", r.out, r.err);
	cr_assert(strstr(r.out, "migrated away after pass"), "%s", r.out);
	peer_result_free(&r);
	cr_assert_eq(peer_wait_for(wl_b, "channels and framebuffer verified", T_MIG, &r), 0,
		     "%s", peer_error());
	cr_assert(sscanf(strstr(r.out, "arrived after pass"), "arrived after pass %llu",
			 (unsigned long long *)&after) == 1);
	cr_assert_geq(after, pass);
	peer_result_free(&r);
	after = wait_pass_after(true, wl_b, after + 1);

	/* B -> A */
	wl_a = spawn_a(CLI " exercise -u %s --incoming --seconds 3000", uuid);
	wait_a(wl_a, "waits for a migration in");
	rcv = spawn_a(CLI " receive --listen :" PORT " --uuid %s --timeout 8", uuid);
	wait_a(rcv, "listening on");
	run_b(&m, CLI " migrate %s " HOST_A ":" PORT, uuid);
	cr_assert_eq(m.status, 0, "migrate B->A: %s%s", m.out, m.err);
	cr_assert(strstr(m.out, "its workload continues there"), "%s", m.out);
	peer_result_free(&m);
	cr_assert_eq(local_wait(rcv, T_MIG, &r), 0);
	cr_assert_eq(r.status, 0, "receive on A: %s", r.err);
	peer_result_free(&r);
	cr_assert_eq(peer_wait(wl_b, T_MIG, &r), 0);
	cr_assert_eq(r.status, 0, "B's workload: %s%s", r.out, r.err);
	cr_assert(strstr(r.out, "migrated away after pass"), "%s", r.out);
	peer_result_free(&r);
	wait_a(wl_a, "channels and framebuffer verified");
	pass = wait_pass_after(false, wl_a, after + 1);

	/* stop it: every pass it ran verified */
	cr_assert_eq(local_kill(wl_a, SIGTERM), 0);
	cr_assert_eq(local_wait(wl_a, T_MIG, &r), 0);
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	cr_assert(strstr(r.out, "exercise: ok:"), "%s", r.out);
	cr_assert(strstr(r.out, "continued after migration from pass"), "%s", r.out);
	peer_result_free(&r);
}

Test(migrate, idle_vgpu_created_on_request)
{
	struct peer_result r;
	int rcv;

	run_a(&r, CLI " create --type mvgpu-64M --uuid %s && " CLI
	      " exercise -u %s --passes 2", uuid, uuid);
	cr_assert_eq(r.status, 0, "%s", r.err);
	peer_result_free(&r);
	/* without --create the target says what to do */
	rcv = spawn_b(CLI " receive --listen :" PORT);
	wait_b(rcv, "listening on");
	run_a(&r, CLI " migrate %s " HOST_B ":" PORT, uuid);
	cr_assert_eq(r.status, 1);
	cr_assert(strstr(r.err, "has no vGPU"), "%s", r.err);
	cr_assert(strstr(r.err, "(mvgpu create --type mvgpu-64M --uuid "), "%s", r.err);
	cr_assert(strstr(r.err, "running here, unchanged"), "%s", r.err);
	peer_result_free(&r);
	cr_assert_eq(peer_wait(rcv, T_MIG, &r), 0);
	cr_assert_eq(r.status, 1);
	peer_result_free(&r);

	rcv = spawn_b(CLI " receive --listen :" PORT " --create");
	wait_b(rcv, "listening on");
	run_a(&r, CLI " --json migrate %s " HOST_B ":" PORT, uuid);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "\"created\": true"), "%s", r.out);
	peer_result_free(&r);
	cr_assert_eq(peer_wait(rcv, T_MIG, &r), 0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "created"), "%s", r.out);
	peer_result_free(&r);
	/* the same framebuffer on both: their images decode to one picture */
	same_picture();
}

Test(migrate, save_on_a_restore_on_b)
{
	struct peer_result r, rb;
	char *img = NULL;
	size_t len = 0;
	FILE *f;

	create_both("mvgpu-64M", "mvgpu-64M");
	run_a(&r, CLI " exercise -u %s --passes 3 && " CLI " save %s /tmp/s.img",
	      uuid, uuid);
	cr_assert_eq(r.status, 0, "%s", r.err);
	peer_result_free(&r);
	f = fopen("/tmp/s.img", "r");
	cr_assert_not_null(f);
	fseek(f, 0, SEEK_END);
	len = (size_t)ftell(f);
	rewind(f);
	img = malloc(len);
	cr_assert_eq(fread(img, 1, len, f), len);
	fclose(f);
	cr_assert_eq(peer_put("/tmp/s.img", img, len, 0600), 0, "%s", peer_error());
	free(img);
	run_b(&rb, CLI " restore %s /tmp/s.img", uuid);
	cr_assert_eq(rb.status, 0, "%s", rb.err);
	peer_result_free(&rb);
	same_picture();
}

/* ---- faults ------------------------------------------------------------------ */

Test(migrate, incompatible_target_refused_before_anything_stops)
{
	struct peer_result r;
	uint64_t pass;
	int wl, rcv;

	create_both("mvgpu-64M", "mvgpu-256M");
	wl = start_source_workload(&pass);
	rcv = spawn_b(CLI " receive --listen :" PORT " --uuid %s", uuid);
	wait_b(rcv, "listening on");
	run_a(&r, CLI " migrate %s " HOST_B ":" PORT, uuid);
	cr_assert_eq(r.status, 1);
	/* both versions named, and where the vGPU is */
	cr_assert(strstr(r.err, "the source's is mvgpu-64M"), "%s", r.err);
	cr_assert(strstr(r.err, "is of type mvgpu-256M"), "%s", r.err);
	cr_assert(strstr(r.err, "source migration_version: "), "%s", r.err);
	cr_assert(strstr(r.err, "type=mvgpu-64M"), "%s", r.err);
	cr_assert(strstr(r.err, "running here, unchanged"), "%s", r.err);
	peer_result_free(&r);
	cr_assert_eq(peer_wait(rcv, T_MIG, &r), 0);
	cr_assert_eq(r.status, 1);
	cr_assert(strstr(r.err, "mvgpu-256M"), "%s", r.err);
	cr_assert(strstr(r.err, "here was not changed"), "%s", r.err);
	peer_result_free(&r);
	source_runs_on(wl, pass);
	target_clean();
}

/* Migrate with @fault injected on A, then @act; the source must run on. */
static void fault_case(const char *fault, void (*act)(int mig, int rcv),
		       const char *want_src, const char *want_dst)
{
	struct peer_result r;
	char before[80];
	uint64_t pass;
	int wl, rcv, mig, wl_b;

	create_both("mvgpu-64M", "mvgpu-64M");
	target_picture(true, before, sizeof(before));
	wl = start_source_workload(&pass);
	rcv = start_receiver_b(false, &wl_b);
	mig = spawn_a("env MVGPU_FAULT=%s " CLI " migrate %s " HOST_B ":" PORT
		      " --timeout 6", fault, uuid);
	if (act)
		act(mig, rcv);
	cr_assert_eq(local_wait(mig, T_MIG, &r), 0);
	/* @want_src: the source was not killed, it must say what happened */
	if (want_src) {
		cr_assert_eq(r.status, 1, "%s: %s", fault, r.err);
		cr_assert(strstr(r.err, want_src), "%s: %s", fault, r.err);
		cr_assert(strstr(r.err, "running here, unchanged"), "%s", r.err);
	}
	peer_result_free(&r);
	cr_assert_eq(peer_wait(rcv, T_MIG, &r), 0);
	cr_assert_neq(r.status, 0, "%s: the target took it", fault);
	if (want_dst) {
		cr_assert_eq(r.status, 1, "%s: target: %s", fault, r.err);
		cr_assert(strstr(r.err, want_dst), "%s: target: %s", fault, r.err);
		/* it had begun to load, nothing was applied: dropped */
		cr_assert(strstr(r.err, "here was not changed: what had arrived was dropped"),
			  "%s: target: %s", fault, r.err);
	}
	peer_result_free(&r);
	source_runs_on(wl, pass);
	target_unchanged(before);
}

static void kill_receiver_when(int mig, int rcv, const char *where)
{
	wait_a(mig, where);
	cr_assert_eq(peer_kill(rcv, SIGKILL), 0);
}

static void kill_receiver_pre(int mig, int rcv)
{
	kill_receiver_when(mig, rcv, "holding the migration in pre-copy");
}

static void kill_receiver_stop(int mig, int rcv)
{
	kill_receiver_when(mig, rcv, "holding the migration in stop-copy");
}

static void kill_source_when(int mig, const char *where)
{
	wait_a(mig, where);
	cr_assert_eq(local_kill(mig, SIGKILL), 0);
}

static void kill_source_pre(int mig, int rcv)
{
	(void)rcv;
	kill_source_when(mig, "holding the migration in pre-copy");
}

static void kill_source_stop(int mig, int rcv)
{
	(void)rcv;
	kill_source_when(mig, "holding the migration in stop-copy");
}

/* ^C / systemctl stop: SIGTERM, not SIGKILL - the helper must stop at
 * once, say so, and leave the source running */
static void term_source_pre(int mig, int rcv)
{
	(void)rcv;
	wait_a(mig, "holding the migration in pre-copy");
	cr_assert_eq(local_kill(mig, SIGTERM), 0);
}

static void term_receiver_stop(int mig, int rcv)
{
	wait_a(mig, "holding the migration in stop-copy");
	cr_assert_eq(peer_kill(rcv, SIGTERM), 0);
}

static void cut_network(int mig, int rcv)
{
	struct peer_result r;

	(void)rcv;
	wait_a(mig, "holding the migration in pre-copy");
	run_a(&r, "ip link set eth0 down");
	cr_assert_eq(r.status, 0, "%s", r.err);
	peer_result_free(&r);
	/* the source gives up on its own (timeout), then the link returns */
	cr_assert_eq(local_wait(mig, T_MIG, &r), 0);
	peer_result_free(&r);
	run_a(&r, "ip link set eth0 up && ip addr show eth0 | grep -q " HOST_A);
	cr_assert_eq(r.status, 0, "%s", r.err);
	peer_result_free(&r);
}

Test(migrate, target_helper_killed_in_precopy)
{
	fault_case("hold-pre-copy", kill_receiver_pre, "the target", NULL);
}

Test(migrate, target_helper_killed_in_stopcopy)
{
	fault_case("hold-stop-copy", kill_receiver_stop, "the target", NULL);
}

Test(migrate, source_helper_killed_in_precopy)
{
	fault_case("hold-pre-copy", kill_source_pre, NULL, "the source");
}

Test(migrate, source_helper_killed_in_stopcopy)
{
	fault_case("hold-stop-copy", kill_source_stop, NULL, "the source");
}

Test(migrate, source_helper_sigterm_in_precopy)
{
	/* the target reads "the source gave up: interrupted", or, when the
	 * source stopped in the middle of a DATA message, that it closed
	 * the connection */
	fault_case("hold-pre-copy", term_source_pre, "interrupted", "the source");
}

Test(migrate, target_helper_sigterm_in_stopcopy)
{
	fault_case("hold-stop-copy", term_receiver_stop, "the target: interrupted",
		   "interrupted");
}

Test(migrate, corrupted_bytes_on_the_wire)
{
	fault_case("corrupt-data", NULL, "checksum mismatch", "checksum mismatch");
}

Test(migrate, stream_cut_in_stopcopy)
{
	fault_case("cut-stop-copy", NULL, "cut in stop-copy", "closed the connection");
}

Test(migrate, network_cut_in_precopy)
{
	fault_case("hold-pre-copy", cut_network, NULL, NULL);
}

/* The commit's confirmation is lost: the target runs the vGPU, so the
 * source must not resume it - its workload is released, not resumed;
 * the source exits 3 and 'mvgpu status' on the target settles it. */
Test(migrate, lost_confirmation_never_two_running_copies)
{
	struct peer_result r;
	uint64_t pass, after;
	int wl, wl_b, rcv;

	create_both("mvgpu-64M", "mvgpu-64M");
	wl = start_source_workload(&pass);
	wl_b = spawn_b(CLI " exercise -u %s --incoming --seconds 3000", uuid);
	wait_b(wl_b, "waits for a migration in");
	rcv = spawn_b("env MVGPU_FAULT=drop-committed " CLI " receive --listen :" PORT
		      " --uuid %s --timeout 8", uuid);
	wait_b(rcv, "listening on");
	run_a(&r, CLI " migrate %s " HOST_B ":" PORT " --timeout 8", uuid);
	/* in doubt: its own exit code, and the way to find out */
	cr_assert_eq(r.status, 3, "%s%s", r.out, r.err);
	cr_assert(strstr(r.err, "is in doubt"), "%s", r.err);
	cr_assert(strstr(r.err, "sent but not confirmed"), "%s", r.err);
	cr_assert(strstr(r.err, "let it go"), "%s", r.err);
	cr_assert(strstr(r.err, "run 'mvgpu status "), "%s", r.err);
	peer_result_free(&r);
	/* the source workload let the vGPU go; it did not carry on */
	cr_assert_eq(local_wait(wl, T_MIG, &r), 0);
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	cr_assert(strstr(r.out, "migrated away after pass"), "%s", r.out);
	peer_result_free(&r);
	/* the target took it and runs */
	cr_assert_eq(peer_wait(rcv, T_MIG, &r), 0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	peer_result_free(&r);
	cr_assert_eq(peer_wait_for(wl_b, "channels and framebuffer verified", T_MIG, &r), 0,
		     "%s", peer_error());
	cr_assert(sscanf(strstr(r.out, "arrived after pass"), "arrived after pass %llu",
			 (unsigned long long *)&after) == 1);
	peer_result_free(&r);
	wait_pass_after(true, wl_b, after + 1);
	/* what the message says to do settles it: the target runs it */
	run_b(&r, CLI " --json status %s", uuid);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "\"runs_here\": true"), "%s", r.out);
	peer_result_free(&r);
	run_a(&r, CLI " --json status %s", uuid);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "\"runs_here\": false"), "%s", r.out);
	peer_result_free(&r);
	/* and the target's workload still verifies every pass */
	wait_pass_after(true, wl_b, after + 2);
}

/* The target answers COMMIT with an ERROR (its vGPU could not start): it
 * does not run the vGPU, so the source must - not stay in doubt, with
 * neither host running it. */
Test(migrate, target_error_at_commit_resumes_the_source)
{
	struct peer_result r;
	uint64_t pass;
	int wl, wl_b, rcv;

	create_both("mvgpu-64M", "mvgpu-64M");
	wl = start_source_workload(&pass);
	wl_b = spawn_b(CLI " exercise -u %s --incoming --seconds 3000", uuid);
	wait_b(wl_b, "waits for a migration in");
	rcv = spawn_b("env MVGPU_FAULT=fail-commit " CLI " receive --listen :" PORT
		      " --uuid %s --timeout 8", uuid);
	wait_b(rcv, "listening on");
	run_a(&r, CLI " migrate %s " HOST_B ":" PORT " --timeout 8", uuid);
	cr_assert_eq(r.status, 1, "%s%s", r.out, r.err);
	cr_assert(strstr(r.err, "the target refused the commit"), "%s", r.err);
	cr_assert(strstr(r.err, "could not start at the commit"), "%s", r.err);
	cr_assert(strstr(r.err, "running here, unchanged"), "%s", r.err);
	peer_result_free(&r);
	cr_assert_eq(peer_wait(rcv, T_MIG, &r), 0);
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_assert(strstr(r.err, "here was reset"), "%s", r.err);
	peer_result_free(&r);
	/* the source's workload carries on, the target's still waits */
	source_runs_on(wl, pass);
	run_b(&r, CLI " --json status %s", uuid);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "\"runs_here\": false"), "%s", r.out);
	cr_assert(strstr(r.out, "\"workload\": \"incoming\""), "%s", r.out);
	peer_result_free(&r);
	run_a(&r, CLI " --json status %s", uuid);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "\"runs_here\": true"), "%s", r.out);
	peer_result_free(&r);
}

/* ---- numbers ------------------------------------------------------------------- */

Test(migrate, downtime_per_framebuffer_size)
{
	static const char *const types[] = { "mvgpu-64M", "mvgpu-256M", "mvgpu-1G" };
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		struct peer_result r, m;
		uint64_t pass;
		int wl, rcv, wl_b;

		new_uuid(uuid);
		create_both(types[i], types[i]);
		wl = start_source_workload(&pass);
		rcv = start_receiver_b_json(true, &wl_b, true);
		run_a(&m, CLI " --json migrate %s " HOST_B ":" PORT, uuid);
		cr_assert_eq(m.status, 0, "%s: %s", types[i], m.err);
		/* TLS, authenticated both ways, the data through kernel TLS */
		cr_assert(strstr(m.out, "\"peer_dn\": \"CN=lab-b\""), "%s", m.out);
		cr_assert(strstr(m.out, "\"ktls\": true"), "%s", m.out);
		cr_assert_eq(peer_wait(rcv, T_MIG, &r), 0);
		cr_assert_eq(r.status, 0, "%s", r.err);
		cr_assert(strstr(r.out, "\"peer_dn\": \"CN=lab-a\""), "%s", r.out);
		/* for docs/benchmarks.md: both sides' summaries */
		printf("LAB-MIGRATION %s source %sLAB-MIGRATION %s target %s", types[i],
		       strstr(m.out, "{\"event\": \"done\""), types[i],
		       strstr(r.out, "{\"event\": \"done\""));
		fflush(stdout);
		peer_result_free(&m);
		peer_result_free(&r);
		wait_b(wl_b, "channels and framebuffer verified");
		cr_assert_eq(local_wait(wl, T_MIG, &r), 0);
		cr_assert_eq(r.status, 0, "%s", r.err);
		peer_result_free(&r);
		teardown();
	}
}

/* ---- who may migrate (TLS) ------------------------------------------------- */

/* True if @s holds one of the '|'-separated strings of @alts. */
static bool has_any(const char *s, const char *alts)
{
	char buf[256], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", alts);
	for (char *w = strtok_r(buf, "|", &save); w; w = strtok_r(NULL, "|", &save))
		if (strstr(s, w))
			return true;
	return false;
}

/*
 * Each refusal: the source's vGPU and workload run on, B's vGPU took
 * nothing, both sides say why (@want_src, @want_dst: what A and B must
 * say, alternatives separated by '|').  B listens with TLS (the default)
 * unless said otherwise.
 */
static void refused_case(const char *src_args, const char *dst_args, const char *addr,
			 const char *want_src, const char *want_dst)
{
	struct peer_result r;
	char before[80];
	uint64_t pass;
	int wl, rcv;

	create_both("mvgpu-64M", "mvgpu-64M");
	target_picture(true, before, sizeof(before));
	wl = start_source_workload(&pass);
	rcv = spawn_b(CLI " receive --listen :" PORT " --uuid %s --timeout 8 %s", uuid,
		      dst_args);
	wait_b(rcv, "listening on");
	run_a(&r, CLI " migrate %s %s --timeout 8 %s", uuid, addr, src_args);
	cr_assert_eq(r.status, 1, "the migration went through: %s", r.out);
	cr_assert(has_any(r.err, want_src), "A: %s", r.err);
	cr_assert(strstr(r.err, "unchanged"), "A: %s", r.err);
	peer_result_free(&r);
	cr_assert_eq(peer_wait(rcv, T_MIG, &r), 0);
	cr_assert_eq(r.status, 1, "B took it: %s", r.out);
	cr_assert(has_any(r.err, want_dst), "B: %s", r.err);
	peer_result_free(&r);
	source_runs_on(wl, pass);
	target_unchanged(before);
}

Test(migrate, a_plain_tcp_source_is_refused)
{
	refused_case("--insecure", "", HOST_B ":" PORT,
		     "a target that requires TLS hangs up on a plain connection; if it does, migrate without --insecure",
		     "connected without TLS");
}

Test(migrate, a_source_with_another_ca_is_refused)
{
	/* it trusts another CA: it refuses B's certificate, B hears so */
	refused_case("--tls-creds /tmp/tls-x", "", HOST_B ":" PORT,
		     "the target's certificate (CN=lab-b) is not valid here",
		     "the source refused us");
}

Test(migrate, a_target_with_another_ca_is_refused)
{
	refused_case("", "--tls-creds /tmp/tls-x", HOST_B ":" PORT,
		     "the target's certificate (CN=impostor) is not valid here",
		     "the source refused us");
}

Test(migrate, a_source_with_an_expired_certificate_is_refused)
{
	/* B checks the client certificate last: A may hear the alert, or
	 * only that B closed the connection */
	refused_case("--tls-creds /tmp/tls-old", "", HOST_B ":" PORT,
		     "refused us|closed the connection",
		     "certificate (CN=lab-old) is not valid here: The certificate is NOT trusted. The certificate chain uses expired certificate");
}

Test(migrate, a_target_with_an_expired_certificate_is_refused)
{
	refused_case("", "--tls-creds /tmp/tls-old", HOST_B ":" PORT,
		     "the target's certificate (CN=lab-old) is not valid here: The certificate is NOT trusted. The certificate chain uses expired certificate",
		     "the source refused us");
}

Test(migrate, a_source_without_a_client_certificate_is_refused)
{
	refused_case("--tls-creds /tmp/tls-noc", "", HOST_B ":" PORT,
		     "refused us|closed the connection",
		     "no usable certificate|presented no certificate");
}

Test(migrate, a_source_not_in_the_authz_list_is_refused)
{
	struct peer_result r;

	run_b(&r, "printf 'CN=lab-c\\nCN=host-*\\n' > /tmp/authz");
	peer_result_free(&r);
	refused_case("", "--tls-authz /tmp/authz", HOST_B ":" PORT,
		     "refused us", "DN 'CN=lab-a' is not in the TLS authz list");
}

Test(migrate, a_tls_source_is_refused_by_a_plain_target)
{
	refused_case("", "--insecure", HOST_B ":" PORT, "TLS",
		     "speaks TLS and we run with --insecure");
}

/* A man in the middle on A: 127.0.0.1:MITM_PORT -> B, flipping one bit of
 * the source's byte number @at. */
#define MITM_PORT "7078"

struct mitm {
	int lfd;
	long at;
	pthread_t th;
};

static void *mitm_main(void *arg)
{
	struct mitm *m = arg;
	struct sockaddr_in b = { .sin_family = AF_INET, .sin_port = htons(7077) };
	int c = accept(m->lfd, NULL, NULL), s;
	long off = 0;

	if (c < 0)
		return NULL;
	inet_pton(AF_INET, HOST_B, &b.sin_addr);
	s = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(s, (struct sockaddr *)&b, sizeof(b)) == 0) {
		for (;;) {
			struct pollfd p[2] = { { .fd = c, .events = POLLIN },
					       { .fd = s, .events = POLLIN } };
			char buf[65536];
			ssize_t n;

			if (poll(p, 2, -1) < 0)
				break;
			if (p[0].revents) {
				n = recv(c, buf, sizeof(buf), 0);
				if (n <= 0)
					break;
				if (m->at >= off && m->at < off + n)
					buf[m->at - off] ^= 0x01;
				off += n;
				if (send(s, buf, (size_t)n, MSG_NOSIGNAL) != n)
					break;
			}
			if (p[1].revents) {
				n = recv(s, buf, sizeof(buf), 0);
				if (n <= 0 || send(c, buf, (size_t)n, MSG_NOSIGNAL) != n)
					break;
			}
		}
	}
	close(s);
	close(c);
	return NULL;
}

static void mitm_case(long at, const char *want_src, const char *want_dst)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(7078),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct mitm m = { .at = at };
	int one = 1;

	m.lfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(m.lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	cr_assert_eq(bind(m.lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(listen(m.lfd, 1), 0);
	cr_assert_eq(pthread_create(&m.th, NULL, mitm_main, &m), 0);
	refused_case("--tls-hostname " HOST_B, "", "127.0.0.1:" MITM_PORT, want_src, want_dst);
	shutdown(m.lfd, SHUT_RDWR);
	pthread_join(m.th, NULL);
	close(m.lfd);
}

Test(migrate, a_man_in_the_middle_flipping_a_handshake_byte_is_refused)
{
	/* in the ClientHello's random: the handshake's transcript breaks */
	mitm_case(20, "TLS", "TLS");
}

Test(migrate, a_man_in_the_middle_flipping_a_data_byte_is_refused)
{
	/* well into the framebuffer's pre-copy */
	/* B reads the bad record: it says so and drops the connection
	 * (its alert may or may not reach A through kernel TLS) */
	mitm_case(1 << 20, "the target", "failed its check");
}
