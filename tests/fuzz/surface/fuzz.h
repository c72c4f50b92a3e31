/* SPDX-License-Identifier: MIT */
/*
 * fuzz.h - mvgpu-surface-fuzz: an in-lab fuzzer of everything mvgpu.ko
 * offers userspace (docs/fuzzing.md).
 *
 * An op is a kind (the catalogue in ops.c) and SF_NARGS random 64-bit
 * arguments.  The executor (exec.c) draws the arguments from a per-thread
 * PRNG, resolves the resources the kind needs from a shared table (res.c),
 * logs the op (oplog.c) and only then runs it: every random choice an op
 * makes is derived from its arguments (a[SF_ASEED] seeds a local PRNG for
 * contents), so a logged op can be re-executed (--replay).
 *
 * Files: fuzz.h (this), main.c (options, setup, summary), exec.c
 * (threads, kmsg monitor, watchdog, userfaultfd), res.c (resources, vGPUs,
 * VFIO and sysfs helpers, user buffers), ops_dev.c (device ioctls, regions,
 * mmap, DMA and channels), ops_mig.c (migration v2 and v1, streams),
 * ops_life.c (open/close, mdev remove/create, sysfs, fork + SCM_RIGHTS),
 * stream.c (hostile streams on proto's encoder), oplog.c (rings, log file,
 * replay parsing).
 */
#ifndef SF_FUZZ_H
#define SF_FUZZ_H

#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "mvgpu_abi.h"
#include "mvgpu_compat.h"

#define SF_MAX_THREADS	4
#define SF_MAX_VGPUS	2
#define SF_NARGS	8
#define SF_ASEED	7	/* a[7]: seed of the op's local PRNG */
#define SF_APICK	6	/* a[6]: resource picks */
#define SF_NRES		3
#define SF_MAX_RES	256
#define SF_RING		64	/* ops kept per thread for a report */
#define SF_LINE		256
#define SF_PATH		512
#define SF_BUF		(4u << 20)	/* per-thread scratch buffer */

/* ---- uAPI the 6.1 headers of Debian 12 lack (values from 6.12) ---------- */
#define SF_VFIO_TYPE		(';')
#define SF_VFIO_BASE		100
#define SF_ST_ERROR		0
#define SF_ST_STOP		1
#define SF_ST_RUNNING		2
#define SF_ST_STOP_COPY		3
#define SF_ST_RESUMING		4
#define SF_ST_RUNNING_P2P	5
#define SF_ST_PRE_COPY		6
#define SF_ST_PRE_COPY_P2P	7
#define SF_FEAT_MIGRATION	1
#define SF_FEAT_MIG_STATE	2
#define SF_FEAT_MIG_DATA_SIZE	9
#define SF_MIG_GET_PRECOPY_INFO	_IO(SF_VFIO_TYPE, SF_VFIO_BASE + 21)
#define SF_V1_REGION		9
#define SF_V1_DATA		4096u
#define SF_V1_AREA		(1u << 20)

/* ---- PRNG: xoshiro256**, seeded through splitmix64 ---------------------- */
struct rng {
	uint64_t s[4];
};

static inline uint64_t sf_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static inline void rng_seed(struct rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++) {
		seed = sf_mix(seed + (uint64_t)i);
		r->s[i] = seed | (i == 0);	/* never all zero */
	}
}

static inline uint64_t rng_next(struct rng *r)
{
	uint64_t *s = r->s, res = ((s[1] * 5) << 7 | (s[1] * 5) >> 57) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = s[3] << 45 | s[3] >> 19;
	return res;
}

/* 0 .. n-1 (n > 0) */
static inline uint64_t rng_below(struct rng *r, uint64_t n)
{
	return n ? rng_next(r) % n : 0;
}

/* true with probability num/den */
static inline bool rng_chance(struct rng *r, unsigned num, unsigned den)
{
	return rng_below(r, den) < num;
}

/* Interesting values (res.c): boundaries mixed with randomness. */
uint64_t sf_pick_u64(struct rng *r);
uint32_t sf_pick_u32(struct rng *r);
uint64_t sf_pick_size(struct rng *r, uint64_t max);	/* a length, often small */
uint64_t sf_pick_off(struct rng *r, uint64_t size);	/* an offset near 0 / size */
void sf_fill(struct rng *r, void *p, size_t len);

