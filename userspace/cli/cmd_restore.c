/*
 * cmd_restore.c - `mvgpu restore UUID[,UUID...] FILE`: load an image into
 * a vGPU, or a set's vGPUs into as many, all or none.  The image is
 * decoded here first, completely; only a good and compatible one reaches
 * the vGPUs.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "mvgpu_compat.h"
#include "output.h"
#include "progress.h"

/* The image's own problems: no vGPU was touched (@unchanged says so:
 * "vGPU U was not changed"; NULL: none was named yet). */
static int image_failed(struct progress *p, const char *file, int err,
			const char *why, const char *unchanged)
{
	char tail[128] = "";

	if (unchanged)
		snprintf(tail, sizeof(tail), "; %s", unchanged);
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

static void summary(struct progress *p, const char (*uuid)[MVGPU_UUID_LEN],
		    size_t n, const char *file, const mvgpu_image_stats *st,
		    const mvgpu_image_stats *each)
{
	double secs = (double)st->elapsed_ns / 1e9;
	char s[32], f[32];
	struct jline j;
	size_t i;

	if (p->cli->json) {
		jl_begin(&j, stdout);
		jl_str(&j, "event", "done");
		jl_bool(&j, "ok", 1);
		jl_str(&j, "action", "restore");
		if (n == 1) {
			jl_str(&j, "uuid", uuid[0]);
		} else {
			jl_arr_begin(&j, "vgpus");
			for (i = 0; i < n; i++) {
				jl_obj_begin(&j, NULL);
				jl_str(&j, "uuid", uuid[i]);
				jl_u64(&j, "stream_bytes", each[i].stream_bytes);
				jl_u64(&j, "file_bytes", each[i].file_bytes);
				jl_obj_end(&j);
			}
			jl_arr_end(&j);
		}
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
	if (n == 1)
		printf("restored vGPU %s from ", uuid[0]);
	else
		printf("restored %zu vGPUs together from ", n);
	fput_sanitized(file, stdout);
	printf(": %s stream from a %s file, %.2f s (validated in %.2f s)\n", s, f,
	       secs, (double)st->validate_ns / 1e9);
	for (i = 0; n > 1 && i < n; i++) {
		human_bytes(each[i].stream_bytes, s, sizeof(s));
		printf("  vGPU %s: %s stream\n", uuid[i], s);
	}
}

/* FILE's vGPUs, as many as the UUIDs given, in order: else a usage error
 * that says them. */
static int count_matches(struct cli *cli, mvgpu_image *img, const char *file,
			 size_t n)
{
	unsigned k = mvgpu_image_get_info(img)->vgpus, i;
	char saved[MVGPU_SESSION_MAX * MVGPU_UUID_LEN];
	size_t o = 0;

	if (k == n)
		return 0;
	saved[0] = '\0';
	for (i = 0; i < k && o < sizeof(saved); i++) {
		const char *u = mvgpu_image_get_info(mvgpu_image_vgpu(img, i))->source_uuid;

		o += (size_t)snprintf(saved + o, sizeof(saved) - o, "%s%s", i ? ", " : "",
				      u[0] ? u : "?");
	}
	return cli_usage(cli, "%s holds %u vGPU%s (saved from %s): give %u target UUID%s, one for each in that order, not %zu",
			 file, k, k == 1 ? "" : "s", saved, k, k == 1 ? "" : "s", n);
}

int cmd_restore(struct cli *cli, int argc, char **argv)
{
	char uuid[MVGPU_SESSION_MAX][MVGPU_UUID_LEN], why[600], list[700];
	char unchanged[80];
	mvgpu_dev *dev[MVGPU_SESSION_MAX] = { NULL };
	const mvgpu_image_info *info;
	mvgpu_image_stats st, each[MVGPU_SESSION_MAX];
	mvgpu_image_opts io;
	mvgpu_image *img;
	struct progress p;
	const char *pos[2];
	mvgpu_ctx *ctx;
	size_t nv = 0, i, o = 0;
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
	ret = cli_uuid_set(cli, pos[0], "UUID", uuid, &nv);
	if (ret)
		return ret;
	for (i = 0; i < nv; i++)
		o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s", i ? ", " : "",
				      uuid[i]);
	ctx = cli_ctx(cli);
	if (!ctx)
		return EXIT_FAIL;
	progress_init(&p, cli, "restore");
	p.uuids = (const char (*)[MVGPU_UUID_LEN])uuid;
	p.nuuids = (unsigned)nv;
	ret = mvgpu_image_open(ctx, pos[1], &img);
	if (ret)
		return image_failed(&p, pos[1], ret, mvgpu_last_error(ctx), NULL);
	ret = count_matches(cli, img, pos[1], nv);
	if (ret)
		goto out;
	/* a plain image: its own info; a set's vGPUs have their own */
	info = mvgpu_image_get_info(mvgpu_image_vgpu(img, 0));
	/* all open before any is loaded: a guest's peers must be */
	for (i = 0; i < nv; i++) {
		ret = progress_open_vgpu(&p, ctx, uuid[i], &dev[i]);
		if (ret)
			goto out;
	}
	progress_catch_signals();
	io = (mvgpu_image_opts){ .event = progress_event, .opaque = &p,
				 .cancel = &progress_cancel };
	ret = mvgpu_image_restore_n(img, dev, (unsigned)nv, &io, &st, each);
	progress_end(&p);
	snprintf(why, sizeof(why), "%s", mvgpu_last_error(ctx));
	if (nv == 1)
		snprintf(unchanged, sizeof(unchanged), "vGPU %s was not changed", uuid[0]);
	else
		snprintf(unchanged, sizeof(unchanged), "no vGPU was changed");
	if (ret == -EINVAL && !st.device_touched && strstr(why, "ECC mode differs")) {
		/* the type is right: the parent's ECC mode is not */
		ret = progress_fail(&p, EXIT_FAIL, ret,
				    "cannot restore %s into %s %s: %s; restore it into a vGPU on a parent with the image's ECC mode; %s",
				    pos[1], nv > 1 ? "vGPUs" : "vGPU", list, why, unchanged);
	} else if (ret == -EINVAL && !st.device_touched && nv == 1) {
		struct mvgpu_compat_info ci;
		char type[64] = "its type";

		if (!mvgpu_compat_parse(info->migration_version,
					strlen(info->migration_version), &ci, NULL, 0))
			snprintf(type, sizeof(type), "%s", ci.type);
		ret = progress_fail(&p, EXIT_FAIL, ret,
				    "cannot restore %s into vGPU %s: %s; restore it into a vGPU of type %s (mvgpu create --type %s); vGPU %s was not changed",
				    pos[1], uuid[0], why, type, type, uuid[0]);
	} else if (ret == -EINVAL && !st.device_touched) {
		ret = progress_fail(&p, EXIT_FAIL, ret,
				    "cannot restore %s into vGPUs %s: %s; restore each into a vGPU of its type ('mvgpu inspect %s' lists them); no vGPU was changed",
				    pos[1], list, why, pos[1]);
	} else if (ret && !st.device_touched) {
		ret = image_failed(&p, pos[1], ret, why, unchanged);
	} else if (ret) {
		ret = progress_fail(&p, EXIT_FAIL, ret, "cannot restore %s into %s %s: %s",
				    pos[1], nv > 1 ? "vGPUs" : "vGPU", list, why);
	} else {
		summary(&p, (const char (*)[MVGPU_UUID_LEN])uuid, nv, pos[1], &st, each);
	}
out:
	for (i = 0; i < nv; i++)
		mvgpu_dev_close(dev[i]);
	mvgpu_image_close(img);
	return ret ? ret : EXIT_OK;
}
