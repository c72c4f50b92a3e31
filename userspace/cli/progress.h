/*
 * progress.h - what `mvgpu save` and `mvgpu restore` print while they run:
 * a one-line progress on a terminal (stderr), or with --json one compact
 * JSON object per line on stdout (events, then a summary); and the
 * signal handling that turns ^C into a clean cancel.
 */
#ifndef MVGPU_CLI_PROGRESS_H
#define MVGPU_CLI_PROGRESS_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "cli.h"

/* Set by SIGINT, SIGTERM and SIGHUP once progress_catch_signals() ran. */
extern volatile sig_atomic_t progress_cancel;

/* Catch SIGINT/SIGTERM/SIGHUP into progress_cancel (no SA_RESTART, so a
 * wait wakes up) and ignore SIGPIPE. */
void progress_catch_signals(void);

struct progress {
	struct cli *cli;
	const char *action;	/* "save", "restore" */
	int tty;		/* draw the one-line progress on stderr */
	int line;		/* a progress line is on the terminal */
	uint64_t last_ns;	/* last line or JSON progress event */
	const char *bytes_word;	/* "file" (default) or "wire" */
	uint64_t dirty;		/* after the last pre-copy pass (of all) */
	double rate;		/* stream bytes per second so far */
	/* several vGPUs at once: their UUIDs, which events name ("vgpu",
	 * "uuid"), and each one's dirty bytes */
	const char (*uuids)[MVGPU_UUID_LEN];
	unsigned nuuids;
	uint64_t dirty_of[MVGPU_SESSION_MAX];
};

void progress_init(struct progress *p, struct cli *cli, const char *action);
/* mvgpu_image_opts.event */
void progress_event(void *opaque, const mvgpu_image_event *ev);
/* Clear the terminal line (before a message or the summary). */
void progress_end(struct progress *p);

/* A compact JSON object on one line (objects and arrays nest a few
 * levels: in an array, values take a NULL key). */
#define JL_DEPTH 4

struct jline {
	FILE *f;
	int depth;
	int n[JL_DEPTH];	/* members written at each level */
};

void jl_begin(struct jline *j, FILE *f);
void jl_obj_begin(struct jline *j, const char *key);
void jl_obj_end(struct jline *j);
void jl_arr_begin(struct jline *j, const char *key);
void jl_arr_end(struct jline *j);
void jl_str(struct jline *j, const char *key, const char *v);
void jl_u64(struct jline *j, const char *key, uint64_t v);
void jl_num(struct jline *j, const char *key, double v);
void jl_bool(struct jline *j, const char *key, int v);
void jl_end(struct jline *j);

/* With --json: the failure as the last line ({"event": "error", "ok":
 * false, ...}); then, as every command, the message on stderr.
 * @return @code. */
int progress_fail(struct progress *p, int code, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* "1.5 MiB", "64.0 MiB", "812 B" */
void human_bytes(uint64_t n, char *buf, size_t len);

/* Open vGPU @uuid for a save or restore; on failure report it (exit 1)
 * with what to do, and return EXIT_FAIL. */
int progress_open_vgpu(struct progress *p, mvgpu_ctx *ctx, const char *uuid,
		       mvgpu_dev **dev);

#endif
