// SPDX-License-Identifier: MIT
/* peer.c - see peer.h; the protocol is described at the top of labd.c. */
#include "peer.h"
#include "proc.h"
#include "util.h"
#include "wire.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PEER_SLACK_MS 60000   /* reply time beyond the request's own timeout */
#define PEER_RETRY_MS 100     /* between connection attempts */
#define PEER_POLL_MS 100      /* peer_wait_for/local_wait_for granularity */
#define PEER_FILE_MAX (16u << 20)
#define LOCAL_JOBS 64
#define LOCAL_STOP_MS 5000

static struct {
	struct wire w;  /* w.fd -1: not connected */
	pid_t owner;    /* the process that connected */
	char err[512];
} peer = { .w.fd = -1 };

__attribute__((format(printf, 2, 3)))
static int fail(int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(peer.err, sizeof(peer.err), fmt, ap);
	va_end(ap);
	return ret;
}

const char *peer_error(void)
{
	return peer.err;
}

void peer_result_free(struct peer_result *r)
{
	free(r->out);
	free(r->err);
	*r = (struct peer_result){ .status = -1 };
}

/* Clamp a caller's timeout to 0..INT_MAX - PEER_SLACK_MS. */
static int clamp_ms(int ms)
{
	if (ms < 0)
		return 0;
	return ms > INT_MAX - PEER_SLACK_MS ? INT_MAX - PEER_SLACK_MS : ms;
}

/* ---------------------------------------------------------- connection --- */

int peer_connected(void)
{
	return peer.w.fd >= 0 && peer.owner == getpid();
}

void peer_disconnect(void)
{
	/* An inherited descriptor is closed too: the parent keeps its own. */
	if (peer.w.fd >= 0)
		close(peer.w.fd);
	peer.w.fd = -1;
}

/* A transport failure: the stream is out of step, so drop the connection. */
static int broken(int ret, const char *what)
{
	if (ret == -ENODATA)
		ret = -ECONNRESET;
	peer_disconnect();
	return fail(ret, "labd connection lost (%s): %s", what, strerror(-ret));
}

/* Split "HOST[:PORT]" into @host and @port. */
static int split_addr(const char *addr, char *host, size_t hlen, char *port, size_t plen)
{
	const char *colon = strrchr(addr, ':');
	size_t n = colon ? (size_t)(colon - addr) : strlen(addr);

	if (n == 0 || n >= hlen || (colon && (!colon[1] || strlen(colon + 1) >= plen)))
		return -EINVAL;
	memcpy(host, addr, n);
	host[n] = 0;
	if (colon)
		strcpy(port, colon + 1);
	else
		snprintf(port, plen, "%d", PEER_PORT);
	return 0;
}

/* One non-blocking connect bounded by @deadline: a socket, or -errno. */
static int try_connect(const struct addrinfo *ai, long long deadline)
{
	struct pollfd p;
	int fd, err = 0, one = 1;
	socklen_t len = sizeof(err);

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) && errno != EINPROGRESS) {
		err = errno;
	} else {
		p = (struct pollfd){ .fd = fd, .events = POLLOUT };
		if (poll(&p, 1, lab2_left_ms(deadline)) <= 0)
			err = ETIMEDOUT;
		else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len))
			err = errno;
	}
	if (err) {
		close(fd);
		return -err;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static int ping(long long deadline);

int peer_connect(const char *addr, int timeout_ms)
{
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM };
	long long deadline = lab2_deadline(clamp_ms(timeout_ms));
	struct addrinfo *ai;
	char host[256], port[16];
	int fd, ret;

	peer_disconnect();
	if (split_addr(addr, host, sizeof(host), port, sizeof(port)))
		return fail(-EINVAL, "bad labd address '%s' (want HOST[:PORT])", addr);
	ret = getaddrinfo(host, port, &hints, &ai);
	if (ret)
		return fail(-EHOSTUNREACH, "%s: %s", addr, gai_strerror(ret));
	for (;;) {
		fd = try_connect(ai, deadline);
		if (fd >= 0) {
			wire_init(&peer.w, fd);
			peer.owner = getpid();
			ret = ping(deadline);
			if (ret != -ECONNRESET) /* labd closed it: try again */
				break;
		} else {
			ret = fd;
		}
		if (lab2_left_ms(deadline) == 0)
			break;
		poll(NULL, 0, PEER_RETRY_MS);
	}
	freeaddrinfo(ai);
	if (ret) {
		peer_disconnect();
		return fail(ret, "no labd at %s within %d ms: %s", addr, timeout_ms,
			    strerror(-ret));
	}
	peer.err[0] = 0;
	return 0;
}

