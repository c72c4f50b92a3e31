/*
 * image.h - libmvgpu private: the image file's header codec and sizes,
 * shared by image.c and the unit tests.  docs/save-restore.md specifies
 * the format; mvgpu.h has the public API.
 *
 * Header, little-endian:
 *
 *   0  u8   magic[8]        "MVGPUIMG"
 *   8  le16 major           MVGPU_IMAGE_MAJOR: a reader refuses another
 *  10  le16 minor           any: a newer minor only adds what an older
 *                           reader may ignore
 *  12  le32 header_bytes    IMG_FIXED + version_len rounded up to 8
 *  16  le32 flags           MVGPU_IMAGE_F_*; other bits must be zero
 *  20  le32 version_len     1..MVGPU_IMAGE_VERSION_MAX-1
 *  24  le64 stream_bytes    the uncompressed migration stream
 *  32  le64 payload_bytes   the lz4 frame; header_bytes + payload_bytes
 *                           is the file's size exactly
 *  40  le64 created         seconds since the epoch (informational)
 *  48  u8   source_uuid[16] binary; all zero: not recorded
 *  64  le32 passes          pre-copy passes (informational)
 *  68  le32 reserved        zero
 *  72  le64 checksum        XXH64 (seed 0) of header_bytes bytes with
 *                           this field zero
 *  80  char version[]       the source's migration_version, no newline,
 *                           then zero padding to header_bytes
 *
 * Then payload_bytes of one lz4 frame (LZ4F: 4 MiB independent blocks,
 * block and content checksums).
 */
#ifndef MVGPU_IMAGE_H
#define MVGPU_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "mvgpu.h"

#define IMG_MAGIC		"MVGPUIMG"
#define IMG_FIXED		80u
#define IMG_CSUM_OFF		72u
#define IMG_HEADER_MAX		(IMG_FIXED + MVGPU_IMAGE_VERSION_MAX)
#define IMG_BLOCK		(4u << 20)	/* lz4 block and I/O chunk */
/* Sanity bounds for hostile headers. */
#define IMG_STREAM_MAX		(1ull << 40)
#define IMG_FB_MAX		(64ull << 30)
#define IMG_PASSES_MAX		100000u

/* Bytes of the header of an image whose version string is @version_len
 * long. */
static inline uint32_t img_header_bytes(size_t version_len)
{
	return (uint32_t)(IMG_FIXED + ((version_len + 7) & ~(size_t)7));
}

/*
 * img_header_encode() - serialise @in (major/minor/header_bytes are taken
 * from this build and the string) into @buf of @room bytes.
 * Return: the header's length, -ENOSPC, or -EINVAL (bad version string).
 */
int img_header_encode(const mvgpu_image_info *in, uint8_t *buf, size_t room);

/*
 * img_header_decode() - parse and check the first @len bytes of a file of
 * @file_bytes bytes (hostile input).  @len may be shorter than the file;
 * it must cover the header (IMG_HEADER_MAX is always enough).
 * Return: 0 with @out filled; -EPROTO (not an image: magic), -EPROTONOSUPPORT
 * (another major), -EBADMSG (damaged: checksum, fields), -ENODATA (the file
 * is shorter than the header says); @why says what.
 */
int img_header_decode(const uint8_t *buf, size_t len, uint64_t file_bytes,
		      mvgpu_image_info *out, char *why, size_t whylen);

#endif /* MVGPU_IMAGE_H */
