// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * mvgpu_stream.c - the migration stream's encoder and validating decoder.
 *
 * Portable C for the kernel and userspace (mvgpu_port.h): no allocation,
 * no recursion, every length checked before use.  The only per-byte work
 * is the checksum and the encoder's zero-page test; payloads are copied
 * with memcpy, and the decoder hands a page straight out of the caller's
 * buffer when the whole record payload is in it.
 */
#include "mvgpu_stream.h"

/* The shared structs have no holes (see their comments). */
_Static_assert(sizeof(struct mvgpu_state_channel) == 80, "hole in channel");
_Static_assert(sizeof(struct mvgpu_state_platform) == 8, "hole in platform");
_Static_assert(sizeof(struct mvgpu_state_ecc) == 40, "hole in ECC state");
_Static_assert(sizeof(struct mvgpu_state_peer) == MVGPU_REC_PEER_ENTRY,
	       "hole in peer");
_Static_assert(sizeof(struct mvgpu_state_peers) == MVGPU_REC_PEER_LEN,
	       "hole in peers");
_Static_assert(sizeof(struct mvgpu_state) == 672 + MVGPU_REC_PEER_LEN,
	       "hole in state");
_Static_assert(sizeof(struct mvgpu_compat_info) == 96, "hole in info");

/* MVGPU_ENC_BUF_MIN takes any one call (but mvgpu_enc_record()'s). */
_Static_assert(MVGPU_ENC_DESC_BYTES <= MVGPU_ENC_BUF_MIN &&
	       MVGPU_ENC_PLAT_BYTES <= MVGPU_ENC_BUF_MIN &&
	       MVGPU_ENC_PEER_BYTES <= MVGPU_ENC_BUF_MIN &&
	       MVGPU_ENC_SIZE_BYTES <= MVGPU_ENC_BUF_MIN &&
	       MVGPU_ENC_STATE_BYTES <= MVGPU_ENC_BUF_MIN &&
	       MVGPU_ENC_END_BYTES <= MVGPU_ENC_BUF_MIN,
	       "MVGPU_ENC_BUF_MIN is too small");

#define PAD8(n)		((unsigned int)(-(n) & 7))

/* The state records, as bits of mvgpu_dec.seen */
#define SEEN_CFG	(1u << 0)
#define SEEN_REGS	(1u << 1)
#define SEEN_DISP	(1u << 2)
#define SEEN_IRQ	(1u << 3)
#define SEEN_CH(n)	(1u << (4 + (n)))
#define SEEN_STATE	((1u << (4 + MVGPU_NUM_CHANNELS)) - 1)	/* required */
#define SEEN_ECC	(1u << 12)	/* optional (minor 1) */
#define SEEN_PLAT	(1u << 13)	/* optional (minor 1) */
#define SEEN_PEER	(1u << 14)	/* optional (minor 2) */
#define SEEN_DESC	(1u << 31)
_Static_assert(4 + MVGPU_NUM_CHANNELS <= 12, "SEEN_CH() overlaps SEEN_ECC");

/* Where a decoder is inside the stream */
enum { PH_HDR, PH_PAYLOAD, PH_PAD, PH_DONE };

/* Where an encoder is */
enum { ENC_START, ENC_BODY, ENC_STATE, ENC_ENDED };

#define WHY(buf, len, ...)						\
	do {								\
		if ((buf) && (len))					\
			snprintf((buf), (len), __VA_ARGS__);		\
	} while (0)

/* ---- Errors -------------------------------------------------------------- */

static const struct {
	int err;
	const char *msg;
} stream_errs[MVGPU_STREAM_E_NR] = {
	[MVGPU_STREAM_OK]		= { 0,		"success" },
	[MVGPU_STREAM_E_INCOMPLETE]	= { -ENODATA,	"stream incomplete" },
	[MVGPU_STREAM_E_MAGIC]		= { -EPROTO,	"not an mvgpu migration stream" },
	[MVGPU_STREAM_E_VERSION]	= { -EINVAL,	"unsupported stream version" },
	[MVGPU_STREAM_E_INCOMPATIBLE]	= { -EINVAL,	"incompatible source vGPU" },
	[MVGPU_STREAM_E_ORDER]		= { -EPROTO,	"record out of order" },
	[MVGPU_STREAM_E_FLAGS]		= { -EPROTO,	"bad record flags" },
	[MVGPU_STREAM_E_UNKNOWN]	= { -EPROTO,	"unknown mandatory record" },
	[MVGPU_STREAM_E_TOO_BIG]	= { -EFBIG,	"record too large" },
	[MVGPU_STREAM_E_LENGTH]		= { -EPROTO,	"bad record length" },
	[MVGPU_STREAM_E_FIELD]		= { -EPROTO,	"field out of range" },
	[MVGPU_STREAM_E_PADDING]	= { -EPROTO,	"non-zero padding" },
	[MVGPU_STREAM_E_DUPLICATE]	= { -EPROTO,	"duplicate record" },
	[MVGPU_STREAM_E_MISSING]	= { -EPROTO,	"missing record" },
	[MVGPU_STREAM_E_COUNT]		= { -EPROTO,	"record count mismatch" },
	[MVGPU_STREAM_E_CHECKSUM]	= { -EBADMSG,	"checksum mismatch" },
	[MVGPU_STREAM_E_TRAILING]	= { -EPROTO,	"data after the end of the stream" },
	[MVGPU_STREAM_E_CALLBACK]	= { -EPROTO,	"refused by the consumer" },
};

int mvgpu_stream_errno(enum mvgpu_stream_err err)
{
	if ((unsigned int)err >= MVGPU_STREAM_E_NR)
		return -EPROTO;
	return stream_errs[err].err;
}

const char *mvgpu_stream_strerror(enum mvgpu_stream_err err)
{
	if ((unsigned int)err >= MVGPU_STREAM_E_NR)
		return "unknown error";
	return stream_errs[err].msg;
}

/* ---- The small state's rules --------------------------------------------- */

static bool fb_range_ok(__u64 fb_size, __u64 off, __u64 len)
{
	return off <= fb_size && len <= fb_size - off;
}

/* The rules of kernel/channel.c cmd_check() for a command the processor
 * stopped inside: it resumes without checking it again.  @peers: the
 * stream's peer table, NULL without one. */
static int cmd_check(const struct mvgpu_state_channel *c, __u64 fb_size,
		     const struct mvgpu_state_peers *peers, char *why,
		     size_t whylen)
{
	__u32 op = mvgpu_get_le32(&c->cmd.op);
	__u32 flags = mvgpu_get_le32(&c->cmd.flags);
	__u64 a = mvgpu_get_le64(&c->cmd.a), b = mvgpu_get_le64(&c->cmd.b);
	__u64 n = mvgpu_get_le64(&c->cmd.c), len, align;
	bool range;

	switch (op) {
	case MVGPU_OP_FILL:
		align = a | b;
		range = fb_range_ok(fb_size, a, b);
		len = b;
		break;
	case MVGPU_OP_COPY:
		align = a | b | n;
		range = fb_range_ok(fb_size, a, n) && fb_range_ok(fb_size, b, n);
		len = n;
		break;
	case MVGPU_OP_DMA_TO_FB:
		align = b | n;
		range = fb_range_ok(fb_size, b, n);
		len = n;
		break;
	case MVGPU_OP_DMA_FROM_FB:
		align = a | n;
		range = fb_range_ok(fb_size, a, n);
		len = n;
		break;
	case MVGPU_OP_PEER_COPY:
		if (flags & ~MVGPU_CMD_PEER_F_ALL ||
		    !peers || (flags & MVGPU_CMD_PEER_MASK) >= peers->count) {
			WHY(why, whylen,
			    "in-flight peer copy with flags %#x, %u peers",
			    flags, peers ? peers->count : 0);
			return -EINVAL;
		}
		align = a | b | n;
		range = fb_range_ok(fb_size, a, n) &&
			fb_range_ok(peers->e[flags & MVGPU_CMD_PEER_MASK].fb_size,
				    b, n);
		len = n;
		flags = 0;	/* they name the peer */
		break;
	default:
		WHY(why, whylen, "in-flight command has opcode %u", op);
		return -EINVAL;
	}
	if (flags) {
		WHY(why, whylen, "in-flight command has flags %#x", flags);
		return -EINVAL;
	}
	if (align & 3) {
		WHY(why, whylen, "in-flight command is misaligned");
		return -EINVAL;
	}
	if (!range) {
		WHY(why, whylen, "in-flight command is outside the framebuffer");
		return -EINVAL;
	}
	if (c->cmd_done >= len || c->cmd_done & 3) {
		WHY(why, whylen, "in-flight command: %llu of %llu bytes done",
		    (unsigned long long)c->cmd_done, (unsigned long long)len);
		return -EINVAL;
	}
	return 0;
}

