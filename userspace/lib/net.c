// SPDX-License-Identifier: MIT
/*
 * net.c - connections that carry the wire protocol: addresses, connect,
 * listen, and whole checked messages (net.h).
 *
 * Control messages are small and go through plain blocking calls bounded
 * by poll(); the bulk DATA of a migration goes through io_uring
 * (transfer.c) on the same socket.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "net.h"

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void wconn_init(struct wconn *c, mvgpu_ctx *ctx, int fd, unsigned timeout_ms,
		const char *peer)
{
	memset(c, 0, sizeof(*c));
	c->ctx = ctx;
	c->fd = fd;
	c->timeout_ms = timeout_ms ? timeout_ms : 30000;
	c->peer = peer;
	c->passed_fd = -1;
	c->cancel = ctx ? ctx->cancel : NULL;
}

#define NET_SLICE_MS	200	/* a wait looks at its cancel flag this often */

/* The caller's flag has been raised (^C, SIGTERM: progress_cancel). */
static bool cancelled(const volatile sig_atomic_t *cancel)
{
	return cancel && *cancel;
}

/*
 * Wait until @fd is ready for @events, @deadline (ms, monotonic; < 0:
 * none) or *@cancel.  A signal ends poll() at once (EINTR) and the flag
 * is looked at then; a flag raised otherwise is seen within a slice.
 * Return: 0, -ETIMEDOUT, -ECANCELED or -errno.
 */
static int wait_fd(int fd, short events, int64_t deadline,
		   const volatile sig_atomic_t *cancel)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = events };
		int64_t left = deadline < 0 ? NET_SLICE_MS : deadline - now_ms();
		int r;

		if (cancelled(cancel))
			return -ECANCELED;
		if (left <= 0)
			return -ETIMEDOUT;
		r = poll(&p, 1, left > NET_SLICE_MS ? NET_SLICE_MS : (int)left);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

static int send_all(struct wconn *c, const struct iovec *iov_in, int n,
		    int pass_fd, int64_t deadline)
{
	struct iovec iov[2];
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} cm;
	int i;

	for (i = 0; i < n; i++)
		iov[i] = iov_in[i];
	while (n) {
		struct msghdr mh = { .msg_iov = iov, .msg_iovlen = (size_t)n };
		ssize_t r;

		if (pass_fd >= 0) {
			memset(&cm, 0, sizeof(cm));
			mh.msg_control = cm.buf;
			mh.msg_controllen = sizeof(cm.buf);
			CMSG_FIRSTHDR(&mh)->cmsg_level = SOL_SOCKET;
			CMSG_FIRSTHDR(&mh)->cmsg_type = SCM_RIGHTS;
			CMSG_FIRSTHDR(&mh)->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(CMSG_FIRSTHDR(&mh)), &pass_fd, sizeof(int));
		}
		r = sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (r < 0) {
			int ret;

			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return -errno;
			ret = wait_fd(c->fd, POLLOUT, deadline, c->cancel);
			if (ret)
				return ret;
			continue;
		}
		pass_fd = -1;	/* went with the first byte */
		c->sent_bytes += (uint64_t)r;
		while (n && (size_t)r >= iov[0].iov_len) {
			r -= (ssize_t)iov[0].iov_len;
			iov[0] = iov[1];
			n--;
		}
		if (n) {
			iov[0].iov_base = (char *)iov[0].iov_base + r;
			iov[0].iov_len -= (size_t)r;
		}
	}
	return 0;
}

static const char *neterr(int err)
{
	switch (err) {
	case -ETIMEDOUT:
		return "no answer in time (timed out)";
	case -ECANCELED:
		return "interrupted";
	case -EPIPE:
	case -ECONNRESET:
		return "the connection was closed";
	default:
		return strerror(-err);
	}
}

int wconn_send(struct wconn *c, unsigned type, const void *payload,
	       uint32_t len, int fd)
{
	uint8_t hdr[MVGPU_WIRE_HDR];
	struct iovec iov[2] = { { hdr, sizeof(hdr) }, { (void *)payload, len } };
	int ret;

	ret = mvgpu_wire_encode_hdr(hdr, type, 0, 0, c->send_seq, payload, len);
	if (ret)
		return mvgpu__err(c->ctx, ret, "cannot encode a %s message",
				  mvgpu_wire_type_name(type));
	ret = send_all(c, iov, len ? 2 : 1, fd,
		       now_ms() + (int64_t)c->timeout_ms);
	if (ret)
		return mvgpu__err(c->ctx, ret, "sending %s to %s: %s",
				  mvgpu_wire_type_name(type), c->peer,
				  neterr(ret));
	c->send_seq++;
	return 0;
}

