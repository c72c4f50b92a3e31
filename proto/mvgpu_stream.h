/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * mvgpu_stream.h - the mvgpu migration stream: format, encoder, decoder.
 *
 * The stream carries one vGPU's whole state from a source to a target: a
 * descriptor, framebuffer pages (sent in pre-copy passes, resent when dirty),
 * the small device state, and a trailer with a checksum.  It is the data
 * of a VFIO migration (v2 data fd, or the v1 migration region); the same
 * code serialises it in the kernel and parses it in the kernel, libmvgpu,
 * the unit tests and the fuzzer.  docs/stream-format.md is the prose
 * specification; this header is the reference.
 *
 * ---- Format ---------------------------------------------------------------
 *
 * A stream is a sequence of records, little-endian, each
 *
 *	le32 tag	MVGPU_REC_* (four ASCII characters, "DESC" ...)
 *	le32 flags	MVGPU_REC_F_OPTIONAL; other bits must be zero
 *	le64 length	payload bytes, <= MVGPU_REC_MAX_LEN
 *	payload		length bytes
 *	padding		zero bytes up to the next multiple of 8
 *
 * The first record is DESC, the last END; exactly one of each.  PLAT, if
 * any, comes right after DESC (once); PEER, if any, right after DESC and
 * PLAT (once).  Between them, in any order: PAGE
 * and ZERO records (any number: later ones win), SIZE hints, the state
 * records CFG, REGS, DISP, IRQ and one CHAN per channel (exactly once
 * each), and the optional state record ECC (at most once).  A reader skips
 * a record it does not know if it is OPTIONAL and rejects it otherwise.
 * Known records have exactly the lengths below; a later stream minor adds
 * new optional records and never grows or changes existing ones (that
 * needs a new major).
 *
 * Minor 1 (ABI 1.1) added PLAT and ECC, both OPTIONAL: a minor-0 reader
 * skips them (no ECC check, the guest's ECC state lost: the target keeps
 * its own), and this reader takes a stream without them (a minor-0
 * source): no ECC rule at PLAT, and the state has no ECC part
 * (mvgpu_state.have): the target keeps its own defaults.
 *
 * Minor 2 (ABI 1.2) added PEER, OPTIONAL: the peer table the guest took
 * (registers.md), early so that a target without those peers over as
 * many links refuses the stream at its start.  A minor-1 reader skips it
 * and then refuses a channel stopped inside a PEER_COPY (opcode 6 is
 * unknown to it); without PEER no in-flight PEER_COPY is valid.
 *
 *  tag   flags  len   payload
 *  DESC  0      104   le64 magic "MVGPUMIG", le16 stream major, minor,
 *                     le16 ABI major, minor, le32 type index, le32 0,
 *                     le64 fb size, le64 features, char type[32],
 *                     char driver[32] (NUL-terminated, NUL-padded)
 *  PLAT  OPT    16    le32 parent's ECC mode (MVGPU_COMPAT_ECC_OFF or
 *                     _ON), le32 frame rate limiter (0 or 1), le64 0:
 *                     the platform a target must match or apply; right
 *                     after DESC, so the ECC rule refuses a stream at the
 *                     start of pre-copy (minor 1)
 *  PEER  OPT    232   le32 count (0..MVGPU_MAX_PEERS), le32 0, then
 *                     MVGPU_MAX_PEERS entries of 32 bytes: 16-byte UUID
 *                     (the kernel's guid_t), le64 framebuffer size, le32
 *                     links (1..MVGPU_MAX_LINKS), le32 0; entries sorted
 *                     by UUID, distinct, those past count all zero (minor 2)
 *  SIZE  OPT    16    le64 stop-copy bytes estimate, le64 dirty pages
 *  PAGE  0      4104  le64 page index, 4096 bytes of data
 *  ZERO  0      16    le64 first page, le64 count: these pages are zero
 *  CFG   0      256   PCI config space
 *  REGS  0      16    le32 intr status, intr mask, scratch, 0
 *  DISP  0      24    le32 width, height, stride, format, offset, enable
 *  IRQ   0      8     le32 kind (MVGPU_IRQ_KIND_*), le32 MVGPU_IRQ_F_*
 *  CHAN  0      80    le32 index, ctrl, le64 ring base, le32 ring size,
 *                     put, get, fence, error, error get, le64 cmd done,
 *                     32-byte in-flight command (struct mvgpu_cmd)
 *  ECC   OPT    48    le32 ECC_CTRL (MVGPU_ECC_CTRL_OPT_OUT only),
 *                     le32 MVGPU_STATE_ECC_F_*, le64 SBE volatile,
 *                     DBE volatile, SBE aggregate, DBE aggregate
 *                     (volatile <= aggregate), le64 0 (minor 1)
 *  END   0      24    le64 records before END, le64 PAGE records,
 *                     le64 XXH64 (seed 0) of every stream byte before
 *                     this field
 *
 * ---- Encoder --------------------------------------------------------------
 *
 * struct mvgpu_enc serialises one record at a time into a caller buffer of
 * known size and keeps the running checksum and counts.  Each mvgpu_enc_*()
 * writer returns the bytes it wrote (possibly 0), -ENOSPC if @room is too
 * small (then nothing was written and nothing changed: retry with more
 * room), or -EINVAL when called out of order or with invalid data (a bug in
 * the caller).  Any buffer of at least MVGPU_ENC_BUF_MIN bytes takes any one
 * call (but mvgpu_enc_record() with a payload over 4 KiB).  A driver serving read() of arbitrary sizes fills a staging buffer
 * with records until -ENOSPC and copies out of it.  Zero pages are elided:
 * consecutive zero pages accumulate into one pending ZERO record, written
 * before the next record of any kind, by mvgpu_enc_flush() or by
 * mvgpu_enc_end().  Nothing allocates; the encoder keeps no pointers.
 *
 * ---- Decoder --------------------------------------------------------------
 *
 * struct mvgpu_dec is a validating push parser: mvgpu_dec_push() takes bytes
 * in chunks of any size (one byte at a time works), validates every record
 * as it completes, and hands results over:
 *   - the descriptor: checked against the local info with
 *     mvgpu_compat_check() by the decoder itself, then ops->desc;
 *   - the small state: written into the caller's struct mvgpu_state, one
 *     validated part at a time;
 *   - framebuffer pages: ops->page (index + 4096 bytes, valid only during
 *     the call) and ops->zero (a range of zero pages).
 * The caller stages all of it and changes the device only once the stream
 * is complete: mvgpu_dec_complete() true / mvgpu_dec_finish() returns 0.
 * After the first error every call returns the same error.
 */
#ifndef MVGPU_STREAM_H
#define MVGPU_STREAM_H

#include "mvgpu_abi.h"
#include "mvgpu_compat.h"
#include "mvgpu_port.h"

/* Stream version: major changes are incompatible, minor only add
 * optional records. */
#define MVGPU_STREAM_MAJOR	1
#define MVGPU_STREAM_MINOR	2	/* 1: PLAT and ECC (ABI 1.1);
					 * 2: PEER (ABI 1.2) */

#define MVGPU_FOURCC(a, b, c, d) \
	((__u32)(a) | (__u32)(b) << 8 | (__u32)(c) << 16 | (__u32)(d) << 24)

/* DESC's first field: "MVGPUMIG".  A stream version found to be broken
 * gets a new magic, so fixed readers refuse it. */
#define MVGPU_STREAM_MAGIC	((__u64)MVGPU_FOURCC('U', 'M', 'I', 'G') << 32 | \
				 MVGPU_FOURCC('M', 'V', 'G', 'P'))

