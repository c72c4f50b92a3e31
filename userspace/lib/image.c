// SPDX-License-Identifier: MIT
/*
 * image.c - a vGPU's state in a file: the image format (header + one lz4
 * frame of the migration stream), saving (atomically), native validation
 * with proto's decoder, restoring.  The bytes move through uring_io.c's
 * pipeline: io_uring at both ends, lz4 on a worker thread.
 *
 *   save:     data fd --read--> [lz4 compress] --write--> temp file -> rename
 *   check:    file --read--> [lz4 decompress] --> stream decoder (no kernel)
 *   restore:  check, then file --read--> [lz4 decompress] --write--> data fd
 *
 * The device side uses only the public migration calls of migration.c
 * (state arcs, pre-copy info): the same sequence as mvgpu_save() and
 * mvgpu_restore(), with the data fd read and written through the ring.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/vfio.h>

#include <lz4frame.h>
#include <uuid/uuid.h>

#include "device.h"
#include "image.h"
#include "mvgpu_stream.h"
#include "pagemap.h"
#include "uring_io.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- the header --------------------------------------------------------- */

static int valid_version_chars(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return 0;
	return 1;
}

/* A migration_version string we accept in a header or from sysfs. */
int img_parse_version(const char *s, size_t n,
			 struct mvgpu_compat_info *info, char *why,
			 size_t whylen)
{
	char w[MVGPU_COMPAT_WHY_MAX] = "";

	if (mvgpu_compat_parse(s, n, info, w, sizeof(w))) {
		snprintf(why, whylen, "%s", w);
		return -EINVAL;
	}
	if (!info->fb_size || info->fb_size % MVGPU_STREAM_PAGE_SIZE ||
	    info->fb_size > IMG_FB_MAX) {
		snprintf(why, whylen, "framebuffer size %" PRIu64 " out of range",
			 (uint64_t)info->fb_size);
		return -EINVAL;
	}
	return 0;
}

int img_header_encode(const mvgpu_image_info *in, uint8_t *buf, size_t room)
{
	size_t vlen = strnlen(in->migration_version, MVGPU_IMAGE_VERSION_MAX);
	uint32_t hb;
	uuid_t u;

	if (!vlen || vlen >= MVGPU_IMAGE_VERSION_MAX ||
	    !valid_version_chars(in->migration_version, vlen))
		return -EINVAL;
	hb = img_header_bytes(vlen);
	if (room < hb)
		return -ENOSPC;
	memset(buf, 0, hb);
	memcpy(buf, IMG_MAGIC, 8);
	mvgpu_put_le16(buf + 8, MVGPU_IMAGE_MAJOR);
	mvgpu_put_le16(buf + 10, MVGPU_IMAGE_MINOR);
	mvgpu_put_le32(buf + 12, hb);
	mvgpu_put_le32(buf + 16, in->flags);
	mvgpu_put_le32(buf + 20, (uint32_t)vlen);
	mvgpu_put_le64(buf + 24, in->stream_bytes);
	mvgpu_put_le64(buf + 32, in->payload_bytes);
	mvgpu_put_le64(buf + 40, (uint64_t)in->created);
	if (in->source_uuid[0] && !uuid_parse(in->source_uuid, u))
		memcpy(buf + 48, u, 16);
	mvgpu_put_le32(buf + 64, in->passes);
	memcpy(buf + IMG_FIXED, in->migration_version, vlen);
	mvgpu_put_le64(buf + IMG_CSUM_OFF, XXH64(buf, hb, 0));
	return (int)hb;
}

#define BAD(code, ...) (snprintf(why, whylen, __VA_ARGS__), (code))

int img_header_decode(const uint8_t *buf, size_t len, uint64_t file_bytes,
		      mvgpu_image_info *out, char *why, size_t whylen)
{
	uint8_t tmp[IMG_HEADER_MAX];
	struct mvgpu_compat_info ci;
	char w[MVGPU_COMPAT_WHY_MAX];
	uint32_t hb, vlen, flags, i;
	uint64_t stream, payload;
	static const uint8_t zero16[16];
	unsigned major, minor;

	if (len > file_bytes)
		len = (size_t)file_bytes;
	if (len < 8 || memcmp(buf, IMG_MAGIC, 8))
		return BAD(-EPROTO, "not an mvgpu image (no \"" IMG_MAGIC "\" at its start)");
	if (len < IMG_FIXED)
		return BAD(-ENODATA, "truncated: %zu bytes, less than a header (%u)",
			   len, IMG_FIXED);
	major = mvgpu_get_le16(buf + 8);
	minor = mvgpu_get_le16(buf + 10);
	if (major != MVGPU_IMAGE_MAJOR)
		return BAD(-EPROTONOSUPPORT,
			   "image format %u.%u; this mvgpu reads format %u.x: use a matching mvgpu",
			   major, minor, MVGPU_IMAGE_MAJOR);
	hb = mvgpu_get_le32(buf + 12);
	vlen = mvgpu_get_le32(buf + 20);
	if (!vlen || vlen >= MVGPU_IMAGE_VERSION_MAX || hb != img_header_bytes(vlen))
		return BAD(-EBADMSG, "header damaged: header length %u, version length %u",
			   hb, vlen);
	if (len < hb)
		return BAD(-ENODATA, "truncated inside the header (%zu of %u bytes)",
			   len, hb);
	memcpy(tmp, buf, hb);
	memset(tmp + IMG_CSUM_OFF, 0, 8);
	if (XXH64(tmp, hb, 0) != mvgpu_get_le64(buf + IMG_CSUM_OFF))
		return BAD(-EBADMSG, "header damaged: its checksum does not match");

	/* from here on the header is what a writer wrote: check its sense */
	flags = mvgpu_get_le32(buf + 16);
	if (flags & ~MVGPU_IMAGE_F_PRECOPY)
		return BAD(-EPROTONOSUPPORT, "unknown image flags 0x%x: written by a newer mvgpu?",
			   flags & ~MVGPU_IMAGE_F_PRECOPY);
	if (mvgpu_get_le32(buf + 68))
		return BAD(-EBADMSG, "header damaged: reserved field is not zero");
	if (!valid_version_chars((const char *)buf + IMG_FIXED, vlen))
		return BAD(-EBADMSG, "header damaged: migration_version is not printable text");
	for (i = IMG_FIXED + vlen; i < hb; i++)
		if (buf[i])
			return BAD(-EBADMSG, "header damaged: non-zero padding");
	if (img_parse_version((const char *)buf + IMG_FIXED, vlen, &ci, w, sizeof(w)))
		return BAD(-EBADMSG, "the source migration_version is malformed: %s", w);
	stream = mvgpu_get_le64(buf + 24);
	payload = mvgpu_get_le64(buf + 32);
	if (stream < MVGPU_ENC_DESC_BYTES + MVGPU_REC_HDR_LEN + MVGPU_REC_END_LEN ||
	    stream > IMG_STREAM_MAX)
		return BAD(-EBADMSG, "header damaged: stream size %" PRIu64 " out of range",
			   stream);
	if (mvgpu_get_le32(buf + 64) > IMG_PASSES_MAX)
		return BAD(-EBADMSG, "header damaged: %u passes",
			   mvgpu_get_le32(buf + 64));
	if (payload < 16 || payload > IMG_STREAM_MAX * 2)
		return BAD(-EBADMSG, "header damaged: payload size %" PRIu64 " out of range",
			   payload);
	if (file_bytes < hb + payload)
		return BAD(-ENODATA,
			   "truncated: %" PRIu64 " bytes, the header announces %" PRIu64,
			   file_bytes, hb + payload);
	if (file_bytes > hb + payload)
		return BAD(-EBADMSG, "%" PRIu64 " unexpected bytes after the payload",
			   file_bytes - hb - payload);

	memset(out, 0, sizeof(*out));
	out->major = major;
	out->minor = minor;
	out->flags = flags;
	out->header_bytes = hb;
	out->stream_bytes = stream;
	out->payload_bytes = payload;
	out->file_bytes = file_bytes;
	out->created = (int64_t)mvgpu_get_le64(buf + 40);
	out->passes = mvgpu_get_le32(buf + 64);
	if (memcmp(buf + 48, zero16, 16))
		uuid_unparse_lower(buf + 48, out->source_uuid);
	memcpy(out->migration_version, buf + IMG_FIXED, vlen);
	out->migration_version[vlen] = '\0';
	return 0;
}

