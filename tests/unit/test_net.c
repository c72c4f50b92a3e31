/*
 * test_net.c - the helper's connections natively (userspace/lib/net.c,
 * agent.c and the handshake of transfer.c), with a peer played by hand
 * over socket pairs: every connection keeps its own messages, passed
 * fds never leak, addresses are parsed strictly, listening never
 * destroys what is not a stale socket, the agent's directory and peer
 * are checked, every wait before the commit can be interrupted, and a
 * target's answer to COMMIT is read for what it says.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <criterion/criterion.h>

#include "fake_sysfs.h"
#include "mvgpu.h"
#include "mvgpu_wire.h"
#include "net.h"
#include "transfer.h"
#include "wire_peer.h"

#ifndef MVGPU_TEST_CLI
#define MVGPU_TEST_CLI "build/asan/bin/mvgpu"
#endif

#define UA "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
#define UB "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"

static struct fake *F;

static void setup(void)
{
	F = fake_new();		/* no vGPUs: a receiver refuses every HELLO */
}

static void teardown(void)
{
	fake_free(F);
}

TestSuite(net, .init = setup, .fini = teardown, .timeout = 60);

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- a peer played by hand ---------------------------------------------- */

/* Wait until the other end has read everything sent on @fd. */
static void wait_drained(int fd)
{
	uint64_t end = now_ms() + 5000;
	int pending;

	do {
		cr_assert_eq(ioctl(fd, SIOCOUTQ, &pending), 0);
		if (!pending)
			return;
		usleep(1000);
	} while (now_ms() < end);
	cr_assert_fail("the peer never read what was sent");
}

/* ---- a receiver on a thread --------------------------------------------- */

struct rcv {
	int sock;
	const volatile sig_atomic_t *cancel;
	unsigned timeout_ms;
	int ret;
	uint64_t ms;
	char err[MVGPU_ERR_MAX];
};

static void *receive_thread(void *arg)
{
	struct rcv *r = arg;
	mvgpu_receive_opts o = { .timeout_ms = r->timeout_ms ? r->timeout_ms : 5000,
				 .cancel = r->cancel };
	uint64_t t0 = now_ms();
	mvgpu_ctx *ctx;

	cr_assert_eq(mvgpu_ctx_create(&ctx, F->root), 0);
	r->ret = mvgpu_receive(ctx, r->sock, &o, NULL);
	r->ms = now_ms() - t0;
	snprintf(r->err, sizeof(r->err), "%s", mvgpu_last_error(ctx));
	mvgpu_ctx_free(ctx);
	return NULL;
}

/* ---- every connection its own messages ---------------------------------- */

/*
 * Two receivers in one process: A's HELLO arrives in two pieces, and B's
 * whole handshake happens between them.  Each must see its own source's
 * HELLO (a buffer shared between connections gives A a mix of both: a
 * checksum mismatch instead of A's refusal).
 */
Test(net, two_receivers_in_one_process_keep_their_own_messages)
{
	uint8_t ha[MVGPU_WIRE_HDR + MVGPU_WIRE_CTRL_MAX];
	uint8_t hb[MVGPU_WIRE_HDR + MVGPU_WIRE_CTRL_MAX];
	size_t la = wire_hello(ha, 0, MVGPU_WIRE_MINOR_ONE, UA, "mvgpu-64M");
	size_t lb = wire_hello(hb, 0, MVGPU_WIRE_MINOR_ONE, UB, "mvgpu-256M");
	size_t half = MVGPU_WIRE_HDR + (la - MVGPU_WIRE_HDR) / 2;
	struct rcv a = { 0 }, b = { 0 };
	int sa[2], sb[2];
	pthread_t ta, tb;
	char text[MVGPU_WIRE_MSG_MAX];

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sa), 0);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sb), 0);
	a.sock = sa[1];
	b.sock = sb[1];
	cr_assert_eq(pthread_create(&ta, NULL, receive_thread, &a), 0);
	wire_send(sa[0], ha, half);
	wait_drained(sa[0]);		/* A holds half its HELLO */
	cr_assert_eq(pthread_create(&tb, NULL, receive_thread, &b), 0);
	wire_send(sb[0], hb, lb);
	cr_assert_eq(pthread_join(tb, NULL), 0);
	wire_send(sa[0], ha + half, la - half);
	cr_assert_eq(pthread_join(ta, NULL), 0);

	cr_assert_eq(b.ret, -ENOENT, "B: %d %s", b.ret, b.err);
	cr_assert(strstr(b.err, "has no vGPU " UB), "B: %s", b.err);
	cr_assert_eq(a.ret, -ENOENT, "A: %d %s", a.ret, a.err);
	cr_assert(strstr(a.err, "has no vGPU " UA), "A: %s", a.err);
	cr_assert(strstr(a.err, "mvgpu-64M"), "A: %s", a.err);
	wire_read_error(sa[0], text, sizeof(text));
	cr_assert(strstr(text, UA), "A's source was told: '%s'", text);
	wire_read_error(sb[0], text, sizeof(text));
	cr_assert(strstr(text, UB), "B's source was told: '%s'", text);
	close(sa[0]);
	close(sa[1]);
	close(sb[0]);
	close(sb[1]);
}

/* ---- passed fds ------------------------------------------------------------ */

/* Send @len bytes at @p with @nfd fds attached; @return what sendmsg() did. */
static ssize_t sendmsg_fds(int sock, const void *p, size_t len, const int *fds,
			   int nfd)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(8 * sizeof(int))];
	} cm;
	struct iovec iov = { (void *)p, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (nfd) {
		memset(&cm, 0, sizeof(cm));
		mh.msg_control = cm.buf;
		mh.msg_controllen = CMSG_SPACE((size_t)nfd * sizeof(int));
		CMSG_FIRSTHDR(&mh)->cmsg_level = SOL_SOCKET;
		CMSG_FIRSTHDR(&mh)->cmsg_type = SCM_RIGHTS;
		CMSG_FIRSTHDR(&mh)->cmsg_len = CMSG_LEN((size_t)nfd * sizeof(int));
		memcpy(CMSG_DATA(CMSG_FIRSTHDR(&mh)), fds, (size_t)nfd * sizeof(int));
	}
	return sendmsg(sock, &mh, MSG_NOSIGNAL);
}

