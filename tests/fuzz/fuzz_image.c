// SPDX-License-Identifier: MIT
/*
 * fuzz_image.c - libFuzzer target for image files (docs/save-restore.md):
 * the header decoder and everything `mvgpu inspect` and `mvgpu restore` do
 * with a file before a vGPU is touched - libmvgpu's own code
 * (userspace/lib/image.c): img_header_decode(), mvgpu_image_open(),
 * mvgpu_image_check() (lz4 frame, stream decoder, summary) and
 * mvgpu_image_extract() (into /dev/null).  The file is a memfd, the
 * pipeline tests/fuzz/uio_sync.c: no kernel, no io_uring, no thread.
 *
 * Input: byte 0 the mode, byte 1 options, then the body:
 *   HEADER   the body as the first bytes of a file: img_header_decode(),
 *            or img_set_decode() for a set's (format 2) (options: the
 *            checksum made right after mutation, the file size the header
 *            claims or another);
 *   FILE     the body as a whole image file, with what a mutation broke
 *            outside the fields made right again: the header checksum, the
 *            payload size (the rest of the file), the lz4 frame's
 *            descriptor and block checksums - of a set, each section's
 *            (where its directory entry points inside the file) and the
 *            directory's checksum;
 *   AS_IS    the body as a whole image file, as it is;
 *   STREAM   the body is a migration stream, made into an image as
 *            mvgpu save makes one (the header's migration_version is the
 *            one the stream's descriptor describes, so that both agree;
 *            options: the type when it does not, the flags and passes, an
 *            lz4 frame with its content size, or without the content
 *            checksum); checked against proto's decoder run directly on
 *            the stream.
 * Invariants (a violation aborts):
 *   - a header that decodes has every field in its documented range and
 *     re-encodes to the same bytes (but the minor and the checksum);
 *     one that does not has a reason and one of the documented errors;
 *   - an image that opens has header + payload = file; one that checks has
 *     a summary whose page counts add up to its framebuffer, and extracts
 *     to exactly its stream bytes; one that does not extract does not
 *     check; a set that opens is 2..16 sections, back to back after its
 *     directory to the file's end, each of them an image as above;
 *   - STREAM: the image checks exactly when the stream decodes (and its
 *     frame has a content checksum), with the same page, zero and hint
 *     records and (for framebuffers up to 256 MiB) the same pages with
 *     data, zero and never sent as a page-by-page reference.
 * Bounds: -malloc_limit_mb (tests/fuzz/fuzz.mk) makes any allocation bigger
 * than the pipeline's 4 MiB blocks a crash, -timeout a check that takes
 * longer than its input warrants: what the header claims must not cost
 * memory or time by itself.
 *
 * Built with -DMVGPU_FUZZ_SEEDER instead, it writes a seed corpus (images
 * made by mvgpu_image_write(), streams by proto's encoder) and a
 * dictionary into the directory argv[1].
 */
#include <errno.h>
#include <lz4frame.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "fuzz_util.h"
#include "image.h"
#include "mvgpu.h"
#include "mvgpu_stream.h"

enum { IMG_MODE_HEADER, IMG_MODE_FILE, IMG_MODE_STREAM, IMG_MODE_AS_IS };

#define PG		MVGPU_STREAM_PAGE_SIZE
#define REF_PAGES_MAX	65536u		/* 256 MiB framebuffers */

static mvgpu_ctx *ctx;
static int file_fd;
static char file_path[64];

static void img_setup(void)
{
	if (ctx)
		return;
	CHECK(!mvgpu_ctx_create(&ctx, "/nonexistent-sysfs"));
	file_fd = fz_memfd("image");
	snprintf(file_path, sizeof(file_path), "/proc/self/fd/%d", file_fd);
}

/* The migration_version of type @idx of this build. */
static void type_version(unsigned idx, char *buf, size_t len)
{
	struct mvgpu_compat_info in;
	int n;

	CHECK(!mvgpu_compat_local(&in, idx % 4, "0.1.0"));
	n = mvgpu_compat_format(&in, buf, len);
	CHECK(n > 0);
	if (buf[n - 1] == '\n')
		buf[n - 1] = '\0';
}

/* ---- HEADER -------------------------------------------------------------- */