#undef BAD

int mvgpu_vgpu_migration_version(mvgpu_ctx *ctx, const char *uuid, char *buf,
				 size_t len)
{
	char canon[MVGPU_UUID_LEN], path[PATH_MAX];
	int ret;

	if (!buf || len < 2)
		return -EINVAL;
	buf[0] = '\0';
	if (mvgpu_uuid_canonical(uuid, canon))
		return mvgpu__err(ctx, -EINVAL, "not a UUID");
	ret = mvgpu__path(ctx, path, sizeof(path),
			  "/bus/mdev/devices/%s/migration_version",
			  canon);
	if (ret)
		return ret;
	return mvgpu__read_attr(ctx, path, buf, len);
}

/* ---- one operation: shared state of the callbacks ------------------------ */

void img_job_init(struct img_job *j, mvgpu_ctx *ctx, const mvgpu_image_opts *o)
{
	memset(j, 0, sizeof(*j));
	j->ctx = ctx;
	if (o) {
		j->o = *o;
	} else {
		j->o.precopy = 1;
		j->o.max_passes = 8;
		j->o.switchover_bytes = 1 << 20;
	}
	if (!j->o.max_passes)
		j->o.max_passes = 1;
	j->data_fd = -1;
	j->t0 = now_ns();
}

void img_emit(struct img_job *j, struct uio *u, int kind, const char *name,
	      uint64_t dirty, uint64_t est)
{
	mvgpu_image_event ev = { .kind = kind, .name = name, .phase = j->phase,
				 .dirty_bytes = dirty, .estimate_bytes = est,
				 .vgpus = j->vgpus, .vgpu = j->vgpu };
	const struct uio_counts *c = u ? uio_counts(u) : NULL;

	if (!j->o.event)
		return;
	ev.pass = j->passes;
	ev.stream_total = j->stream_total;
	if (c) {
		ev.stream_bytes = j->base_in + (j->stream_is_in ? c->in_bytes : c->out_bytes);
		ev.file_bytes = j->base_out + (j->stream_is_in ? c->out_bytes : c->in_bytes);
	} else {
		ev.stream_bytes = j->stream_total;
	}
	ev.elapsed_ns = now_ns() - j->t0;
	j->o.event(j->o.opaque, &ev);
}

void img_tick(struct uio *u, void *opaque)
{
	img_emit(opaque, u, MVGPU_IMAGE_EV_PROGRESS, "progress", 0, 0);
}

/* ---- lz4 on the worker thread -------------------------------------------- */

static int lz4_fail(struct uio *u, int err, const char *what, size_t code)
{
	return uio_fail(u, err, "%s: lz4: %s", what, LZ4F_getErrorName(code));
}

int img_compress(struct uio *u, void *opaque, const void *in, size_t len,
		       bool last)
{
	struct img_job *j = opaque;
	size_t avail, n;
	void *p;

	if (!j->begun) {
		p = uio_out_reserve(u, LZ4F_HEADER_SIZE_MAX, &avail);
		if (!p)
			return -ECANCELED;
		n = LZ4F_compressBegin(j->cctx, p, avail, &j->prefs);
		if (LZ4F_isError(n))
			return lz4_fail(u, -EIO, "compressing", n);
		uio_out_commit(u, n);
		j->begun = true;
	}
	if (len) {
		p = uio_out_reserve(u, LZ4F_compressBound(len, &j->prefs), &avail);
		if (!p)
			return -ECANCELED;
		n = LZ4F_compressUpdate(j->cctx, p, avail, in, len, NULL);
		if (LZ4F_isError(n))
			return lz4_fail(u, -EIO, "compressing", n);
		uio_out_commit(u, n);
	}
	if (last && !j->keep_open) {
		p = uio_out_reserve(u, LZ4F_compressBound(0, &j->prefs), &avail);
		if (!p)
			return -ECANCELED;
		n = LZ4F_compressEnd(j->cctx, p, avail, NULL);
		if (LZ4F_isError(n))
			return lz4_fail(u, -EIO, "compressing", n);
		uio_out_commit(u, n);
	}
	return 0;
}

/* Damage in the payload, in words a user can act on.  (The error enum is
 * lz4's static-only API: the names are stable.) */
static int lz4_damage(struct uio *u, size_t code)
{
	const char *name = LZ4F_getErrorName(code);

	if (strstr(name, "contentChecksum_invalid") ||
	    strstr(name, "blockChecksum_invalid"))
		return uio_fail(u, -EBADMSG,
				"the compressed stream is damaged: lz4 %s checksum mismatch",
				strstr(name, "content") ? "content" : "block");
	return uio_fail(u, -EBADMSG, "the compressed stream is damaged: lz4: %s",
			name);
}

