// SPDX-License-Identifier: MIT
/*
 * ops_mig.c - migration: v2 state changes through VFIO_DEVICE_FEATURE and
 * the data fds they hand out (read, written, polled, ioctl'd, duplicated,
 * closed at any time and kept across resets, device close and removal);
 * hostile streams fed into RESUMING through a data fd and through the v1
 * migration region; the v1 header in random order; QEMU 7.2's save loop.
 */
#include "fuzz.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/vfio.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "mvgpu_v1.h"

struct sf_precopy_info {
	uint32_t argsz;
	uint32_t flags;
	uint64_t initial_bytes;
	uint64_t dirty_bytes;
};

union feat_buf {
	struct vfio_device_feature f;
	uint8_t b[64];
	uint64_t align;
};

int sf_set_state(int devfd, uint32_t state, int *data_fd)
{
	union feat_buf u;
	int32_t fd = -1;

	memset(&u, 0, sizeof(u));
	u.f.argsz = sizeof(u.f) + 8;
	u.f.flags = VFIO_DEVICE_FEATURE_SET | SF_FEAT_MIG_STATE;
	memcpy(u.f.data, &state, 4);
	memcpy(u.f.data + 4, &fd, 4);
	if (ioctl(devfd, VFIO_DEVICE_FEATURE, &u)) {
		if (data_fd)
			*data_fd = -1;
		return -errno;
	}
	memcpy(&fd, u.f.data + 4, 4);
	if (data_fd)
		*data_fd = fd;
	else if (fd >= 0)
		close(fd);
	return 0;
}

int sf_get_state(int devfd, uint32_t *state)
{
	union feat_buf u;

	memset(&u, 0, sizeof(u));
	u.f.argsz = sizeof(u.f) + 8;
	u.f.flags = VFIO_DEVICE_FEATURE_GET | SF_FEAT_MIG_STATE;
	if (ioctl(devfd, VFIO_DEVICE_FEATURE, &u))
		return -errno;
	memcpy(state, u.f.data, 4);
	return 0;
}

static bool saving_state(uint32_t s)
{
	return s == SF_ST_PRE_COPY || s == SF_ST_PRE_COPY_P2P ||
	       s == SF_ST_STOP_COPY;
}

void sf_add_data_fd(const struct op *op, unsigned n, int vgpu, int fd,
		    uint32_t state)
{
	struct res *r;

	res_make_room(R_DATA, -1, 10);
	r = res_new(R_DATA, vgpu);
	r->fd = fd;
	r->saving = saving_state(state);
	r->last_initial = ~0ull;
	res_add(r, sf_new_id(op, n));
}

static uint32_t pick_state(struct rng *r, uint64_t a)
{
	static const uint32_t states[] = {
		SF_ST_RUNNING, SF_ST_RUNNING, SF_ST_RUNNING, SF_ST_STOP, SF_ST_STOP,
		SF_ST_STOP_COPY, SF_ST_STOP_COPY, SF_ST_RESUMING, SF_ST_RESUMING,
		SF_ST_PRE_COPY, SF_ST_PRE_COPY, SF_ST_PRE_COPY_P2P, SF_ST_RUNNING_P2P,
		SF_ST_ERROR, 8,
	};

	if (a % 32 == 31)
		return sf_pick_u32(r);
	return states[a % (sizeof(states) / sizeof(states[0]))];
}

SF_OP(mig_state)
{
	struct rng r;
	uint32_t st;
	int fd = -1, ret, n = 1 + (int)(op->a[2] % 3);

	(void)t;
	rng_seed(&r, op->a[SF_ASEED]);
	/* one to three steps, as QEMU walks arcs */
	for (int i = 0; i < n; i++) {
		st = pick_state(&r, i ? rng_next(&r) : op->a[1]);
		ret = sf_set_state(op->r[0]->fd, st, &fd);
		if (ret)
			return ret;
		if (fd >= 0)
			sf_add_data_fd(op, (unsigned)i, op->r[0]->vgpu, fd, st);
	}
	return 0;
}

