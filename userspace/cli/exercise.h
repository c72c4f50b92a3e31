/*
 * exercise.h - the `mvgpu exercise` workload: keeps drawing into a vGPU's
 * framebuffer through its channels and checks every result against a
 * shadow copy kept in this process.
 *
 * Per pass, on each channel, one batch: rectangle fills, range fills,
 * copies (overlapping too), an upload of a pattern buffer from DMA memory
 * into the framebuffer, downloads of framebuffer ranges into DMA memory,
 * fills over what was just downloaded (ordering), and a FENCE with
 * F_IRQ | F_FENCE_MEM.  Then: wait for every fence, and compare byte-exact
 * the framebuffer (through the BAR2 mmap, and one range through the
 * region's read path) and the downloads with the shadow.
 *
 * Each channel draws only into its own slices of two framebuffer windows:
 * the displayed area (rows of the console mode) and the last MiB of the
 * framebuffer, so the channels run concurrently on the device and the
 * expected result does not depend on their interleaving.
 */
#ifndef MVGPU_CLI_EXERCISE_H
#define MVGPU_CLI_EXERCISE_H

#include <stddef.h>
#include <stdint.h>

#include "mvgpu.h"

#define EX_MAX_CH	MVGPU_NUM_CHANNELS
#define EX_TAIL_BYTES	(1u << 20)	/* window at the end of the fb */
#define EX_XFER_BYTES	(256u << 10)	/* upload / download buffer per channel */
#define EX_RING_BYTES	(64u << 10)
#define EX_WAIT_MS	30000		/* per fence; TCG lab hosts are slow */

/* Where the workload draws: computed from the device, never changes. */
struct ex_layout {
	uint64_t fb_size;
	unsigned width, height, stride;		/* console mode, XRGB8888 */
	uint64_t disp_bytes;			/* window 1: [0, disp_bytes) */
	uint64_t tail_off, tail_bytes;		/* window 2: [tail_off, fb end) */
	unsigned nchan;
	struct {
		unsigned row0, rows;		/* its rows of window 1 */
		uint64_t tail_off, tail_len;	/* its part of window 2 */
	} ch[EX_MAX_CH];
};

/* A download whose result is checked after the fence. */
struct ex_download {
	uint64_t fb_off;
	uint32_t buf_off, len;
};

/* One channel's batch of a pass. */
struct ex_batch {
	struct mvgpu_cmd *cmds;
	size_t n, cap;
	struct ex_download dl[8];
	unsigned ndl;
	uint8_t *expect;	/* EX_XFER_BYTES: expected download buffer */
	uint64_t bytes;		/* bytes the commands move */
};

/*
 * struct exercise - ALL the state of the workload, in one place.
 *
 * A later issue moves a running exercise from one host to another (the
 * vGPU migrates under it).  What must travel is marked "state": with it,
 * the next host opens the migrated vGPU, re-creates the "resources" and
 * continues with pass @pass + 1, checking the framebuffer against @shadow
 * and issuing fences after @fence.  Everything else is derived
 * (@layout from the device and @nchan) or per host.
 */
struct exercise {
	/* configuration */
	unsigned nchan;
	uint32_t seed;

	/* state */
	uint64_t pass;			/* passes completed and verified */
	uint32_t fence[EX_MAX_CH];	/* last fence value completed, per channel */
	uint8_t *shadow_disp;		/* expected fb [0, disp_bytes) */
	uint8_t *shadow_tail;		/* expected fb [tail_off, fb end) */
	uint64_t fences, bytes_moved;	/* totals, for the summary */

	/* derived */
	struct ex_layout layout;

	/* resources (per host) */
	mvgpu_dev *dev;
	mvgpu_chan *chan[EX_MAX_CH];
	mvgpu_dma up[EX_MAX_CH];	/* upload sources */
	mvgpu_dma down[EX_MAX_CH];	/* download targets */
	const uint8_t *fb;		/* BAR2 mapping */
	struct ex_batch batch[EX_MAX_CH];

	/* the first failure, for the message */
	char failure[512];
};

