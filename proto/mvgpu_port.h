/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * mvgpu_port.h - the portability shim under proto/'s C code.
 *
 * proto/mvgpu_stream.c and proto/mvgpu_compat.c are compiled twice: into
 * the kernel module (kbuild defines __KERNEL__) and into userspace (libmvgpu,
 * the unit tests, the fuzzer).  Everything they need from their environment
 * comes through this header, so the codec itself has no #ifdef:
 *
 *   types		__u8 .. __u64, bool, size_t, ssize_t (both sides)
 *   memory		memcpy, memset, memcmp, strlen
 *   errno values	EPROTO, EINVAL, EFBIG, EBADMSG, ENODATA, ENOSPC ...
 *   formatting		snprintf, vsnprintf, va_list, MVGPU_PRINTF()
 *   PCI		<linux/pci_regs.h> offsets
 *   little endian	mvgpu_get_le{16,32,64}(), mvgpu_put_le{16,32,64}():
 *			unaligned-safe loads and stores of wire fields
 *   checksum		struct mvgpu_xxh64 + reset/update/digest: XXH64 with
 *			seed 0.  The kernel's <linux/xxhash.h> and libxxhash
 *			implement the same function (same test vectors).
 *   zero check		mvgpu_is_zero(): word-at-a-time, early exit
 *
 * Userspace needs libxxhash (Debian: libxxhash-dev) and links -lxxhash.
 */
#ifndef MVGPU_PORT_H
#define MVGPU_PORT_H

#ifdef __KERNEL__

#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/pci_regs.h>
#include <linux/stdarg.h>
#include <linux/string.h>
#include <linux/types.h>
#include <linux/unaligned.h>
#include <linux/xxhash.h>

static inline __u16 mvgpu_get_le16(const void *p) { return get_unaligned_le16(p); }
static inline __u32 mvgpu_get_le32(const void *p) { return get_unaligned_le32(p); }
static inline __u64 mvgpu_get_le64(const void *p) { return get_unaligned_le64(p); }
static inline void mvgpu_put_le16(void *p, __u16 v) { put_unaligned_le16(v, p); }
static inline void mvgpu_put_le32(void *p, __u32 v) { put_unaligned_le32(v, p); }
static inline void mvgpu_put_le64(void *p, __u64 v) { put_unaligned_le64(v, p); }

struct mvgpu_xxh64 {
	struct xxh64_state s;
};

static inline void mvgpu_xxh64_reset(struct mvgpu_xxh64 *h)
{
	xxh64_reset(&h->s, 0);
}

static inline void mvgpu_xxh64_update(struct mvgpu_xxh64 *h, const void *p,
				      size_t n)
{
	xxh64_update(&h->s, p, n);
}

static inline __u64 mvgpu_xxh64_digest(const struct mvgpu_xxh64 *h)
{
	return xxh64_digest(&h->s);
}

/* true if the @n bytes at @p are all zero */
static inline bool mvgpu_is_zero(const void *p, size_t n)
{
	return !memchr_inv(p, 0, n);
}

#else /* userspace */

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include <linux/pci_regs.h>
#include <linux/types.h>

#ifndef XXH_STATIC_LINKING_ONLY
#define XXH_STATIC_LINKING_ONLY	/* XXH64_state_t by value: no allocation */
#endif
#include <xxhash.h>

/* Byte-wise, so alignment and host order never matter; compilers turn
 * these into single loads and stores on little-endian hosts. */
static inline __u16 mvgpu_get_le16(const void *p)
{
	const __u8 *b = (const __u8 *)p;

	return (__u16)(b[0] | b[1] << 8);
}

static inline __u32 mvgpu_get_le32(const void *p)
{
	const __u8 *b = (const __u8 *)p;

	return (__u32)b[0] | (__u32)b[1] << 8 | (__u32)b[2] << 16 |
	       (__u32)b[3] << 24;
}

static inline __u64 mvgpu_get_le64(const void *p)
{
	const __u8 *b = (const __u8 *)p;

	return (__u64)mvgpu_get_le32(b) | (__u64)mvgpu_get_le32(b + 4) << 32;
}

static inline void mvgpu_put_le16(void *p, __u16 v)
{
	__u8 *b = (__u8 *)p;

	b[0] = (__u8)v;
	b[1] = (__u8)(v >> 8);
}

static inline void mvgpu_put_le32(void *p, __u32 v)
{
	__u8 *b = (__u8 *)p;

	b[0] = (__u8)v;
	b[1] = (__u8)(v >> 8);
	b[2] = (__u8)(v >> 16);
	b[3] = (__u8)(v >> 24);
}

static inline void mvgpu_put_le64(void *p, __u64 v)
{
	mvgpu_put_le32(p, (__u32)v);
	mvgpu_put_le32((__u8 *)p + 4, (__u32)(v >> 32));
}

struct mvgpu_xxh64 {
	XXH64_state_t s;
};

static inline void mvgpu_xxh64_reset(struct mvgpu_xxh64 *h)
{
	XXH64_reset(&h->s, 0);
}

static inline void mvgpu_xxh64_update(struct mvgpu_xxh64 *h, const void *p,
				      size_t n)
{
	XXH64_update(&h->s, p, n);
}

static inline __u64 mvgpu_xxh64_digest(const struct mvgpu_xxh64 *h)
{
	return XXH64_digest(&h->s);
}

/* true if the @n bytes at @p are all zero: 64 bytes per step, early exit */
static inline bool mvgpu_is_zero(const void *p, size_t n)
{
	const unsigned char *b = (const unsigned char *)p;
	uint64_t w[8];

	for (; n >= sizeof(w); b += sizeof(w), n -= sizeof(w)) {
		memcpy(w, b, sizeof(w));
		if (w[0] | w[1] | w[2] | w[3] | w[4] | w[5] | w[6] | w[7])
			return false;
	}
	for (; n; b++, n--)
		if (*b)
			return false;
	return true;
}

#endif /* __KERNEL__ */

/* printf-style argument checking for our own formatting helpers */
#define MVGPU_PRINTF(fmt, args)	__attribute__((format(printf, fmt, args)))

#endif /* MVGPU_PORT_H */