static bool ring_offset_ok(__u32 off, __u32 size)
{
	return off < size && !(off % MVGPU_CMD_SIZE);
}

static int chan_check(const struct mvgpu_state_channel *c, __u64 fb_size,
		      const struct mvgpu_state_peers *peers, char *why,
		      size_t whylen)
{
	bool enabled = c->ctrl & MVGPU_CH_CTRL_ENABLE;
	__u32 sz = c->ring_size;

	if (c->ctrl & ~MVGPU_CH_CTRL_ENABLE) {
		WHY(why, whylen, "ctrl %#x has unknown bits", c->ctrl);
		return -EINVAL;
	}
	if (c->error > MVGPU_ERR_MAX) {
		WHY(why, whylen, "error code %u out of range", c->error);
		return -EINVAL;
	}
	/* PUT and GET only ever hold command offsets inside some legal ring */
	if (!ring_offset_ok(c->put, MVGPU_RING_MAX) ||
	    !ring_offset_ok(c->get, MVGPU_RING_MAX) ||
	    !ring_offset_ok(c->error_get, MVGPU_RING_MAX)) {
		WHY(why, whylen, "ring offsets put %#x get %#x error_get %#x",
		    c->put, c->get, c->error_get);
		return -EINVAL;
	}
	/* An enabled channel without an error passed the ENABLE checks, and
	 * its ring registers cannot change while it is enabled. */
	if (enabled && !c->error) {
		if (sz < MVGPU_RING_MIN || sz > MVGPU_RING_MAX ||
		    (sz & (sz - 1)) || (c->ring_base & 0xfff) ||
		    c->ring_base + sz < c->ring_base) {
			WHY(why, whylen, "enabled ring %#llx size %#x is invalid",
			    (unsigned long long)c->ring_base, sz);
			return -EINVAL;
		}
		if (!ring_offset_ok(c->put, sz) || !ring_offset_ok(c->get, sz)) {
			WHY(why, whylen, "put %#x or get %#x beyond the ring",
			    c->put, c->get);
			return -EINVAL;
		}
	}
	/* Whatever the channel's status (a guest may disable it or move PUT
	 * back to GET mid-command), an in-flight command must be one the
	 * processor may resume. */
	return c->cmd_done ? cmd_check(c, fb_size, peers, why, whylen) : 0;
}

static int cfg_check(const __u8 *cfg, __u32 type_index, char *why,
		     size_t whylen)
{
	if (mvgpu_get_le16(cfg + PCI_VENDOR_ID) != MVGPU_PCI_VENDOR_ID ||
	    mvgpu_get_le16(cfg + PCI_DEVICE_ID) != MVGPU_PCI_DEVICE_ID ||
	    mvgpu_get_le16(cfg + PCI_SUBSYSTEM_VENDOR_ID) !=
	    MVGPU_PCI_SUBVENDOR_ID ||
	    mvgpu_get_le16(cfg + PCI_SUBSYSTEM_ID) !=
	    MVGPU_PCI_SUBDEV_BASE + type_index) {
		WHY(why, whylen, "config space is not an mvgpu of type %u",
		    type_index);
		return -EINVAL;
	}
	return 0;
}

static int regs_check(__u32 status, __u32 mask, char *why, size_t whylen)
{
	if ((status | mask) & ~MVGPU_INTR_ALL) {
		WHY(why, whylen, "interrupt status %#x mask %#x has unknown bits",
		    status, mask);
		return -EINVAL;
	}
	return 0;
}

static int irq_check(__u32 kind, __u32 flags, char *why, size_t whylen)
{
	if (kind > MVGPU_IRQ_KIND_MAX || flags & ~MVGPU_IRQ_F_INTX_MASKED) {
		WHY(why, whylen, "interrupt kind %u flags %#x", kind, flags);
		return -EINVAL;
	}
	return 0;
}

static int plat_check(const struct mvgpu_state_platform *p, char *why,
		      size_t whylen)
{
	if (p->ecc != MVGPU_COMPAT_ECC_OFF && p->ecc != MVGPU_COMPAT_ECC_ON) {
		WHY(why, whylen, "platform ECC mode %u", p->ecc);
		return -EINVAL;
	}
	if (p->frame_rate_limiter > 1) {
		WHY(why, whylen, "frame rate limiter %u", p->frame_rate_limiter);
		return -EINVAL;
	}
	return 0;
}

static int peers_check(const struct mvgpu_state_peers *p, char *why,
		       size_t whylen)
{
	unsigned int i;

	if (p->count > MVGPU_MAX_PEERS || p->reserved) {
		WHY(why, whylen, "peer table of %u entries", p->count);
		return -EINVAL;
	}
	for (i = 0; i < MVGPU_MAX_PEERS; i++) {
		const struct mvgpu_state_peer *e = &p->e[i];

		if (i >= p->count) {
			if (!mvgpu_is_zero(e, sizeof(*e))) {
				WHY(why, whylen, "peer entry %u past the count", i);
				return -EINVAL;
			}
			continue;
		}
		if (!e->links || e->links > MVGPU_MAX_LINKS || e->reserved ||
		    !e->fb_size || e->fb_size % MVGPU_STREAM_PAGE_SIZE) {
			WHY(why, whylen, "peer %u: %u links, %llu bytes", i,
			    e->links, (unsigned long long)e->fb_size);
			return -EINVAL;
		}
		if (i && memcmp(p->e[i - 1].uuid, e->uuid, sizeof(e->uuid)) >= 0) {
			WHY(why, whylen, "peers not sorted or not distinct at %u", i);
			return -EINVAL;
		}
	}
	return 0;
}

static int ecc_check(const struct mvgpu_state_ecc *e, char *why,
		     size_t whylen)
{
	if (e->ctrl & ~MVGPU_ECC_CTRL_OPT_OUT) {
		WHY(why, whylen, "ECC ctrl %#x has unknown bits", e->ctrl);
		return -EINVAL;
	}
	if (e->flags & ~MVGPU_STATE_ECC_F_ALL) {
		WHY(why, whylen, "ECC flags %#x have unknown bits", e->flags);
		return -EINVAL;
	}
	if (e->sbe_volatile > e->sbe_aggregate ||
	    e->dbe_volatile > e->dbe_aggregate) {
		WHY(why, whylen,
		    "ECC counters: volatile SBE %llu DBE %llu above aggregate %llu %llu",
		    (unsigned long long)e->sbe_volatile,
		    (unsigned long long)e->dbe_volatile,
		    (unsigned long long)e->sbe_aggregate,
		    (unsigned long long)e->dbe_aggregate);
		return -EINVAL;
	}
	return 0;
}