#define MVGPU_STREAM_PAGE_SIZE	4096u	/* framebuffer page, independent of the host's */

/* Record tags */
#define MVGPU_REC_DESC		MVGPU_FOURCC('D', 'E', 'S', 'C')
#define MVGPU_REC_PLAT		MVGPU_FOURCC('P', 'L', 'A', 'T')
#define MVGPU_REC_PEER		MVGPU_FOURCC('P', 'E', 'E', 'R')
#define MVGPU_REC_SIZE		MVGPU_FOURCC('S', 'I', 'Z', 'E')
#define MVGPU_REC_PAGE		MVGPU_FOURCC('P', 'A', 'G', 'E')
#define MVGPU_REC_ZERO		MVGPU_FOURCC('Z', 'E', 'R', 'O')
#define MVGPU_REC_CFG		MVGPU_FOURCC('C', 'F', 'G', ' ')
#define MVGPU_REC_REGS		MVGPU_FOURCC('R', 'E', 'G', 'S')
#define MVGPU_REC_DISP		MVGPU_FOURCC('D', 'I', 'S', 'P')
#define MVGPU_REC_IRQ		MVGPU_FOURCC('I', 'R', 'Q', ' ')
#define MVGPU_REC_CHAN		MVGPU_FOURCC('C', 'H', 'A', 'N')
#define MVGPU_REC_ECC		MVGPU_FOURCC('E', 'C', 'C', ' ')
#define MVGPU_REC_END		MVGPU_FOURCC('E', 'N', 'D', ' ')

