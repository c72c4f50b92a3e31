// SPDX-License-Identifier: MIT
/*
 * test_peer.c - the "peer" suite: the two-host harness itself.  Runs on
 * host A against mvgpu-labd on host B (or, natively, against a local labd
 * named by MVGPU_LAB2_PEER=127.0.0.1:PORT).
 */
#include "lab2.h"
#include "util.h"
#include "wire.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define T_CMD 30000 /* ms, for commands that should be quick */

TestSuite(peer, .init = lab2_peer, .timeout = 240);

/* B's expected hostname: mvgpu-b in the lab, else this host (local labd). */
static void peer_hostname(char *buf, size_t len)
{
	if (getenv("MVGPU_LAB")) {
		snprintf(buf, len, "mvgpu-b\n");
		return;
	}
	cr_assert_eq(gethostname(buf, len - 2), 0);
	buf[len - 2] = 0;
	strcat(buf, "\n");
}

Test(peer, hostname)
{
	struct peer_result r;
	char want[300];

	peer_hostname(want, sizeof(want));
	cr_assert_eq(peer_run("hostname", T_CMD, &r), 0, "%s", peer_error());
	cr_assert_eq(r.status, 0);
	cr_assert_str_eq(r.out, want);
	cr_assert_str_eq(r.err, "");
	peer_result_free(&r);
}

Test(peer, exit_status)
{
	struct peer_result r;

	cr_assert_eq(peer_run("exit 3", T_CMD, &r), 0, "%s", peer_error());
	cr_assert_eq(r.status, 3);
	peer_result_free(&r);

	cr_assert_eq(peer_run("kill -TERM $$", T_CMD, &r), 0, "%s", peer_error());
	cr_assert_eq(r.status, 128 + SIGTERM);
	peer_result_free(&r);

	cr_assert_eq(peer_runf(T_CMD, &r, "%s-%d", "no-such-command", 42), 0);
	cr_assert_eq(r.status, 127);
	cr_assert(strstr(r.err, "no-such-command-42"), "stderr: %s", r.err);
	peer_result_free(&r);
}

Test(peer, output)
{
	struct peer_result r;

	cr_assert_eq(peer_run("echo out; echo err >&2; echo more", T_CMD, &r), 0);
	cr_assert_str_eq(r.out, "out\nmore\n");
	cr_assert_str_eq(r.err, "err\n");
	cr_assert_eq(r.out_len, 9);
	peer_result_free(&r);

	/* binary output: the lengths tell */
	cr_assert_eq(peer_run("printf 'a\\000b'", T_CMD, &r), 0);
	cr_assert_eq(r.out_len, 3);
	cr_assert_eq(memcmp(r.out, "a\0b", 3), 0);
	peer_result_free(&r);

	/* capped at 1 MiB per stream, and the command still completes */
	cr_assert_eq(peer_run("head -c 3000000 /dev/zero | tr '\\0' x; echo done >&2",
			      T_CMD, &r), 0, "%s", peer_error());
	cr_assert_eq(r.status, 0);
	cr_assert_eq(r.out_len, 1u << 20);
	cr_assert_eq(strspn(r.out, "x"), 1u << 20);
	cr_assert_str_eq(r.err, "done\n");
	peer_result_free(&r);
}

