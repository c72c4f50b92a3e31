// SPDX-License-Identifier: MIT
/* proc.c - see proc.h */
#include "proc.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* Spawn attributes: own process group, default signals, nothing blocked. */
static int proc_attr(posix_spawnattr_t *a)
{
	sigset_t all, none;
	int ret;

	sigfillset(&all);
	sigemptyset(&none);
	ret = posix_spawnattr_init(a);
	if (ret)
		return ret;
	ret = posix_spawnattr_setflags(a, POSIX_SPAWN_SETPGROUP |
				       POSIX_SPAWN_SETSIGDEF |
				       POSIX_SPAWN_SETSIGMASK);
	if (!ret)
		ret = posix_spawnattr_setpgroup(a, 0);
	if (!ret)
		ret = posix_spawnattr_setsigdefault(a, &all);
	if (!ret)
		ret = posix_spawnattr_setsigmask(a, &none);
	if (ret)
		posix_spawnattr_destroy(a);
	return ret;
}

/* File actions: stdin /dev/null, stdout/stderr to the files, no other fd. */
static int proc_files(posix_spawn_file_actions_t *fa, const char *out,
		      const char *err)
{
	const int wr = O_WRONLY | O_CREAT | O_TRUNC;
	int ret;

	ret = posix_spawn_file_actions_init(fa);
	if (ret)
		return ret;
	ret = posix_spawn_file_actions_addopen(fa, 0, "/dev/null", O_RDONLY, 0);
	if (!ret)
		ret = posix_spawn_file_actions_addopen(fa, 1, out, wr, 0644);
	if (!ret)
		ret = posix_spawn_file_actions_addopen(fa, 2, err, wr, 0644);
	if (!ret)
		ret = posix_spawn_file_actions_addclosefrom_np(fa, 3);
	if (ret)
		posix_spawn_file_actions_destroy(fa);
	return ret;
}

static int proc_copy_path(char *dst, const char *src)
{
	if (strlen(src) >= PROC_PATH)
		return -ENAMETOOLONG;
	strcpy(dst, src);
	return 0;
}

int proc_start(struct proc *p, const char *cmd, const char *out_path,
	       const char *err_path)
{
	char *argv[] = { "sh", "-c", (char *)cmd, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	int ret;

	memset(p, 0, sizeof(*p));
	p->pidfd = -1;
	if (proc_copy_path(p->out, out_path) || proc_copy_path(p->err, err_path))
		return -ENAMETOOLONG;
	ret = proc_attr(&attr);
	if (ret)
		return -ret;
	ret = proc_files(&fa, out_path, err_path);
	if (!ret) {
		ret = posix_spawn(&p->pid, "/bin/sh", &fa, &attr, argv, environ);
		posix_spawn_file_actions_destroy(&fa);
	}
	posix_spawnattr_destroy(&attr);
	if (ret) {
		p->pid = 0;
		return -ret;
	}
	/* The shell is unreaped until proc_wait(), so its pid stays valid. */
	p->pidfd = pidfd_open(p->pid, 0);
	if (p->pidfd < 0) {
		ret = -errno;
		kill(-p->pid, SIGKILL);
		waitpid(p->pid, NULL, 0);
		p->pid = 0;
		return ret;
	}
	return 0;
}

/* Reap an exited shell. */
static int proc_reap(struct proc *p)
{
	int st;
	pid_t r;

	do
		r = waitpid(p->pid, &st, WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	if (r == 0)
		return -ETIMEDOUT; /* pidfd readable but not yet waitable */
	p->exited = true;
	p->status = proc_status(st);
	close(p->pidfd);
	p->pidfd = -1;
	return 0;
}

int proc_wait(struct proc *p, int timeout_ms)
{
	long long deadline = lab2_deadline(timeout_ms < 0 ? 0 : timeout_ms);
	struct pollfd pfd;
	int n;

	if (!p->pid)
		return -ESRCH;
	if (p->exited)
		return 0;
	pfd = (struct pollfd){ .fd = p->pidfd, .events = POLLIN };
	for (;;) {
		n = poll(&pfd, 1, lab2_left_ms(deadline));
		if (n > 0)
			return proc_reap(p);
		if (n == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

int proc_kill(struct proc *p, int sig)
{
	if (!p->pid || p->exited)
		return -ESRCH;
	return kill(-p->pid, sig) ? -errno : 0;
}

int proc_stop(struct proc *p, int timeout_ms)
{
	if (!p->pid)
		return -ESRCH;
	if (!p->exited)
		kill(-p->pid, SIGKILL);
	return proc_wait(p, timeout_ms);
}

void proc_release(struct proc *p)
{
	if (p->pidfd >= 0)
		close(p->pidfd);
	p->pidfd = -1;
	p->pid = 0;
	p->exited = false;
}

/* Read up to @want bytes of @fd into @p; returns the count or -errno. */
static ssize_t proc_read_fd(int fd, char *p, size_t want)
{
	size_t got = 0;
	ssize_t n;

	while (got < want) {
		n = read(fd, p + got, want - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

int proc_read_file(const char *path, size_t cap, char **buf, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t want = 0;
	struct stat st;
	ssize_t got = 0;
	char *p;

	*buf = NULL;
	*len = 0;
	if (fd < 0 && errno != ENOENT)
		return -errno;
	if (fd >= 0 && fstat(fd, &st) == 0 && st.st_size > 0)
		want = (size_t)st.st_size < cap ? (size_t)st.st_size : cap;
	p = malloc(want + 1);
	if (p && fd >= 0)
		got = proc_read_fd(fd, p, want);
	if (fd >= 0)
		close(fd);
	if (!p)
		return -ENOMEM;
	if (got < 0) {
		free(p);
		return (int)got;
	}
	p[got] = 0;
	*buf = p;
	*len = (size_t)got;
	return 0;
}

int proc_status(int wstatus)
{
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	if (WIFSIGNALED(wstatus))
		return 128 + WTERMSIG(wstatus);
	return -1;
}
