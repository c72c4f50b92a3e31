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

#include <criterion/criterion.h>

#include "fake_sysfs.h"
#include "mvgpu.h"
#include "mvgpu_wire.h"
#include "net.h"

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

/* One whole message (header + payload) of @type at @out; its length. */
static size_t msg_of(uint8_t *out, unsigned type, uint64_t seq,
		     const void *payload, uint32_t len)
{
	cr_assert_eq(mvgpu_wire_encode_hdr(out, type, 0, 0, seq, payload, len), 0);
	if (len)
		memcpy(out + MVGPU_WIRE_HDR, payload, len);
	return MVGPU_WIRE_HDR + len;
}

/* A source's HELLO for vGPU @uuid of @type (64 MiB framebuffer). */
static size_t hello_of(uint8_t *out, const char *uuid, const char *type)
{
	struct mvgpu_wire_hello h = { .major = MVGPU_WIRE_MAJOR,
				      .minor = MVGPU_WIRE_MINOR,
				      .fb_size = 64ull << 20 };
	uint8_t p[MVGPU_WIRE_CTRL_MAX];
	int n;

	snprintf(h.source_uuid, sizeof(h.source_uuid), "%s", uuid);
	snprintf(h.type, sizeof(h.type), "%s", type);
	snprintf(h.host, sizeof(h.host), "test-source");
	snprintf(h.version, sizeof(h.version), "mvgpu-migration-version=1 type=%s", type);
	n = mvgpu_wire_encode_hello(&h, p, sizeof(p));
	cr_assert_gt(n, 0);
	return msg_of(out, MVGPU_WIRE_HELLO, 0, p, (uint32_t)n);
}

static void send_bytes(int fd, const void *p, size_t len)
{
	cr_assert_eq(send(fd, p, len, MSG_NOSIGNAL), (ssize_t)len);
}

/* Read one message from @fd within @ms; its type, or -1. */
static int read_msg(int fd, unsigned ms, uint8_t *payload, size_t cap,
		    struct mvgpu_wire_hdr *h)
{
	uint8_t hdr[MVGPU_WIRE_HDR];
	size_t got = 0, want = sizeof(hdr);
	uint8_t *dst = hdr;
	int phase = 0;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (got == want) {
			if (phase)
				return (int)h->type;
			if (mvgpu_wire_decode_hdr(hdr, h, NULL, 0) || h->length > cap)
				return -1;
			phase = 1;
			got = 0;
			want = h->length;
			dst = payload;
			continue;
		}
		if (poll(&p, 1, (int)ms) != 1)
			return -1;
		n = read(fd, dst + got, want - got);
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
}

/* The ERROR text a receiver sent on @fd ("" if it sent none). */
static void read_error(int fd, char *text, size_t len)
{
	uint8_t p[MVGPU_WIRE_CTRL_MAX];
	struct mvgpu_wire_hdr h;
	struct mvgpu_wire_error e;

	text[0] = '\0';
	if (read_msg(fd, 5000, p, sizeof(p), &h) != MVGPU_WIRE_ERROR)
		return;
	cr_assert_eq(mvgpu_wire_decode_error(p, h.length, &e, NULL, 0), 0);
	snprintf(text, len, "%s", e.text);
}

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
	size_t la = hello_of(ha, UA, "mvgpu-64M");
	size_t lb = hello_of(hb, UB, "mvgpu-256M");
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
	send_bytes(sa[0], ha, half);
	wait_drained(sa[0]);		/* A holds half its HELLO */
	cr_assert_eq(pthread_create(&tb, NULL, receive_thread, &b), 0);
	send_bytes(sb[0], hb, lb);
	cr_assert_eq(pthread_join(tb, NULL), 0);
	send_bytes(sa[0], ha + half, la - half);
	cr_assert_eq(pthread_join(ta, NULL), 0);

	cr_assert_eq(b.ret, -ENOENT, "B: %d %s", b.ret, b.err);
	cr_assert(strstr(b.err, "has no vGPU " UB), "B: %s", b.err);
	cr_assert_eq(a.ret, -ENOENT, "A: %d %s", a.ret, a.err);
	cr_assert(strstr(a.err, "has no vGPU " UA), "A: %s", a.err);
	cr_assert(strstr(a.err, "mvgpu-64M"), "A: %s", a.err);
	read_error(sa[0], text, sizeof(text));
	cr_assert(strstr(text, UA), "A's source was told: '%s'", text);
	read_error(sb[0], text, sizeof(text));
	cr_assert(strstr(text, UB), "B's source was told: '%s'", text);
	close(sa[0]);
	close(sa[1]);
	close(sb[0]);
	close(sb[1]);
}
