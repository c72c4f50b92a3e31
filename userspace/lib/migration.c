// SPDX-License-Identifier: MIT
/*
 * migration.c - libmvgpu's side of VFIO migration v2: the state machine
 * through VFIO_DEVICE_FEATURE, and save/restore of a vGPU to and from any
 * file descriptor.  The stream itself is opaque here; proto/ defines it.
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <linux/vfio.h>

#include "device.h"
#include "mvgpu.h"

#define MIG_IO_CHUNK (1u << 20)

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

const char *mvgpu_mig_state_name(uint32_t state)
{
	static const char *const names[] = {
		"ERROR", "STOP", "RUNNING", "STOP_COPY", "RESUMING",
		"RUNNING_P2P", "PRE_COPY", "PRE_COPY_P2P",
	};

	return state < sizeof(names) / sizeof(names[0]) ? names[state] : "?";
}

int mvgpu_mig_flags(mvgpu_dev *dev, uint64_t *flags)
{
	struct {
		struct vfio_device_feature f;
		struct vfio_device_feature_migration m;
	} b = { .f = { .argsz = sizeof(b),
		       .flags = VFIO_DEVICE_FEATURE_GET |
				VFIO_DEVICE_FEATURE_MIGRATION } };

	if (ioctl(dev->device, VFIO_DEVICE_FEATURE, &b))
		return mvgpu__err(dev->ctx, -errno,
				  "the vGPU does not support migration: %s",
				  strerror(errno));
	*flags = b.m.flags;
	return 0;
}

int mvgpu_mig_get_state(mvgpu_dev *dev, uint32_t *state)
{
	struct {
		struct vfio_device_feature f;
		struct vfio_device_feature_mig_state s;
	} b = { .f = { .argsz = sizeof(b),
		       .flags = VFIO_DEVICE_FEATURE_GET |
				VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE } };

	if (ioctl(dev->device, VFIO_DEVICE_FEATURE, &b))
		return mvgpu__err(dev->ctx, -errno, "reading migration state: %s",
				  strerror(errno));
	*state = b.s.device_state;
	return 0;
}

int mvgpu_mig_set_state(mvgpu_dev *dev, uint32_t state, int *data_fd)
{
	struct {
		struct vfio_device_feature f;
		struct vfio_device_feature_mig_state s;
	} b = { .f = { .argsz = sizeof(b),
		       .flags = VFIO_DEVICE_FEATURE_SET |
				VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE },
		.s = { .device_state = state, .data_fd = -1 } };

	if (data_fd)
		*data_fd = -1;
	if (ioctl(dev->device, VFIO_DEVICE_FEATURE, &b))
		return mvgpu__err(dev->ctx, -errno,
				  "migration state %s refused: %s",
				  mvgpu_mig_state_name(state), strerror(errno));
	if (data_fd)
		*data_fd = b.s.data_fd;
	else if (b.s.data_fd >= 0)
		close(b.s.data_fd);
	return 0;
}

/* Does @dev have the quiet states (VFIO_MIGRATION_P2P)? */
static bool has_p2p(mvgpu_dev *dev)
{
	uint64_t flags;

	return !mvgpu_mig_flags(dev, &flags) && (flags & VFIO_MIGRATION_P2P);
}

int mvgpu__quiet_all(mvgpu_dev *const *devs, unsigned n, uint32_t quiet,
		     unsigned *bad)
{
	unsigned i;
	int ret;

	for (i = 0; i < n; i++) {
		if (!has_p2p(devs[i]))
			continue;
		ret = mvgpu_mig_set_state(devs[i], quiet, NULL);
		if (ret) {
			*bad = i;
			return ret;
		}
	}
	return 0;
}

int mvgpu__run_all(mvgpu_dev *const *devs, unsigned n, bool all,
		   unsigned *bad)
{
	unsigned i;
	int ret, first = 0;

	if (n > 1) {
		first = mvgpu__quiet_all(devs, n, MVGPU_MIG_RUNNING_P2P, bad);
		if (first && !all)
			return first;
	}
	for (i = 0; i < n; i++) {
		ret = mvgpu_mig_set_state(devs[i], MVGPU_MIG_RUNNING, NULL);
		if (ret && !first) {
			first = ret;
			*bad = i;
		}
		if (ret && !all)
			break;
	}
	return first;
}

