/*
 * cmd_inspect.c - `mvgpu inspect FILE [--png OUT.png [--mode WxH]
 * [--vgpu N]]`: validate an image without a kernel (proto's decoder) and
 * say what is in it - each vGPU of a set; optionally render the
 * displayed framebuffer area (of a set's vGPU N) as a PNG.
 */
#include <errno.h>
#include <inttypes.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "mvgpu_stream.h"
#include "output.h"

#define PNG_DIM_MAX 16384u

/* The area to render: from the display registers or --mode. */
struct area {
	uint32_t width, height, stride;
	uint64_t offset;
};

static int parse_mode(const char *s, struct area *a)
{
	unsigned long w, h;
	char *end;

	if (!s || *s < '1' || *s > '9')
		return -1;
	w = strtoul(s, &end, 10);
	if (*end != 'x' || end[1] < '1' || end[1] > '9')
		return -1;
	h = strtoul(end + 1, &end, 10);
	if (*end || !w || !h || w > PNG_DIM_MAX || h > PNG_DIM_MAX)
		return -1;
	a->width = (uint32_t)w;
	a->height = (uint32_t)h;
	a->stride = (uint32_t)w * 4;
	a->offset = 0;
	return 0;
}

/* Does @a fit a framebuffer of @fb bytes?  (Display registers hold
 * whatever the guest wrote.) */
static int area_fits(const struct area *a, uint64_t fb)
{
	uint64_t last;

	if (!a->width || !a->height || a->width > PNG_DIM_MAX ||
	    a->height > PNG_DIM_MAX || a->stride % 4 ||
	    (uint64_t)a->stride < (uint64_t)a->width * 4)
		return 0;
	last = a->offset + (uint64_t)(a->height - 1) * a->stride +
	       (uint64_t)a->width * 4;
	return a->offset < fb && last <= fb;
}

static int write_png(const char *path, const uint8_t *px, const struct area *a,
		     char *why, size_t whylen)
{
	png_structp png = NULL;
	png_infop info = NULL;
	uint8_t *volatile row = NULL;	/* survives png's longjmp */
	FILE *f;
	uint32_t x, y;

	f = fopen(path, "wb");
	if (!f) {
		snprintf(why, whylen, "%s", strerror(errno));
		return -errno;
	}
	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	info = png ? png_create_info_struct(png) : NULL;
	row = malloc((size_t)a->width * 3);
	if (!png || !info || !row) {
		snprintf(why, whylen, "out of memory");
		goto fail;
	}
	if (setjmp(png_jmpbuf(png))) {
		snprintf(why, whylen, "libpng failed (disk full?)");
		goto fail;
	}
	png_init_io(png, f);
	png_set_IHDR(png, info, a->width, a->height, 8, PNG_COLOR_TYPE_RGB,
		     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
		     PNG_FILTER_TYPE_DEFAULT);
	png_set_compression_level(png, 1);
	png_write_info(png, info);
	for (y = 0; y < a->height; y++) {
		const uint8_t *src = px + (size_t)y * a->stride;

		/* XRGB8888 little-endian: B, G, R, X in memory */
		for (x = 0; x < a->width; x++) {
			row[3 * x + 0] = src[4 * x + 2];
			row[3 * x + 1] = src[4 * x + 1];
			row[3 * x + 2] = src[4 * x + 0];
		}
		png_write_row(png, row);
	}
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	free(row);
	if (fclose(f)) {
		snprintf(why, whylen, "%s", strerror(errno));
		remove(path);
		return -EIO;
	}
	return 0;
fail:
	png_destroy_write_struct(&png, &info);
	free(row);
	fclose(f);
	remove(path);
	return -EIO;
}