#define NET_FDS_MAX	4	/* room for this many passed fds, to close them */

/*
 * The fds that came with one recvmsg(): with @take, keep it if it is the
 * only one (c->passed_fd); close every other.
 * Return: 0, or -EBADMSG (detail in ctx) for fds not due.
 */
static int take_fds(struct wconn *c, struct msghdr *mh, bool take)
{
	bool cut = mh->msg_flags & MSG_CTRUNC;
	struct cmsghdr *ch;
	int n = 0, kept = -1;

	for (ch = CMSG_FIRSTHDR(mh); ch; ch = CMSG_NXTHDR(mh, ch)) {
		size_t i, nfd;

		if (ch->cmsg_level != SOL_SOCKET || ch->cmsg_type != SCM_RIGHTS ||
		    ch->cmsg_len < CMSG_LEN(0))
			continue;
		nfd = (ch->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < nfd; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(ch) + i * sizeof(int), sizeof(fd));
			if (!n++ && take)
				kept = fd;
			else
				close(fd);
		}
	}
	if (n == 1 && kept >= 0 && !cut) {
		if (c->passed_fd >= 0)
			close(c->passed_fd);
		c->passed_fd = kept;
		return 0;
	}
	if (kept >= 0)
		close(kept);
	if (!n && !cut)
		return 0;
	return mvgpu__err(c->ctx, -EBADMSG,
			  "%s passed %s%d file descriptor%s with one message where %s is due (closed them)",
			  c->peer, cut ? "more than " : "", n, n == 1 && !cut ? "" : "s",
			  take ? "one" : "none");
}

int wconn_send_last(struct wconn *c, unsigned type, const void *payload,
		    uint32_t len, unsigned ms)
{
	const volatile sig_atomic_t *cancel = c->cancel;
	unsigned keep = c->timeout_ms;
	int ret;

	c->cancel = NULL;
	if (ms)
		c->timeout_ms = ms;
	ret = wconn_send(c, type, payload, len, -1);
	c->timeout_ms = keep;
	c->cancel = cancel;
	return ret;
}