/*
 * The frame's header, before lz4 decodes anything behind it: from the
 * payload's first bytes at *@src (consumed, as LZ4F_decompress() would),
 * or from the context once lz4 took a header that came in pieces.  (Asked
 * after a LZ4F_decompress() call, lz4 has forgotten a frame that ended in
 * that call: every image small enough for one call went unchecked.)
 * Return: 0 (checked, or not all there yet) or -EBADMSG.
 */
static int check_frame_info(struct uio *u, struct img_job *j, const uint8_t **src,
			    size_t *len)
{
	LZ4F_frameInfo_t fi;
	size_t n = *len, r;

	r = LZ4F_getFrameInfo(j->dctx, &fi, *src, &n);
	if (LZ4F_isError(r))
		return 0;	/* incomplete (lz4 keeps it), or damage lz4 reports */
	*src += n;
	*len -= n;
	j->info_checked = true;
	if (fi.contentChecksumFlag != LZ4F_contentChecksumEnabled)
		return uio_fail(u, -EBADMSG,
				"the lz4 frame has no content checksum: not written by mvgpu");
	if (fi.contentSize && fi.contentSize != j->limit)
		return uio_fail(u, -EBADMSG,
				"the lz4 frame holds %llu bytes, the header announces %llu",
				(unsigned long long)fi.contentSize,
				(unsigned long long)j->limit);
	return 0;
}

static int img_decompress(struct uio *u, void *opaque, const void *in,
			 size_t len, bool last)
{
	struct img_job *j = opaque;
	const uint8_t *src = in;
	bool more = len > 0;

	while (more) {
		size_t avail, dsz, ssz, r;
		void *p;

		if (j->frame_done)
			return uio_fail(u, -EBADMSG,
					"%zu unexpected bytes after the end of the lz4 frame",
					len);
		if (!j->info_checked && check_frame_info(u, j, &src, &len))
			return -EBADMSG;
		p = uio_out_reserve(u, 1, &avail);
		if (!p)
			return -ECANCELED;
		dsz = avail;
		ssz = len;
		r = LZ4F_decompress(j->dctx, p, &dsz, src, &ssz, NULL);
		if (LZ4F_isError(r))
			return lz4_damage(u, r);
		uio_out_commit(u, dsz);
		src += ssz;
		len -= ssz;
		j->produced += dsz;
		if (j->produced > j->limit)
			return uio_fail(u, -EBADMSG,
					"the compressed stream is longer than the %llu bytes the header announces",
					(unsigned long long)j->limit);
		if (r == 0 && !j->info_checked)
			return uio_fail(u, -EBADMSG,
					"the lz4 frame ended before its header was checked");
		if (r == 0)
			j->frame_done = true;
		/* a full output buffer may leave decoded bytes inside lz4 */
		more = len > 0 || (dsz == avail && !j->frame_done);
		if (!ssz && !dsz && len)
			return uio_fail(u, -EBADMSG, "the lz4 frame does not progress");
	}
	if (last) {
		if (!j->frame_done)
			return uio_fail(u, -ENODATA,
					"truncated: the lz4 frame ends early (%llu of %llu stream bytes)",
					(unsigned long long)j->produced,
					(unsigned long long)j->limit);
		if (j->produced != j->limit)
			return uio_fail(u, -EBADMSG,
					"the lz4 frame holds %llu stream bytes, the header announces %llu",
					(unsigned long long)j->produced,
					(unsigned long long)j->limit);
	}
	return 0;
}

int img_lz4_init(struct img_job *j)
{
	if (LZ4F_isError(LZ4F_createCompressionContext(&j->cctx, LZ4F_VERSION)))
		return -ENOMEM;
	memset(&j->prefs, 0, sizeof(j->prefs));
	j->prefs.frameInfo.blockSizeID = LZ4F_max4MB;
	j->prefs.frameInfo.blockMode = LZ4F_blockIndependent;
	j->prefs.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
	j->prefs.frameInfo.blockChecksumFlag = LZ4F_blockChecksumEnabled;
	j->prefs.compressionLevel = 1;	/* "lz4 -1": the fast one */
	j->prefs.autoFlush = 1;		/* one block per 4 MiB chunk, no copies */
	return 0;
}

void img_job_free(struct img_job *j)
{
	LZ4F_freeCompressionContext(j->cctx);
	LZ4F_freeDecompressionContext(j->dctx);
	free(j->dec);
	pagemap_free(&j->pagemap);
	j->cctx = NULL;
	j->dctx = NULL;
	j->dec = NULL;
}

/* ---- the output file: temporary, then renamed ------------------------------ */

