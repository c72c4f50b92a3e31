// SPDX-License-Identifier: MIT
/*
 * ops_life.c - lifetimes: device fds opened and closed, groups and
 * containers reopened, vGPUs removed through sysfs while their fds are
 * open (and made again), vGPUs created with junk and for a moment, the
 * PCI parent unbound, sysfs attributes read and written, fds passed to
 * forked children and parked in unix sockets (SCM_RIGHTS), eventfds.
 */
#include "fuzz.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/vfio.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mvgpu_v1.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static const char *const type_ids[MVGPU_NUM_TYPES] = { "64M", "256M", "512M", "1G" };

static int slot_state(int slot)
{
	int s;

	pthread_mutex_lock(&sf.lock);
	s = sf.vs[slot].state;
	pthread_mutex_unlock(&sf.lock);
	return s;
}

static void slot_set(int slot, int state)
{
	pthread_mutex_lock(&sf.lock);
	sf.vs[slot].state = state;
	pthread_mutex_unlock(&sf.lock);
}

/* ---- device fds and groups ------------------------------------------------------ */

SF_OP(dev_open)
{
	struct rng r;
	int slot = (int)(op->a[1] % (uint64_t)sf.nvgpus), fd;
	struct res *g, *d;
	char name[512], uuid[40];

	(void)t;
	rng_seed(&r, op->a[SF_ASEED]);
	if (slot_state(slot) != VS_PRESENT)
		return -ENODEV;
	pthread_mutex_lock(&sf.lock);
	memcpy(uuid, sf.vs[slot].uuid, sizeof(uuid));
	pthread_mutex_unlock(&sf.lock);
	if (op->a[2] % 8 == 0 && op->r[0] && op->r[0]->vgpu == slot) {
		fd = fcntl(op->r[0]->fd, F_DUPFD_CLOEXEC, 0);	/* a dup */
		if (fd < 0)
			return -errno;
		goto add;
	}
	g = res_pick(RK(R_GROUP), slot, op->a[3]);
	if (!g) {		/* no group (closed by group_reopen): open one */
		int gf, cf, ret = sf_open_group(uuid, &gf, &cf, VFIO_TYPE1v2_IOMMU);

		if (ret)
			return ret;
		g = res_new(R_GROUP, slot);
		g->fd = gf;
		g->fd2 = cf;
		g->users = 1;	/* ours, as res_pick would give it */
		g = res_add(g, sf_new_id(op, 1));
		if (!g)
			return -ENODEV;
	}
	switch (op->a[4] % 20) {
	case 0: snprintf(name, sizeof(name), "%s", ""); break;
	case 1: snprintf(name, sizeof(name), "%sx", uuid); break;
	case 2: snprintf(name, sizeof(name), "%s", sf.vs[(slot + 1) % SF_MAX_VGPUS].uuid); break;
	case 3:
		memset(name, 'a' + (int)rng_below(&r, 26), sizeof(name) - 1);
		name[sizeof(name) - 1] = 0;
		break;
	default: snprintf(name, sizeof(name), "%s", uuid); break;
	}
	fd = ioctl(g->fd, VFIO_GROUP_GET_DEVICE_FD, name);
	res_put(g);
	if (fd < 0)
		return -errno;
add:
	res_make_room(R_DEV, slot, 4);
	d = res_new(R_DEV, slot);
	d->fd = fd;
	res_add(d, sf_new_id(op, 0));
	return 0;
}

SF_OP(dev_close)
{
	(void)t;
	res_kill(op->r[0]);
	return 0;
}