static int render(struct cli *cli, mvgpu_ctx *ctx, mvgpu_image *img,
		  const mvgpu_image_summary *s, const char *out,
		  const char *mode, const char *file)
{
	struct area a = { s->disp.width, s->disp.height, s->disp.stride,
			  s->disp.offset };
	size_t len;
	uint8_t *px;
	char why[128];
	int ret;

	if (mode) {
		if (parse_mode(mode, &a) || !area_fits(&a, s->fb_size))
			return cli_usage(cli, "--mode '%s': expected WIDTHxHEIGHT (e.g. 1024x768) that fits the %" PRIu64 "-byte framebuffer",
					 mode, s->fb_size);
	} else if (!s->disp.enable || s->disp.format != MVGPU_FMT_XRGB8888 ||
		   !area_fits(&a, s->fb_size)) {
		return cli_fail(cli, EXIT_FAIL, -EINVAL,
				"%s: the image's display shows nothing (%ux%u, stride %u, offset %u, format 0x%x, %s): no area to render; pass --mode WIDTHxHEIGHT to render the framebuffer from offset 0",
				file, s->disp.width, s->disp.height, s->disp.stride,
				s->disp.offset, s->disp.format,
				s->disp.enable ? "enabled" : "disabled");
	}
	len = (size_t)(a.height - 1) * a.stride + (size_t)a.width * 4;
	px = malloc(len);
	if (!px)
		return cli_fail(cli, EXIT_FAIL, -ENOMEM, "out of memory");
	ret = mvgpu_image_read_fb(img, a.offset, px, len);
	if (ret) {
		free(px);
		return cli_fail(cli, EXIT_FAIL, ret, "%s: %s", file, mvgpu_last_error(ctx));
	}
	ret = write_png(out, px, &a, why, sizeof(why));
	free(px);
	if (ret)
		return cli_fail(cli, EXIT_FAIL, ret, "cannot write %s: %s", out, why);
	return 0;
}

static const char *irq_name(uint32_t k)
{
	return k == 1 ? "INTx" : k == 2 ? "MSI" : "none";
}

/* An ECC mode (MVGPU_COMPAT_ECC_*): "on", "off", or NULL when unknown. */
static const char *ecc_name(uint32_t mode)
{
	return mode == MVGPU_COMPAT_ECC_ON ? "on" :
	       mode == MVGPU_COMPAT_ECC_OFF ? "off" : NULL;
}

/* The PLAT and ECC records, when the stream has them (stream 1.1). */
static void print_text_ecc(const mvgpu_image_summary *s)
{
	const char *mode = ecc_name(s->platform.ecc);

	if (s->has_platform)
		printf("%-12s ECC %s, frame rate limiter %s\n", "platform",
		       mode ? mode : "?",
		       s->platform.frame_rate_limiter ? "on" : "off");
	if (!s->has_ecc)
		return;
	printf("%-12s ctrl 0x%x%s, %s%s; single-bit errors %" PRIu64 " (aggregate %" PRIu64 "), double-bit errors %" PRIu64 " (aggregate %" PRIu64 ")\n",
	       "ecc", s->ecc.ctrl,
	       s->ecc.ctrl & MVGPU_ECC_CTRL_OPT_OUT ? " (opt-out)" : "",
	       s->ecc.flags & MVGPU_STATE_ECC_F_OPTED_OUT ? "opted out" :
							    "not opted out",
	       s->ecc.flags & MVGPU_STATE_ECC_F_KILLED ?
	       ", channels killed by a double-bit error (reset needed)" : "",
	       s->ecc.sbe_volatile, s->ecc.sbe_aggregate,
	       s->ecc.dbe_volatile, s->ecc.dbe_aggregate);
}

static void print_json_ecc(struct json *j, const mvgpu_image_summary *s)
{
	if (s->has_platform) {
		json_obj_begin(j, "platform");
		json_str(j, "ecc", ecc_name(s->platform.ecc));
		json_bool(j, "frame_rate_limiter", !!s->platform.frame_rate_limiter);
		json_obj_end(j);
	} else {
		json_null(j, "platform");
	}
	if (!s->has_ecc) {
		json_null(j, "ecc");
		return;
	}
	json_obj_begin(j, "ecc");
	json_u64(j, "ctrl", s->ecc.ctrl);
	json_bool(j, "opt_out_requested", !!(s->ecc.ctrl & MVGPU_ECC_CTRL_OPT_OUT));
	json_bool(j, "opted_out", !!(s->ecc.flags & MVGPU_STATE_ECC_F_OPTED_OUT));
	json_bool(j, "killed", !!(s->ecc.flags & MVGPU_STATE_ECC_F_KILLED));
	json_u64(j, "flags", s->ecc.flags);
	json_u64(j, "sbe_volatile", s->ecc.sbe_volatile);
	json_u64(j, "dbe_volatile", s->ecc.dbe_volatile);
	json_u64(j, "sbe_aggregate", s->ecc.sbe_aggregate);
	json_u64(j, "dbe_aggregate", s->ecc.dbe_aggregate);
	json_obj_end(j);
}