/* mvgpu_state_check(); the encoder's skips @plat (@with_plat false). */
static int state_check(const struct mvgpu_state *st,
		       const struct mvgpu_compat_info *info, bool with_plat,
		       char *why, size_t whylen)
{
	unsigned int i;
	int ret;

	ret = cfg_check(st->cfg, info->type_index, why, whylen);
	if (!ret)
		ret = regs_check(st->intr_status, st->intr_mask, why, whylen);
	if (!ret)
		ret = irq_check(st->irq_kind, st->irq_flags, why, whylen);
	if (!ret && (st->have & MVGPU_STATE_HAVE_PEERS))
		ret = peers_check(&st->peers, why, whylen);
	for (i = 0; !ret && i < MVGPU_NUM_CHANNELS; i++)
		ret = chan_check(&st->ch[i], info->fb_size,
				 st->have & MVGPU_STATE_HAVE_PEERS ? &st->peers : NULL,
				 why, whylen);
	if (!ret && (st->have & ~MVGPU_STATE_HAVE_ALL)) {
		WHY(why, whylen, "state parts %#x unknown",
		    st->have & ~MVGPU_STATE_HAVE_ALL);
		ret = -EINVAL;
	}
	if (!ret && with_plat && (st->have & MVGPU_STATE_HAVE_PLAT))
		ret = plat_check(&st->plat, why, whylen);
	if (!ret && (st->have & MVGPU_STATE_HAVE_ECC))
		ret = ecc_check(&st->ecc, why, whylen);
	return ret;
}

int mvgpu_state_check(const struct mvgpu_state *st,
		      const struct mvgpu_compat_info *info, char *why,
		      size_t whylen)
{
	return state_check(st, info, true, why, whylen);
}

/* ---- Wire layouts -------------------------------------------------------- */

static void put_hdr(__u8 *p, __u32 tag, __u32 flags, __u64 len)
{
	mvgpu_put_le32(p, tag);
	mvgpu_put_le32(p + 4, flags);
	mvgpu_put_le64(p + 8, len);
}

static void put_str(__u8 *p, const char *s, size_t size)
{
	size_t n = strnlen(s, size - 1);

	memcpy(p, s, n);
	memset(p + n, 0, size - n);
}

/* DESC payload offsets */
#define DESC_MAGIC	0
#define DESC_STREAM	8
#define DESC_ABI	12
#define DESC_TYPE_IDX	16
#define DESC_RSVD	20
#define DESC_FB		24
#define DESC_FEATURES	32
#define DESC_TYPE	40
#define DESC_DRIVER	(DESC_TYPE + MVGPU_COMPAT_TYPE_MAX)

static void put_desc(__u8 *p, const struct mvgpu_compat_info *in)
{
	mvgpu_put_le64(p + DESC_MAGIC, MVGPU_STREAM_MAGIC);
	mvgpu_put_le16(p + DESC_STREAM, in->stream_major);
	mvgpu_put_le16(p + DESC_STREAM + 2, in->stream_minor);
	mvgpu_put_le16(p + DESC_ABI, in->abi_major);
	mvgpu_put_le16(p + DESC_ABI + 2, in->abi_minor);
	mvgpu_put_le32(p + DESC_TYPE_IDX, in->type_index);
	mvgpu_put_le32(p + DESC_RSVD, 0);
	mvgpu_put_le64(p + DESC_FB, in->fb_size);
	mvgpu_put_le64(p + DESC_FEATURES, in->features);
	put_str(p + DESC_TYPE, in->type, MVGPU_COMPAT_TYPE_MAX);
	put_str(p + DESC_DRIVER, in->driver, MVGPU_COMPAT_DRIVER_MAX);
}

void mvgpu_stream_put_chan(__u8 *p, unsigned int n,
			   const struct mvgpu_state_channel *c)
{
	mvgpu_put_le32(p, n);
	mvgpu_put_le32(p + 4, c->ctrl);
	mvgpu_put_le64(p + 8, c->ring_base);
	mvgpu_put_le32(p + 16, c->ring_size);
	mvgpu_put_le32(p + 20, c->put);
	mvgpu_put_le32(p + 24, c->get);
	mvgpu_put_le32(p + 28, c->fence);
	mvgpu_put_le32(p + 32, c->error);
	mvgpu_put_le32(p + 36, c->error_get);
	mvgpu_put_le64(p + 40, c->cmd_done);
	memcpy(p + 48, &c->cmd, MVGPU_CMD_SIZE);
}

/* PLAT payload offsets */
#define PLAT_ECC	0
#define PLAT_FRL	4
#define PLAT_RSVD	8

/* ECC payload offsets */
#define ECC_CTRL	0
#define ECC_FLAGS	4
#define ECC_SBE_VOL	8
#define ECC_DBE_VOL	16
#define ECC_SBE_AGG	24
#define ECC_DBE_AGG	32
#define ECC_RSVD	40

static void put_ecc(__u8 *p, const struct mvgpu_state_ecc *e)
{
	mvgpu_put_le32(p + ECC_CTRL, e->ctrl);
	mvgpu_put_le32(p + ECC_FLAGS, e->flags);
	mvgpu_put_le64(p + ECC_SBE_VOL, e->sbe_volatile);
	mvgpu_put_le64(p + ECC_DBE_VOL, e->dbe_volatile);
	mvgpu_put_le64(p + ECC_SBE_AGG, e->sbe_aggregate);
	mvgpu_put_le64(p + ECC_DBE_AGG, e->dbe_aggregate);
	mvgpu_put_le64(p + ECC_RSVD, 0);
}

static void get_ecc(const __u8 *p, struct mvgpu_state_ecc *e)
{
	e->ctrl = mvgpu_get_le32(p + ECC_CTRL);
	e->flags = mvgpu_get_le32(p + ECC_FLAGS);
	e->sbe_volatile = mvgpu_get_le64(p + ECC_SBE_VOL);
	e->dbe_volatile = mvgpu_get_le64(p + ECC_DBE_VOL);
	e->sbe_aggregate = mvgpu_get_le64(p + ECC_SBE_AGG);
	e->dbe_aggregate = mvgpu_get_le64(p + ECC_DBE_AGG);
}

static void get_chan(const __u8 *p, struct mvgpu_state_channel *c)
{
	c->ctrl = mvgpu_get_le32(p + 4);
	c->ring_base = mvgpu_get_le64(p + 8);
	c->ring_size = mvgpu_get_le32(p + 16);
	c->put = mvgpu_get_le32(p + 20);
	c->get = mvgpu_get_le32(p + 24);
	c->fence = mvgpu_get_le32(p + 28);
	c->error = mvgpu_get_le32(p + 32);
	c->error_get = mvgpu_get_le32(p + 36);
	c->cmd_done = mvgpu_get_le64(p + 40);
	memcpy(&c->cmd, p + 48, MVGPU_CMD_SIZE);
}

/* ---- Encoder ------------------------------------------------------------- */

static bool fb_size_ok(__u64 fb_size)
{
	return fb_size && !(fb_size % MVGPU_STREAM_PAGE_SIZE);
}

int mvgpu_enc_init(struct mvgpu_enc *e, const struct mvgpu_compat_info *local)
{
	memset(e, 0, sizeof(*e));
	if (mvgpu_compat_validate(local, NULL, 0) || !fb_size_ok(local->fb_size))
		return -EINVAL;
	e->info = *local;
	e->fb_pages = local->fb_size / MVGPU_STREAM_PAGE_SIZE;
	mvgpu_xxh64_reset(&e->csum);
	e->phase = ENC_START;
	return 0;
}

