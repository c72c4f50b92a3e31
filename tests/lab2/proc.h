/* SPDX-License-Identifier: MIT */
/*
 * proc.h - a shell command run as a job: `/bin/sh -c CMD` in its own
 * process group, stdin /dev/null, stdout and stderr into two files.  Used
 * by mvgpu-labd on host B and by the local_* helpers on host A.
 */
#ifndef MVGPU_LAB2_PROC_H
#define MVGPU_LAB2_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define PROC_PATH 256
#define PROC_OUT_MAX (1u << 20) /* output returned per stream, bytes */

struct proc {
	pid_t pid;      /* also its process group; 0: not started */
	int pidfd;      /* -1 once reaped */
	bool exited;
	int status;     /* once exited: exit code, or 128 + signal */
	char out[PROC_PATH], err[PROC_PATH];
};

/* Start @cmd with output into @out_path, @err_path (created/truncated). */
int proc_start(struct proc *p, const char *cmd, const char *out_path,
	       const char *err_path);
/*
 * Wait up to @timeout_ms (0: just look) for the shell to exit and reap it.
 * 0 once exited (p->status set; again 0 on later calls), -ETIMEDOUT while
 * it runs, -errno on error.
 */
int proc_wait(struct proc *p, int timeout_ms);
/* Send @sig to the job's process group.  0, -ESRCH once exited, -errno. */
int proc_kill(struct proc *p, int sig);
/* SIGKILL the process group and reap the shell within @timeout_ms. */
int proc_stop(struct proc *p, int timeout_ms);
/* Drop the job (reaped or not); the output files stay. */
void proc_release(struct proc *p);

/*
 * The first @cap bytes of @path into a new NUL-terminated buffer (free()
 * it); a missing file reads as empty.  0 or -errno.
 */
int proc_read_file(const char *path, size_t cap, char **buf, size_t *len);
/* Exit code, or 128 + signal, of a wait status. */
int proc_status(int wstatus);

#endif
