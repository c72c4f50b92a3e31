/* SPDX-License-Identifier: MIT */
/*
 * peer.h - for the lab2 suites on host A: drive host B through its
 * mvgpu-labd (protocol at the top of labd.c), and run local commands on A
 * with the same result shape.
 *
 * Commands run as `/bin/sh -c CMD` in their own process group, stdin
 * /dev/null.  Results carry the exit code or 128 + signal and the first
 * 1 MiB of stdout and stderr.  Every call is bounded in time.
 *
 * Return values: 0 or a negative errno.  In particular -ENOTCONN before
 * peer_connect() or after a transport failure (the connection is then
 * closed and labd kills the jobs it started for it), -ETIMEDOUT when a
 * peer_run()/local_run() command was killed on timeout, -ESRCH for an
 * unknown job or a job that has exited (peer_kill, local_kill).
 * peer_error() says more about the last failure.
 */
#ifndef MVGPU_LAB2_PEER_H
#define MVGPU_LAB2_PEER_H

#include <stddef.h>

#define PEER_PORT 7070
#define PEER_RUNNING 1 /* peer_wait/local_wait: still running at the timeout */

struct peer_result {
	int status;             /* exit code, or 128 + signal; -1 while running */
	char *out, *err;        /* stdout, stderr: NUL-terminated, never NULL
				 * once filled (binary data: see the lengths) */
	size_t out_len, err_len;
};

/* Free the outputs and reset @r (status -1); fine on a zeroed or freed result. */
void peer_result_free(struct peer_result *r);

/* ---- host B, through mvgpu-labd ------------------------------------------ */

/*
 * Connect to labd at @addr ("HOST" or "HOST:PORT", default port
 * PEER_PORT), retrying until it listens and answers PING or @timeout_ms
 * passes.  A connection this process already has is closed first.
 */
int peer_connect(const char *addr, int timeout_ms);
/* True if this process has a connection (made by itself, not inherited). */
int peer_connected(void);
/* Close the connection (labd then kills this connection's jobs). */
void peer_disconnect(void);
/* Ask labd to kill every job and exit; then disconnect.  Quiet on errors. */
void peer_quit(void);
/* The last error, as text ("" if none). */
const char *peer_error(void);

/*
 * Run @cmd on B to completion.  0 with @r filled (whatever the exit
 * status), -ETIMEDOUT with @r filled if it was SIGKILLed after
 * @timeout_ms (status 137, the output it wrote), else -errno.
 */
int peer_run(const char *cmd, int timeout_ms, struct peer_result *r);
__attribute__((format(printf, 3, 4)))
int peer_runf(int timeout_ms, struct peer_result *r, const char *fmt, ...);
/*
 * Start @cmd on B in the background; *@id names the job (its output is in
 * /tmp/labd/<id>.out and .err on B).
 */
int peer_spawn(const char *cmd, int *id);
__attribute__((format(printf, 2, 3)))
int peer_spawnf(int *id, const char *fmt, ...);
/*
 * Wait up to @timeout_ms (0: just look) for job @id: 0 once it has exited
 * (can be asked again), PEER_RUNNING if it still runs (@r then holds the
 * output so far, status -1), else -errno.
 */
int peer_wait(int id, int timeout_ms, struct peer_result *r);
/* Send @sig to job @id's process group. */
int peer_kill(int id, int sig);
/*
 * Wait up to @timeout_ms until job @id's stdout or stderr contains
 * @needle: 0 (the job may still run), -ETIMEDOUT, or -ECHILD if it exited
 * without it.  @r (may be NULL) gets the last result seen.
 */
int peer_wait_for(int id, const char *needle, int timeout_ms, struct peer_result *r);
/* Write @len bytes to @path on B (mode @mode, replaced if present). */
int peer_put(const char *path, const void *data, size_t len, int mode);
/* Read @path on B (at most 16 MiB) into a new NUL-terminated buffer. */
int peer_get(const char *path, char **data, size_t *len);

/* ---- host A (this host) ------------------------------------------------- */

/*
 * The same for local jobs: output in a private directory under /tmp,
 * removed with the jobs (SIGKILLed if still running) by local_cleanup()
 * or at exit.
 */
int local_run(const char *cmd, int timeout_ms, struct peer_result *r);
__attribute__((format(printf, 3, 4)))
int local_runf(int timeout_ms, struct peer_result *r, const char *fmt, ...);
int local_spawn(const char *cmd, int *id);
__attribute__((format(printf, 2, 3)))
int local_spawnf(int *id, const char *fmt, ...);
int local_wait(int id, int timeout_ms, struct peer_result *r);
int local_kill(int id, int sig);
int local_wait_for(int id, const char *needle, int timeout_ms, struct peer_result *r);
void local_cleanup(void);

#endif