SF_OP(group_reopen)
{
	static const int iommus[] = { VFIO_TYPE1v2_IOMMU, VFIO_TYPE1v2_IOMMU,
				      VFIO_TYPE1v2_IOMMU, VFIO_TYPE1_IOMMU, 0, 7, 9 };
	struct rng r;
	int slot = (int)(op->a[1] % (uint64_t)sf.nvgpus), gf, cf, ret;
	struct res *g;
	char uuid[40];
	int api;

	(void)t;
	rng_seed(&r, op->a[SF_ASEED]);
	if (slot_state(slot) != VS_PRESENT)
		return -ENODEV;
	g = res_pick(RK(R_GROUP), slot, op->a[2]);
	if (g) {
		switch (op->a[3] % 6) {
		case 0:
			ret = ioctl(g->fd, VFIO_GROUP_UNSET_CONTAINER) ? -errno : 0;
			if (!ret)
				ioctl(g->fd, VFIO_GROUP_SET_CONTAINER, &g->fd2);
			res_put(g);
			return ret;
		case 1: {
			struct vfio_group_status gs = { .argsz = sizeof(gs) };
			struct vfio_iommu_type1_info ii = { .argsz = sizeof(ii) };

			ioctl(g->fd, VFIO_GROUP_GET_STATUS, &gs);
			api = ioctl(g->fd2, VFIO_GET_API_VERSION);
			ioctl(g->fd2, VFIO_CHECK_EXTENSION, (unsigned long)(op->a[4] % 12));
			sf_container_enter();
			ret = ioctl(g->fd2, VFIO_IOMMU_GET_INFO, &ii) ? -errno : api;
			sf_container_leave();
			res_put(g);
			return ret < 0 ? ret : 0;
		}
		}
		/* only while no device fd is open, mostly: else EBUSY below */
		if (op->a[3] % 6 < 4 && res_count(RK(R_DEV) | RK(R_MAP), slot)) {
			res_put(g);
			return -EBUSY;
		}
		res_kill(g);
		res_put(g);
	}
	pthread_mutex_lock(&sf.lock);
	memcpy(uuid, sf.vs[slot].uuid, sizeof(uuid));
	pthread_mutex_unlock(&sf.lock);
	ret = sf_open_group(uuid, &gf, &cf, iommus[op->a[5] % ARRAY_SIZE(iommus)]);
	if (ret)
		return ret;
	g = res_new(R_GROUP, slot);
	g->fd = gf;
	g->fd2 = cf;
	res_add(g, sf_new_id(op, 0));
	return 0;
}

/* ---- removing vGPUs under their users ------------------------------------------- */

/* Writes @what to @path in a thread of its own (it blocks while the
 * device is open) while the slots' resources are closed under it. */
static int remove_under(const char *path, const char *what, unsigned slots,
			bool keep_data, uint64_t delay_us)
{
	struct sf_remover rm;
	uint64_t last = 0;

	if (!sf_quirk(Q_DATAFD_AFTER_REMOVE)) {
		/*
		 * --disable datafd-after-remove: every fd of the vGPU closed
		 * first, here, in process context, and no child holding
		 * copies: the driver's own reference on a data file then
		 * goes before the vGPU does (not from a delayed fput).
		 */
		keep_data = false;
		for (int s = 0; s < sf.nvgpus; s++)
			if (slots & (1u << s))
				res_kill_vgpu(s, false);
		for (int i = 0; i < 20000 && (res_pending(~0u) ||
					      atomic_load(&sf.children)); i++)
			sf_sleep_us(1000);
	}
	if (!sf_quirk(Q_CONTAINER_VS_REMOVE)) {
		/*
		 * --disable container-vs-remove: no container ioctl while the
		 * groups detach.  Everything of the vGPU is closed first (ops
		 * still using a resource finish: they may need the lock to),
		 * then the removal runs alone and cannot wait for us.
		 */
		for (int s = 0; s < sf.nvgpus; s++)
			if (slots & (1u << s))
				res_kill_vgpu(s, keep_data);
		for (int i = 0; i < 20000 && (res_pending(~0u) ||
					      atomic_load(&sf.children)); i++)
			sf_sleep_us(1000);
		sf_removal_enter();
	}
	memset(&rm, 0, sizeof(rm));
	snprintf(rm.path, sizeof(rm.path), "%s", path);
	snprintf(rm.what, sizeof(rm.what), "%s", what);
	if (pthread_create(&rm.pt, NULL, sf_remover_main, &rm)) {
		sf_removal_leave();
		return -EAGAIN;
	}
	sf_sleep_us(delay_us);		/* the other threads race the removal */
	for (;;) {
		uint64_t now = sf_now_ms();

		if (now - last >= 500) {
			for (int s = 0; s < sf.nvgpus; s++) {
				if (!(slots & (1u << s)))
					continue;
				if (sf_quirk(Q_CONTAINER_VS_REMOVE))
					res_kill_vgpu(s, keep_data);
				else	/* no container ioctl under the write lock */
					res_kill_vgpu_devices(s, keep_data);
			}
			sf_poke_unix_gc();
			last = now;
		}
		if (atomic_load(&rm.done))
			break;
		sf_sleep_us(1000);
	}
	pthread_join(rm.pt, NULL);
	sf_removal_leave();
	return rm.ret;
}

