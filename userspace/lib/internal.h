/*
 * internal.h - libmvgpu private declarations (not installed).
 */
#ifndef MVGPU_INTERNAL_H
#define MVGPU_INTERNAL_H

#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "mvgpu.h"

#define MVGPU_ERR_MAX   512
#define MVGPU_ATTR_MAX  4096    /* a sysfs attribute is at most one page */

struct mvgpu_ctx {
	char root[PATH_MAX / 2];
	char err[MVGPU_ERR_MAX];
	mvgpu_warn_fn warn;
	void *warn_opaque;
	const volatile sig_atomic_t *cancel;	/* mvgpu_ctx_set_cancel() */
	mvgpu_clock clock;			/* mvgpu_ctx_set_clock() */
	int has_clock;
};

/* migration.c: what a pre-copy data fd says it has pending (initial +
 * dirty bytes), the bytes that bound the next pass; 0 when it cannot say. */
uint64_t mvgpu__pass_bytes(int data_fd);

/*
 * migration.c: several vGPUs that move together (a migration session, an
 * image of a set).  mvgpu__quiet_all(): each of the @n vGPUs @devs that
 * has the quiet states (VFIO_MIGRATION_P2P) to @quiet (RUNNING_P2P or
 * PRE_COPY_P2P): no peer copy starts any more.  mvgpu__run_all(): every
 * one to RUNNING - several first all quiet (RUNNING_P2P), then all
 * running, so that no peer copy meets a peer still stopped; @all: on
 * past a failure (putting things back).
 * Return: 0 or the first -errno, *@bad the index of its vGPU.
 */
int mvgpu__quiet_all(mvgpu_dev *const *devs, unsigned n, uint32_t quiet,
		     unsigned *bad);
int mvgpu__run_all(mvgpu_dev *const *devs, unsigned n, bool all,
		   unsigned *bad);
/*
 * mvgpu__precopy_rounds(): the pre-copy of several vGPUs, the pre-copy
 * data fds @fds: rounds going round them, each a pass of every vGPU that
 * needs one - the first round all, later ones those with more than
 * @switchover bytes pending (initial + dirty) - until a round needs none,
 * or @max_passes rounds.  @pass(@opaque, i, bytes) runs a pass of vGPU i
 * of that many bytes.
 * Return: 0, @pass's -errno (*@bad @n), or pre-copy info's (*@bad its
 * vGPU).
 */
int mvgpu__precopy_rounds(const int *fds, unsigned n, unsigned max_passes,
			  uint64_t switchover,
			  int (*pass)(void *opaque, unsigned i, uint64_t bytes),
			  void *opaque, unsigned *bad);

/* ctx.c: error detail and warnings.  mvgpu__err() records the detail and
 * returns @ret so callers can `return mvgpu__err(ctx, -EBADMSG, ...)`. */