int img_out_open(mvgpu_ctx *ctx, const char *path, struct img_out *of)
{
	char dir[PATH_MAX];
	const char *slash, *base;
	struct stat sb;
	int err;

	memset(of, 0, sizeof(*of));
	of->fd = of->dirfd = -1;
	if (!path || !*path)
		return mvgpu__err(ctx, -EINVAL, "empty file name");
	if (strlen(path) >= sizeof(dir))
		return mvgpu__err(ctx, -ENAMETOOLONG, "file name too long");
	slash = strrchr(path, '/');
	base = slash ? slash + 1 : path;
	if (!*base || !strcmp(base, ".") || !strcmp(base, ".."))
		return mvgpu__err(ctx, -EISDIR, "%s names a directory, not a file", path);
	if (strlen(base) > 230)	/* room for the temporary name */
		return mvgpu__err(ctx, -ENAMETOOLONG, "file name too long: %s", base);
	if (!stat(path, &sb) && S_ISDIR(sb.st_mode))
		return mvgpu__err(ctx, -EISDIR, "%s is a directory", path);
	if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else if (slash)
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	else
		snprintf(dir, sizeof(dir), ".");
	snprintf(of->base, sizeof(of->base), "%s", base);

	of->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (of->dirfd < 0) {
		err = errno;
		return mvgpu__err(ctx, -err, "cannot use directory %s: %s", dir,
				  strerror(err));
	}
	/* no name at all until it is complete: nothing to clean up after a
	 * crash */
	of->fd = openat(of->dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (of->fd >= 0) {
		of->anonymous = true;
		return 0;
	}
	if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL &&
	    errno != ENOENT)
		goto fail;
	/* file systems without O_TMPFILE: a hidden name */
	for (int i = 0; i < 100; i++) {
		snprintf(of->tmp, sizeof(of->tmp), ".%.230s.%08x", base,
			 (unsigned)(now_ns() ^ ((uint64_t)getpid() << 16) ^ (unsigned)i * 2654435761u));
		of->fd = openat(of->dirfd, of->tmp,
				O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
		if (of->fd >= 0 || errno != EEXIST)
			break;
	}
	if (of->fd >= 0)
		return 0;
	of->tmp[0] = '\0';
fail:
	err = errno;
	close(of->dirfd);
	of->dirfd = -1;
	return mvgpu__err(ctx, -err, "cannot create a file in %s: %s", dir,
			  strerror(err));
}

void img_out_abort(struct img_out *of)
{
	if (of->fd >= 0)
		close(of->fd);
	if (of->tmp[0])
		unlinkat(of->dirfd, of->tmp, 0);
	if (of->dirfd >= 0)
		close(of->dirfd);
	of->fd = of->dirfd = -1;
	of->tmp[0] = '\0';
}

int img_out_commit(mvgpu_ctx *ctx, struct img_out *of)
{
	char proc[64];
	int err, i;

	if (fsync(of->fd)) {
		err = errno;
		return mvgpu__err(ctx, -err, "writing the image: fsync: %s",
				  strerror(err));
	}
	if (of->anonymous) {
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", of->fd);
		for (i = 0; i < 100; i++) {
			snprintf(of->tmp, sizeof(of->tmp), ".%.230s.%08x", of->base,
				 (unsigned)(now_ns() ^ (unsigned)i * 2654435761u));
			if (!linkat(AT_FDCWD, proc, of->dirfd, of->tmp,
				    AT_SYMLINK_FOLLOW))
				break;
			if (errno != EEXIST) {
				err = errno;
				of->tmp[0] = '\0';
				return mvgpu__err(ctx, -err,
						  "naming the image: %s",
						  strerror(err));
			}
		}
		if (i == 100) {
			of->tmp[0] = '\0';
			return mvgpu__err(ctx, -EEXIST, "naming the image: no free temporary name");
		}
	}
	if (renameat(of->dirfd, of->tmp, of->dirfd, of->base)) {
		err = errno;
		return mvgpu__err(ctx, -err, "renaming the image to %s: %s",
				  of->base, strerror(err));
	}
	of->tmp[0] = '\0';	/* it is the image now */
	/* the rename itself is durable only once the directory is synced;
	 * the image is whole either way, so this is said, not failed on
	 * (a failed save must leave no file under the name, and there is) */
	if (fsync(of->dirfd)) {
		err = errno;
		mvgpu__warn(ctx, "the image %s is complete, but its directory could not be synced (%s): after a crash the name may still show the file it replaced; run 'sync' and check it",
			    of->base, strerror(err));
	}
	close(of->fd);
	close(of->dirfd);
	of->fd = of->dirfd = -1;
	return 0;
}

/* ---- saving ----------------------------------------------------------------- */

int img_pass_done(struct uio *u, struct img_job *j, uint64_t *initial,
		  uint64_t *dirty)
{
	int ret;

	j->passes++;
	ret = mvgpu_mig_precopy_info(j->data_fd, initial, dirty);
	if (ret)
		return uio_fail(u, ret, "pre-copy info: %s", strerror(-ret));
	img_emit(j, u, MVGPU_IMAGE_EV_PASS, "pass", *dirty, 0);
	return 0;
}

static int save_pause(struct uio *u, void *opaque)
{
	struct img_job *j = opaque;
	uint64_t initial, dirty, est = 0;
	int ret;

	/* the end of a pre-copy pass: mvgpu_save()'s decision */
	ret = img_pass_done(u, j, &initial, &dirty);
	if (ret)
		return ret;
	if (dirty > j->o.switchover_bytes && j->passes < j->o.max_passes) {
		uio_pause_after(u, initial + dirty);	/* the next pass */
		return 0;
	}
	j->precopy_bytes = uio_counts(u)->in_bytes;
	mvgpu_mig_stop_copy_size(j->dev, &est);
	j->t_stop = now_ns();
	ret = mvgpu_mig_set_state(j->dev, MVGPU_MIG_STOP_COPY, NULL);
	if (ret)
		return uio_fail(u, ret, "%s", mvgpu_last_error(j->ctx));
	j->stopped = true;
	j->phase = "stop-copy";
	img_emit(j, u, MVGPU_IMAGE_EV_STOP, "stop-copy", 0, est);
	return 0;
}

/* The last byte is read: the vGPU may run again at once. */
static int save_source_end(struct uio *u, void *opaque)
{
	struct img_job *j = opaque;
	int ret;

	if (!j->dev)
		return 0;
	ret = mvgpu_mig_set_state(j->dev, MVGPU_MIG_STOP, NULL);
	if (ret)
		return uio_fail(u, ret, "%s", mvgpu_last_error(j->ctx));
	ret = mvgpu_mig_set_state(j->dev, MVGPU_MIG_RUNNING, NULL);
	if (ret) {
		j->resume_err = ret;
		return uio_fail(u, ret, "resuming the vGPU: %s",
				mvgpu_last_error(j->ctx));
	}
	j->resumed = true;
	j->t_resumed = now_ns();
	j->phase = "finishing";
	img_emit(j, u, MVGPU_IMAGE_EV_RESUMED, "resumed", 0, 0);
	return 0;
}

static const struct uio_ops save_ops = {
	.transform = img_compress,
	.pause = save_pause,
	.source_end = save_source_end,
	.tick = img_tick,
};

/*
 * Stream from @in_fd into the file @path; the header goes in last, at
 * offset 0, once the sizes are known.  @info has the version string.
 */
static int write_image(struct img_job *j, int in_fd, struct img_out *out,
		       mvgpu_image_info *info, mvgpu_image_stats *st)
{
	uint8_t hdr[IMG_HEADER_MAX];
	struct uio_counts c = { 0 };
	struct img_out of = *out;
	char why[UIO_WHY_MAX];
	struct uio_cfg cfg;
	int hb, ret;

	out->fd = out->dirfd = -1;	/* ours now */
	out->tmp[0] = '\0';
	hb = img_header_encode(info, hdr, sizeof(hdr));
	ret = hb < 0 ? -EINVAL : img_lz4_init(j);
	if (ret) {
		img_out_abort(&of);
		return mvgpu__err(j->ctx, ret, ret == -EINVAL ?
				  "invalid migration_version for the header" :
				  "lz4: out of memory");
	}
	j->stream_is_in = true;
	cfg = (struct uio_cfg){
		.src = { .fd = in_fd, .off = -1 },
		.dst = { .fd = of.fd, .off = hb },
		.in_size = IMG_BLOCK,
		.out_size = 2 * LZ4F_compressBound(IMG_BLOCK, &j->prefs),
		.ops = &save_ops, .opaque = j, .cancel = j->o.cancel,
	};
	if (!j->stopped)	/* pre-copy: the first pass, by bytes too */
		cfg.pass_bytes = mvgpu__pass_bytes(in_fd);
	ret = uio_run(&cfg, &c, why);
	st->stream_bytes = c.in_bytes;
	st->registered = c.registered;
	if (ret) {
		img_out_abort(&of);
		if (ret == -ECANCELED)
			return mvgpu__err(j->ctx, ret, "interrupted");
		return mvgpu__err(j->ctx, ret, "%s", why);
	}
	info->stream_bytes = c.in_bytes;
	info->payload_bytes = c.out_bytes;
	info->passes = j->passes;
	hb = img_header_encode(info, hdr, sizeof(hdr));
	errno = EIO;
	if (pwrite(of.fd, hdr, (size_t)hb, 0) != hb) {
		ret = -errno;
		img_out_abort(&of);
		return mvgpu__err(j->ctx, ret, "writing the image header: %s",
				  strerror(-ret));
	}
	ret = img_out_commit(j->ctx, &of);
	if (ret) {
		img_out_abort(&of);
		return ret;
	}
	st->file_bytes = (uint64_t)hb + c.out_bytes;
	return 0;
}

static void save_finish_stats(struct img_job *j, mvgpu_image_stats *st)
{
	st->passes = j->passes;
	st->precopy_bytes = j->stopped ? j->precopy_bytes : 0;
	if (j->o.precopy && !j->stopped)
		st->precopy_bytes = st->stream_bytes;
	st->stop_copy_bytes = st->stream_bytes - st->precopy_bytes;
	if (j->resumed)
		st->downtime_ns = j->t_resumed - j->t_stop;
	st->elapsed_ns = now_ns() - j->t0;
}

int mvgpu_image_save(mvgpu_dev *dev, const char *path,
		     const mvgpu_image_opts *opts, mvgpu_image_stats *stats)
{
	const mvgpu_dev_info *di = mvgpu_dev_get_info(dev);
	mvgpu_ctx *ctx = dev->ctx;
	mvgpu_image_stats st = { 0 };
	mvgpu_image_info info = { 0 };
	struct mvgpu_compat_info ci;
	char why[MVGPU_COMPAT_WHY_MAX];
	struct img_out of = { .fd = -1, .dirfd = -1 };
	struct img_job j;
	int ret;

	img_job_init(&j, ctx, opts);
	j.dev = dev;
	ret = mvgpu_vgpu_migration_version(ctx, di->uuid, info.migration_version,
					   sizeof(info.migration_version));
	if (ret < 0)
		goto out;
	if (img_parse_version(info.migration_version, (size_t)ret, &ci, why,
			  sizeof(why))) {
		ret = mvgpu__err(ctx, -EPROTO, "the vGPU's migration_version is malformed: %s",
				 why);
		goto out;
	}
	snprintf(info.source_uuid, sizeof(info.source_uuid), "%s", di->uuid);
	info.created = (int64_t)time(NULL);
	info.flags = j.o.precopy ? MVGPU_IMAGE_F_PRECOPY : 0;
	/* a file we cannot create fails before the vGPU is touched */
	ret = img_out_open(ctx, path, &of);
	if (ret)
		goto out;

	if (j.o.precopy) {
		j.phase = "pre-copy";
		ret = mvgpu_mig_set_state(dev, MVGPU_MIG_PRE_COPY, &j.data_fd);
	} else {
		j.phase = "stop-copy";
		j.t_stop = now_ns();
		ret = mvgpu_mig_set_state(dev, MVGPU_MIG_STOP, NULL);
		if (!ret) {
			j.stopped = true;
			ret = mvgpu_mig_set_state(dev, MVGPU_MIG_STOP_COPY,
						  &j.data_fd);
		}
	}
	if (!ret && j.data_fd < 0)
		ret = mvgpu__err(ctx, -EPROTO, "the vGPU gave no migration data fd");
	if (!ret) {
		ret = write_image(&j, j.data_fd, &of, &info, &st);
		if (ret && j.resume_err)
			/* keep the first message */
			ret = j.resume_err;
	}
	if (j.data_fd >= 0)
		close(j.data_fd);
	if (!j.resumed) {
		/* cancel: nothing is lost, the vGPU runs on as it was */
		char keep[MVGPU_ERR_MAX];

		snprintf(keep, sizeof(keep), "%s", mvgpu_last_error(ctx));
		mvgpu_mig_set_state(dev, MVGPU_MIG_RUNNING, NULL);
		if (ret)
			mvgpu__err(ctx, ret, "%s", keep);
	}
out:
	img_out_abort(&of);		/* no-op once write_image() took it */
	save_finish_stats(&j, &st);
	img_job_free(&j);
	if (stats)
		*stats = st;
	return ret;
}

int mvgpu_image_write(mvgpu_ctx *ctx, int stream_fd, const char *path,
		      const char *migration_version,
		      const mvgpu_image_opts *opts, mvgpu_image_stats *stats)
{
	mvgpu_image_stats st = { 0 };
	mvgpu_image_info info = { 0 };
	struct mvgpu_compat_info ci;
	char why[MVGPU_COMPAT_WHY_MAX];
	struct img_out of;
	struct img_job j;
	size_t n;
	int ret;

	img_job_init(&j, ctx, opts);
	j.o.precopy = 0;
	j.phase = "writing";
	n = migration_version ? strlen(migration_version) : 0;
	while (n && migration_version[n - 1] == '\n')
		n--;
	if (!n || n >= sizeof(info.migration_version) ||
	    img_parse_version(migration_version, n, &ci, why, sizeof(why))) {
		ret = mvgpu__err(ctx, -EINVAL, "invalid migration_version: %s",
				 n ? why : "empty");
		goto out;
	}
	memcpy(info.migration_version, migration_version, n);
	info.created = (int64_t)time(NULL);
	ret = img_out_open(ctx, path, &of);
	if (!ret)
		ret = write_image(&j, stream_fd, &of, &info, &st);
out:
	save_finish_stats(&j, &st);
	img_job_free(&j);
	if (stats)
		*stats = st;
	return ret;
}

/* ---- reading an image ------------------------------------------------------- */

int mvgpu_image_open(mvgpu_ctx *ctx, const char *path, mvgpu_image **out)
{
	uint8_t hdr[IMG_HEADER_MAX];
	char why[256];
	mvgpu_image *img;
	struct stat sb;
	ssize_t n;
	int fd, ret;

	if (!out || !path)
		return mvgpu__err(ctx, -EINVAL, "no file");
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		ret = -errno;
		return mvgpu__err(ctx, ret, "%s: %s", path, strerror(-ret));
	}
	if (fstat(fd, &sb)) {
		ret = -errno;
		close(fd);
		return mvgpu__err(ctx, ret, "%s: %s", path, strerror(-ret));
	}
	if (!S_ISREG(sb.st_mode)) {
		close(fd);
		return mvgpu__err(ctx, S_ISDIR(sb.st_mode) ? -EISDIR : -EINVAL,
				  "%s is not a regular file", path);
	}
	do
		n = pread(fd, hdr, sizeof(hdr), 0);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		ret = -errno;
		close(fd);
		return mvgpu__err(ctx, ret, "%s: %s", path, strerror(-ret));
	}
	img = calloc(1, sizeof(*img));
	if (!img) {
		close(fd);
		return -ENOMEM;
	}
	img->ctx = ctx;
	img->fd = fd;
	snprintf(img->path, sizeof(img->path), "%s", path);
	if (n >= 10 && !memcmp(hdr, IMG_MAGIC, 8) &&
	    mvgpu_get_le16(hdr + 8) == IMG_SET_MAJOR)
		ret = img_set_open(img, hdr, (size_t)n, (uint64_t)sb.st_size, why,
				   sizeof(why));
	else
		ret = img_header_decode(hdr, (size_t)n, (uint64_t)sb.st_size,
					&img->info, why, sizeof(why));
	if (ret) {
		mvgpu_image_close(img);
		return mvgpu__err(ctx, ret, "%s", why);
	}
	if (!img->sub)
		img->info.vgpus = 1;
	*out = img;
	return 0;
}

