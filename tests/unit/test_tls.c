/*
 * test_tls.c - securing a migration connection (userspace/lib/tls.c), over
 * TCP on loopback: mutual authentication, every refusal with the message
 * each side gets, a man in the middle flipping one byte, unix peers.
 * Natively there is no kernel TLS, so the data goes through the userspace
 * record thread; the lab's two-host suite runs the kernel TLS path.
 * Credentials come from tools/tls/mvgpu-certs (certtool).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <criterion/criterion.h>

#include "mvgpu.h"
#include "tls.h"

static char dir[64];

static void make(const char *name, const char *ca, const char *extra)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd),
		 "tools/tls/mvgpu-certs host %s/%s %s/%s %s --ip 127.0.0.1 --dns localhost %s",
		 dir, ca, dir, name, name, extra);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
}

static void setup(void)
{
	char cmd[512];

	snprintf(dir, sizeof(dir), "/tmp/mvgpu-tls-test.%d", (int)getpid());
	snprintf(cmd, sizeof(cmd),
		 "rm -rf %s && tools/tls/mvgpu-certs ca %s/ca && tools/tls/mvgpu-certs ca %s/other-ca 'other CA'",
		 dir, dir, dir);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	make("a", "ca", "");
	make("b", "ca", "");
	make("x", "other-ca", "");
	make("old", "ca", "--expired");
	make("noc", "ca", "--no-client");
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	(void)!system(cmd);
}

TestSuite(tls, .init = setup, .fini = teardown, .timeout = 60);

/* ---- one side of a connection, on a thread of its own ------------------ */

struct side {
	mvgpu_ctx *ctx;
	int sock, fd, ret;
	bool client;
	mvgpu_net_security sec;
	char creds[128], authz[128];
	struct ntls *t;
	char err[512];
	char got[64];		/* what came through */
	int nwarn;		/* warnings, and the last one */
	char warn[512];
	pthread_t th;
};

/*
 * As the protocol goes: the client (source) speaks first and waits for an
 * answer, the server (target) reads and answers.
 */
#define MSG "hello over TLS"
#define ANSWER "ok"

static int recv_str(struct side *s, char *buf, size_t cap)
{
	size_t got = 0;
	ssize_t n = 0;

	while (got < cap && (n = recv(s->fd, buf + got, cap - got, 0)) > 0) {
		got += (size_t)n;
		if (!buf[got - 1])
			return 0;
	}
	buf[0] = 0;
	s->ret = ntls_explain(s->t, n < 0 ? -errno : -ECONNRESET);
	snprintf(s->err, sizeof(s->err), "%s", mvgpu_last_error(s->ctx));
	return s->ret;
}

static int send_str(struct side *s, const char *str)
{
	size_t n = strlen(str) + 1;

	if (send(s->fd, str, n, MSG_NOSIGNAL) == (ssize_t)n)
		return 0;
	s->ret = ntls_explain(s->t, -errno);
	snprintf(s->err, sizeof(s->err), "%s", mvgpu_last_error(s->ctx));
	return s->ret;
}

static void *side_main(void *arg)
{
	struct side *s = arg;

	s->ret = ntls_start(s->ctx, s->sock, &s->sec, s->client, 5000,
			    s->client ? "the target" : "the source", NULL, &s->t, &s->fd);
	if (s->ret) {
		snprintf(s->err, sizeof(s->err), "%s", mvgpu_last_error(s->ctx));
		shutdown(s->sock, SHUT_RDWR);	/* as the CLI's exit does */
		return NULL;
	}
	if (s->client) {
		if (!send_str(s, MSG))
			recv_str(s, s->got, sizeof(s->got));
	} else if (!recv_str(s, s->got, sizeof(s->got))) {
		send_str(s, ANSWER);
	}
	return NULL;
}

static void side_init(struct side *s, bool client, const char *creds)
{
	memset(s, 0, sizeof(*s));
	cr_assert_eq(mvgpu_ctx_create(&s->ctx, NULL), 0);
	s->client = client;
	s->fd = -1;
	if (creds) {
		snprintf(s->creds, sizeof(s->creds), "%s/%s", dir, creds);
		s->sec.creds_dir = s->creds;
	} else {
		s->sec.insecure = 1;
	}
}

static void side_fini(struct side *s)
{
	ntls_end(s->t);
	close(s->sock);
	mvgpu_ctx_free(s->ctx);
}

