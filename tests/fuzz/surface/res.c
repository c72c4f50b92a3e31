// SPDX-License-Identifier: MIT
/*
 * res.c - the shared table of live resources (fds, mappings, DMA buffers)
 * that ops pick from; the vGPU slots and the sysfs/VFIO helpers that make
 * them; user buffers (some hostile) for syscalls; interesting values.
 *
 * A resource is closed only when it is dead (killed: out of the table) and
 * no op holds it any more, so an fd number is never reused under an op
 * that still uses it - while the kernel objects behind it go stale at will
 * (a data fd after a reset, a device fd after the vGPU was removed...).
 */
#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

const char *const sf_res_names[R_NKINDS] = {
	"group", "dev", "data", "map", "dma", "eventfd", "sock", "dmabuf",
};

/* ---- interesting values ---------------------------------------------------- */

uint64_t sf_pick_u64(struct rng *r)
{
	unsigned k = rng_below(r, 64);

	switch (rng_below(r, 16)) {
	case 0: return 0;
	case 1: return 1;
	case 2: return ~0ull;
	case 3: return 1ull << k;
	case 4: return (1ull << k) - 1;
	case 5: return (1ull << k) + 1;
	case 6: return 0x7fffffffffffffffull;
	case 7: return 0x8000000000000000ull;
	case 8: return 0xffffffffull;
	case 9: return 0x100000000ull;
	case 10: return rng_below(r, 256);
	case 11: return -(uint64_t)rng_below(r, 256);
	}
	return rng_next(r);
}

uint32_t sf_pick_u32(struct rng *r)
{
	unsigned k = rng_below(r, 32);

	switch (rng_below(r, 14)) {
	case 0: return 0;
	case 1: return 1;
	case 2: return ~0u;
	case 3: return 1u << k;
	case 4: return (1u << k) - 1;
	case 5: return (1u << k) + 1;
	case 6: return 0x7fffffff;
	case 7: return 0x80000000;
	case 8: return rng_below(r, 256);
	case 9: return -(uint32_t)rng_below(r, 256);
	case 10: return (uint32_t)rng_below(r, 0x1000) * 4;
	}
	return (uint32_t)rng_next(r);
}

uint64_t sf_pick_size(struct rng *r, uint64_t max)
{
	static const uint64_t small[] = { 0, 1, 2, 3, 4, 7, 8, 16, 31, 32, 33,
					  63, 64, 255, 256, 4095, 4096, 4097,
					  8192, 65536, 262144, 262148, 1 << 20 };
	uint64_t v;

	switch (rng_below(r, 8)) {
	case 0: case 1: case 2:
		v = small[rng_below(r, sizeof(small) / sizeof(small[0]))];
		break;
	case 3: v = rng_below(r, 64); break;
	case 4: v = rng_below(r, 4097); break;
	case 5: v = max; break;
	case 6: v = max ? max - 1 : 0; break;
	default: v = rng_below(r, max + 1); break;
	}
	return v > max ? max : v;
}

uint64_t sf_pick_off(struct rng *r, uint64_t size)
{
	switch (rng_below(r, 18)) {
	case 0: return 0;
	case 1: return 1;
	case 2: return 2;
	case 3: return 4;
	case 4: return size - 1;
	case 5: return size;
	case 6: return size + 1;
	case 7: return size - 4;
	case 8: return size - 4096;
	case 9: return size + 4096;
	case 10: return (1ull << 40) - 1;	/* the end of a region's window */
	case 11: return (1ull << 40) - 4;
	case 12: return rng_next(r) & ((1ull << 40) - 1);
	case 13: return rng_below(r, size + 1) & ~4095ull;
	case 14: return rng_below(r, size + 1) & ~3ull;
	}
	return rng_below(r, size + 1);
}

void sf_fill(struct rng *r, void *p, size_t len)
{
	uint8_t *b = p;
	size_t i, n = len < 4096 ? len : 4096;
	uint64_t v;

	/* random first page, copies of it after: cheap for megabytes */
	for (i = 0; i + 8 <= n; i += 8) {
		v = rng_next(r);
		memcpy(b + i, &v, 8);
	}
	for (; i < n; i++)
		b[i] = (uint8_t)rng_next(r);
	for (i = n; i < len; i += n)
		memcpy(b + i, b, len - i < n ? len - i : n);
}

/* ---- the table ------------------------------------------------------------------ */

struct res *res_new(int kind, int vgpu)
{
	struct res *r = calloc(1, sizeof(*r));

