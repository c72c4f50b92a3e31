// SPDX-License-Identifier: MIT
/*
 * labd.c - mvgpu-labd, the command server the lab2 suites on host A use to
 * drive host B:
 *
 *     mvgpu-labd [--listen ADDR:PORT] [--dir DIR] [--idle S]
 *
 * ADDR:PORT defaults to 0.0.0.0:7070, DIR (job output) to /tmp/labd, S to
 * 300: labd exits with status 3 when no client has been connected for S
 * seconds (0: never), so that B does not wait for the lab's timeout when A
 * never comes (its setup failed) or died.  It serves one TCP connection at
 * a time and accepts again after a disconnect.  It exits 0 after QUIT, 128 +
 * signal after SIGTERM or SIGINT (killing its jobs first).
 *
 * Protocol.  Every message, either way, is a header line of at most 255
 * bytes plus '\n': a word of capitals, then decimal numbers >= 0, separated
 * by single spaces; then the payloads whose lengths the header gives, raw
 * and in order.  Each request gets exactly one reply:
 *
 *   PING                            OK <labd-pid>
 *   RUN <timeout_ms> <n> CMD        DONE <status> <no> <ne> OUT ERR
 *                                   TIMEOUT <status> <no> <ne> OUT ERR
 *   SPAWN <n> CMD                   OK <id> <pid>
 *   WAIT <id> <timeout_ms>          DONE <status> <no> <ne> OUT ERR
 *                                   RUNNING <no> <ne> OUT ERR   (so far)
 *   KILL <id> <signal>              OK
 *   PUT <mode> <np> <nd> PATH DATA  OK
 *   GET <np> PATH                   OK <nd> DATA
 *   QUIT                            OK, then labd exits 0
 *   (any request)                   ERR <errno> <n> MESSAGE
 *
 * CMD runs as `/bin/sh -c CMD` in its own process group with stdin
 * /dev/null and stdout/stderr in DIR/<id>.out and DIR/<id>.err (kept, so
 * other commands may read them).  <status> is the exit code, or 128 +
 * signal.  OUT and ERR are the first 1 MiB of each file.  RUN kills the
 * group with SIGKILL on timeout and answers TIMEOUT.  SPAWN starts a job
 * and returns at once; WAIT waits up to timeout_ms (0: just look) and may
 * be repeated after DONE; KILL signals the job's process group.  Jobs
 * belong to their connection: when it ends, labd SIGKILLs their groups and
 * reaps them.  QUIT does that for every job before answering.  Limits: CMD
 * 64 KiB, PUT/GET data 16 MiB, 256 jobs per connection.
 *
 * A malformed header gets ERR EINVAL and the connection stays (the stream
 * is still in step); an oversized payload or a stalled request (30 s) ends
 * the connection.  Every wait is bounded; dead clients are found by TCP
 * keepalive.
 */
#include "proc.h"
#include "util.h"
#include "wire.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define LABD_JOBS 256
#define LABD_CMD_MAX (64u << 10)
#define LABD_FILE_MAX (16u << 20)
#define LABD_MSG_MS 30000  /* rest of a request, or a whole reply */
#define LABD_REAP_MS 5000  /* reaping a SIGKILLed job */
#define LABD_TICK_MS 1000  /* housekeeping while idle */

/* What a request does to the connection; ANSWERED: an error was sent. */
enum { KEEP = 0, DROP = -1, QUIT = 1, ANSWERED = 2 };

struct job {
	int id;             /* 0: free slot */
	unsigned long conn; /* owning connection; 0: killed, to be reaped */
	struct proc p;
};

static struct {
	const char *listen, *dir;
	int idle_s;
	unsigned long conn;  /* serial of the current connection */
	int next_id;
	long long t0;
	struct job jobs[LABD_JOBS];
} labd = { .listen = "0.0.0.0:7070", .dir = "/tmp/labd", .idle_s = 300 };

static volatile sig_atomic_t labd_signal;