SF_OP(mig_get)
{
	union feat_buf u;
	struct rng r;
	uint32_t st;
	int ret;

	(void)t;
	rng_seed(&r, op->a[SF_ASEED]);
	memset(&u, 0, sizeof(u));
	switch (op->a[1] % 4) {
	case 0:
		ret = sf_get_state(op->r[0]->fd, &st);
		if (!ret && st > SF_ST_PRE_COPY_P2P)
			sf_anomaly("MIG_DEVICE_STATE reads %u", st);
		return ret;
	case 1:
		u.f.argsz = sizeof(u.f) + 8;
		u.f.flags = VFIO_DEVICE_FEATURE_GET | SF_FEAT_MIGRATION;
		break;
	case 2:
		u.f.argsz = sizeof(u.f) + 8;
		u.f.flags = VFIO_DEVICE_FEATURE_GET | SF_FEAT_MIG_DATA_SIZE;
		break;
	default:
		u.f.argsz = sizeof(u.f) + (uint32_t)rng_below(&r, 16);
		u.f.flags = VFIO_DEVICE_FEATURE_PROBE |
			    (uint32_t)(op->a[2] % 3 ? VFIO_DEVICE_FEATURE_GET : VFIO_DEVICE_FEATURE_SET) |
			    (uint32_t)(op->a[3] % 12);
		break;
	}
	return ioctl(op->r[0]->fd, VFIO_DEVICE_FEATURE, &u) ? -errno : 0;
}

/* ---- data fds -------------------------------------------------------------------- */

static void set_nonblock(int fd, bool on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl >= 0)
		fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
}

SF_OP(data_read)
{
	static const size_t lens[] = { 1, 7, 8, 4096, 4120, 65536, 1 << 20, SF_BUF };
	struct rng r;
	size_t len;
	void *b;
	ssize_t n;

	rng_seed(&r, op->a[SF_ASEED]);
	len = op->a[1] % 4 ? lens[(op->a[1] >> 8) % 8] : (size_t)sf_pick_size(&r, SF_BUF);
	set_nonblock(op->r[0]->fd, op->a[2] % 4 != 0);
	b = sf_buf(t, op->a[3], len, false, &r, op->r[1], NULL);
	if (op->a[4] % 16 == 0)
		n = pread(op->r[0]->fd, b, len, (off_t)rng_below(&r, 4096));
	else
		n = read(op->r[0]->fd, b, len);
	return n < 0 ? -errno : 0;
}

/* Writes @len bytes of @p to @fd in chunks of random sizes. */
static int write_chunks(int fd, const uint8_t *p, size_t len, struct rng *r,
			uint64_t *written)
{
	size_t done = 0;

	while (done < len && !sf_stopping()) {
		size_t n;
		ssize_t w;

		switch (rng_below(r, 8)) {
		case 0: n = 1 + (size_t)rng_below(r, 64); break;
		case 1: n = 4096; break;
		case 2: n = 65536; break;
		case 3: n = 262144; break;
		case 4: n = 1 << 20; break;
		case 5: n = len - done; break;
		default: n = 1 + (size_t)rng_below(r, 2 << 20); break;
		}
		if (n > len - done)
			n = len - done;
		w = write(fd, p + done, n);
		if (w < 0)
			return -errno;
		done += (size_t)w;
		if (written)
			*written = done;
	}
	return 0;
}

static const struct mvgpu_compat_info *target_info(const struct res *r)
{
	return &sf.types[r && r->vgpu >= 0 ? sf.vs[r->vgpu].info.type_index : 0];
}

static size_t stream_max(uint64_t a)
{
	size_t max = (size_t)sf.stream_max_mb << 20;

	/* mostly small streams; now and then up to the limit */
	return a % 8 ? (max < (1u << 20) ? max : 1u << 20) : max;
}

SF_OP(data_write)
{
	struct rng r;
	struct sf_stream s;
	size_t len;
	void *b;
	ssize_t n;
	int ret;

	rng_seed(&r, op->a[SF_ASEED]);
	set_nonblock(op->r[0]->fd, op->a[2] % 4 != 0);
	if (op->a[1] % 3 == 0) {	/* a whole hostile stream, chunked */
		ret = sf_stream_build(&s, target_info(op->r[0]), op->a[3],
				      op->a[4], stream_max(op->a[5]));
		if (ret)
			return ret;
		ret = write_chunks(op->r[0]->fd, s.p, s.len, &r, NULL);
		sf_stream_free(&s);
		return ret;
	}
	len = (size_t)sf_pick_size(&r, op->a[1] % 3 == 1 ? 65536 : SF_BUF);
	b = sf_buf(t, op->a[3], len, true, &r, op->r[1], NULL);
	n = write(op->r[0]->fd, b, len);
	return n < 0 ? -errno : 0;
}

