/*
 * cmd_save.c - `mvgpu save UUID[,UUID...] FILE [--no-precopy]`: a vGPU's
 * whole state, or several vGPUs' saved together, into an image file
 * (docs/save-restore.md), atomically; the vGPUs run on.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "output.h"
#include "progress.h"

/* Where each vGPU is: "running, unchanged" is the promise. */
static void vgpu_states(mvgpu_dev *const *dev, const char (*uuid)[MVGPU_UUID_LEN],
			size_t n, char *buf, size_t len)
{
	size_t i, o = 0;
	uint32_t s;

	buf[0] = '\0';
	for (i = 0; i < n && o < len; i++) {
		const char *what = "in an unknown state";

		if (mvgpu_mig_get_state(dev[i], &s) == 0)
			what = s == MVGPU_MIG_RUNNING ? "running, unchanged" :
			       mvgpu_mig_state_name(s);
		o += (size_t)snprintf(buf + o, len - o, "%svGPU %s is %s",
				      i ? "; " : "", uuid[i], what);
	}
}

static int save_failed(struct progress *p, mvgpu_ctx *ctx, mvgpu_dev *const *dev,
		       const char (*uuid)[MVGPU_UUID_LEN], size_t n,
		       const char *list, const char *file, int err)
{
	char why[600], state[1200];

	snprintf(why, sizeof(why), "%s", mvgpu_last_error(ctx));
	vgpu_states(dev, uuid, n, state, sizeof(state));
	switch (err) {
	case -ECANCELED:
		return progress_fail(p, EXIT_FAIL, err,
				     "save interrupted: %s was not written; %s",
				     file, state);
	case -ENOSPC:
	case -EDQUOT:
	case -EFBIG:
		return progress_fail(p, EXIT_FAIL, err,
				     "cannot save %s %s to %s: %s: nothing was written; free some space or choose another directory; %s",
				     n > 1 ? "vGPUs" : "vGPU", list, file,
				     strerror(-err), state);
	default:
		return progress_fail(p, EXIT_FAIL, err,
				     "cannot save %s %s to %s: %s; %s was not written; %s",
				     n > 1 ? "vGPUs" : "vGPU", list, file, why, file,
				     state);
	}
}

/* One vGPU's numbers: the summary's own (@entry 0) or an entry of its
 * "vgpus". */
static void save_json(struct jline *j, int entry, const char *uuid,
		      const mvgpu_image_stats *st)
{
	if (entry)
		jl_obj_begin(j, NULL);
	jl_str(j, "uuid", uuid);
	if (!entry)
		return;
	jl_u64(j, "stream_bytes", st->stream_bytes);
	jl_u64(j, "file_bytes", st->file_bytes);
	jl_u64(j, "passes", st->passes);
	jl_u64(j, "precopy_bytes", st->precopy_bytes);
	jl_u64(j, "stop_copy_bytes", st->stop_copy_bytes);
	jl_obj_end(j);
}

static void summary(struct progress *p, const char (*uuid)[MVGPU_UUID_LEN],
		    size_t n, const char *file, const mvgpu_image_stats *st,
		    const mvgpu_image_stats *each)
{
	double secs = (double)st->elapsed_ns / 1e9;
	double ratio = st->file_bytes ? (double)st->stream_bytes / (double)st->file_bytes : 0;
	char s[32], f[32];
	struct jline j;
	size_t i;

	if (p->cli->json) {
		jl_begin(&j, stdout);
		jl_str(&j, "event", "done");
		jl_bool(&j, "ok", 1);
		jl_str(&j, "action", "save");
		if (n == 1) {
			save_json(&j, 0, uuid[0], st);
		} else {
			jl_arr_begin(&j, "vgpus");
			for (i = 0; i < n; i++)
				save_json(&j, 1, uuid[i], &each[i]);
			jl_arr_end(&j);
		}
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
	if (n == 1)
		printf("saved vGPU %s to ", uuid[0]);
	else
		printf("saved %zu vGPUs together to ", n);
	fput_sanitized(file, stdout);
	printf(": %s stream, %s file (ratio %.1f), %.2f s (%.0f MB/s), %u pre-copy %s%s, downtime %.1f ms\n",
	       s, f, ratio, secs, secs > 0 ? (double)st->stream_bytes / secs / 1e6 : 0,
	       st->passes, n > 1 ? "round" : "pass",
	       st->passes == 1 ? "" : n > 1 ? "s" : "es",
	       (double)st->downtime_ns / 1e6);
	for (i = 0; n > 1 && i < n; i++) {
		human_bytes(each[i].stream_bytes, s, sizeof(s));
		printf("  vGPU %s: %s stream, %u pre-copy pass%s\n", uuid[i], s,
		       each[i].passes, each[i].passes == 1 ? "" : "es");
	}
}

int cmd_save(struct cli *cli, int argc, char **argv)
{
	int no_precopy = 0, n, ret;
	const struct cli_opt opts[] = {
		{ "no-precopy", 0, 0, NULL, &no_precopy },
		{ NULL, 0, 0, NULL, NULL }
	};
	char uuid[MVGPU_SESSION_MAX][MVGPU_UUID_LEN];
	char list[MVGPU_SESSION_MAX * MVGPU_UUID_LEN];
	mvgpu_dev *dev[MVGPU_SESSION_MAX] = { NULL };
	mvgpu_image_stats st, each[MVGPU_SESSION_MAX];
	mvgpu_image_opts io;
	struct progress p;
	const char *pos[2];
	mvgpu_ctx *ctx;
	size_t nv = 0, i, o = 0;

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
	ret = cli_uuid_set(cli, pos[0], "UUID", uuid, &nv);
	if (ret)
		return ret;
	if (!*pos[1])
		return cli_usage(cli, "empty FILE name");
	for (i = 0; i < nv; i++)
		o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s", i ? ", " : "",
				      uuid[i]);
	ctx = cli_ctx(cli);
	if (!ctx)
		return EXIT_FAIL;
	progress_init(&p, cli, "save");
	p.uuids = (const char (*)[MVGPU_UUID_LEN])uuid;
	p.nuuids = (unsigned)nv;
	/* all open before any is touched (a guest's peers, too) */
	for (i = 0; i < nv; i++) {
		ret = progress_open_vgpu(&p, ctx, uuid[i], &dev[i]);
		if (ret)
			goto out;
	}
	progress_catch_signals();
	io = (mvgpu_image_opts){
		.precopy = !no_precopy, .max_passes = 8,
		.switchover_bytes = 1 << 20,
		.event = progress_event, .opaque = &p,
		.cancel = &progress_cancel,
	};
	ret = mvgpu_image_save_n(dev, (unsigned)nv, pos[1], &io, &st, each);
	progress_end(&p);
	if (ret)
		ret = save_failed(&p, ctx, dev, (const char (*)[MVGPU_UUID_LEN])uuid,
				  nv, list, pos[1], ret);
	else
		summary(&p, (const char (*)[MVGPU_UUID_LEN])uuid, nv, pos[1], &st, each);
out:
	for (i = 0; i < nv; i++)
		mvgpu_dev_close(dev[i]);
	return ret ? ret : EXIT_OK;
}