static void send_with_fds(int sock, const void *p, size_t len, const int *fds,
			  int nfd)
{
	cr_assert_eq(sendmsg_fds(sock, p, len, fds, nfd), (ssize_t)len);
}

/*
 * Fds to pass whose every copy can be seen closed: write ends of one
 * pipe.  fds_all_closed() drops the test's own copies and says whether
 * the read end then sees the last writer go (nothing kept one).
 */
struct probe {
	int rd, wr[4];
	int n;
};

static void probe_new(struct probe *p, int n)
{
	int pfd[2], i;

	cr_assert_eq(pipe2(pfd, O_CLOEXEC), 0);
	p->rd = pfd[0];
	p->n = n;
	p->wr[0] = pfd[1];
	for (i = 1; i < n; i++)
		p->wr[i] = fcntl(pfd[1], F_DUPFD_CLOEXEC, 0);
}

static bool fds_all_closed(struct probe *p)
{
	struct pollfd pf = { .fd = p->rd, .events = POLLIN };
	int i;

	for (i = 0; i < p->n; i++)
		close(p->wr[i]);
	i = poll(&pf, 1, 2000);
	close(p->rd);
	return i == 1 && (pf.revents & POLLHUP);
}

/* A workload's agent played by hand at $MVGPU_RUN_DIR/agent-@uuid.sock. */
struct fake_agent {
	char dir[40], path[100];
	int lfd;
	/* what it does with the first helper that connects */
	const char *uuid;	/* the vGPU it says it serves */
	int nfd;		/* fds passed with AGENT */
	const int *fds;
	unsigned flags;		/* MVGPU_WIRE_AGENT_* it says */
	bool silent;		/* accept, then say nothing */
	bool no_accept;		/* never accept */
	pthread_t thread;
};