int mvgpu__precopy_rounds(const int *fds, unsigned n, unsigned max_passes,
			  uint64_t switchover,
			  int (*pass)(void *opaque, unsigned i, uint64_t bytes),
			  void *opaque, unsigned *bad)
{
	uint64_t initial = 0, dirty = 0;
	unsigned i, round;
	bool ran = true;
	int ret;

	*bad = n;
	for (round = 1; ran && round <= max_passes; round++) {
		ran = false;
		for (i = 0; i < n; i++) {
			ret = mvgpu_mig_precopy_info(fds[i], &initial, &dirty);
			if (ret) {
				*bad = i;
				return ret;
			}
			/* the first pass always; later ones while it has more
			 * than the switch-over's worth pending */
			if (round > 1 && initial + dirty <= switchover)
				continue;
			ret = pass(opaque, i, initial + dirty);
			if (ret)
				return ret;
			ran = true;
		}
	}
	return 0;
}

int mvgpu_mig_precopy_info(int data_fd, uint64_t *initial, uint64_t *dirty)
{
	struct vfio_precopy_info info = { .argsz = sizeof(info) };

	if (ioctl(data_fd, VFIO_MIG_GET_PRECOPY_INFO, &info))
		return -errno;
	*initial = info.initial_bytes;
	*dirty = info.dirty_bytes;
	return 0;
}

int mvgpu_mig_stop_copy_size(mvgpu_dev *dev, uint64_t *bytes)
{
	struct {
		struct vfio_device_feature f;
		struct vfio_device_feature_mig_data_size d;
	} b = { .f = { .argsz = sizeof(b),
		       .flags = VFIO_DEVICE_FEATURE_GET |
				VFIO_DEVICE_FEATURE_MIG_DATA_SIZE } };

	if (ioctl(dev->device, VFIO_DEVICE_FEATURE, &b))
		return mvgpu__err(dev->ctx, -errno, "reading stop-copy size: %s",
				  strerror(errno));
	*bytes = b.d.stop_copy_length;
	return 0;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= w;
	}
	return 0;
}

uint64_t mvgpu__pass_bytes(int data_fd)
{
	uint64_t initial = 0, dirty = 0;

	if (mvgpu_mig_precopy_info(data_fd, &initial, &dirty))
		return 0;
	return initial + dirty;
}

/*
 * Copies the data fd to @out until the end of a pass - the temporary end
 * (-ENOMSG) or @budget bytes (0: no bound), returns 1 - or the end of the
 * stream (returns 0).  Adds what it moved to *@bytes.
 */
static int drain(mvgpu_dev *dev, int data_fd, int out, char *buf,
		 uint64_t budget, uint64_t *bytes)
{
	uint64_t start = *bytes;

	for (;;) {
		if (budget && *bytes - start >= budget)
			return 1;
		ssize_t n = read(data_fd, buf, MIG_IO_CHUNK);
		int ret;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ENOMSG)
			return 1;
		if (n < 0)
			return mvgpu__err(dev->ctx, -errno,
					  "reading the vGPU's migration data: %s",
					  strerror(errno));
		if (n == 0)
			return 0;
		ret = write_all(out, buf, n);
		if (ret)
			return mvgpu__err(dev->ctx, ret,
					  "writing migration data: %s",
					  strerror(-ret));
		*bytes += n;
	}
}