static bool is_set(const uint8_t *p, size_t n)
{
	return n >= IMG_SET_FIXED && mvgpu_get_le16(p + 8) == IMG_SET_MAJOR;
}

static void fix_header_csum(uint8_t *p, size_t n)
{
	unsigned off = is_set(p, n) ? IMG_SET_CSUM_OFF : IMG_CSUM_OFF;
	uint32_t hb;

	if (n < IMG_FIXED && !is_set(p, n))
		return;
	hb = mvgpu_get_le32(p + 12);
	if (hb < off + 8 || hb > n)
		return;
	memset(p + off, 0, 8);
	mvgpu_put_le64(p + off, XXH64(p, hb, 0));
}

/* A header decoder's verdict: a refusal is a documented error with a
 * reason. */
static bool refused(int ret, const char *why, size_t whylen)
{
	CHECK(strlen(why) < whylen);
	if (ret) {
		CHECK(ret == -EPROTO || ret == -EPROTONOSUPPORT ||
		      ret == -EBADMSG || ret == -ENODATA);
		CHECK(why[0]);
	}
	return ret != 0;
}

/* A set's directory: what decodes is contiguous and re-encodes. */
static void fuzz_set_header(const uint8_t *p, size_t n, uint64_t file_bytes)
{
	struct img_set_entry e[MVGPU_SESSION_MAX];
	uint8_t enc[IMG_SET_HEADER_MAX];
	char why[256] = "";
	unsigned k, i;
	uint64_t at;
	int ret;

	ret = img_set_decode(p, n, file_bytes, e, &k, why, sizeof(why));
	if (refused(ret, why, sizeof(why)))
		return;
	CHECK(k >= 2 && k <= MVGPU_SESSION_MAX);
	for (i = 0, at = IMG_SET_FIXED + IMG_SET_ENTRY * k; i < k; i++) {
		CHECK(e[i].offset == at);
		at += e[i].bytes;
	}
	CHECK(at == file_bytes);
	ret = img_set_encode(e, k, enc, sizeof(enc));
	CHECK(ret == (int)(IMG_SET_FIXED + IMG_SET_ENTRY * k));
	CHECK(!memcmp(enc, p, 10) && !memcmp(enc + 12, p + 12, IMG_SET_CSUM_OFF - 12) &&
	      !memcmp(enc + IMG_SET_FIXED, p + IMG_SET_FIXED, (size_t)ret - IMG_SET_FIXED));
}

static void fuzz_header(uint8_t *p, size_t n, unsigned opt)
{
	mvgpu_image_info a, b;
	uint8_t enc[IMG_HEADER_MAX];
	uint64_t file_bytes = n, claim = 0;
	char why[256] = "";
	int ret, k;

	if (opt & 1)
		fix_header_csum(p, n);
	if (is_set(p, n)) {
		fuzz_set_header(p, n, opt & 2 ? UINT64_MAX : n);
		return;
	}
	if (n >= IMG_FIXED) {
		claim = (uint64_t)mvgpu_get_le32(p + 12) + mvgpu_get_le64(p + 32);
		if (claim < mvgpu_get_le64(p + 32))
			claim = UINT64_MAX;	/* wrapped */
	}
	switch ((opt >> 1) & 3) {
	case 1:
		file_bytes = claim;
		break;
	case 2:
		file_bytes = claim + 1;
		break;
	case 3:
		file_bytes = UINT64_MAX;
		break;
	}
	ret = img_header_decode(p, n, file_bytes, &a, why, sizeof(why));
	if (refused(ret, why, sizeof(why)))
		return;
	CHECK(a.major == MVGPU_IMAGE_MAJOR);
	CHECK(!(a.flags & ~MVGPU_IMAGE_F_PRECOPY));
	CHECK(a.migration_version[0]);
	CHECK(a.header_bytes == img_header_bytes(strlen(a.migration_version)));
	CHECK(a.header_bytes <= n);
	CHECK(a.stream_bytes >= MVGPU_ENC_DESC_BYTES && a.stream_bytes <= IMG_STREAM_MAX);
	CHECK(a.payload_bytes >= 16 && a.payload_bytes <= 2 * IMG_STREAM_MAX);
	CHECK(a.file_bytes == file_bytes &&
	      a.header_bytes + a.payload_bytes == file_bytes);
	CHECK(a.passes <= IMG_PASSES_MAX);
	/* what decodes is what a writer wrote: it encodes to the same bytes */
	k = img_header_encode(&a, enc, sizeof(enc));
	CHECK(k == (int)a.header_bytes);
	CHECK(!memcmp(enc, p, 10) && !memcmp(enc + 12, p + 12, IMG_CSUM_OFF - 12) &&
	      !memcmp(enc + IMG_FIXED, p + IMG_FIXED, a.header_bytes - IMG_FIXED));
	CHECK(!img_header_decode(enc, (size_t)k, file_bytes, &b, NULL, 0));
	b.minor = a.minor;
	CHECK(!memcmp(&a, &b, sizeof(a)));
}

