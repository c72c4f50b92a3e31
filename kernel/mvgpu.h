/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mvgpu.h - internal interfaces between the files of the mvgpu module.
 *
 * Objects and their owners:
 *   struct mvgpu_parent - a "physical GPU": a PCI function bound to the
 *	mvgpu PCI driver, or a virtual device made at load time.  Registers
 *	with the mdev core, owns the framebuffer pool and one struct
 *	mvgpu_vtype per vGPU type.
 *   struct mvgpu_vgpu - one vGPU: an mdev device that is a VFIO device.
 *	Allocated in mvgpu_vgpu_probe(), freed by the VFIO core's release.
 */
#ifndef MVGPU_H
#define MVGPU_H

#include <linux/eventfd.h>
#include <linux/hrtimer.h>
#include <linux/list.h>
#include <linux/mdev.h>
#include <linux/mutex.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/pci.h>
#include <linux/types.h>
#include <linux/vfio.h>
#include <linux/xarray.h>

#include "mvgpu_abi.h"

struct mvgpu_mig_file;

#define MVGPU_DRIVER_VERSION	"0.1.0"
#define MVGPU_MAX_VPARENTS	8

/* Region offsets on the device fd, as vfio-pci encodes them: index on top. */
#define MVGPU_REGION_SHIFT	40
#define MVGPU_REGION_OFFSET(i)	((u64)(i) << MVGPU_REGION_SHIFT)
#define MVGPU_REGION_INDEX(o)	((o) >> MVGPU_REGION_SHIFT)
#define MVGPU_REGION_MASK	(MVGPU_REGION_OFFSET(1) - 1)

/**
 * struct mvgpu_vtype - one vGPU type of one parent.
 * @mtype:	what the mdev core sees; must stay embedded (sysfs kobject).
 * @desc:	the type's row of the ABI type table.
 * @index:	index of @desc in that table.
 * @fb_size:	framebuffer size in bytes.
 */
struct mvgpu_vtype {
	struct mdev_type mtype;
	const struct mvgpu_type_desc *desc;
	unsigned int index;
	u64 fb_size;
};

/* What a parent's memory is made of: ECC costs DDR 1/16 of it, HBM nothing. */
enum mvgpu_mem_kind {
	MVGPU_MEM_HBM,
	MVGPU_MEM_DDR,
};

/**
 * struct mvgpu_ecc_counts - ECC error counters.
 * @sbe_vol:	single-bit errors since the last reset.
 * @dbe_vol:	double-bit errors since the last reset.
 * @sbe_agg:	single-bit errors since creation (a vGPU) or ever (a parent).
 * @dbe_agg:	double-bit errors, likewise.
 */
struct mvgpu_ecc_counts {
	u64 sbe_vol, dbe_vol, sbe_agg, dbe_agg;
};

/* A parent links to at most this many others (link.c). */
#define MVGPU_MAX_LINK_PEERS	8

/**
 * struct mvgpu_parent - a physical GPU that vGPUs are carved from.
 * @mparent:	mdev core registration.
 * @dev:	the device the types hang off (PCI function or virtual device).
 * @node:	in the list of all parents (parent.c).
 * @lock:	protects everything below but @busy_ns, @link_peer and
 *		@link_n.  Taken in sysfs show
 *		paths, in vGPU creation and removal, and inside vgpu->lock
 *		(ECC, resets); never held across calls into the VFIO core,
 *		never taking a vgpu->lock.
 * @fb_total:	size of the framebuffer pool in bytes (fb_pool_mb).
 * @fb_used:	bytes of the pool reserved by existing vGPUs.
 * @nr_vgpus:	vGPUs that exist.
 * @has_full:	one of them is of the 1:1 type (alone on the parent).
 * @pool_pages:	physical pages: the pool and the spares (pool.c).
 * @pool_busy:	pages held by a vGPU or retired.
 * @pool_held:	pages held by vGPUs, retired ones among them included.
 * @nr_retired:	retired pages, held ones (pending) included.
 * @nr_pending:	retired pages a vGPU still holds until its next reset.
 * @pages:	pool page -> MVGPU_PG_* flags, for pages with a history.
 * @mem_kind:	HBM or DDR.
 * @ecc_on:	ECC mode now.
 * @ecc_pending: ECC mode once the parent has no vGPU.
 * @ecc:	errors of all its vGPUs (aggregate kept in the retired-pages
 *		file).
 * @busy_ns:	time the command processor ran for its vGPUs.
 * @link_peer:	parents joined to this one by links (link.c), NULL: free
 *		slot; under mvgpu_parents_lock, changed only while both
 *		parents have no vGPU.
 * @link_n:	how many links to each.
 * @vtypes:	the types this parent offers.
 * @mtypes:	pointers into @vtypes, the array the mdev core wants.
 */
