/*
 * cmd_save.c - `mvgpu save UUID FILE [--no-precopy]`: a vGPU's whole state
 * into an image file (docs/save-restore.md), atomically; the vGPU runs on.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "output.h"
#include "progress.h"

static int save_failed(struct progress *p, mvgpu_ctx *ctx, mvgpu_dev *dev,
		       const char *uuid, const char *file, int err)
{
	char why[600], state[96] = "";
	uint32_t s;

	snprintf(why, sizeof(why), "%s", mvgpu_last_error(ctx));
	/* say where the vGPU is: running and unchanged is the promise */
	if (mvgpu_mig_get_state(dev, &s) == 0)
		snprintf(state, sizeof(state), "%s",
			 s == MVGPU_MIG_RUNNING ? "running, unchanged" :
			 mvgpu_mig_state_name(s));
	mvgpu_dev_close(dev);
	switch (err) {
	case -ECANCELED:
		return progress_fail(p, EXIT_FAIL, err,
				     "save interrupted: %s was not written; vGPU %s is %s",
				     file, uuid, state);
	case -ENOSPC:
	case -EDQUOT:
	case -EFBIG:
		return progress_fail(p, EXIT_FAIL, err,
				     "cannot save vGPU %s to %s: %s: nothing was written; free some space or choose another directory; vGPU %s is %s",
				     uuid, file, strerror(-err), uuid, state);
	default:
		return progress_fail(p, EXIT_FAIL, err,
				     "cannot save vGPU %s to %s: %s; %s was not written; vGPU %s is %s",
				     uuid, file, why, file, uuid, state);
	}
}

static void summary(struct progress *p, const char *uuid, const char *file,
		    const mvgpu_image_stats *st)
{
	double secs = (double)st->elapsed_ns / 1e9;
	double ratio = st->file_bytes ? (double)st->stream_bytes / (double)st->file_bytes : 0;
	char s[32], f[32];
	struct jline j;

	if (p->cli->json) {
		jl_begin(&j, stdout);
		jl_str(&j, "event", "done");
		jl_bool(&j, "ok", 1);
		jl_str(&j, "action", "save");
		jl_str(&j, "uuid", uuid);
		jl_str(&j, "file", file);
		jl_u64(&j, "stream_bytes", st->stream_bytes);
		jl_u64(&j, "file_bytes", st->file_bytes);
		jl_num(&j, "ratio", ratio);
		jl_num(&j, "seconds", secs);
		jl_u64(&j, "passes", st->passes);
		jl_u64(&j, "precopy_bytes", st->precopy_bytes);
		jl_u64(&j, "stop_copy_bytes", st->stop_copy_bytes);
		jl_num(&j, "downtime_ms", (double)st->downtime_ns / 1e6);
		jl_end(&j);
		return;
	}
	human_bytes(st->stream_bytes, s, sizeof(s));
	human_bytes(st->file_bytes, f, sizeof(f));
	printf("saved vGPU %s to ", uuid);
	fput_sanitized(file, stdout);
	printf(": %s stream, %s file (ratio %.1f), %.2f s (%.0f MB/s), %u pre-copy pass%s, downtime %.1f ms\n",
	       s, f, ratio, secs, secs > 0 ? (double)st->stream_bytes / secs / 1e6 : 0,
	       st->passes, st->passes == 1 ? "" : "es",
	       (double)st->downtime_ns / 1e6);
}

int cmd_save(struct cli *cli, int argc, char **argv)
{
	int no_precopy = 0, n, ret;
	const struct cli_opt opts[] = {
		{ "no-precopy", 0, 0, NULL, &no_precopy },
		{ NULL, 0, 0, NULL, NULL }
	};
	char uuid[MVGPU_UUID_LEN];
	mvgpu_image_stats st;
	mvgpu_image_opts io;
	struct progress p;
	const char *pos[2];
	mvgpu_ctx *ctx;
	mvgpu_dev *dev;

	ret = cli_parse(cli, argc, argv, opts, pos, 2, &n);
	if (ret)
		return ret;
	if (cli->help) {
		cli_print_cmd_help(cli_find_cmd("save"), stdout);
		return EXIT_OK;
	}
	if (n < 2)
		return cli_usage(cli, n ? "missing FILE (where to write the image)"
					: "missing UUID and FILE (see 'mvgpu list')");
	if (mvgpu_uuid_canonical(pos[0], uuid) < 0)
		return cli_bad_uuid(cli, pos[0]);
	if (!*pos[1])
		return cli_usage(cli, "empty FILE name");
	ctx = cli_ctx(cli);
	if (!ctx)
		return EXIT_FAIL;
	progress_init(&p, cli, "save");
	ret = progress_open_vgpu(&p, ctx, uuid, &dev);
	if (ret)
		return ret;
	progress_catch_signals();
	io = (mvgpu_image_opts){
		.precopy = !no_precopy, .max_passes = 8,
		.switchover_bytes = 1 << 20,
		.event = progress_event, .opaque = &p,
		.cancel = &progress_cancel,
	};
	ret = mvgpu_image_save(dev, pos[1], &io, &st);
	progress_end(&p);
	if (ret)
		return save_failed(&p, ctx, dev, uuid, pos[1], ret);
	mvgpu_dev_close(dev);
	summary(&p, uuid, pos[1], &st);
	return EXIT_OK;
}