/* ---- FILE, AS_IS ------------------------------------------------------------ */

struct img_result {
	int open, check, extract;
	mvgpu_image_info info;
	mvgpu_image_summary sum;
};

/* A set that opened: its sections back to back to the file's end, each
 * one an image that checks or not, and extracts when it checks. */
static void run_set(mvgpu_image *img, struct img_result *r, size_t n)
{
	uint64_t at = r->info.header_bytes;
	mvgpu_image_stats st;
	unsigned i;

	CHECK(r->info.major == IMG_SET_MAJOR);
	CHECK(r->info.vgpus >= 2 && r->info.vgpus <= MVGPU_SESSION_MAX);
	CHECK(!mvgpu_image_vgpu(img, r->info.vgpus));
	CHECK(mvgpu_image_check(img, NULL, NULL, NULL) == -EISDIR);
	for (i = 0; i < r->info.vgpus; i++) {
		mvgpu_image *one = mvgpu_image_vgpu(img, i);
		const mvgpu_image_info *in = mvgpu_image_get_info(one);
		int check, extract;

		CHECK(in->offset == at && in->vgpus == 1 && in->source_uuid[0]);
		at += in->header_bytes + in->payload_bytes;
		check = mvgpu_image_check(one, NULL, NULL, NULL);
		extract = mvgpu_image_extract(one, fz_devnull(), NULL, &st);
		CHECK(check || !extract);
		if (!extract)
			CHECK(st.stream_bytes == in->stream_bytes);
		if (check && !r->check)
			r->check = check;
	}
	CHECK(at == n);
}

/* Open, check (against its own header, or type @target's version), extract. */
static struct img_result run_file(const uint8_t *p, size_t n, int target)
{
	struct img_result r = { 0 };
	mvgpu_image_stats st;
	char version[MVGPU_COMPAT_STR_MAX];
	mvgpu_image *img;

	fz_load(file_fd, p, n);
	r.open = mvgpu_image_open(ctx, file_path, &img);
	if (r.open) {
		CHECK(r.open < 0 && mvgpu_last_error(ctx)[0]);
		r.check = r.extract = r.open;
		return r;
	}
	r.info = *mvgpu_image_get_info(img);
	CHECK(r.info.file_bytes == n);
	if (r.info.vgpus > 1) {
		run_set(img, &r, n);
		mvgpu_image_close(img);
		return r;
	}
	CHECK(r.info.header_bytes + r.info.payload_bytes == n);
	r.check = mvgpu_image_check(img, NULL, &r.sum, NULL);
	if (r.check) {
		CHECK(r.check < 0 && mvgpu_last_error(ctx)[0]);
	} else {
		CHECK(r.sum.fb_pages * PG == r.sum.fb_size);
		CHECK(r.sum.pages_data <= r.sum.fb_pages &&
		      r.sum.pages_zero <= r.sum.fb_pages - r.sum.pages_data);
		CHECK(r.sum.pages_data + r.sum.pages_zero + r.sum.pages_unsent ==
		      r.sum.fb_pages);
		CHECK(r.sum.pages_data <= r.sum.page_records);
		CHECK(r.sum.zero_records || !r.sum.pages_zero);
	}
	r.extract = mvgpu_image_extract(img, fz_devnull(), NULL, &st);
	if (!r.extract)
		CHECK(st.stream_bytes == r.info.stream_bytes);
	CHECK(r.check || !r.extract);	/* a check does all an extract does */
	if (!r.check && target >= 0) {
		/* against a type of this build: the same, or -EINVAL */
		int ret;

		type_version((unsigned)target, version, sizeof(version));
		ret = mvgpu_image_check(img, version, NULL, NULL);
		CHECK(!ret || ret == -EINVAL);
		if (!strcmp(version, r.info.migration_version))
			CHECK(!ret);
	}
	mvgpu_image_close(img);
	return r;
}