static bool enc_open(const struct mvgpu_enc *e)
{
	return e->phase == ENC_BODY || e->phase == ENC_STATE;
}

/* Account for a finished record of @n bytes at @p. */
static size_t enc_emit(struct mvgpu_enc *e, const __u8 *p, size_t n)
{
	mvgpu_xxh64_update(&e->csum, p, n);
	e->bytes += n;
	e->records++;
	return n;
}

/* Header, payload (already at p + 16 when @payload is NULL), padding. */
static size_t enc_record(struct mvgpu_enc *e, __u8 *p, __u32 tag,
			 __u32 flags, const void *payload, size_t len)
{
	put_hdr(p, tag, flags, len);
	if (payload && len)
		memcpy(p + MVGPU_REC_HDR_LEN, payload, len);
	memset(p + MVGPU_REC_HDR_LEN + len, 0, PAD8(len));
	return enc_emit(e, p, MVGPU_REC_HDR_LEN + len + PAD8(len));
}

static size_t enc_flush_run(struct mvgpu_enc *e, __u8 *p)
{
	if (!e->zero_count)
		return 0;
	mvgpu_put_le64(p + MVGPU_REC_HDR_LEN, e->zero_first);
	mvgpu_put_le64(p + MVGPU_REC_HDR_LEN + 8, e->zero_count);
	e->zero_count = 0;
	return enc_record(e, p, MVGPU_REC_ZERO, 0, NULL, MVGPU_REC_ZERO_LEN);
}

static size_t enc_run_bytes(const struct mvgpu_enc *e)
{
	return e->zero_count ? MVGPU_ENC_ZERO_BYTES : 0;
}

ssize_t mvgpu_enc_desc(struct mvgpu_enc *e, void *dst, size_t room)
{
	__u8 *p = dst;

	if (e->phase != ENC_START)
		return -EINVAL;
	if (room < MVGPU_ENC_DESC_BYTES)
		return -ENOSPC;
	put_desc(p + MVGPU_REC_HDR_LEN, &e->info);
	e->phase = ENC_BODY;
	return enc_record(e, p, MVGPU_REC_DESC, 0, NULL, MVGPU_REC_DESC_LEN);
}

/* Nothing but DESC written yet, and no zero run pending. */
static bool enc_after_desc(const struct mvgpu_enc *e)
{
	return e->phase == ENC_BODY && e->records == 1 && !e->zero_count;
}

ssize_t mvgpu_enc_platform(struct mvgpu_enc *e, void *dst, size_t room,
			   const struct mvgpu_state_platform *p)
{
	__u8 *q = (__u8 *)dst + MVGPU_REC_HDR_LEN;

	if (!enc_after_desc(e) || plat_check(p, NULL, 0) ||
	    (e->info.ecc != MVGPU_COMPAT_ECC_UNKNOWN && p->ecc != e->info.ecc))
		return -EINVAL;
	if (room < MVGPU_ENC_PLAT_BYTES)
		return -ENOSPC;
	mvgpu_put_le32(q + PLAT_ECC, p->ecc);
	mvgpu_put_le32(q + PLAT_FRL, p->frame_rate_limiter);
	mvgpu_put_le64(q + PLAT_RSVD, 0);
	e->plat = 1;
	return enc_record(e, dst, MVGPU_REC_PLAT, MVGPU_REC_F_OPTIONAL, NULL,
			  MVGPU_REC_PLAT_LEN);
}

static void put_peers(__u8 *q, const struct mvgpu_state_peers *p)
{
	unsigned int i;

	mvgpu_put_le32(q, p->count);
	mvgpu_put_le32(q + 4, 0);
	for (i = 0; i < MVGPU_MAX_PEERS; i++) {
		__u8 *r = q + 8 + i * MVGPU_REC_PEER_ENTRY;

		memcpy(r, p->e[i].uuid, 16);
		mvgpu_put_le64(r + 16, p->e[i].fb_size);
		mvgpu_put_le32(r + 24, p->e[i].links);
		mvgpu_put_le32(r + 28, 0);
	}
}

static void get_peers(const __u8 *q, struct mvgpu_state_peers *p)
{
	unsigned int i;

	p->count = mvgpu_get_le32(q);
	p->reserved = mvgpu_get_le32(q + 4);
	for (i = 0; i < MVGPU_MAX_PEERS; i++) {
		const __u8 *r = q + 8 + i * MVGPU_REC_PEER_ENTRY;

		memcpy(p->e[i].uuid, r, 16);
		p->e[i].fb_size = mvgpu_get_le64(r + 16);
		p->e[i].links = mvgpu_get_le32(r + 24);
		p->e[i].reserved = mvgpu_get_le32(r + 28);
	}
}

ssize_t mvgpu_enc_peers(struct mvgpu_enc *e, void *dst, size_t room,
			const struct mvgpu_state_peers *p)
{
	bool placed = enc_after_desc(e) ||
		      (e->plat && e->phase == ENC_BODY && e->records == 2 &&
		       !e->zero_count);

	if (!placed || peers_check(p, NULL, 0))
		return -EINVAL;
	if (room < MVGPU_ENC_PEER_BYTES)
		return -ENOSPC;
	put_peers((__u8 *)dst + MVGPU_REC_HDR_LEN, p);
	e->plat = 0;		/* PEER once */
	return enc_record(e, dst, MVGPU_REC_PEER, MVGPU_REC_F_OPTIONAL, NULL,
			  MVGPU_REC_PEER_LEN);
}

ssize_t mvgpu_enc_flush(struct mvgpu_enc *e, void *dst, size_t room)
{
	if (!enc_open(e))
		return -EINVAL;
	if (room < enc_run_bytes(e))
		return -ENOSPC;
	return enc_flush_run(e, dst);
}

bool mvgpu_enc_pending(const struct mvgpu_enc *e)
{
	return e->zero_count;
}

ssize_t mvgpu_enc_size_hint(struct mvgpu_enc *e, void *dst, size_t room,
			    __u64 stop_copy_bytes, __u64 dirty_pages)
{
	__u8 *p = dst;
	size_t n;

	if (!enc_open(e))
		return -EINVAL;
	if (room < enc_run_bytes(e) + MVGPU_REC_HDR_LEN + MVGPU_REC_SIZE_LEN)
		return -ENOSPC;
	n = enc_flush_run(e, p);
	p += n;
	mvgpu_put_le64(p + MVGPU_REC_HDR_LEN, stop_copy_bytes);
	mvgpu_put_le64(p + MVGPU_REC_HDR_LEN + 8, dirty_pages);
	return n + enc_record(e, p, MVGPU_REC_SIZE, MVGPU_REC_F_OPTIONAL, NULL,
			      MVGPU_REC_SIZE_LEN);
}

/* Pages [first, first + count) are zero: extend the pending run or start
 * a new one (flushing the old). */
static ssize_t enc_zero_run(struct mvgpu_enc *e, __u8 *p, size_t room,
			    __u64 first, __u64 count)
{
	size_t n = 0;

	if (e->zero_count && first == e->zero_first + e->zero_count) {
		e->zero_count += count;
		return 0;
	}
	if (room < enc_run_bytes(e))
		return -ENOSPC;
	n = enc_flush_run(e, p);
	e->zero_first = first;
	e->zero_count = count;
	return n;
}

ssize_t mvgpu_enc_zero(struct mvgpu_enc *e, void *dst, size_t room,
		       __u64 first, __u64 count)
{
	if (!enc_open(e) || !count || first >= e->fb_pages ||
	    count > e->fb_pages - first)
		return -EINVAL;
	return enc_zero_run(e, dst, room, first, count);
}