struct mvgpu_parent {
	struct mdev_parent mparent;
	struct device *dev;
	struct list_head node;
	struct mutex lock;
	u64 fb_total;
	u64 fb_used;
	unsigned int nr_vgpus;
	bool has_full;
	unsigned long pool_pages;
	unsigned long *pool_busy;
	unsigned long pool_held;
	unsigned long nr_retired;
	unsigned long nr_pending;
	struct xarray pages;
	enum mvgpu_mem_kind mem_kind;
	bool ecc_on;
	bool ecc_pending;
	struct mvgpu_ecc_counts ecc;
	atomic64_t busy_ns;
	struct mvgpu_parent *link_peer[MVGPU_MAX_LINK_PEERS];
	u8 link_n[MVGPU_MAX_LINK_PEERS];
	struct mvgpu_vtype vtypes[MVGPU_NUM_TYPES];
	struct mdev_type *mtypes[MVGPU_NUM_TYPES];
};

/* Flags of a pool page with a history (parent->pages). */
#define MVGPU_PG_SBE		(1u << 0)	/* had a corrected error */
#define MVGPU_PG_RETIRED	(1u << 1)	/* never given out again */
#define MVGPU_PG_DBE		(1u << 2)	/* retired for a double-bit error */
#define MVGPU_PG_PENDING	(1u << 3)	/* still held by a vGPU */

/**
 * struct mvgpu_peer - an entry of a vGPU's peer table (p2p.c).
 * @uuid:	the peer vGPU.
 * @fb_size:	its framebuffer bytes.
 * @links:	links between the two parents.
 */
struct mvgpu_peer {
	guid_t uuid;
	u64 fb_size;
	u32 links;
};

/**
 * struct mvgpu_display - head 0's display registers.
 */
struct mvgpu_display {
	u32 width, height, stride, format, offset, enable;
};

/**
 * struct mvgpu_channel - one command channel.
 * @ring_base:	ring IOVA as programmed.
 * @ring_size:	ring bytes as programmed.
 * @ctrl:	MVGPU_CH_CTRL_ENABLE when enabled.
 * @put:	producer offset (doorbell).
 * @get:	consumer offset: the next command to run.
 * @fence:	value of the last completed FENCE.
 * @error:	MVGPU_ERR_* once the channel stopped, else 0.
 * @error_get:	ring offset of the command that failed.
 * @cmd_done:	bytes of the command at @get already done: long commands are
 *		split into steps so that one command cannot hog the processor.
 *		Non-zero only between steps of one command.
 * @cmd:	that command, as read from the ring (valid if @cmd_done).
 */
struct mvgpu_channel {
	u64 ring_base;
	u32 ring_size;
	u32 ctrl;
	u32 put;
	u32 get;
	u32 fence;
	u32 error;
	u32 error_get;
	u64 cmd_done;
	struct mvgpu_cmd cmd;
};