/* Make right what a mutation broke outside the fields. */
static void fix_file(uint8_t *p, size_t n)
{
	uint32_t hb;

	if (is_set(p, n)) {
		uint32_t k = mvgpu_get_le32(p + 20), i;

		for (i = 0; k <= MVGPU_SESSION_MAX && i < k &&
		     IMG_SET_FIXED + IMG_SET_ENTRY * (i + 1) <= n; i++) {
			const uint8_t *d = p + IMG_SET_FIXED + IMG_SET_ENTRY * i;
			uint64_t off = mvgpu_get_le64(d), len = mvgpu_get_le64(d + 8);

			if (off < n && len <= n - off && !is_set(p + off, (size_t)len))
				fix_file(p + off, (size_t)len);
		}
		fix_header_csum(p, n);
		return;
	}
	if (n < IMG_FIXED)
		return;
	hb = mvgpu_get_le32(p + 12);
	if (hb < IMG_FIXED || hb > n)
		return;
	mvgpu_put_le64(p + 32, n - hb);
	fz_lz4_fix(p + hb, n - hb);
	fix_header_csum(p, n);
}

/* ---- STREAM ----------------------------------------------------------------- */

/* The migration_version the stream's descriptor describes, if it does. */
static bool desc_version(const uint8_t *s, size_t n, char *buf, size_t len)
{
	struct mvgpu_compat_info in;
	const uint8_t *p = s + MVGPU_REC_HDR_LEN;
	int k;

	if (n < MVGPU_ENC_DESC_BYTES || mvgpu_get_le32(s) != MVGPU_REC_DESC)
		return false;
	memset(&in, 0, sizeof(in));
	in.stream_major = mvgpu_get_le16(p + 8);
	in.stream_minor = mvgpu_get_le16(p + 10);
	in.abi_major = mvgpu_get_le16(p + 12);
	in.abi_minor = mvgpu_get_le16(p + 14);
	in.type_index = mvgpu_get_le32(p + 16);
	in.fb_size = mvgpu_get_le64(p + 24);
	in.features = mvgpu_get_le64(p + 32);
	memcpy(in.type, p + 40, sizeof(in.type) - 1);
	memcpy(in.driver, p + 40 + MVGPU_COMPAT_TYPE_MAX, sizeof(in.driver) - 1);
	k = mvgpu_compat_format(&in, buf, len);
	if (k <= 0)
		return false;
	if (buf[k - 1] == '\n')
		buf[k - 1] = '\0';
	return true;
}

/* proto's decoder on the stream itself, with a page-by-page map. */
struct ref {
	uint64_t pages, zeros, hints, fb_pages;
	uint8_t *map;		/* 0 never sent, 1 data, 2 zero; NULL: too big */
	struct mvgpu_state st;
};

static int ref_page(void *c, __u64 index, const void *data)
{
	struct ref *r = c;

	(void)data;
	r->pages++;
	if (r->map)
		r->map[index] = 1;
	return 0;
}

static int ref_zero(void *c, __u64 first, __u64 count)
{
	struct ref *r = c;

	r->zeros++;
	if (r->map)
		memset(r->map + first, 2, count);
	return 0;
}

static int ref_hint(void *c, __u64 bytes, __u64 pages)
{
	struct ref *r = c;

	(void)bytes;
	(void)pages;
	r->hints++;
	return 0;
}

static const struct mvgpu_dec_ops ref_ops = {
	.page = ref_page, .zero = ref_zero, .size_hint = ref_hint,
};

static uint8_t *img_buf;
static size_t img_cap;