Test(peer, spawn_kill_wait)
{
	struct peer_result r;
	int id;

	cr_assert_eq(peer_spawn("echo started; sleep 600; echo never", &id), 0, "%s",
		     peer_error());
	cr_assert_eq(peer_wait_for(id, "started", T_CMD, NULL), 0, "%s", peer_error());
	cr_assert_eq(peer_wait(id, 0, &r), PEER_RUNNING);
	cr_assert_eq(r.status, -1);
	cr_assert_str_eq(r.out, "started\n");
	peer_result_free(&r);

	cr_assert_eq(peer_kill(id, SIGKILL), 0, "%s", peer_error());
	cr_assert_eq(peer_wait(id, T_CMD, &r), 0, "%s", peer_error());
	cr_assert_eq(r.status, 128 + 9);
	cr_assert_str_eq(r.out, "started\n");
	peer_result_free(&r);

	/* a finished job can be asked again, but not signalled */
	cr_assert_eq(peer_wait(id, 0, &r), 0);
	cr_assert_eq(r.status, 128 + 9);
	peer_result_free(&r);
	cr_assert_eq(peer_kill(id, SIGTERM), -ESRCH);
	cr_assert_eq(peer_wait(id + 1000, 0, &r), -ESRCH);
	cr_assert(strstr(peer_error(), "no job"), "%s", peer_error());
	peer_result_free(&r);
}

Test(peer, run_timeout)
{
	long long t0 = lab2_now_ms();
	struct peer_result r;

	cr_assert_eq(peer_run("echo begun; sleep 600", 2000, &r), -ETIMEDOUT);
	cr_assert_eq(r.status, 128 + 9);
	cr_assert_str_eq(r.out, "begun\n");
	cr_assert_lt(lab2_now_ms() - t0, T_CMD);
	peer_result_free(&r);

	/* the connection is still good */
	cr_assert_eq(peer_run("true", T_CMD, &r), 0, "%s", peer_error());
	peer_result_free(&r);
}

Test(peer, wait_timeout)
{
	struct peer_result r;
	long long t0;
	int id;

	cr_assert_eq(peer_spawnf(&id, "sleep %d", 600), 0, "%s", peer_error());
	t0 = lab2_now_ms();
	cr_assert_eq(peer_wait(id, 300, &r), PEER_RUNNING, "%s", peer_error());
	cr_assert_geq(lab2_now_ms() - t0, 290);
	peer_result_free(&r);
	cr_assert_eq(peer_wait_for(id, "never printed", 500, NULL), -ETIMEDOUT);

	cr_assert_eq(peer_kill(id, SIGTERM), 0, "%s", peer_error());
	cr_assert_eq(peer_wait(id, T_CMD, &r), 0, "%s", peer_error());
	cr_assert_eq(r.status, 128 + SIGTERM);
	peer_result_free(&r);
}

Test(peer, wait_for_exit)
{
	struct peer_result r;
	int id;

	cr_assert_eq(peer_spawn("echo one; exit 5", &id), 0, "%s", peer_error());
	cr_assert_eq(peer_wait_for(id, "two", T_CMD, &r), -ECHILD);
	cr_assert_eq(r.status, 5);
	cr_assert_str_eq(r.out, "one\n");
	peer_result_free(&r);
}

Test(peer, files)
{
	const char text[] = "line 1\nline 2\n";
	struct peer_result r;
	size_t len;
	char *data;

	cr_assert_eq(peer_put("/tmp/lab2-put.txt", text, sizeof(text) - 1, 0640), 0,
		     "%s", peer_error());
	cr_assert_eq(peer_run("stat -c %a /tmp/lab2-put.txt; cat /tmp/lab2-put.txt",
			      T_CMD, &r), 0);
	cr_assert_str_eq(r.out, "640\nline 1\nline 2\n");
	peer_result_free(&r);

	cr_assert_eq(peer_get("/tmp/lab2-put.txt", &data, &len), 0, "%s", peer_error());
	cr_assert_eq(len, sizeof(text) - 1);
	cr_assert_str_eq(data, text);
	free(data);

	cr_assert_eq(peer_get("/tmp/lab2-no-such-file", &data, &len), -ENOENT);
	cr_assert_null(data);
	cr_assert_eq(peer_get("/tmp", &data, &len), -EINVAL);
	cr_assert_eq(peer_run("rm /tmp/lab2-put.txt", T_CMD, &r), 0);
	peer_result_free(&r);
}