	if (!r)
		abort();
	r->kind = kind;
	r->vgpu = vgpu;
	r->fd = r->fd2 = -1;
	return r;
}

static void res_close(struct res *r)
{
	struct res *hold = r->hold;

	struct vfio_iommu_type1_dma_unmap um = { .argsz = sizeof(um) };

	switch (r->kind) {
	case R_MAP:
		sf_munmap(r->addr, r->len);
		break;
	case R_DMA:
		um.iova = r->iova;
		um.size = r->len;
		if (r->fd2 >= 0) {
			sf_container_enter();
			ioctl(r->fd2, VFIO_IOMMU_UNMAP_DMA, &um);
			sf_container_leave();
		}
		if (!r->borrowed)
			sf_dma_free(r->addr);
		break;
	}
	if (r->fd >= 0)
		close(r->fd);
	if (r->fd2 >= 0)
		close(r->fd2);
	free(r);
	res_put(hold);		/* the mapping a DMA buffer borrowed */
}

/* Kinds that hold the vGPU's device open, refused while it is going away. */
static bool holds_device(const struct res *r)
{
	return r->kind == R_DEV || r->kind == R_MAP || r->kind == R_GROUP ||
	       r->kind == R_SOCK || r->kind == R_DMABUF;
}

struct res *res_add(struct res *r, uint64_t id)
{
	int i;

	r->id = id;
	pthread_mutex_lock(&sf.lock);
	if (r->vgpu >= 0 && (holds_device(r) ||
			     (r->kind == R_DATA && !sf_quirk(Q_DATAFD_AFTER_REMOVE)) ||
			     (r->kind == R_DMA && !sf_quirk(Q_CONTAINER_VS_REMOVE))) &&
	    sf.vs[r->vgpu].state != VS_PRESENT)
		goto refuse;
	for (i = 0; i < SF_MAX_RES; i++) {
		if (!sf.res[i]) {
			sf.res[i] = r;
			pthread_mutex_unlock(&sf.lock);
			return r;
		}
	}
refuse:
	pthread_mutex_unlock(&sf.lock);
	res_close(r);
	return NULL;
}

struct res *res_get(uint64_t id, unsigned kinds)
{
	struct res *found = NULL;

	pthread_mutex_lock(&sf.lock);
	for (int i = 0; i < SF_MAX_RES; i++) {
		struct res *r = sf.res[i];

		if (r && !r->dead && r->id == id && (kinds & RK(r->kind))) {
			r->users++;
			found = r;
			break;
		}
	}
	pthread_mutex_unlock(&sf.lock);
	return found;
}

struct res *res_pick(unsigned kinds, int vgpu, uint64_t pick)
{
	return res_pick_dir(kinds, vgpu, -1, pick);
}

struct res *res_pick_dir(unsigned kinds, int vgpu, int dir, uint64_t pick)
{
	struct res *m[SF_MAX_RES], *found = NULL;
	int n = 0;

	pthread_mutex_lock(&sf.lock);
	for (int i = 0; i < SF_MAX_RES; i++) {
		struct res *r = sf.res[i];

		if (r && !r->dead && (kinds & RK(r->kind)) &&
		    (vgpu < 0 || r->vgpu == vgpu) &&
		    (dir < 0 || r->kind != R_DATA || r->saving == (dir == 1)))
			m[n++] = r;
	}
	if (n) {
		found = m[pick % n];
		found->users++;
	}
	pthread_mutex_unlock(&sf.lock);
	return found;
}

static void res_unlink_locked(struct res *r)
{
	for (int i = 0; i < SF_MAX_RES; i++)
		if (sf.res[i] == r)
			sf.res[i] = NULL;
}

void res_put(struct res *r)
{
	bool close_it;

	if (!r)
		return;
	pthread_mutex_lock(&sf.lock);
	close_it = --r->users == 0 && r->dead;
	if (close_it)
		res_unlink_locked(r);
	pthread_mutex_unlock(&sf.lock);
	if (close_it)
		res_close(r);
}

void res_kill(struct res *r)
{
	bool close_it;

	if (!r)
		return;
	pthread_mutex_lock(&sf.lock);
	close_it = !r->dead && r->users == 0;
	r->dead = true;
	if (close_it)
		res_unlink_locked(r);
	pthread_mutex_unlock(&sf.lock);
	if (close_it)
		res_close(r);
}

int res_count(unsigned kinds, int vgpu)
{
	int n = 0;

	pthread_mutex_lock(&sf.lock);
	for (int i = 0; i < SF_MAX_RES; i++) {
		struct res *r = sf.res[i];

		if (r && !r->dead && (kinds & RK(r->kind)) &&
		    (vgpu < 0 || r->vgpu == vgpu))
			n++;
	}
	pthread_mutex_unlock(&sf.lock);
	return n;
}