static void fuzz_from_stream(const uint8_t *s, size_t n, unsigned opt)
{
	LZ4F_preferences_t prefs;
	mvgpu_image_info in = { 0 };
	struct mvgpu_compat_info local;
	struct img_result r;
	struct ref ref = { 0 };
	struct mvgpu_dec dec;
	size_t need, z;
	int hb, ret;
	uint64_t i, d = 0, zr = 0;

	/* image.c's lz4_compress_init() */
	memset(&prefs, 0, sizeof(prefs));
	prefs.frameInfo.blockSizeID = LZ4F_max4MB;
	prefs.frameInfo.blockMode = LZ4F_blockIndependent;
	prefs.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
	prefs.frameInfo.blockChecksumFlag = LZ4F_blockChecksumEnabled;
	prefs.compressionLevel = 1;
	/* frames mvgpu does not write: with the content size, without the
	 * content checksum (refused) */
	if (opt & 0x40)
		prefs.frameInfo.contentSize = n;
	if (opt & 0x80)
		prefs.frameInfo.contentChecksumFlag = LZ4F_noContentChecksum;
	if (!desc_version(s, n, in.migration_version, sizeof(in.migration_version)))
		type_version(opt >> 4, in.migration_version, sizeof(in.migration_version));
	in.stream_bytes = n;
	in.flags = opt & MVGPU_IMAGE_F_PRECOPY;
	in.passes = (opt >> 1) & 7;
	need = IMG_HEADER_MAX + LZ4F_compressFrameBound(n, &prefs);
	if (need > img_cap) {
		free(img_buf);
		img_cap = need;
		img_buf = malloc(img_cap);
		CHECK(img_buf);
	}
	hb = img_header_encode(&in, img_buf, IMG_HEADER_MAX);
	CHECK(hb > 0);
	z = LZ4F_compressFrame(img_buf + hb, img_cap - (size_t)hb, s, n, &prefs);
	CHECK(!LZ4F_isError(z));
	in.payload_bytes = z;
	CHECK(img_header_encode(&in, img_buf, IMG_HEADER_MAX) == hb);

	r = run_file(img_buf, (size_t)hb + z, (int)(opt >> 4));
	if (mvgpu_compat_parse(in.migration_version, strlen(in.migration_version),
			       &local, NULL, 0) ||
	    !local.fb_size || local.fb_size % PG || local.fb_size > IMG_FB_MAX ||
	    n < MVGPU_ENC_DESC_BYTES + MVGPU_REC_HDR_LEN + MVGPU_REC_END_LEN) {
		CHECK(r.open == -EBADMSG);	/* a header nobody could write */
		return;
	}
	CHECK(!r.open);

	ref.fb_pages = local.fb_size / PG;
	if (ref.fb_pages <= REF_PAGES_MAX) {
		ref.map = calloc(1, ref.fb_pages);
		CHECK(ref.map);
	}
	CHECK(!mvgpu_dec_init(&dec, &local, &ref.st, &ref_ops, &ref));
	ret = mvgpu_dec_push(&dec, s, n);
	if (!ret)
		ret = mvgpu_dec_finish(&dec);
	CHECK(!r.check == (!ret && !(opt & 0x80)));
	if (!r.check) {
		CHECK(r.sum.page_records == ref.pages);
		CHECK(r.sum.zero_records == ref.zeros);
		CHECK(r.sum.size_hints == ref.hints);
		CHECK(r.sum.fb_pages == ref.fb_pages);
		/* the minor-1 records, as the decoder stored them */
		CHECK(r.sum.has_platform == !!(ref.st.have & MVGPU_STATE_HAVE_PLAT));
		CHECK(r.sum.has_ecc == !!(ref.st.have & MVGPU_STATE_HAVE_ECC));
		if (r.sum.has_platform)
			CHECK(r.sum.ecc_mode == ref.st.plat.ecc &&
			      r.sum.platform.ecc == ref.st.plat.ecc &&
			      r.sum.platform.frame_rate_limiter ==
			      ref.st.plat.frame_rate_limiter);
		if (r.sum.has_ecc)
			CHECK(r.sum.ecc.flags == ref.st.ecc.flags &&
			      r.sum.ecc.dbe_aggregate == ref.st.ecc.dbe_aggregate);
		for (i = 0; ref.map && i < ref.fb_pages; i++) {
			d += ref.map[i] == 1;
			zr += ref.map[i] == 2;
		}
		if (ref.map)
			CHECK(r.sum.pages_data == d && r.sum.pages_zero == zr);
	}
	free(ref.map);
}

