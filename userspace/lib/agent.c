// SPDX-License-Identifier: MIT
/*
 * agent.c - handing a vGPU in use over to a migration helper (mvgpu.h,
 * "the migration agent"; protocol in proto/mvgpu_wire.h).
 *
 * The workload keeps its VFIO device open and serves a unix socket on a
 * thread.  A helper (`mvgpu migrate`, `mvgpu receive`) connects and gets
 * the device fd, then drives the migration through it and tells the
 * workload when to pause, resume, give the vGPU up, or start from a state.
 * If the helper vanishes the agent puts things right: a source vGPU runs
 * again and its workload resumes; an incoming vGPU is reset and the
 * workload waits for the next helper.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "device.h"
#include "net.h"

#define AGENT_TIMEOUT_MS	60000	/* one step: a pause may wait for work */
#define AGENT_BUF		(MVGPU_WIRE_NAME_LEN + MVGPU_WIRE_STATE_MAX)

struct mvgpu_agent {
	mvgpu_dev *dev;
	mvgpu_agent_ops ops;
	unsigned flags;
	int lfd;
	int stop_pipe[2];
	pthread_t thread;
	char path[108];
	uint8_t *buf;
};

struct mvgpu_agent_conn {
	struct wconn c;
	uint8_t *buf;
};

int mvgpu_agent_path(const char *uuid, char *buf, size_t len)
{
	const char *dir = getenv("MVGPU_RUN_DIR");
	char canon[MVGPU_UUID_LEN];
	int n;

	if (mvgpu_uuid_canonical(uuid, canon))
		return -EINVAL;
	n = snprintf(buf, len, "%s/agent-%s.sock", dir && *dir ? dir : "/run/mvgpu",
		     canon);
	return n < 0 || (size_t)n >= len || n >= 108 ? -ENAMETOOLONG : 0;
}

/*
 * The directory of agent socket @path: made 0700 if missing (@create);
 * one that exists must be a directory (not a symlink) of this user or
 * root that nobody else can write to - whoever can write there can put
 * a socket of their own under a vGPU's name and pass for its workload.
 * Return: 0, or -errno with a message saying what to do.
 */
static int agent_dir(mvgpu_ctx *ctx, const char *path, bool create)
{
	char dir[108], *slash;
	struct stat st;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash)
		return 0;
	*slash = '\0';
	if (!dir[0])
		snprintf(dir, sizeof(dir), "/");
	if (create && !mkdir(dir, 0700))
		return 0;
	if (create && errno != EEXIST)
		return mvgpu__err(ctx, -errno, "cannot create the agent directory %s: %s",
				  dir, strerror(errno));
	if (lstat(dir, &st))
		return mvgpu__err(ctx, -errno, "the agent directory %s: %s", dir,
				  strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return mvgpu__err(ctx, -ENOTDIR,
				  "the agent directory %s is not a directory (a symlink?): remove it, or set MVGPU_RUN_DIR to a private directory",
				  dir);
	if (st.st_uid != geteuid() && st.st_uid != 0)
		return mvgpu__err(ctx, -EPERM,
				  "the agent directory %s belongs to uid %u, not to this user (uid %u) or root: set MVGPU_RUN_DIR to a directory of your own",
				  dir, (unsigned)st.st_uid, (unsigned)geteuid());
	if (st.st_mode & 022)
		return mvgpu__err(ctx, -EPERM,
				  "the agent directory %s can be written by others (mode %04o): make it private ('chmod 700 %s') or set MVGPU_RUN_DIR to a private directory",
				  dir, (unsigned)(st.st_mode & 07777), dir);
	return 0;
}

/* ---- the workload's side ---------------------------------------------------- */