/* ------------------------------------------------------------- logging --- */

__attribute__((format(printf, 1, 2)))
static void say(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "labd +%.3f: ", (lab2_now_ms() - labd.t0) / 1000.0);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* A command for the log: at most 100 characters, unprintables as '?'. */
static const char *shorten(const char *cmd)
{
	static char buf[104];
	size_t i;

	for (i = 0; cmd[i] && i < 100; i++)
		buf[i] = (cmd[i] >= 0x20 && cmd[i] < 0x7f) ? cmd[i] : '?';
	strcpy(buf + i, cmd[i] ? "..." : "");
	return buf;
}

/* ---------------------------------------------------------------- jobs --- */

/* Job @id of the current connection, or NULL. */
static struct job *job_find(long long id)
{
	for (int i = 0; i < LABD_JOBS && id > 0; i++)
		if (labd.jobs[i].id == id && labd.jobs[i].conn == labd.conn)
			return &labd.jobs[i];
	return NULL;
}

static void job_free(struct job *j)
{
	proc_release(&j->p);
	j->id = 0;
	j->conn = 0;
}

/* Start @cmd as a new job of the current connection. */
static int job_start(const char *cmd, struct job **out)
{
	char o[PROC_PATH], e[PROC_PATH];
	struct job *j = NULL;
	int ret;

	for (int i = 0; i < LABD_JOBS && !j; i++)
		if (!labd.jobs[i].id)
			j = &labd.jobs[i];
	if (!j)
		return -EAGAIN;
	j->id = ++labd.next_id;
	snprintf(o, sizeof(o), "%s/%d.out", labd.dir, j->id);
	snprintf(e, sizeof(e), "%s/%d.err", labd.dir, j->id);
	ret = proc_start(&j->p, cmd, o, e);
	if (ret) {
		j->id = 0;
		return ret;
	}
	j->conn = labd.conn;
	*out = j;
	return 0;
}

/* SIGKILL a job; free it once reaped, else leave it to job_reap_orphans(). */
static void job_kill(struct job *j)
{
	if (proc_stop(&j->p, LABD_REAP_MS) == 0) {
		job_free(j);
		return;
	}
	say("job %d (pid %d) not reaped yet", j->id, (int)j->p.pid);
	j->conn = 0;
}

/* Kill every job of connection @conn (all jobs if 0); returns how many ran. */
static int job_kill_all(unsigned long conn)
{
	int n = 0;

	for (int i = 0; i < LABD_JOBS; i++) {
		struct job *j = &labd.jobs[i];

		if (!j->id || (conn && j->conn != conn))
			continue;
		n += !j->p.exited;
		job_kill(j);
	}
	return n;
}

static void job_reap_orphans(void)
{
	for (int i = 0; i < LABD_JOBS; i++) {
		struct job *j = &labd.jobs[i];

		if (j->id && !j->conn && proc_wait(&j->p, 0) == 0)
			job_free(j);
	}
}

/* ------------------------------------------------------------- replies --- */

static int send_hdr(struct wire *w, const char *hdr, const struct iovec *pl, int n)
{
	int ret = wire_send(w, hdr, pl, n, lab2_deadline(LABD_MSG_MS));

	if (ret)
		say("reply failed: %s", strerror(-ret));
	return ret ? DROP : KEEP;
}

__attribute__((format(printf, 3, 4)))
static int reply_err(struct wire *w, int err, const char *fmt, ...)
{
	char hdr[WIRE_LINE_MAX], msg[512];
	struct iovec iov;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(msg))
		n = sizeof(msg) - 1;
	say("  -> ERR %s: %s", strerrorname_np(err) ? strerrorname_np(err) : "?", msg);
	snprintf(hdr, sizeof(hdr), "ERR %d %d\n", err, n);
	iov = (struct iovec){ msg, (size_t)n };
	return send_hdr(w, hdr, &iov, 1);
}