/* Slot @slot (REMOVING: ours) gets a vGPU again, same UUID or a new one. */
static int recreate(int slot, const struct op *op, uint64_t a)
{
	int ret;

	pthread_mutex_lock(&sf.lock);
	if (a % 2)
		sf_uuid(op->a[5] ^ sf.seed ^ (uint64_t)slot, sf.vs[slot].uuid);
	pthread_mutex_unlock(&sf.lock);
	ret = sf_vgpu_create(slot);
	if (ret) {
		slot_set(slot, VS_ABSENT);
		return ret;
	}
	slot_set(slot, VS_PRESENT);
	return sf_vgpu_open(slot, op, 2);
}

SF_OP(mdev_remove)
{
	int slot = (int)(op->a[1] % (uint64_t)sf.nvgpus), ret;
	char path[SF_PATH];

	(void)t;
	pthread_mutex_lock(&sf.lock);
	ret = sf.vs[slot].state;
	if (ret != VS_REMOVING)
		sf.vs[slot].state = VS_REMOVING;	/* ours now */
	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/remove",
		 sf.vs[slot].uuid);
	pthread_mutex_unlock(&sf.lock);
	if (ret == VS_ABSENT)		/* removed earlier and not made again */
		return recreate(slot, op, op->a[4]);
	if (ret != VS_PRESENT)
		return -EBUSY;
	ret = remove_under(path, "1", 1u << slot, op->a[2] % 2, op->a[3] % 20000);
	if (ret)
		sf_anomaly("mdev remove of slot %d: %s", slot, strerror(-ret));
	if (op->a[4] % 8 == 0) {
		slot_set(slot, VS_ABSENT);
		return ret;		/* stays away for a while */
	}
	return recreate(slot, op, op->a[4] >> 8);
}

/* The PCI parent (if a vGPU lives there): unbound under its vGPUs, bound again. */
static atomic_int parent_busy;

SF_OP(parent_unbind)
{
	char bdf[64], path[SF_PATH], *p;
	unsigned slots = 0;
	int ret, slot = -1, expected = 0;

	(void)t;
	for (int s = 0; s < sf.nvgpus; s++)
		if (!strstr(sf.vs[s].parent, "/mvgpu"))
			slot = s;
	if (slot < 0)
		return -ENODEV;
	p = strrchr(sf.vs[slot].parent, '/');
	snprintf(bdf, sizeof(bdf), "%s", p + 1);
	if (op->a[1] % 4 == 0) {	/* junk for the dynamic ids instead */
		static const char *const junk[] = { "1234 11e8", "zzzz", "1234 4d47",
						    "", "1234", "ffff ffff ffff ffff ffff ffff ffff" };
		const char *w = junk[op->a[2] % ARRAY_SIZE(junk)];

		snprintf(path, sizeof(path), "/sys/bus/pci/drivers/mvgpu/%s",
			 op->a[3] % 2 ? "new_id" : "remove_id");
		if (!strcmp(w, "1234 11e8") && !(op->a[3] % 2))
			w = "1234 4d47";	/* never drop the parent's id */
		return sf_write_file(path, w, strlen(w));
	}
	/* one at a time, and not while one of its vGPUs is being removed */
	if (!atomic_compare_exchange_strong(&parent_busy, &expected, 1))
		return -EBUSY;
	pthread_mutex_lock(&sf.lock);
	for (int s = 0; s < sf.nvgpus; s++) {
		if (strcmp(sf.vs[s].parent, sf.vs[slot].parent))
			continue;
		if (sf.vs[s].state == VS_REMOVING)
			slots |= 0x100;
		else
			slots |= 1u << s;
	}
	if (!(slots & 0x100))
		for (int s = 0; s < sf.nvgpus; s++)
			if (slots & (1u << s))
				sf.vs[s].state = VS_REMOVING;
	pthread_mutex_unlock(&sf.lock);
	if (slots & 0x100) {
		atomic_store(&parent_busy, 0);
		return -EBUSY;
	}
	ret = remove_under("/sys/bus/pci/drivers/mvgpu/unbind", bdf, slots,
			   op->a[2] % 2, op->a[3] % 20000);
	/* a concurrent new_id write may have bound it again already: EBUSY */
	ret = sf_write_file("/sys/bus/pci/drivers/mvgpu/bind", bdf, strlen(bdf));
	if (ret && ret != -EBUSY)
		sf_anomaly("bind %s: %s", bdf, strerror(-ret));
	for (int s = 0; s < sf.nvgpus; s++)
		if (slots & (1u << s))
			recreate(s, op, op->a[4] >> (8 * s));
	atomic_store(&parent_busy, 0);
	return ret == -EBUSY ? 0 : ret;
}