/* Record flags */
#define MVGPU_REC_F_OPTIONAL	(1u << 0)	/* a reader may skip it */

#define MVGPU_REC_HDR_LEN	16u
#define MVGPU_REC_MAX_LEN	(1u << 20)	/* any record's payload */

/* Payload lengths of the known records */
#define MVGPU_REC_DESC_LEN	104u
#define MVGPU_REC_PLAT_LEN	16u
#define MVGPU_REC_PEER_ENTRY	32u
#define MVGPU_REC_PEER_LEN	(8u + MVGPU_MAX_PEERS * MVGPU_REC_PEER_ENTRY)
#define MVGPU_REC_SIZE_LEN	16u
#define MVGPU_REC_PAGE_LEN	(8u + MVGPU_STREAM_PAGE_SIZE)
#define MVGPU_REC_ZERO_LEN	16u
#define MVGPU_REC_CFG_LEN	256u
#define MVGPU_REC_REGS_LEN	16u
#define MVGPU_REC_DISP_LEN	24u
#define MVGPU_REC_IRQ_LEN	8u
#define MVGPU_REC_CHAN_LEN	80u
#define MVGPU_REC_ECC_LEN	48u
#define MVGPU_REC_END_LEN	24u

/* Bytes the encoder writes at most per call */
#define MVGPU_ENC_DESC_BYTES	(MVGPU_REC_HDR_LEN + MVGPU_REC_DESC_LEN)
#define MVGPU_ENC_PLAT_BYTES	(MVGPU_REC_HDR_LEN + MVGPU_REC_PLAT_LEN)
#define MVGPU_ENC_PEER_BYTES	(MVGPU_REC_HDR_LEN + MVGPU_REC_PEER_LEN)
#define MVGPU_ENC_ZERO_BYTES	(MVGPU_REC_HDR_LEN + MVGPU_REC_ZERO_LEN)
#define MVGPU_ENC_SIZE_BYTES	(MVGPU_ENC_ZERO_BYTES + MVGPU_REC_HDR_LEN + \
				 MVGPU_REC_SIZE_LEN)
#define MVGPU_ENC_PAGE_BYTES	(MVGPU_REC_HDR_LEN + MVGPU_REC_PAGE_LEN)
#define MVGPU_ENC_PAGE_BYTES_MAX (MVGPU_ENC_ZERO_BYTES + MVGPU_ENC_PAGE_BYTES)
#define MVGPU_ENC_STATE_BYTES	(MVGPU_ENC_ZERO_BYTES +			\
				 (5u + MVGPU_NUM_CHANNELS) * MVGPU_REC_HDR_LEN + \
				 MVGPU_REC_CFG_LEN + MVGPU_REC_REGS_LEN +	\
				 MVGPU_REC_DISP_LEN + MVGPU_REC_IRQ_LEN +	\
				 MVGPU_NUM_CHANNELS * MVGPU_REC_CHAN_LEN +	\
				 MVGPU_REC_ECC_LEN)
#define MVGPU_ENC_END_BYTES	(MVGPU_ENC_ZERO_BYTES + MVGPU_REC_HDR_LEN + \
				 MVGPU_REC_END_LEN)
/* A staging buffer this large takes any single encoder call (the
 * largest: a page after a pending zero run). */
#define MVGPU_ENC_BUF_MIN	MVGPU_ENC_PAGE_BYTES_MAX

/**
 * mvgpu_stream_stop_copy_bytes() - upper bound of the bytes still to come
 * when @dirty_pages pages remain to be sent: what the driver reports as the
 * stop-copy size (VFIO_DEVICE_FEATURE_MIG_DATA_SIZE).  When no page is zero
 * and the state has its ECC record it is 2 * MVGPU_ENC_ZERO_BYTES above
 * the truth (room for pending zero runs); zero pages only make the stream
 * shorter.  DESC, PLAT and PEER are not included: they come first, in
 * pre-copy (a save that has not started adds MVGPU_ENC_DESC_BYTES, and
 * MVGPU_ENC_PLAT_BYTES / MVGPU_ENC_PEER_BYTES if it writes those).
 */
static inline __u64 mvgpu_stream_stop_copy_bytes(__u64 dirty_pages)
{
	return dirty_pages * MVGPU_ENC_PAGE_BYTES + MVGPU_ENC_STATE_BYTES +
	       MVGPU_ENC_END_BYTES;
}

/* ---- The small state ---------------------------------------------------- */

/* Which interrupt the user had wired up: the eventfds themselves do not
 * migrate, QEMU sets them again on the target. */