/* "OK" and @n numbers. */
static int reply_ok(struct wire *w, int n, long long a, long long b)
{
	char hdr[WIRE_LINE_MAX];

	if (n == 0)
		snprintf(hdr, sizeof(hdr), "OK\n");
	else if (n == 1)
		snprintf(hdr, sizeof(hdr), "OK %lld\n", a);
	else
		snprintf(hdr, sizeof(hdr), "OK %lld %lld\n", a, b);
	return send_hdr(w, hdr, NULL, 0);
}

/* DONE, TIMEOUT or RUNNING (@word) with the job's output so far. */
static int reply_result(struct wire *w, const char *word, struct proc *p, int status)
{
	char hdr[WIRE_LINE_MAX], *out = NULL, *err = NULL;
	size_t no, ne;
	struct iovec iov[2];
	int ret;

	ret = proc_read_file(p->out, PROC_OUT_MAX, &out, &no);
	if (!ret)
		ret = proc_read_file(p->err, PROC_OUT_MAX, &err, &ne);
	if (ret) {
		free(out);
		return reply_err(w, -ret, "reading the output: %s", strerror(-ret));
	}
	if (!strcmp(word, "RUNNING"))
		snprintf(hdr, sizeof(hdr), "RUNNING %zu %zu\n", no, ne);
	else
		snprintf(hdr, sizeof(hdr), "%s %d %zu %zu\n", word, status, no, ne);
	iov[0] = (struct iovec){ out, no };
	iov[1] = (struct iovec){ err, ne };
	ret = send_hdr(w, hdr, iov, 2);
	free(out);
	free(err);
	return ret;
}

/* ------------------------------------------------------------ requests --- */

/* Read a payload of @n bytes (at most @max) into a new buffer. */
static int read_payload(struct wire *w, long long n, long long max, char **out)
{
	int ret;

	*out = NULL;
	if (n > max) {
		reply_err(w, EMSGSIZE, "payload of %lld bytes, limit %lld", n, max);
		return DROP;
	}
	ret = wire_read_alloc(w, (size_t)n, out, lab2_deadline(LABD_MSG_MS));
	if (ret) {
		say("reading a payload: %s", strerror(-ret));
		return DROP;
	}
	return KEEP;
}

/*
 * A command or path payload (not empty, no NUL inside): 0, else DROP or
 * ANSWERED (an error reply was sent; the stream is still in step).
 */
static int read_string(struct wire *w, long long n, long long max, char **out)
{
	if (read_payload(w, n, max, out))
		return DROP;
	if (n > 0 && strlen(*out) == (size_t)n)
		return 0;
	free(*out);
	*out = NULL;
	return reply_err(w, EINVAL, "empty string or NUL inside") == KEEP ? ANSWERED : DROP;
}

/* The request's outcome after read_string() failed with @r. */
static int string_failed(int r)
{
	return r == ANSWERED ? KEEP : DROP;
}

static int op_ping(struct wire *w, const long long *a)
{
	(void)a;
	return reply_ok(w, 1, getpid(), 0);
}

static int op_run(struct wire *w, const long long *a)
{
	long long t0 = lab2_now_ms();
	const char *word = "DONE";
	struct job *j;
	char *cmd;
	int ret, status;

	ret = read_string(w, a[1], LABD_CMD_MAX, &cmd);
	if (ret)
		return string_failed(ret);
	say("RUN %s (timeout %lld ms)", shorten(cmd), a[0]);
	ret = job_start(cmd, &j);
	free(cmd);
	if (ret)
		return reply_err(w, -ret, "starting the command: %s", strerror(-ret));
	ret = proc_wait(&j->p, a[0] > INT_MAX ? INT_MAX : (int)a[0]);
	if (ret == -ETIMEDOUT) {
		word = "TIMEOUT";
		proc_stop(&j->p, LABD_REAP_MS);
	}
	status = j->p.exited ? j->p.status : 128 + SIGKILL;
	say("  -> %s %d in %lld ms (job %d)", word, status, lab2_now_ms() - t0, j->id);
	ret = reply_result(w, word, &j->p, status);
	if (j->p.exited)
		job_free(j);
	else
		j->conn = 0; /* reaped later */
	return ret;
}