/* ---- creating vGPUs ------------------------------------------------------------------- */

static void type_path(char *out, size_t n, int parent, int type, const char *attr)
{
	snprintf(out, n, "%s/mdev_supported_types/mvgpu-%s/%s",
		 sf.parents[parent % (sf.nparents ? sf.nparents : 1)],
		 type_ids[type % MVGPU_NUM_TYPES], attr);
}

/* A vGPU of a moment: opened or not, used a little, removed - maybe with
 * a migration data fd still open, used after the vGPU is gone. */
static int temp_vgpu(struct op *op, struct rng *r)
{
	char uuid[40], path[SF_PATH];
	int par = (int)(op->a[2] % 2), type = (int)(op->a[3] % MVGPU_NUM_TYPES);
	int g = -1, c = -1, d = -1, data = -1, ret;
	struct sf_precopy_info { uint32_t argsz, flags; uint64_t i, d; } pi;

	bool storm = op->a[4] % 4 == 1 && sf_quirk(Q_ZERO_STORM);

	sf_uuid(op->a[5] ^ 0x7e3a, uuid);
	if (storm)		/* the biggest framebuffer the pool still has */
		type = MVGPU_NUM_TYPES - 1;
	for (;;) {
		type_path(path, sizeof(path), par, type, "create");
		ret = sf_write_file(path, uuid, strlen(uuid));
		if (ret != -ENOSPC || !storm || !type)
			break;
		type--;
	}
	if (ret)
		return ret;
	if (op->a[4] % 4) {
		ret = sf_open_group(uuid, &g, &c, VFIO_TYPE1v2_IOMMU);
		if (!ret)
			d = ioctl(g, VFIO_GROUP_GET_DEVICE_FD, uuid);
	}
	if (d >= 0 && storm) {
		/*
		 * The case: ZERO records over a 1 GiB framebuffer that
		 * nothing backs, in 1 MiB writes: the cost of a record must be
		 * bounded by its size, not by the framebuffer's.
		 */
		struct sf_stream s;

		if (!sf_set_state(d, SF_ST_RESUMING, &data) && data >= 0 &&
		    !sf_stream_build(&s, &sf.types[type], 1, op->a[5],
				     (1 + rng_below(r, 4)) << 20)) {
			for (size_t off = 0; off < s.len; off += 1u << 20)
				if (write(data, s.p + off, s.len - off < (1u << 20) ?
					  s.len - off : 1u << 20) < 0)
					break;
			sf_stream_free(&s);
		}
	} else if (d >= 0) {
		uint64_t v = rng_next(r);

		pwrite(d, &v, 8, (off_t)(sf_region_off(2) + (rng_below(r, 1024) << 12)));
		switch (rng_below(r, 4)) {
		case 0: sf_set_state(d, SF_ST_PRE_COPY, &data); break;
		case 1: sf_set_state(d, SF_ST_STOP_COPY, &data); break;
		case 2: sf_set_state(d, SF_ST_RESUMING, &data); break;
		default: {
			uint32_t bits = MVGPU_V1_RUNNING | MVGPU_V1_SAVING;

			pwrite(d, &bits, 4, (off_t)sf_region_off(SF_V1_REGION));
		}
		}
		if (data >= 0 && rng_chance(r, 1, 2))
			read(data, path, 64);
	}
	if (d >= 0)
		close(d);
	if (data >= 0 && !sf_quirk(Q_DATAFD_AFTER_REMOVE)) {
		close(data);
		data = -1;
	}
	if (g >= 0)
		close(g);
	if (c >= 0)
		close(c);
	/* children forked meanwhile hold copies: their exit would close it */
	for (int i = 0; i < 2000 && !sf_quirk(Q_DATAFD_AFTER_REMOVE) &&
	     atomic_load(&sf.children); i++)
		sf_sleep_us(1000);
	ret = sf_vgpu_remove_uuid(uuid);
	if (data >= 0) {	/* the data fd outlived its device and vGPU */
		memset(&pi, 0, sizeof(pi));
		pi.argsz = sizeof(pi);
		switch (rng_below(r, 4)) {
		case 0: ioctl(data, SF_MIG_GET_PRECOPY_INFO, &pi); break;
		case 1: read(data, path, 64); break;
		case 2: write(data, path, 64); break;
		}
		close(data);
	}
	return ret;
}