static int send_state(struct wconn *c, unsigned type, const char *kind,
		      const void *state, size_t len, uint8_t *buf)
{
	int n;

	if (len > MVGPU_WIRE_STATE_MAX)
		return -EFBIG;
	n = mvgpu_wire_encode_kind(kind, buf, MVGPU_WIRE_NAME_LEN);
	if (n < 0)
		return n;
	if (len)
		memcpy(buf + MVGPU_WIRE_NAME_LEN, state, len);
	/* PAUSED (the agent: never cancelled) or START (a last word) */
	return wconn_send_last(c, type, buf, (uint32_t)(MVGPU_WIRE_NAME_LEN + len), 0);
}

/* The helper is gone: leave the vGPU running (source) or clean (target). */
static void agent_recover(struct mvgpu_agent *a, bool paused, bool incoming)
{
	uint32_t st = MVGPU_MIG_RUNNING;

	mvgpu_mig_get_state(a->dev, &st);
	if (incoming) {
		if (st != MVGPU_MIG_RUNNING)
			mvgpu_dev_reset(a->dev, MVGPU_RESET_VFIO);
		return;
	}
	if (st != MVGPU_MIG_RUNNING)
		mvgpu_mig_set_state(a->dev, MVGPU_MIG_RUNNING, NULL);
	if (paused && a->ops.resume)
		a->ops.resume(a->ops.opaque);
}

/* Wait for a message or the stop pipe: 1 readable, 0 stopping. */
static int agent_wait(struct mvgpu_agent *a, int fd)
{
	struct pollfd p[2] = { { .fd = fd, .events = POLLIN },
			       { .fd = a->stop_pipe[0], .events = POLLIN } };

	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return 0;
		}
		if (p[1].revents)
			return 0;
		if (p[0].revents)
			return 1;
	}
}

/* One helper, from connect to disconnect. */
static void agent_serve(struct mvgpu_agent *a, int fd, mvgpu_ctx *ctx)
{
	struct mvgpu_wire_agent hello = { .major = MVGPU_WIRE_MAJOR,
					  .minor = MVGPU_WIRE_MINOR,
					  .pid = (uint32_t)getpid() };
	bool incoming = a->flags & MVGPU_AGENT_INCOMING;
	bool paused = false, released = false;
	uint8_t hb[64];
	struct wconn c;
	struct wmsg m;
	int n;

	wconn_init(&c, ctx, fd, AGENT_TIMEOUT_MS, "the migration helper");
	hello.flags = incoming ? MVGPU_WIRE_AGENT_INCOMING : 0;
	snprintf(hello.uuid, sizeof(hello.uuid), "%s", a->dev->info.uuid);
	n = mvgpu_wire_encode_agent(&hello, hb, sizeof(hb));
	if (n < 0 || wconn_send(&c, MVGPU_WIRE_AGENT, hb, (uint32_t)n,
				a->dev->device))
		return;
	while (!released && agent_wait(a, fd)) {
		void *state = NULL;
		size_t len = 0;
		char kind[MVGPU_STATE_KIND_MAX] = "";
		int ret = 0;

		if (wconn_recv(&c, &m, a->buf, AGENT_BUF, 0))
			break;
		switch (m.h.type) {
		case MVGPU_WIRE_PAUSE:
			if (incoming || paused) {
				wconn_send_error(&c, EPROTO, "PAUSE out of turn");
				goto out;
			}
			if (a->ops.pause)
				ret = a->ops.pause(a->ops.opaque, kind, &state, &len);
			if (ret) {
				wconn_send_error(&c, ret < 0 ? -ret : ECANCELED,
						 "the workload cannot pause");
				break;
			}
			paused = true;
			ret = send_state(&c, MVGPU_WIRE_PAUSED, state ? kind : "",
					 state, state ? len : 0, a->buf);
			free(state);
			if (ret)
				goto out;
			break;
		case MVGPU_WIRE_RESUME:
			if (paused && a->ops.resume)
				a->ops.resume(a->ops.opaque);
			paused = false;
			break;
		case MVGPU_WIRE_RELEASE:
			if (incoming)
				goto out;
			if (a->ops.release)
				a->ops.release(a->ops.opaque);
			released = true;
			break;
		case MVGPU_WIRE_START:
			if (!incoming ||
			    mvgpu_wire_decode_kind(m.payload, m.h.length, kind,
						   NULL, 0))
				goto out;
			if (a->ops.start)
				a->ops.start(a->ops.opaque, kind,
					     m.payload + MVGPU_WIRE_NAME_LEN,
					     m.h.length - MVGPU_WIRE_NAME_LEN);
			/* it runs here now, and may move on from here */
			incoming = false;
			a->flags &= ~MVGPU_AGENT_INCOMING;
			break;
		default:
			goto out;
		}
	}
out:
	if (!released)
		agent_recover(a, paused, incoming);
}