ssize_t mvgpu_enc_page(struct mvgpu_enc *e, void *dst, size_t room,
		       __u64 index, const void *data)
{
	__u8 *p = dst;
	size_t n;

	if (!enc_open(e) || index >= e->fb_pages)
		return -EINVAL;
	if (mvgpu_is_zero(data, MVGPU_STREAM_PAGE_SIZE))
		return enc_zero_run(e, p, room, index, 1);
	if (room < enc_run_bytes(e) + MVGPU_ENC_PAGE_BYTES)
		return -ENOSPC;
	n = enc_flush_run(e, p);
	p += n;
	mvgpu_put_le64(p + MVGPU_REC_HDR_LEN, index);
	memcpy(p + MVGPU_REC_HDR_LEN + 8, data, MVGPU_STREAM_PAGE_SIZE);
	e->pages++;
	return n + enc_record(e, p, MVGPU_REC_PAGE, 0, NULL,
			      MVGPU_REC_PAGE_LEN);
}

ssize_t mvgpu_enc_state(struct mvgpu_enc *e, void *dst, size_t room,
			const struct mvgpu_state *st)
{
	__u8 *p = dst, *q;
	unsigned int i;

	/* PLAT is mvgpu_enc_platform()'s: @st->plat is not this call's */
	if (e->phase != ENC_BODY || state_check(st, &e->info, false, NULL, 0))
		return -EINVAL;
	if (room < MVGPU_ENC_STATE_BYTES)
		return -ENOSPC;
	p += enc_flush_run(e, p);
	p += enc_record(e, p, MVGPU_REC_CFG, 0, st->cfg, MVGPU_REC_CFG_LEN);

	q = p + MVGPU_REC_HDR_LEN;
	mvgpu_put_le32(q, st->intr_status);
	mvgpu_put_le32(q + 4, st->intr_mask);
	mvgpu_put_le32(q + 8, st->scratch);
	mvgpu_put_le32(q + 12, 0);
	p += enc_record(e, p, MVGPU_REC_REGS, 0, NULL, MVGPU_REC_REGS_LEN);

	q = p + MVGPU_REC_HDR_LEN;
	mvgpu_put_le32(q, st->disp.width);
	mvgpu_put_le32(q + 4, st->disp.height);
	mvgpu_put_le32(q + 8, st->disp.stride);
	mvgpu_put_le32(q + 12, st->disp.format);
	mvgpu_put_le32(q + 16, st->disp.offset);
	mvgpu_put_le32(q + 20, st->disp.enable);
	p += enc_record(e, p, MVGPU_REC_DISP, 0, NULL, MVGPU_REC_DISP_LEN);

	q = p + MVGPU_REC_HDR_LEN;
	mvgpu_put_le32(q, st->irq_kind);
	mvgpu_put_le32(q + 4, st->irq_flags);
	p += enc_record(e, p, MVGPU_REC_IRQ, 0, NULL, MVGPU_REC_IRQ_LEN);

	for (i = 0; i < MVGPU_NUM_CHANNELS; i++) {
		mvgpu_stream_put_chan(p + MVGPU_REC_HDR_LEN, i, &st->ch[i]);
		p += enc_record(e, p, MVGPU_REC_CHAN, 0, NULL,
				MVGPU_REC_CHAN_LEN);
	}
	if (st->have & MVGPU_STATE_HAVE_ECC) {
		put_ecc(p + MVGPU_REC_HDR_LEN, &st->ecc);
		p += enc_record(e, p, MVGPU_REC_ECC, MVGPU_REC_F_OPTIONAL, NULL,
				MVGPU_REC_ECC_LEN);
	}
	e->phase = ENC_STATE;
	return p - (__u8 *)dst;
}

ssize_t mvgpu_enc_end(struct mvgpu_enc *e, void *dst, size_t room)
{
	__u8 *p = dst, *q;
	size_t n;

	if (e->phase != ENC_STATE)
		return -EINVAL;
	if (room < enc_run_bytes(e) + MVGPU_REC_HDR_LEN + MVGPU_REC_END_LEN)
		return -ENOSPC;
	n = enc_flush_run(e, p);
	p += n;
	q = p + MVGPU_REC_HDR_LEN;
	put_hdr(p, MVGPU_REC_END, 0, MVGPU_REC_END_LEN);
	mvgpu_put_le64(q, e->records);
	mvgpu_put_le64(q + 8, e->pages);
	/* the checksum covers everything before its own field */
	mvgpu_xxh64_update(&e->csum, p, MVGPU_REC_HDR_LEN + 16);
	mvgpu_put_le64(q + 16, mvgpu_xxh64_digest(&e->csum));
	e->bytes += MVGPU_REC_HDR_LEN + MVGPU_REC_END_LEN;
	e->phase = ENC_ENDED;
	return n + MVGPU_REC_HDR_LEN + MVGPU_REC_END_LEN;
}

ssize_t mvgpu_enc_record(struct mvgpu_enc *e, void *dst, size_t room,
			 __u32 tag, __u32 flags, const void *payload,
			 size_t len)
{
	__u8 *p = dst;
	size_t n;

	if (!enc_open(e) || len > MVGPU_REC_MAX_LEN || (len && !payload))
		return -EINVAL;
	if (room < enc_run_bytes(e) + MVGPU_REC_HDR_LEN + len + PAD8(len))
		return -ENOSPC;
	n = enc_flush_run(e, p);
	return n + enc_record(e, p + n, tag, flags, payload, len);
}

__u64 mvgpu_enc_bytes(const struct mvgpu_enc *e)
{
	return e->bytes;
}

bool mvgpu_enc_done(const struct mvgpu_enc *e)
{
	return e->phase == ENC_ENDED;
}

/* ---- Decoder ------------------------------------------------------------- */

/* Formats a tag for messages: "CHAN", or 0x12345678 if not printable. */
static const char *tag_name(__u32 tag, char buf[11])
{
	unsigned int i;

	for (i = 0; i < 4; i++) {
		unsigned int c = (tag >> (8 * i)) & 0xff;

		if (c < 0x20 || c > 0x7e)
			break;
		buf[i] = (char)c;
	}
	if (i == 4) {
		buf[4] = '\0';
		return buf;
	}
	snprintf(buf, 11, "%#010x", tag);
	return buf;
}

static MVGPU_PRINTF(3, 4) int dec_fail(struct mvgpu_dec *d,
				       enum mvgpu_stream_err err,
				       const char *fmt, ...)
{
	/* name the record once its header was read */
	bool rec = d->phase == PH_PAYLOAD || d->phase == PH_PAD ||
		   (d->phase == PH_HDR && d->have == MVGPU_REC_HDR_LEN);
	char name[11];
	va_list ap;
	int n;

	d->err = err;
	d->err_errno = mvgpu_stream_errno(err);
	n = snprintf(d->why, sizeof(d->why), "%s at offset %llu%s%s%s: ",
		     mvgpu_stream_strerror(err),
		     (unsigned long long)d->rec_pos, rec ? " (" : "",
		     rec ? tag_name(d->tag, name) : "", rec ? ")" : "");
	if (n >= 0 && (size_t)n < sizeof(d->why)) {
		va_start(ap, fmt);
		vsnprintf(d->why + n, sizeof(d->why) - n, fmt, ap);
		va_end(ap);
	}
	return d->err_errno;
}

static int dec_errno(const struct mvgpu_dec *d)
{
	return d->err_errno;
}

