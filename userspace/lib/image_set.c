// SPDX-License-Identifier: MIT
/*
 * image_set.c - several vGPUs in one image (a set, format 2.0: image.h):
 * the directory's codec, opening a set (each section a format-1 image of
 * its own, image.c), saving vGPUs together (mvgpu_image_save_n()) and
 * restoring them together (mvgpu_image_restore_n()).
 *
 *   save:     every vGPU PRE_COPY; rounds of one pass per vGPU, each into
 *             its section's temporary file; every vGPU quiet, every vGPU
 *             STOP_COPY, each one's rest; all running; then the set's
 *             file: the directory and the sections, renamed over FILE
 *   restore:  every section decoded natively against its target; every
 *             target RESUMING; each stream fed; every one STOP; all
 *             running - or every target touched reset
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <uuid/uuid.h>

#include "device.h"
#include "image.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- the directory ----------------------------------------------------------- */

int img_set_encode(const struct img_set_entry *e, unsigned n, uint8_t *buf,
		   size_t room)
{
	uint32_t hb = IMG_SET_FIXED + IMG_SET_ENTRY * n;
	unsigned i;
	uuid_t u;

	if (n < 2 || n > MVGPU_SESSION_MAX)
		return -EINVAL;
	if (room < hb)
		return -ENOSPC;
	memset(buf, 0, hb);
	memcpy(buf, IMG_MAGIC, 8);
	mvgpu_put_le16(buf + 8, IMG_SET_MAJOR);
	mvgpu_put_le16(buf + 10, 0);
	mvgpu_put_le32(buf + 12, hb);
	mvgpu_put_le32(buf + 20, n);
	for (i = 0; i < n; i++) {
		uint8_t *p = buf + IMG_SET_FIXED + IMG_SET_ENTRY * i;

		if (uuid_parse(e[i].uuid, u) || uuid_is_null(u))
			return -EINVAL;
		mvgpu_put_le64(p, e[i].offset);
		mvgpu_put_le64(p + 8, e[i].bytes);
		memcpy(p + 16, u, 16);
	}
	mvgpu_put_le64(buf + IMG_SET_CSUM_OFF, XXH64(buf, hb, 0));
	return (int)hb;
}

#define BAD(code, ...) (snprintf(why, whylen, __VA_ARGS__), (code))

int img_set_decode(const uint8_t *buf, size_t len, uint64_t file_bytes,
		   struct img_set_entry *e, unsigned *n, char *why,
		   size_t whylen)
{
	uint8_t tmp[IMG_SET_HEADER_MAX];
	uint64_t at;
	uint32_t hb, count;
	unsigned i, j;

	if (len > file_bytes)
		len = (size_t)file_bytes;
	if (len < 8 || memcmp(buf, IMG_MAGIC, 8))
		return BAD(-EPROTO, "not an mvgpu image (no \"" IMG_MAGIC "\" at its start)");
	if (len < IMG_SET_FIXED)
		return BAD(-ENODATA, "truncated: %zu bytes, less than a set's header (%u)",
			   len, IMG_SET_FIXED);
	if (mvgpu_get_le16(buf + 8) != IMG_SET_MAJOR)
		return BAD(-EPROTONOSUPPORT, "not a set of vGPUs (format %u)",
			   mvgpu_get_le16(buf + 8));
	hb = mvgpu_get_le32(buf + 12);
	count = mvgpu_get_le32(buf + 20);
	if (count < 2 || count > MVGPU_SESSION_MAX ||
	    hb != IMG_SET_FIXED + IMG_SET_ENTRY * count)
		return BAD(-EBADMSG, "header damaged: a set of %u vGPUs in a %u-byte header",
			   count, hb);
	if (len < hb)
		return BAD(-ENODATA, "truncated inside the set's header (%zu of %u bytes)",
			   len, hb);
	memcpy(tmp, buf, hb);
	memset(tmp + IMG_SET_CSUM_OFF, 0, 8);
	if (XXH64(tmp, hb, 0) != mvgpu_get_le64(buf + IMG_SET_CSUM_OFF))
		return BAD(-EBADMSG, "header damaged: its checksum does not match");
	/* from here on the header is what a writer wrote: check its sense */
	if (mvgpu_get_le32(buf + 16))
		return BAD(-EPROTONOSUPPORT, "unknown set flags 0x%x: written by a newer mvgpu?",
			   mvgpu_get_le32(buf + 16));
	for (i = 0, at = hb; i < count; i++) {
		const uint8_t *p = buf + IMG_SET_FIXED + IMG_SET_ENTRY * i;
		static const uint8_t zero16[16];

		e[i].offset = mvgpu_get_le64(p);
		e[i].bytes = mvgpu_get_le64(p + 8);
		if (e[i].offset != at)
			return BAD(-EBADMSG, "header damaged: vGPU %u's section at %llu, %llu was due",
				   i + 1, (unsigned long long)e[i].offset,
				   (unsigned long long)at);
		if (e[i].bytes < IMG_FIXED + 8 || e[i].bytes > IMG_STREAM_MAX * 2)
			return BAD(-EBADMSG, "header damaged: vGPU %u's section of %llu bytes",
				   i + 1, (unsigned long long)e[i].bytes);
		if (!memcmp(p + 16, zero16, 16))
			return BAD(-EBADMSG, "header damaged: vGPU %u has no UUID", i + 1);
		uuid_unparse_lower(p + 16, e[i].uuid);
		for (j = 0; j < i; j++)
			if (!strcmp(e[j].uuid, e[i].uuid))
				return BAD(-EBADMSG, "header damaged: vGPU %s is in the set twice",
					   e[i].uuid);
		at += e[i].bytes;
	}
	if (file_bytes < at)
		return BAD(-ENODATA, "truncated: %llu bytes, the set's header announces %llu",
			   (unsigned long long)file_bytes, (unsigned long long)at);
	if (file_bytes > at)
		return BAD(-EBADMSG, "%llu unexpected bytes after the last vGPU",
			   (unsigned long long)(file_bytes - at));
	*n = count;
	return 0;
}