SF_OP(data_poll)
{
	struct rng r;
	struct pollfd p[3];
	int n = 0, ret;

	(void)t;
	rng_seed(&r, op->a[SF_ASEED]);
	for (int i = 0; i < SF_NRES; i++) {
		if (!op->r[i])
			continue;
		p[n].fd = op->r[i]->fd;
		p[n].events = (short)(op->a[1] % 4 ? POLLIN | POLLOUT : sf_pick_u32(&r));
		p[n++].revents = 0;
	}
	if (op->a[2] % 3 == 0) {	/* epoll, edge-triggered or not */
		int ep = epoll_create1(EPOLL_CLOEXEC);
		struct epoll_event ev[3];

		if (ep < 0)
			return -errno;
		for (int i = 0; i < n; i++) {
			struct epoll_event e = {
				.events = EPOLLIN | EPOLLOUT | (op->a[3] & 1 ? EPOLLET : 0),
				.data.u64 = (uint64_t)i,
			};

			epoll_ctl(ep, EPOLL_CTL_ADD, p[i].fd, &e);
		}
		ret = epoll_wait(ep, ev, 3, (int)(op->a[4] % 6));
		ret = ret < 0 ? -errno : 0;
		if (op->a[3] & 2)	/* the fd goes, the epoll stays a moment */
			res_kill(op->r[0]);
		close(ep);
		return ret;
	}
	ret = poll(p, (nfds_t)n, (int)(op->a[4] % 6));
	return ret < 0 ? -errno : 0;
}

SF_OP(data_ioctl)
{
	struct rng r;
	struct sf_precopy_info *pi;
	struct res *d = op->r[0];
	int kind, ret;
	unsigned long cmd;

	rng_seed(&r, op->a[SF_ASEED]);
	switch (op->a[1] % 8) {
	case 0:
		cmd = (unsigned long)sf_pick_u32(&r);
		break;
	case 1:
		cmd = _IO(SF_VFIO_TYPE, SF_VFIO_BASE + (op->a[2] % 32));
		break;
	case 2:		/* on the device fd instead: not a data fd */
		if (op->r[1])
			return ioctl(op->r[1]->fd, SF_MIG_GET_PRECOPY_INFO, t->buf) ? -errno : 0;
		/* fall through */
	default:
		cmd = SF_MIG_GET_PRECOPY_INFO;
		break;
	}
	pi = sf_buf(t, op->a[3], 64, false, &r, NULL, &kind);
	if (kind != BUF_HEAP)
		return ioctl(d->fd, cmd, pi) ? -errno : 0;
	memset(pi, 0, 64);
	pi->argsz = op->a[4] % 4 ? sizeof(*pi) : (uint32_t)sf_pick_size(&r, 64);
	pi->flags = op->a[4] % 16 == 1 ? sf_pick_u32(&r) : 0;
	ret = ioctl(d->fd, cmd, pi) ? -errno : 0;
	if (!ret && cmd == SF_MIG_GET_PRECOPY_INFO && pi->argsz >= sizeof(*pi)) {
		if (d->last_initial != ~0ull && pi->initial_bytes > d->last_initial)
			sf_anomaly("PRECOPY_INFO: initial_bytes rose from %llu to %llu",
				   (unsigned long long)d->last_initial,
				   (unsigned long long)pi->initial_bytes);
		d->last_initial = pi->initial_bytes;
	}
	return ret;
}

SF_OP(data_close)
{
	(void)t;
	res_kill(op->r[0]);
	return 0;
}