/* ---- the target ------------------------------------------------------------- */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned opt;
	uint8_t *p;
	size_t n;

	if (size < 2)
		return 0;
	img_setup();
	opt = data[1];
	n = size - 2;
	/* a copy of exactly the body: reading past it is a report */
	p = malloc(n ? n : 1);
	CHECK(p);
	memcpy(p, data + 2, n);
	switch (data[0] & 3) {
	case IMG_MODE_HEADER:
		fuzz_header(p, n, opt);
		break;
	case IMG_MODE_FILE:
		fix_file(p, n);
		/* fall through */
	case IMG_MODE_AS_IS:
		run_file(p, n, opt & 0x80 ? (int)(opt & 3) : -1);
		break;
	case IMG_MODE_STREAM:
		fuzz_from_stream(p, n, opt);
		break;
	}
	free(p);
	return 0;
}

/* ---- seed corpus ------------------------------------------------------------- */

#ifdef MVGPU_FUZZ_SEEDER

#include <fcntl.h>
#include <sys/stat.h>

/* A stream of type @type: the platform (ECC on), text-like pages, zero
 * runs (one over the whole framebuffer first, as a save of a fresh vGPU
 * sends), a size hint, the state with its ECC record. */
static size_t seed_stream(uint8_t *buf, size_t cap, unsigned type,
			  unsigned pages)
{
	struct mvgpu_compat_info in;
	struct mvgpu_state st;
	struct mvgpu_enc e;
	uint8_t page[PG];
	size_t pos = 0, j;
	ssize_t k;
	unsigned i;

	CHECK(!mvgpu_compat_local(&in, type, "0.1.0"));
	CHECK(!mvgpu_enc_init(&e, &in));
#define PUT(call) do { k = (call); CHECK(k >= 0); pos += (size_t)k; } while (0)
	PUT(mvgpu_enc_desc(&e, buf, cap));
	PUT(mvgpu_enc_platform(&e, buf + pos, cap - pos,
			       &(struct mvgpu_state_platform){
					MVGPU_COMPAT_ECC_ON, pages & 1 }));
	PUT(mvgpu_enc_size_hint(&e, buf + pos, cap - pos, 4096ull * pages, pages));
	PUT(mvgpu_enc_zero(&e, buf + pos, cap - pos, 0, in.fb_size / PG));
	PUT(mvgpu_enc_flush(&e, buf + pos, cap - pos));
	for (i = 0; i < pages; i++) {
		for (j = 0; j < sizeof(page); j++)
			page[j] = (j % 64 < 8 || (i + j / 8) % 7 == 0) ? 0x20 : 0xe0;
		PUT(mvgpu_enc_page(&e, buf + pos, cap - pos, i * 5, page));
	}
	PUT(mvgpu_enc_zero(&e, buf + pos, cap - pos, 3, 2));
	PUT(mvgpu_enc_flush(&e, buf + pos, cap - pos));
	memset(&st, 0, sizeof(st));
	mvgpu_put_le16(st.cfg + 0x00, MVGPU_PCI_VENDOR_ID);
	mvgpu_put_le16(st.cfg + 0x02, MVGPU_PCI_DEVICE_ID);
	mvgpu_put_le16(st.cfg + 0x2c, MVGPU_PCI_SUBVENDOR_ID);
	mvgpu_put_le16(st.cfg + 0x2e, MVGPU_PCI_SUBDEV_BASE + type);
	st.disp = (struct mvgpu_state_display){ 64, 32, 256,
		MVGPU_FMT_XRGB8888, 0, 1 };
	st.have = MVGPU_STATE_HAVE_ECC;
	st.ecc = (struct mvgpu_state_ecc){ MVGPU_ECC_CTRL_OPT_OUT,
		MVGPU_STATE_ECC_F_KILLED, 3, 1, 40, 2 };
	PUT(mvgpu_enc_state(&e, buf + pos, cap - pos, &st));
	PUT(mvgpu_enc_end(&e, buf + pos, cap - pos));
#undef PUT
	return pos;
}

/* A ZERO storm: @records ZERO records over (nearly) the whole framebuffer
 * of type @type, as a hostile source may send them. */
