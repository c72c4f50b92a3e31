/*
 * sysfs.c - low-level sysfs attribute I/O for libmvgpu.
 *
 * Every byte read here is hostile: reads are bounded, content is checked
 * to be printable ASCII, and errors say which file was wrong.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

int mvgpu__path(mvgpu_ctx *ctx, char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n, m;

	n = snprintf(buf, len, "%s", ctx->root);
	if (n < 0 || (size_t)n >= len)
		return mvgpu__err(ctx, -ENAMETOOLONG, "sysfs path too long");
	va_start(ap, fmt);
	m = vsnprintf(buf + n, len - (size_t)n, fmt, ap);
	va_end(ap);
	if (m < 0 || (size_t)m >= len - (size_t)n)
		return mvgpu__err(ctx, -ENAMETOOLONG, "sysfs path too long");
	return 0;
}

static int read_attr(mvgpu_ctx *ctx, const char *path, char *buf, size_t len,
		     int multiline)
{
	size_t total = 0, i;
	char probe;
	ssize_t r;
	int fd, err;

	if (len < 2)
		return -EINVAL;
	buf[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		err = errno;
		return mvgpu__err(ctx, -err, "%s: %s", path, strerror(err));
	}
	/* Read up to len-1 bytes, then probe for more: a longer attribute is
	 * an error, not silently truncated. */
	while (total < len - 1) {
		r = read(fd, buf + total, len - 1 - total);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = errno;
			close(fd);
			buf[0] = '\0';
			return mvgpu__err(ctx, -err, "%s: %s", path,
					  strerror(err));
		}
		if (r == 0)
			break;
		total += (size_t)r;
	}
	if (total == len - 1) {
		do
			r = read(fd, &probe, 1);
		while (r < 0 && errno == EINTR);
		if (r != 0) {
			close(fd);
			buf[0] = '\0';
			return mvgpu__err(ctx, -EOVERFLOW,
					  "%s: value longer than %zu bytes",
					  path, len - 2);
		}
	}
	close(fd);
	buf[total] = '\0';
	if (total > 0 && buf[total - 1] == '\n')
		buf[--total] = '\0';
	for (i = 0; i < total; i++) {
		unsigned char c = (unsigned char)buf[i];

		if ((c < 0x20 && !(multiline && c == '\n')) || c >= 0x7f) {
			buf[0] = '\0';
			return mvgpu__err(ctx, -EBADMSG,
					  "%s: unexpected byte 0x%02x at offset %zu",
					  path, c, i);
		}
	}
	if (total > (size_t)INT32_MAX)
		return -EOVERFLOW;
	return (int)total;
}

int mvgpu__read_attr(mvgpu_ctx *ctx, const char *path, char *buf, size_t len)
{
	return read_attr(ctx, path, buf, len, 0);
}

int mvgpu__read_text(mvgpu_ctx *ctx, const char *path, char *buf, size_t len)
{
	return read_attr(ctx, path, buf, len, 1);
}

int mvgpu__read_uint_attr(mvgpu_ctx *ctx, const char *path, uint64_t max,
			  uint64_t *out)
{
	char buf[64], q[40];
	int ret;

	ret = mvgpu__read_attr(ctx, path, buf, sizeof(buf));
	if (ret < 0)
		return ret == -EOVERFLOW ? mvgpu__err(ctx, -EBADMSG,
			"%s: not a decimal number (too long)", path) : ret;
	if (mvgpu__parse_u64(buf, max, out) < 0) {
		mvgpu__quote(q, sizeof(q), buf);
		return mvgpu__err(ctx, -EBADMSG,
				  "%s: not a decimal number <= %llu: '%s'",
				  path, (unsigned long long)max, q);
	}
	return 0;
}

int mvgpu__write_attr(mvgpu_ctx *ctx, const char *path, const char *s)
{
	size_t len = strlen(s);
	ssize_t w;
	int fd, err;

	/* No O_CREAT: a missing attribute must fail, never be created. */
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		err = errno;
		return mvgpu__err(ctx, -err, "%s: %s", path, strerror(err));
	}
	/* sysfs takes a store in one write(2): never split it. */
	do
		w = write(fd, s, len);
	while (w < 0 && errno == EINTR);
	if (w < 0) {
		err = errno;
		close(fd);
		return mvgpu__err(ctx, -err, "writing %s: %s", path,
				  strerror(err));
	}
	if (close(fd) < 0 && errno != EINTR) {
		err = errno;
		return mvgpu__err(ctx, -err, "closing %s: %s", path,
				  strerror(err));
	}
	if ((size_t)w != len)
		return mvgpu__err(ctx, -EIO, "%s: short write (%zd of %zu)",
				  path, w, len);
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strverscmp(*(char *const *)a, *(char *const *)b);
}