/**
 * struct mvgpu_vgpu - one vGPU.
 * @vdev:	the VFIO device; first member (vfio_alloc_device() wants it).
 * @mdev:	the mdev device it was created on.
 * @parent:	the parent whose pool it draws from.
 * @vtype:	its type.
 * @lock:	serialises device emulation: config space, registers, channels,
 *		interrupt configuration, open state.  The command processor
 *		takes it per step; it is never held while waiting for
 *		userspace (the framebuffer's own paths do not take it, so a
 *		copy_*_user() that faults on an mmap of the framebuffer is safe).
 * @open_count:	number of opens (the VFIO core allows one at a time).
 * @cfg:	emulated PCI config space.
 * @cfg_wmask:	writable bits of @cfg.
 * @cfg_w1c:	write-1-to-clear bits of @cfg.
 * @fb_size:	framebuffer bytes: the type's, or for the 1:1 type the
 *		parent's usable pool when the vGPU was created.
 * @bar2_size:	BAR2 bytes: @fb_size rounded up to a power of two.
 * @fb_pages:	framebuffer backing, one slot per page, filled on first
 *		write (cmpxchg, no lock); an empty slot reads as zeroes.
 * @fb_npages:	number of slots.
 * @fb_dirty:	pages written since the last collection (dirty.c).
 * @fb_mapping:	the address space VFIO users map BAR2 through (set at mmap),
 *		for write-protecting pages again after a collection.
 * @intr_status: pending interrupt sources (MVGPU_INTR_*).
 * @intr_mask:	enabled interrupt sources.
 * @scratch:	MVGPU_REG_SCRATCH.
 * @disp:	display registers.
 * @ch:		command channels.
 * @work:	the command processor (runs on mvgpu_wq).
 * @memcg:	the memory cgroup of the VFIO user that opened the device
 *		(referenced while open): the processor charges the
 *		framebuffer pages it allocates there, not to the worker's.
 * @open:	a VFIO user has the device open.
 * @quiesced:	migration stopped the processor (RUNNING_P2P and later).
 *		It runs while @open && !@quiesced.
 * @intx_trigger, @msi_trigger, @err_trigger, @req_trigger: eventfds set
 *		by VFIO_DEVICE_SET_IRQS.
 * @intx_masked: INTx is masked (automasked after each assertion).
 * @mig_lock:	the migration state machine (mig.c); outside vgpu->lock.
 * @mig_state:	its state.
 * @mig_saving:	the saving data fd, if any.
 * @mig_resuming: the resuming data fd, if any.
 * @mig_wq:	pollers of data fds: woken when a framebuffer page is marked
 *		dirty (pre-copy data appears) and when a fd is disabled.
 * @v1_lock:	the v1 migration region's header (outside mig_lock); never
 *		held across a user copy, never taken under mmap_lock.
 * @v1_area:	its data area (vmalloc_user), installed with cmpxchg on first
 *		use, freed at close; accessed without a lock.
 * @v1_data_size: bytes of the chunk in the area (saving).
 * @v1_chunk:	a chunk is in the area and not yet consumed.
 * @fb_phys:	pool page behind each framebuffer page (pool.c); changes
 *		only at a reset, under parent->lock.
 * @retired:	pages of this vGPU retired and replaced (parent->lock).
 * @retired_pending: pages retired, replaced at the next reset
 *		(parent->lock).
 * @ecc_ctrl:	MVGPU_REG_ECC_CTRL as the guest wrote it.
 * @ecc_optout:	the opt-out in effect (from @ecc_ctrl at the last reset).
 * @ecc_killed:	a double-bit error stopped the channels until a reset.
 * @ecc:	its error counters.
 * @frl_on:	vgpu_params frame_rate_limiter.
 * @frl_last:	when the last frame (FENCE with MVGPU_CMD_F_FRAME) ended.
 * @frl_timer:	wakes the processor when a held frame may end.
 * @busy_ns:	time the command processor ran for this vGPU.
 * @debugfs:	its debugfs directory (ecc_inject).
 * @open_node:	on p2p.c's list of open vGPUs.
 * @owner_mm:	the process (VM) that opened it (p2p.c); compared, never
 *		used (mmgrab()ed while open).
 * @owner_kvm:	its KVM, if the VFIO core has one; compared only.
 * @owner_ictx:	its iommufd context, if bound through iommufd; compared only.
 * @peers:	the peer table the guest took (MVGPU_REG_PEER_SCAN).
 * @nr_peers:	its entries.
 * @peer_sel:	MVGPU_REG_PEER_SEL.
 * @p2p_clock:	when the links are free for the next peer copy step.
 */
struct mvgpu_vgpu {
	struct vfio_device vdev;
	struct mdev_device *mdev;
	struct mvgpu_parent *parent;
	struct mvgpu_vtype *vtype;
	struct mutex lock;
	unsigned int open_count;
	u8 cfg[PCI_CFG_SPACE_SIZE];
	u8 cfg_wmask[PCI_CFG_SPACE_SIZE];
	u8 cfg_w1c[PCI_CFG_SPACE_SIZE];