/* A TCP pair on loopback; @mitm_at >= 0: through a proxy that flips the
 * client->server byte at that offset. */
struct proxy {
	int a, b;		/* to the client, to the server */
	long at;
	long total;		/* client->server bytes carried */
	pthread_t th;
};

static void *proxy_main(void *arg)
{
	struct proxy *p = arg;
	long off = 0;

	for (;;) {
		fd_set r;
		char buf[4096];
		ssize_t n;

		FD_ZERO(&r);
		FD_SET(p->a, &r);
		FD_SET(p->b, &r);
		if (select((p->a > p->b ? p->a : p->b) + 1, &r, NULL, NULL, NULL) < 0)
			break;
		if (FD_ISSET(p->a, &r)) {
			n = recv(p->a, buf, sizeof(buf), 0);
			if (n <= 0)
				break;
			if (p->at >= off && p->at < off + n)
				buf[p->at - off] ^= 0x20;
			off += n;
			p->total = off;
			if (send(p->b, buf, (size_t)n, MSG_NOSIGNAL) != n)
				break;
		}
		if (FD_ISSET(p->b, &r)) {
			n = recv(p->b, buf, sizeof(buf), 0);
			if (n <= 0 || send(p->a, buf, (size_t)n, MSG_NOSIGNAL) != n)
				break;
		}
	}
	shutdown(p->a, SHUT_RDWR);
	shutdown(p->b, SHUT_RDWR);
	return NULL;
}

static void tcp_pair(int fds[2])
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t l = sizeof(sa);
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(lfd, 0);
	cr_assert_eq(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(lfd, 1), 0);
	cr_assert_eq(getsockname(lfd, (struct sockaddr *)&sa, &l), 0);
	fds[0] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_eq(connect(fds[0], (struct sockaddr *)&sa, sizeof(sa)), 0);
	fds[1] = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	cr_assert_geq(fds[1], 0);
	close(lfd);
}

/* Run client @c and server @s to the end; @mitm_at: see struct proxy. */
static long run(struct side *c, struct side *s, long mitm_at)
{
	struct proxy p = { .at = mitm_at };
	int one[2], two[2];

	tcp_pair(one);
	if (mitm_at >= 0) {
		tcp_pair(two);
		c->sock = one[0];
		p.a = one[1];
		p.b = two[0];
		s->sock = two[1];
		cr_assert_eq(pthread_create(&p.th, NULL, proxy_main, &p), 0);
	} else {
		c->sock = one[0];
		s->sock = one[1];
	}
	cr_assert_eq(pthread_create(&c->th, NULL, side_main, c), 0);
	cr_assert_eq(pthread_create(&s->th, NULL, side_main, s), 0);
	pthread_join(c->th, NULL);
	/* a client refused early: the server may still wait for its data */
	if (c->ret)
		shutdown(c->sock, SHUT_RDWR);
	pthread_join(s->th, NULL);
	if (mitm_at >= 0) {
		shutdown(p.a, SHUT_RDWR);
		pthread_join(p.th, NULL);
		close(p.a);
		close(p.b);
	}
	return p.total;
}

Test(tls, mutual_authentication_carries_data)
{
	struct side c, s;

	side_init(&c, true, "a");
	side_init(&s, false, "b");
	run(&c, &s, -1);
	cr_assert_eq(c.ret, 0, "client: %s", c.err);
	cr_assert_eq(s.ret, 0, "server: %s", s.err);
	cr_assert_str_eq(s.got, MSG);
	cr_assert_str_eq(c.got, ANSWER);
	cr_assert_str_eq(ntls_peer_dn(c.t), "CN=b");
	cr_assert_str_eq(ntls_peer_dn(s.t), "CN=a");
	side_fini(&c);
	side_fini(&s);
}

static void count_warning(void *opaque, const char *msg)
{
	struct side *s = opaque;

	s->nwarn++;
	snprintf(s->warn, sizeof(s->warn), "%s", msg);
}

/* Without kernel TLS the data goes through TLS in userspace, and each side
 * says so in one warning, with the reason. */
