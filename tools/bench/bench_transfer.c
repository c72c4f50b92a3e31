// SPDX-License-Identifier: MIT
/*
 * bench_transfer.c - `make bench-transfer`: how fast live migration moves
 * a vGPU's data (the data path of `mvgpu migrate` / `mvgpu receive`),
 * natively, without a kernel module.
 *
 * A synthetic vGPU migration stream (proto's encoder over a framebuffer
 * that is mostly zero pages, some console-text pages and some noise, as in
 * bench_image: --zero / --text percent of 2 MiB bands, the rest noise; the
 * framebuffer is as large as it takes for --size MiB of stream, default
 * 512) sits in a memfd, which plays the vGPU's migration data fd: each
 * read copies out of kernel memory, as the VFIO data fd does.  The same
 * bytes then go, side by side in one run:
 *
 *   memcpy                  the bytes copied once in memory
 *   lz4 -1 in memory        LZ4F, one thread, no I/O: 1 MiB frames with the
 *                           helper's preferences (compress, then decompress)
 *   plain pipeline          `lz4 -1 -c < data | TCP | lz4 -d -c > /dev/null`:
 *                           two lz4 processes (posix_spawn), the compressor
 *                           reading the memfd as its stdin, writing into a
 *                           TCP loopback socket the decompressor reads
 *   mvgpu                   xf_stream_send() -> TCP -> xf_stream_recv(): the
 *                           helper's pipeline (io_uring reads, an lz4 thread,
 *                           framed XXH64-checked DATA messages, io_uring
 *                           sends; reassembly, checks, lz4 thread, write),
 *                           as `mvgpu migrate` runs it: to a loopback peer
 *                           with copying sends (zero-copy is for NICs)
 *   mvgpu, zero-copy sends  the same with MVGPU_ZEROCOPY_LOOPBACK set:
 *                           over loopback the kernel copies zero-copy pages
 *                           at delivery anyway, plus notifications
 *   send side only          the two senders again, with the receiving end a
 *                           thread that recv()s and discards: what a target
 *                           on another host would leave this host to do
 *
 * Sender and receiver share this machine's cores (the real ones are on two
 * hosts).  The receivers write to /dev/null; one extra run first sends a
 * prefix of the stream (--verify MiB) through both pipelines into a memfd
 * and compares it with the input byte for byte.  Sockets: 127.0.0.1, an
 * ephemeral port, opened by mvgpu_net_listen/connect/accept() for the
 * helper (as `mvgpu migrate`/`receive` open them), plain ones otherwise.
 *
 * Each figure is the best of --runs (default 3).  Stream MB/s: stream
 * bytes over wall time; cores: CPU time (user + system, every thread or
 * child process) over wall time; MB/CPU-s: stream bytes over CPU time,
 * the cost, which other load on the machine disturbs less than it does
 * the wall-clock figures.
 *
 * usage: bench_transfer [--size MiB] [--runs N] [--zero PCT] [--text PCT]
 *                       [--verify MiB] [--no-drain] [--only mvgpu|plain]
 * (--only: that pipeline alone, e.g. under perf)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <lz4frame.h>

#include "mvgpu.h"
#include "mvgpu_stream.h"
#include "mvgpu_wire.h"
#include "tls.h"
#include "transfer.h"

#define PG	MVGPU_STREAM_PAGE_SIZE
#define CHUNK	MVGPU_WIRE_DATA_RAW_MAX		/* the helper's DATA size */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds so far: this process (every thread) or its reaped children */
static double cpu(int who)
{
	struct rusage ru;

	getrusage(who, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/* the synthetic framebuffer: bench_image's */
#include "fbgen.h"

struct stream {
	int fd;			/* the memfd: the "data fd" */
	uint8_t *buf;		/* its bytes, mapped */
	size_t len;
	uint64_t pages, zero, text, noise;
};

/* regions, as screens have them: a band of text, blank space, a picture
 * (noise) now and then; 0 zero, 1 text, 2 noise */
static int page_kind(uint64_t i, unsigned zero_pct, unsigned text_pct)
{
	uint64_t band = i / 512, r = (band * 2654435761u) % 100;

	return r < zero_pct ? 0 : r < zero_pct + text_pct ? 1 : 2;
}

static void put(struct stream *s, size_t cap, ssize_t n)
{
	if (n < 0 || s->len + (size_t)n > cap) {
		fprintf(stderr, "encoder: %zd\n", n);
		exit(1);
	}
	s->len += (size_t)n;
}

/* A stream of about @want bytes: the framebuffer is as large as it takes. */
static void build(struct stream *s, uint64_t want, unsigned zero_pct,
		  unsigned text_pct)
{
	struct mvgpu_compat_info in;
	struct mvgpu_state st;
	struct mvgpu_enc e;
	uint8_t p[PG];
	uint64_t pages, nonzero = 0, i;
	size_t cap;

	font_init();
	/* how many pages make @want bytes of PAGE records (a text page of a
	 * blank row on a black background is a zero page too) */
	for (pages = 0; nonzero * MVGPU_ENC_PAGE_BYTES < want; pages++) {
		int k = page_kind(pages, zero_pct, text_pct);

		if (k == 1) {
			text_page(p, pages);
			k = !mvgpu_is_zero(p, PG);
		}
		if (k)
			nonzero++;
	}
	s->pages = pages;
	/* the largest type's info, with this framebuffer size */
	if (mvgpu_compat_local(&in, MVGPU_NUM_TYPES - 1, "0.1.0"))
		exit(2);
	in.fb_size = pages * PG;
	cap = (size_t)(nonzero * MVGPU_ENC_PAGE_BYTES +
		       (pages - nonzero + 1) * MVGPU_ENC_ZERO_BYTES) + (1 << 20);
	s->fd = memfd_create("stream", MFD_CLOEXEC);
	if (s->fd < 0 || ftruncate(s->fd, (off_t)cap))
		die("memfd");
	s->buf = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd, 0);
	if (s->buf == MAP_FAILED)
		die("mmap");
	if (mvgpu_enc_init(&e, &in))
		exit(2);
	put(s, cap, mvgpu_enc_desc(&e, s->buf + s->len, cap - s->len));
	for (i = 0; i < pages; i++) {
		switch (page_kind(i, zero_pct, text_pct)) {
		case 0:
			memset(p, 0, PG);
			s->zero++;
			break;
		case 1:
			text_page(p, i);
			if (mvgpu_is_zero(p, PG))
				s->zero++;	/* a blank row on black */
			else
				s->text++;
			break;
		default:
			noise_page(p);
			s->noise++;
		}
		put(s, cap, mvgpu_enc_page(&e, s->buf + s->len, cap - s->len, i, p));
	}
	memset(&st, 0, sizeof(st));
	mvgpu_put_le16(st.cfg + 0x00, MVGPU_PCI_VENDOR_ID);
	mvgpu_put_le16(st.cfg + 0x02, MVGPU_PCI_DEVICE_ID);
	mvgpu_put_le16(st.cfg + 0x2c, MVGPU_PCI_SUBVENDOR_ID);
	mvgpu_put_le16(st.cfg + 0x2e, MVGPU_PCI_SUBDEV_BASE + MVGPU_NUM_TYPES - 1);
	st.disp = (struct mvgpu_state_display){ 1024, 768, 7680,
		MVGPU_FMT_XRGB8888, 0, 1 };
	put(s, cap, mvgpu_enc_state(&e, s->buf + s->len, cap - s->len, &st));
	put(s, cap, mvgpu_enc_end(&e, s->buf + s->len, cap - s->len));
	munmap(s->buf, cap);
	if (ftruncate(s->fd, (off_t)s->len))
		die("ftruncate");
	s->buf = mmap(NULL, s->len, PROT_READ, MAP_SHARED | MAP_POPULATE,
		      s->fd, 0);
	if (s->buf == MAP_FAILED)
		die("mmap");
}

/* A memfd holding @len bytes from @src (or empty). */
static int memfd_with(const char *name, const uint8_t *src, size_t len)
{
	int fd = memfd_create(name, MFD_CLOEXEC);
	size_t off = 0;

	if (fd < 0)
		die("memfd");
	while (off < len) {
		ssize_t n = write(fd, src + off, len - off);

		if (n <= 0)
			die("memfd write");
		off += (size_t)n;
	}
	lseek(fd, 0, SEEK_SET);
	return fd;
}

/* ---- sockets --------------------------------------------------------------- */

/* A connected TCP loopback pair: [0] the sender's end, [1] the receiver's.
 * @helper: through libmvgpu, as `mvgpu migrate` / `mvgpu receive` do. */
static void tcp_pair(mvgpu_ctx *ctx, bool helper, int fds[2])
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	char addr[64], peer[64];
	int lfd;

	if (helper) {
		/* a port is 1..65535 for the helper: a free one, found first */
		for (int i = 0; i < 20; i++) {
			lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
			if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) ||
			    getsockname(lfd, (struct sockaddr *)&sa, &sl))
				die("a free port");
			close(lfd);
			snprintf(addr, sizeof(addr), "127.0.0.1:%u", ntohs(sa.sin_port));
			sa.sin_port = 0;
			lfd = mvgpu_net_listen(ctx, addr);
			if (lfd != -EADDRINUSE)
				break;
		}
		if (lfd < 0)
			goto fail;
		fds[0] = mvgpu_net_connect(ctx, addr, 5000);
		if (fds[0] < 0)
			goto fail;
		fds[1] = mvgpu_net_accept(ctx, lfd, 5000, peer, sizeof(peer));
		if (fds[1] < 0)
			goto fail;
		close(lfd);
		return;
	}
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(lfd, 1) || getsockname(lfd, (struct sockaddr *)&sa, &sl))
		die("listen");
	fds[0] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fds[0] < 0 || connect(fds[0], (struct sockaddr *)&sa, sizeof(sa)))
		die("connect");
	fds[1] = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fds[1] < 0)
		die("accept");
	close(lfd);
	return;