	u64 fb_size;
	u64 bar2_size;
	struct page **fb_pages;
	unsigned long fb_npages;
	unsigned long *fb_dirty;
	struct address_space *fb_mapping;

	u32 intr_status;
	u32 intr_mask;
	u32 scratch;
	struct mvgpu_display disp;
	struct mvgpu_channel ch[MVGPU_NUM_CHANNELS];

	struct work_struct work;
	struct mem_cgroup *memcg;
	bool open;
	bool quiesced;

	struct eventfd_ctx *intx_trigger;
	struct eventfd_ctx *msi_trigger;
	struct eventfd_ctx *err_trigger;
	struct eventfd_ctx *req_trigger;
	bool intx_masked;

	struct mutex mig_lock;
	enum vfio_device_mig_state mig_state;
	struct mvgpu_mig_file *mig_saving;
	struct mvgpu_mig_file *mig_resuming;
	wait_queue_head_t mig_wq;

	struct mutex v1_lock;
	void *v1_area;
	u64 v1_data_size;
	bool v1_chunk;

	u32 *fb_phys;
	unsigned long retired;
	unsigned long retired_pending;
	u32 ecc_ctrl;
	bool ecc_optout;
	bool ecc_killed;
	struct mvgpu_ecc_counts ecc;

	bool frl_on;
	ktime_t frl_last;
	struct hrtimer frl_timer;
	atomic64_t busy_ns;
	struct dentry *debugfs;

	struct list_head open_node;
	struct mm_struct *owner_mm;
	struct kvm *owner_kvm;
	void *owner_ictx;
	struct mvgpu_peer peers[MVGPU_MAX_PEERS];
	u32 nr_peers;
	u32 peer_sel;
	ktime_t p2p_clock;
};

static inline struct mvgpu_vgpu *vdev_to_vgpu(struct vfio_device *vdev)
{
	return container_of(vdev, struct mvgpu_vgpu, vdev);
}

static inline struct mvgpu_vtype *mtype_to_vtype(struct mdev_type *mtype)
{
	return container_of(mtype, struct mvgpu_vtype, mtype);
}

static inline struct mvgpu_parent *mtype_to_parent(struct mdev_type *mtype)
{
	return container_of(mtype->parent, struct mvgpu_parent, mparent);
}

/* main.c: module parameters */
extern unsigned int mvgpu_fb_pool_mib;
extern unsigned int mvgpu_spare_pages;
extern bool mvgpu_ecc_default;
extern char *mvgpu_memory_default;
extern char *mvgpu_retired_pages_file;

/* type.c */
void mvgpu_types_init(struct mvgpu_parent *parent);
unsigned int mvgpu_type_available(struct mdev_type *mtype);
ssize_t mvgpu_type_description(struct mdev_type *mtype, char *buf);
int mvgpu_type_fb_size(struct mvgpu_parent *parent,
		       const struct mvgpu_vtype *vt, u64 *size);

/* pool.c: the parent's physical pages */
int mvgpu_pool_init(struct mvgpu_parent *parent);
void mvgpu_pool_free(struct mvgpu_parent *parent);
u64 mvgpu_pool_usable(struct mvgpu_parent *parent);
u64 mvgpu_pool_free_bytes(struct mvgpu_parent *parent);
u64 mvgpu_pool_full_size(struct mvgpu_parent *parent);
int mvgpu_pool_map(struct mvgpu_vgpu *vgpu);
void mvgpu_pool_unmap(struct mvgpu_vgpu *vgpu);
int mvgpu_pool_retire(struct mvgpu_parent *parent, unsigned long page,
		      bool dbe, bool held);
unsigned int mvgpu_pool_page_flags(struct mvgpu_parent *parent,
				   unsigned long page);
int mvgpu_pool_note_sbe(struct mvgpu_parent *parent, unsigned long page);
void mvgpu_pool_replace_pending(struct mvgpu_vgpu *vgpu);
void mvgpu_pool_debugfs_add(struct mvgpu_vgpu *vgpu, struct dentry *dir);

/* link.c: links between parents */
extern char *mvgpu_links_param;
unsigned int mvgpu_links_between(struct mvgpu_parent *a,
				 struct mvgpu_parent *b);
void mvgpu_links_parent_added(struct mvgpu_parent *parent);
void mvgpu_links_parent_removed(struct mvgpu_parent *parent);
ssize_t mvgpu_links_show(struct mvgpu_parent *parent, char *buf);
int mvgpu_links_store(struct mvgpu_parent *parent, const char *buf);

