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

#include <limits.h>
#include <lz4frame.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mvgpu.h"
#include "mvgpu_compat.h"
#include "mvgpu_stream.h"
#include "pagemap.h"
#include "uring_io.h"

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

/*
 * A set (format 2.0): vGPUs saved together (mvgpu_image_save_n()), each a
 * whole format-1 image - a section - after a directory:
 *
 *   0  u8   magic[8]        "MVGPUIMG"
 *   8  le16 major           IMG_SET_MAJOR: a format-1 reader refuses it
 *  10  le16 minor           any: a newer minor only adds what an older
 *                           reader may ignore
 *  12  le32 header_bytes    IMG_SET_FIXED + IMG_SET_ENTRY * count
 *  16  le32 flags           none yet: zero
 *  20  le32 count           2..MVGPU_SESSION_MAX
 *  24  le64 checksum        XXH64 (seed 0) of header_bytes bytes with
 *                           this field zero
 *  32  count entries:
 *        le64 offset        the section: header_bytes for the first, each
 *                           next right after the one before
 *        le64 bytes         its size; the last one ends the file, exactly
 *        u8   uuid[16]      the saved vGPU, as its section's header says
 *                           (all different, none zero)
 */
#define IMG_SET_MAJOR		2u
#define IMG_SET_FIXED		32u
#define IMG_SET_ENTRY		32u
#define IMG_SET_CSUM_OFF	24u
#define IMG_SET_HEADER_MAX	(IMG_SET_FIXED + IMG_SET_ENTRY * MVGPU_SESSION_MAX)

struct img_set_entry {
	uint64_t offset, bytes;
	char uuid[MVGPU_UUID_LEN];
};

/* img_set_encode(): the set header of @n entries into @buf of @room
 * bytes; its length, -ENOSPC or -EINVAL (a bad count or UUID). */
int img_set_encode(const struct img_set_entry *e, unsigned n, uint8_t *buf,
		   size_t room);
/* img_set_decode(): parse and check a set header (the first @len bytes of
 * a file of @file_bytes; hostile input): its entries in @e
 * (MVGPU_SESSION_MAX), *@n.  Return: as img_header_decode(). */
int img_set_decode(const uint8_t *buf, size_t len, uint64_t file_bytes,
		   struct img_set_entry *e, unsigned *n, char *why,
		   size_t whylen);

/* ==== between image.c and image_set.c ======================================= */

/* An open image: a file, or a section of a set's file (@base). */
struct mvgpu_image {
	mvgpu_ctx *ctx;
	int fd;			/* a section's is its set's */
	char path[PATH_MAX];
	mvgpu_image_info info;
	uint64_t base;		/* where its format-1 image starts in the file */
	struct mvgpu_image *sub;	/* a set's sections (info.vgpus), NULL */
};

/* One operation's pipeline state (a save, a check, a restore; a set's
 * save has one for each vGPU). */
struct img_job {
	mvgpu_ctx *ctx;
	mvgpu_image_opts o;
	uint64_t t0;
	const char *phase;
	bool stream_is_in;	/* the source is the stream (save) */
	uint64_t stream_total;
	/* events: bytes of earlier runs (a set's, all vGPUs'), which vGPU */
	uint64_t base_in, base_out;
	unsigned vgpu, vgpus;

	/* lz4 */
	LZ4F_cctx *cctx;
	LZ4F_dctx *dctx;
	LZ4F_preferences_t prefs;
	bool begun, frame_done, info_checked;
	bool keep_open;		/* save: the frame goes on in a later run */
	uint64_t produced;	/* decompressed so far */
	uint64_t limit;		/* decompressed bytes the header announces */

	/* save from a vGPU */
	mvgpu_dev *dev;
	int data_fd;
	unsigned passes;
	bool stopped, resumed;
	uint64_t t_stop, t_resumed, precopy_bytes;
	int resume_err;

	/* decoding */
	struct mvgpu_dec *dec;
	struct mvgpu_state st;
	mvgpu_image_summary *sum;
	struct pagemap pagemap;	/* each page's last record */
	uint64_t fb_pages;
	uint8_t *fb_buf;	/* mvgpu_image_read_fb() */
	uint64_t fb_off, fb_len;
};

/* @o NULL: pre-copy, 8 passes, switch over at 1 MiB. */
void img_job_init(struct img_job *j, mvgpu_ctx *ctx, const mvgpu_image_opts *o);
void img_job_free(struct img_job *j);
void img_emit(struct img_job *j, struct uio *u, int kind, const char *name,
	      uint64_t dirty, uint64_t est);
/* uio_ops: progress (tick), lz4 compression of a save (transform) */
void img_tick(struct uio *u, void *opaque);
int img_lz4_init(struct img_job *j);
int img_compress(struct uio *u, void *opaque, const void *in, size_t len,
		 bool last);
/* uio_ops.pause of a save: a pre-copy pass is through - counted, the data
 * fd's pre-copy info, the PASS event. */
int img_pass_done(struct uio *u, struct img_job *j, uint64_t *initial,
		  uint64_t *dirty);
/* A migration_version string an image may hold (a framebuffer in range). */
int img_parse_version(const char *s, size_t n, struct mvgpu_compat_info *info,
		      char *why, size_t whylen);

/* A file being written: under no name (O_TMPFILE) or a hidden one in the
 * directory of its path, linked and renamed over the path by
 * img_out_commit(), gone after img_out_abort(). */
struct img_out {
	int fd, dirfd;
	char base[NAME_MAX + 1];
	char tmp[NAME_MAX + 1];	/* linked temporary name, "" if none */
	bool anonymous;		/* O_TMPFILE: no name until committed */
};

int img_out_open(mvgpu_ctx *ctx, const char *path, struct img_out *of);
void img_out_abort(struct img_out *of);
int img_out_commit(mvgpu_ctx *ctx, struct img_out *of);

/* Decode the whole image natively against @version (a migration_version;
 * NULL: its own header's), as mvgpu_image_check() does. */
int img_decode(mvgpu_image *img, struct img_job *j, const char *version);
/* The image's stream, uncompressed, into @fd (a file, a data fd). */
int img_feed(mvgpu_image *img, struct img_job *j, int fd,
	     struct uio_counts *c);
/* Decode @img natively against the migration_version of @dev (untouched):
 * the first step of a restore.  Then VALIDATED. */
int img_validate(mvgpu_image *img, mvgpu_dev *dev, struct img_job *j);

/* image_set.c: @img (its path, fd) is a set whose first @len bytes, of a
 * file of @file_bytes, are at @hdr: its directory checked, each section's
 * header too.  Return: 0, or as img_header_decode() with @why. */
int img_set_open(mvgpu_image *img, const uint8_t *hdr, size_t len,
		 uint64_t file_bytes, char *why, size_t whylen);

#endif /* MVGPU_IMAGE_H */