int img_set_open(mvgpu_image *img, const uint8_t *hdr, size_t len,
		 uint64_t file_bytes, char *why, size_t whylen)
{
	struct img_set_entry e[MVGPU_SESSION_MAX];
	uint8_t sh[IMG_HEADER_MAX];
	mvgpu_image_info *in = &img->info;
	char w[256];
	unsigned n, i;
	ssize_t r;
	int ret;

	ret = img_set_decode(hdr, len, file_bytes, e, &n, why, whylen);
	if (ret)
		return ret;
	img->sub = calloc(n, sizeof(*img->sub));
	if (!img->sub)
		return BAD(-ENOMEM, "out of memory");
	memset(in, 0, sizeof(*in));
	in->major = IMG_SET_MAJOR;
	in->minor = mvgpu_get_le16(hdr + 10);
	in->header_bytes = IMG_SET_FIXED + IMG_SET_ENTRY * n;
	in->file_bytes = file_bytes;
	in->vgpus = n;
	for (i = 0; i < n; i++) {
		mvgpu_image *s = &img->sub[i];

		do
			r = pread(img->fd, sh, sizeof(sh), (off_t)e[i].offset);
		while (r < 0 && errno == EINTR);
		if (r < 0) {
			ret = -errno;
			return BAD(ret, "reading vGPU %u's section: %s", i + 1,
				   strerror(-ret));
		}
		ret = img_header_decode(sh, (size_t)r, e[i].bytes, &s->info, w,
					sizeof(w));
		if (ret == -EPROTO)
			ret = -EBADMSG;	/* a set whose section is no image */
		if (ret)
			return BAD(ret, "vGPU %u of %u (%s): %s", i + 1, n, e[i].uuid, w);
		if (strcmp(s->info.source_uuid, e[i].uuid))
			return BAD(-EBADMSG, "vGPU %u of %u: its section saved vGPU %s, the set's header says %s",
				   i + 1, n, s->info.source_uuid[0] ?
				   s->info.source_uuid : "(none)", e[i].uuid);
		s->ctx = img->ctx;
		s->fd = img->fd;
		snprintf(s->path, sizeof(s->path), "%s", img->path);
		s->base = e[i].offset;
		s->info.vgpus = 1;
		s->info.offset = e[i].offset;
		in->stream_bytes += s->info.stream_bytes;
		in->payload_bytes += s->info.payload_bytes;
		if (s->info.passes > in->passes)
			in->passes = s->info.passes;
		if (s->info.created > in->created)
			in->created = s->info.created;
		in->flags |= s->info.flags;
	}
	return 0;
}

#undef BAD

/* ---- saving several ------------------------------------------------------------ */