static size_t storm_stream(uint8_t *buf, size_t cap, unsigned type,
			   unsigned records)
{
	struct mvgpu_compat_info in;
	struct mvgpu_state st;
	struct mvgpu_enc e;
	size_t pos = 0;
	ssize_t k;
	unsigned i;

	CHECK(!mvgpu_compat_local(&in, type, "0.1.0"));
	CHECK(!mvgpu_enc_init(&e, &in));
#define PUT(call) do { k = (call); CHECK(k >= 0); pos += (size_t)k; } while (0)
	PUT(mvgpu_enc_desc(&e, buf, cap));
	for (i = 0; i < records; i++) {
		PUT(mvgpu_enc_zero(&e, buf + pos, cap - pos, i & 1,
				   in.fb_size / PG - 1));
		PUT(mvgpu_enc_flush(&e, buf + pos, cap - pos));
	}
	memset(&st, 0, sizeof(st));
	mvgpu_put_le16(st.cfg + 0x00, MVGPU_PCI_VENDOR_ID);
	mvgpu_put_le16(st.cfg + 0x02, MVGPU_PCI_DEVICE_ID);
	mvgpu_put_le16(st.cfg + 0x2c, MVGPU_PCI_SUBVENDOR_ID);
	mvgpu_put_le16(st.cfg + 0x2e, MVGPU_PCI_SUBDEV_BASE + type);
	PUT(mvgpu_enc_state(&e, buf + pos, cap - pos, &st));
	PUT(mvgpu_enc_end(&e, buf + pos, cap - pos));
#undef PUT
	return pos;
}

/* The image file mvgpu_image_write() makes of @n stream bytes (malloc'd). */
static uint8_t *write_image(const char *dir, const uint8_t *s, size_t n,
			    unsigned type, size_t *len)
{
	char path[4096], version[MVGPU_COMPAT_STR_MAX];
	mvgpu_image *img;
	struct stat sb;
	uint8_t *file;
	int fd = fz_memfd("stream");

	fz_load(fd, s, n);
	type_version(type, version, sizeof(version));
	snprintf(path, sizeof(path), "%s/.image", dir);
	CHECK(!mvgpu_image_write(ctx, fd, path, version, NULL, NULL));
	close(fd);
	CHECK(!mvgpu_image_open(ctx, path, &img));
	CHECK(!mvgpu_image_check(img, NULL, NULL, NULL));
	mvgpu_image_close(img);
	fd = open(path, O_RDONLY);
	CHECK(fd >= 0 && !fstat(fd, &sb));
	*len = (size_t)sb.st_size;
	file = malloc(*len);
	CHECK(file && pread(fd, file, *len, 0) == (ssize_t)*len);
	close(fd);
	unlink(path);
	return file;
}

/* A set of @k images of streams of type 0 (vGPU i of UUID 5e7...i),
 * malloc'd: its directory, then the images back to back. */
static uint8_t *write_set(const char *dir, uint8_t *buf, size_t cap, unsigned k,
			  size_t *len)
{
	struct img_set_entry e[MVGPU_SESSION_MAX];
	uint8_t *sec[MVGPU_SESSION_MAX], *file, hdr[IMG_HEADER_MAX];
	mvgpu_image_info in;
	size_t slen[MVGPU_SESSION_MAX], at;
	unsigned i;

	at = IMG_SET_FIXED + IMG_SET_ENTRY * k;
	for (i = 0; i < k; i++) {
		size_t n = seed_stream(buf, cap, 0, 2 + i);

		sec[i] = write_image(dir, buf, n, 0, &slen[i]);
		CHECK(!img_header_decode(sec[i], slen[i], slen[i], &in, NULL, 0));
		snprintf(in.source_uuid, sizeof(in.source_uuid),
			 "5e700000-0000-4000-8000-00000000000%u", i + 1);
		CHECK(img_header_encode(&in, hdr, sizeof(hdr)) == (int)in.header_bytes);
		memcpy(sec[i], hdr, in.header_bytes);
		e[i] = (struct img_set_entry){ .offset = at, .bytes = slen[i] };
		snprintf(e[i].uuid, sizeof(e[i].uuid), "%s", in.source_uuid);
		at += slen[i];
	}
	file = malloc(at);
	CHECK(file);
	CHECK(img_set_encode(e, k, file, at) == (int)e[0].offset);
	for (i = 0; i < k; i++) {
		memcpy(file + e[i].offset, sec[i], slen[i]);
		free(sec[i]);
	}
	*len = at;
	return file;
}