int mvgpu_dec_init(struct mvgpu_dec *d, const struct mvgpu_compat_info *local,
		   struct mvgpu_state *st, const struct mvgpu_dec_ops *ops,
		   void *ctx)
{
	memset(d, 0, offsetof(struct mvgpu_dec, buf));
	if (!local || !st || !ops || !ops->page || !ops->zero ||
	    mvgpu_compat_validate(local, NULL, 0) ||
	    !fb_size_ok(local->fb_size)) {
		/* a decoder that failed init refuses everything */
		d->phase = PH_DONE;
		dec_fail(d, MVGPU_STREAM_E_CALLBACK, "invalid decoder arguments");
		d->err_errno = -EINVAL;
		return -EINVAL;
	}
	d->local = *local;
	d->st = st;
	d->ops = ops;
	d->ctx = ctx;
	d->fb_pages = local->fb_size / MVGPU_STREAM_PAGE_SIZE;
	mvgpu_xxh64_reset(&d->csum);
	d->phase = PH_HDR;
	st->have = 0;		/* the optional parts this stream brings */
	return 0;
}

/* A callback said no. */
static int dec_callback(struct mvgpu_dec *d, int ret)
{
	if (!ret)
		return 0;
	dec_fail(d, MVGPU_STREAM_E_CALLBACK, "error %d", ret);
	d->err_errno = ret < 0 ? ret : -EINVAL;
	return d->err_errno;
}

/* Bit of mvgpu_dec.seen for a state record other than CHAN, else 0. */
static __u32 state_bit(__u32 tag)
{
	switch (tag) {
	case MVGPU_REC_CFG:	return SEEN_CFG;
	case MVGPU_REC_REGS:	return SEEN_REGS;
	case MVGPU_REC_DISP:	return SEEN_DISP;
	case MVGPU_REC_IRQ:	return SEEN_IRQ;
	case MVGPU_REC_ECC:	return SEEN_ECC;
	}
	return 0;
}

/* Expected payload length of a known record (0: not a known record). */
static __u32 known_len(__u32 tag)
{
	switch (tag) {
	case MVGPU_REC_DESC:	return MVGPU_REC_DESC_LEN;
	case MVGPU_REC_PLAT:	return MVGPU_REC_PLAT_LEN;
	case MVGPU_REC_PEER:	return MVGPU_REC_PEER_LEN;
	case MVGPU_REC_SIZE:	return MVGPU_REC_SIZE_LEN;
	case MVGPU_REC_PAGE:	return MVGPU_REC_PAGE_LEN;
	case MVGPU_REC_ZERO:	return MVGPU_REC_ZERO_LEN;
	case MVGPU_REC_CFG:	return MVGPU_REC_CFG_LEN;
	case MVGPU_REC_REGS:	return MVGPU_REC_REGS_LEN;
	case MVGPU_REC_DISP:	return MVGPU_REC_DISP_LEN;
	case MVGPU_REC_IRQ:	return MVGPU_REC_IRQ_LEN;
	case MVGPU_REC_CHAN:	return MVGPU_REC_CHAN_LEN;
	case MVGPU_REC_ECC:	return MVGPU_REC_ECC_LEN;
	case MVGPU_REC_END:	return MVGPU_REC_END_LEN;
	}
	return 0;
}

/* The flags a known record has: OPTIONAL for those older readers skip. */
static __u32 known_flags(__u32 tag)
{
	switch (tag) {
	case MVGPU_REC_SIZE:
	case MVGPU_REC_PLAT:
	case MVGPU_REC_PEER:
	case MVGPU_REC_ECC:
		return MVGPU_REC_F_OPTIONAL;
	}
	return 0;
}

/* A whole 16-byte header is in d->hdr: check it, set up the payload. */
static int dec_header(struct mvgpu_dec *d)
{
	__u32 want_len, want_flags;

	d->tag = mvgpu_get_le32(d->hdr);
	d->flags = mvgpu_get_le32(d->hdr + 4);
	d->len = mvgpu_get_le64(d->hdr + 8);
	d->rec_pos = d->pos - MVGPU_REC_HDR_LEN;
	d->skip = false;

	if (!(d->seen & SEEN_DESC) && d->tag != MVGPU_REC_DESC)
		return dec_fail(d, MVGPU_STREAM_E_MAGIC,
				"the first record must be DESC");
	if (d->flags & ~MVGPU_REC_F_OPTIONAL)
		return dec_fail(d, MVGPU_STREAM_E_FLAGS, "flags %#x", d->flags);
	if (d->len > MVGPU_REC_MAX_LEN)
		return dec_fail(d, MVGPU_STREAM_E_TOO_BIG, "length %llu",
				(unsigned long long)d->len);

	want_len = known_len(d->tag);
	if (!want_len) {
		if (!(d->flags & MVGPU_REC_F_OPTIONAL))
			return dec_fail(d, MVGPU_STREAM_E_UNKNOWN,
					"length %llu",
					(unsigned long long)d->len);
		d->skip = true;
	} else {
		want_flags = known_flags(d->tag);
		if (d->flags != want_flags)
			return dec_fail(d, MVGPU_STREAM_E_FLAGS, "flags %#x",
					d->flags);
		if (d->tag == MVGPU_REC_DESC) {
			if (d->seen & SEEN_DESC)
				return dec_fail(d, MVGPU_STREAM_E_ORDER,
						"second DESC");
			/* another major may have another length: accept
			 * what holds magic and version, judge it after */
			if (d->len < DESC_STREAM + 4 || d->len > sizeof(d->buf))
				return dec_fail(d, MVGPU_STREAM_E_LENGTH,
						"length %llu",
						(unsigned long long)d->len);
		} else if (d->len != want_len) {
			return dec_fail(d, MVGPU_STREAM_E_LENGTH,
					"length %llu, want %u",
					(unsigned long long)d->len, want_len);
		}
		if (d->seen & state_bit(d->tag))
			return dec_fail(d, MVGPU_STREAM_E_DUPLICATE,
					"sent twice");
		/* right after DESC: refused before any page, and only once */
		if (d->tag == MVGPU_REC_PLAT && d->records != 1)
			return dec_fail(d, MVGPU_STREAM_E_ORDER, "%s",
					d->seen & SEEN_PLAT ? "sent twice" :
					"not right after DESC");
		/* and PEER right after those */
		if (d->tag == MVGPU_REC_PEER &&
		    d->records != 1 + !!(d->seen & SEEN_PLAT))
			return dec_fail(d, MVGPU_STREAM_E_ORDER, "%s",
					d->seen & SEEN_PEER ? "sent twice" :
					"not right after DESC and PLAT");
	}
	d->pad = PAD8(d->len);
	d->have = 0;
	d->phase = PH_PAYLOAD;
	return 0;
}

static int dec_get_str(struct mvgpu_dec *d, char *dst, const __u8 *src,
		       size_t size, const char *what)
{
	size_t n = strnlen((const char *)src, size);

	if (n == size || !mvgpu_is_zero(src + n, size - n))
		return dec_fail(d, MVGPU_STREAM_E_FIELD,
				"%s not NUL-terminated and padded", what);
	memcpy(dst, src, size);
	return 0;
}