/* One vGPU of a set being saved. */
struct set_vgpu {
	struct img_job j;	/* its pipeline: lz4, passes, data fd */
	struct img_out of;	/* its section, a temporary file */
	mvgpu_image_info info;	/* its section's header */
	uint32_t hb;		/* ... its length */
	uint64_t stream, payload;	/* bytes read, bytes written */
};

struct set_save {
	mvgpu_ctx *ctx;
	struct set_vgpu *v;
	mvgpu_dev *devs[MVGPU_SESSION_MAX];
	unsigned n;
	const volatile sig_atomic_t *cancel;
	uint64_t in, out;	/* all runs so far, for events */
	uint64_t t0, t_stop, t_resumed;
	bool touched;		/* a vGPU left RUNNING */
	bool stopped, resumed;
};

/* A pre-copy pass of a set's vGPU is through: the rounds decide. */
static int set_pass_end(struct uio *u, void *opaque)
{
	uint64_t initial, dirty;
	int ret = img_pass_done(u, opaque, &initial, &dirty);

	if (!ret)
		uio_end_source(u);
	return ret;
}

/* Its last byte is read: it stays stopped until every one's is. */
static int set_source_end(struct uio *u, void *opaque)
{
	struct img_job *j = opaque;
	int ret;

	if (!j->stopped)
		return 0;
	ret = mvgpu_mig_set_state(j->dev, MVGPU_MIG_STOP, NULL);
	return ret ? uio_fail(u, ret, "%s", mvgpu_last_error(j->ctx)) : 0;
}

static const struct uio_ops set_ops = {
	.transform = img_compress,
	.pause = set_pass_end,
	.source_end = set_source_end,
	.tick = img_tick,
};

static const char *dev_uuid(const struct set_vgpu *v)
{
	return mvgpu_dev_get_info(v->j.dev)->uuid;
}

/* A run of @v's pipeline on into its section: a pre-copy pass (of
 * @pass_bytes; 0: until the data fd says it has nothing left), or the
 * @last: to the stream's end, which ends the lz4 frame. */
static int set_run(struct set_save *s, struct set_vgpu *v, uint64_t pass_bytes,
		   bool last)
{
	struct uio_counts c = { 0 };
	char why[UIO_WHY_MAX];
	struct uio_cfg cfg = {
		.src = { .fd = v->j.data_fd, .off = -1 },
		.dst = { .fd = v->of.fd, .off = (int64_t)(v->hb + v->payload) },
		.in_size = IMG_BLOCK,
		.out_size = 2 * LZ4F_compressBound(IMG_BLOCK, &v->j.prefs),
		.ops = &set_ops, .opaque = &v->j, .cancel = s->cancel,
		.pass_bytes = pass_bytes,
	};
	int ret;

	v->j.keep_open = !last;	/* the frame ends with the stream */
	v->j.base_in = s->in;
	v->j.base_out = s->out;
	ret = uio_run(&cfg, &c, why);
	v->stream += c.in_bytes;
	v->payload += c.out_bytes;
	s->in += c.in_bytes;
	s->out += c.out_bytes;
	if (ret == -ECANCELED)
		return mvgpu__err(s->ctx, ret, "interrupted");
	if (ret)
		return mvgpu__err(s->ctx, ret, "vGPU %s: %s", dev_uuid(v), why);
	return 0;
}

static int set_vgpu_err(struct set_save *s, unsigned i, int err)
{
	char keep[MVGPU_ERR_MAX];

	snprintf(keep, sizeof(keep), "%s", mvgpu_last_error(s->ctx));
	return mvgpu__err(s->ctx, err, "vGPU %s: %s", dev_uuid(&s->v[i]), keep);
}

static int set_pass(void *opaque, unsigned i, uint64_t bytes)
{
	struct set_save *s = opaque;

	return set_run(s, &s->v[i], bytes, false);
}

/* Every vGPU's pre-copy: every one PRE_COPY, then rounds of passes. */
static int set_precopy(struct set_save *s)
{
	const mvgpu_image_opts *o = &s->v[0].j.o;
	int fds[MVGPU_SESSION_MAX];
	unsigned i, bad = 0;
	int ret;

	s->touched = true;
	for (i = 0; i < s->n; i++) {
		struct img_job *j = &s->v[i].j;

		j->phase = "pre-copy";
		ret = mvgpu_mig_set_state(j->dev, MVGPU_MIG_PRE_COPY, &j->data_fd);
		if (!ret && j->data_fd < 0)
			ret = mvgpu__err(s->ctx, -EPROTO, "the vGPU gave no migration data fd");
		if (ret)
			return set_vgpu_err(s, i, ret);
		fds[i] = j->data_fd;
	}
	ret = mvgpu__precopy_rounds(fds, s->n, o->max_passes, o->switchover_bytes,
				    set_pass, s, &bad);
	if (ret && bad < s->n)
		ret = set_vgpu_err(s, bad, mvgpu__err(s->ctx, ret, "pre-copy info: %s",
						      strerror(-ret)));
	return ret;
}