SF_OP(mdev_create)
{
	static const char *const junk[] = {
		"", "1", "not-a-uuid", "00000000-0000-0000-0000-000000000000",
		"zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz",
		"12345678-1234-1234-1234-1234567890abc",	/* 37 chars */
		"12345678-1234-1234-1234-1234567890a",		/* 35 chars */
		"12345678_1234_1234_1234_1234567890ab",
		"12345678-1234-1234-1234-1234567890AB\n",
	};
	struct rng r;
	char path[SF_PATH], buf[4200];
	int par = (int)(op->a[2] % 2), type = (int)(op->a[3] % MVGPU_NUM_TYPES);
	int ret;

	(void)t;
	rng_seed(&r, op->a[SF_ASEED]);
	switch (op->a[1] % 6) {
	case 0: case 1: {		/* junk writes to create */
		size_t len;

		if (op->a[4] % 3) {
			snprintf(buf, sizeof(buf), "%s", junk[op->a[4] % ARRAY_SIZE(junk)]);
			len = strlen(buf);
		} else {
			len = (size_t)sf_pick_size(&r, sizeof(buf));
			sf_fill(&r, buf, len);
		}
		type_path(path, sizeof(path), par, type, "create");
		ret = sf_write_file(path, buf, len);
		if (!ret && len >= 36) {	/* it made one: take it away */
			buf[36] = 0;
			for (int i = 0; i < 36; i++)
				if (buf[i] >= 'A' && buf[i] <= 'F')
					buf[i] = (char)(buf[i] - 'A' + 'a');
			sf_vgpu_remove_uuid(buf);
		}
		return ret;
	}
	case 2:				/* a duplicate of a live vGPU */
		type_path(path, sizeof(path), par, type, "create");
		return sf_write_file(path, sf.vs[0].uuid, strlen(sf.vs[0].uuid));
	case 3: {			/* exhaust the pool, then give it back */
		char u[8][40];
		int n = 0;

		for (; n < 8; n++) {
			sf_uuid(op->a[5] + (uint64_t)n * 977, u[n]);
			type_path(path, sizeof(path), par, 2 + n % 2, "create");
			if (sf_write_file(path, u[n], strlen(u[n])))
				break;
		}
		while (n)
			sf_vgpu_remove_uuid(u[--n]);
		return 0;
	}
	}
	return temp_vgpu(op, &r);
}

/* ---- sysfs ---------------------------------------------------------------------------- */

/* A migration_version string: valid, another type's, or damaged. */
static size_t mv_string(struct rng *r, int type, uint64_t a, char *out, size_t n)
{
	static const char *const subst[][2] = {
		{ "fb=", "fb=0 fbx=" }, { "type_index=", "type_index=9 t=" },
		{ "stream=1", "stream=2" }, { "abi=1.0", "abi=1.99" },
		{ "features=0x0", "features=0xffffffffffffffff" },
		{ "driver=", "driver=../../ x=" }, { "mvgpu-migration-version=1", "mvgpu-migration-version=2" },
		{ " ", "  \t " }, { "\n", "\n\n" }, { "type=", "type=mvgpu-1G type=" },
	};
	const char *src = sf.mv_string[type % MVGPU_NUM_TYPES];
	size_t len;

	switch (a % 8) {
	case 0: case 1:
		snprintf(out, n, "%s", src);
		return strlen(out);
	case 2:
		snprintf(out, n, "%s", sf.mv_string[(type + 1) % MVGPU_NUM_TYPES]);
		return strlen(out);
	case 3: case 4: {
		const char *const *s = subst[rng_below(r, ARRAY_SIZE(subst))];
		const char *at = strstr(src, s[0]);

		if (!at)
			break;
		snprintf(out, n, "%.*s%s%s", (int)(at - src), src, s[1], at + strlen(s[0]));
		return strlen(out);
	}
	case 5:		/* 33 fields, long values */
		len = 0;
		for (int i = 0; i < 33 && len + 80 < n; i++)
			len += (size_t)snprintf(out + len, n - len, "k%d=%070d ", i, i);
		return len;
	case 6:		/* cut, or with a NUL inside */
		snprintf(out, n, "%s", src);
		len = strlen(out);
		if (len > 4)
			out[rng_below(r, len)] = (char)(rng_chance(r, 1, 2) ? 0 : 0x7f);
		return rng_chance(r, 1, 2) ? len : rng_below(r, len + 1);
	}
	len = (size_t)sf_pick_size(r, n > 4096 ? 4096 : n);
	sf_fill(r, out, len);
	return len;
}