/* Kills what @match selects: marks under the lock, closes outside it. */
static void kill_matching(bool (*match)(const struct res *, int, bool), int v,
			  bool keep)
{
	struct res *now[SF_MAX_RES];
	int n = 0;

	pthread_mutex_lock(&sf.lock);
	for (int i = 0; i < SF_MAX_RES; i++) {
		struct res *r = sf.res[i];

		if (!r || r->dead || !match(r, v, keep))
			continue;
		r->dead = true;
		if (!r->users) {
			sf.res[i] = NULL;
			now[n++] = r;
		}
	}
	pthread_mutex_unlock(&sf.lock);
	while (n)
		res_close(now[--n]);
}

static bool match_vgpu(const struct res *r, int v, bool keep_data);

static bool match_vgpu_no_container(const struct res *r, int v, bool keep_data)
{
	return r->kind != R_DMA && r->kind != R_GROUP && match_vgpu(r, v, keep_data);
}

/* All but the resources whose close is a container ioctl. */
void res_kill_vgpu_devices(int vgpu, bool keep_data)
{
	kill_matching(match_vgpu_no_container, vgpu, keep_data);
}

static bool match_vgpu(const struct res *r, int v, bool keep_data)
{
	if (r->kind == R_SOCK)
		return r->vgpu_mask & (1u << v);
	/* --disable datafd-after-remove: adopted data fds (vGPU unknown) too */
	if (r->kind == R_DATA && r->vgpu < 0 && !keep_data)
		return true;
	if (r->vgpu != v || (keep_data && r->kind == R_DATA))
		return false;
	return r->kind != R_EVENTFD;
}

void res_kill_vgpu(int vgpu, bool keep_data)
{
	kill_matching(match_vgpu, vgpu, keep_data);
}

int res_pending(unsigned kinds)
{
	int n = 0;

	pthread_mutex_lock(&sf.lock);
	for (int i = 0; i < SF_MAX_RES; i++) {
		struct res *r = sf.res[i];

		if (r && r->dead && (kinds & RK(r->kind)))
			n++;
	}
	pthread_mutex_unlock(&sf.lock);
	return n;
}

static bool match_all(const struct res *r, int v, bool keep)
{
	(void)r;
	(void)v;
	(void)keep;
	return true;
}

void res_kill_all(void)
{
	kill_matching(match_all, 0, false);
}

void res_make_room(int kind, int vgpu, int max)
{
	struct res *oldest;

	while (res_count(RK(kind), vgpu) >= max) {
		uint64_t best = ~0ull;

		oldest = NULL;
		pthread_mutex_lock(&sf.lock);
		for (int i = 0; i < SF_MAX_RES; i++) {
			struct res *r = sf.res[i];

			if (r && !r->dead && r->kind == kind &&
			    (vgpu < 0 || r->vgpu == vgpu) && r->id < best) {
				best = r->id;
				oldest = r;
			}
		}
		if (oldest)
			oldest->users++;
		pthread_mutex_unlock(&sf.lock);
		if (!oldest)
			return;
		res_kill(oldest);
		res_put(oldest);
	}
}

uint64_t sf_new_id(const struct op *op, unsigned n)
{
	return op->seq * 16 + (n & 15);
}

int sf_vgpu_of(const struct res *r)
{
	return r ? r->vgpu : -1;
}

/* ---- sysfs and VFIO ----------------------------------------------------------------- */

void sf_uuid(uint64_t seed, char out[40])
{
	struct rng r;
	uint8_t b[16];

	rng_seed(&r, seed);
	for (int i = 0; i < 16; i++)
		b[i] = (uint8_t)rng_next(&r);
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(out, 40,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
		 b[10], b[11], b[12], b[13], b[14], b[15]);
}

int sf_write_file(const char *path, const void *s, size_t len)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, len) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

int sf_read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	return (int)n;
}

static int cmp_parent(const void *a, const void *b)
{
	const char *x = a, *y = b;
	int vx = !!strstr(x, "/mvgpu"), vy = !!strstr(y, "/mvgpu");

	/* virtual parents first, then PCI ones */
	return vx != vy ? vy - vx : strcmp(x, y);
}