/* One stop for all: every vGPU quiet, then every one in stop-copy. */
static int set_stop(struct set_save *s, bool precopy)
{
	uint64_t est = 0, e;
	unsigned i, bad = 0;
	int ret;

	for (i = 0; i < s->n; i++) {
		e = 0;
		mvgpu_mig_stop_copy_size(s->devs[i], &e);
		est += e;
		s->v[i].j.precopy_bytes = s->v[i].stream;
	}
	s->t_stop = now_ns();
	s->touched = s->stopped = true;
	ret = mvgpu__quiet_all(s->devs, s->n, precopy ? MVGPU_MIG_PRE_COPY_P2P :
							MVGPU_MIG_RUNNING_P2P, &bad);
	if (ret)
		return set_vgpu_err(s, bad, ret);
	for (i = 0; i < s->n; i++) {
		struct img_job *j = &s->v[i].j;

		ret = mvgpu_mig_set_state(j->dev, MVGPU_MIG_STOP_COPY,
					  precopy ? NULL : &j->data_fd);
		if (!ret && j->data_fd < 0)
			ret = mvgpu__err(s->ctx, -EPROTO, "the vGPU gave no migration data fd");
		if (ret)
			return set_vgpu_err(s, i, ret);
		j->stopped = true;
		j->phase = "stop-copy";
	}
	img_emit(&s->v[0].j, NULL, MVGPU_IMAGE_EV_STOP, "stop-copy", 0, est);
	return 0;
}

/* Copy @len bytes of @from (from 0) to @to at @off. */
static int copy_section(mvgpu_ctx *ctx, int from, int to, uint64_t off,
			uint64_t len)
{
	loff_t in = 0, out = (loff_t)off;
	char buf[65536];

	while (len) {
		ssize_t n = copy_file_range(from, &in, to, &out,
					    len < (1u << 30) ? (size_t)len : 1u << 30, 0);

		if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL ||
			      errno == EOPNOTSUPP)) {
			/* no copy_file_range here: by hand */
			n = pread(from, buf, len < sizeof(buf) ? (size_t)len : sizeof(buf), in);
			if (n > 0 && pwrite(to, buf, (size_t)n, out) != n)
				n = -1;
			if (n > 0) {
				in += n;
				out += n;
			}
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return mvgpu__err(ctx, n < 0 ? -errno : -EIO, "writing the image: %s",
					  n < 0 ? strerror(errno) : "a section ended early");
		len -= (uint64_t)n;
	}
	return 0;
}

/* The sections' headers, then the set's file: directory and sections. */
static int set_write(struct set_save *s, struct img_out *out,
		     mvgpu_image_stats *each)
{
	struct img_set_entry e[MVGPU_SESSION_MAX];
	uint8_t hdr[IMG_HEADER_MAX];
	uint64_t at;
	unsigned i;
	int hb, ret;

	at = IMG_SET_FIXED + IMG_SET_ENTRY * s->n;
	for (i = 0; i < s->n; i++) {
		struct set_vgpu *v = &s->v[i];

		v->info.stream_bytes = v->stream;
		v->info.payload_bytes = v->payload;
		v->info.passes = v->j.passes;
		hb = img_header_encode(&v->info, hdr, sizeof(hdr));
		if (hb < 0 || pwrite(v->of.fd, hdr, (size_t)hb, 0) != hb)
			return mvgpu__err(s->ctx, hb < 0 ? -EINVAL : -EIO,
					  "writing the image header of vGPU %s", dev_uuid(v));
		e[i].offset = at;
		e[i].bytes = (uint64_t)hb + v->payload;
		snprintf(e[i].uuid, sizeof(e[i].uuid), "%s", dev_uuid(v));
		each[i].file_bytes = e[i].bytes;
		at += e[i].bytes;
	}
	hb = img_set_encode(e, s->n, hdr, sizeof(hdr));
	if (hb < 0 || pwrite(out->fd, hdr, (size_t)hb, 0) != hb) {
		ret = hb < 0 ? -EINVAL : -errno;
		return mvgpu__err(s->ctx, ret, "writing the image header: %s",
				  strerror(-ret));
	}
	for (i = 0; i < s->n; i++) {
		ret = copy_section(s->ctx, s->v[i].of.fd, out->fd, e[i].offset,
				   e[i].bytes);
		if (ret)
			return ret;
	}
	return img_out_commit(s->ctx, out);
}