static void seed(const char *dir, const char *name, unsigned mode,
		 unsigned opt, const uint8_t *p, size_t n)
{
	uint8_t *s = malloc(2 + n);

	CHECK(s);
	s[0] = (uint8_t)mode;
	s[1] = (uint8_t)opt;
	memcpy(s + 2, p, n);
	LLVMFuzzerTestOneInput(s, 2 + n);
	fz_write_file(dir, name, s, 2 + n);
	free(s);
}

int main(int argc, char **argv)
{
	static const char *const dict[] = {
		"MVGPUIMG", "\\x04\\x22\\x4d\\x18", "DESC", "PAGE", "ZERO",
		"SIZE", "END ", "PLAT", "ECC ", "MVGPUMIG",
		"mvgpu-migration-version=1", " ecc=on", " ecc=off",
		" fb=", " type=", " type_index=", "mvgpu-64M", "mvgpu-1G",
		"68719476736", "\\x00\\x00\\x00\\x00\\x10\\x00\\x00\\x00",
		"\\x00\\x00\\x00\\x00\\x00\\x01\\x00\\x00",
	};
	const size_t cap = 1 << 20;
	uint8_t *buf = malloc(cap), *file;
	char name[64];
	unsigned t;
	size_t n, len;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	CHECK(buf);
	img_setup();
	for (t = 0; t < 4; t++) {
		n = seed_stream(buf, cap, t, 3 + t * 2);
		snprintf(name, sizeof(name), "stream-%u", t);
		seed(argv[1], name, IMG_MODE_STREAM, t << 4 | (t & 1), buf, n);
		/* frames mvgpu does not write: with a content size (taken),
		 * without the content checksum (refused) */
		snprintf(name, sizeof(name), "stream-%u-frame", t);
		seed(argv[1], name, IMG_MODE_STREAM, t << 4 | (t & 1 ? 0x40 : 0x80),
		     buf, n);
		file = write_image(argv[1], buf, n, t, &len);
		snprintf(name, sizeof(name), "file-%u", t);
		seed(argv[1], name, IMG_MODE_FILE, 0x80 | t, file, len);
		snprintf(name, sizeof(name), "as-is-%u", t);
		seed(argv[1], name, IMG_MODE_AS_IS, t, file, len);
		snprintf(name, sizeof(name), "header-%u", t);
		seed(argv[1], name, IMG_MODE_HEADER, t & 1 ? 3 : 0, file,
		     mvgpu_get_le32(file + 12) + 16u * t);
		free(file);
	}
	/* sets of 2 and 3 vGPUs, as mvgpu_image_save_n() writes them */
	for (t = 2; t <= 3; t++) {
		size_t slen;

		file = write_set(argv[1], buf, cap, t, &slen);
		snprintf(name, sizeof(name), "set-%u", t);
		seed(argv[1], name, IMG_MODE_FILE, 0x80, file, slen);
		snprintf(name, sizeof(name), "set-%u-as-is", t);
		seed(argv[1], name, IMG_MODE_AS_IS, 0, file, slen);
		snprintf(name, sizeof(name), "set-%u-header", t);
		seed(argv[1], name, IMG_MODE_HEADER, 0,
		     file, IMG_SET_FIXED + IMG_SET_ENTRY * t);
		free(file);
	}
	/* ZERO storms on the 1G type: raw, and compressed in a file */
	n = storm_stream(buf, cap, 3, 1000);
	seed(argv[1], "storm-stream", IMG_MODE_STREAM, 3 << 4, buf, n);
	n = storm_stream(buf, cap, 3, 20000);
	file = write_image(argv[1], buf, n, 3, &len);
	seed(argv[1], "storm-file", IMG_MODE_FILE, 0, file, len);
	free(file);
	fz_write_dict(argv[1], "image.dict", dict, sizeof(dict) / sizeof(dict[0]));
	printf("fuzz seeds: 4 types as streams, files and headers, sets of 2 and 3, ZERO storms and image.dict in %s\n",
	       argv[1]);
	free(buf);
	mvgpu_ctx_free(ctx);
	return 0;
}

#endif /* MVGPU_FUZZ_SEEDER */