/* p2p.c: peers and peer copies */
extern unsigned int mvgpu_link_mib_s;
void mvgpu_p2p_open(struct mvgpu_vgpu *vgpu);
void mvgpu_p2p_close(struct mvgpu_vgpu *vgpu);
void mvgpu_p2p_reset(struct mvgpu_vgpu *vgpu);
u32 mvgpu_p2p_read(struct mvgpu_vgpu *vgpu, u32 off);
void mvgpu_p2p_write(struct mvgpu_vgpu *vgpu, u32 off, u32 val);
u32 mvgpu_p2p_check(struct mvgpu_vgpu *vgpu, u32 flags, u64 here, u64 there,
		    u64 len);
bool mvgpu_p2p_hold(struct mvgpu_vgpu *vgpu);
u32 mvgpu_p2p_step(struct mvgpu_vgpu *vgpu, u32 flags, u64 here, u64 there,
		   u64 len);
struct mvgpu_state_peers;
void mvgpu_p2p_get_table(struct mvgpu_vgpu *vgpu, struct mvgpu_state_peers *t);
void mvgpu_p2p_set_table(struct mvgpu_vgpu *vgpu,
			 const struct mvgpu_state_peers *t);
int mvgpu_p2p_offer(struct mvgpu_vgpu *vgpu, const struct mvgpu_state_peers *t);

/* retire.c: the retired-pages file */
void mvgpu_retired_load(struct mvgpu_parent *parent);
void mvgpu_retired_save(void);
void mvgpu_retired_flush(void);

/* parent.c */
extern struct pci_driver mvgpu_pci_driver;
int mvgpu_virtual_parents_create(unsigned int count);
void mvgpu_virtual_parents_destroy(void);
extern struct list_head mvgpu_parents;
extern struct mutex mvgpu_parents_lock;

/* parent_sysfs.c */
extern const struct attribute_group *mvgpu_parent_groups[];

/* ecc.c */
void mvgpu_ecc_parent_init(struct mvgpu_parent *parent);
void mvgpu_ecc_vgpu_reset(struct mvgpu_vgpu *vgpu);
bool mvgpu_ecc_enabled(struct mvgpu_vgpu *vgpu);
u32 mvgpu_ecc_status(struct mvgpu_vgpu *vgpu);
u32 mvgpu_ecc_read(struct mvgpu_vgpu *vgpu, u32 off);
void mvgpu_ecc_write(struct mvgpu_vgpu *vgpu, u32 off, u32 val);
void mvgpu_ecc_debugfs_add(struct mvgpu_vgpu *vgpu);
void mvgpu_ecc_debugfs_remove(struct mvgpu_vgpu *vgpu);
void mvgpu_ecc_apply_pending(struct mvgpu_parent *parent);

/* params.c: vgpu_params and the frame-rate limiter */
void mvgpu_params_init(struct mvgpu_vgpu *vgpu);
ssize_t mvgpu_params_show(struct mvgpu_vgpu *vgpu, char *buf);
int mvgpu_params_store(struct mvgpu_vgpu *vgpu, const char *buf,
		       size_t count);
bool mvgpu_frl_hold(struct mvgpu_vgpu *vgpu);
void mvgpu_kick_at(struct mvgpu_vgpu *vgpu, ktime_t when);
void mvgpu_frl_frame_done(struct mvgpu_vgpu *vgpu);

/* vgpu.c */
extern struct mdev_driver mvgpu_mdev_driver;

/* cfg.c */
void mvgpu_cfg_init(struct mvgpu_vgpu *vgpu);
int mvgpu_cfg_read(struct mvgpu_vgpu *vgpu, unsigned int off, void *val,
		   unsigned int len);
int mvgpu_cfg_write(struct mvgpu_vgpu *vgpu, unsigned int off,
		    const void *val, unsigned int len);

/* fb.c */
int mvgpu_fb_init(struct mvgpu_vgpu *vgpu);
void mvgpu_fb_free(struct mvgpu_vgpu *vgpu);
void mvgpu_fb_zero(struct mvgpu_vgpu *vgpu);
ssize_t mvgpu_fb_rw_user(struct mvgpu_vgpu *vgpu, char __user *ubuf,
			 u64 off, size_t count, bool write);
