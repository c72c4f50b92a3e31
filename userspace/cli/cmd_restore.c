/*
 * cmd_restore.c - `mvgpu restore UUID FILE`: load an image into a vGPU.
 * The image is decoded here first, completely; only a good and compatible
 * one reaches the vGPU.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "mvgpu_compat.h"
#include "output.h"
#include "progress.h"

/* The image's own problems: the vGPU was not touched. */
static int image_failed(struct progress *p, const char *file, int err,
			const char *why, const char *uuid)
{
	char tail[128] = "";

	if (uuid)
		snprintf(tail, sizeof(tail), "; vGPU %s was not changed", uuid);
	switch (err) {
	case -EPROTO:
	case -EBADMSG:
		return progress_fail(p, EXIT_FAIL, err, "%s is damaged or not an mvgpu image: %s%s",
				     file, why, tail);
	case -ENODATA:
		return progress_fail(p, EXIT_FAIL, err, "%s is truncated (an interrupted copy?): %s%s",
				     file, why, tail);
	case -EPROTONOSUPPORT:
		return progress_fail(p, EXIT_FAIL, err, "%s: %s%s", file, why, tail);
	case -ECANCELED:
		return progress_fail(p, EXIT_FAIL, err, "restore interrupted%s", tail);
	default:
		return progress_fail(p, EXIT_FAIL, err, "cannot read %s: %s%s", file, why,
				     tail);
	}
}

static void summary(struct progress *p, const char *uuid, const char *file,
		    const mvgpu_image_stats *st)
{
	double secs = (double)st->elapsed_ns / 1e9;
	char s[32], f[32];
	struct jline j;

	if (p->cli->json) {
		jl_begin(&j, stdout);
		jl_str(&j, "event", "done");
		jl_bool(&j, "ok", 1);
		jl_str(&j, "action", "restore");
		jl_str(&j, "uuid", uuid);
		jl_str(&j, "file", file);
		jl_u64(&j, "stream_bytes", st->stream_bytes);
		jl_u64(&j, "file_bytes", st->file_bytes);
		jl_num(&j, "ratio", st->file_bytes ?
		       (double)st->stream_bytes / (double)st->file_bytes : 0);
		jl_num(&j, "seconds", secs);
		jl_num(&j, "validate_seconds", (double)st->validate_ns / 1e9);
		jl_end(&j);
		return;
	}
	human_bytes(st->stream_bytes, s, sizeof(s));
	human_bytes(st->file_bytes, f, sizeof(f));
	printf("restored vGPU %s from ", uuid);
	fput_sanitized(file, stdout);
	printf(": %s stream from a %s file, %.2f s (validated in %.2f s)\n", s, f,
	       secs, (double)st->validate_ns / 1e9);
}

int cmd_restore(struct cli *cli, int argc, char **argv)
{
	char uuid[MVGPU_UUID_LEN], why[600];
	const mvgpu_image_info *info;
	mvgpu_image_stats st;
	mvgpu_image_opts io;
	mvgpu_image *img;
	struct progress p;
	const char *pos[2];
	mvgpu_ctx *ctx;
	mvgpu_dev *dev;
	int n, ret;

	ret = cli_parse(cli, argc, argv, NULL, pos, 2, &n);
	if (ret)
		return ret;
	if (cli->help) {
		cli_print_cmd_help(cli_find_cmd("restore"), stdout);
		return EXIT_OK;
	}
	if (n < 2)
		return cli_usage(cli, n ? "missing FILE (the image to restore)"
					: "missing UUID and FILE (see 'mvgpu list')");
	if (mvgpu_uuid_canonical(pos[0], uuid) < 0)
		return cli_bad_uuid(cli, pos[0]);
	ctx = cli_ctx(cli);
	if (!ctx)
		return EXIT_FAIL;
	progress_init(&p, cli, "restore");
	ret = mvgpu_image_open(ctx, pos[1], &img);
	if (ret)
		return image_failed(&p, pos[1], ret, mvgpu_last_error(ctx), NULL);
	info = mvgpu_image_get_info(img);
	ret = progress_open_vgpu(&p, ctx, uuid, &dev);
	if (ret) {
		mvgpu_image_close(img);
		return ret;
	}
	progress_catch_signals();
	io = (mvgpu_image_opts){ .event = progress_event, .opaque = &p,
				 .cancel = &progress_cancel };
	ret = mvgpu_image_restore(img, dev, &io, &st);
	progress_end(&p);
	snprintf(why, sizeof(why), "%s", mvgpu_last_error(ctx));
	mvgpu_dev_close(dev);
	if (ret == -EINVAL && !st.device_touched && strstr(why, "ECC mode differs")) {
		/* the type is right: the parent's ECC mode is not */
		ret = progress_fail(&p, EXIT_FAIL, ret,
				    "cannot restore %s into vGPU %s: %s; restore it into a vGPU on a parent with the image's ECC mode; vGPU %s was not changed",
				    pos[1], uuid, why, uuid);
	} else if (ret == -EINVAL && !st.device_touched) {
		struct mvgpu_compat_info ci;
		char type[64] = "its type";

		if (!mvgpu_compat_parse(info->migration_version,
					strlen(info->migration_version), &ci, NULL, 0))
			snprintf(type, sizeof(type), "%s", ci.type);
		ret = progress_fail(&p, EXIT_FAIL, ret,
				    "cannot restore %s into vGPU %s: %s; restore it into a vGPU of type %s (mvgpu create --type %s); vGPU %s was not changed",
				    pos[1], uuid, why, type, type, uuid);
	} else if (ret && !st.device_touched) {
		ret = image_failed(&p, pos[1], ret, why, uuid);
	} else if (ret) {
		ret = progress_fail(&p, EXIT_FAIL, ret, "cannot restore %s into vGPU %s: %s",
				    pos[1], uuid, why);
	} else {
		summary(&p, uuid, pos[1], &st);
	}
	mvgpu_image_close(img);
	return ret ? ret : EXIT_OK;
}