enum mvgpu_irq_kind {
	MVGPU_IRQ_KIND_NONE	= 0,
	MVGPU_IRQ_KIND_INTX	= 1,
	MVGPU_IRQ_KIND_MSI	= 2,
	MVGPU_IRQ_KIND_MAX	= MVGPU_IRQ_KIND_MSI,
};

#define MVGPU_IRQ_F_INTX_MASKED	(1u << 0)	/* INTx automasked, not yet unmasked */

/**
 * struct mvgpu_state_channel - one channel (kernel: struct mvgpu_channel).
 * Fields as in kernel/mvgpu.h; @cmd is raw little-endian, meaningful when
 * @cmd_done is non-zero (the processor stopped inside that command).
 */
struct mvgpu_state_channel {
	__u64 ring_base;
	__u64 cmd_done;
	__u32 ring_size;
	__u32 ctrl;
	__u32 put;
	__u32 get;
	__u32 fence;
	__u32 error;
	__u32 error_get;
	__u32 reserved;		/* zero: no holes, so memcmp() works */
	struct mvgpu_cmd cmd;
};

/**
 * struct mvgpu_state_display - head 0 (kernel: struct mvgpu_display).
 * Any values: these registers hold what the guest wrote.
 */
struct mvgpu_state_display {
	__u32 width, height, stride, format, offset, enable;
};

/**
 * struct mvgpu_state_platform - the PLAT record: the platform the vGPU
 * runs on, which a target must match (@ecc) or apply (@frame_rate_limiter).
 * @ecc:	the parent's ECC mode: MVGPU_COMPAT_ECC_OFF or _ON (a source
 *		that does not know its mode writes no PLAT).
 * @frame_rate_limiter: 0 or 1, the vGPU's frame rate limiter (its
 *		vgpu_params value).
 */
struct mvgpu_state_platform {
	__u32 ecc;
	__u32 frame_rate_limiter;
};

/**
 * struct mvgpu_state_peer - an entry of the peer table (PEER record).
 * @uuid:	the peer vGPU's UUID, as the kernel's guid_t bytes.
 * @fb_size:	its framebuffer bytes.
 * @links:	links between the two parents, 1..MVGPU_MAX_LINKS.
 * @reserved:	zero.
 */
struct mvgpu_state_peer {
	__u8 uuid[16];
	__u64 fb_size;
	__u32 links;
	__u32 reserved;
};

/**
 * struct mvgpu_state_peers - the peer table the guest took (registers.md):
 * what PEER_COPY's index means, and what a target must offer.
 * @count:	entries, 0..MVGPU_MAX_PEERS.
 * @reserved:	zero.
 * @e:		the entries, sorted by UUID; those past @count zero.
 */
struct mvgpu_state_peers {
	__u32 count;
	__u32 reserved;
	struct mvgpu_state_peer e[MVGPU_MAX_PEERS];
};

/* struct mvgpu_state_ecc.flags */
#define MVGPU_STATE_ECC_F_OPTED_OUT (1u << 0)	/* the guest's opt-out is in
						 * effect (ECC_STATUS.ENABLED
						 * clear on an ECC parent) */
#define MVGPU_STATE_ECC_F_KILLED   (1u << 1)	/* a double-bit error stopped
						 * the channels: they refuse
						 * ENABLE until reset */
#define MVGPU_STATE_ECC_F_ALL	(MVGPU_STATE_ECC_F_OPTED_OUT | \
				 MVGPU_STATE_ECC_F_KILLED)

/**
 * struct mvgpu_state_ecc - the ECC record: the guest's ECC state (ABI 1.1
 * registers, docs/registers.md).
 * @ctrl:	MVGPU_REG_ECC_CTRL as the guest wrote it: only
 *		MVGPU_ECC_CTRL_OPT_OUT (it takes effect at the next reset).
 * @flags:	MVGPU_STATE_ECC_F_*: what is in effect now.
 * @sbe_volatile, @dbe_volatile: single- and double-bit errors since the
 *		vGPU's last reset.
 * @sbe_aggregate, @dbe_aggregate: since the vGPU was created; never
 *		below the volatile ones.
 */
struct mvgpu_state_ecc {
	__u32 ctrl;
	__u32 flags;
	__u64 sbe_volatile;
	__u64 dbe_volatile;
	__u64 sbe_aggregate;
	__u64 dbe_aggregate;
};

/* struct mvgpu_state.have: the optional parts present */
#define MVGPU_STATE_HAVE_PLAT	(1u << 0)	/* @plat: a PLAT record */
#define MVGPU_STATE_HAVE_ECC	(1u << 1)	/* @ecc: an ECC record */
#define MVGPU_STATE_HAVE_PEERS	(1u << 2)	/* @peers: a PEER record */
#define MVGPU_STATE_HAVE_ALL	(MVGPU_STATE_HAVE_PLAT | MVGPU_STATE_HAVE_ECC | \
				 MVGPU_STATE_HAVE_PEERS)