SF_OP(data_misc)
{
	struct rng r;
	struct res *d = op->r[0];
	struct stat stbuf;
	struct iovec iov[4];
	int fd = d->fd, nfd, pfd[2];
	uint8_t *b = t->buf;
	void *p;

	rng_seed(&r, op->a[SF_ASEED]);
	switch (op->a[1] % 10) {
	case 0:
		return lseek(fd, (off_t)sf_pick_u64(&r), (int)(op->a[2] % 3)) < 0 ? -errno : 0;
	case 1:
		return fstat(fd, &stbuf) ? -errno : 0;
	case 2:
		return fcntl(fd, F_SETFL, (int)(op->a[2] & (O_NONBLOCK | O_APPEND | O_ASYNC))) ? -errno : 0;
	case 3:		/* a second fd on the same file */
		nfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		if (nfd < 0)
			return -errno;
		sf_add_data_fd(op, 0, d->vgpu, nfd,
			       d->saving ? SF_ST_STOP_COPY : SF_ST_RESUMING);
		return 0;
	case 4:
		p = sf_mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED)
			return -errno;
		sf_munmap(p, 4096);
		return 0;
	case 5:		/* the wrong direction */
		return (d->saving ? write(fd, b, 64) : read(fd, b, 64)) < 0 ? -errno : 0;
	case 6:		/* scattered, one piece bad */
		for (int i = 0; i < 4; i++) {
			iov[i].iov_base = b + i * 8192;
			iov[i].iov_len = (size_t)sf_pick_size(&r, 8192);
		}
		if (op->a[2] % 2)
			iov[rng_below(&r, 4)].iov_base = NULL;
		return (d->saving ? readv(fd, iov, 4) : writev(fd, iov, 4)) < 0 ? -errno : 0;
	case 7:		/* through a pipe */
		if (pipe2(pfd, O_CLOEXEC | O_NONBLOCK))
			return -errno;
		if (d->saving)
			nfd = (int)splice(fd, NULL, pfd[1], NULL, 65536, SPLICE_F_NONBLOCK);
		else
			nfd = (int)(write(pfd[1], b, 4096) < 0 ? -1 :
				    splice(pfd[0], NULL, fd, NULL, 4096, SPLICE_F_NONBLOCK));
		close(pfd[0]);
		close(pfd[1]);
		return nfd < 0 ? -errno : 0;
	case 8:
		return fsync(fd) ? -errno : 0;
	default:
		return ftruncate(fd, 0) ? -errno : 0;
	}
}

/* A saving fd into a resuming fd: kernel-made streams, committed or not. */
SF_OP(data_pipe)
{
	struct rng r;
	struct res *src = op->r[0], *dst = op->r[1], *dev = op->r[2];
	uint64_t moved = 0;
	int n = 1 + (int)(op->a[1] % 8), ret = 0;
	bool end = false;

	rng_seed(&r, op->a[SF_ASEED]);
	if (!src->saving || dst->saving)
		return -EINVAL;
	set_nonblock(src->fd, true);
	for (int i = 0; i < n && !sf_stopping(); i++) {
		ssize_t got = read(src->fd, t->buf, (size_t)sf_pick_size(&r, 1 << 20) + 1);

		if (got < 0) {
			ret = -errno;
			if (errno == ENOMSG)
				continue;	/* the temporary end of pre-copy data */
			break;
		}
		if (got == 0) {
			end = true;
			break;
		}
		ret = write_chunks(dst->fd, t->buf, (size_t)got, &r, NULL);
		if (ret)
			break;
		moved += (uint64_t)got;
	}
	/* the stream ended: commit it on the target now and then */
	if (end && dev && dev->vgpu == dst->vgpu && op->a[2] % 2)
		ret = sf_set_state(dev->fd, op->a[3] % 2 ? SF_ST_STOP : SF_ST_RUNNING, NULL);
	(void)moved;
	return ret;
}

/* STOP -> RESUMING, a hostile stream in random chunks, then commit (or not). */
SF_OP(stream_v2)
{
	struct rng r;
	struct sf_stream s;
	struct res *dev = op->r[0];
	int fd, ret;

	(void)t;
	rng_seed(&r, op->a[SF_ASEED]);
	ret = sf_stream_build(&s, target_info(dev), op->a[1], op->a[2],
			      stream_max(op->a[3]));
	if (ret)
		return ret;
	if (op->a[4] % 4)
		sf_set_state(dev->fd, SF_ST_STOP, NULL);
	ret = sf_set_state(dev->fd, SF_ST_RESUMING, &fd);
	if (ret || fd < 0) {
		sf_stream_free(&s);
		return ret ? ret : -ENOENT;
	}
	ret = write_chunks(fd, s.p, s.len, &r, NULL);
	if (ret && op->a[5] % 2)
		write(fd, s.p, s.len < 4096 ? s.len : 4096);	/* after the error */
	sf_stream_free(&s);
	switch (op->a[4] % 10) {
	case 0: case 1: case 2: case 3:
		ret = sf_set_state(dev->fd, SF_ST_STOP, NULL);
		break;
	case 4: case 5:
		ret = sf_set_state(dev->fd, SF_ST_RUNNING, NULL);
		break;
	case 6: case 7:		/* keep the fd for later ops, still resuming */
		sf_add_data_fd(op, 0, dev->vgpu, fd, SF_ST_RESUMING);
		return ret;
	case 8:			/* close it first, then commit */
		close(fd);
		return sf_set_state(dev->fd, SF_ST_STOP, NULL);
	default:
		ret = ioctl(dev->fd, VFIO_DEVICE_RESET) ? -errno : 0;
		break;
	}
	if (op->a[5] % 4 == 0)		/* a dead fd, kept */
		sf_add_data_fd(op, 0, dev->vgpu, fd, SF_ST_RESUMING);
	else
		close(fd);
	return ret;
}