static void *fake_agent_thread(void *arg)
{
	struct fake_agent *a = arg;
	struct mvgpu_wire_agent hello = { .major = MVGPU_WIRE_MAJOR,
					  .minor = MVGPU_WIRE_MINOR,
					  .pid = (uint32_t)getpid() };
	uint8_t p[64], msg[MVGPU_WIRE_HDR + 64];
	int fd, n;

	fd = accept4(a->lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (!a->silent) {
		snprintf(hello.uuid, sizeof(hello.uuid), "%s", a->uuid);
		hello.flags = a->flags;
		n = mvgpu_wire_encode_agent(&hello, p, sizeof(p));
		cr_assert_gt(n, 0);
		/* (a helper that refused the agent first may be gone) */
		sendmsg_fds(fd, msg, wire_msg(msg, MVGPU_WIRE_AGENT, 0, p, (uint32_t)n),
			    a->fds, a->nfd);
	}
	/* hold the connection until the helper hangs up */
	read(fd, p, sizeof(p));
	close(fd);
	return NULL;
}

static void fake_agent_start(struct fake_agent *a, const char *for_uuid)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	snprintf(a->dir, sizeof(a->dir), "/tmp/mvgpu-test-run.XXXXXX");
	cr_assert_not_null(mkdtemp(a->dir));
	setenv("MVGPU_RUN_DIR", a->dir, 1);
	snprintf(a->path, sizeof(a->path), "%s/agent-%s.sock", a->dir, for_uuid);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", a->path);
	a->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(a->lfd, 0);
	cr_assert_eq(bind(a->lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	cr_assert_eq(listen(a->lfd, a->no_accept ? 0 : 4), 0);
	if (!a->no_accept)
		cr_assert_eq(pthread_create(&a->thread, NULL, fake_agent_thread, a), 0);
}

static void fake_agent_stop(struct fake_agent *a)
{
	if (!a->no_accept) {
		shutdown(a->lfd, SHUT_RDWR);
		pthread_join(a->thread, NULL);
	}
	close(a->lfd);
	unlink(a->path);
	rmdir(a->dir);
}

static int agent_connect(const char *uuid, unsigned timeout_ms, char *err,
			 size_t errlen)
{
	mvgpu_agent_conn *ac = NULL;
	mvgpu_dev *dev = NULL;
	unsigned flags = 0;
	mvgpu_ctx *ctx;
	int ret;

	cr_assert_eq(mvgpu_ctx_create(&ctx, F->root), 0);
	ret = mvgpu_agent_connect(ctx, uuid, timeout_ms, &ac, &dev, &flags);
	snprintf(err, errlen, "%s", mvgpu_last_error(ctx));
	if (!ret) {
		mvgpu_dev_close(dev);
		mvgpu_agent_disconnect(ac);
	}
	mvgpu_ctx_free(ctx);
	return ret;
}

Test(net, an_agent_passing_two_fds_is_refused_and_both_closed)
{
	struct fake_agent a = { .uuid = UA, .nfd = 2 };
	struct probe pr;
	char err[MVGPU_ERR_MAX];

	probe_new(&pr, 2);
	a.fds = pr.wr;
	fake_agent_start(&a, UA);
	cr_assert_eq(agent_connect(UA, 5000, err, sizeof(err)), -EBADMSG, "%s", err);
	cr_assert(strstr(err, "passed 2 file descriptors"), "%s", err);
	fake_agent_stop(&a);
	cr_assert(fds_all_closed(&pr), "a passed fd was kept open");
}

Test(net, fds_passed_where_none_is_due_are_refused_and_closed)
{
	uint8_t h[MVGPU_WIRE_HDR + MVGPU_WIRE_CTRL_MAX];
	struct rcv r = { 0 };
	struct probe pr;
	pthread_t t;
	int sv[2];

	probe_new(&pr, 1);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	r.sock = sv[1];
	cr_assert_eq(pthread_create(&t, NULL, receive_thread, &r), 0);
	send_with_fds(sv[0], h, wire_hello(h, 0, MVGPU_WIRE_MINOR_ONE, UA, "mvgpu-64M"), pr.wr, 1);
	cr_assert_eq(pthread_join(t, NULL), 0);
	cr_assert_eq(r.ret, -EBADMSG, "%d %s", r.ret, r.err);
	cr_assert(strstr(r.err, "passed 1 file descriptor with one message where none is due"),
		  "%s", r.err);
	close(sv[0]);
	close(sv[1]);
	cr_assert(fds_all_closed(&pr), "the passed fd was kept open");
}

/* ---- addresses ------------------------------------------------------------- */

/* A TCP port nobody listens on right now. */
static unsigned free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	close(fd);
	return ntohs(a.sin_port);
}

/* The name `mvgpu migrate` checks the target's certificate against: the
 * HOST as typed, so that a certificate naming only host-b.example (as
 * libvirt's often do) is accepted when the admin typed that name. */
Test(net, the_host_a_certificate_must_name_is_the_one_typed)
{
	char h[16];

	cr_assert_eq(mvgpu_net_host("host-b.example:4444", h, sizeof(h)), 0);
	cr_assert_str_eq(h, "host-b.example");
	cr_assert_eq(mvgpu_net_host("192.0.2.7:1", h, sizeof(h)), 0);
	cr_assert_str_eq(h, "192.0.2.7");
	cr_assert_eq(mvgpu_net_host("[2001:db8::1]:4444", h, sizeof(h)), 0);
	cr_assert_str_eq(h, "2001:db8::1");
	cr_assert_eq(mvgpu_net_host("unix:/run/mvgpu.sock", h, sizeof(h)), -ENOENT);
	cr_assert_eq(mvgpu_net_host(":4444", h, sizeof(h)), -EINVAL);
	cr_assert_eq(mvgpu_net_host("host-b.example", h, sizeof(h)), -EINVAL);
	cr_assert_eq(mvgpu_net_host("host-b.example:0", h, sizeof(h)), -EINVAL);
	cr_assert_eq(mvgpu_net_host("a-name-longer-than-16.example:1", h, sizeof(h)),
		     -ENAMETOOLONG);
}

Test(net, ports_are_1_to_65535_and_nothing_else)
{
	static const char *const bad[] = {
		"127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:4294967297",
		"127.0.0.1:18446744073709551617", "127.0.0.1:-1", "127.0.0.1:+80",
		"127.0.0.1: 80", "127.0.0.1:80 ", "127.0.0.1:0x50", "127.0.0.1:",
		"127.0.0.1:000000080", "[::1]:70000",
	};
	mvgpu_ctx *ctx;
	char addr[64];
	size_t i;
	int fd;

	cr_assert_eq(mvgpu_ctx_create(&ctx, F->root), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(mvgpu_net_connect(ctx, bad[i], 200), -EINVAL, "%s", bad[i]);
		cr_assert(strstr(mvgpu_last_error(ctx), "expected a number from 1 to 65535"),
			  "%s: %s", bad[i], mvgpu_last_error(ctx));
		cr_assert_eq(mvgpu_net_listen(ctx, bad[i]), -EINVAL, "%s", bad[i]);
		/* and ":PORT", every address */
		cr_assert_eq(mvgpu_net_listen(ctx, strrchr(bad[i], ':')), -EINVAL,
			     "%s", strrchr(bad[i], ':'));
	}
	/* the same digits in range work */
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", free_port());
	fd = mvgpu_net_listen(ctx, addr);
	cr_assert_geq(fd, 0, "%s: %s", addr, mvgpu_last_error(ctx));
	close(fd);
	mvgpu_ctx_free(ctx);
}

/* A private directory for socket files; removed with what is in it. */
static void sock_dir(char *dir, size_t len)
{
	snprintf(dir, len, "/tmp/mvgpu-test-sock.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void rm_dir(const char *dir)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

/* A socket listening at @path (closing it leaves a stale socket file). */
static int listening_at(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	cr_assert_eq(listen(fd, 1), 0);
	return fd;
}

Test(net, listening_on_unix_path_replaces_only_a_stale_socket)
{
	char dir[40], path[80], addr[100], other[80];
	mvgpu_ctx *ctx;
	int fd, live;
	FILE *f;

	cr_assert_eq(mvgpu_ctx_create(&ctx, F->root), 0);
	sock_dir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/s", dir);
	snprintf(addr, sizeof(addr), "unix:%s", path);

	/* a regular file (as root: any file) is never removed */
	f = fopen(path, "w");
	fputs("precious\n", f);
	fclose(f);
	cr_assert_eq(mvgpu_net_listen(ctx, addr), -EEXIST);
	cr_assert(strstr(mvgpu_last_error(ctx), "exists and is not a socket"), "%s",
		  mvgpu_last_error(ctx));
	f = fopen(path, "r");
	cr_assert_not_null(f, "the file was removed");
	cr_assert_eq(fgetc(f), 'p');
	fclose(f);
	unlink(path);

	/* nor is what a symlink there points to, nor the symlink */
	snprintf(other, sizeof(other), "%s/target", dir);
	f = fopen(other, "w");
	fclose(f);
	cr_assert_eq(symlink(other, path), 0);
	cr_assert_eq(mvgpu_net_listen(ctx, addr), -EEXIST);
	cr_assert_eq(access(other, F_OK), 0);
	cr_assert_eq(unlink(path), 0, "the symlink was removed");

	/* a socket somebody listens on stays theirs */
	live = listening_at(path);
	cr_assert_eq(mvgpu_net_listen(ctx, addr), -EADDRINUSE);
	cr_assert(strstr(mvgpu_last_error(ctx), "another program listens there"), "%s",
		  mvgpu_last_error(ctx));
	close(live);

	/* the socket of a program that died is replaced, twice over */
	fd = mvgpu_net_listen(ctx, addr);
	cr_assert_geq(fd, 0, "%s", mvgpu_last_error(ctx));
	close(fd);
	fd = mvgpu_net_listen(ctx, addr);
	cr_assert_geq(fd, 0, "%s", mvgpu_last_error(ctx));
	close(fd);
	rm_dir(dir);
	mvgpu_ctx_free(ctx);
}

/* Connect to @addr, accept on @lfd; @who gets the accepted peer. */
static void connect_accept(mvgpu_ctx *ctx, int lfd, const char *addr,
			   char *who, size_t wholen)
{
	int c = mvgpu_net_connect(ctx, addr, 2000), s;

	cr_assert_geq(c, 0, "%s: %s", addr, mvgpu_last_error(ctx));
	s = mvgpu_net_accept(ctx, lfd, 2000, who, wholen);
	cr_assert_geq(s, 0, "%s: %s", addr, mvgpu_last_error(ctx));
	close(s);
	close(c);
}

static bool have_ipv6_loopback(void)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6,
				  .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok = fd >= 0 && !bind(fd, (struct sockaddr *)&a, sizeof(a));

	if (fd >= 0)
		close(fd);
	return ok;
}

Test(net, listening_on_port_alone_takes_ipv4_and_ipv6)
{
	char addr[64], who[128];
	unsigned port = free_port();
	mvgpu_ctx *ctx;
	int lfd;

	cr_assert_eq(mvgpu_ctx_create(&ctx, F->root), 0);
	snprintf(addr, sizeof(addr), ":%u", port);
	lfd = mvgpu_net_listen(ctx, addr);
	cr_assert_geq(lfd, 0, "%s", mvgpu_last_error(ctx));
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", port);
	connect_accept(ctx, lfd, addr, who, sizeof(who));
	cr_assert_eq(strncmp(who, "127.0.0.1:", 10), 0, "IPv4 peer shown as %s", who);
	if (have_ipv6_loopback()) {
		snprintf(addr, sizeof(addr), "[::1]:%u", port);
		connect_accept(ctx, lfd, addr, who, sizeof(who));
		cr_assert_eq(strncmp(who, "[::1]:", 6), 0, "IPv6 peer shown as %s", who);
	} else {
		cr_log_warn("no IPv6 loopback here: only the IPv4 half was tested");
	}
	close(lfd);
	mvgpu_ctx_free(ctx);
}

/* ---- the agent ------------------------------------------------------------- */

Test(net, an_agent_serving_another_vgpu_is_refused_and_its_fd_closed)
{
	struct fake_agent a = { .uuid = UB, .nfd = 1 };
	struct probe pr;
	char err[MVGPU_ERR_MAX];

	probe_new(&pr, 1);
	a.fds = pr.wr;
	fake_agent_start(&a, UA);	/* UA's socket, but it says UB */
	cr_assert_eq(agent_connect(UA, 5000, err, sizeof(err)), -EPROTO, "%s", err);
	cr_assert(strstr(err, "serves vGPU " UB ", not " UA), "%s", err);
	fake_agent_stop(&a);
	cr_assert(fds_all_closed(&pr), "the fd of the wrong vGPU was kept");
}

Test(net, a_silent_agent_fails_in_time)
{
	struct fake_agent a = { .uuid = UA, .silent = true };
	char err[MVGPU_ERR_MAX];
	uint64_t t0;

	fake_agent_start(&a, UA);
	t0 = now_ms();
	cr_assert_eq(agent_connect(UA, 500, err, sizeof(err)), -ETIMEDOUT, "%s", err);
	cr_assert_lt(now_ms() - t0, 3000);
	cr_assert(strstr(err, "waiting for AGENT from the workload"), "%s", err);
	fake_agent_stop(&a);
}

Test(net, an_agent_that_never_accepts_fails_in_time)
{
	struct fake_agent a = { .uuid = UA, .no_accept = true };
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char err[MVGPU_ERR_MAX];
	int filler[64], n = 0;
	uint64_t t0;

	fake_agent_start(&a, UA);
	/* fill its backlog: the next connect() would block for ever */
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", a.path);
	for (n = 0; n < 64; n++) {
		filler[n] = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (connect(filler[n], (struct sockaddr *)&sun, sizeof(sun))) {
			cr_assert_eq(errno, EAGAIN, "%s", strerror(errno));
			close(filler[n]);
			break;
		}
	}
	cr_assert_lt(n, 64, "the backlog never filled");
	t0 = now_ms();
	cr_assert_eq(agent_connect(UA, 500, err, sizeof(err)), -ETIMEDOUT, "%s", err);
	cr_assert_lt(now_ms() - t0, 3000);
	cr_assert(strstr(err, "accepts no connection"), "%s", err);
	while (n--)
		close(filler[n]);
	fake_agent_stop(&a);
}

Test(net, an_agent_directory_others_can_write_is_refused)
{
	struct fake_agent a = { .uuid = UA, .nfd = 0 };
	char err[MVGPU_ERR_MAX];

	fake_agent_start(&a, UA);
	cr_assert_eq(chmod(a.dir, 0777), 0);
	cr_assert_eq(agent_connect(UA, 2000, err, sizeof(err)), -EPERM, "%s", err);
	cr_assert(strstr(err, "can be written by others (mode 0777)"), "%s", err);
	cr_assert(strstr(err, "chmod 700"), "%s", err);
	cr_assert_eq(chmod(a.dir, 0700), 0);
	fake_agent_stop(&a);
}

/* ---- the CLI ------------------------------------------------------------------ */

extern char **environ;

struct child {
	pid_t pid;
	int out, err;		/* unlinked temporary files */
	int code;		/* exit code; 128 + signal if killed */
	char *o, *e;		/* what it wrote, after child_wait() */
};

static int tmp_file(void)
{
	char name[] = "/tmp/mvgpu-test-out.XXXXXX";
	int fd = mkstemp(name);

	cr_assert_geq(fd, 0);
	unlink(name);
	return fd;
}

/* Start the CLI with the NULL-terminated arguments @argv (after argv[0]). */
static void child_start(struct child *c, const char *const *argv)
{
	posix_spawn_file_actions_t fa;
	char *av[32];
	int n = 0;

	memset(c, 0, sizeof(*c));
	av[n++] = (char *)"mvgpu";
	while (*argv && n < 31)
		av[n++] = (char *)*argv++;
	av[n] = NULL;
	c->out = tmp_file();
	c->err = tmp_file();
	cr_assert_eq(posix_spawn_file_actions_init(&fa), 0);
	posix_spawn_file_actions_adddup2(&fa, c->out, 1);
	posix_spawn_file_actions_adddup2(&fa, c->err, 2);
	cr_assert_eq(posix_spawn(&c->pid, MVGPU_TEST_CLI, &fa, NULL, av, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
}

static char *file_text(int fd)
{
	struct stat st;
	char *t;

	cr_assert_eq(fstat(fd, &st), 0);
	t = calloc(1, (size_t)st.st_size + 1);
	cr_assert_eq(pread(fd, t, (size_t)st.st_size, 0), st.st_size);
	return t;
}

/* Wait until the child's stderr shows @needle (within @ms). */
static void child_says(struct child *c, const char *needle, unsigned ms)
{
	uint64_t end = now_ms() + ms;
	char *t;

	for (;;) {
		t = file_text(c->err);
		if (strstr(t, needle)) {
			free(t);
			return;
		}
		cr_assert_lt(now_ms(), end, "never said '%s': %s", needle, t);
		free(t);
		usleep(20000);
	}
}

/* Reap the child within @ms (else kill it and fail); its exit code. */
static int child_wait(struct child *c, unsigned ms)
{
	uint64_t end = now_ms() + ms;
	int st;

	while (waitpid(c->pid, &st, WNOHANG) == 0) {
		if (now_ms() >= end) {
			kill(c->pid, SIGKILL);
			waitpid(c->pid, &st, 0);
			c->e = file_text(c->err);
			cr_assert_fail("the CLI did not end within %u ms: %s", ms, c->e);
		}
		usleep(10000);
	}
	c->code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	c->o = file_text(c->out);
	c->e = file_text(c->err);
	close(c->out);
	close(c->err);
	return c->code;
}

static void child_free(struct child *c)
{
	free(c->o);
	free(c->e);
}

/* A connection to a receiver listening on unix:@path. */
static int dial(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0,
		     "%s: %s", path, strerror(errno));
	return fd;
}

/* `mvgpu receive --listen unix:DIR/r.sock --timeout 5` and @more (NULL
 * ended, at most 4), listening: its socket in @path (a new @dir). */
static void receive_child(struct child *c, char dir[40], char path[80],
			  const char *const *more)
{
	const char *argv[12] = { "receive", "--listen", NULL, "--timeout", "5" };
	char addr[100];
	int n = 5;

	sock_dir(dir, 40);
	snprintf(path, 80, "%s/r.sock", dir);
	snprintf(addr, sizeof(addr), "unix:%s", path);
	argv[2] = addr;
	while (more && *more && n < 9)
		argv[n++] = *more++;
	argv[n] = NULL;
	child_start(c, argv);
	child_says(c, "listening on", 10000);
}

/*
 * A source asks for a vGPU the target does not have: the target says
 * nothing changed there, and the command it suggests to the source
 * works as written.
 */
Test(net, a_refused_receive_says_what_is_true_and_hints_a_working_command)
{
	uint8_t h[MVGPU_WIRE_HDR + MVGPU_WIRE_CTRL_MAX];
	char dir[40], path[80], text[MVGPU_WIRE_MSG_MAX], *hint, *end;
	const char *argv[16];
	struct child c;
	int fd, n = 0;

	fake_std(F);
	receive_child(&c, dir, path, NULL);
	fd = dial(path);
	wire_send(fd, h, wire_hello(h, 0, MVGPU_WIRE_MINOR_ONE, UA, "mvgpu-64M"));
	wire_read_error(fd, text, sizeof(text));
	close(fd);
	cr_assert_eq(child_wait(&c, 10000), 1, "%s", c.e);
	cr_assert(strstr(c.e, "has no vGPU " UA), "%s", c.e);
	cr_assert(strstr(c.e, "; nothing changed here"), "%s", c.e);
	child_free(&c);

	/* the source was told a command; run it as written */
	hint = strstr(text, "(mvgpu ");
	cr_assert_not_null(hint, "no command in: %s", text);
	hint += strlen("(mvgpu ");
	end = strchr(hint, ')');
	cr_assert_not_null(end);
	*end = '\0';
	for (char *w = strtok(hint, " "); w && n < 15; w = strtok(NULL, " "))
		argv[n++] = w;
	argv[n] = NULL;
	child_start(&c, argv);
	cr_assert_eq(child_wait(&c, 10000), 0, "'%s' failed: %s", text, c.e);
	hint = fake_created(F, "0000:00:04.0", "mvgpu-64M");
	cr_assert_str_eq(hint, UA);
	free(hint);
	child_free(&c);
	rm_dir(dir);
}

/*
 * A session of two vGPUs the target does not have: the refusal names the
 * first, before anything changed, on both sides.
 */
Test(net, a_refused_session_names_the_vgpu)
{
	uint8_t h[MVGPU_WIRE_HDR + MVGPU_WIRE_CTRL_MAX];
	char dir[40], path[80], text[MVGPU_WIRE_MSG_MAX];
	struct child c;
	int fd;

	fake_std(F);
	receive_child(&c, dir, path, NULL);
	fd = dial(path);
	wire_send(fd, h, wire_session(h, 2));
	wire_send(fd, h, wire_hello(h, 1, MVGPU_WIRE_MINOR, UA, "mvgpu-64M"));
	wire_send(fd, h, wire_hello(h, 2, MVGPU_WIRE_MINOR, UB, "mvgpu-256M"));
	wire_read_error(fd, text, sizeof(text));
	close(fd);
	cr_assert_eq(child_wait(&c, 10000), 1, "%s", c.e);
	cr_assert(strstr(c.e, "vGPU " UA " (1 of 2): the target has no vGPU " UA), "%s", c.e);
	cr_assert(strstr(c.e, "; nothing changed here"), "%s", c.e);
	cr_assert(strstr(text, "vGPU " UA " (1 of 2): the target has no vGPU " UA), "%s", text);
	child_free(&c);

	rm_dir(dir);

	/* --uuid serves two: a session of another size is refused */
	receive_child(&c, dir, path, (const char *const[]){ "--uuid", UA "," UB, NULL });
	fd = dial(path);
	wire_send(fd, h, wire_hello(h, 0, MVGPU_WIRE_MINOR_ONE, UA, "mvgpu-64M"));
	wire_read_error(fd, text, sizeof(text));
	close(fd);
	cr_assert_eq(child_wait(&c, 10000), 1, "%s", c.e);
	cr_assert(strstr(text, "the source sends one vGPU; this receiver serves 2"), "%s", text);
	child_free(&c);
	rm_dir(dir);
}

/* ---- cancelling every wait before the commit -------------------------------- */

static volatile sig_atomic_t cancel_flag;

static void on_usr1(int sig)
{
	(void)sig;
	cancel_flag = 1;
}

struct canceller {
	pthread_t target;	/* the thread to signal, or the flag alone */
	bool by_signal;
	unsigned after_ms;
	pthread_t thread;
};

static void *canceller_thread(void *arg)
{
	struct canceller *c = arg;

	usleep(c->after_ms * 1000);
	if (c->by_signal)
		pthread_kill(c->target, SIGUSR1);	/* EINTR there */
	else
		cancel_flag = 1;
	return NULL;
}

/* Raise the flag in @ms: by a signal to this thread (no SA_RESTART, as
 * the CLI's handler), or by setting it from another thread. */
static void cancel_in(struct canceller *c, unsigned ms, bool by_signal)
{
	struct sigaction sa = { .sa_handler = on_usr1 };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	cancel_flag = 0;
	c->target = pthread_self();
	c->by_signal = by_signal;
	c->after_ms = ms;
	cr_assert_eq(pthread_create(&c->thread, NULL, canceller_thread, c), 0);
}

static void cancel_done(struct canceller *c)
{
	pthread_join(c->thread, NULL);
}

static void accept_is_cancelled(bool by_signal)
{
	char dir[40], addr[100], who[64];
	struct canceller cn;
	mvgpu_ctx *ctx;
	uint64_t t0;
	int lfd;

	cr_assert_eq(mvgpu_ctx_create(&ctx, F->root), 0);
	mvgpu_ctx_set_cancel(ctx, &cancel_flag);
	sock_dir(dir, sizeof(dir));
	snprintf(addr, sizeof(addr), "unix:%s/l.sock", dir);
	lfd = mvgpu_net_listen(ctx, addr);
	cr_assert_geq(lfd, 0, "%s", mvgpu_last_error(ctx));
	cancel_in(&cn, 300, by_signal);
	t0 = now_ms();
	/* no accept timeout: it used to wait for ever, signals or not */
	cr_assert_eq(mvgpu_net_accept(ctx, lfd, 0, who, sizeof(who)), -ECANCELED);
	cr_assert_lt(now_ms() - t0, 1500);
	cr_assert(strstr(mvgpu_last_error(ctx), "interrupted"), "%s", mvgpu_last_error(ctx));
	cancel_done(&cn);
	close(lfd);
	rm_dir(dir);
	mvgpu_ctx_free(ctx);
}

Test(net, accepting_ends_on_a_signal)
{
	accept_is_cancelled(true);
}

Test(net, accepting_ends_on_the_flag_alone)
{
	accept_is_cancelled(false);
}

Test(net, connecting_ends_on_a_signal)
{
	struct canceller cn;
	mvgpu_ctx *ctx;
	uint64_t t0;

	cr_assert_eq(mvgpu_ctx_create(&ctx, F->root), 0);
	mvgpu_ctx_set_cancel(ctx, &cancel_flag);
	cancel_in(&cn, 300, true);
	t0 = now_ms();
	/* nobody there yet: it retries for 30 s, unless cancelled */
	cr_assert_eq(mvgpu_net_connect(ctx, "unix:/nonexistent/mvgpu-test.sock", 30000),
		     -ECANCELED, "%s", mvgpu_last_error(ctx));
	cr_assert_lt(now_ms() - t0, 1500);
	cr_assert(strstr(mvgpu_last_error(ctx), "interrupted while connecting"), "%s",
		  mvgpu_last_error(ctx));
	cancel_done(&cn);
	mvgpu_ctx_free(ctx);
}

Test(net, a_silent_source_in_the_handshake_is_cancelled_and_told)
{
	struct rcv r = { .timeout_ms = 30000, .cancel = &cancel_flag };
	char text[MVGPU_WIRE_MSG_MAX];
	struct canceller cn;
	pthread_t t;
	int sv[2];

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	r.sock = sv[1];
	cancel_in(&cn, 300, false);
	cr_assert_eq(pthread_create(&t, NULL, receive_thread, &r), 0);
	cr_assert_eq(pthread_join(t, NULL), 0);
	cancel_done(&cn);
	cr_assert_eq(r.ret, -ECANCELED, "%d %s", r.ret, r.err);
	cr_assert_lt(r.ms, 1500);
	wire_read_error(sv[0], text, sizeof(text));
	cr_assert(strstr(text, "interrupted"), "the source was told: '%s'", text);
	close(sv[0]);
	close(sv[1]);
}

Test(net, connecting_to_a_stuck_agent_ends_on_a_signal)
{
	struct fake_agent a = { .uuid = UA, .no_accept = true };
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	mvgpu_agent_conn *ac;
	struct canceller cn;
	mvgpu_dev *dev;
	int filler[64], n;
	mvgpu_ctx *ctx;
	uint64_t t0;

	fake_agent_start(&a, UA);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", a.path);
	for (n = 0; n < 64; n++) {
		filler[n] = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (connect(filler[n], (struct sockaddr *)&sun, sizeof(sun))) {
			close(filler[n]);
			break;
		}
	}
	cr_assert_eq(mvgpu_ctx_create(&ctx, F->root), 0);
	mvgpu_ctx_set_cancel(ctx, &cancel_flag);
	cancel_in(&cn, 300, true);
	t0 = now_ms();
	cr_assert_eq(mvgpu_agent_connect(ctx, UA, 30000, &ac, &dev, NULL), -ECANCELED,
		     "%s", mvgpu_last_error(ctx));
	cr_assert_lt(now_ms() - t0, 1500);
	cancel_done(&cn);
	while (n--)
		close(filler[n]);
	mvgpu_ctx_free(ctx);
	fake_agent_stop(&a);
}

/* `mvgpu receive`, stopped by systemd (SIGTERM) while it waits for a
 * source, and by ^C (SIGINT) in the handshake: each ends at once, says
 * so, and tells a connected source. */
Test(net, the_receive_command_stops_on_sigterm_and_sigint)
{
	char dir[40], path[80], addr[100], text[MVGPU_WIRE_MSG_MAX];
	struct child c;
	uint64_t t0;
	int fd;

	sock_dir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/r.sock", dir);
	snprintf(addr, sizeof(addr), "unix:%s", path);

	child_start(&c, (const char *const[]){ "receive", "--listen", addr, NULL });
	child_says(&c, "listening on", 10000);
	t0 = now_ms();
	cr_assert_eq(kill(c.pid, SIGTERM), 0);
	cr_assert_eq(child_wait(&c, 3000), 1, "%s", c.e);
	cr_assert_lt(now_ms() - t0, 2000);
	cr_assert(strstr(c.e, "interrupted before anybody connected; nothing changed here"),
		  "%s", c.e);
	child_free(&c);

	child_start(&c, (const char *const[]){ "receive", "--listen", addr, NULL });
	child_says(&c, "listening on", 10000);
	fd = dial(path);
	usleep(200000);		/* it is waiting for HELLO now */
	t0 = now_ms();
	cr_assert_eq(kill(c.pid, SIGINT), 0);
	cr_assert_eq(child_wait(&c, 3000), 1, "%s", c.e);
	cr_assert_lt(now_ms() - t0, 2000);
	cr_assert(strstr(c.e, "interrupted"), "%s", c.e);
	cr_assert(strstr(c.e, "nothing changed here"), "%s", c.e);
	wire_read_error(fd, text, sizeof(text));
	cr_assert(strstr(text, "interrupted"), "the source was told: '%s'", text);
	close(fd);
	child_free(&c);
	rm_dir(dir);
}

/* `mvgpu migrate` stopped while it reaches a stuck workload's agent. */
Test(net, the_migrate_command_stops_on_sigterm_before_anything_moved)
{
	struct fake_agent a = { .uuid = UA, .no_accept = true };
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct child c;
	int filler[64], n;
	uint64_t t0;

	fake_agent_start(&a, UA);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", a.path);
	for (n = 0; n < 64; n++) {
		filler[n] = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (connect(filler[n], (struct sockaddr *)&sun, sizeof(sun))) {
			close(filler[n]);
			break;
		}
	}
	child_start(&c, (const char *const[]){ "migrate", UA, "unix:/nonexistent.sock",
					       "--timeout", "60", NULL });
	usleep(500000);
	t0 = now_ms();
	cr_assert_eq(kill(c.pid, SIGTERM), 0);
	cr_assert_eq(child_wait(&c, 3000), 1, "%s", c.e);
	cr_assert_lt(now_ms() - t0, 2000);
	cr_assert(strstr(c.e, "interrupted"), "%s", c.e);
	cr_assert(strstr(c.e, "running here, unchanged"), "%s", c.e);
	child_free(&c);
	while (n--)
		close(filler[n]);
	fake_agent_stop(&a);
}

/* ---- the commit: the target's answer ------------------------------------- */

enum answer { ANS_COMMITTED, ANS_ERROR, ANS_CLOSE, ANS_SILENCE, ANS_GARBAGE,
	      ANS_OTHER, ANS_BAD_ERROR, ANS_RESET };

struct fake_target {
	int fd;
	enum answer ans;
	bool got_commit;
};

static void *fake_target_thread(void *arg)
{
	struct fake_target *t = arg;
	uint8_t p[64], msg[MVGPU_WIRE_HDR + 1100];
	struct mvgpu_wire_hdr h;
	struct mvgpu_wire_error e = { .code = EIO };
	struct linger lg = { 1, 0 };
	int n;

	t->got_commit = wire_read(t->fd, 5000, p, sizeof(p), &h) == MVGPU_WIRE_COMMIT;
	switch (t->ans) {
	case ANS_COMMITTED:
		mvgpu_wire_encode_ns(1234, p, 8);
		wire_send(t->fd, msg, wire_msg(msg, MVGPU_WIRE_COMMITTED, 0, p, 8));
		break;
	case ANS_ERROR:
		snprintf(e.text, sizeof(e.text), "the vGPU could not start; reset here");
		n = mvgpu_wire_encode_error(&e, msg + MVGPU_WIRE_HDR, sizeof(msg) - MVGPU_WIRE_HDR);
		cr_assert_gt(n, 0);
		wire_send(t->fd, msg, wire_msg(msg, MVGPU_WIRE_ERROR, 0,
					      msg + MVGPU_WIRE_HDR, (uint32_t)n));
		break;
	case ANS_BAD_ERROR:	/* an ERROR whose checksum does not hold */
		snprintf(e.text, sizeof(e.text), "x");
		n = mvgpu_wire_encode_error(&e, msg + MVGPU_WIRE_HDR, sizeof(msg) - MVGPU_WIRE_HDR);
		wire_msg(msg, MVGPU_WIRE_ERROR, 0, msg + MVGPU_WIRE_HDR, (uint32_t)n);
		msg[MVGPU_WIRE_HDR + 8] ^= 1;
		wire_send(t->fd, msg, MVGPU_WIRE_HDR + (size_t)n);
		break;
	case ANS_OTHER:		/* a valid message, not an answer */
		mvgpu_wire_encode_ns(1, p, 8);
		wire_send(t->fd, msg, wire_msg(msg, MVGPU_WIRE_LOADED, 0, p, 8));
		break;
	case ANS_GARBAGE:
		memset(msg, 'Z', MVGPU_WIRE_HDR);
		wire_send(t->fd, msg, MVGPU_WIRE_HDR);
		break;
	case ANS_RESET:
		setsockopt(t->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		break;
	case ANS_CLOSE:
	case ANS_SILENCE:
		break;
	}
	if (t->ans == ANS_SILENCE)
		read(t->fd, p, sizeof(p));	/* until the source hangs up */
	close(t->fd);
	return NULL;
}

static int commit_with(enum answer ans, int *in_doubt, char *err, size_t errlen)
{
	struct fake_target t = { .ans = ans };
	pthread_t th;
	mvgpu_ctx *ctx;
	int sv[2], ret;

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	t.fd = sv[1];
	cr_assert_eq(pthread_create(&th, NULL, fake_target_thread, &t), 0);
	cr_assert_eq(mvgpu_ctx_create(&ctx, F->root), 0);
	*in_doubt = -1;
	ret = xf_commit(ctx, sv[0], 500, in_doubt);
	snprintf(err, errlen, "%s", mvgpu_last_error(ctx));
	shutdown(sv[0], SHUT_RDWR);
	cr_assert_eq(pthread_join(th, NULL), 0);
	cr_assert(t.got_commit, "the target got no COMMIT");
	close(sv[0]);
	mvgpu_ctx_free(ctx);
	return ret;
}

Test(net, committed_is_success)
{
	char err[MVGPU_ERR_MAX];
	int doubt;

	cr_assert_eq(commit_with(ANS_COMMITTED, &doubt, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(doubt, 0);
}

/* A target that answers COMMIT with a clear ERROR does not run the
 * vGPU: the source must resume, it is not in doubt. */
Test(net, an_error_after_commit_is_a_clear_no)
{
	char err[MVGPU_ERR_MAX];
	int doubt;

	cr_assert_eq(commit_with(ANS_ERROR, &doubt, err, sizeof(err)), -EIO, "%s", err);
	cr_assert_eq(doubt, 0, "a clear ERROR taken for a doubt: %s", err);
	cr_assert(strstr(err, "the target refused the commit"), "%s", err);
	cr_assert(strstr(err, "the vGPU could not start; reset here"), "%s", err);
	cr_assert(strstr(err, "it does not run the vGPU"), "%s", err);
}

/* Only a lost confirmation is in doubt: silence, a closed or reset
 * connection, a damaged message, a message that is no answer. */
Test(net, only_a_lost_confirmation_is_in_doubt)
{
	static const enum answer lost[] = { ANS_CLOSE, ANS_SILENCE, ANS_GARBAGE,
					    ANS_OTHER, ANS_BAD_ERROR, ANS_RESET };
	static const char *const name[] = { "closed", "silent", "garbage",
					    "LOADED", "damaged ERROR", "reset" };
	char err[MVGPU_ERR_MAX];
	size_t i;
	int doubt;

	for (i = 0; i < sizeof(lost) / sizeof(lost[0]); i++) {
		cr_assert_eq(commit_with(lost[i], &doubt, err, sizeof(err)), -EREMOTEIO,
			     "%s: %s", name[i], err);
		cr_assert_eq(doubt, 1, "%s: %s", name[i], err);
		cr_assert(strstr(err, "the commit was sent but not confirmed"), "%s: %s",
			  name[i], err);
	}
}

/* ---- mvgpu status: does the vGPU run here? ------------------------------- */

static struct child status_of(const char *uuid, bool json)
{
	struct child c;

	if (json)
		child_start(&c, (const char *const[]){ "--json", "status", uuid,
						       "--timeout", "1", NULL });
	else
		child_start(&c, (const char *const[]){ "status", uuid, "--timeout", "1",
						       NULL });
	cr_assert_eq(child_wait(&c, 10000), 0, "%s", c.e);
	return c;
}

Test(net, status_says_whether_the_vgpu_runs_here)
{
	struct fake_agent a = { .uuid = UA, .nfd = 1 };
	struct probe pr;
	struct child c;
	char dir[40];

	fake_std(F);
	/* no such vGPU: it does not run here */
	c = status_of(UA, false);
	cr_assert(strstr(c.o, "no vGPU " UA " here: it does not run here"), "%s", c.o);
	child_free(&c);
	c = status_of(UA, true);
	cr_assert(strstr(c.o, "\"exists\": false"), "%s", c.o);
	cr_assert(strstr(c.o, "\"runs_here\": false"), "%s", c.o);
	child_free(&c);

	/* idle: nothing has it open */
	snprintf(dir, sizeof(dir), "/tmp/mvgpu-test-run.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	setenv("MVGPU_RUN_DIR", dir, 1);
	fake_add_vgpu(F, "0000:00:04.0", "mvgpu-64M", UA, 7, "0");
	c = status_of(UA, false);
	cr_assert(strstr(c.o, "vGPU " UA " (mvgpu-64M on 0000:00:04.0): does not run here: nothing has it open"),
		  "%s", c.o);
	child_free(&c);
	rm_dir(dir);

	/* open by a program without an agent (a VM): not known here */
	fake_add_vgpu(F, "0000:00:04.0", "mvgpu-64M", UB, 8, "1");
	c = status_of(UB, true);
	cr_assert(strstr(c.o, "\"runs_here\": null"), "%s", c.o);
	cr_assert(strstr(c.o, "\"workload\": \"foreign\""), "%s", c.o);
	child_free(&c);

	/* a workload that runs it, asked through its agent: the fd it
	 * passes is closed unused, the workload keeps the vGPU */
	probe_new(&pr, 1);
	a.fds = pr.wr;
	fake_agent_start(&a, UA);
	c = status_of(UA, true);
	cr_assert(strstr(c.o, "\"runs_here\": true"), "%s%s", c.o, c.e);
	cr_assert(strstr(c.o, "\"workload\": \"running\""), "%s", c.o);
	child_free(&c);
	fake_agent_stop(&a);
	cr_assert(fds_all_closed(&pr), "status kept the device fd");

	/* a workload still waiting for the vGPU to come in */
	memset(&a, 0, sizeof(a));
	a.uuid = UA;
	a.flags = MVGPU_WIRE_AGENT_INCOMING;
	probe_new(&pr, 1);
	a.nfd = 1;
	a.fds = pr.wr;
	fake_agent_start(&a, UA);
	c = status_of(UA, false);
	cr_assert(strstr(c.o, "does not run here: its workload (pid "), "%s%s", c.o, c.e);
	cr_assert(strstr(c.o, "waits for a migration in"), "%s", c.o);
	child_free(&c);
	fake_agent_stop(&a);
	cr_assert(fds_all_closed(&pr));

	/* an agent busy with a helper: not known yet */
	memset(&a, 0, sizeof(a));
	a.uuid = UA;
	a.silent = true;
	fake_agent_start(&a, UA);
	c = status_of(UA, true);
	cr_assert(strstr(c.o, "\"runs_here\": null"), "%s", c.o);
	cr_assert(strstr(c.o, "\"workload\": \"busy\""), "%s", c.o);
	child_free(&c);
	fake_agent_stop(&a);
}