static int op_spawn(struct wire *w, const long long *a)
{
	struct job *j;
	char *cmd;
	int ret;

	ret = read_string(w, a[0], LABD_CMD_MAX, &cmd);
	if (ret)
		return string_failed(ret);
	ret = job_start(cmd, &j);
	if (ret) {
		free(cmd);
		return reply_err(w, -ret, "starting the command: %s", strerror(-ret));
	}
	say("SPAWN %s -> job %d, pid %d", shorten(cmd), j->id, (int)j->p.pid);
	free(cmd);
	return reply_ok(w, 2, j->id, j->p.pid);
}

static int op_wait(struct wire *w, const long long *a)
{
	struct job *j = job_find(a[0]);
	int ret;

	if (!j)
		return reply_err(w, ESRCH, "no job %lld", a[0]);
	ret = proc_wait(&j->p, a[1] > INT_MAX ? INT_MAX : (int)a[1]);
	if (ret == -ETIMEDOUT)
		return reply_result(w, "RUNNING", &j->p, 0);
	if (ret)
		return reply_err(w, -ret, "waiting for job %d: %s", j->id, strerror(-ret));
	say("WAIT job %d -> DONE %d", j->id, j->p.status);
	return reply_result(w, "DONE", &j->p, j->p.status);
}

static int op_kill(struct wire *w, const long long *a)
{
	struct job *j = job_find(a[0]);
	int ret;

	if (!j)
		return reply_err(w, ESRCH, "no job %lld", a[0]);
	if (a[1] < 1 || a[1] > SIGRTMAX)
		return reply_err(w, EINVAL, "bad signal %lld", a[1]);
	ret = proc_kill(&j->p, (int)a[1]);
	if (ret == -ESRCH)
		return reply_err(w, ESRCH, "job %d has exited", j->id);
	if (ret)
		return reply_err(w, -ret, "kill: %s", strerror(-ret));
	say("KILL job %d with signal %lld", j->id, a[1]);
	return reply_ok(w, 0, 0, 0);
}

/* Write @n bytes to @path (created with @mode, replaced if present). */
static int put_file(const char *path, int mode, const char *data, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	size_t done = 0;
	ssize_t r;
	int ret = 0;

	if (fd < 0)
		return -errno;
	while (done < n && !ret) {
		r = write(fd, data + done, n - done);
		if (r < 0 && errno != EINTR)
			ret = -errno;
		else if (r > 0)
			done += (size_t)r;
	}
	if (!ret && fchmod(fd, (mode_t)mode))
		ret = -errno;
	if (close(fd) && !ret)
		ret = -errno;
	return ret;
}

static int op_put(struct wire *w, const long long *a)
{
	char *path, *data;
	int ret;

	ret = read_string(w, a[1], PROC_PATH, &path);
	if (ret)
		return string_failed(ret);
	if (read_payload(w, a[2], LABD_FILE_MAX, &data)) {
		free(path);
		return DROP;
	}
	if (a[0] > 07777)
		ret = -EINVAL;
	else
		ret = put_file(path, (int)a[0], data, (size_t)a[2]);
	say("PUT %s (%lld bytes) -> %s", shorten(path), a[2], ret ? strerror(-ret) : "ok");
	if (ret)
		ret = reply_err(w, -ret, "writing %s: %s", path, strerror(-ret));
	else
		ret = reply_ok(w, 0, 0, 0);
	free(path);
	free(data);
	return ret;
}