/* The jobs of a connection die with it. */
Test(peer, disconnect_kills_jobs)
{
	struct peer_result r;
	int id, pid;

	cr_assert_eq(peer_spawn("echo $$; exec sleep 600", &id), 0, "%s", peer_error());
	cr_assert_eq(peer_wait_for(id, "\n", T_CMD, &r), 0, "%s", peer_error());
	pid = atoi(r.out);
	cr_assert_gt(pid, 1);
	peer_result_free(&r);

	peer_disconnect();
	lab2_peer();
	cr_assert_eq(peer_wait(id, 0, &r), -ESRCH, "the job outlived its connection");
	cr_assert_eq(peer_runf(T_CMD, &r, "kill -0 %d", pid), 0, "%s", peer_error());
	cr_assert_neq(r.status, 0, "pid %d still exists", pid);
	peer_result_free(&r);
}

/* ---- the protocol itself, through a raw connection ---------------------- */

static int raw_connect(void)
{
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM };
	const char *addr = lab2_peer_addr(), *colon;
	struct addrinfo *ai;
	char host[256];
	int fd;

	cr_assert(addr);
	colon = strrchr(addr, ':');
	snprintf(host, sizeof(host), "%.*s", colon ? (int)(colon - addr) : 255, addr);
	cr_assert_eq(getaddrinfo(host, colon ? colon + 1 : "7070", &hints, &ai), 0);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(fd, 0);
	cr_assert_eq(connect(fd, ai->ai_addr, ai->ai_addrlen), 0, "%s", strerror(errno));
	freeaddrinfo(ai);
	return fd;
}

/* Send @req, expect a header starting with @want; skip an ERR's message. */
static void raw_expect(struct wire *w, const char *req, const char *want)
{
	long long deadline = lab2_deadline(T_CMD);
	char line[WIRE_LINE_MAX], *msg;
	struct wire_msg m;

	cr_assert_eq(wire_send(w, req, NULL, 0, deadline), 0);
	cr_assert_geq(wire_read_line(w, line, sizeof(line), deadline), 0);
	cr_assert_eq(strncmp(line, want, strlen(want)), 0, "'%s' got '%s'", req, line);
	cr_assert_eq(wire_parse(line, &m), 0, "reply '%s'", line);
	if (!strcmp(m.word, "ERR")) {
		cr_assert_eq(wire_read_alloc(w, (size_t)m.num[1], &msg, deadline), 0);
		cr_log_info("%.*s -> %s %s", (int)strcspn(req, "\n") < 40 ?
			    (int)strcspn(req, "\n") : 40, req, line, msg);
		free(msg);
	}
}

Test(peer, malformed_requests)
{
	char big[WIRE_LINE_MAX + 64], line[WIRE_LINE_MAX];
	struct wire w;

	peer_disconnect(); /* labd serves one connection at a time */
	wire_init(&w, raw_connect());
	raw_expect(&w, "PING\n", "OK ");
	raw_expect(&w, "BOGUS\n", "ERR 22 ");
	raw_expect(&w, "\n", "ERR 22 ");
	raw_expect(&w, "ping\n", "ERR 22 ");
	raw_expect(&w, "RUN 1\n", "ERR 22 ");
	raw_expect(&w, "RUN  1 2\n", "ERR 22 ");
	raw_expect(&w, "RUN -1 2\n", "ERR 22 ");
	raw_expect(&w, "WAIT 99999 0\n", "ERR 3 ");
	raw_expect(&w, "KILL 99999 9\n", "ERR 3 ");
	raw_expect(&w, "SPAWN 0\n", "ERR 22 ");
	raw_expect(&w, "PING\n", "OK ");
	/* an oversized header ends the connection after the error */
	memset(big, 'A', sizeof(big) - 2);
	big[sizeof(big) - 2] = '\n';
	big[sizeof(big) - 1] = 0;
	raw_expect(&w, big, "ERR 90 ");
	cr_assert_eq(wire_read_line(&w, line, sizeof(line), lab2_deadline(T_CMD)), -ENODATA);
	close(w.fd);
	/* and labd serves the next one */
	lab2_peer();
}