void mvgpu_image_close(mvgpu_image *img)
{
	if (!img)
		return;
	close(img->fd);
	free(img->sub);
	free(img);
}

mvgpu_image *mvgpu_image_vgpu(mvgpu_image *img, unsigned i)
{
	if (!img || i >= img->info.vgpus)
		return NULL;
	return img->sub ? &img->sub[i] : img;
}

/* The per-vGPU calls on a set itself: say how to name one. */
static int refuse_set(mvgpu_image *img)
{
	return mvgpu__err(img->ctx, -EISDIR,
			  "%s holds a set of %u vGPUs saved together: name one (mvgpu_image_vgpu())",
			  img->path, img->info.vgpus);
}

const mvgpu_image_info *mvgpu_image_get_info(const mvgpu_image *img)
{
	return &img->info;
}

static size_t chunk_for(uint64_t bytes)
{
	uint64_t r = (bytes + 65535) & ~(uint64_t)65535;

	return r < IMG_BLOCK ? (size_t)r : IMG_BLOCK;
}

/* Run the payload through lz4 into @dst (an fd, or the decoder when -1). */
static int read_payload(mvgpu_image *img, struct img_job *j, int dst_fd,
			const struct uio_ops *ops, struct uio_counts *c)
{
	char why[UIO_WHY_MAX];
	struct uio_cfg cfg;
	int ret;

	if (LZ4F_isError(LZ4F_createDecompressionContext(&j->dctx, LZ4F_VERSION)))
		return mvgpu__err(img->ctx, -ENOMEM, "lz4: out of memory");
	j->limit = img->info.stream_bytes;
	j->stream_total = img->info.stream_bytes;
	j->stream_is_in = false;
	cfg = (struct uio_cfg){
		.src = { .fd = img->fd, .off = (int64_t)(img->base + img->info.header_bytes),
			 .len = img->info.payload_bytes },
		.dst = { .fd = dst_fd, .off = -1 },
		/* small images, small buffers */
		.in_size = chunk_for(img->info.payload_bytes),
		.out_size = chunk_for(img->info.stream_bytes),
		.ops = ops, .opaque = j, .cancel = j->o.cancel,
	};
	ret = uio_run(&cfg, c, why);
	if (ret == -ECANCELED)
		return mvgpu__err(img->ctx, ret, "interrupted");
	if (ret)
		return mvgpu__err(img->ctx, ret, "%s: %s", img->path, why);
	return 0;
}