/* Each vGPU's job, its section's header and temporary file. */
static int set_prepare(struct set_save *s, const char *path,
		       const mvgpu_image_opts *opts)
{
	struct mvgpu_compat_info ci;
	char why[MVGPU_COMPAT_WHY_MAX];
	uint8_t hdr[IMG_HEADER_MAX];
	unsigned i;
	int ret;

	for (i = 0; i < s->n; i++) {
		struct set_vgpu *v = &s->v[i];
		const char *uuid = mvgpu_dev_get_info(s->devs[i])->uuid;

		img_job_init(&v->j, s->ctx, opts);
		v->j.dev = s->devs[i];
		v->j.vgpu = i;
		v->j.vgpus = s->n;
		v->j.stream_is_in = true;
		v->j.t0 = s->t0;
		v->of.fd = v->of.dirfd = -1;
		ret = mvgpu_vgpu_migration_version(s->ctx, uuid, v->info.migration_version,
						   sizeof(v->info.migration_version));
		if (ret < 0)
			return ret;
		if (img_parse_version(v->info.migration_version, (size_t)ret, &ci,
				      why, sizeof(why)))
			return mvgpu__err(s->ctx, -EPROTO,
					  "the migration_version of vGPU %s is malformed: %s",
					  uuid, why);
		snprintf(v->info.source_uuid, sizeof(v->info.source_uuid), "%s", uuid);
		v->info.created = (int64_t)time(NULL);
		v->info.flags = v->j.o.precopy ? MVGPU_IMAGE_F_PRECOPY : 0;
		ret = img_out_open(s->ctx, path, &v->of);
		if (!ret && img_lz4_init(&v->j))
			ret = mvgpu__err(s->ctx, -ENOMEM, "lz4: out of memory");
		if (ret)
			return ret;
		v->hb = (uint32_t)img_header_encode(&v->info, hdr, sizeof(hdr));
	}
	return 0;
}

/* The stats: each vGPU's, their sums and the set's times. */
static void set_stats(struct set_save *s, mvgpu_image_stats *st,
		      mvgpu_image_stats *each)
{
	unsigned i;

	for (i = 0; i < s->n; i++) {
		struct set_vgpu *v = &s->v[i];
		mvgpu_image_stats *e = &each[i];

		e->stream_bytes = v->stream;
		e->passes = v->j.passes;
		e->precopy_bytes = v->j.stopped ? v->j.precopy_bytes :
				   v->j.o.precopy ? v->stream : 0;
		e->stop_copy_bytes = e->stream_bytes - e->precopy_bytes;
		if (s->resumed)
			e->downtime_ns = s->t_resumed - s->t_stop;
		e->elapsed_ns = now_ns() - s->t0;
		st->stream_bytes += e->stream_bytes;
		st->file_bytes += e->file_bytes;
		st->precopy_bytes += e->precopy_bytes;
		st->stop_copy_bytes += e->stop_copy_bytes;
		if (e->passes > st->passes)
			st->passes = e->passes;
		st->downtime_ns = e->downtime_ns;
		st->elapsed_ns = e->elapsed_ns;
	}
	if (st->file_bytes)
		st->file_bytes += IMG_SET_FIXED + IMG_SET_ENTRY * s->n;
}