/* ---- the v1 region ------------------------------------------------------------------- */

static off_t v1_off(uint64_t off)
{
	return (off_t)(sf_region_off(SF_V1_REGION) + off);
}

static int v1_w32(int fd, uint64_t off, uint32_t v)
{
	return pwrite(fd, &v, 4, v1_off(off)) == 4 ? 0 : -errno;
}

static int v1_r64(int fd, uint64_t off, uint64_t *v)
{
	*v = 0;
	return pread(fd, v, 8, v1_off(off)) == 8 ? 0 : -errno;
}

static int v1_w64(int fd, uint64_t off, uint64_t v)
{
	return pwrite(fd, &v, 8, v1_off(off)) == 8 ? 0 : -errno;
}

/* The data area through a mapping of it, if @m is one of this vGPU. */
static uint8_t *v1_area(const struct res *m, const struct res *dev)
{
	if (m && m->kind == R_MAP && m->region == SF_V1_REGION &&
	    m->roff == SF_V1_DATA && m->len >= SF_V1_AREA && m->vgpu == dev->vgpu &&
	    (m->prot & PROT_WRITE))
		return m->addr;
	return NULL;
}

static uint32_t pick_v1_bits(struct rng *r, uint64_t a)
{
	static const uint32_t bits[] = { 0, 1, 1, 2, 3, 3, 4, 4, 5, 6, 7 };

	if (a % 16 == 15)
		return sf_pick_u32(r);
	return bits[a % (sizeof(bits) / sizeof(bits[0]))];
}

SF_OP(v1_hdr)
{
	static const uint64_t offs[] = { 0, 0, 8, 8, 16, 16, 24, 24, 4, 12, 20,
					 28, 32, 36, 40, 1, 2, 3 };
	static const size_t lens[] = { 4, 8, 8, 8, 1, 2, 16, 3 };
	struct rng r;
	uint64_t off, v;
	size_t len;
	uint8_t b[16];
	int fd = op->r[0]->fd;
	ssize_t n;

	(void)t;
	rng_seed(&r, op->a[SF_ASEED]);
	off = op->a[1] % 8 ? offs[(op->a[1] >> 8) % 18] : rng_below(&r, 4096);
	len = op->a[2] % 4 ? (off ? 8 : 4) : lens[(op->a[2] >> 8) % 8];
	if (op->a[3] % 2 == 0) {	/* read */
		n = pread(fd, b, len, v1_off(off));
		return n < 0 ? -errno : 0;
	}
	if (off == MVGPU_V1_OFF_STATE && len == 4)
		return v1_w32(fd, 0, pick_v1_bits(&r, op->a[4]));
	if (off == MVGPU_V1_OFF_DATA_SIZE && len == 8) {
		static const uint64_t sizes[] = { 0, 1, 31, 32, 120, 4096, 65536,
						  SF_V1_AREA, SF_V1_AREA + 1,
						  1ull << 63, ~0ull };

		v = op->a[4] % 4 ? rng_below(&r, SF_V1_AREA + 1)
				 : sizes[(op->a[4] >> 8) % 11];
		return v1_w64(fd, off, v);
	}
	sf_fill(&r, b, sizeof(b));
	n = pwrite(fd, b, len, v1_off(off));
	return n < 0 ? -errno : 0;
}