/* ---- Resources ------------------------------------------------------------ */
enum res_kind {
	R_GROUP,	/* fd: group, fd2: container */
	R_DEV,		/* a device fd */
	R_DATA,		/* a migration data fd */
	R_MAP,		/* an mmap of a device region (addr, len, region, roff) */
	R_DMA,		/* anonymous memory mapped for DMA (addr, len, iova; fd2: container dup) */
	R_EVENTFD,
	R_SOCK,		/* a unix socketpair (fd, fd2), maybe with fds in flight */
	R_DMABUF,
	R_NKINDS
};
#define RK(k)		(1u << (k))
#define RK_FDS		(RK(R_GROUP) | RK(R_DEV) | RK(R_DATA) | RK(R_EVENTFD) | \
			 RK(R_SOCK) | RK(R_DMABUF))

extern const char *const sf_res_names[R_NKINDS];

struct res {
	uint64_t id;
	int kind;
	int vgpu;		/* slot, or -1 */
	int fd, fd2;
	int users;		/* ops holding it; closed when dead and 0 */
	bool dead;
	bool saving;		/* R_DATA: a saving fd (else resuming) */
	uint64_t last_initial;	/* R_DATA saving: last PRECOPY initial_bytes */
	void *addr;		/* R_MAP, R_DMA */
	size_t len;
	unsigned region;	/* R_MAP */
	uint64_t roff;
	int prot;		/* R_MAP */
	uint64_t iova;		/* R_DMA */
	bool borrowed;		/* R_DMA: addr is another resource's mapping */
	struct res *hold;	/* R_DMA: that resource, held while this lives */
	unsigned vgpu_mask;	/* R_SOCK: vGPUs whose fds may be in flight */
};

/* ---- vGPUs ------------------------------------------------------------------ */
enum { VS_ABSENT, VS_PRESENT, VS_REMOVING };

struct chan_shadow {
	uint64_t dma_id;	/* the R_DMA holding the ring, 0 = none */
	uint64_t off;		/* ring offset inside it */
	uint32_t size;
	uint32_t put;
};

struct vslot {
	int state;
	char uuid[40];
	char parent[SF_PATH];	/* /sys/class/mdev_bus/<name> */
	char type[16];		/* "64M" */
	uint64_t fb_size;
	struct mvgpu_compat_info info;	/* its migration_version, parsed */
	struct chan_shadow ch[4];
};

/* ---- Ops -------------------------------------------------------------------- */
struct op {
	uint64_t seq;
	uint32_t kind;
	uint32_t thread;
	uint64_t a[SF_NARGS];
	uint64_t rid[SF_NRES];	/* resolved resource ids (0 none); preset by --replay */
	struct res *r[SF_NRES];
};

struct thr;
typedef int (*sf_run_fn)(struct thr *t, struct op *op);

#define NEED_OPT	1u	/* the op runs without it */
#define NEED_SAME	2u	/* prefer the vGPU of r[0] */
#define NEED_SAVING	4u	/* R_DATA: a saving fd (mostly) */
#define NEED_RESUMING	8u	/* R_DATA: a resuming fd (mostly) */

struct opdef {
	const char *name;
	sf_run_fn run;
	unsigned weight;
	unsigned need[SF_NRES];
	unsigned flags[SF_NRES];
};

extern const struct opdef sf_ops[];
extern const unsigned sf_nops;
int sf_op_by_name(const char *name);

/*
 * Behaviours inside ops that --disable also takes by name, to run past a
 * known kernel bug until it is fixed (docs/fuzzing.md lists them).
 */
enum sf_quirk {
	Q_DATAFD_AFTER_REMOVE,	/* data fds kept open across vGPU removal */
	Q_IRQ_BOOL_COUNT0,	/* SET_IRQS MASK/UNMASK | DATA_BOOL with count 0 */
	Q_ZERO_STORM,		/* ZERO records over the whole framebuffer, megabytes */
	Q_CONTAINER_VS_REMOVE,	/* type1 container ioctls racing a vGPU's removal */
	Q_NR
};
extern const char *const sf_quirk_names[Q_NR];
bool sf_quirk(enum sf_quirk q);		/* true: allowed */
/* Around a type1 container ioctl; exclusive around a vGPU's removal while
 * --disable container-vs-remove is in force. */
void sf_container_enter(void);
void sf_container_leave(void);
void sf_removal_enter(void);
void sf_removal_leave(void);