static int save_set(struct set_save *s, const char *path,
		    const mvgpu_image_opts *opts, mvgpu_image_stats *each)
{
	struct img_out out = { .fd = -1, .dirfd = -1 };
	unsigned i, bad = 0;
	int ret;

	/* a file we cannot create fails before a vGPU is touched */
	ret = img_out_open(s->ctx, path, &out);
	if (!ret)
		ret = set_prepare(s, path, opts);
	if (!ret && s->v[0].j.o.precopy)
		ret = set_precopy(s);
	if (!ret)
		ret = set_stop(s, s->v[0].j.o.precopy);
	for (i = 0; !ret && i < s->n; i++)
		ret = set_run(s, &s->v[i], 0, true);
	if (!ret) {
		/* every last byte read: all run again (the downtime ends) */
		ret = mvgpu__run_all(s->devs, s->n, false, &bad);
		if (ret)
			ret = set_vgpu_err(s, bad, ret);
		s->resumed = !ret;
		s->t_resumed = now_ns();
		s->v[0].j.phase = "finishing";
		if (!ret)
			img_emit(&s->v[0].j, NULL, MVGPU_IMAGE_EV_RESUMED, "resumed", 0, 0);
	}
	if (!ret)
		ret = set_write(s, &out, each);
	img_out_abort(&out);	/* no-op once committed */
	return ret;
}

int mvgpu_image_save_n(mvgpu_dev *const *devs, unsigned n, const char *path,
		       const mvgpu_image_opts *opts, mvgpu_image_stats *stats,
		       mvgpu_image_stats *each)
{
	mvgpu_image_stats st = { 0 }, e[MVGPU_SESSION_MAX];
	struct set_save s = { 0 };
	unsigned i, j, bad;
	int ret;

	if (!devs || !n || n > MVGPU_SESSION_MAX)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (!devs[i])
			return -EINVAL;
	if (n == 1) {
		ret = mvgpu_image_save(devs[0], path, opts, &st);
		goto out1;
	}
	memset(e, 0, sizeof(e));
	s.ctx = devs[0]->ctx;
	s.n = n;
	s.t0 = now_ns();
	s.cancel = opts ? opts->cancel : NULL;
	memcpy(s.devs, devs, n * sizeof(*devs));
	for (i = 0; i < n; i++)
		for (j = 0; j < i; j++)
			if (!strcmp(mvgpu_dev_get_info(devs[i])->uuid,
				    mvgpu_dev_get_info(devs[j])->uuid))
				return mvgpu__err(s.ctx, -EINVAL, "vGPU %s is in the set twice",
						  mvgpu_dev_get_info(devs[i])->uuid);
	s.v = calloc(n, sizeof(*s.v));
	if (!s.v)
		return -ENOMEM;
	ret = save_set(&s, path, opts, e);
	for (i = 0; i < n; i++) {
		if (s.v[i].j.data_fd >= 0)
			close(s.v[i].j.data_fd);
		s.v[i].j.data_fd = -1;
	}
	if (ret && s.touched && !s.resumed) {
		/* cancel: nothing is lost, every vGPU runs on as it was */
		char keep[MVGPU_ERR_MAX];

		snprintf(keep, sizeof(keep), "%s", mvgpu_last_error(s.ctx));
		mvgpu__run_all(s.devs, n, true, &bad);
		mvgpu__err(s.ctx, ret, "%s", keep);
	}
	set_stats(&s, &st, e);
	for (i = 0; i < n; i++) {
		img_out_abort(&s.v[i].of);
		img_job_free(&s.v[i].j);
		if (each)
			each[i] = e[i];
	}
	free(s.v);
	if (stats)
		*stats = st;
	return ret;
out1:
	if (each)
		each[0] = st;
	if (stats)
		*stats = st;
	return ret;
}

/* ---- restoring several ---------------------------------------------------------- */

/* In a set's words: which vGPU, saved from which, into which. */
static int restore_err(mvgpu_image *img, unsigned i, mvgpu_dev *dev, int err)
{
	char keep[MVGPU_ERR_MAX];

	snprintf(keep, sizeof(keep), "%s", mvgpu_last_error(img->ctx));
	return mvgpu__err(img->ctx, err, "vGPU %u of %u (saved from %s, into %s): %s",
			  i + 1, img->info.vgpus, img->sub[i].info.source_uuid,
			  mvgpu_dev_get_info(dev)->uuid, keep);
}

/* Steps 2..4 of a set's restore: every target RESUMING, fed, STOP. */
static int restore_load(mvgpu_image *img, mvgpu_dev *const *devs,
			struct img_job *j, mvgpu_image_stats *each)
{
	unsigned i, n = img->info.vgpus;
	int fds[MVGPU_SESSION_MAX], ret = 0;