/* QEMU 7.2's source loop, cut short or left in the middle at random. */
SF_OP(v1_save)
{
	struct rng r;
	struct res *dev = op->r[0];
	uint8_t *area = v1_area(op->r[1], dev);
	uint64_t pending, doff, dsize, total = 0;
	int fd = dev->fd, n = 1 + (int)(op->a[1] % 64), ret;
	bool stop_copy = op->a[2] % 3 == 0;

	rng_seed(&r, op->a[SF_ASEED]);
	ret = v1_w32(fd, 0, stop_copy ? MVGPU_V1_SAVING : MVGPU_V1_RUNNING | MVGPU_V1_SAVING);
	if (ret)
		return ret;
	for (int i = 0; i < n && total < (32u << 20) && !sf_stopping(); i++) {
		if (!stop_copy && rng_chance(&r, 1, 16)) {
			stop_copy = true;
			ret = v1_w32(fd, 0, MVGPU_V1_SAVING);
			if (ret)
				break;
		}
		ret = v1_r64(fd, MVGPU_V1_OFF_PENDING, &pending);
		if (ret || (stop_copy && !pending))
			break;
		ret = v1_r64(fd, MVGPU_V1_OFF_DATA_OFF, &doff);
		if (!ret)
			ret = v1_r64(fd, MVGPU_V1_OFF_DATA_SIZE, &dsize);
		if (ret)
			break;
		if (doff != SF_V1_DATA || dsize > SF_V1_AREA) {
			sf_anomaly("v1: data_offset %llu data_size %llu",
				   (unsigned long long)doff,
				   (unsigned long long)dsize);
			break;
		}
		if (area) {
			if (!sf_copy_guarded(t, t->buf, area, dsize)) {
				sf_anomaly("v1: the mapped data area faults (read)");
				break;
			}
		} else if (dsize && pread(fd, t->buf, dsize, v1_off(doff)) < 0)
			break;
		total += dsize;
	}
	switch (op->a[3] % 4) {
	case 0: return v1_w32(fd, 0, 0);
	case 1: return v1_w32(fd, 0, MVGPU_V1_RUNNING);
	}
	return ret;		/* left saving */
}

/* RESUMING through the v1 region: chunks into the area, then data_size. */
SF_OP(stream_v1)
{
	struct rng r;
	struct sf_stream s;
	struct res *dev = op->r[0];
	uint8_t *area = v1_area(op->r[1], dev);
	size_t done = 0;
	uint64_t doff;
	int fd = dev->fd, ret;

	(void)t;
	rng_seed(&r, op->a[SF_ASEED]);
	ret = sf_stream_build(&s, target_info(dev), op->a[1], op->a[2],
			      stream_max(op->a[3]));
	if (ret)
		return ret;
	if (op->a[4] % 4)
		v1_w32(fd, 0, 0);
	ret = v1_w32(fd, 0, MVGPU_V1_RESUMING);
	while (!ret && done < s.len && !sf_stopping()) {
		size_t n = rng_chance(&r, 1, 2) ? SF_V1_AREA :
			   1 + (size_t)rng_below(&r, SF_V1_AREA);
		uint64_t said;

		if (n > s.len - done)
			n = s.len - done;
		ret = v1_r64(fd, MVGPU_V1_OFF_DATA_OFF, &doff);
		if (ret)
			break;
		if (area) {
			if (!sf_copy_guarded(t, area, s.p + done, n)) {
				sf_anomaly("v1: the mapped data area faults (write)");
				break;
			}
		} else if (pwrite(fd, s.p + done, n, v1_off(SF_V1_DATA)) < 0)
			ret = -errno;
		said = n;
		switch (rng_below(&r, 24)) {	/* now and then, a lie */
		case 0: said = 0; break;
		case 1: said = SF_V1_AREA + 1; break;
		case 2: said = n + 8; break;
		}
		if (!ret)
			ret = v1_w64(fd, MVGPU_V1_OFF_DATA_SIZE, said);
		done += n;
	}
	sf_stream_free(&s);
	switch (op->a[5] % 8) {
	case 0: case 1: case 2: case 3:
		return v1_w32(fd, 0, MVGPU_V1_RUNNING);
	case 4:
		return v1_w32(fd, 0, 0);
	case 5:
		return v1_w32(fd, 0, pick_v1_bits(&r, op->a[4]));
	}
	return ret;		/* left resuming */
}