fail:
	fprintf(stderr, "loopback: %s\n", mvgpu_last_error(ctx));
	exit(1);
}

/* What arrived on a TCP socket. */
static uint64_t tcp_received(int fd)
{
	struct tcp_info ti;
	socklen_t l = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &l))
		return 0;
	return ti.tcpi_bytes_received;
}

/* A receiver that only takes the bytes off the socket. */
struct drain {
	int fd;
	uint64_t bytes;
};

static void *drain_main(void *arg)
{
	static uint8_t buf[1 << 20];
	struct drain *d = arg;
	ssize_t n;

	while ((n = recv(d->fd, buf, sizeof(buf), 0)) > 0 || (n < 0 && errno == EINTR))
		if (n > 0)
			d->bytes += (uint64_t)n;
	return NULL;
}

/* ---- the contenders -------------------------------------------------------- */

struct result {
	const char *name;
	double best;		/* seconds */
	double cores;		/* CPU time / wall time of the best run */
	uint64_t out;		/* compressed bytes, 0: none */
};

static void keep_best(struct result *r, double t, double c)
{
	if (t < r->best) {
		r->best = t;
		r->cores = c > 0 ? c / t : 0;
	}
}

static double run_memcpy(const struct stream *s, uint8_t *dst)
{
	double t = now();

	memcpy(dst, s->buf, s->len);
	__asm__ volatile("" : : "r"(dst) : "memory");
	return now() - t;
}