int sf_find_parents(void)
{
	DIR *d = opendir("/sys/class/mdev_bus");
	struct dirent *e;
	char p[SF_PATH + 64];

	sf.nparents = 0;
	if (!d)
		return 0;
	while ((e = readdir(d)) && sf.nparents < 2) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p),
			 "/sys/class/mdev_bus/%s/mdev_supported_types/mvgpu-64M",
			 e->d_name);
		if (access(p, F_OK))
			continue;
		snprintf(sf.parents[sf.nparents++], SF_PATH,
			 "/sys/class/mdev_bus/%s", e->d_name);
	}
	closedir(d);
	qsort(sf.parents, sf.nparents, SF_PATH, cmp_parent);
	return sf.nparents;
}

int sf_vgpu_create(int slot)
{
	struct vslot *v = &sf.vs[slot];
	char p[SF_PATH + 64];

	snprintf(p, sizeof(p), "%s/mdev_supported_types/mvgpu-%s/create",
		 v->parent, v->type);
	return sf_write_file(p, v->uuid, strlen(v->uuid));
}

void *sf_remover_main(void *arg)
{
	struct sf_remover *rm = arg;

	rm->ret = sf_write_file(rm->path, rm->what, strlen(rm->what));
	atomic_store(&rm->done, 1);
	return NULL;
}

/*
 * Fds in flight in a unix socket cycle whose own fds we closed (scm op)
 * are dropped only by the unix garbage collector, and the kernel runs it
 * only when some unix socket is released while fds are in flight
 * (unix_release_sock()).  A removal that waits for such a device fd waits
 * for the next release anywhere on the host; while we remove, we are that
 * release.  A VFIO user that keeps its fds reachable can hold a removal as
 * long as it likes (docs/threat-model.md): that is the VFIO core's rule,
 * not a hang of ours.
 */
void sf_poke_unix_gc(void)
{
	int sv[2];

	if (!socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
		close(sv[0]);
		close(sv[1]);
	}
}

/* The removal blocks while the device is held: in a thread, the unix gc
 * poked every 500 ms meanwhile (a garbage cycle may hold a device fd: the
 * teardown closes every socket at once, and the collector may have run
 * before the last close made the cycle garbage). */
int sf_vgpu_remove_uuid(const char *uuid)
{
	struct sf_remover rm;
	uint64_t last = 0;

	memset(&rm, 0, sizeof(rm));
	snprintf(rm.path, sizeof(rm.path), "/sys/bus/mdev/devices/%s/remove", uuid);
	snprintf(rm.what, sizeof(rm.what), "1");
	if (pthread_create(&rm.pt, NULL, sf_remover_main, &rm))
		return sf_write_file(rm.path, rm.what, 1);
	while (!atomic_load(&rm.done)) {
		if (sf_now_ms() - last >= 500) {
			sf_poke_unix_gc();
			last = sf_now_ms();
		}
		sf_sleep_us(1000);
	}
	pthread_join(rm.pt, NULL);
	return rm.ret;
}

int sf_open_group(const char *uuid, int *group, int *container, int iommu)
{
	char p[SF_PATH], link[SF_PATH];
	ssize_t n;
	int ret;

	*group = *container = -1;
	snprintf(p, sizeof(p), "/sys/bus/mdev/devices/%s/iommu_group", uuid);
	n = readlink(p, link, sizeof(link) - 1);
	if (n < 0)
		return -errno;
	link[n] = 0;
	snprintf(p, sizeof(p), "/dev/vfio/%s", basename(link));
	*container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (*container < 0)
		return -errno;
	*group = open(p, O_RDWR | O_CLOEXEC);
	if (*group < 0)
		goto err;
	if (ioctl(*group, VFIO_GROUP_SET_CONTAINER, container))
		goto err;
	if (ioctl(*container, VFIO_SET_IOMMU, iommu))
		goto err;
	return 0;
err:
	ret = -errno;
	if (*group >= 0)
		close(*group);
	close(*container);
	*group = *container = -1;
	return ret;
}

int sf_vgpu_open(int slot, const struct op *op, unsigned base)
{
	struct vslot *v = &sf.vs[slot];
	int g, c, d, ret;
	struct res *r;

	ret = sf_open_group(v->uuid, &g, &c, VFIO_TYPE1v2_IOMMU);
	if (ret)
		return ret;
	d = ioctl(g, VFIO_GROUP_GET_DEVICE_FD, v->uuid);
	if (d < 0)
		ret = -errno;
	r = res_new(R_GROUP, slot);
	r->fd = g;
	r->fd2 = c;
	res_add(r, op ? sf_new_id(op, base) : 1 + (uint64_t)slot * 4);
	if (d < 0)
		return ret;
	r = res_new(R_DEV, slot);
	r->fd = d;
	res_add(r, op ? sf_new_id(op, base + 1) : 2 + (uint64_t)slot * 4);
	memset(v->ch, 0, sizeof(v->ch));
	return 0;
}