/* Receive exactly @len bytes; the first may bring an fd. */
static int recv_all(struct wconn *c, void *buf, size_t len, int64_t deadline,
		    bool first)
{
	uint8_t *p = buf;

	while (len) {
		union {
			struct cmsghdr h;
			char buf[CMSG_SPACE(NET_FDS_MAX * sizeof(int))];
		} cm;
		struct iovec iov = { p, len };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
				     .msg_control = cm.buf,
				     .msg_controllen = sizeof(cm.buf) };
		ssize_t r;
		int ret;

		/* fds that come later than a message's first bytes are
		 * received too, only to be closed (take_fds) */
		r = recvmsg(c->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return -errno;
			ret = wait_fd(c->fd, POLLIN, deadline, c->cancel);
			if (ret)
				return ret;
			continue;
		}
		ret = take_fds(c, &mh, first && c->takes_fd);
		if (ret)
			return ret;
		if (r == 0)
			return -ECONNRESET;
		first = false;
		c->recv_bytes += (uint64_t)r;
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

int wconn_recv(struct wconn *c, struct wmsg *m, uint8_t *buf, size_t cap,
	       unsigned want)
{
	uint8_t hdr[MVGPU_WIRE_HDR];
	char why[256];
	int64_t deadline = now_ms() + (int64_t)c->timeout_ms;
	int ret;

	c->peer_error = 0;
	ret = recv_all(c, hdr, sizeof(hdr), deadline, true);
	if (ret == -EBADMSG)
		return ret;	/* fds not due: said in take_fds() */
	if (ret)
		return mvgpu__err(c->ctx, ret, "waiting for %s from %s: %s",
				  want ? mvgpu_wire_type_name(want) : "a message",
				  c->peer, neterr(ret));
	ret = mvgpu_wire_decode_hdr(hdr, &m->h, why, sizeof(why));
	if (ret)
		return mvgpu__err(c->ctx, ret, "bad message from %s: %s",
				  c->peer, why);
	if (m->h.length > cap)
		return mvgpu__err(c->ctx, -EBADMSG,
				  "%s sent an unexpected %s message of %u bytes",
				  c->peer, mvgpu_wire_type_name(m->h.type),
				  m->h.length);
	ret = recv_all(c, buf, m->h.length, deadline, false);
	if (ret == -EBADMSG)
		return ret;
	if (ret)
		return mvgpu__err(c->ctx, ret == -ECONNRESET ? -ENODATA : ret,
				  "%s's %s message is cut short: %s", c->peer,
				  mvgpu_wire_type_name(m->h.type), neterr(ret));
	ret = mvgpu_wire_verify(hdr, &m->h, buf, c->recv_seq, why, sizeof(why));
	if (ret)
		return mvgpu__err(c->ctx, ret, "from %s: %s", c->peer, why);
	c->recv_seq++;
	m->payload = buf;
	if (m->h.type == MVGPU_WIRE_ERROR) {
		struct mvgpu_wire_error e;

		if (mvgpu_wire_decode_error(buf, m->h.length, &e, why, sizeof(why)))
			return mvgpu__err(c->ctx, -EBADMSG,
					  "%s failed and sent a malformed reason: %s",
					  c->peer, why);
		c->peer_error = 1;
		return mvgpu__err(c->ctx, -(int)e.code, "%s: %s", c->peer, e.text);
	}
	if (want && m->h.type != want)
		return mvgpu__err(c->ctx, -EPROTO,
				  "%s sent %s where %s was due", c->peer,
				  mvgpu_wire_type_name(m->h.type),
				  mvgpu_wire_type_name(want));
	return 0;
}

int wconn_recv_ctrl(struct wconn *c, struct wmsg *m, unsigned want)
{
	return wconn_recv(c, m, c->ctrl, sizeof(c->ctrl), want);
}

void wconn_send_error(struct wconn *c, int err, const char *text)
{
	struct mvgpu_wire_error e = { .code = (uint32_t)(err < 0 ? -err : err) };
	uint8_t buf[8 + MVGPU_WIRE_MSG_MAX];
	char save[MVGPU_ERR_MAX];
	int n;

	if (c->fd < 0 || !e.code)
		return;
	snprintf(e.text, sizeof(e.text), "%s", text);
	n = mvgpu_wire_encode_error(&e, buf, sizeof(buf));
	if (n < 0)
		return;
	snprintf(save, sizeof(save), "%s", mvgpu_last_error(c->ctx));
	wconn_send_last(c, MVGPU_WIRE_ERROR, buf, (uint32_t)n, 2000);
	mvgpu__err(c->ctx, 0, "%s", save);
}

int wconn_peek_error(struct wconn *c, unsigned ms)
{
	char save[MVGPU_ERR_MAX];
	unsigned keep = c->timeout_ms;
	struct wmsg m;
	int ret;

	snprintf(save, sizeof(save), "%s", mvgpu_last_error(c->ctx));
	c->timeout_ms = ms;
	ret = wconn_recv_ctrl(c, &m, 0);
	c->timeout_ms = keep;
	if (ret && c->peer_error)
		return ret;	/* the peer's reason, recorded */
	mvgpu__err(c->ctx, 0, "%s", save);
	return 0;
}

/* ---- addresses ------------------------------------------------------------ */

struct naddr {
	bool is_unix;
	char host[256];
	char port[16];
	struct sockaddr_un sun;
};

/* A TCP port: 1 to 5 decimal digits, 1..65535; nothing else. */
static int parse_port(mvgpu_ctx *ctx, const char *addr, const char *s,
		      char *out, size_t outlen)
{
	size_t n = strlen(s);
	unsigned long v;
	char q[64];

	if (!n || n > 5 || strspn(s, "0123456789") != n)
		goto bad;
	v = strtoul(s, NULL, 10);
	if (v < 1 || v > 65535)
		goto bad;
	snprintf(out, outlen, "%lu", v);
	return 0;
bad:
	mvgpu__quote(q, sizeof(q), addr);
	return mvgpu__err(ctx, -EINVAL,
			  "bad port in '%s': expected a number from 1 to 65535", q);
}

static int parse_addr(mvgpu_ctx *ctx, const char *addr, bool listening,
		      struct naddr *a)
{
	const char *colon;
	size_t hl;

	memset(a, 0, sizeof(*a));
	if (!addr || !*addr)
		return mvgpu__err(ctx, -EINVAL, "no address given");
	if (!strncmp(addr, "unix:", 5)) {
		if (!addr[5] || strlen(addr + 5) >= sizeof(a->sun.sun_path))
			return mvgpu__err(ctx, -EINVAL,
					  "bad unix socket path in '%s'", addr);
		a->is_unix = true;
		a->sun.sun_family = AF_UNIX;
		strcpy(a->sun.sun_path, addr + 5);
		return 0;
	}
	if (addr[0] == '[') {
		const char *end = strchr(addr, ']');

		if (!end || end[1] != ':')
			goto bad;
		hl = (size_t)(end - addr - 1);
		colon = end + 1;
		if (hl >= sizeof(a->host))
			goto bad;
		memcpy(a->host, addr + 1, hl);
	} else {
		colon = strrchr(addr, ':');
		if (!colon)
			goto bad;
		hl = (size_t)(colon - addr);
		if (hl >= sizeof(a->host) || memchr(addr, ':', hl))
			goto bad;
		memcpy(a->host, addr, hl);
	}
	if (!a->host[0] && !listening)
		goto bad;
	return parse_port(ctx, addr, colon + 1, a->port, sizeof(a->port));
bad:
	return mvgpu__err(ctx, -EINVAL,
			  "bad address '%s': use HOST:PORT, [IPV6]:PORT%s or unix:PATH",
			  addr, listening ? ", :PORT" : "");
}

int mvgpu_net_host(const char *addr, char *host, size_t len)
{
	struct naddr a;
	int ret;

	ret = parse_addr(NULL, addr, false, &a);
	if (ret)
		return ret;
	if (a.is_unix)
		return -ENOENT;
	if (strlen(a.host) >= len)
		return -ENAMETOOLONG;
	strcpy(host, a.host);
	return 0;
}

void net_tune(int fd, unsigned timeout_ms)
{
	int one = 1, idle = 5, intvl = 2, cnt = 3;
	unsigned ut = timeout_ms;

	/* unix sockets refuse these: harmless */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ut, sizeof(ut));
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
}