Test(tls, without_kernel_tls_each_side_says_so_once)
{
	struct side c, s;

	setenv("MVGPU_TLS_NO_KTLS", "1", 1);
	side_init(&c, true, "a");
	side_init(&s, false, "b");
	mvgpu_set_warn_handler(c.ctx, count_warning, &c);
	mvgpu_set_warn_handler(s.ctx, count_warning, &s);
	run(&c, &s, -1);
	unsetenv("MVGPU_TLS_NO_KTLS");
	cr_assert_eq(c.ret, 0, "client: %s", c.err);
	cr_assert_eq(s.ret, 0, "server: %s", s.err);
	cr_assert_str_eq(s.got, MSG);
	cr_assert_str_eq(c.got, ANSWER);
	cr_assert(!ntls_ktls(c.t) && !ntls_ktls(s.t));
	cr_assert_eq(c.nwarn, 1, "%d warnings, the last: %s", c.nwarn, c.warn);
	cr_assert_eq(s.nwarn, 1, "%d warnings, the last: %s", s.nwarn, s.warn);
	cr_assert_str_eq(c.warn,
			 "kernel TLS not available (MVGPU_TLS_NO_KTLS is set): TLS in userspace, slower");
	side_fini(&c);
	side_fini(&s);
}

static void *start_only(void *arg)
{
	struct side *s = arg;

	s->ret = ntls_start(s->ctx, s->sock, &s->sec, s->client, 5000, "the source", NULL,
			    &s->t, &s->fd);
	return NULL;
}

static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* TLS in userspace: the protocol side hangs up while records still wait
 * to go out to a peer that stopped reading.  The pump thread waits for
 * the network (until it drains or TCP gives up), it does not spin. */
Test(tls, userspace_tls_waits_for_a_stalled_peer_without_spinning)
{
	static char chunk[65536];
	struct pollfd p;
	struct side c, s;
	pthread_t th;
	double cpu;
	int fds[2];

	setenv("MVGPU_TLS_NO_KTLS", "1", 1);
	side_init(&c, true, "a");
	side_init(&s, false, "b");
	tcp_pair(fds);
	c.sock = fds[0];
	s.sock = fds[1];
	cr_assert_eq(pthread_create(&th, NULL, start_only, &s), 0);
	c.ret = ntls_start(c.ctx, c.sock, &c.sec, true, 5000, "the target", NULL, &c.t, &c.fd);
	pthread_join(th, NULL);
	unsetenv("MVGPU_TLS_NO_KTLS");
	cr_assert_eq(c.ret, 0, "%s", mvgpu_last_error(c.ctx));
	cr_assert_eq(s.ret, 0, "%s", mvgpu_last_error(s.ctx));
	cr_assert(!ntls_ktls(c.t));
	/* the server reads nothing: fill every buffer on the way until the
	 * client's side stays unwritable */
	p = (struct pollfd){ .fd = c.fd, .events = POLLOUT };
	do {
		while (send(c.fd, chunk, sizeof(chunk), MSG_DONTWAIT | MSG_NOSIGNAL) > 0)
			;
	} while (poll(&p, 1, 300) == 1);
	/* records wait in the pump; the protocol side hangs up */
	cr_assert_eq(shutdown(c.fd, SHUT_RDWR), 0);
	cpu = cpu_s();
	poll(NULL, 0, 500);	/* a window to measure in, not a wait for anything */
	cpu = cpu_s() - cpu;
	cr_assert_lt(cpu, 0.2, "%.0f ms of CPU in 500 ms with nothing to do", cpu * 1e3);
	/* the server goes, its unread data resets the connection: the
	 * client's pump fails its send and ends */
	side_fini(&s);
	side_fini(&c);
}

Test(tls, a_source_from_another_ca_is_refused)
{
	struct side c, s;

	/* its CA is another too: it refuses the target first */
	side_init(&c, true, "x");
	side_init(&s, false, "b");
	run(&c, &s, -1);
	cr_assert_neq(c.ret, 0);
	cr_assert(strstr(c.err, "the target's certificate (CN=b) is not valid here"), "%s", c.err);
	cr_assert_neq(s.ret, 0);
	cr_assert(strstr(s.err, "the source refused us"), "%s", s.err);
	cr_assert_str_empty(s.got);
	side_fini(&c);
	side_fini(&s);
}

Test(tls, a_target_from_another_ca_is_refused)
{
	struct side c, s;

	side_init(&c, true, "a");
	side_init(&s, false, "x");
	run(&c, &s, -1);
	cr_assert_neq(c.ret, 0);
	cr_assert(strstr(c.err, "the target's certificate (CN=x) is not valid here"), "%s", c.err);
	cr_assert_neq(s.ret, 0);
	cr_assert_str_empty(s.got);
	side_fini(&c);
	side_fini(&s);
}