/* ops_*.c: each returns 0 or a negative errno (for the statistics) */
#define SF_OP(name) int op_##name(struct thr *t __attribute__((unused)), struct op *op)
SF_OP(get_info); SF_OP(region_info); SF_OP(irq_info); SF_OP(set_irqs);
SF_OP(reset); SF_OP(feature); SF_OP(gfx_plane); SF_OP(gfx_dmabuf);
SF_OP(dev_ioctl); SF_OP(region_rw); SF_OP(mmio); SF_OP(cfg); SF_OP(fb_rw);
SF_OP(mmap); SF_OP(map_touch); SF_OP(munmap); SF_OP(dma_map);
SF_OP(dma_unmap); SF_OP(ring_setup); SF_OP(ring_submit); SF_OP(chan_ctrl);
SF_OP(mig_state); SF_OP(mig_get); SF_OP(data_read); SF_OP(data_write);
SF_OP(data_poll); SF_OP(data_ioctl); SF_OP(data_close); SF_OP(data_misc);
SF_OP(data_pipe); SF_OP(stream_v2); SF_OP(stream_v1); SF_OP(v1_hdr);
SF_OP(v1_save); SF_OP(dev_open); SF_OP(dev_close); SF_OP(group_reopen);
SF_OP(mdev_remove); SF_OP(mdev_create); SF_OP(sysfs); SF_OP(fork);
SF_OP(scm); SF_OP(eventfd); SF_OP(parent_unbind);

/* ---- Threads ------------------------------------------------------------------ */
struct thr {
	int idx;
	pthread_t pt;
	struct rng rng;
	uint8_t *buf;		/* SF_BUF scratch */
	uint8_t *guard;		/* [rw page][PROT_NONE page] */
	uint8_t *ro;		/* a read-only page */
	void *fresh;		/* an untouched mapping for this op, or NULL */
	size_t fresh_len;
	uint8_t *uffd;		/* userfaultfd-registered area, or NULL */
	atomic_int uffd_delay_us;	/* stall of the next fault there */
	sigjmp_buf jb;
	volatile sig_atomic_t in_touch;
	char ring[SF_RING][SF_LINE];
	atomic_uint ring_n;		/* lines written */
	_Atomic uint64_t cur_seq;	/* op in progress, 0 = idle */
	_Atomic uint64_t cur_start_ms;
	uint64_t nops;
	bool done;
};

/* ---- The run -------------------------------------------------------------------- */
struct sf_stats {
	atomic_ulong ops, ok, skipped, ms;
};

struct sf {
	pthread_mutex_t lock;		/* res[], vs[] */
	struct res *res[SF_MAX_RES];
	struct vslot vs[SF_MAX_VGPUS];
	int nvgpus;
	char parents[2][SF_PATH];
	int nparents;

	/* options */
	uint64_t seed;
	int nthreads;
	unsigned seconds;
	uint64_t max_ops;
	bool verbose;
	bool disabled[64];
	bool quirk_off[8];
	const char *replay;
	char type[16];
	unsigned hang_secs;
	unsigned stream_max_mb;
	char logpath[SF_PATH];
	bool strict;
	bool no_poweroff;
	bool trace_maps;

	/* state */
	atomic_bool stop;
	atomic_int report;		/* 0, or why we stop: SF_REP_* */
	_Atomic uint64_t seq;
	atomic_ulong anomalies;
	atomic_int children;		/* forked children alive */
	int logfd;
	int uffd;			/* -1 if userfaultfd is unavailable */
	uint64_t t0_ms;
	struct thr thr[SF_MAX_THREADS];
	struct sf_stats st[64];
	struct mvgpu_compat_info types[MVGPU_NUM_TYPES];
	char mv_string[MVGPU_NUM_TYPES][MVGPU_COMPAT_STR_MAX];
};

enum { SF_REP_NONE, SF_REP_KERNEL, SF_REP_HANG, SF_REP_CRASH };

extern struct sf sf;