static void helper_prefs(LZ4F_preferences_t *p)
{
	/* transfer.c's xf_lz4_init() */
	memset(p, 0, sizeof(*p));
	p->frameInfo.blockSizeID = LZ4F_max1MB;
	p->frameInfo.blockMode = LZ4F_blockIndependent;
	p->compressionLevel = 1;
}

/* The helper's work alone: one lz4 frame per 1 MiB DATA message. */
static double run_lz4_mem(const struct stream *s, uint8_t *dst, size_t room,
			  uint64_t *out)
{
	LZ4F_preferences_t p;
	size_t off = 0, o = 0;
	double t;

	helper_prefs(&p);
	t = now();
	while (off < s->len) {
		size_t n = s->len - off < CHUNK ? s->len - off : CHUNK;
		size_t z = LZ4F_compressFrame(dst + o, room - o, s->buf + off, n, &p);

		if (LZ4F_isError(z)) {
			fprintf(stderr, "lz4: %s\n", LZ4F_getErrorName(z));
			exit(1);
		}
		off += n;
		o += z;
	}
	t = now() - t;
	*out = o;
	return t;
}

/* ... and back: the frames at @src (@zlen bytes) into @dst. */
static double run_unlz4_mem(const struct stream *s, const uint8_t *src,
			    size_t zlen, uint8_t *dst)
{
	LZ4F_dctx *d;
	size_t in = 0, out = 0;
	double t;

	if (LZ4F_isError(LZ4F_createDecompressionContext(&d, LZ4F_VERSION)))
		exit(1);
	t = now();
	while (in < zlen) {
		size_t dsz = s->len - out, ssz = zlen - in;
		size_t r = LZ4F_decompress(d, dst + out, &dsz, src + in, &ssz, NULL);

		if (LZ4F_isError(r) || (!dsz && !ssz)) {
			fprintf(stderr, "lz4 -d: %s\n",
				LZ4F_isError(r) ? LZ4F_getErrorName(r) : "stuck");
			exit(1);
		}
		in += ssz;
		out += dsz;
	}
	t = now() - t;
	LZ4F_freeDecompressionContext(d);
	if (out != s->len || memcmp(dst, s->buf, s->len)) {
		fprintf(stderr, "lz4 in memory: the round trip differs\n");
		exit(1);
	}
	return t;
}