static void *agent_thread(void *arg)
{
	struct mvgpu_agent *a = arg;
	mvgpu_ctx *ctx;

	/* a context of our own: error details are per thread of work */
	if (mvgpu_ctx_create(&ctx, mvgpu_ctx_sysfs_root(a->dev->ctx)))
		return NULL;
	while (agent_wait(a, a->lfd)) {
		int fd = accept4(a->lfd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0)
			continue;
		agent_serve(a, fd, ctx);
		close(fd);
	}
	mvgpu_ctx_free(ctx);
	return NULL;
}

int mvgpu_agent_start(mvgpu_dev *dev, unsigned flags,
		      const mvgpu_agent_ops *ops, mvgpu_agent **out)
{
	struct mvgpu_agent *a;
	char addr[128];
	int ret;

	if (!dev || !ops || !out || dev->borrowed)
		return -EINVAL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->dev = dev;
	a->ops = *ops;
	a->flags = flags;
	a->lfd = a->stop_pipe[0] = a->stop_pipe[1] = -1;
	ret = mvgpu_agent_path(dev->info.uuid, a->path, sizeof(a->path));
	if (ret)
		goto fail;
	ret = agent_dir(dev->ctx, a->path, true);
	if (ret)
		goto fail;
	a->buf = malloc(AGENT_BUF);
	if (!a->buf || pipe2(a->stop_pipe, O_CLOEXEC)) {
		ret = -ENOMEM;
		goto fail;
	}
	snprintf(addr, sizeof(addr), "unix:%s", a->path);
	ret = net_listen(dev->ctx, addr);
	if (ret < 0)
		goto fail;
	a->lfd = ret;		/* mode 0600 from the start (net_listen()) */
	ret = -pthread_create(&a->thread, NULL, agent_thread, a);
	if (ret) {
		unlink(a->path);
		goto fail;
	}
	*out = a;
	return 0;
fail:
	if (a->lfd >= 0)
		close(a->lfd);
	if (a->stop_pipe[0] >= 0) {
		close(a->stop_pipe[0]);
		close(a->stop_pipe[1]);
	}
	free(a->buf);
	free(a);
	return ret;
}

void mvgpu_agent_stop(mvgpu_agent *a)
{
	if (!a)
		return;
	if (write(a->stop_pipe[1], "x", 1) < 0)
		return;	/* cannot happen: a fresh pipe has room */
	pthread_join(a->thread, NULL);
	unlink(a->path);
	close(a->lfd);
	close(a->stop_pipe[0]);
	close(a->stop_pipe[1]);
	free(a->buf);
	free(a);
}

/* ---- the helper's side ---------------------------------------------------- */

/*
 * Connect to the agent socket @sun within @timeout_ms: an agent whose
 * backlog is full (its workload is stuck) fails in time instead of
 * blocking the helper for ever.  Its directory must be safe (agent_dir())
 * and the process that serves it this user's or root's.
 * Return: the fd; -ENOENT if no agent serves it, or -errno (detail).
 */