/* Decoder callbacks: the framebuffer map and the read_fb() window. */
static void fb_window(struct img_job *j, uint64_t first, uint64_t count,
		      const void *data)
{
	uint64_t s = first * MVGPU_STREAM_PAGE_SIZE;
	uint64_t e = s + count * MVGPU_STREAM_PAGE_SIZE;
	uint64_t ws = j->fb_off, we = j->fb_off + j->fb_len;

	if (!j->fb_buf || e <= ws || s >= we)
		return;
	if (s < ws)
		s = ws;
	if (e > we)
		e = we;
	if (data)
		memcpy(j->fb_buf + (s - ws),
		       (const uint8_t *)data + (s - first * MVGPU_STREAM_PAGE_SIZE),
		       e - s);
	else
		memset(j->fb_buf + (s - ws), 0, e - s);
}

static int dec_page(void *ctx, __u64 index, const void *data)
{
	struct img_job *j = ctx;

	pagemap_page(&j->pagemap, index);
	if (j->sum)
		j->sum->page_records++;
	fb_window(j, index, 1, data);
	return 0;
}

static int dec_zero(void *ctx, __u64 first, __u64 count)
{
	struct img_job *j = ctx;

	pagemap_zero(&j->pagemap, first, count);
	if (j->sum)
		j->sum->zero_records++;
	fb_window(j, first, count, NULL);
	return 0;
}

static int dec_hint(void *ctx, __u64 bytes, __u64 pages)
{
	struct img_job *j = ctx;

	(void)bytes;
	(void)pages;
	if (j->sum)
		j->sum->size_hints++;
	return 0;
}

static const struct mvgpu_dec_ops dec_ops = {
	.page = dec_page, .zero = dec_zero, .size_hint = dec_hint,
};