/**
 * struct mvgpu_state - everything of a vGPU but its framebuffer.
 * @cfg:	PCI config space.
 * @intr_status, @intr_mask, @scratch: registers.
 * @disp:	display registers.
 * @irq_kind:	MVGPU_IRQ_KIND_*.
 * @irq_flags:	MVGPU_IRQ_F_*.
 * @have:	MVGPU_STATE_HAVE_*: which of the optional parts below are
 *		there (a stream of minor 0 has neither: the target then keeps
 *		its own ECC state and platform settings).
 * @ch:		channels.
 * @plat:	the platform (PLAT record), if @have says so.  The encoder
 *		ignores it: mvgpu_enc_platform() writes PLAT.
 * @ecc:	the ECC state (ECC record), if @have says so.
 * @peers:	the peer table (PEER record), if @have says so; an in-flight
 *		PEER_COPY needs it.  The encoder ignores it for writing:
 *		mvgpu_enc_peers() writes PEER.
 *
 * The kernel fills it from struct mvgpu_vgpu for the encoder and applies
 * the decoder's copy back.  mvgpu_state_check() says what is valid.
 * No holes: two states compare with memcmp().
 */
struct mvgpu_state {
	__u8 cfg[256];
	__u32 intr_status;
	__u32 intr_mask;
	__u32 scratch;
	__u32 irq_kind;
	__u32 irq_flags;
	struct mvgpu_state_display disp;
	__u32 have;
	struct mvgpu_state_channel ch[MVGPU_NUM_CHANNELS];
	struct mvgpu_state_platform plat;
	struct mvgpu_state_ecc ecc;
	struct mvgpu_state_peers peers;
};

/**
 * mvgpu_state_check() - is @st a state a vGPU described by @info can have?
 * @st:		the state.
 * @info:	the vGPU's info (framebuffer size, type index).
 * @why, @whylen: reason on failure, or NULL.
 *
 * The rules the decoder applies to each state record: config space
 * identity (vendor, device, subsystem ids of the type), interrupt bits
 * within MVGPU_INTR_ALL, enums in range, channel registers consistent
 * (see docs/stream-format.md), an in-flight command that is valid for the
 * framebuffer; no @have bits but MVGPU_STATE_HAVE_*; with HAVE_PLAT a
 * known ECC mode and a frame rate limiter of 0 or 1; with HAVE_ECC only
 * known bits in @ecc.ctrl and @ecc.flags, volatile counters not above
 * aggregate ones.  (Whether @plat's ECC mode suits a target is
 * mvgpu_compat_check()'s business.)  The encoder checks the state it is
 * given with it too, but for @plat and HAVE_PLAT.
 *
 * Return: 0 or -EINVAL.
 */
int mvgpu_state_check(const struct mvgpu_state *st,
		      const struct mvgpu_compat_info *info, char *why,
		      size_t whylen);

/* ---- Errors ------------------------------------------------------------- */

/*
 * Why a decoder failed.  mvgpu_stream_errno() gives the errno a driver
 * returns (shown after each); mvgpu_stream_strerror() a message.
 */
enum mvgpu_stream_err {
	MVGPU_STREAM_OK = 0,
	MVGPU_STREAM_E_INCOMPLETE,	/* -ENODATA: finish() before END */
	MVGPU_STREAM_E_MAGIC,		/* -EPROTO: not an mvgpu stream */
	MVGPU_STREAM_E_VERSION,		/* -EINVAL: stream major not spoken here */
	MVGPU_STREAM_E_INCOMPATIBLE,	/* -EINVAL: descriptor fails compat check */
	MVGPU_STREAM_E_ORDER,		/* -EPROTO: DESC twice, PLAT not right
					 * after DESC (so also twice) */
	MVGPU_STREAM_E_FLAGS,		/* -EPROTO: reserved or wrong record flags */
	MVGPU_STREAM_E_UNKNOWN,		/* -EPROTO: unknown mandatory record */
	MVGPU_STREAM_E_TOO_BIG,		/* -EFBIG: length > MVGPU_REC_MAX_LEN */
	MVGPU_STREAM_E_LENGTH,		/* -EPROTO: wrong length for the record */
	MVGPU_STREAM_E_FIELD,		/* -EPROTO: a field out of range */
	MVGPU_STREAM_E_PADDING,		/* -EPROTO: non-zero padding */
	MVGPU_STREAM_E_DUPLICATE,	/* -EPROTO: a state record (or ECC) twice */
	MVGPU_STREAM_E_MISSING,		/* -EPROTO: END before every state record */
	MVGPU_STREAM_E_COUNT,		/* -EPROTO: END's counts disagree */
	MVGPU_STREAM_E_CHECKSUM,	/* -EBADMSG: END's checksum disagrees */
	MVGPU_STREAM_E_TRAILING,	/* -EPROTO: bytes after END */
	MVGPU_STREAM_E_CALLBACK,	/* the callback's errno: it refused */
	MVGPU_STREAM_E_NR
};