Test(peer, oversized_payload)
{
	char line[WIRE_LINE_MAX];
	struct wire w;

	peer_disconnect();
	wire_init(&w, raw_connect());
	raw_expect(&w, "SPAWN 999999999\n", "ERR 90 ");
	cr_assert_eq(wire_read_line(&w, line, sizeof(line), lab2_deadline(T_CMD)), -ENODATA);
	close(w.fd);
	lab2_peer();
}

/* ---- host A's side ------------------------------------------------------ */

Test(peer, local_jobs)
{
	struct peer_result r;
	long long t0;
	int id;

	cr_assert_eq(local_run("echo hi; echo oops >&2; exit 4", T_CMD, &r), 0, "%s",
		     peer_error());
	cr_assert_eq(r.status, 4);
	cr_assert_str_eq(r.out, "hi\n");
	cr_assert_str_eq(r.err, "oops\n");
	peer_result_free(&r);

	cr_assert_eq(local_spawnf(&id, "echo ready; sleep %d", 600), 0, "%s", peer_error());
	cr_assert_eq(local_wait_for(id, "ready", T_CMD, NULL), 0, "%s", peer_error());
	cr_assert_eq(local_wait(id, 0, &r), PEER_RUNNING);
	peer_result_free(&r);
	cr_assert_eq(local_kill(id, SIGKILL), 0, "%s", peer_error());
	cr_assert_eq(local_wait(id, T_CMD, &r), 0, "%s", peer_error());
	cr_assert_eq(r.status, 128 + 9);
	cr_assert_str_eq(r.out, "ready\n");
	peer_result_free(&r);
	cr_assert_eq(local_kill(id, SIGKILL), -ESRCH);

	t0 = lab2_now_ms();
	cr_assert_eq(local_run("echo begun; sleep 600", 1000, &r), -ETIMEDOUT);
	cr_assert_eq(r.status, 128 + 9);
	cr_assert_str_eq(r.out, "begun\n");
	cr_assert_lt(lab2_now_ms() - t0, T_CMD);
	peer_result_free(&r);

	/* left running: local_cleanup() (also run at exit) kills it */
	cr_assert_eq(local_spawn("sleep 600", &id), 0);
	local_cleanup();
	cr_assert_eq(local_wait(id, 0, &r), -ESRCH);
}

/* labd's host, without the port. */
static void peer_host(char *buf, size_t len)
{
	const char *addr = lab2_peer_addr(), *colon;

	cr_assert(addr);
	colon = strrchr(addr, ':');
	snprintf(buf, len, "%.*s", colon ? (int)(colon - addr) : (int)strlen(addr), addr);
}

/* The shape of a migration test: a receiver on B, a sender on A. */
Test(peer, both_hosts)
{
	struct peer_result r;
	char host[256];
	int bid, aid;

	peer_host(host, sizeof(host));
	/* the receiver: what it reads goes to its stderr */
	cr_assert_eq(peer_spawn("busybox nc -l -p 7171 -e sh -c 'cat >&2'", &bid), 0,
		     "%s", peer_error());
	/* the sender: bounded retries until B listens */
	cr_assert_eq(local_spawnf(&aid, "for i in $(seq 300); do "
				  "bash -c 'exec 3<>/dev/tcp/%s/7171 && echo hello from A >&3' "
				  "2>/dev/null && exit 0; sleep 0.1; done; exit 1", host),
		     0, "%s", peer_error());
	cr_assert_eq(local_wait(aid, T_CMD, &r), 0, "%s", peer_error());
	cr_assert_eq(r.status, 0, "A: %s", r.err);
	peer_result_free(&r);
	cr_assert_eq(peer_wait(bid, T_CMD, &r), 0, "%s", peer_error());
	cr_assert_eq(r.status, 0, "B: %s", r.err);
	cr_assert_str_eq(r.err, "hello from A\n");
	peer_result_free(&r);
}