int mvgpu_save(mvgpu_dev *dev, int out, const mvgpu_save_opts *opts,
	       mvgpu_save_stats *stats)
{
	mvgpu_save_opts o = { .max_passes = 8, .switchover_bytes = 1 << 20,
			      .precopy = 1 };
	mvgpu_save_stats st = { 0 };
	int data_fd = -1, ret, stopped = 0;
	uint64_t initial = 0, dirty = 0, t0 = now_ns(), tstop = 0;
	char *buf;

	if (opts)
		o = *opts;
	if (!o.max_passes)
		o.max_passes = 1;
	buf = malloc(MIG_IO_CHUNK);
	if (!buf)
		return -ENOMEM;

	if (o.precopy) {
		ret = mvgpu_mig_set_state(dev, MVGPU_MIG_PRE_COPY, &data_fd);
		if (ret)
			goto out;
		for (;;) {
			ret = drain(dev, data_fd, out, buf,
				    mvgpu__pass_bytes(data_fd),
				    &st.precopy_bytes);
			if (ret < 0)
				goto cancel;
			st.passes++;
			if (o.between_passes) {
				ret = o.between_passes(o.opaque, st.passes,
						       st.last_dirty_bytes);
				if (ret)
					goto cancel;
			}
			ret = mvgpu_mig_precopy_info(data_fd, &initial, &dirty);
			if (ret) {
				mvgpu__err(dev->ctx, ret, "pre-copy info: %s",
					   strerror(-ret));
				goto cancel;
			}
			st.last_dirty_bytes = dirty;
			if (dirty <= o.switchover_bytes ||
			    st.passes >= o.max_passes)
				break;
		}
		if (o.before_stop)
			o.before_stop(o.opaque, 0);
		stopped = 1;
		tstop = now_ns();
		ret = mvgpu_mig_set_state(dev, MVGPU_MIG_PRE_COPY_P2P, NULL);
		if (!ret)
			mvgpu_mig_stop_copy_size(dev, &st.stop_copy_estimate);
		if (!ret)
			ret = mvgpu_mig_set_state(dev, MVGPU_MIG_STOP_COPY, NULL);
		if (ret)
			goto cancel;
	} else {
		if (o.before_stop)
			o.before_stop(o.opaque, 0);
		stopped = 1;
		tstop = now_ns();
		ret = mvgpu_mig_set_state(dev, MVGPU_MIG_STOP, NULL);
		if (!ret)
			ret = mvgpu_mig_stop_copy_size(dev, &st.stop_copy_estimate);
		if (!ret)
			ret = mvgpu_mig_set_state(dev, MVGPU_MIG_STOP_COPY,
						  &data_fd);
		if (ret)
			goto cancel;
	}

	ret = drain(dev, data_fd, out, buf, 0, &st.stop_copy_bytes);
	if (ret > 0)
		ret = mvgpu__err(dev->ctx, -EPROTO,
				 "the vGPU ended stop-copy data early");
	if (ret)
		goto cancel;
	st.stop_copy_ns = now_ns() - tstop;
	ret = mvgpu_mig_set_state(dev, MVGPU_MIG_STOP, NULL);
	if (ret)
		goto cancel;
	close(data_fd);
	data_fd = -1;
	goto out;

cancel:
	/* nothing is lost: the vGPU runs on as it was */
	if (data_fd >= 0)
		close(data_fd);
	data_fd = -1;
	mvgpu_mig_set_state(dev, MVGPU_MIG_RUNNING, NULL);
	if (stopped && o.before_stop)
		o.before_stop(o.opaque, 1);
out:
	free(buf);
	st.total_ns = now_ns() - t0;
	if (stats)
		*stats = st;
	return ret;
}

int mvgpu_restore(mvgpu_dev *dev, int in, uint64_t *bytes)
{
	uint64_t moved = 0;
	int data_fd = -1, ret;
	char *buf = malloc(MIG_IO_CHUNK);

	if (!buf)
		return -ENOMEM;
	ret = mvgpu_mig_set_state(dev, MVGPU_MIG_RESUMING, &data_fd);
	if (ret)
		goto out;
	for (;;) {
		ssize_t n = read(in, buf, MIG_IO_CHUNK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = mvgpu__err(dev->ctx, -errno,
					 "reading the saved state: %s",
					 strerror(errno));
			break;
		}
		if (n == 0)
			break;
		ret = write_all(data_fd, buf, n);
		if (ret) {
			mvgpu__err(dev->ctx, ret,
				   "the vGPU rejected the state at byte %llu: %s",
				   (unsigned long long)moved, strerror(-ret));
			break;
		}
		moved += n;
	}
	if (!ret)
		ret = mvgpu_mig_set_state(dev, MVGPU_MIG_STOP, NULL);
	close(data_fd);
	if (!ret)
		ret = mvgpu_mig_set_state(dev, MVGPU_MIG_RUNNING, NULL);
	else
		/* RESUMING is left only through a reset */
		ioctl(dev->device, VFIO_DEVICE_RESET);
out:
	free(buf);
	if (bytes)
		*bytes = moved;
	return ret;
}