/* Return: the negative errno for @err (0 for MVGPU_STREAM_OK; -EPROTO
 * for MVGPU_STREAM_E_CALLBACK, whose errno the decoder keeps itself). */
int mvgpu_stream_errno(enum mvgpu_stream_err err);

/* Return: a static message for @err ("unknown error" out of range). */
const char *mvgpu_stream_strerror(enum mvgpu_stream_err err);

/* ---- Encoder ------------------------------------------------------------ */

/* Private fields: use the functions. */
struct mvgpu_enc {
	struct mvgpu_xxh64 csum;
	struct mvgpu_compat_info info;
	__u64 fb_pages;
	__u64 bytes;		/* stream bytes written */
	__u64 records;		/* records written (trailer: records before END) */
	__u64 pages;		/* PAGE records written */
	__u64 zero_first;	/* pending zero run */
	__u64 zero_count;
	__u32 phase;
	__u32 plat;		/* PLAT written (PEER may follow it) */
};

/**
 * mvgpu_enc_init() - start a stream.
 * @e:		the encoder (caller-owned).
 * @local:	this vGPU's info (mvgpu_compat_local()); its fb_size must be
 *		a non-zero multiple of MVGPU_STREAM_PAGE_SIZE.
 *
 * Return: 0, or -EINVAL for an invalid @local.
 */
int mvgpu_enc_init(struct mvgpu_enc *e, const struct mvgpu_compat_info *local);

/**
 * mvgpu_enc_desc() - DESC: must be the first call after init.
 * Return: MVGPU_ENC_DESC_BYTES, -ENOSPC or -EINVAL.
 */
ssize_t mvgpu_enc_desc(struct mvgpu_enc *e, void *dst, size_t room);

/**
 * mvgpu_enc_platform() - PLAT: the platform a target must match or apply.
 * @p:		@p->ecc MVGPU_COMPAT_ECC_OFF or _ON, @p->frame_rate_limiter
 *		0 or 1.
 *
 * Optional (a stream without it is valid, as minor 0 wrote them), but only
 * as the call right after mvgpu_enc_desc(), so that a target refuses an
 * ECC mismatch before any page: at most once.  The ECC mode should be the
 * encoder's info's (the source's parent), when that knows it.
 *
 * Return: MVGPU_ENC_PLAT_BYTES, -ENOSPC, or -EINVAL (not right after
 * DESC, invalid fields, or @p->ecc not the info's known mode).
 */
ssize_t mvgpu_enc_platform(struct mvgpu_enc *e, void *dst, size_t room,
			   const struct mvgpu_state_platform *p);

/**
 * mvgpu_enc_peers() - PEER: the peer table the guest took.
 * @p:		the table (sorted, distinct, valid: see the format).
 *
 * Optional (a vGPU whose guest took no peers writes none), but only right
 * after DESC, or after PLAT if that follows DESC, so that a target missing
 * a peer refuses the stream before any page: at most once.  A state with
 * an in-flight PEER_COPY needs it (mvgpu_enc_state() checks the command
 * against @st->peers, which should be this table).
 *
 * Return: MVGPU_ENC_PEER_BYTES, -ENOSPC, or -EINVAL (out of place or an
 * invalid table).
 */
ssize_t mvgpu_enc_peers(struct mvgpu_enc *e, void *dst, size_t room,
			const struct mvgpu_state_peers *p);

/**
 * mvgpu_enc_size_hint() - SIZE: announce what is left to send.
 * @stop_copy_bytes: estimate of the stop-copy data (e.g.
 *		mvgpu_stream_stop_copy_bytes()).
 * @dirty_pages: pages still to send.
 * Return: bytes written (at most MVGPU_ENC_SIZE_BYTES), -ENOSPC or -EINVAL.
 */
ssize_t mvgpu_enc_size_hint(struct mvgpu_enc *e, void *dst, size_t room,
			    __u64 stop_copy_bytes, __u64 dirty_pages);