/* Connect one socket, non-blocking, bounded by @deadline. */
static int connect_one(int family, const struct sockaddr *sa, socklen_t len,
		       int64_t deadline, const volatile sig_atomic_t *cancel)
{
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int ret, err = 0;
	socklen_t el = sizeof(err);

	if (fd < 0)
		return -errno;
	if (connect(fd, sa, len) && errno != EINPROGRESS) {
		ret = -errno;
		close(fd);
		return ret;
	}
	ret = wait_fd(fd, POLLOUT, deadline, cancel);
	if (!ret && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el))
		ret = -errno;
	if (!ret && err)
		ret = -err;
	if (ret) {
		close(fd);
		return ret;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

int net_connect(mvgpu_ctx *ctx, const char *addr, unsigned timeout_ms)
{
	int64_t deadline = now_ms() + (int64_t)(timeout_ms ? timeout_ms : 30000);
	struct naddr a;
	int ret;

	ret = parse_addr(ctx, addr, false, &a);
	if (ret)
		return ret;
	for (;;) {
		struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
		int gai;

		if (cancelled(ctx->cancel)) {
			ret = -ECANCELED;
			break;
		}
		if (a.is_unix) {
			ret = connect_one(AF_UNIX, (struct sockaddr *)&a.sun,
					  sizeof(a.sun), deadline, ctx->cancel);
		} else {
			gai = getaddrinfo(a.host, a.port, &hints, &res);
			if (gai)
				return mvgpu__err(ctx, -EHOSTUNREACH,
						  "cannot resolve '%s': %s",
						  a.host, gai_strerror(gai));
			ret = -EHOSTUNREACH;
			for (ai = res; ai; ai = ai->ai_next) {
				ret = connect_one(ai->ai_family, ai->ai_addr,
						  ai->ai_addrlen, deadline, ctx->cancel);
				if (ret >= 0 || ret == -ECANCELED)
					break;
			}
			freeaddrinfo(res);
		}
		if (ret >= 0) {
			net_tune(ret, timeout_ms ? timeout_ms : 30000);
			return ret;
		}
		/* a receiver may be starting: retry refusals until the end */
		if ((ret != -ECONNREFUSED && ret != -ENOENT) ||
		    now_ms() + 100 >= deadline)
			break;
		poll(NULL, 0, 100);
	}
	if (ret == -ECANCELED)
		return mvgpu__err(ctx, ret, "interrupted while connecting to %s", addr);
	return mvgpu__err(ctx, ret, "cannot connect to %s: %s%s", addr,
			  strerror(-ret),
			  ret == -ECONNREFUSED ?
			  " (is 'mvgpu receive --listen' running there?)" : "");
}

/*
 * A socket file at @sun nobody listens on (its program died) may be
 * replaced; anything else there (a live socket, a file, a symlink, a
 * directory) is left alone.  Return: 0 once it is gone, or -errno.
 */
static int remove_stale_socket(mvgpu_ctx *ctx, const char *addr,
			       const struct sockaddr_un *sun)
{
	const char *path = sun->sun_path;
	struct stat st, again;
	int fd, ret;

	if (lstat(path, &st))
		return errno == ENOENT ? 0 :
		       mvgpu__err(ctx, -errno, "cannot listen on %s: %s", addr,
				  strerror(errno));
	if (!S_ISSOCK(st.st_mode))
		return mvgpu__err(ctx, -EEXIST,
				  "cannot listen on %s: %s exists and is not a socket; remove it or choose another path",
				  addr, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return mvgpu__err(ctx, -errno, "socket: %s", strerror(errno));
	ret = connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) ? -errno : 0;
	close(fd);
	if (!ret || ret == -EAGAIN)	/* EAGAIN: its backlog is full */
		return mvgpu__err(ctx, -EADDRINUSE,
				  "cannot listen on %s: another program listens there",
				  addr);
	if (ret != -ECONNREFUSED)
		return mvgpu__err(ctx, ret, "cannot listen on %s: %s is a socket that cannot be probed (%s); remove it if it is stale",
				  addr, path, strerror(-ret));
	/* stale: nobody listens; remove it if it is still that one */
	if (lstat(path, &again) || again.st_ino != st.st_ino ||
	    again.st_dev != st.st_dev || unlink(path))
		return mvgpu__err(ctx, -EADDRINUSE,
				  "cannot listen on %s: %s changed while it was replaced",
				  addr, path);
	return 0;
}

static int listen_unix(mvgpu_ctx *ctx, const char *addr,
		       const struct sockaddr_un *sun)
{
	int fd, ret, tries;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return mvgpu__err(ctx, -errno, "socket: %s", strerror(errno));
	/* the mode the socket file is created with (Linux takes it from the
	 * socket's inode): never connectable by others, not even for the
	 * moment between bind() and a chmod() */
	if (fchmod(fd, 0600)) {
		ret = -errno;
		close(fd);
		return mvgpu__err(ctx, ret, "cannot listen on %s: fchmod: %s",
				  addr, strerror(-ret));
	}
	for (tries = 0; ; tries++) {
		if (!bind(fd, (const struct sockaddr *)sun, sizeof(*sun)))
			break;
		ret = -errno;
		if (ret == -EADDRINUSE && !tries)
			ret = remove_stale_socket(ctx, addr, sun);
		else
			ret = mvgpu__err(ctx, ret, "cannot listen on %s: %s", addr,
					 strerror(-ret));
		if (ret) {
			close(fd);
			return ret;
		}
	}
	if (listen(fd, 4)) {
		ret = -errno;
		close(fd);
		unlink(sun->sun_path);
		return mvgpu__err(ctx, ret, "cannot listen on %s: %s", addr,
				  strerror(-ret));
	}
	return fd;
}

/* A TCP socket listening on @sa; @dual: an IPv6 one takes IPv4 too. */
static int listen_on(int family, const struct sockaddr *sa, socklen_t len,
		     bool dual)
{
	int fd, ret, one = 1, zero = 0;

	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if ((dual && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero))) ||
	    bind(fd, sa, len) || listen(fd, 4)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

/*
 * ":PORT": every address of both families, on one socket (IPv6 with
 * IPV6_V6ONLY off: IPv4 peers arrive as ::ffff:a.b.c.d); IPv4 alone
 * on a host without IPv6.
 */
static int listen_any(mvgpu_ctx *ctx, const char *addr, const char *port)
{
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6,
				   .sin6_addr = IN6ADDR_ANY_INIT };
	struct sockaddr_in s4 = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_ANY) };
	uint16_t p = htons((uint16_t)strtoul(port, NULL, 10));
	int fd;

	s6.sin6_port = s4.sin_port = p;
	fd = listen_on(AF_INET6, (struct sockaddr *)&s6, sizeof(s6), true);
	if (fd == -EAFNOSUPPORT || fd == -EADDRNOTAVAIL)
		fd = listen_on(AF_INET, (struct sockaddr *)&s4, sizeof(s4), false);
	if (fd < 0)
		return mvgpu__err(ctx, fd, "cannot listen on %s: %s", addr,
				  strerror(-fd));
	return fd;
}