uint64_t sf_region_off(unsigned index)
{
	return (uint64_t)index << 40;	/* mvgpu's layout, as vfio-pci's */
}

/* ---- DMA memory ------------------------------------------------------------------------ */

#define SF_DMA_SLOTS	24
#define SF_DMA_SLOT	(2u << 20)

static uint8_t *dma_pool;
static bool dma_used[SF_DMA_SLOTS];

void *sf_dma_alloc(size_t len)
{
	void *p = NULL;

	if (len > SF_DMA_SLOT)
		return NULL;
	pthread_mutex_lock(&sf.lock);
	if (!dma_pool) {
		dma_pool = sf_mmap(NULL, (size_t)SF_DMA_SLOTS * SF_DMA_SLOT,
				   PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (dma_pool == MAP_FAILED)
			dma_pool = NULL;
	}
	for (int i = 0; dma_pool && i < SF_DMA_SLOTS; i++) {
		if (!dma_used[i]) {
			dma_used[i] = true;
			p = dma_pool + (size_t)i * SF_DMA_SLOT;
			break;
		}
	}
	pthread_mutex_unlock(&sf.lock);
	return p;
}

void sf_dma_free(void *p)
{
	size_t i = (size_t)((uint8_t *)p - dma_pool) / SF_DMA_SLOT;

	if (!dma_pool || (uint8_t *)p < dma_pool || i >= SF_DMA_SLOTS)
		return;
	madvise(p, SF_DMA_SLOT, MADV_DONTNEED);		/* zeroes for the next user */
	pthread_mutex_lock(&sf.lock);
	dma_used[i] = false;
	pthread_mutex_unlock(&sf.lock);
}

/* ---- user buffers ----------------------------------------------------------------------- */

const char *const sf_buf_names[] = {
	"heap", "null", "low", "kernel", "none", "cross", "ro", "fresh", "uffd", "map",
};

#define SF_UFFD_LEN	(1u << 20)

void *sf_buf(struct thr *t, uint64_t sel, size_t len, bool fill,
	     struct rng *r, struct res *map, int *kind)
{
	unsigned s = sel % 64;
	int k = BUF_HEAP;
	void *p = t->buf;

	if (s >= 44 && s < 62) {
		switch (s) {
		case 44: case 45: k = BUF_NULL; p = NULL; break;
		case 46: k = BUF_LOW; p = (void *)0x1000; break;
		case 47: k = BUF_KERNEL; p = (void *)0xffff888000000000ull; break;
		case 48: case 49: k = BUF_NONE; p = t->guard + 4096; break;
		case 50: case 51: case 52:
			k = BUF_CROSS;
			p = t->guard + 4096 - (len < 8192 ? len / 2 : 4096);
			break;
		case 53:
			if (len <= 4096) {
				k = BUF_RO;
				p = t->ro;
			}
			break;
		case 54: case 55: case 56:
			if (len) {
				p = sf_mmap(NULL, len, PROT_READ | PROT_WRITE,
					 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
					 -1, 0);
				if (p == MAP_FAILED) {
					p = t->buf;
				} else {
					k = BUF_FRESH;
					t->fresh = p;
					t->fresh_len = len;
				}
			}
			break;
		case 57: case 58: case 59:
			if (t->uffd && len <= SF_UFFD_LEN) {
				k = BUF_UFFD;
				p = t->uffd;
				madvise(p, SF_UFFD_LEN, MADV_DONTNEED);
				atomic_store(&t->uffd_delay_us,
					     (int)((sel >> 8) % 200000));
			}
			break;
		case 60: case 61:
			if (map && map->len >= len) {
				k = BUF_MAP;
				p = (uint8_t *)map->addr +
				    ((sel >> 8) % (map->len - len + 1));
			}
			break;
		}
	}
	if (k == BUF_HEAP && len > SF_BUF)
		abort();	/* callers clip lengths to SF_BUF */
	if (k == BUF_HEAP && fill)
		sf_fill(r, p, len);
	if (kind)
		*kind = k;
	return p;
}

void sf_buf_done(struct thr *t)
{
	if (t->fresh) {
		sf_munmap(t->fresh, t->fresh_len);
		t->fresh = NULL;
	}
	if (t->uffd)
		atomic_store(&t->uffd_delay_us, 0);
}