uint64_t sf_now_ms(void);
void sf_sleep_us(uint64_t us);
#define sf_msg(...)	sf_log_msg(__VA_ARGS__)
void sf_log_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void sf_anomaly(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* res.c: the table */
struct res *res_new(int kind, int vgpu);	/* zeroed, fds -1; not in the table */
/* Adds @r with id @id; closes it instead (returns NULL) if the table is
 * full or its vGPU is being removed. */
struct res *res_add(struct res *r, uint64_t id);
struct res *res_get(uint64_t id, unsigned kinds);	/* a reference, or NULL */
struct res *res_pick(unsigned kinds, int vgpu, uint64_t pick);	/* vgpu -1: any */
/* dir: R_DATA saving (1) or resuming (0) only; -1 either */
struct res *res_pick_dir(unsigned kinds, int vgpu, int dir, uint64_t pick);
void res_put(struct res *r);
void res_kill(struct res *r);		/* out of the table; closed at the last put */
int res_count(unsigned kinds, int vgpu);
/* Kills every resource of a vGPU (R_DATA too unless keep_data). */
void res_kill_vgpu(int vgpu, bool keep_data);
void res_kill_vgpu_devices(int vgpu, bool keep_data);	/* not R_DMA, R_GROUP */
void res_kill_all(void);
int res_pending(unsigned kinds);	/* killed, not closed yet (in use) */
/* Kills the oldest resources of @kind beyond @max - 1 (room for one more). */
void res_make_room(int kind, int vgpu, int max);
uint64_t sf_new_id(const struct op *op, unsigned n);	/* n < 16 */

/* res.c: vGPUs, VFIO and sysfs */
void sf_uuid(uint64_t seed, char out[40]);
int sf_write_file(const char *path, const void *s, size_t len);	/* 0 or -errno */
int sf_read_file(const char *path, char *buf, size_t len);		/* bytes or -errno */
int sf_find_parents(void);
int sf_vgpu_create(int slot);			/* sysfs create, 0 or -errno */
/* A sysfs write in a thread of its own (sf_remover_main), for writes that
 * block while a device is held (remove, unbind). */
struct sf_remover {
	pthread_t pt;
	char path[SF_PATH];
	char what[16];
	atomic_int done;
	int ret;
};
void *sf_remover_main(void *arg);
void sf_poke_unix_gc(void);	/* be a unix socket release: the gc runs */
int sf_vgpu_remove_uuid(const char *uuid);	/* sysfs remove (blocks while open) */
/* Opens group + container + device of slot @slot, registering them with
 * ids sf_new_id(op, base..base+2) (op NULL: the fixed ids of setup). */
int sf_vgpu_open(int slot, const struct op *op, unsigned base);
int sf_open_group(const char *uuid, int *group, int *container, int iommu_type);
uint64_t sf_region_off(unsigned index);
int sf_vgpu_of(const struct res *r);

/* res.c: user buffers (maybe hostile) for syscalls */
enum { BUF_HEAP, BUF_NULL, BUF_LOW, BUF_KERNEL, BUF_NONE, BUF_CROSS, BUF_RO,
       BUF_FRESH, BUF_UFFD, BUF_MAP };
extern const char *const sf_buf_names[];
/* A buffer of @len bytes of kind chosen by @sel (often a plain one);
 * @fill: its contents are the op's (written by the kernel otherwise). */
void *sf_buf(struct thr *t, uint64_t sel, size_t len, bool fill,
	     struct rng *r, struct res *map, int *kind);
void sf_buf_done(struct thr *t);

/* exec.c */
int sf_run(void);
int sf_replay(const char *path);
void sf_exec_op(struct thr *t, struct op *op);
void sf_report_and_exit(int why, const char *what) __attribute__((noreturn));
bool sf_reporting(void);
void sf_phase(const char *name);	/* main thread: a step with a deadline; NULL: done */		/* a report is being written: do nothing more */
bool sf_stopping(void);
int sf_uffd_init(void);
void sf_uffd_stop(void);
void sf_threads_init(void);
void sf_summary(void);
int sf_monitor_start(void);
void sf_monitor_drain(unsigned ms);

/* oplog.c */
int sf_log_open(const char *path);
void sf_log_header(void);
void sf_log_op(struct thr *t, const struct op *op);
void sf_log_line(const char *s);	/* also on stdout */
void sf_dump_rings(int fd);		/* async-signal-safe */
int sf_parse_log(const char *path, struct op **ops, size_t *n, char *hdr,
		 size_t hdrlen);

/* stream.c */
struct sf_stream {
	uint8_t *p;
	size_t len, cap;
	const char *what;
};
/* A hostile, mostly well-formed stream for a target described by @local;
 * what it is depends on @variant, its contents on @seed. */
int sf_stream_build(struct sf_stream *s, const struct mvgpu_compat_info *local,
		    uint64_t variant, uint64_t seed, size_t max_bytes);
void sf_stream_free(struct sf_stream *s);
extern const unsigned sf_stream_nvariants;
int sf_stream_selftest(unsigned seeds);	/* natively, through proto's decoder */

/* ops helpers shared between ops files */
int sf_set_state(int devfd, uint32_t state, int *data_fd);
int sf_get_state(int devfd, uint32_t *state);
void sf_add_data_fd(const struct op *op, unsigned n, int vgpu, int fd,
		    uint32_t state);
struct res *sf_need(struct op *op, int i);
bool sf_touch(struct thr *t, void *addr, size_t len, bool write, uint8_t val);
/* mmap(2), and the sanitizer told the memory is addressable: this libasan
 * leaves stale redzone shadow on ranges its allocator once unmapped. */
void *sf_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
int sf_munmap(void *addr, size_t len);
/* DMA memory: slots of a pool reserved once and never unmapped. */
void *sf_dma_alloc(size_t len);		/* NULL if none is free */
void sf_dma_free(void *p);
bool sf_copy_guarded(struct thr *t, void *dst, const void *src, size_t n);
int reg_write(int fd, uint32_t off, uint32_t v);

#endif /* SF_FUZZ_H */