SF_OP(sysfs)
{
	static const char *const type_attrs[] = {
		"name", "description", "available_instances", "device_api",
		"migration_version", "migration_version", "devices",
	};
	static const char *const dev_attrs[] = {
		"mvgpu/in_use", "mdev_type/migration_version", "migration_version",
		"mdev_type/name",
		"mdev_type/available_instances", "remove", "uevent",
	};
	static const char *const other[] = {
		"/sys/kernel/debug/mvgpu/objects", "/sys/module/mvgpu/refcnt",
		"/sys/module/mvgpu/parameters/fb_pool_mb",
		"/sys/module/mvgpu/parameters/virtual_parents",
	};
	struct rng r;
	char path[SF_PATH * 2], buf[4200];
	int par = (int)(op->a[2] % 2), type = (int)(op->a[3] % MVGPU_NUM_TYPES);
	int slot = (int)(op->a[4] % (uint64_t)sf.nvgpus), fd, ret;
	const char *attr;
	bool write_it = op->a[1] % 3 == 0;
	size_t len;

	(void)t;
	rng_seed(&r, op->a[SF_ASEED]);
	switch (op->a[1] % 5) {
	case 0: case 1:
		attr = type_attrs[(op->a[1] >> 8) % ARRAY_SIZE(type_attrs)];
		if (write_it && op->a[5] % 4)
			attr = "migration_version";
		type_path(path, sizeof(path), par, type, attr);
		break;
	case 2: case 3:
		attr = dev_attrs[(op->a[1] >> 8) % ARRAY_SIZE(dev_attrs)];
		if (write_it && op->a[5] % 2)
			attr = op->a[5] % 4 == 1 ? "mdev_type/migration_version"
						 : "migration_version";
		pthread_mutex_lock(&sf.lock);
		snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/%s",
			 sf.vs[slot].uuid, attr);
		type = (int)sf.vs[slot].info.type_index;
		pthread_mutex_unlock(&sf.lock);
		break;
	default:
		attr = other[(op->a[1] >> 8) % ARRAY_SIZE(other)];
		snprintf(path, sizeof(path), "%s", attr);
		break;
	}
	if (!write_it) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		len = op->a[5] % 4 ? sizeof(buf) : 1 + (size_t)rng_below(&r, 64);
		ret = pread(fd, buf, len, (off_t)(op->a[5] % 8 == 1 ? rng_below(&r, 300) : 0)) < 0
		      ? -errno : 0;
		close(fd);
		return ret;
	}
	if (strstr(attr, "migration_version")) {
		len = mv_string(&r, type, op->a[5] >> 8, buf, sizeof(buf));
	} else if (!strcmp(attr, "remove")) {
		/* never a value that removes: kstrtoul() must fail or give 0 */
		static const char *const no[] = { "0", "00", "abc", "", "-1", "1a",
						  "0x", "99999999999999999999999" };

		snprintf(buf, sizeof(buf), "%s", no[op->a[5] % ARRAY_SIZE(no)]);
		len = strlen(buf);
	} else if (!strcmp(attr, "uevent")) {
		return 0;
	} else {
		len = (size_t)sf_pick_size(&r, 128);
		sf_fill(&r, buf, len);
	}
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (op->a[5] % 16 == 3 && len > 2) {	/* in two writes */
		ret = write(fd, buf, len / 2) < 0 ? -errno : 0;
		if (write(fd, buf + len / 2, len - len / 2) < 0)
			ret = -errno;
	} else {
		ret = write(fd, buf, len) < 0 ? -errno : 0;
	}
	close(fd);
	return ret;
}

/* ---- fds across processes ---------------------------------------------------------------- */