static int op_get(struct wire *w, const long long *a)
{
	char hdr[WIRE_LINE_MAX], *path, *data;
	struct iovec iov;
	struct stat st;
	size_t n;
	int ret;

	ret = read_string(w, a[0], PROC_PATH, &path);
	if (ret)
		return string_failed(ret);
	if (stat(path, &st))
		ret = -errno;
	else if (!S_ISREG(st.st_mode))
		ret = -EINVAL;
	else if (st.st_size > LABD_FILE_MAX)
		ret = -EFBIG;
	else
		ret = proc_read_file(path, LABD_FILE_MAX, &data, &n);
	say("GET %s -> %s", shorten(path), ret ? strerror(-ret) : "ok");
	if (ret) {
		ret = reply_err(w, -ret, "reading %s: %s", path, strerror(-ret));
		free(path);
		return ret;
	}
	free(path);
	snprintf(hdr, sizeof(hdr), "OK %zu\n", n);
	iov = (struct iovec){ data, n };
	ret = send_hdr(w, hdr, &iov, 1);
	free(data);
	return ret;
}

static int op_quit(struct wire *w, const long long *a)
{
	(void)a;
	say("QUIT: killing every job");
	job_kill_all(0);
	return reply_ok(w, 0, 0, 0) == KEEP ? QUIT : DROP;
}

static const struct op {
	const char *word;
	int nargs;
	int (*fn)(struct wire *w, const long long *a);
} ops[] = {
	{ "PING", 0, op_ping },	{ "RUN", 2, op_run },	{ "SPAWN", 1, op_spawn },
	{ "WAIT", 2, op_wait },	{ "KILL", 2, op_kill }, { "PUT", 3, op_put },
	{ "GET", 1, op_get },	{ "QUIT", 0, op_quit },
};

/* Read and answer one request: KEEP, DROP or QUIT. */
static int handle_request(struct wire *w)
{
	char line[WIRE_LINE_MAX];
	struct wire_msg m;
	int ret;

	ret = wire_read_line(w, line, sizeof(line), lab2_deadline(LABD_MSG_MS));
	if (ret == -EMSGSIZE) {
		reply_err(w, EMSGSIZE, "header longer than %d bytes", WIRE_LINE_MAX - 1);
		return DROP;
	}
	if (ret < 0) {
		if (ret != -ENODATA)
			say("reading a request: %s", strerror(-ret));
		return DROP;
	}
	if (wire_parse(line, &m))
		return reply_err(w, EINVAL, "malformed header '%s'", shorten(line));
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (strcmp(m.word, ops[i].word))
			continue;
		if (m.nnum != ops[i].nargs)
			return reply_err(w, EINVAL, "%s takes %d numbers, not %d",
					 m.word, ops[i].nargs, m.nnum);
		return ops[i].fn(w, m.num);
	}
	return reply_err(w, EINVAL, "unknown request %s", m.word);
}

/* ---------------------------------------------------------- connection --- */

/*
 * Wait for @fd to be readable until @deadline (LLONG_MAX: no limit; TCP
 * keepalive ends dead connections), reaping killed jobs meanwhile.
 * 0, -ETIMEDOUT, -EINTR on SIGTERM/SIGINT, -errno.
 */
static int wait_readable(int fd, long long deadline)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int n, tick;

	for (;;) {
		if (labd_signal)
			return -EINTR;
		tick = lab2_left_ms(deadline);
		if (tick == 0)
			return -ETIMEDOUT;
		n = poll(&p, 1, tick < LABD_TICK_MS ? tick : LABD_TICK_MS);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
		job_reap_orphans();
	}
}

static void tune_socket(int fd)
{
	int one = 1, idle = 10, intvl = 5, cnt = 3;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
}

/* Serve one connection until it ends: KEEP (accept again) or QUIT. */
static int serve(int fd)
{
	struct wire w;
	int ret = KEEP, killed;

	labd.conn++;
	tune_socket(fd);
	wire_init(&w, fd);
	while (ret == KEEP) {
		if (!wire_buffered(&w) && wait_readable(fd, LLONG_MAX))
			break;
		ret = handle_request(&w);
	}
	close(fd);
	killed = job_kill_all(labd.conn);
	if (ret != QUIT)
		say("connection %lu closed%s", labd.conn, killed ? ", its jobs killed" : "");
	return ret == QUIT ? QUIT : KEEP;
}