static pid_t spawn(const char *const argv[], int in, int out)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int ret;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in, 0);
	posix_spawn_file_actions_adddup2(&fa, out, 1);
	ret = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (ret) {
		fprintf(stderr, "%s: %s (is the lz4 package installed?)\n", argv[0],
			strerror(ret));
		exit(1);
	}
	return pid;
}

static void reap(pid_t pid, const char *what)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			die("waitpid");
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		fprintf(stderr, "%s failed (status %#x)\n", what, st);
		exit(1);
	}
}

/*
 * `lz4 -1 -c < data | TCP | lz4 -d -c > sink`, or `| recv()` when @drain.
 * The compressor gets its own open file description of @data (offset 0).
 */
static double run_plain(int data, int sink, bool drain, uint64_t *wire,
			double *cores)
{
	static const char *const comp[] = { "lz4", "-1", "-q", "-c", NULL };
	static const char *const dec[] = { "lz4", "-d", "-q", "-c", NULL };
	struct drain d = { 0 };
	char path[64];
	pthread_t th;
	double t, c0 = cpu(RUSAGE_CHILDREN), s0 = cpu(RUSAGE_SELF);
	pid_t pc, pd = -1;
	int fds[2], in;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", data);
	in = open(path, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		die(path);
	tcp_pair(NULL, false, fds);
	t = now();
	pc = spawn(comp, in, fds[0]);
	if (drain) {
		d.fd = fds[1];
		pthread_create(&th, NULL, drain_main, &d);
	} else {
		pd = spawn(dec, fds[1], sink);
	}
	close(in);
	close(fds[0]);		/* the compressor's now: its exit is the EOF */
	reap(pc, "lz4 -1 -c");
	if (drain)
		pthread_join(th, NULL);
	else
		reap(pd, "lz4 -d -c");
	t = now() - t;
	*cores = cpu(RUSAGE_CHILDREN) - c0 + (drain ? cpu(RUSAGE_SELF) - s0 : 0);
	*wire = drain ? d.bytes : tcp_received(fds[1]);
	close(fds[1]);
	return t;
}

struct rside {
	mvgpu_ctx *ctx;
	int sock, out;
	uint64_t stream, wire;
	int ret;
};

static void *recv_main(void *arg)
{
	struct rside *r = arg;

	r->ret = xf_stream_recv(r->ctx, r->sock, r->out, &r->stream, &r->wire);
	if (r->ret)
		shutdown(r->sock, SHUT_RDWR);	/* the sender stops too */
	return NULL;
}

/*
 * TLS rows: the same pipeline over a connection secured as `mvgpu migrate`
 * secures it (tls.c), with credentials tools/tls/mvgpu-certs made for
 * this run; tls_mode 1: kernel TLS where the kernel has it, 2: userspace
 * TLS (MVGPU_TLS_NO_KTLS).
 */
static int tls_mode;
static char tls_dir[64];
static bool tls_was_ktls;

struct tside {
	mvgpu_ctx *ctx;
	int sock, fd, ret;
	struct ntls *t;
};

static void *tls_server_main(void *arg)
{
	struct tside *ts = arg;
	mvgpu_net_security sec = { .creds_dir = tls_dir };

	ts->ret = ntls_start(ts->ctx, ts->sock, &sec, false, 10000, "the source", NULL,
			     &ts->t, &ts->fd);
	return NULL;
}

/* Secure the pair @fds (client, server) in place: the fds to use after. */
static void tls_secure(mvgpu_ctx *sctx, mvgpu_ctx *rctx, const int fds[2], int use[2],
		       struct ntls *t[2])
{
	mvgpu_net_security sec = { .creds_dir = tls_dir };
	struct tside srv = { .ctx = rctx, .sock = fds[1] };
	pthread_t th;
	int ret;

	if (tls_mode == 2)
		setenv("MVGPU_TLS_NO_KTLS", "1", 1);
	else
		unsetenv("MVGPU_TLS_NO_KTLS");
	pthread_create(&th, NULL, tls_server_main, &srv);
	ret = ntls_start(sctx, fds[0], &sec, true, 10000, "the target", NULL, &t[0], &use[0]);
	pthread_join(th, NULL);
	if (ret || srv.ret) {
		fprintf(stderr, "TLS: %s / %s\n", mvgpu_last_error(sctx), mvgpu_last_error(rctx));
		exit(1);
	}
	t[1] = srv.t;
	use[1] = srv.fd;
	tls_was_ktls = ntls_ktls(t[0]);
}

/*
 * xf_stream_send() -> TCP -> xf_stream_recv() into @sink, or -> recv() when
 * @drain; @zc: force zero-copy sends (MVGPU_ZEROCOPY_LOOPBACK), else what
 * `mvgpu migrate` does (to a loopback peer: copying sends).  @data
 * is read from its start to its end.  *@zc_sends: the zero-copy sends made.
 */
static double run_helper(mvgpu_ctx *sctx, mvgpu_ctx *rctx, int data,
			 size_t len, int sink, bool drain, bool zc,
			 uint64_t *wire, double *cores, uint64_t *zc_sends)
{
	struct rside r = { .ctx = rctx, .out = sink };
	struct drain d = { 0 };
	uint64_t sent = 0, swire = 0;
	pthread_t th;
	double t, c0 = cpu(RUSAGE_SELF);
	struct ntls *tl[2] = { NULL, NULL };
	int fds[2], use[2], ret;

	tcp_pair(sctx, true, fds);
	use[0] = fds[0];
	use[1] = fds[1];
	if (tls_mode)
		tls_secure(sctx, rctx, fds, use, tl);
	lseek(data, 0, SEEK_SET);
	unsetenv("MVGPU_NO_ZEROCOPY");
	if (zc)
		setenv("MVGPU_ZEROCOPY_LOOPBACK", "1", 1);
	else
		unsetenv("MVGPU_ZEROCOPY_LOOPBACK");
	t = now();
	if (drain) {
		d.fd = use[1];
		pthread_create(&th, NULL, drain_main, &d);
	} else {
		r.sock = use[1];
		pthread_create(&th, NULL, recv_main, &r);
	}
	ret = xf_stream_send(sctx, data, use[0], &sent, &swire);
	if (ret)
		shutdown(use[0], SHUT_RDWR);
	else if (drain)
		shutdown(use[0], SHUT_WR);	/* END went out: EOF */
	pthread_join(th, NULL);
	ntls_end(tl[0]);
	ntls_end(tl[1]);
	t = now() - t;
	*cores = cpu(RUSAGE_SELF) - c0;
	if (ret) {
		fprintf(stderr, "xf_stream_send: %s\n", mvgpu_last_error(sctx));
		exit(1);
	}
	if (!drain && r.ret) {
		fprintf(stderr, "xf_stream_recv: %s\n", mvgpu_last_error(rctx));
		exit(1);
	}
	if (sent != len || (!drain && (r.stream != len || r.wire != swire))) {
		fprintf(stderr, "helper: %llu bytes in, %llu sent, %llu out\n",
			(unsigned long long)len, (unsigned long long)sent,
			(unsigned long long)r.stream);
		exit(1);
	}
	*wire = swire;
	if (zc_sends)
		*zc_sends = xf_last_zc_sends();
	close(fds[0]);
	close(fds[1]);
	return t;
}

/* Both pipelines once, on a prefix of the stream, into a memfd: equal? */
static void verify(mvgpu_ctx *sctx, mvgpu_ctx *rctx, const struct stream *s,
		   size_t len)
{
	int in = memfd_with("verify-in", s->buf, len);

	for (int plain = 0; plain < 2; plain++) {
		int out = memfd_with("verify-out", NULL, 0);
		uint64_t wire;
		double cores;
		uint8_t *p;
		struct stat sb;

		if (plain)
			run_plain(in, out, false, &wire, &cores);
		else
			run_helper(sctx, rctx, in, len, out, false, false,
				   &wire, &cores, NULL);
		if (fstat(out, &sb) || (size_t)sb.st_size != len) {
			fprintf(stderr, "verify (%s): %lld bytes out of %zu\n",
				plain ? "plain" : "mvgpu", (long long)sb.st_size, len);
			exit(1);
		}
		p = mmap(NULL, len, PROT_READ, MAP_SHARED, out, 0);
		if (p == MAP_FAILED)
			die("mmap");
		if (memcmp(p, s->buf, len)) {
			fprintf(stderr, "verify (%s): the output differs from the input\n",
				plain ? "plain" : "mvgpu");
			exit(1);
		}
		munmap(p, len);
		close(out);
	}
	close(in);
}

/* The library's warnings (one: no kernel TLS), once each kind. */
static void bench_warn(void *opaque, const char *msg)
{
	static char last[256];

	(void)opaque;
	if (strncmp(last, msg, sizeof(last) - 1)) {
		snprintf(last, sizeof(last), "%s", msg);
		fprintf(stderr, "bench: %s\n", msg);
	}
}

static double mbps(const struct stream *s, double secs)
{
	return secs > 0 ? (double)s->len / secs / 1e6 : 0;
}

int main(int argc, char **argv)
{
	unsigned runs = 3, zero = 60, text = 30, size_mib = 512, verify_mib = 64;
	const char *only = NULL;
	bool drain = true;
	enum { MEMCPY, LZ4C, LZ4D, PLAIN, HELPER, HELPER_COPY, HELPER_KTLS,
	       HELPER_UTLS, PLAIN_SEND, HELPER_SEND, HELPER_SEND_COPY, N };
	bool tls = false;
	char cmd[512];
	struct result r[N] = {
		{ "memcpy", 1e9, 0, 0 },
		{ "lz4 -1 in memory, 1 core", 1e9, 0, 0 },
		{ "lz4 -d in memory, 1 core", 1e9, 0, 0 },
		{ "plain: lz4 -1 | TCP | lz4 -d", 1e9, 0, 0 },
		{ "mvgpu: send | TCP | recv", 1e9, 0, 0 },
		{ "  the same, zero-copy sends", 1e9, 0, 0 },
		{ "  the same, TLS (kernel TLS)", 1e9, 0, 0 },
		{ "  the same, TLS (userspace)", 1e9, 0, 0 },
		{ "plain: lz4 -1 | TCP | drain", 1e9, 0, 0 },
		{ "mvgpu: send | TCP | drain", 1e9, 0, 0 },
		{ "  the same, zero-copy sends", 1e9, 0, 0 },
	};
	struct stream s = { 0 };
	LZ4F_preferences_t prefs;
	mvgpu_ctx *sctx, *rctx;
	char load[64] = "?";
	uint64_t zc_sends = 0, ktls_zc = UINT64_MAX;
	uint8_t *dst, *z;
	size_t room, vlen;
	double t0;
	FILE *f;
	int null;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--size") && i + 1 < argc)
			size_mib = (unsigned)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
			runs = (unsigned)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--zero") && i + 1 < argc)
			zero = (unsigned)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--text") && i + 1 < argc)
			text = (unsigned)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--verify") && i + 1 < argc)
			verify_mib = (unsigned)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--no-drain"))
			drain = false;
		else if (!strcmp(argv[i], "--only") && i + 1 < argc)
			only = argv[++i];
		else {
			fprintf(stderr, "usage: %s [--size MiB] [--runs N] [--zero PCT] [--text PCT] [--verify MiB] [--no-drain] [--only mvgpu|plain]\n",
				argv[0]);
			return 2;
		}
	}
	if (zero + text > 100 || zero >= 100 || !runs || !size_mib ||
	    (only && strcmp(only, "mvgpu") && strcmp(only, "plain")))
		return 2;
	signal(SIGPIPE, SIG_IGN);
	f = fopen("/proc/loadavg", "r");
	if (f) {
		if (fgets(load, sizeof(load), f))
			load[strcspn(load, " ")] = '\0';
		fclose(f);
	}
	t0 = now();
	build(&s, (uint64_t)size_mib << 20, zero, text);
	helper_prefs(&prefs);
	room = LZ4F_compressFrameBound(CHUNK, &prefs) * (s.len / CHUNK + 1);
	dst = malloc(s.len);
	z = malloc(room);
	if (!dst || !z)
		die("malloc");
	memset(dst, 1, s.len);	/* faulted in: not part of the figures */
	memset(z, 1, room);
	null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (null < 0)
		die("/dev/null");
	if (mvgpu_ctx_create(&sctx, "/nonexistent") ||
	    mvgpu_ctx_create(&rctx, "/nonexistent"))
		return 1;
	mvgpu_set_warn_handler(sctx, bench_warn, NULL);

	/* credentials for the TLS rows, as an admin would make them */
	snprintf(tls_dir, sizeof(tls_dir), "/tmp/mvgpu-bench-tls.%d", (int)getpid());
	snprintf(cmd, sizeof(cmd),
		 "tools/tls/mvgpu-certs ca %s/ca && tools/tls/mvgpu-certs host %s/ca %s bench --ip 127.0.0.1",
		 tls_dir, tls_dir, tls_dir);
	tls = !system(cmd);
	if (!tls)
		fprintf(stderr, "bench: no TLS rows (tools/tls/mvgpu-certs failed: is gnutls-bin installed?)\n");

	vlen = (size_t)verify_mib << 20;
	if (vlen > s.len)
		vlen = s.len;
	if (vlen)
		verify(sctx, rctx, &s, vlen);

	for (unsigned k = 0; k < runs; k++) {
		bool plain = !only || !strcmp(only, "plain");
		bool mvgpu = !only || !strcmp(only, "mvgpu");
		uint64_t zlen;
		double t, c;

		if (!only) {
			keep_best(&r[MEMCPY], run_memcpy(&s, dst), 0);
			t = run_lz4_mem(&s, z, room, &zlen);
			keep_best(&r[LZ4C], t, 0);
			r[LZ4C].out = r[LZ4D].out = zlen;
			keep_best(&r[LZ4D], run_unlz4_mem(&s, z, zlen, dst), 0);
		}
		if (plain) {
			t = run_plain(s.fd, null, false, &r[PLAIN].out, &c);
			keep_best(&r[PLAIN], t, c);
		}
		if (mvgpu) {
			t = run_helper(sctx, rctx, s.fd, s.len, null, false,
				       false, &r[HELPER].out, &c, NULL);
			keep_best(&r[HELPER], t, c);
			t = run_helper(sctx, rctx, s.fd, s.len, null, false,
				       true, &r[HELPER_COPY].out, &c, &zc_sends);
			keep_best(&r[HELPER_COPY], t, c);
			for (tls_mode = 1; tls && tls_mode <= 2; tls_mode++) {
				int row = tls_mode == 1 ? HELPER_KTLS : HELPER_UTLS;

				t = run_helper(sctx, rctx, s.fd, s.len, null, false,
					       false, &r[row].out, &c, NULL);
				/* no kernel TLS here: that row is userspace too */
				if (tls_mode == 1 && !tls_was_ktls)
					continue;
				keep_best(&r[row], t, c);
				/* once: do zero-copy sends survive kernel TLS? */
				if (tls_mode == 1 && ktls_zc == UINT64_MAX) {
					uint64_t w;

					run_helper(sctx, rctx, s.fd, s.len, null, false, true,
						   &w, &c, &ktls_zc);
				}
			}
			tls_mode = 0;
		}
		if (!drain)
			continue;
		if (plain) {
			t = run_plain(s.fd, -1, true, &r[PLAIN_SEND].out, &c);
			keep_best(&r[PLAIN_SEND], t, c);
		}
		if (mvgpu) {
			t = run_helper(sctx, rctx, s.fd, s.len, -1, true, false,
				       &r[HELPER_SEND].out, &c, NULL);
			keep_best(&r[HELPER_SEND], t, c);
			t = run_helper(sctx, rctx, s.fd, s.len, -1, true, true,
				       &r[HELPER_SEND_COPY].out, &c, NULL);
			keep_best(&r[HELPER_SEND_COPY], t, c);
		}
	}

	printf("stream: %.1f MB in %llu DATA messages (a %.2f GB framebuffer: %llu zero pages, %llu text, %llu noise)\n",
	       (double)s.len / 1e6,
	       (unsigned long long)((s.len + CHUNK - 1) / CHUNK),
	       (double)(s.pages * PG) / 1e9, (unsigned long long)s.zero,
	       (unsigned long long)s.text, (unsigned long long)s.noise);
	printf("TCP loopback, receivers write to /dev/null; best of %u; %ld CPUs, load average %s at the start\n",
	       runs, sysconf(_SC_NPROCESSORS_ONLN), load);
	if (vlen)
		printf("verified: %.1f MB through both pipelines into a memfd, byte for byte equal\n",
		       (double)vlen / 1e6);
	printf("%-32s %11s %6s %11s %7s %9s\n", "", "stream MB/s", "cores",
	       "MB/CPU-s", "ratio", "vs plain");
	for (int i = 0; i < N; i++) {
		if (i >= PLAIN_SEND && !drain)
			break;
		if (i == PLAIN_SEND)
			printf("send side only (the receiver recv()s and discards):\n");
		if (r[i].best >= 1e9)
			continue;	/* --only */
		printf("%-32s %11.0f", r[i].name, mbps(&s, r[i].best));
		if (r[i].cores > 0)
			printf(" %6.2f %11.0f", r[i].cores,
			       mbps(&s, r[i].best * r[i].cores));
		else
			printf(" %6s %11s", "", "");
		if (r[i].out)
			printf(" %6.2fx", (double)s.len / (double)r[i].out);
		else
			printf(" %7s", "");
		if (i >= PLAIN && i < PLAIN_SEND && r[PLAIN].best < 1e9)
			printf(" %8.2fx", r[PLAIN].best / r[i].best);
		if (i >= PLAIN_SEND && r[PLAIN_SEND].best < 1e9)
			printf(" %8.2fx", r[PLAIN_SEND].best / r[i].best);
		printf("\n");
	}
	if (!only)
		printf("mvgpu: %.2fx the plain pipeline (goal >= 2), %.2f of 1-core lz4 -1 (goal >= 0.5); wire %.1f MB (%.2fx), plain %.1f MB (%.2fx)\n",
		       r[PLAIN].best / r[HELPER].best,
		       r[LZ4C].best / r[HELPER].best,
		       (double)r[HELPER].out / 1e6,
		       (double)s.len / (double)r[HELPER].out,
		       (double)r[PLAIN].out / 1e6,
		       (double)s.len / (double)r[PLAIN].out);
	if (tls && (!only || !strcmp(only, "mvgpu"))) {
		if (r[HELPER_KTLS].best < 1e9)
			printf("mvgpu over TLS: kernel TLS %.2f of no TLS (goal >= 0.8), ",
			       r[HELPER].best / r[HELPER_KTLS].best);
		else
			printf("mvgpu over TLS: no kernel TLS on this kernel (no tls module), ");
		printf("userspace TLS %.2f of no TLS\n", r[HELPER].best / r[HELPER_UTLS].best);
		if (ktls_zc != UINT64_MAX)
			printf("mvgpu over kernel TLS, zero-copy sends forced: %llu zero-copy sends (0: the kernel's TLS socket takes copies only)\n",
			       (unsigned long long)ktls_zc);
	}
	if (!only || !strcmp(only, "mvgpu"))
		printf("mvgpu zero-copy sends (forced row): %llu per run; to a loopback peer migrate copies; ",
		       (unsigned long long)zc_sends);
	printf("%.1f s in all\n", now() - t0);
	mvgpu_ctx_free(sctx);
	mvgpu_ctx_free(rctx);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tls_dir);
	(void)!system(cmd);
	free(dst);
	free(z);
	munmap(s.buf, s.len);
	close(s.fd);
	close(null);
	return 0;
}