/* ------------------------------------------------------------ requests --- */

/* Send a request (the header with its '\n', then @n payloads). */
static int send_req(const char *hdr, const struct iovec *pl, int n)
{
	int ret;

	if (!peer_connected())
		return fail(-ENOTCONN, "not connected to labd");
	ret = wire_send(&peer.w, hdr, pl, n, lab2_deadline(PEER_SLACK_MS));
	return ret ? broken(ret, "sending") : 0;
}

/* An ERR reply: keep its message, return -errno. */
static int read_err(const struct wire_msg *m, long long deadline)
{
	char *msg;
	int ret, err;

	if (m->nnum != 2 || m->num[1] > 4096)
		return broken(-EPROTO, "bad ERR reply");
	ret = wire_read_alloc(&peer.w, (size_t)m->num[1], &msg, deadline);
	if (ret)
		return broken(ret, "reading an error");
	err = m->num[0] > 0 && m->num[0] < 4096 ? (int)m->num[0] : EPROTO;
	fail(-err, "labd: %s", msg);
	free(msg);
	return -err;
}

/*
 * Read a reply header into @m.  0, or the ERR reply's -errno, or a
 * transport error (connection dropped).
 */
static int read_reply(struct wire_msg *m, long long deadline)
{
	char line[WIRE_LINE_MAX];
	int ret;

	ret = wire_read_line(&peer.w, line, sizeof(line), deadline);
	if (ret < 0)
		return broken(ret, "waiting for a reply");
	if (wire_parse(line, m))
		return broken(-EPROTO, "malformed reply");
	if (!strcmp(m->word, "ERR"))
		return read_err(m, deadline);
	return 0;
}

/* Check a reply's word and number count. */
static int expect(const struct wire_msg *m, const char *word, int nnum)
{
	if (strcmp(m->word, word) || m->nnum != nnum)
		return broken(-EPROTO, "unexpected reply");
	return 0;
}

/* A request answered by "OK" with @nnum numbers (into @num if not NULL). */
static int call_ok(const char *hdr, const struct iovec *pl, int n, int nnum,
		   long long *num)
{
	long long deadline = lab2_deadline(PEER_SLACK_MS);
	struct wire_msg m;
	int ret;

	ret = send_req(hdr, pl, n);
	if (!ret)
		ret = read_reply(&m, deadline);
	if (!ret)
		ret = expect(&m, "OK", nnum);
	if (!ret && num)
		memcpy(num, m.num, sizeof(m.num[0]) * (size_t)nnum);
	return ret;
}

static int ping(long long deadline)
{
	struct wire_msg m;
	int ret;

	ret = send_req("PING\n", NULL, 0);
	if (!ret)
		ret = read_reply(&m, deadline);
	return ret ? ret : expect(&m, "OK", 1);
}

/* Two output payloads of @no and @ne bytes into @r. */
static int read_outputs(long long no, long long ne, struct peer_result *r,
			long long deadline)
{
	int ret;

	if (no > PROC_OUT_MAX || ne > PROC_OUT_MAX)
		return broken(-EPROTO, "oversized output");
	ret = wire_read_alloc(&peer.w, (size_t)no, &r->out, deadline);
	if (!ret)
		ret = wire_read_alloc(&peer.w, (size_t)ne, &r->err, deadline);
	if (ret) {
		peer_result_free(r);
		return broken(ret, "reading output");
	}
	r->out_len = (size_t)no;
	r->err_len = (size_t)ne;
	return 0;
}

/*
 * A job result reply into @r: 0 (DONE), -ETIMEDOUT (TIMEOUT),
 * PEER_RUNNING (RUNNING) or an error.
 */
static int read_result(struct peer_result *r, long long deadline)
{
	struct wire_msg m;
	int ret;

	ret = read_reply(&m, deadline);
	if (ret)
		return ret;
	if (!strcmp(m.word, "RUNNING") && m.nnum == 2) {
		ret = read_outputs(m.num[0], m.num[1], r, deadline);
		return ret ? ret : PEER_RUNNING;
	}
	if ((strcmp(m.word, "DONE") && strcmp(m.word, "TIMEOUT")) || m.nnum != 3 ||
	    m.num[0] > 255)
		return broken(-EPROTO, "unexpected result reply");
	ret = read_outputs(m.num[1], m.num[2], r, deadline);
	if (ret)
		return ret;
	r->status = (int)m.num[0];
	if (m.word[0] == 'T')
		return fail(-ETIMEDOUT, "command killed after its timeout");
	return 0;
}