static int agent_dial(mvgpu_ctx *ctx, const struct sockaddr_un *sun,
		      unsigned timeout_ms)
{
	struct timespec t0, t;
	struct ucred cr;
	socklen_t crl = sizeof(cr);
	int fd, ret;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (connect(fd, (const struct sockaddr *)sun, sizeof(*sun))) {
		ret = -errno;
		if (ret == -ENOENT || ret == -ECONNREFUSED) {
			close(fd);
			return -ENOENT;	/* no socket, or a stale one */
		}
		if (ret == -EAGAIN && ctx->cancel && *ctx->cancel) {
			close(fd);
			return mvgpu__err(ctx, -ECANCELED,
					  "interrupted while connecting to the agent at %s",
					  sun->sun_path);
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (ret != -EAGAIN ||
		    (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 >=
		    (long)timeout_ms) {
			close(fd);
			return mvgpu__err(ctx, ret == -EAGAIN ? -ETIMEDOUT : ret,
					  "cannot connect to the agent at %s: %s",
					  sun->sun_path, ret == -EAGAIN ?
					  "it accepts no connection (timed out): is its workload stuck?" :
					  strerror(-ret));
		}
		poll(NULL, 0, 20);	/* its backlog is full: a moment */
	}
	ret = agent_dir(ctx, sun->sun_path, false);
	if (!ret && getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &crl))
		ret = mvgpu__err(ctx, -errno, "the agent at %s: SO_PEERCRED: %s",
				 sun->sun_path, strerror(errno));
	if (!ret && cr.uid != geteuid() && cr.uid != 0)
		ret = mvgpu__err(ctx, -EPERM,
				 "the agent at %s runs as uid %u, not as this user (uid %u) or root: it cannot be that vGPU's workload",
				 sun->sun_path, (unsigned)cr.uid, (unsigned)geteuid());
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

/*
 * Connect to vGPU @uuid's agent and take its AGENT message, checked: the
 * vGPU it names is @uuid, one fd came with it (left in
 * (*@out)->c.passed_fd).  Return: 0, -ENOENT (no agent), -errno.
 */
static int agent_hello(mvgpu_ctx *ctx, const char *uuid, unsigned timeout_ms,
		       struct mvgpu_agent_conn **out,
		       struct mvgpu_wire_agent *hello)
{
	struct mvgpu_agent_conn *ac;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char why[256], canon[MVGPU_UUID_LEN], got[MVGPU_UUID_LEN];
	struct wmsg m;
	int fd, ret;

	ret = mvgpu_agent_path(uuid, sun.sun_path, sizeof(sun.sun_path));
	if (ret)
		return ret;
	if (mvgpu_uuid_canonical(uuid, canon))
		return -EINVAL;
	if (timeout_ms == 0)
		timeout_ms = AGENT_TIMEOUT_MS;
	fd = agent_dial(ctx, &sun, timeout_ms);
	if (fd < 0)
		return fd;
	ac = calloc(1, sizeof(*ac));
	if (ac)
		ac->buf = malloc(AGENT_BUF);
	if (!ac || !ac->buf) {
		if (ac)
			free(ac);
		close(fd);
		return -ENOMEM;
	}
	wconn_init(&ac->c, ctx, fd, timeout_ms, "the workload");
	ac->c.takes_fd = true;	/* AGENT brings the device; nothing else does */
	ret = wconn_recv(&ac->c, &m, ac->buf, AGENT_BUF, MVGPU_WIRE_AGENT);
	ac->c.takes_fd = false;
	if (!ret && mvgpu_wire_decode_agent(m.payload, m.h.length, hello, why,
					    sizeof(why)))
		ret = mvgpu__err(ctx, -EBADMSG, "the workload's agent: %s", why);
	if (!ret && ac->c.passed_fd < 0)
		ret = mvgpu__err(ctx, -EPROTO, "the workload passed no device");
	if (!ret && (mvgpu_uuid_canonical(hello->uuid, got) || strcmp(got, canon)))
		ret = mvgpu__err(ctx, -EPROTO,
				  "the agent at %s serves vGPU %s, not %s: its socket is not that vGPU's; stop the workload that serves it",
				  sun.sun_path, hello->uuid, canon);
	if (ret) {
		mvgpu_agent_disconnect(ac);
		return ret;
	}
	*out = ac;
	return 0;
}

static unsigned agent_flags_of(const struct mvgpu_wire_agent *hello)
{
	return hello->flags & MVGPU_WIRE_AGENT_INCOMING ? MVGPU_AGENT_INCOMING : 0;
}

int mvgpu_agent_connect(mvgpu_ctx *ctx, const char *uuid, unsigned timeout_ms,
			mvgpu_agent_conn **out, mvgpu_dev **dev,
			unsigned *agent_flags)
{
	struct mvgpu_agent_conn *ac;
	struct mvgpu_wire_agent hello;
	int ret;

	ret = agent_hello(ctx, uuid, timeout_ms, &ac, &hello);
	if (ret)
		return ret;
	ret = mvgpu__dev_adopt(ctx, hello.uuid, ac->c.passed_fd, dev);
	ac->c.passed_fd = -1;
	if (ret) {
		mvgpu_agent_disconnect(ac);
		return ret;
	}
	if (agent_flags)
		*agent_flags = agent_flags_of(&hello);
	*out = ac;
	return 0;
}

int mvgpu_agent_query(mvgpu_ctx *ctx, const char *uuid, unsigned timeout_ms,
		      unsigned *agent_flags, unsigned *pid)
{
	struct mvgpu_agent_conn *ac;
	struct mvgpu_wire_agent hello;
	int ret;

	ret = agent_hello(ctx, uuid, timeout_ms, &ac, &hello);
	if (ret)
		return ret;
	if (agent_flags)
		*agent_flags = agent_flags_of(&hello);
	if (pid)
		*pid = hello.pid;
	mvgpu_agent_disconnect(ac);	/* closes the device fd unused */
	return 0;
}

int mvgpu_agent_pause(mvgpu_agent_conn *ac, char kind[MVGPU_STATE_KIND_MAX],
		      void **state, size_t *len)
{
	char why[256];
	struct wmsg m;
	int ret;

	*state = NULL;
	*len = 0;
	ret = wconn_send(&ac->c, MVGPU_WIRE_PAUSE, NULL, 0, -1);
	if (!ret)
		ret = wconn_recv(&ac->c, &m, ac->buf, AGENT_BUF, MVGPU_WIRE_PAUSED);
	if (ret)
		return ret;
	if (mvgpu_wire_decode_kind(m.payload, m.h.length, kind, why, sizeof(why)))
		return mvgpu__err(ac->c.ctx, -EBADMSG, "the workload's state: %s", why);
	if (!kind[0])
		return 0;
	*len = m.h.length - MVGPU_WIRE_NAME_LEN;
	*state = malloc(*len ? *len : 1);
	if (!*state)
		return -ENOMEM;
	memcpy(*state, m.payload + MVGPU_WIRE_NAME_LEN, *len);
	return 0;
}

/* RESUME, RELEASE and START are last words: a cancel must not stop them */
int mvgpu_agent_resume(mvgpu_agent_conn *ac)
{
	return wconn_send_last(&ac->c, MVGPU_WIRE_RESUME, NULL, 0, 0);
}

int mvgpu_agent_release(mvgpu_agent_conn *ac)
{
	return wconn_send_last(&ac->c, MVGPU_WIRE_RELEASE, NULL, 0, 0);
}

int mvgpu_agent_send_start(mvgpu_agent_conn *ac, const char *kind,
			   const void *state, size_t len)
{
	return send_state(&ac->c, MVGPU_WIRE_START, kind ? kind : "", state,
			  kind && *kind ? len : 0, ac->buf);
}

void mvgpu_agent_disconnect(mvgpu_agent_conn *ac)
{
	if (!ac)
		return;
	if (ac->c.fd >= 0)
		close(ac->c.fd);
	if (ac->c.passed_fd >= 0)
		close(ac->c.passed_fd);
	free(ac->buf);
	free(ac);
}