static int send_fds(int sock, const int *fds, int n, uint8_t tag)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 4)];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = &tag, .iov_len = 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;

	if (n > 4)
		n = 4;
	memset(&u, 0, sizeof(u));
	if (n) {
		m.msg_control = u.buf;
		m.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)n);
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)n);
	}
	return sendmsg(sock, &m, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 ? -errno : 0;
}

/* Returns the number of fds received into @fds (at most 4), tag in @tag. */
static int recv_fds(int sock, int *fds, uint8_t *tag)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 8)];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = tag, .iov_len = 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *c;
	int n = 0;

	if (recvmsg(sock, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) < 0)
		return -errno;
	for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		int k;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		for (int i = 0; i < k; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (n < 4)
				fds[n++] = fd;
			else
				close(fd);
		}
	}
	return n;
}

/* The kind of a received fd, from its /proc link; -1 if not ours to keep. */
static int fd_kind(int fd, bool *saving)
{
	char p[64], l[128];
	ssize_t n;

	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	n = readlink(p, l, sizeof(l) - 1);
	if (n < 0)
		return -1;
	l[n] = 0;
	*saving = strstr(l, "mvgpu_save") != NULL;
	if (strstr(l, "mvgpu_save") || strstr(l, "mvgpu_load"))
		return R_DATA;
	if (strstr(l, "eventfd"))
		return R_EVENTFD;
	return -1;	/* device, group: we could not tell its vGPU: close it */
}

static void adopt_fds(const struct op *op, const int *fds, int n, unsigned base)
{
	for (int i = 0; i < n; i++) {
		bool saving = false;
		int k = fd_kind(fds[i], &saving);
		struct res *r;

		if (k == R_DATA) {
			sf_add_data_fd(op, base + (unsigned)i, -1, fds[i],
				       saving ? SF_ST_STOP_COPY : SF_ST_RESUMING);
		} else if (k == R_EVENTFD) {
			res_make_room(R_EVENTFD, -1, 6);
			r = res_new(R_EVENTFD, -1);
			r->fd = fds[i];
			res_add(r, sf_new_id(op, base + (unsigned)i));
		} else {
			close(fds[i]);
		}
	}
}

/* What a child does with an fd it was given: no allocation, only syscalls. */
static void child_use(int fd, struct rng *r, int sock)
{
	uint8_t b[256];
	int nfd;

	switch (rng_below(r, 8)) {
	case 0: read(fd, b, sizeof(b)); break;
	case 1: write(fd, b, rng_below(r, sizeof(b))); break;
	case 2: {
		struct vfio_device_info di = { .argsz = sizeof(di) };

		ioctl(fd, VFIO_DEVICE_GET_INFO, &di);
		break;
	}
	case 3: {
		uint32_t pi[6] = { 24 };

		ioctl(fd, SF_MIG_GET_PRECOPY_INFO, pi);
		break;
	}
	case 4:		/* a migration started by the child, its fd sent back */
		if (!sf_set_state(fd, (uint32_t)(1 + rng_below(r, 7)), &nfd) && nfd >= 0) {
			send_fds(sock, &nfd, 1, 'd');
			close(nfd);
		}
		break;
	case 5: {
		struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT };

		poll(&p, 1, 1);
		break;
	}
	case 6: close(fd); break;
	default: ioctl(fd, VFIO_DEVICE_RESET); break;
	}
}

SF_OP(fork)
{
	struct rng r;
	int sv[2], fds[3], n = 0, back[4], nb, status;
	uint8_t tag;
	pid_t pid;
	uint64_t t0;

	(void)t;
	rng_seed(&r, op->a[SF_ASEED]);
	for (int i = 0; i < SF_NRES; i++)
		if (op->r[i])
			fds[n++] = op->r[i]->fd;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return -errno;
	atomic_fetch_add(&sf.children, 1);
	pid = fork();
	if (pid < 0) {
		atomic_fetch_sub(&sf.children, 1);
		close(sv[0]);
		close(sv[1]);
		return -errno;
	}
	if (pid == 0) {
		struct pollfd p = { .fd = sv[1], .events = POLLIN };
		int got[4], k = 0;

		close(sv[0]);
		if (poll(&p, 1, 200) > 0)
			k = recv_fds(sv[1], got, &tag);
		for (int i = 0; i < k; i++)
			child_use(got[i], &r, sv[1]);
		/* and the inherited copies, all of them, go at exit */
		if (rng_chance(&r, 1, 2))
			sf_sleep_us(rng_below(&r, 20000));
		_exit(0);
	}
	close(sv[1]);
	send_fds(sv[0], fds, n, 'p');
	if (op->a[1] % 3 == 0)		/* the child's copies become the last ones */
		for (int i = 0; i < SF_NRES; i++)
			if (op->r[i] && op->r[i]->kind == R_DATA)
				res_kill(op->r[i]);
	t0 = sf_now_ms();
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid)
			break;
		nb = recv_fds(sv[0], back, &tag);
		if (nb > 0)
			adopt_fds(op, back, nb, 4);
		if (sf_now_ms() - t0 > (op->a[2] % 4 ? 500 : op->a[2] % 50))
			kill(pid, SIGKILL);	/* mid-op, now and then */
		sf_sleep_us(1000);
	}
	atomic_fetch_sub(&sf.children, 1);
	nb = recv_fds(sv[0], back, &tag);
	if (nb > 0)
		adopt_fds(op, back, nb, 8);
	close(sv[0]);
	return 0;
}