/**
 * mvgpu_enc_page() - framebuffer page @index with its current @data.
 * @data:	MVGPU_STREAM_PAGE_SIZE bytes, read once (zero check) and copied;
 *		not kept.
 *
 * A zero page joins the pending zero run (0 bytes written, or the previous
 * run flushed when this one does not extend it); a non-zero page flushes
 * the run and writes a PAGE record.
 *
 * Return: bytes written (at most MVGPU_ENC_PAGE_BYTES_MAX), -ENOSPC, or
 * -EINVAL (@index out of range, called before DESC or after END).
 */
ssize_t mvgpu_enc_page(struct mvgpu_enc *e, void *dst, size_t room,
		       __u64 index, const void *data);

/**
 * mvgpu_enc_zero() - pages [@first, @first + @count) are zero (e.g. never
 * backed), without reading them.  Joins the pending zero run like
 * mvgpu_enc_page().
 * Return: bytes written (0 or MVGPU_ENC_ZERO_BYTES), -ENOSPC or -EINVAL.
 */
ssize_t mvgpu_enc_zero(struct mvgpu_enc *e, void *dst, size_t room,
		       __u64 first, __u64 count);

/**
 * mvgpu_enc_flush() - write the pending zero run, if any.  Call it at the
 * end of each pre-copy pass, so the data of a pass is complete.
 * Return: 0 or MVGPU_ENC_ZERO_BYTES, -ENOSPC or -EINVAL.
 */
ssize_t mvgpu_enc_flush(struct mvgpu_enc *e, void *dst, size_t room);

/**
 * mvgpu_enc_pending() - is a zero run waiting to be flushed?
 */
bool mvgpu_enc_pending(const struct mvgpu_enc *e);

/**
 * mvgpu_enc_state() - the state records: CFG, REGS, DISP, IRQ, each CHAN,
 * then ECC if @st->have has MVGPU_STATE_HAVE_ECC.
 * @st:		the state; checked with mvgpu_state_check() first (but for
 *		@st->plat and HAVE_PLAT, which it ignores).
 * Once per stream.
 * Return: bytes written (at most MVGPU_ENC_STATE_BYTES), -ENOSPC, or
 * -EINVAL (invalid state, called twice, before DESC or after END).
 */
ssize_t mvgpu_enc_state(struct mvgpu_enc *e, void *dst, size_t room,
			const struct mvgpu_state *st);

/**
 * mvgpu_enc_end() - flush, then END.  After the state; the last call.
 * Return: bytes written (at most MVGPU_ENC_END_BYTES), -ENOSPC or -EINVAL.
 */
ssize_t mvgpu_enc_end(struct mvgpu_enc *e, void *dst, size_t room);

/**
 * mvgpu_enc_record() - any record, unchecked: for optional records of
 * later minors and for tests that build bad streams.  Flushes first.
 * @len:	payload bytes, <= MVGPU_REC_MAX_LEN; padding is added.
 * Return: bytes written, -ENOSPC or -EINVAL (before DESC, after END, @len).
 */
ssize_t mvgpu_enc_record(struct mvgpu_enc *e, void *dst, size_t room,
			 __u32 tag, __u32 flags, const void *payload,
			 size_t len);

/**
 * mvgpu_stream_put_chan() - the payload of a CHAN record
 * (MVGPU_REC_CHAN_LEN bytes at @p) for channel @n, unchecked: what
 * mvgpu_enc_state() writes per channel, for tests that build records the
 * encoder refuses (mvgpu_enc_record()).
 */
void mvgpu_stream_put_chan(__u8 *p, unsigned int n,
			   const struct mvgpu_state_channel *c);

/* Return: stream bytes written so far. */
__u64 mvgpu_enc_bytes(const struct mvgpu_enc *e);

/* Return: true once END was written. */
bool mvgpu_enc_done(const struct mvgpu_enc *e);

/* ---- Decoder ------------------------------------------------------------ */

/**
 * struct mvgpu_dec_ops - where the decoder hands results.  Each callback
 * returns 0 to go on or a negative errno to stop decoding (the decoder then
 * fails with MVGPU_STREAM_E_CALLBACK and that errno).
 * @desc:	optional: the source's descriptor, already validated and found
 *		compatible with the local info.  Its @ecc is UNKNOWN: DESC
 *		does not carry it, PLAT does.
 * @platform:	optional: the PLAT record, validated, stored in the state
 *		(@plat, MVGPU_STATE_HAVE_PLAT) and its ECC mode found
 *		compatible with the local info's (mvgpu_compat_check(), the
 *		rule skipped when the local mode is unknown).  Not called for
 *		a stream without PLAT.
 * @peers:	optional: the PEER record, validated and stored in the
 *		state (@peers, MVGPU_STATE_HAVE_PEERS): the target checks
 *		that it offers those peers (the kernel: open in the same VM,
 *		as many links).  Not called for a stream without PEER.
 * @size_hint:	optional: a SIZE record.
 * @page:	page @index (< framebuffer pages) is @data, 4096 bytes valid
 *		only during the call.  Pages may come several times: the last
 *		PAGE or ZERO for an index wins.
 * @zero:	pages [@first, @first + @count) are zero (count >= 1, in range).
 */