static int consume_decode(struct uio *u, void *opaque, const void *buf,
			  size_t len)
{
	struct img_job *j = opaque;
	int ret = mvgpu_dec_push(j->dec, buf, len);

	if (ret)
		return uio_fail(u, ret, "the stream is %s: %s",
				ret == -EINVAL ? "incompatible" : "damaged",
				mvgpu_dec_why(j->dec));
	return 0;
}

static const struct uio_ops check_ops = {
	.transform = img_decompress,
	.consume = consume_decode,
	.tick = img_tick,
};

static void fill_summary(struct img_job *j, mvgpu_image_summary *s)
{
	const struct mvgpu_compat_info *r = mvgpu_dec_remote(j->dec);
	const struct mvgpu_state *st = &j->st;
	unsigned c;

	snprintf(s->type, sizeof(s->type), "%s", r->type);
	snprintf(s->driver, sizeof(s->driver), "%s", r->driver);
	s->type_index = r->type_index;
	s->stream_major = r->stream_major;
	s->stream_minor = r->stream_minor;
	s->abi_major = r->abi_major;
	s->abi_minor = r->abi_minor;
	s->fb_size = r->fb_size;
	s->features = r->features;
	s->fb_pages = j->fb_pages;
	pagemap_count(&j->pagemap, &s->pages_data, &s->pages_zero);
	s->pages_unsent = j->fb_pages - s->pages_data - s->pages_zero;
	s->vendor = mvgpu_get_le16(st->cfg + 0x00);
	s->device = mvgpu_get_le16(st->cfg + 0x02);
	s->subvendor = mvgpu_get_le16(st->cfg + 0x2c);
	s->subdevice = mvgpu_get_le16(st->cfg + 0x2e);
	s->intr_status = st->intr_status;
	s->intr_mask = st->intr_mask;
	s->scratch = st->scratch;
	s->irq_kind = st->irq_kind;
	s->irq_flags = st->irq_flags;
	s->disp.width = st->disp.width;
	s->disp.height = st->disp.height;
	s->disp.stride = st->disp.stride;
	s->disp.format = st->disp.format;
	s->disp.offset = st->disp.offset;
	s->disp.enable = st->disp.enable;
	for (c = 0; c < MVGPU_NUM_CHANNELS; c++) {
		s->ch[c].ctrl = st->ch[c].ctrl;
		s->ch[c].ring_size = st->ch[c].ring_size;
		s->ch[c].put = st->ch[c].put;
		s->ch[c].get = st->ch[c].get;
		s->ch[c].fence = st->ch[c].fence;
		s->ch[c].error = st->ch[c].error;
		s->ch[c].error_get = st->ch[c].error_get;
		s->ch[c].ring_base = st->ch[c].ring_base;
		s->ch[c].cmd_done = st->ch[c].cmd_done;
	}
	s->ecc_mode = r->ecc;		/* PLAT's, once it came */
	s->has_platform = !!(st->have & MVGPU_STATE_HAVE_PLAT);
	if (s->has_platform) {
		s->platform.ecc = st->plat.ecc;
		s->platform.frame_rate_limiter = st->plat.frame_rate_limiter;
	}
	s->has_ecc = !!(st->have & MVGPU_STATE_HAVE_ECC);
	if (s->has_ecc) {
		s->ecc.ctrl = st->ecc.ctrl;
		s->ecc.flags = st->ecc.flags;
		s->ecc.sbe_volatile = st->ecc.sbe_volatile;
		s->ecc.dbe_volatile = st->ecc.dbe_volatile;
		s->ecc.sbe_aggregate = st->ecc.sbe_aggregate;
		s->ecc.dbe_aggregate = st->ecc.dbe_aggregate;
	}
}

/* The target's info: @version, or the image's own. */
static int target_info(mvgpu_image *img, const char *version,
		       struct mvgpu_compat_info *local)
{
	struct mvgpu_compat_info remote;
	char why[MVGPU_COMPAT_WHY_MAX];
	const char *v = version ? version : img->info.migration_version;
	size_t n = strlen(v);

	while (n && v[n - 1] == '\n')
		n--;
	if (img_parse_version(v, n, local, why, sizeof(why)))
		return mvgpu__err(img->ctx, -EINVAL,
				  "the target's migration_version is malformed: %s", why);
	/* parsed when the image was opened */
	img_parse_version(img->info.migration_version,
		      strlen(img->info.migration_version), &remote, why, sizeof(why));
	if (mvgpu_compat_check(local, &remote, why, sizeof(why)))
		return mvgpu__err(img->ctx, -EINVAL,
				  "incompatible: %s; image: %s; target: %.*s", why,
				  img->info.migration_version, (int)n, v);
	return 0;
}

/* Decode the whole image into @j's decoder; the caller sets the capture. */
int img_decode(mvgpu_image *img, struct img_job *j, const char *version)
{
	struct mvgpu_compat_info local;
	struct uio_counts c;
	int ret;

	ret = target_info(img, version, &local);
	if (ret)
		return ret;
	j->fb_pages = local.fb_size / MVGPU_STREAM_PAGE_SIZE;
	j->dec = malloc(sizeof(*j->dec));
	if (!j->dec || pagemap_init(&j->pagemap, j->fb_pages))
		return mvgpu__err(img->ctx, -ENOMEM, "out of memory");
	if (mvgpu_dec_init(j->dec, &local, &j->st, &dec_ops, j))
		return mvgpu__err(img->ctx, -EINVAL, "cannot start the decoder");
	j->phase = "validating";
	ret = read_payload(img, j, -1, &check_ops, &c);
	if (ret == -EINVAL && version) {
		/* the descriptor disagrees with the target: name both */
		char keep[MVGPU_ERR_MAX];

		snprintf(keep, sizeof(keep), "%s", mvgpu_last_error(img->ctx));
		return mvgpu__err(img->ctx, ret, "%s; image: %s; target: %s",
				  keep, img->info.migration_version, version);
	}
	if (ret == -EINVAL)
		/* with its own header as the target: damage, not a mismatch */
		return mvgpu__err(img->ctx, -EBADMSG,
				  "the header and the stream disagree: %s",
				  mvgpu_dec_why(j->dec));
	if (ret)
		return ret;
	ret = mvgpu_dec_finish(j->dec);
	if (ret)
		return mvgpu__err(img->ctx, ret, "%s: the stream is %s: %s",
				  img->path,
				  ret == -ENODATA ? "truncated" : "damaged",
				  mvgpu_dec_why(j->dec));
	return 0;
}