/* One vGPU's image: a plain image (@count 1), or vGPU @i of a set. */
static void print_text(const char *file, const mvgpu_image_info *in,
		       const mvgpu_image_summary *s, unsigned i, unsigned count)
{
	char sz[32], when[64] = "?";
	time_t t = (time_t)in->created;
	struct tm tm;
	unsigned c;

	if (gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	if (count > 1) {
		printf("\n%-12s %u of %u, at byte %" PRIu64 ": valid\n", "vgpu", i + 1,
		       count, in->offset);
	} else {
		printf("%-12s ", "image");
		fput_sanitized(file, stdout);
		printf(": valid\n");
	}
	printf("%-12s %u.%u, %" PRIu64 " bytes: %" PRIu64 "-byte stream as a %" PRIu64 "-byte lz4 frame (ratio %.1f)\n",
	       "format", in->major, in->minor, in->file_bytes, in->stream_bytes,
	       in->payload_bytes,
	       in->payload_bytes ? (double)in->stream_bytes / (double)in->payload_bytes : 0);
	printf("%-12s %s from vGPU %s, ", "saved", when,
	       in->source_uuid[0] ? in->source_uuid : "(not recorded)");
	if (in->flags & MVGPU_IMAGE_F_PRECOPY)
		printf("%u pre-copy pass%s\n", in->passes,
		       in->passes == 1 ? "" : "es");
	else
		printf("stopped first (no pre-copy)\n");
	printf("%-12s ", "source");
	fput_sanitized(in->migration_version, stdout);
	printf("\n");
	format_size(s->fb_size, sz, sizeof(sz));
	printf("%-12s %s (index %u), framebuffer %s (%" PRIu64 " pages), driver %s, stream %u.%u, ABI %u.%u, features 0x%" PRIx64 ", ECC %s\n",
	       "type", s->type, s->type_index, sz, s->fb_pages, s->driver,
	       s->stream_major, s->stream_minor, s->abi_major, s->abi_minor,
	       s->features,
	       ecc_name(s->ecc_mode) ? ecc_name(s->ecc_mode) : "not recorded");
	printf("%-12s %" PRIu64 " with data, %" PRIu64 " zero, %" PRIu64 " never written (zero); %" PRIu64 " PAGE and %" PRIu64 " ZERO records\n",
	       "pages", s->pages_data, s->pages_zero, s->pages_unsent,
	       s->page_records, s->zero_records);
	printf("%-12s %ux%u, stride %u, offset %u, %s, %s\n", "display",
	       s->disp.width, s->disp.height, s->disp.stride, s->disp.offset,
	       s->disp.format == MVGPU_FMT_XRGB8888 ? "XRGB8888" : "unknown format",
	       s->disp.enable ? "enabled" : "disabled");
	printf("%-12s status 0x%04x, mask 0x%04x, scratch 0x%08x, %s%s\n",
	       "interrupts", s->intr_status, s->intr_mask, s->scratch,
	       irq_name(s->irq_kind),
	       s->irq_flags & 1 ? " (INTx masked)" : "");
	printf("%-12s %04x:%04x, subsystem %04x:%04x\n", "pci", s->vendor,
	       s->device, s->subvendor, s->subdevice);
	for (c = 0; c < MVGPU_NUM_CHANNELS; c++) {
		char name[16];

		snprintf(name, sizeof(name), "channel %u", c);
		printf("%-12s %s, ring 0x%" PRIx64 " size 0x%x, GET 0x%x PUT 0x%x, fence %u, error %s",
		       name, s->ch[c].ctrl & 1 ? "enabled" : "disabled",
		       s->ch[c].ring_base, s->ch[c].ring_size, s->ch[c].get,
		       s->ch[c].put, s->ch[c].fence, mvgpu_err_name(s->ch[c].error));
		if (s->ch[c].error)
			printf(" at 0x%x", s->ch[c].error_get);
		if (s->ch[c].cmd_done)
			printf(", %" PRIu64 " bytes into a command", s->ch[c].cmd_done);
		printf("\n");
	}
	print_text_ecc(s);
}

/* One vGPU's image: its header, the source, pages, ... as members of
 * the current object. */
static void print_json_vgpu(struct json *j, const mvgpu_image_info *in,
			    const mvgpu_image_summary *s)
{
	unsigned c;

	json_obj_begin(j, "image");
	json_u64(j, "format_major", in->major);
	json_u64(j, "format_minor", in->minor);
	json_u64(j, "file_bytes", in->file_bytes);
	json_u64(j, "stream_bytes", in->stream_bytes);
	json_u64(j, "payload_bytes", in->payload_bytes);
	json_int(j, "created", in->created);
	json_str(j, "source_uuid", in->source_uuid[0] ? in->source_uuid : NULL);
	json_bool(j, "precopy", !!(in->flags & MVGPU_IMAGE_F_PRECOPY));
	json_u64(j, "passes", in->passes);
	json_str(j, "migration_version", in->migration_version);
	json_obj_end(j);
	json_obj_begin(j, "source");
	json_str(j, "type", s->type);
	json_u64(j, "type_index", s->type_index);
	json_str(j, "driver", s->driver);
	json_u64(j, "stream_major", s->stream_major);
	json_u64(j, "stream_minor", s->stream_minor);
	json_u64(j, "abi_major", s->abi_major);
	json_u64(j, "abi_minor", s->abi_minor);
	json_u64(j, "fb_size", s->fb_size);
	json_u64(j, "features", s->features);
	json_str(j, "ecc", ecc_name(s->ecc_mode));	/* null: not recorded */
	json_obj_end(j);
	json_obj_begin(j, "pages");
	json_u64(j, "total", s->fb_pages);
	json_u64(j, "data", s->pages_data);
	json_u64(j, "zero", s->pages_zero);
	json_u64(j, "unsent", s->pages_unsent);
	json_u64(j, "page_records", s->page_records);
	json_u64(j, "zero_records", s->zero_records);
	json_obj_end(j);
	json_obj_begin(j, "display");
	json_u64(j, "width", s->disp.width);
	json_u64(j, "height", s->disp.height);
	json_u64(j, "stride", s->disp.stride);
	json_u64(j, "format", s->disp.format);
	json_u64(j, "offset", s->disp.offset);
	json_bool(j, "enabled", !!s->disp.enable);
	json_obj_end(j);
	json_obj_begin(j, "interrupts");
	json_u64(j, "status", s->intr_status);
	json_u64(j, "mask", s->intr_mask);
	json_u64(j, "scratch", s->scratch);
	json_str(j, "kind", irq_name(s->irq_kind));
	json_u64(j, "flags", s->irq_flags);
	json_obj_end(j);
	json_arr_begin(j, "channels");
	for (c = 0; c < MVGPU_NUM_CHANNELS; c++) {
		json_obj_begin(j, NULL);
		json_u64(j, "index", c);
		json_bool(j, "enabled", s->ch[c].ctrl & 1);
		json_u64(j, "ring_base", s->ch[c].ring_base);
		json_u64(j, "ring_size", s->ch[c].ring_size);
		json_u64(j, "get", s->ch[c].get);
		json_u64(j, "put", s->ch[c].put);
		json_u64(j, "fence", s->ch[c].fence);
		json_str(j, "error", mvgpu_err_name(s->ch[c].error));
		json_u64(j, "error_get", s->ch[c].error_get);
		json_u64(j, "cmd_done", s->ch[c].cmd_done);
		json_obj_end(j);
	}
	json_arr_end(j);
	print_json_ecc(j, s);
}

/* The document: one vGPU's image, or a set's and each of its vGPUs'. */
static void print_json(const char *file, mvgpu_image *img,
		       const mvgpu_image_summary *s, const char *png)
{
	const mvgpu_image_info *in = mvgpu_image_get_info(img);
	struct json j;
	unsigned i;

	json_init(&j, stdout);
	json_obj_begin(&j, NULL);
	json_bool(&j, "ok", 1);
	json_str(&j, "file", file);
	if (in->vgpus == 1) {
		print_json_vgpu(&j, in, s);
	} else {
		json_obj_begin(&j, "image");
		json_u64(&j, "format_major", in->major);
		json_u64(&j, "format_minor", in->minor);
		json_u64(&j, "file_bytes", in->file_bytes);
		json_u64(&j, "stream_bytes", in->stream_bytes);
		json_u64(&j, "payload_bytes", in->payload_bytes);
		json_u64(&j, "vgpus", in->vgpus);
		json_obj_end(&j);
		json_arr_begin(&j, "vgpus");
		for (i = 0; i < in->vgpus; i++) {
			json_obj_begin(&j, NULL);
			json_u64(&j, "vgpu", i + 1);
			json_u64(&j, "offset", mvgpu_image_get_info(mvgpu_image_vgpu(img, i))->offset);
			print_json_vgpu(&j, mvgpu_image_get_info(mvgpu_image_vgpu(img, i)), &s[i]);
			json_obj_end(&j);
		}
		json_arr_end(&j);
	}
	json_str(&j, "png", png);
	json_obj_end(&j);
	json_end(&j);
}

/* A set's own lines, before each of its vGPUs'. */
static void print_text_set(const char *file, const mvgpu_image_info *in)
{
	printf("%-12s ", "image");
	fput_sanitized(file, stdout);
	printf(": valid, a set of %u vGPUs saved together\n", in->vgpus);
	printf("%-12s %u.%u, %" PRIu64 " bytes: %u images, %" PRIu64 " stream bytes as %" PRIu64 " lz4 bytes (ratio %.1f)\n",
	       "format", in->major, in->minor, in->file_bytes, in->vgpus,
	       in->stream_bytes, in->payload_bytes,
	       in->payload_bytes ? (double)in->stream_bytes / (double)in->payload_bytes : 0);
}

int cmd_inspect(struct cli *cli, int argc, char **argv)
{
	const char *png = NULL, *mode = NULL, *vgpu_s = NULL, *pos[1];
	const struct cli_opt opts[] = {
		{ "png", 0, 1, &png, NULL },
		{ "mode", 0, 1, &mode, NULL },
		{ "vgpu", 0, 1, &vgpu_s, NULL },
		{ NULL, 0, 0, NULL, NULL }
	};
	mvgpu_image_summary s[MVGPU_SESSION_MAX];
	const mvgpu_image_info *in;
	unsigned long k = 1;
	mvgpu_image *img;
	mvgpu_ctx *ctx;
	unsigned i;
	char *end;
	int n, ret;

	ret = cli_parse(cli, argc, argv, opts, pos, 1, &n);
	if (ret)
		return ret;
	if (cli->help) {
		cli_print_cmd_help(cli_find_cmd("inspect"), stdout);
		return EXIT_OK;
	}
	if (n < 1)
		return cli_usage(cli, "missing FILE (an image from 'mvgpu save')");
	if (png && !*png)
		return cli_usage(cli, "--png needs a file name");
	if (mode && !png)
		return cli_usage(cli, "--mode only applies with --png");
	if (vgpu_s && !png)
		return cli_usage(cli, "--vgpu only applies with --png");
	if (vgpu_s) {
		k = strtoul(vgpu_s, &end, 10);
		if (*vgpu_s < '1' || *vgpu_s > '9' || *end || k > MVGPU_SESSION_MAX)
			return cli_usage(cli, "--vgpu: expected a vGPU's number in the image (1, 2, ...), got '%s'",
					 vgpu_s);
	}
	ctx = cli_ctx(cli);
	if (!ctx)
		return EXIT_FAIL;
	ret = mvgpu_image_open(ctx, pos[0], &img);
	if (ret)
		return cli_fail(cli, EXIT_FAIL, ret, "%s: %s", pos[0],
				mvgpu_last_error(ctx));
	in = mvgpu_image_get_info(img);
	if (png && in->vgpus > 1 && !vgpu_s)
		ret = cli_usage(cli, "%s holds %u vGPUs: --png needs --vgpu 1..%u",
				pos[0], in->vgpus, in->vgpus);
	else if (k > in->vgpus)
		ret = cli_usage(cli, "--vgpu %lu: %s holds %u vGPU%s", k, pos[0],
				in->vgpus, in->vgpus == 1 ? "" : "s");
	for (i = 0; !ret && i < in->vgpus; i++) {
		ret = mvgpu_image_check(mvgpu_image_vgpu(img, i), NULL, &s[i], NULL);
		if (ret && in->vgpus > 1)
			ret = cli_fail(cli, EXIT_FAIL, ret, "%s is not a valid image: vGPU %u of %u: %s",
				       pos[0], i + 1, in->vgpus, mvgpu_last_error(ctx));
		else if (ret)
			ret = cli_fail(cli, EXIT_FAIL, ret, "%s is not a valid image: %s",
				       pos[0], mvgpu_last_error(ctx));
	}
	if (!ret && png)
		ret = render(cli, ctx, mvgpu_image_vgpu(img, (unsigned)k - 1), &s[k - 1],
			     png, mode, pos[0]);
	if (ret) {
		mvgpu_image_close(img);
		return ret;
	}
	if (cli->json) {
		print_json(pos[0], img, s, png);
		cli->doc_written = 1;
	} else {
		if (in->vgpus > 1)
			print_text_set(pos[0], in);
		for (i = 0; i < in->vgpus; i++)
			print_text(pos[0], mvgpu_image_get_info(mvgpu_image_vgpu(img, i)),
				   &s[i], i, in->vgpus);
		if (png) {
			printf("%-12s ", "png");
			fput_sanitized(png, stdout);
			printf("\n");
		}
	}
	mvgpu_image_close(img);
	return EXIT_OK;
}