int mvgpu__err(mvgpu_ctx *ctx, int ret, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void mvgpu__warn(mvgpu_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Copy @in to @out as printable ASCII (others become '?'), truncated with
 * "..." to fit @len; for quoting hostile content in messages. */
void mvgpu__quote(char *out, size_t len, const char *in);

/* sysfs.c: low-level sysfs access.  Paths are relative to ctx->root. */
int mvgpu__path(mvgpu_ctx *ctx, char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Read attribute @path into @buf (@len bytes, >= 2): one trailing newline
 * is stripped; content must be printable ASCII.  @return its length;
 * -ENOENT..., -EOVERFLOW (does not fit), -EBADMSG (control/non-ASCII). */
int mvgpu__read_attr(mvgpu_ctx *ctx, const char *path, char *buf, size_t len);
/* The same for a multi-line attribute: newlines are kept (but for one
 * trailing newline, stripped), other control bytes are -EBADMSG. */
int mvgpu__read_text(mvgpu_ctx *ctx, const char *path, char *buf, size_t len);
/* Read a decimal attribute.  -EBADMSG if not a plain decimal <= @max. */
int mvgpu__read_uint_attr(mvgpu_ctx *ctx, const char *path, uint64_t max,
			  uint64_t *out);
/* Write @s to the attribute @path in a single write(2).  Never creates. */
int mvgpu__write_attr(mvgpu_ctx *ctx, const char *path, const char *s);
/* List the entries of directory @path (no "." prefix), in natural order
 * (strverscmp).  -ENOENT if missing.  Free with mvgpu__free_names(). */
int mvgpu__list_dir(mvgpu_ctx *ctx, const char *path, char ***names,
		    size_t *count);
void mvgpu__free_names(char **names, size_t count);
/* Room for one more item after the @count items (@size bytes each) of
 * @items, whose capacity is *@cap (@first items when it is 0): @items, or
 * the array it moved to (*@cap updated); NULL if out of memory (@items
 * stays as it was). */
void *mvgpu__grow(void *items, size_t count, size_t *cap, size_t size,
		  size_t first);
/* Read an item (@size bytes) for every entry of directory @dir (relative
 * to the root; missing: no entries) with @read(ctx, name, item), which
 * fills @item and returns MVGPU__KEEP, MVGPU__IGNORE (not one of ours),
 * MVGPU__SKIPPED (unusable, warned about: counted in *@skipped), or -errno
 * (stop).  *@items: the kept ones, in mvgpu__list_dir() order (NULL if
 * none; free()).  @return 0; -errno ("out of memory" for -ENOMEM), with
 * nothing kept; -EINVAL without @ctx. */
enum { MVGPU__KEEP, MVGPU__IGNORE, MVGPU__SKIPPED };
int mvgpu__collect(mvgpu_ctx *ctx, const char *dir, size_t size, size_t first,
		   int (*read)(mvgpu_ctx *ctx, const char *name, void *item),
		   void **items, size_t *count, size_t *skipped);
/* 1 if @path exists (lstat), 0 if not, -errno on other errors. */
int mvgpu__exists(const char *path);
/* Basename of the target of symlink @path into @out. */
int mvgpu__link_basename(mvgpu_ctx *ctx, const char *path, char *out,
			 size_t len);

/* parse.c: strict parsers; all return 0 or -EBADMSG. */
int mvgpu__parse_u64(const char *s, uint64_t max, uint64_t *out);
int mvgpu__parse_size(const char *s, uint64_t *out);
int mvgpu__parse_resolution(const char *s, unsigned *w, unsigned *h);
/* A sysfs name we accept as parent/type id: 1..MVGPU_ID_MAX-1 printable
 * ASCII characters, no '/', not starting with '.'. */
int mvgpu__valid_id(const char *s);

/* uuid.c */
int mvgpu__uuid_generate(char out[MVGPU_UUID_LEN]);
/* 1 if @s is already a canonical lower-case UUID. */
int mvgpu__uuid_is_canonical(const char *s);

/* types.c */
/* 1 if @s is an mvgpu type id (MVGPU_TYPE_PREFIX). */
int mvgpu__is_mvgpu_type_id(const char *s);
int mvgpu__read_type(mvgpu_ctx *ctx, const char *parent, const char *type_id,
		     mvgpu_type_info *t);
int mvgpu__type_cmp(const void *a, const void *b);
/* The type dirs of @parent (mvgpu__list_dir()); none if it has no
 * mdev_supported_types. */
int mvgpu__list_parent_types(mvgpu_ctx *ctx, const char *parent,
			     char ***names, size_t *count);
/* 0 if @parent is a valid name of an mvgpu parent; -EINVAL (invalid
 * name), -ENODEV (no such mvgpu parent), -errno, with ctx->err set. */
int mvgpu__check_parent(mvgpu_ctx *ctx, const char *parent);
/* 1 if @parent (a class/mdev_bus entry) has an mvgpu- type, 0 if not,
 * -errno if its types cannot be listed. */
int mvgpu__is_mvgpu_parent(mvgpu_ctx *ctx, const char *parent);

/* status.c: optional files (a module older than them lacks them) and
 * parents. */
/* Read @path into @buf (as mvgpu__read_text() if @multiline, else as
 * mvgpu__read_attr()).  @return 1; 0 if there is no such file; -errno
 * (ctx->err says why). */
int mvgpu__read_opt(mvgpu_ctx *ctx, const char *path, char *buf, size_t len,
		    int multiline);
/* @path's @content is unusable, because @why: say so in ctx->err
 * ("PATH: malformed: 'CONTENT' (WHY)").  @return -EBADMSG. */
int mvgpu__malformed(mvgpu_ctx *ctx, const char *path, const char *content,
		     const char *why);
/* 1 if @s is a PCI address as sysfs names PCI devices: DDDD:BB:DD.F (a
 * domain of 4 to 8 hex digits). */
int mvgpu__is_pci_name(const char *s);
/* @out (@len bytes): @parent's PCI address if it is on the PCI bus, else
 * "". */
void mvgpu__parent_bus_id(mvgpu_ctx *ctx, const char *parent, char *out,
			  size_t len);
/* What the class/mdev_bus entry @name is to a list of parents (as
 * mvgpu__collect()'s readers return): MVGPU__KEEP (an mvgpu parent),
 * MVGPU__IGNORE (another driver's), MVGPU__SKIPPED (unusable: warned
 * about), -ENOMEM. */
int mvgpu__parent_entry(mvgpu_ctx *ctx, const char *name);

/* vgpu.c */
int mvgpu__read_vgpu(mvgpu_ctx *ctx, const char *uuid, mvgpu_vgpu_info *v);

#endif /* MVGPU_INTERNAL_H */