	for (i = 0; i < n; i++)
		fds[i] = -1;
	for (i = 0; !ret && i < n; i++) {
		each[i].device_touched = 1;
		ret = mvgpu_mig_set_state(devs[i], MVGPU_MIG_RESUMING, &fds[i]);
		if (!ret && fds[i] < 0)
			ret = mvgpu__err(img->ctx, -EPROTO, "the vGPU gave no migration data fd");
		if (ret)
			ret = restore_err(img, i, devs[i], ret);
	}
	for (i = 0; !ret && i < n; i++) {
		struct uio_counts c = { 0 };

		j[i].phase = "loading";
		ret = img_feed(&img->sub[i], &j[i], fds[i], &c);
		each[i].stream_bytes = c.out_bytes;
		each[i].registered = c.registered;
		if (ret)
			ret = restore_err(img, i, devs[i], ret);
	}
	for (i = 0; !ret && i < n; i++) {
		ret = mvgpu_mig_set_state(devs[i], MVGPU_MIG_STOP, NULL);
		if (ret)
			ret = restore_err(img, i, devs[i], ret);
		else
			img_emit(&j[i], NULL, MVGPU_IMAGE_EV_LOADED, "loaded", 0, 0);
	}
	for (i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return ret;
}

int mvgpu_image_restore_n(mvgpu_image *img, mvgpu_dev *const *devs,
			  unsigned n, const mvgpu_image_opts *opts,
			  mvgpu_image_stats *stats, mvgpu_image_stats *each)
{
	mvgpu_image_stats st = { 0 }, e[MVGPU_SESSION_MAX];
	struct img_job j[MVGPU_SESSION_MAX];
	uint64_t t0 = now_ns();
	unsigned i, k, bad = 0;
	int ret = 0;

	if (!img || !devs || !n || n > MVGPU_SESSION_MAX)
		return -EINVAL;
	if (n != img->info.vgpus)
		return mvgpu__err(img->ctx, -EINVAL,
				  "%s holds %u vGPU%s; %u given to restore %s into",
				  img->path, img->info.vgpus,
				  img->info.vgpus == 1 ? "" : "s", n,
				  img->info.vgpus == 1 ? "it" : "them");
	if (!img->sub) {
		ret = mvgpu_image_restore(img, devs[0], opts, &st);
		if (each)
			each[0] = st;
		if (stats)
			*stats = st;
		return ret;
	}
	memset(e, 0, sizeof(e));
	for (i = 0; i < n; i++) {
		img_job_init(&j[i], img->ctx, opts);
		j[i].vgpu = i;
		j[i].vgpus = n;
		j[i].t0 = t0;
		for (k = 0; k < i; k++)
			if (devs[k] == devs[i])
				ret = ret ? ret : mvgpu__err(img->ctx, -EINVAL,
							     "vGPU %s is given twice",
							     mvgpu_dev_get_info(devs[i])->uuid);
	}
	/* 1: natively, every vGPU untouched */
	for (i = 0; !ret && i < n; i++) {
		ret = img_validate(&img->sub[i], devs[i], &j[i]);
		if (ret)
			ret = restore_err(img, i, devs[i], ret);
	}
	st.validate_ns = now_ns() - t0;
	/* 2: into the vGPUs; the kernel validates each again, applies it */
	if (!ret)
		ret = restore_load(img, devs, j, e);
	if (!ret) {
		ret = mvgpu__run_all(devs, n, false, &bad);
		if (ret)
			ret = restore_err(img, bad, devs[bad], ret);
	}
	if (ret && e[0].device_touched) {
		/* RESUMING is left only through a reset: every one touched */
		char keep[MVGPU_ERR_MAX];

		snprintf(keep, sizeof(keep), "%s", mvgpu_last_error(img->ctx));
		for (i = 0; i < n && e[i].device_touched; i++)
			ioctl(mvgpu_dev_fd(devs[i]), VFIO_DEVICE_RESET);
		mvgpu__err(img->ctx, ret, "%s; %s reset", keep,
			   i == n ? "every vGPU was" : "the vGPUs it had reached were");
	}
	for (i = 0; i < n; i++) {
		e[i].file_bytes = img->sub[i].info.file_bytes;
		e[i].validate_ns = st.validate_ns;
		e[i].elapsed_ns = now_ns() - t0;
		st.stream_bytes += e[i].stream_bytes;
		st.device_touched |= e[i].device_touched;
		st.registered |= e[i].registered;
		img_job_free(&j[i]);
		if (each)
			each[i] = e[i];
	}
	st.file_bytes = img->info.file_bytes;
	st.elapsed_ns = now_ns() - t0;
	if (stats)
		*stats = st;
	return ret;
}