int mvgpu_fb_mmap(struct mvgpu_vgpu *vgpu, struct vm_area_struct *vma,
		  u64 region_off);
int mvgpu_fb_fill(struct mvgpu_vgpu *vgpu, u64 off, u64 len, u32 pattern);
int mvgpu_fb_copy(struct mvgpu_vgpu *vgpu, u64 src, u64 dst, u64 len);
int mvgpu_fb_copy_between(struct mvgpu_vgpu *from, u64 src,
			  struct mvgpu_vgpu *to, u64 dst, u64 len);
int mvgpu_fb_dma(struct mvgpu_vgpu *vgpu, u64 fb_off, dma_addr_t iova,
		 u64 len, bool to_fb);

/* vgpu.c */
void mvgpu_engine_reset(struct mvgpu_vgpu *vgpu);

/* dirty.c */
int mvgpu_dirty_init(struct mvgpu_vgpu *vgpu);
void mvgpu_dirty_free(struct mvgpu_vgpu *vgpu);
void mvgpu_fb_mark_dirty(struct mvgpu_vgpu *vgpu, u64 off, u64 len);
unsigned long mvgpu_dirty_collect(struct mvgpu_vgpu *vgpu, unsigned long *out);
int mvgpu_dirty_start(struct mvgpu_vgpu *vgpu);
vm_fault_t mvgpu_fb_page_mkwrite(struct vm_fault *vmf);

/* mmio.c */
void mvgpu_mmio_reset(struct mvgpu_vgpu *vgpu);
bool mvgpu_display_valid(struct mvgpu_vgpu *vgpu);
u32 mvgpu_mmio_read(struct mvgpu_vgpu *vgpu, u32 off);
void mvgpu_mmio_write(struct mvgpu_vgpu *vgpu, u32 off, u32 val);

/* channel.c */
extern struct workqueue_struct *mvgpu_wq;
void mvgpu_channels_reset(struct mvgpu_vgpu *vgpu);
void mvgpu_channels_kill(struct mvgpu_vgpu *vgpu, u32 err);
unsigned int mvgpu_channels_active(struct mvgpu_vgpu *vgpu);
u32 mvgpu_channel_read(struct mvgpu_vgpu *vgpu, unsigned int ch, u32 reg);
void mvgpu_channel_write(struct mvgpu_vgpu *vgpu, unsigned int ch, u32 reg,
			 u32 val);
void mvgpu_processor_start(struct mvgpu_vgpu *vgpu);
void mvgpu_processor_stop(struct mvgpu_vgpu *vgpu);
void mvgpu_processor_quiesce(struct mvgpu_vgpu *vgpu, bool quiet);
void mvgpu_processor_work(struct work_struct *work);

/* irq.c */
int mvgpu_irq_info(struct mvgpu_vgpu *vgpu, struct vfio_irq_info *info);
int mvgpu_set_irqs(struct mvgpu_vgpu *vgpu, struct vfio_irq_set *hdr,
		   void __user *data);
void mvgpu_irq_raise(struct mvgpu_vgpu *vgpu, u32 sources);
void mvgpu_irq_update(struct mvgpu_vgpu *vgpu);
void mvgpu_irq_request(struct mvgpu_vgpu *vgpu);
void mvgpu_irq_release(struct mvgpu_vgpu *vgpu);

/* gfx.c */
int mvgpu_query_gfx_plane(struct mvgpu_vgpu *vgpu, void __user *arg);

/* sysfs.c */
extern const struct attribute_group *mvgpu_vgpu_groups[];

/* stats.c: object counters for leak checks, shown in debugfs */
enum mvgpu_stat {
	MVGPU_STAT_PARENTS,
	MVGPU_STAT_VGPUS,
	MVGPU_STAT_VGPU_OBJS,
	MVGPU_STAT_OPEN,
	MVGPU_STAT_FB_PAGES,
	MVGPU_NR_STATS,
};
void mvgpu_stat_inc(enum mvgpu_stat s);
void mvgpu_stat_dec(enum mvgpu_stat s);
void mvgpu_stats_init(void);
void mvgpu_stats_exit(void);
struct dentry *mvgpu_debugfs_root(void);

#endif /* MVGPU_H */