/* ------------------------------------------------------------- B's jobs --- */

int peer_run(const char *cmd, int timeout_ms, struct peer_result *r)
{
	struct iovec iov = { (void *)cmd, strlen(cmd) };
	char hdr[WIRE_LINE_MAX];
	int ret;

	*r = (struct peer_result){ .status = -1 };
	timeout_ms = clamp_ms(timeout_ms);
	snprintf(hdr, sizeof(hdr), "RUN %d %zu\n", timeout_ms, iov.iov_len);
	ret = send_req(hdr, &iov, 1);
	return ret ? ret : read_result(r, lab2_deadline(timeout_ms + PEER_SLACK_MS));
}

/* Format into a new string for the *f variants; NULL on failure. */
static char *vformat(const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) < 0) {
		fail(-ENOMEM, "out of memory");
		return NULL;
	}
	return s;
}

int peer_runf(int timeout_ms, struct peer_result *r, const char *fmt, ...)
{
	va_list ap;
	char *cmd;
	int ret;

	*r = (struct peer_result){ .status = -1 };
	va_start(ap, fmt);
	cmd = vformat(fmt, ap);
	va_end(ap);
	if (!cmd)
		return -ENOMEM;
	ret = peer_run(cmd, timeout_ms, r);
	free(cmd);
	return ret;
}

int peer_spawn(const char *cmd, int *id)
{
	struct iovec iov = { (void *)cmd, strlen(cmd) };
	char hdr[WIRE_LINE_MAX];
	long long num[2];
	int ret;

	snprintf(hdr, sizeof(hdr), "SPAWN %zu\n", iov.iov_len);
	ret = call_ok(hdr, &iov, 1, 2, num);
	if (ret)
		return ret;
	if (num[0] < 1 || num[0] > INT_MAX)
		return broken(-EPROTO, "bad job id");
	*id = (int)num[0];
	return 0;
}

int peer_spawnf(int *id, const char *fmt, ...)
{
	va_list ap;
	char *cmd;
	int ret;

	va_start(ap, fmt);
	cmd = vformat(fmt, ap);
	va_end(ap);
	if (!cmd)
		return -ENOMEM;
	ret = peer_spawn(cmd, id);
	free(cmd);
	return ret;
}

int peer_wait(int id, int timeout_ms, struct peer_result *r)
{
	char hdr[WIRE_LINE_MAX];
	int ret;

	*r = (struct peer_result){ .status = -1 };
	if (id < 1)
		return fail(-ESRCH, "no job %d", id);
	timeout_ms = clamp_ms(timeout_ms);
	snprintf(hdr, sizeof(hdr), "WAIT %d %d\n", id, timeout_ms);
	ret = send_req(hdr, NULL, 0);
	return ret ? ret : read_result(r, lab2_deadline(timeout_ms + PEER_SLACK_MS));
}

int peer_kill(int id, int sig)
{
	char hdr[WIRE_LINE_MAX];

	if (id < 1 || sig < 1)
		return fail(-EINVAL, "bad job %d or signal %d", id, sig);
	snprintf(hdr, sizeof(hdr), "KILL %d %d\n", id, sig);
	return call_ok(hdr, NULL, 0, 0, NULL);
}

/*
 * Poll job @id with @wait until its output contains @needle (see
 * peer_wait_for); bounded by @timeout_ms.
 */
static int wait_for(int (*wait)(int, int, struct peer_result *), int id,
		    const char *needle, int timeout_ms, struct peer_result *r)
{
	long long deadline = lab2_deadline(clamp_ms(timeout_ms));
	struct peer_result tmp = { .status = -1 }, *res = r ? r : &tmp;
	int ret, step;

	*res = (struct peer_result){ .status = -1 };
	for (;;) {
		step = lab2_left_ms(deadline);
		ret = wait(id, step < PEER_POLL_MS ? step : PEER_POLL_MS, res);
		if (ret < 0)
			break;
		if (strstr(res->out, needle) || strstr(res->err, needle)) {
			ret = 0;
			break;
		}
		if (ret == 0) {
			ret = fail(-ECHILD, "job %d exited (status %d) without printing '%s'",
				   id, res->status, needle);
			break;
		}
		if (lab2_left_ms(deadline) == 0) {
			ret = fail(-ETIMEDOUT, "job %d did not print '%s' within %d ms",
				   id, needle, timeout_ms);
			break;
		}
		peer_result_free(res);
	}
	peer_result_free(&tmp);
	return ret;
}

