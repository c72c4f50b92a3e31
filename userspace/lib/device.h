/*
 * device.h - libmvgpu private: the VFIO device, its DMA memory and its
 * channels (device.c, dma.c, channel.c, cmd.c).  Not installed.
 *
 * Pure helpers (ring arithmetic, IOVA allocation) are here as functions
 * without a device so the native unit tests can check them.
 */
#ifndef MVGPU_DEVICE_H
#define MVGPU_DEVICE_H

#include <stddef.h>
#include <stdint.h>

#include <linux/vfio.h>

#include "internal.h"

/* 6.2+ uAPI that Debian 12's 6.1 headers lack (values from 6.12). */
#ifndef VFIO_MIGRATION_PRE_COPY
#define VFIO_MIGRATION_PRE_COPY (1 << 2)
#endif
#ifndef VFIO_MIG_GET_PRECOPY_INFO
struct vfio_precopy_info {
	__u32 argsz;
	__u32 flags;
	__aligned_u64 initial_bytes;
	__aligned_u64 dirty_bytes;
};
#define VFIO_MIG_GET_PRECOPY_INFO _IO(VFIO_TYPE, VFIO_BASE + 21)
#endif
#ifndef VFIO_DEVICE_FEATURE_MIG_DATA_SIZE
struct vfio_device_feature_mig_data_size {
	__aligned_u64 stop_copy_length;
};
#define VFIO_DEVICE_FEATURE_MIG_DATA_SIZE 9
#endif

#define MVGPU__NUM_REGIONS	9	/* VFIO_PCI_NUM_REGIONS */
#define MVGPU__NUM_IRQS		5	/* VFIO_PCI_NUM_IRQS */
#define MVGPU__PAGE		4096u

/* While waiting, registers are re-read at least this often even if no
 * interrupt arrives: a lost interrupt costs latency, never a hang. */
#define MVGPU__POLL_SLICE_MS	100
/* Default bound for mvgpu_chan_submit() waiting for ring space. */
#define MVGPU__SUBMIT_TIMEOUT_MS 10000

struct mvgpu__region {
	uint64_t offset;	/* in the device fd */
	uint64_t size;
	uint32_t flags;		/* VFIO_REGION_INFO_FLAG_* */
	int mmap_whole;		/* mmap-able and the sparse areas cover it all */
};

/* One DMA mapping: @len bytes (page multiple) at @va, mapped at @iova. */
struct mvgpu__dma_map {
	uint64_t iova;
	uint64_t len;
	void *va;
};

struct mvgpu_dev {
	mvgpu_ctx *ctx;			/* for error details; outlives us */
	int container, group, device;
	struct mvgpu__region regions[MVGPU__NUM_REGIONS];
	uint32_t irq_count[MVGPU__NUM_IRQS];	/* from GET_IRQ_INFO */
	int irq_fd[MVGPU__NUM_IRQS];		/* our eventfds, -1: none */
	unsigned msi_cap;			/* config offset, 0: none */
	mvgpu_dev_info info;
	void *fb;				/* BAR2 mapping, NULL until mapped */
	struct mvgpu__dma_map *maps;		/* sorted by iova */
	size_t nmaps, maps_cap;
	mvgpu_chan *chans[MVGPU_NUM_CHANNELS];
	mvgpu_dev_stats stats;
	int borrowed;		/* another process's device fd (an agent's):
				 * migration only, its IRQs are not ours */
};

/* Wrap the device fd @fd of vGPU @uuid passed by its user (the migration
 * agent): no container, no group, nothing changed on the device.  Takes
 * @fd (closed on failure too).  For migration calls only. */
int mvgpu__dev_adopt(mvgpu_ctx *ctx, const char *uuid, int fd,
		     mvgpu_dev **out);

struct mvgpu_chan {
	mvgpu_dev *dev;
	unsigned index;
	int enabled;		/* 0 after a device reset until chan_reset */
	int enabled_once;	/* fence_next is meaningful */
	uint32_t size;		/* ring bytes */
	uint32_t put;		/* our producer offset (last written to PUT) */
	uint32_t get;		/* last GET read from the device */
	uint32_t fence_next;	/* value of the next fence we issue */
	uint32_t error;		/* MVGPU_ERR_* seen by the last -EIO */
	uint32_t error_get;
	int submit_timeout_ms;
	mvgpu_dma ring;
	mvgpu_dma slot;		/* fence memory: le32 at slot.va */
};

/* ---- device.c ---------------------------------------------------------- */

/* Register access without argument checks beyond alignment. */
int mvgpu__reg_rd(mvgpu_dev *dev, uint32_t off, uint32_t *val);
int mvgpu__reg_wr(mvgpu_dev *dev, uint32_t off, uint32_t val);
/* Sleep until an interrupt the library listens to arrives (MSI, else INTx)
 * or @timeout_ms passes; acknowledge every pending INTR_STATUS source and
 * unmask INTx.  Without an interrupt it just sleeps @timeout_ms, which the
 * callers keep short.  @return 1 woken by an interrupt, 0 timeout, <0. */
int mvgpu__dev_sleep(mvgpu_dev *dev, int timeout_ms);
/* Acknowledge every pending source (write back INTR_STATUS). */
int mvgpu__intr_ack_all(mvgpu_dev *dev);
/* Milliseconds on CLOCK_MONOTONIC. */
int64_t mvgpu__now_ms(void);

/* ---- dma.c ------------------------------------------------------------- */

/*
 * First-fit IOVA allocation over @n mappings sorted by iova: the lowest
 * page-aligned address >= @base with @len bytes free and at least @guard
 * unmapped bytes after every neighbour (so an overrun faults instead of
 * hitting the next buffer), ending at or below @limit.
 * @return 0 and *@out, or -ENOSPC.
 */
int mvgpu__iova_find(const struct mvgpu__dma_map *maps, size_t n,
		     uint64_t base, uint64_t limit, uint64_t len,
		     uint64_t guard, uint64_t *out);

/* ---- channel.c: ring arithmetic ---------------------------------------- */

/* Bytes of commands between GET and PUT (ring size a power of two). */
static inline uint32_t mvgpu__ring_used(uint32_t put, uint32_t get,
					uint32_t size)
{
	return (put - get) & (size - 1);
}

/* Bytes that can still be written: one slot stays empty (GET == PUT means
 * empty), so at most size - MVGPU_CMD_SIZE bytes are outstanding. */
static inline uint32_t mvgpu__ring_free(uint32_t put, uint32_t get,
					uint32_t size)
{
	return size - MVGPU_CMD_SIZE - mvgpu__ring_used(put, get, size);
}

/* Wrap-safe "fence value @cur has reached @want" (serial arithmetic: the
 * two are less than 2^31 apart). */
static inline int mvgpu__fence_passed(uint32_t cur, uint32_t want)
{
	return (int32_t)(cur - want) >= 0;
}

/* A valid ring offset reported by the device: inside, 32-byte aligned. */
static inline int mvgpu__ring_off_ok(uint32_t off, uint32_t size)
{
	return off < size && off % MVGPU_CMD_SIZE == 0;
}

/*
 * Copy @n commands into @ring (@size bytes) starting at offset @put,
 * wrapping at the end.  The caller has checked there is room.
 * @return the new PUT offset.
 */
uint32_t mvgpu__ring_copy(void *ring, uint32_t size, uint32_t put,
			  const struct mvgpu_cmd *cmds, size_t n);

#endif /* MVGPU_DEVICE_H */