static int parse_listen(const char *s, struct sockaddr_in *sa)
{
	const char *colon = strrchr(s, ':');
	char host[64];
	char *end;
	long port;

	if (!colon || (size_t)(colon - s) >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = 0;
	port = strtol(colon + 1, &end, 10);
	if (*end || colon[1] == 0 || port < 1 || port > 65535)
		return -EINVAL;
	*sa = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -EINVAL;
}

static int open_listener(const char *addr)
{
	struct sockaddr_in sa;
	int fd, one = 1;

	if (parse_listen(addr, &sa)) {
		fprintf(stderr, "labd: bad --listen '%s' (want IPv4:PORT)\n", addr);
		return -1;
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 4)) {
		fprintf(stderr, "labd: listening on %s: %s\n", addr, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* When to give up waiting for a client. */
static long long idle_deadline(void)
{
	return labd.idle_s ? lab2_deadline(labd.idle_s * 1000LL) : LLONG_MAX;
}

/* Accept connections until QUIT (0), a signal (1) or the idle limit (3). */
static int accept_loop(int lfd)
{
	long long deadline = idle_deadline();
	struct sockaddr_in peer;
	socklen_t len;
	char who[INET_ADDRSTRLEN];
	int fd, ret;

	for (;;) {
		ret = wait_readable(lfd, deadline);
		if (ret == -ETIMEDOUT) {
			say("no client for %d s: giving up", labd.idle_s);
			return 3;
		}
		if (ret)
			return 1;
		len = sizeof(peer);
		fd = accept4(lfd, (struct sockaddr *)&peer, &len, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		inet_ntop(AF_INET, &peer.sin_addr, who, sizeof(who));
		say("connection %lu from %s", labd.conn + 1, who);
		if (serve(fd) == QUIT)
			return 0;
		deadline = idle_deadline();
	}
}

/* ---------------------------------------------------------------- main --- */

static void on_signal(int sig)
{
	labd_signal = sig;
}

static void setup_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal }; /* no SA_RESTART */

	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: mvgpu-labd [--listen ADDR:PORT] [--dir DIR] [--idle S]\n"
		   "  --listen  IPv4 address and port (default 0.0.0.0:7070)\n"
		   "  --dir     job output directory (default /tmp/labd)\n"
		   "  --idle    exit 3 after S seconds without a client (default 300, 0: never)\n");
}

static int parse_args(int argc, char **argv)
{
	char *end;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			exit(0);
		}
		if (i + 1 >= argc)
			return -EINVAL;
		if (!strcmp(argv[i], "--listen")) {
			labd.listen = argv[++i];
		} else if (!strcmp(argv[i], "--dir")) {
			labd.dir = argv[++i];
		} else if (!strcmp(argv[i], "--idle")) {
			labd.idle_s = (int)strtol(argv[++i], &end, 10);
			if (*end || labd.idle_s < 0)
				return -EINVAL;
		} else {
			return -EINVAL;
		}
	}
	return strlen(labd.dir) + 16 < PROC_PATH ? 0 : -EINVAL;
}

int main(int argc, char **argv)
{
	int lfd, ret;

	labd.t0 = lab2_now_ms();
	if (parse_args(argc, argv)) {
		usage(stderr);
		return 2;
	}
	setup_signals();
	lfd = open_listener(labd.listen);
	if (lfd < 0)
		return 1;
	if (mkdir(labd.dir, 0755) && errno != EEXIST) {
		fprintf(stderr, "labd: mkdir %s: %s\n", labd.dir, strerror(errno));
		close(lfd);
		return 1;
	}
	say("listening on %s, output in %s", labd.listen, labd.dir);
	ret = accept_loop(lfd);
	close(lfd);
	if (labd_signal) {
		say("signal %d", (int)labd_signal);
		ret = 128 + labd_signal;
	}
	job_kill_all(0);
	say("exit %d", ret);
	return ret;
}