int mvgpu_image_check(mvgpu_image *img, const char *target_version,
		      mvgpu_image_summary *sum, const mvgpu_image_opts *opts)
{
	mvgpu_image_summary s;
	struct img_job j;
	int ret;

	if (img->sub)
		return refuse_set(img);
	img_job_init(&j, img->ctx, opts);
	memset(&s, 0, sizeof(s));
	j.sum = &s;
	ret = img_decode(img, &j, target_version);
	if (!ret) {
		struct mvgpu_compat_info ci;
		char why[MVGPU_COMPAT_WHY_MAX];

		fill_summary(&j, &s);
		/* no PLAT (a stream 1.0 source): what the header says, if */
		if (!s.ecc_mode &&
		    !img_parse_version(img->info.migration_version,
				   strlen(img->info.migration_version), &ci,
				   why, sizeof(why)))
			s.ecc_mode = ci.ecc;
		if (sum)
			*sum = s;
		img_emit(&j, NULL, MVGPU_IMAGE_EV_VALIDATED, "validated", 0, 0);
	}
	img_job_free(&j);
	return ret;
}

int mvgpu_image_read_fb(mvgpu_image *img, uint64_t off, void *buf, size_t len)
{
	struct mvgpu_compat_info ci;
	char why[MVGPU_COMPAT_WHY_MAX];
	struct img_job j;
	int ret;

	if (img->sub)
		return refuse_set(img);
	img_parse_version(img->info.migration_version,
		      strlen(img->info.migration_version), &ci, why, sizeof(why));
	if (off > ci.fb_size || len > ci.fb_size - off)
		return mvgpu__err(img->ctx, -EINVAL,
				  "range %" PRIu64 "+%zu is outside the %" PRIu64 "-byte framebuffer",
				  off, len, (uint64_t)ci.fb_size);
	memset(buf, 0, len);	/* pages never sent are zero */
	img_job_init(&j, img->ctx, NULL);
	j.fb_buf = buf;
	j.fb_off = off;
	j.fb_len = len;
	ret = img_decode(img, &j, NULL);
	img_job_free(&j);
	return ret;
}

static const struct uio_ops extract_ops = {
	.transform = img_decompress,
	.tick = img_tick,
};

int img_feed(mvgpu_image *img, struct img_job *j, int fd, struct uio_counts *c)
{
	j->frame_done = j->info_checked = false;
	j->produced = 0;
	return read_payload(img, j, fd, &extract_ops, c);
}

int mvgpu_image_extract(mvgpu_image *img, int out_fd,
			const mvgpu_image_opts *opts, mvgpu_image_stats *stats)
{
	mvgpu_image_stats st = { 0 };
	struct uio_counts c = { 0 };
	struct img_job j;
	int ret;

	if (img->sub) {
		if (stats)
			*stats = st;
		return refuse_set(img);
	}
	img_job_init(&j, img->ctx, opts);
	j.phase = "extracting";
	ret = read_payload(img, &j, out_fd, &extract_ops, &c);
	st.stream_bytes = c.out_bytes;
	st.file_bytes = img->info.file_bytes;
	st.registered = c.registered;
	st.elapsed_ns = now_ns() - j.t0;
	img_job_free(&j);
	if (stats)
		*stats = st;
	return ret;
}

int img_validate(mvgpu_image *img, mvgpu_dev *dev, struct img_job *j)
{
	char version[MVGPU_IMAGE_VERSION_MAX];
	int ret;

	ret = mvgpu_vgpu_migration_version(img->ctx, mvgpu_dev_get_info(dev)->uuid,
					   version, sizeof(version));
	if (ret < 0)
		return ret;
	ret = img_decode(img, j, version);
	if (ret)
		return ret;
	img_job_free(j);
	img_emit(j, NULL, MVGPU_IMAGE_EV_VALIDATED, "validated", 0, 0);
	return 0;
}

int mvgpu_image_restore(mvgpu_image *img, mvgpu_dev *dev,
			const mvgpu_image_opts *opts, mvgpu_image_stats *stats)
{
	mvgpu_image_stats st = { 0 };
	struct uio_counts c = { 0 };
	struct img_job j;
	int ret, data_fd = -1;

	if (img->sub) {
		if (stats)
			*stats = st;
		return refuse_set(img);
	}
	img_job_init(&j, img->ctx, opts);
	st.file_bytes = img->info.file_bytes;
	/* 1: natively, the vGPU untouched */
	ret = img_validate(img, dev, &j);
	st.validate_ns = now_ns() - j.t0;
	if (ret)
		goto out;

	/* 2: into the vGPU; the kernel validates it all again before applying */
	st.device_touched = 1;
	ret = mvgpu_mig_set_state(dev, MVGPU_MIG_RESUMING, &data_fd);
	if (ret) {
		/* it did not get to RESUMING: back to where it was */
		char keep[MVGPU_ERR_MAX];

		snprintf(keep, sizeof(keep), "%s", mvgpu_last_error(img->ctx));
		mvgpu_mig_set_state(dev, MVGPU_MIG_RUNNING, NULL);
		mvgpu__err(img->ctx, ret, "%s", keep);
		goto out;
	}
	j.phase = "loading";
	if (data_fd < 0)
		ret = mvgpu__err(img->ctx, -EPROTO, "the vGPU gave no migration data fd");
	else
		ret = img_feed(img, &j, data_fd, &c);
	st.stream_bytes = c.out_bytes;
	st.registered = c.registered;
	if (!ret)
		ret = mvgpu_mig_set_state(dev, MVGPU_MIG_STOP, NULL);
	if (data_fd >= 0)
		close(data_fd);
	if (!ret) {
		ret = mvgpu_mig_set_state(dev, MVGPU_MIG_RUNNING, NULL);
		if (!ret)
			img_emit(&j, NULL, MVGPU_IMAGE_EV_LOADED, "loaded", 0, 0);
	} else {
		/* RESUMING is left only through a reset */
		char keep[MVGPU_ERR_MAX];

		snprintf(keep, sizeof(keep), "%s", mvgpu_last_error(img->ctx));
		ioctl(mvgpu_dev_fd(dev), VFIO_DEVICE_RESET);
		mvgpu__err(img->ctx, ret,
			   "the vGPU refused the stream after it decoded here (%s); the vGPU was reset",
			   keep);
	}
out:
	st.elapsed_ns = now_ns() - j.t0;
	img_job_free(&j);
	if (stats)
		*stats = st;
	return ret;
}