/*
 * struct ex_wire_state - what travels with a migrated vGPU (the STATE of
 * docs/wire-protocol.md): little-endian, versioned, 72 bytes.  Version 2
 * carries @shadow_xxh64 instead of having the target replay every pass.
 */
#define EX_STATE_MAGIC	0x5845564du	/* "MVEX" */
#define EX_STATE_VER	2u
#define EX_PASS_MAX	(1ull << 48)	/* more passes than any run makes */

struct ex_wire_state {
	uint32_t magic, version;
	uint32_t seed, nchan;
	uint64_t pass, fences, bytes_moved, fb_size;
	uint32_t fence[EX_MAX_CH];
	uint64_t shadow_xxh64;		/* ex_shadow_digest() at the pause */
};

/* Layout for a framebuffer of @fb_size bytes and a type whose largest mode
 * is @max_w x @max_h, shared by @nchan channels.
 * @return 0, or -EINVAL if it does not fit (fb smaller than 2 MiB). */
int ex_layout_init(struct ex_layout *l, uint64_t fb_size, unsigned max_w,
		   unsigned max_h, unsigned nchan);

/* The shadow bytes of fb range [@off, @off + @len), or NULL if the range
 * is not inside one window. */
uint8_t *ex_shadow_at(struct exercise *ex, uint64_t off, uint64_t len);

/* Apply one command to the shadow, as the device does.  @up is the upload
 * buffer the DMA_TO_FB iova refers to (@up_iova).  FENCE and NOP do
 * nothing; DMA_FROM_FB is recorded by ex_build.  @return bytes moved, or
 * -EINVAL if the command leaves the windows (a bug in the generator). */
int64_t ex_shadow_apply(struct exercise *ex, const struct mvgpu_cmd *cmd,
			const uint8_t *up, uint64_t up_iova);

/* Allocate the shadow and the batches (no device).  @return 0, -ENOMEM. */
int ex_init(struct exercise *ex, const struct ex_layout *l, unsigned nchan,
	    uint32_t seed);
void ex_free(struct exercise *ex);

/* Build channel @c's batch for pass @pass (= ex->pass + 1), without the
 * fence: writes the upload pattern into @up (EX_XFER_BYTES at @up_iova),
 * targets downloads at @down_iova, and applies every command to the
 * shadow.  Deterministic in (seed, pass, c).  @return 0, -ENOMEM. */
int ex_build(struct exercise *ex, unsigned c, uint64_t pass, uint8_t *up,
	     uint64_t up_iova, uint64_t down_iova);

/* The batch that clears channel @c's slices (first pass only). */
int ex_build_clear(struct exercise *ex, unsigned c);

/* XXH64 of the shadow: both windows, the displayed one first. */
uint64_t ex_shadow_digest(const struct exercise *ex);

/* @w for @ex as it is now (at a pass boundary, nothing in flight). */
void ex_state_encode(const struct exercise *ex, struct ex_wire_state *w);

/* Check a state of @len bytes that arrived (@w: the first of them,
 * zero-filled), before anything is touched: magic, version, size, a
 * channel count of 1..EX_MAX_CH, a pass of at most EX_PASS_MAX, a
 * framebuffer of @fb_size bytes.  @return 0, or -EPROTO with the reason
 * in @why. */
int ex_state_check(const struct ex_wire_state *w, size_t len, uint64_t fb_size,
		   char *why, size_t whylen);

/* Take the migrated framebuffer @fb (fb_size bytes, as it arrived) as
 * the shadow and check it is the source's: its digest must be
 * @w->shadow_xxh64.  One copy of the windows, whatever the pass: nothing
 * is replayed.  @return 0, or -1 with ex->failure saying why. */
int ex_adopt_shadow(struct exercise *ex, const uint8_t *fb,
		    const struct ex_wire_state *w);

/* Compare @len bytes of @got against @want; on a difference fill
 * ex->failure ("<what> at fb offset 0x..: expected 0x........, got
 * 0x........", 32-bit words at the first differing aligned word) and
 * return -1. */
int ex_compare(struct exercise *ex, const char *what, uint64_t fb_off,
	       const uint8_t *want, const uint8_t *got, size_t len);

#endif