static int dec_desc(struct mvgpu_dec *d, const __u8 *p)
{
	struct mvgpu_compat_info *r = &d->remote;
	char why[MVGPU_COMPAT_WHY_MAX];
	int ret;

	if (mvgpu_get_le64(p + DESC_MAGIC) != MVGPU_STREAM_MAGIC)
		return dec_fail(d, MVGPU_STREAM_E_MAGIC, "bad magic %#llx",
				(unsigned long long)mvgpu_get_le64(p));
	r->stream_major = mvgpu_get_le16(p + DESC_STREAM);
	r->stream_minor = mvgpu_get_le16(p + DESC_STREAM + 2);
	if (r->stream_major != MVGPU_STREAM_MAJOR)
		return dec_fail(d, MVGPU_STREAM_E_VERSION,
				"stream %u.%u, this reader speaks %u.%u",
				r->stream_major, r->stream_minor,
				MVGPU_STREAM_MAJOR, MVGPU_STREAM_MINOR);
	if (d->len != MVGPU_REC_DESC_LEN)
		return dec_fail(d, MVGPU_STREAM_E_LENGTH, "length %llu, want %u",
				(unsigned long long)d->len, MVGPU_REC_DESC_LEN);
	r->abi_major = mvgpu_get_le16(p + DESC_ABI);
	r->abi_minor = mvgpu_get_le16(p + DESC_ABI + 2);
	r->type_index = mvgpu_get_le32(p + DESC_TYPE_IDX);
	r->fb_size = mvgpu_get_le64(p + DESC_FB);
	r->features = mvgpu_get_le64(p + DESC_FEATURES);
	if (mvgpu_get_le32(p + DESC_RSVD))
		return dec_fail(d, MVGPU_STREAM_E_FIELD, "reserved field set");
	ret = dec_get_str(d, r->type, p + DESC_TYPE, MVGPU_COMPAT_TYPE_MAX,
			  "type");
	if (!ret)
		ret = dec_get_str(d, r->driver, p + DESC_DRIVER,
				  MVGPU_COMPAT_DRIVER_MAX, "driver");
	if (ret)
		return ret;
	if (mvgpu_compat_validate(r, why, sizeof(why)))
		return dec_fail(d, MVGPU_STREAM_E_FIELD, "%s", why);
	if (mvgpu_compat_check(&d->local, r, why, sizeof(why)))
		return dec_fail(d, MVGPU_STREAM_E_INCOMPATIBLE, "%s", why);
	d->seen |= SEEN_DESC;
	return d->ops->desc ? dec_callback(d, d->ops->desc(d->ctx, r)) : 0;
}

static int dec_plat(struct mvgpu_dec *d, const __u8 *p)
{
	struct mvgpu_compat_info r = d->remote;
	struct mvgpu_state_platform pl;
	char why[MVGPU_COMPAT_WHY_MAX];

	pl.ecc = mvgpu_get_le32(p + PLAT_ECC);
	pl.frame_rate_limiter = mvgpu_get_le32(p + PLAT_FRL);
	if (plat_check(&pl, why, sizeof(why)))
		return dec_fail(d, MVGPU_STREAM_E_FIELD, "%s", why);
	if (mvgpu_get_le64(p + PLAT_RSVD))
		return dec_fail(d, MVGPU_STREAM_E_FIELD, "reserved field set");
	/* the descriptor with its ECC mode, through the same rules */
	r.ecc = pl.ecc;
	if (mvgpu_compat_check(&d->local, &r, why, sizeof(why)))
		return dec_fail(d, MVGPU_STREAM_E_INCOMPATIBLE, "%s", why);
	d->remote.ecc = pl.ecc;
	d->st->plat = pl;
	d->st->have |= MVGPU_STATE_HAVE_PLAT;
	d->seen |= SEEN_PLAT;
	return d->ops->platform ?
	       dec_callback(d, d->ops->platform(d->ctx, &d->st->plat)) : 0;
}

static int dec_peers(struct mvgpu_dec *d, const __u8 *p)
{
	struct mvgpu_state_peers pe;
	char why[MVGPU_COMPAT_WHY_MAX];

	get_peers(p, &pe);
	if (peers_check(&pe, why, sizeof(why)))
		return dec_fail(d, MVGPU_STREAM_E_FIELD, "%s", why);
	d->st->peers = pe;
	d->st->have |= MVGPU_STATE_HAVE_PEERS;
	d->seen |= SEEN_PEER;
	return d->ops->peers ?
	       dec_callback(d, d->ops->peers(d->ctx, &d->st->peers)) : 0;
}

static int dec_page(struct mvgpu_dec *d, const __u8 *p)
{
	__u64 index = mvgpu_get_le64(p);

	if (index >= d->fb_pages)
		return dec_fail(d, MVGPU_STREAM_E_FIELD,
				"page %llu beyond %llu pages",
				(unsigned long long)index,
				(unsigned long long)d->fb_pages);
	d->pages++;
	return dec_callback(d, d->ops->page(d->ctx, index, p + 8));
}

static int dec_zero(struct mvgpu_dec *d, const __u8 *p)
{
	__u64 first = mvgpu_get_le64(p), count = mvgpu_get_le64(p + 8);

	if (!count || first >= d->fb_pages || count > d->fb_pages - first)
		return dec_fail(d, MVGPU_STREAM_E_FIELD,
				"pages %llu+%llu beyond %llu pages",
				(unsigned long long)first,
				(unsigned long long)count,
				(unsigned long long)d->fb_pages);
	return dec_callback(d, d->ops->zero(d->ctx, first, count));
}

static int dec_chan(struct mvgpu_dec *d, const __u8 *p)
{
	struct mvgpu_state_channel c;
	char why[MVGPU_COMPAT_WHY_MAX];
	__u32 n = mvgpu_get_le32(p);

	if (n >= MVGPU_NUM_CHANNELS)
		return dec_fail(d, MVGPU_STREAM_E_FIELD,
				"channel index %u out of range", n);
	if (d->seen & SEEN_CH(n))
		return dec_fail(d, MVGPU_STREAM_E_DUPLICATE,
				"channel %u sent twice", n);
	memset(&c, 0, sizeof(c));
	get_chan(p, &c);
	if (chan_check(&c, d->local.fb_size,
		       d->seen & SEEN_PEER ? &d->st->peers : NULL, why,
		       sizeof(why)))
		return dec_fail(d, MVGPU_STREAM_E_FIELD, "channel %u: %s", n,
				why);
	d->st->ch[n] = c;
	d->seen |= SEEN_CH(n);
	return 0;
}

/* The small state records: validate, then store. */
static int dec_state(struct mvgpu_dec *d, const __u8 *p)
{
	char why[MVGPU_COMPAT_WHY_MAX];
	struct mvgpu_state *st = d->st;
	struct mvgpu_state_ecc ecc;
	__u32 a, b;

	switch (d->tag) {
	case MVGPU_REC_CFG:
		if (cfg_check(p, d->local.type_index, why, sizeof(why)))
			return dec_fail(d, MVGPU_STREAM_E_FIELD, "%s", why);
		memcpy(st->cfg, p, MVGPU_REC_CFG_LEN);
		break;
	case MVGPU_REC_REGS:
		a = mvgpu_get_le32(p);
		b = mvgpu_get_le32(p + 4);
		if (regs_check(a, b, why, sizeof(why)))
			return dec_fail(d, MVGPU_STREAM_E_FIELD, "%s", why);
		if (mvgpu_get_le32(p + 12))
			return dec_fail(d, MVGPU_STREAM_E_FIELD,
					"reserved field set");
		st->intr_status = a;
		st->intr_mask = b;
		st->scratch = mvgpu_get_le32(p + 8);
		break;
	case MVGPU_REC_DISP:
		st->disp.width = mvgpu_get_le32(p);
		st->disp.height = mvgpu_get_le32(p + 4);
		st->disp.stride = mvgpu_get_le32(p + 8);
		st->disp.format = mvgpu_get_le32(p + 12);
		st->disp.offset = mvgpu_get_le32(p + 16);
		st->disp.enable = mvgpu_get_le32(p + 20);
		break;
	case MVGPU_REC_IRQ:
		a = mvgpu_get_le32(p);
		b = mvgpu_get_le32(p + 4);
		if (irq_check(a, b, why, sizeof(why)))
			return dec_fail(d, MVGPU_STREAM_E_FIELD, "%s", why);
		st->irq_kind = a;
		st->irq_flags = b;
		break;
	case MVGPU_REC_ECC:
		get_ecc(p, &ecc);
		if (ecc_check(&ecc, why, sizeof(why)))
			return dec_fail(d, MVGPU_STREAM_E_FIELD, "%s", why);
		if (mvgpu_get_le64(p + ECC_RSVD))
			return dec_fail(d, MVGPU_STREAM_E_FIELD,
					"reserved field set");
		st->ecc = ecc;
		st->have |= MVGPU_STATE_HAVE_ECC;
		break;
	}
	d->seen |= state_bit(d->tag);
	return 0;
}