struct mvgpu_dec_ops {
	int (*desc)(void *ctx, const struct mvgpu_compat_info *remote);
	int (*platform)(void *ctx, const struct mvgpu_state_platform *p);
	int (*peers)(void *ctx, const struct mvgpu_state_peers *p);
	int (*size_hint)(void *ctx, __u64 stop_copy_bytes, __u64 dirty_pages);
	int (*page)(void *ctx, __u64 index, const void *data);
	int (*zero)(void *ctx, __u64 first, __u64 count);
};

/* Private fields: use the functions.  About 4.5 KiB: allocate it, do not
 * put it on a kernel stack. */
struct mvgpu_dec {
	struct mvgpu_compat_info local;
	struct mvgpu_compat_info remote;
	struct mvgpu_state *st;
	const struct mvgpu_dec_ops *ops;
	void *ctx;
	__u64 fb_pages;

	struct mvgpu_xxh64 csum;
	__u64 pos;		/* stream bytes consumed */
	__u64 rec_pos;		/* where the current record started */
	__u64 records;		/* records completed before END */
	__u64 pages;		/* PAGE records */
	__u64 len;		/* current payload length */
	__u64 have;		/* bytes of the current part received */
	__u32 tag;
	__u32 flags;
	__u32 phase;
	__u32 pad;		/* padding bytes of the current record */
	__u32 seen;		/* state records received */
	bool skip;		/* current record is skipped */
	enum mvgpu_stream_err err;
	int err_errno;
	char why[MVGPU_COMPAT_WHY_MAX];
	__u8 hdr[MVGPU_REC_HDR_LEN];
	__u8 buf[MVGPU_REC_PAGE_LEN];
};

/**
 * mvgpu_dec_init() - start decoding a stream.
 * @d:		the decoder (caller-owned).
 * @local:	this vGPU's info (the target); fb_size a non-zero multiple of
 *		MVGPU_STREAM_PAGE_SIZE.  Copied.
 * @st:		where the state goes; written part by part as records arrive.
 *		Its @have is cleared here (on success) and gains a
 *		MVGPU_STATE_HAVE_* bit per optional part received.
 * @ops:	callbacks; @page and @zero are required.  Not copied.
 * @ctx:	passed to the callbacks.
 *
 * Return: 0, or -EINVAL for invalid arguments (then every later call
 * fails with -EINVAL too).
 */
int mvgpu_dec_init(struct mvgpu_dec *d, const struct mvgpu_compat_info *local,
		   struct mvgpu_state *st, const struct mvgpu_dec_ops *ops,
		   void *ctx);

/**
 * mvgpu_dec_push() - feed the next @len bytes of the stream.
 *
 * Return: 0, or the negative errno of the first error (then and on every
 * later call): see enum mvgpu_stream_err.  Bytes after END are an error.
 */
int mvgpu_dec_push(struct mvgpu_dec *d, const void *data, size_t len);

/**
 * mvgpu_dec_finish() - the stream ended (no more bytes will come).
 *
 * Return: 0 if a complete, valid stream was decoded; -ENODATA
 * (MVGPU_STREAM_E_INCOMPLETE) if it stopped before END; else the error.
 */
int mvgpu_dec_finish(struct mvgpu_dec *d);

/* Return: true once END was received and verified. */
bool mvgpu_dec_complete(const struct mvgpu_dec *d);

/* Return: the source's descriptor once it was accepted, else NULL.  Its
 * @ecc is the PLAT record's once that was accepted, UNKNOWN before and in
 * a stream without PLAT. */
const struct mvgpu_compat_info *mvgpu_dec_remote(const struct mvgpu_dec *d);

/* Return: the first error, MVGPU_STREAM_OK if none. */
enum mvgpu_stream_err mvgpu_dec_error(const struct mvgpu_dec *d);

/* Return: a message for the first error with detail ("CHAN: channel
 * index 9 out of range"), "" if none. */
const char *mvgpu_dec_why(const struct mvgpu_dec *d);

/* Return: bytes consumed; after an error, the offset of the record at
 * fault. */
__u64 mvgpu_dec_offset(const struct mvgpu_dec *d);

#endif /* MVGPU_STREAM_H */