Test(tls, an_expired_certificate_is_refused)
{
	struct side c, s;

	side_init(&c, true, "old");
	side_init(&s, false, "b");
	run(&c, &s, -1);
	cr_assert_neq(s.ret, 0);
	cr_assert(strstr(s.err, "expired"), "%s", s.err);
	cr_assert_neq(c.ret, 0);
	side_fini(&c);
	side_fini(&s);
}

Test(tls, a_source_without_a_client_certificate_is_refused)
{
	struct side c, s;

	side_init(&c, true, "noc");
	side_init(&s, false, "b");
	run(&c, &s, -1);
	cr_assert_neq(s.ret, 0);
	cr_assert(strstr(s.err, "no usable certificate") || strstr(s.err, "no certificate"),
		  "%s", s.err);
	cr_assert_neq(c.ret, 0);
	cr_assert(strstr(c.err, "the target refused us") ||
		  strstr(c.err, "closed the connection"), "%s", c.err);
	side_fini(&c);
	side_fini(&s);
}

Test(tls, the_hostname_must_match)
{
	struct side c, s;

	side_init(&c, true, "a");
	side_init(&s, false, "b");
	c.sec.hostname = "elsewhere.example";
	run(&c, &s, -1);
	cr_assert_neq(c.ret, 0);
	cr_assert(strstr(c.err, "hostname") || strstr(c.err, "does not match"), "%s", c.err);
	side_fini(&c);
	side_fini(&s);
}