int peer_wait_for(int id, const char *needle, int timeout_ms, struct peer_result *r)
{
	return wait_for(peer_wait, id, needle, timeout_ms, r);
}

/* ---------------------------------------------------------------- files --- */

int peer_put(const char *path, const void *data, size_t len, int mode)
{
	struct iovec iov[2] = { { (void *)path, strlen(path) }, { (void *)data, len } };
	char hdr[WIRE_LINE_MAX];

	if (len > PEER_FILE_MAX || mode < 0 || mode > 07777)
		return fail(-EINVAL, "peer_put: bad size or mode");
	snprintf(hdr, sizeof(hdr), "PUT %d %zu %zu\n", mode, iov[0].iov_len, len);
	return call_ok(hdr, iov, 2, 0, NULL);
}

int peer_get(const char *path, char **data, size_t *len)
{
	struct iovec iov = { (void *)path, strlen(path) };
	long long deadline = lab2_deadline(PEER_SLACK_MS);
	char hdr[WIRE_LINE_MAX];
	struct wire_msg m;
	int ret;

	*data = NULL;
	*len = 0;
	snprintf(hdr, sizeof(hdr), "GET %zu\n", iov.iov_len);
	ret = send_req(hdr, &iov, 1);
	if (!ret)
		ret = read_reply(&m, deadline);
	if (!ret)
		ret = expect(&m, "OK", 1);
	if (ret)
		return ret;
	if (m.num[0] > PEER_FILE_MAX)
		return broken(-EPROTO, "oversized file");
	ret = wire_read_alloc(&peer.w, (size_t)m.num[0], data, deadline);
	if (ret)
		return broken(ret, "reading a file");
	*len = (size_t)m.num[0];
	return 0;
}

void peer_quit(void)
{
	if (call_ok("QUIT\n", NULL, 0, 0, NULL))
		fprintf(stderr, "lab2: QUIT: %s\n", peer.err);
	peer_disconnect();
}

/* ------------------------------------------------------------- A's jobs --- */

struct local_job {
	int id; /* 0: free */
	struct proc p;
};

static struct {
	pid_t owner;    /* the process whose jobs these are */
	char dir[64];   /* "" until the first job */
	int next_id;
	struct local_job jobs[LOCAL_JOBS];
} local;

static void local_atexit(void)
{
	local_cleanup();
}

/* The output directory, made (and the cleanup registered) on first use. */
static int local_setup(void)
{
	static bool registered;

	if (local.dir[0] && local.owner == getpid())
		return 0;
	/* a forked child starts afresh, leaving its parent's jobs alone */
	memset(&local, 0, sizeof(local));
	strcpy(local.dir, "/tmp/lab2-local.XXXXXX");
	if (!mkdtemp(local.dir)) {
		local.dir[0] = 0;
		return fail(-errno, "mkdtemp: %s", strerror(errno));
	}
	local.owner = getpid();
	if (!registered && !atexit(local_atexit))
		registered = true;
	return 0;
}

static struct local_job *local_find(int id)
{
	if (local.owner != getpid())
		return NULL;
	for (int i = 0; i < LOCAL_JOBS; i++)
		if (id > 0 && local.jobs[i].id == id)
			return &local.jobs[i];
	return NULL;
}

/* Free job @j and remove its output files. */
static void local_free(struct local_job *j)
{
	unlink(j->p.out);
	unlink(j->p.err);
	proc_release(&j->p);
	j->id = 0;
}

static int local_start(const char *cmd, struct local_job **out)
{
	char o[PROC_PATH], e[PROC_PATH];
	struct local_job *j = NULL;
	int ret;

	ret = local_setup();
	if (ret)
		return ret;
	for (int i = 0; i < LOCAL_JOBS && !j; i++)
		if (!local.jobs[i].id)
			j = &local.jobs[i];
	if (!j)
		return fail(-EAGAIN, "more than %d local jobs", LOCAL_JOBS);
	j->id = ++local.next_id;
	snprintf(o, sizeof(o), "%s/%d.out", local.dir, j->id);
	snprintf(e, sizeof(e), "%s/%d.err", local.dir, j->id);
	ret = proc_start(&j->p, cmd, o, e);
	if (ret) {
		j->id = 0;
		return fail(ret, "starting '%s': %s", cmd, strerror(-ret));
	}
	*out = j;
	return 0;
}