static int dec_end(struct mvgpu_dec *d, const __u8 *p)
{
	__u64 sum;

	mvgpu_xxh64_update(&d->csum, p, 16);
	sum = mvgpu_xxh64_digest(&d->csum);
	if (mvgpu_get_le64(p + 16) != sum) {
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
		return dec_fail(d, MVGPU_STREAM_E_CHECKSUM,
				"stream %#llx, computed %#llx",
				(unsigned long long)mvgpu_get_le64(p + 16),
				(unsigned long long)sum);
#endif
	}
	if (mvgpu_get_le64(p) != d->records || mvgpu_get_le64(p + 8) != d->pages)
		return dec_fail(d, MVGPU_STREAM_E_COUNT,
				"%llu records %llu pages, received %llu and %llu",
				(unsigned long long)mvgpu_get_le64(p),
				(unsigned long long)mvgpu_get_le64(p + 8),
				(unsigned long long)d->records,
				(unsigned long long)d->pages);
	if ((d->seen & SEEN_STATE) != SEEN_STATE)
		return dec_fail(d, MVGPU_STREAM_E_MISSING,
				"state records seen %#x of %#x",
				d->seen & SEEN_STATE, SEEN_STATE);
	return 0;
}

/* A whole payload is at @p (d->buf, or straight from the caller). */
static int dec_payload(struct mvgpu_dec *d, const __u8 *p)
{
	int ret = 0;

	switch (d->tag) {
	case MVGPU_REC_DESC:
		ret = dec_desc(d, p);
		break;
	case MVGPU_REC_PLAT:
		ret = dec_plat(d, p);
		break;
	case MVGPU_REC_PEER:
		ret = dec_peers(d, p);
		break;
	case MVGPU_REC_SIZE:
		if (d->ops->size_hint)
			ret = dec_callback(d, d->ops->size_hint(d->ctx,
					   mvgpu_get_le64(p),
					   mvgpu_get_le64(p + 8)));
		break;
	case MVGPU_REC_PAGE:
		ret = dec_page(d, p);
		break;
	case MVGPU_REC_ZERO:
		ret = dec_zero(d, p);
		break;
	case MVGPU_REC_CHAN:
		ret = dec_chan(d, p);
		break;
	case MVGPU_REC_END:
		ret = dec_end(d, p);
		if (!ret)
			d->phase = PH_DONE;
		return ret;
	default:
		ret = dec_state(d, p);
		break;
	}
	return ret;
}

/* The payload (and for a skipped record, its last byte) is done. */
static void dec_next(struct mvgpu_dec *d)
{
	if (d->phase == PH_DONE)
		return;
	d->have = 0;
	if (d->pad) {
		d->phase = PH_PAD;
		return;
	}
	d->records++;
	d->phase = PH_HDR;
}

/* Consumes payload bytes; returns how many, or a negative errno. */
static long dec_take_payload(struct mvgpu_dec *d, const __u8 *p, size_t len)
{
	size_t n = d->len - d->have;
	bool end = d->tag == MVGPU_REC_END;	/* hashed in dec_end() */
	int ret;

	if (n > len)
		n = len;
	if (d->skip) {
		mvgpu_xxh64_update(&d->csum, p, n);
		d->have += n;
		if (d->have == d->len)
			dec_next(d);
		return n;
	}
	if (!d->have && len >= d->len) {
		/* the whole payload is here: no copy */
		if (!end)
			mvgpu_xxh64_update(&d->csum, p, n);
		ret = dec_payload(d, p);
	} else {
		memcpy(d->buf + d->have, p, n);
		if (!end)
			mvgpu_xxh64_update(&d->csum, p, n);
		d->have += n;
		if (d->have < d->len)
			return n;
		ret = dec_payload(d, d->buf);
	}
	if (ret)
		return ret;
	dec_next(d);
	return n;
}

int mvgpu_dec_push(struct mvgpu_dec *d, const void *data, size_t len)
{
	const __u8 *p = data;
	size_t n, i;
	long taken;

	if (d->err)
		return dec_errno(d);
	while (len) {
		switch (d->phase) {
		case PH_HDR:
			n = MVGPU_REC_HDR_LEN - d->have;
			if (n > len)
				n = len;
			memcpy(d->hdr + d->have, p, n);
			d->have += n;
			d->pos += n;
			p += n;
			len -= n;
			if (d->have < MVGPU_REC_HDR_LEN)
				break;
			mvgpu_xxh64_update(&d->csum, d->hdr, MVGPU_REC_HDR_LEN);
			if (dec_header(d))
				return dec_errno(d);
			if (!d->len)	/* only an unknown optional record */
				dec_next(d);
			break;
		case PH_PAYLOAD:
			taken = dec_take_payload(d, p, len);
			if (taken < 0)
				return (int)taken;
			d->pos += taken;
			p += taken;
			len -= taken;
			break;
		case PH_PAD:
			n = d->pad - d->have;
			if (n > len)
				n = len;
			for (i = 0; i < n; i++)
				if (p[i])
					return dec_fail(d, MVGPU_STREAM_E_PADDING,
							"byte %#x", p[i]);
			mvgpu_xxh64_update(&d->csum, p, n);
			d->have += n;
			d->pos += n;
			p += n;
			len -= n;
			if (d->have == d->pad) {
				d->have = 0;
				d->records++;
				d->phase = PH_HDR;
			}
			break;
		default:
			d->rec_pos = d->pos;
			return dec_fail(d, MVGPU_STREAM_E_TRAILING,
					"%zu more bytes", len);
		}
	}
	return 0;
}

int mvgpu_dec_finish(struct mvgpu_dec *d)
{
	if (d->err)
		return dec_errno(d);
	if (d->phase == PH_DONE)
		return 0;
	if (d->phase == PH_HDR && !d->have) {
		d->rec_pos = d->pos;
		return dec_fail(d, MVGPU_STREAM_E_INCOMPLETE,
				"ends between records");
	}
	if (d->phase == PH_HDR)
		d->rec_pos = d->pos - d->have;
	return dec_fail(d, MVGPU_STREAM_E_INCOMPLETE, "ends inside a record");
}

bool mvgpu_dec_complete(const struct mvgpu_dec *d)
{
	return !d->err && d->phase == PH_DONE;
}

const struct mvgpu_compat_info *mvgpu_dec_remote(const struct mvgpu_dec *d)
{
	return d->seen & SEEN_DESC ? &d->remote : NULL;
}

enum mvgpu_stream_err mvgpu_dec_error(const struct mvgpu_dec *d)
{
	return d->err;
}

const char *mvgpu_dec_why(const struct mvgpu_dec *d)
{
	return d->why;
}

__u64 mvgpu_dec_offset(const struct mvgpu_dec *d)
{
	return d->err ? d->rec_pos : d->pos;
}