int net_listen(mvgpu_ctx *ctx, const char *addr)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE }, *res, *ai;
	struct naddr a;
	int ret, gai;

	ret = parse_addr(ctx, addr, true, &a);
	if (ret)
		return ret;
	if (a.is_unix)
		return listen_unix(ctx, addr, &a.sun);
	if (!a.host[0])
		return listen_any(ctx, addr, a.port);
	gai = getaddrinfo(a.host, a.port, &hints, &res);
	if (gai)
		return mvgpu__err(ctx, -EINVAL, "cannot resolve '%s': %s", addr,
				  gai_strerror(gai));
	/* the first of the host's addresses that can be bound */
	ret = -EADDRNOTAVAIL;
	for (ai = res; ai; ai = ai->ai_next) {
		ret = listen_on(ai->ai_family, ai->ai_addr, ai->ai_addrlen, false);
		if (ret >= 0)
			break;
	}
	freeaddrinfo(res);
	if (ret < 0)
		return mvgpu__err(ctx, ret, "cannot listen on %s: %s", addr,
				  strerror(-ret));
	return ret;
}

/* "ADDR:PORT", "[V6]:PORT" (IPv4 peers of a dual-stack socket as IPv4),
 * or "a local peer". */
static void peer_name(struct sockaddr_storage *ss, socklen_t sl, char *who,
		      size_t wholen)
{
	char host[NI_MAXHOST] = "?", port[NI_MAXSERV] = "?";
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

	if (ss->ss_family == AF_UNIX) {
		snprintf(who, wholen, "a local peer");
		return;
	}
	if (ss->ss_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&a6->sin6_addr)) {
		struct sockaddr_in a4 = { .sin_family = AF_INET,
					  .sin_port = a6->sin6_port };

		memcpy(&a4.sin_addr, &a6->sin6_addr.s6_addr[12], 4);
		memcpy(ss, &a4, sizeof(a4));
		sl = sizeof(a4);
	}
	getnameinfo((struct sockaddr *)ss, sl, host, sizeof(host), port,
		    sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV);
	snprintf(who, wholen, ss->ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s",
		 host, port);
}

int net_accept(mvgpu_ctx *ctx, int lfd, unsigned timeout_ms, char *who,
	       size_t wholen)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd, ret;

	int64_t deadline = timeout_ms ? now_ms() + (int64_t)timeout_ms : -1;

	for (;;) {
		ret = wait_fd(lfd, POLLIN, deadline, ctx->cancel);
		if (ret == -ECANCELED)
			return mvgpu__err(ctx, ret, "interrupted before anybody connected");
		if (ret)
			return mvgpu__err(ctx, ret, "nobody connected in %u ms",
					  timeout_ms);
		sl = sizeof(ss);
		fd = accept4(lfd, (struct sockaddr *)&ss, &sl,
			     SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd >= 0)
			break;
		/* gone before it was taken, or a signal: wait again */
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			return mvgpu__err(ctx, -errno, "accept: %s", strerror(errno));
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	peer_name(&ss, sl, who, wholen);
	net_tune(fd, timeout_ms ? timeout_ms : 30000);
	return fd;
}