void mvgpu__free_names(char **names, size_t count)
{
	size_t i;

	if (!names)
		return;
	for (i = 0; i < count; i++)
		free(names[i]);
	free(names);
}

int mvgpu__list_dir(mvgpu_ctx *ctx, const char *path, char ***names,
		    size_t *count)
{
	char **v = NULL, **nv;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;
	int err;

	*names = NULL;
	*count = 0;
	d = opendir(path);
	if (!d) {
		err = errno;
		return mvgpu__err(ctx, -err, "%s: %s", path, strerror(err));
	}
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (!de) {
			err = errno;
			if (err) {
				closedir(d);
				mvgpu__free_names(v, n);
				return mvgpu__err(ctx, -err, "%s: %s", path,
						  strerror(err));
			}
			break;
		}
		if (de->d_name[0] == '.')
			continue;
		nv = mvgpu__grow(v, n, &cap, sizeof(*v), 16);
		if (!nv)
			goto nomem;
		v = nv;
		v[n] = strdup(de->d_name);
		if (!v[n])
			goto nomem;
		n++;
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), name_cmp);
	*names = v;
	*count = n;
	return 0;
nomem:
	closedir(d);
	mvgpu__free_names(v, n);
	return mvgpu__err(ctx, -ENOMEM, "out of memory listing %s", path);
}

void *mvgpu__grow(void *items, size_t count, size_t *cap, size_t size,
		  size_t first)
{
	size_t ncap;
	void *nv;

	if (count < *cap)
		return items;
	ncap = *cap ? *cap * 2 : first;
	nv = realloc(items, ncap * size);
	if (nv)
		*cap = ncap;
	return nv;
}

int mvgpu__collect(mvgpu_ctx *ctx, const char *dir, size_t size, size_t first,
		   int (*read)(mvgpu_ctx *ctx, const char *name, void *item),
		   void **items, size_t *count, size_t *skipped)
{
	char path[PATH_MAX], **names, *v = NULL, *nv;
	size_t n, i, cap = 0;
	int ret;

	*items = NULL;
	*count = 0;
	*skipped = 0;
	if (!ctx)
		return -EINVAL;
	ret = mvgpu__path(ctx, path, sizeof(path), "%s", dir);
	if (ret < 0)
		return ret;
	ret = mvgpu__list_dir(ctx, path, &names, &n);
	if (ret == -ENOENT || ret == -ENOTDIR)
		return 0;
	if (ret < 0)
		return ret;
	for (i = 0; i < n; i++) {
		nv = mvgpu__grow(v, *count, &cap, size, first);
		if (!nv) {
			ret = -ENOMEM;
			goto fail;
		}
		v = nv;
		ret = read(ctx, names[i], v + *count * size);
		if (ret < 0)
			goto fail;
		if (ret == MVGPU__KEEP)
			(*count)++;
		else if (ret == MVGPU__SKIPPED)
			(*skipped)++;
	}
	mvgpu__free_names(names, n);
	if (*count)
		*items = v;
	else
		free(v);	/* none kept: no array */
	return 0;
fail:
	mvgpu__free_names(names, n);
	free(v);
	*count = 0;
	*skipped = 0;
	return ret == -ENOMEM ? mvgpu__err(ctx, ret, "out of memory") : ret;
}

int mvgpu__exists(const char *path)
{
	struct stat st;

	if (lstat(path, &st) == 0)
		return 1;
	if (errno == ENOENT || errno == ENOTDIR)
		return 0;
	return -errno;
}

int mvgpu__link_basename(mvgpu_ctx *ctx, const char *path, char *out,
			 size_t len)
{
	char target[PATH_MAX];
	const char *base;
	ssize_t n;
	size_t blen;
	int err;

	out[0] = '\0';
	n = readlink(path, target, sizeof(target));
	if (n < 0) {
		err = errno;
		return mvgpu__err(ctx, -err, "%s: %s", path, strerror(err));
	}
	if ((size_t)n >= sizeof(target))
		return mvgpu__err(ctx, -EOVERFLOW, "%s: link target too long",
				  path);
	target[n] = '\0';
	while (n > 1 && target[n - 1] == '/')
		target[--n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	blen = strlen(base);
	if (blen == 0 || blen >= len)
		return mvgpu__err(ctx, -EBADMSG, "%s: bad link target", path);
	memcpy(out, base, blen + 1);
	return 0;
}