static void authz_file(struct side *s, const char *text)
{
	FILE *f;

	snprintf(s->authz, sizeof(s->authz), "%s/authz.%p", dir, (void *)s);
	f = fopen(s->authz, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	s->sec.authz_file = s->authz;
}

Test(tls, the_authz_list_lets_in_who_it_names)
{
	struct side c, s;

	side_init(&c, true, "a");
	side_init(&s, false, "b");
	authz_file(&s, "# the sources\nCN=nobody\n  CN=[ab]  \n");
	run(&c, &s, -1);
	cr_assert_eq(s.ret, 0, "%s", s.err);
	cr_assert_str_eq(s.got, MSG);
	side_fini(&c);
	side_fini(&s);
}

Test(tls, a_dn_not_in_the_authz_list_is_refused)
{
	struct side c, s;

	side_init(&c, true, "a");
	side_init(&s, false, "b");
	authz_file(&s, "CN=b\nCN=host-*\n");
	run(&c, &s, -1);
	cr_assert_neq(s.ret, 0);
	cr_assert(strstr(s.err, "DN 'CN=a' is not in the TLS authz list"), "%s", s.err);
	cr_assert_neq(c.ret, 0);
	cr_assert_str_empty(s.got);
	side_fini(&c);
	side_fini(&s);
}

Test(tls, a_plain_source_is_refused_by_a_tls_target)
{
	struct side c, s;

	side_init(&c, true, NULL);
	side_init(&s, false, "b");
	run(&c, &s, -1);
	cr_assert_neq(s.ret, 0);
	cr_assert(strstr(s.err, "connected without TLS"), "%s", s.err);
	cr_assert_str_empty(s.got);
	side_fini(&c);
	side_fini(&s);
}

Test(tls, a_tls_source_is_refused_by_a_plain_target)
{
	struct side c, s;

	side_init(&c, true, "a");
	side_init(&s, false, NULL);
	run(&c, &s, -1);
	cr_assert_neq(s.ret, 0);
	cr_assert(strstr(s.err, "speaks TLS and we run with --insecure"), "%s", s.err);
	cr_assert_neq(c.ret, 0);
	side_fini(&c);
	side_fini(&s);
}

Test(tls, a_flipped_byte_in_the_handshake_is_refused)
{
	struct side c, s;

	side_init(&c, true, "a");
	side_init(&s, false, "b");
	run(&c, &s, 300);
	cr_assert_neq(s.ret, 0);
	cr_assert_str_empty(s.got);
	side_fini(&c);
	side_fini(&s);
}

Test(tls, a_flipped_byte_in_the_data_is_caught)
{
	struct side c, s;
	long total;

	/* once through the proxy untouched: how many bytes the client sends */
	side_init(&c, true, "a");
	side_init(&s, false, "b");
	total = run(&c, &s, 1 << 20);
	cr_assert_eq(s.ret, 0, "%s", s.err);
	cr_assert_str_eq(s.got, MSG);
	side_fini(&c);
	side_fini(&s);

	/* again, one bit flipped in the last record's tag: the message's */
	side_init(&c, true, "a");
	side_init(&s, false, "b");
	run(&c, &s, total - 5);
	/* both sides say what happened: the target saw it, and told us */
	cr_assert_neq(c.ret, 0);
	cr_assert(strstr(c.err, "Bad record MAC") && strstr(c.err, "man in the middle"),
		  "%s", c.err);
	cr_assert_neq(s.ret, 0, "the server took a flipped record: '%s'", s.got);
	cr_assert(strstr(s.err, "failed its check") && strstr(s.err, "man in the middle"),
		  "%s", s.err);
	cr_assert_str_empty(s.got);
	side_fini(&c);
	side_fini(&s);
}

Test(tls, no_credentials_says_what_to_do)
{
	struct side c;
	int fds[2];

	side_init(&c, true, NULL);
	c.sec.insecure = 0;
	tcp_pair(fds);
	c.sock = fds[0];
	unsetenv("MVGPU_TLS_DIR");
	c.ret = ntls_start(c.ctx, c.sock, &c.sec, true, 1000, "the target", NULL, &c.t, &c.fd);
	if (access("/etc/pki/mvgpu", F_OK) && access("/etc/pki/qemu", F_OK)) {
		cr_assert_eq(c.ret, -ENOENT);
		cr_assert(strstr(mvgpu_last_error(c.ctx), "--tls-creds DIR"), "%s",
			  mvgpu_last_error(c.ctx));
		cr_assert(strstr(mvgpu_last_error(c.ctx), "--insecure"), "%s",
			  mvgpu_last_error(c.ctx));
	}
	close(fds[1]);
	side_fini(&c);
}

Test(tls, a_unix_peer_of_ours_passes)
{
	struct side c;
	int sv[2];

	side_init(&c, true, "a");
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	c.sock = sv[0];
	cr_assert_eq(ntls_start(c.ctx, c.sock, &c.sec, true, 1000, "the target", NULL,
				&c.t, &c.fd), 0, "%s", mvgpu_last_error(c.ctx));
	cr_assert_null(c.t);
	cr_assert_eq(c.fd, sv[0]);
	close(sv[1]);
	side_fini(&c);
}

/* A unix peer of another user (not root, not us): refused before a byte,
 * whichever side it is.  Needs root, to be that other user in a child. */
Test(tls, a_unix_peer_of_another_user_is_refused)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct side s;
	int lfd, fd, go[2];
	pid_t pid;
	char b;

	if (geteuid())
		cr_skip_test("needs root (a child becomes another user)");
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/peer.sock", dir);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(lfd, 0);
	cr_assert_eq(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	cr_assert_eq(chmod(dir, 0755), 0);
	cr_assert_eq(chmod(sun.sun_path, 0777), 0);
	cr_assert_eq(listen(lfd, 1), 0);
	cr_assert_eq(pipe(go), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (!pid) {
		/* nobody connects, then waits for the verdict */
		int c = socket(AF_UNIX, SOCK_STREAM, 0);

		close(go[1]);
		if (setgid(65534) || setuid(65534) ||
		    connect(c, (struct sockaddr *)&sun, sizeof(sun)))
			_exit(1);
		_exit(read(go[0], &b, 1) < 0);
	}
	close(go[0]);
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	cr_assert_geq(fd, 0);
	side_init(&s, false, "b");
	s.sock = fd;
	s.ret = ntls_start(s.ctx, s.sock, &s.sec, false, 1000, "the source", NULL, &s.t,
			   &s.fd);
	cr_assert_eq(s.ret, -EACCES, "%d: %s", s.ret, mvgpu_last_error(s.ctx));
	cr_assert(strstr(mvgpu_last_error(s.ctx), "runs as uid 65534, neither root nor us"),
		  "%s", mvgpu_last_error(s.ctx));
	close(go[1]);
	cr_assert_eq(waitpid(pid, NULL, 0), pid);
	side_fini(&s);
	close(lfd);
}