/* @j's output so far into @r, with @status. */
static int local_result(struct local_job *j, int status, struct peer_result *r)
{
	int ret;

	ret = proc_read_file(j->p.out, PROC_OUT_MAX, &r->out, &r->out_len);
	if (!ret)
		ret = proc_read_file(j->p.err, PROC_OUT_MAX, &r->err, &r->err_len);
	if (ret) {
		peer_result_free(r);
		return fail(ret, "reading job %d's output: %s", j->id, strerror(-ret));
	}
	r->status = status;
	return 0;
}

int local_run(const char *cmd, int timeout_ms, struct peer_result *r)
{
	struct local_job *j;
	int ret, wret;

	*r = (struct peer_result){ .status = -1 };
	ret = local_start(cmd, &j);
	if (ret)
		return ret;
	wret = proc_wait(&j->p, clamp_ms(timeout_ms));
	if (wret == -ETIMEDOUT)
		proc_stop(&j->p, LOCAL_STOP_MS);
	ret = local_result(j, j->p.exited ? j->p.status : 128 + 9, r);
	if (!ret && wret == -ETIMEDOUT)
		ret = fail(-ETIMEDOUT, "'%s' killed after %d ms", cmd, timeout_ms);
	else if (!ret && wret)
		ret = fail(wret, "waiting for '%s': %s", cmd, strerror(-wret));
	if (j->p.exited)
		local_free(j);
	return ret;
}

int local_runf(int timeout_ms, struct peer_result *r, const char *fmt, ...)
{
	va_list ap;
	char *cmd;
	int ret;

	*r = (struct peer_result){ .status = -1 };
	va_start(ap, fmt);
	cmd = vformat(fmt, ap);
	va_end(ap);
	if (!cmd)
		return -ENOMEM;
	ret = local_run(cmd, timeout_ms, r);
	free(cmd);
	return ret;
}

int local_spawn(const char *cmd, int *id)
{
	struct local_job *j;
	int ret;

	ret = local_start(cmd, &j);
	if (!ret)
		*id = j->id;
	return ret;
}

int local_spawnf(int *id, const char *fmt, ...)
{
	va_list ap;
	char *cmd;
	int ret;

	va_start(ap, fmt);
	cmd = vformat(fmt, ap);
	va_end(ap);
	if (!cmd)
		return -ENOMEM;
	ret = local_spawn(cmd, id);
	free(cmd);
	return ret;
}

int local_wait(int id, int timeout_ms, struct peer_result *r)
{
	struct local_job *j = local_find(id);
	int ret;

	*r = (struct peer_result){ .status = -1 };
	if (!j)
		return fail(-ESRCH, "no local job %d", id);
	ret = proc_wait(&j->p, clamp_ms(timeout_ms));
	if (ret == -ETIMEDOUT) {
		ret = local_result(j, -1, r);
		return ret ? ret : PEER_RUNNING;
	}
	if (ret)
		return fail(ret, "waiting for local job %d: %s", id, strerror(-ret));
	return local_result(j, j->p.status, r);
}

int local_kill(int id, int sig)
{
	struct local_job *j = local_find(id);
	int ret;

	if (!j)
		return fail(-ESRCH, "no local job %d", id);
	ret = proc_kill(&j->p, sig);
	return ret ? fail(ret, "kill local job %d: %s", id, strerror(-ret)) : 0;
}

int local_wait_for(int id, const char *needle, int timeout_ms, struct peer_result *r)
{
	return wait_for(local_wait, id, needle, timeout_ms, r);
}

void local_cleanup(void)
{
	if (!local.dir[0] || local.owner != getpid())
		return;
	for (int i = 0; i < LOCAL_JOBS; i++) {
		struct local_job *j = &local.jobs[i];

		if (!j->id)
			continue;
		if (proc_stop(&j->p, LOCAL_STOP_MS))
			fprintf(stderr, "lab2: local job %d (pid %d) not reaped\n",
				j->id, (int)j->p.pid);
		local_free(j);
	}
	rmdir(local.dir);
	local.dir[0] = 0;
}