SF_OP(scm)
{
	struct rng r;
	struct res *s;
	int sv[2], fds[3], n = 0, got[4], k;
	unsigned mask = 0;
	uint8_t tag;

	(void)t;
	rng_seed(&r, op->a[SF_ASEED]);
	switch (op->a[1] % 5) {
	case 0: case 1:		/* fds in flight in a new socket pair */
		if (socketpair(AF_UNIX, (op->a[2] % 2 ? SOCK_STREAM : SOCK_DGRAM) |
			       SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv))
			return -errno;
		for (int i = 0; i < SF_NRES; i++) {
			if (!op->r[i])
				continue;
			fds[n++] = op->r[i]->fd;
			if (op->r[i]->vgpu >= 0)
				mask |= 1u << op->r[i]->vgpu;
			if (op->r[i]->kind == R_SOCK)
				mask |= op->r[i]->vgpu_mask;
		}
		send_fds(sv[0], fds, n, 's');
		if (op->a[3] % 3 == 0 && sf_quirk(Q_DATAFD_AFTER_REMOVE)) {
			/* itself too: a cycle for the unix gc (its kworker
			 * drops the last references: delayed fput) */
			send_fds(sv[1], &sv[0], 1, 'c');
			send_fds(sv[0], &sv[1], 1, 'c');
		}
		res_make_room(R_SOCK, -1, 3);
		s = res_new(R_SOCK, -1);
		s->fd = sv[0];
		s->fd2 = sv[1];
		s->vgpu_mask = mask;
		res_add(s, sf_new_id(op, 0));
		return 0;
	case 2:			/* take what is in flight back */
		s = res_pick(RK(R_SOCK), -1, op->a[2]);
		if (!s)
			return -ENOENT;
		k = recv_fds(s->fd2, got, &tag);
		res_put(s);
		if (k > 0)
			adopt_fds(op, got, k, 1);
		return k < 0 ? k : 0;
	}
	s = res_pick(RK(R_SOCK), -1, op->a[2]);	/* close it with fds in flight */
	if (!s)
		return -ENOENT;
	res_kill(s);
	res_put(s);
	return 0;
}

SF_OP(eventfd)
{
	struct rng r;
	struct res *e;
	uint64_t v;
	int fd;

	(void)t;
	rng_seed(&r, op->a[SF_ASEED]);
	switch (op->a[1] % 6) {
	case 0: case 1:
		fd = eventfd((unsigned)rng_below(&r, 3),
			     EFD_CLOEXEC | EFD_NONBLOCK | (op->a[2] % 2 ? EFD_SEMAPHORE : 0));
		if (fd < 0)
			return -errno;
		res_make_room(R_EVENTFD, -1, 6);
		e = res_new(R_EVENTFD, -1);
		e->fd = fd;
		res_add(e, sf_new_id(op, 0));
		return 0;
	}
	e = res_pick(RK(R_EVENTFD), -1, op->a[2]);
	if (!e)
		return -ENOENT;
	switch (op->a[1] % 6) {
	case 2:
		fd = read(e->fd, &v, 8) < 0 ? -errno : 0;
		break;
	case 3:
		v = op->a[3] % 4 ? 1 : ~0ull;
		fd = write(e->fd, &v, 8) < 0 ? -errno : 0;
		break;
	default:
		res_kill(e);
		fd = 0;
	}
	res_put(e);
	return fd;
}
