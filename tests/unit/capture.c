/*
 * capture.c - a view of the CLI run in this process, its output kept.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "capture.h"

/* The whole of the file @fd, malloc'd; @fd is closed. */
static char *slurp_fd(int fd)
{
	off_t len = lseek(fd, 0, SEEK_END);
	char *s;

	cr_assert(len >= 0);
	s = calloc(1, (size_t)len + 1);
	cr_assert_not_null(s);
	cr_assert_eq(pread(fd, s, (size_t)len, 0), len);
	close(fd);
	return s;
}

static int tmp_fd(void)
{
	char name[] = "/tmp/mvgpu-view-out.XXXXXX";
	int fd = mkstemp(name);

	cr_assert(fd >= 0);
	unlink(name);
	return fd;
}

char *capture(int (*fn)(void *arg), void *arg, int *code, char **err)
{
	int out = tmp_fd(), efd = tmp_fd(), saved_out, saved_err;

	fflush(stdout);
	fflush(stderr);
	saved_out = dup(1);
	saved_err = dup(2);
	cr_assert(saved_out >= 0 && saved_err >= 0);
	cr_assert_eq(dup2(out, 1), 1);
	cr_assert_eq(dup2(efd, 2), 2);
	*code = fn(arg);
	fflush(stdout);
	fflush(stderr);
	cr_assert_eq(dup2(saved_out, 1), 1);
	cr_assert_eq(dup2(saved_err, 2), 2);
	close(saved_out);
	close(saved_err);
	*err = slurp_fd(efd);
	return slurp_fd(out);
}
