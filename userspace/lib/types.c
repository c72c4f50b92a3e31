/*
 * types.c - discovery of mvgpu parents and vGPU types.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MDEV_BUS "/class/mdev_bus"

int mvgpu__is_mvgpu_type_id(const char *s)
{
	return strncmp(s, MVGPU_TYPE_PREFIX, strlen(MVGPU_TYPE_PREFIX)) == 0;
}

static int read_string(mvgpu_ctx *ctx, const char *dir, const char *attr,
		       char *buf, size_t len)
{
	char path[PATH_MAX];
	int ret;

	ret = snprintf(path, sizeof(path), "%s/%s", dir, attr);
	if (ret < 0 || (size_t)ret >= sizeof(path))
		return mvgpu__err(ctx, -ENAMETOOLONG, "%s: path too long", dir);
	ret = mvgpu__read_attr(ctx, path, buf, len);
	if (ret == -ENOENT)
		return mvgpu__err(ctx, -EBADMSG, "%s: missing", path);
	if (ret == 0)
		return mvgpu__err(ctx, -EBADMSG, "%s: empty", path);
	return ret < 0 ? ret : 0;
}

int mvgpu__read_type(mvgpu_ctx *ctx, const char *parent, const char *type_id,
		     mvgpu_type_info *t)
{
	char dir[PATH_MAX], path[PATH_MAX], desc[MVGPU_ATTR_MAX], q[64];
	uint64_t avail;
	int ret;

	memset(t, 0, sizeof(*t));
	if (!mvgpu__valid_id(parent) || !mvgpu__valid_id(type_id))
		return mvgpu__err(ctx, -EINVAL, "invalid parent or type name");
	ret = mvgpu__path(ctx, dir, sizeof(dir),
			  MDEV_BUS "/%s/mdev_supported_types/%s", parent,
			  type_id);
	if (ret < 0)
		return ret;
	/* Both fit: validated ids are shorter than the fields. */
	strcpy(t->parent, parent);
	strcpy(t->type_id, type_id);

	ret = read_string(ctx, dir, "name", t->name, sizeof(t->name));
	if (ret < 0)
		return ret;
	ret = read_string(ctx, dir, "description", desc, sizeof(desc));
	if (ret < 0)
		return ret;
	if (mvgpu_parse_description(desc, t) < 0) {
		mvgpu__quote(q, sizeof(q), desc);
		return mvgpu__err(ctx, -EBADMSG,
				  "%s/description: malformed: '%s'", dir, q);
	}
	ret = read_string(ctx, dir, "device_api", t->device_api,
			  sizeof(t->device_api));
	if (ret < 0)
		return ret;
	ret = snprintf(path, sizeof(path), "%s/available_instances", dir);
	if (ret < 0 || (size_t)ret >= sizeof(path))
		return mvgpu__err(ctx, -ENAMETOOLONG, "%s: path too long", dir);
	ret = mvgpu__read_uint_attr(ctx, path, UINT32_MAX, &avail);
	if (ret == -ENOENT)
		return mvgpu__err(ctx, -EBADMSG, "%s: missing", path);
	if (ret < 0)
		return ret;
	t->available_instances = (unsigned)avail;
	return 0;
}

int mvgpu__type_cmp(const void *a, const void *b)
{
	const mvgpu_type_info *x = a, *y = b;
	int c = strverscmp(x->parent, y->parent);

	if (c)
		return c;
	if (x->framebuffer != y->framebuffer)
		return x->framebuffer < y->framebuffer ? -1 : 1;
	return strverscmp(x->type_id, y->type_id);
}

/* A parent without mdev_supported_types is not an error: it just has no
 * types. */
int mvgpu__list_parent_types(mvgpu_ctx *ctx, const char *parent,
			     char ***names, size_t *count)
{
	char path[PATH_MAX];
	int ret;

	ret = mvgpu__path(ctx, path, sizeof(path),
			  MDEV_BUS "/%s/mdev_supported_types", parent);
	if (ret < 0)
		return ret;
	ret = mvgpu__list_dir(ctx, path, names, count);
	if (ret == -ENOENT || ret == -ENOTDIR)
		ret = 0;
	return ret;
}

static int count_mvgpu_types(char **names, size_t n)
{
	size_t i;
	int c = 0;

	for (i = 0; i < n; i++)
		c += mvgpu__is_mvgpu_type_id(names[i]);
	return c;
}

int mvgpu__is_mvgpu_parent(mvgpu_ctx *ctx, const char *parent)
{
	char **names;
	size_t n;
	int ret;

	ret = mvgpu__list_parent_types(ctx, parent, &names, &n);
	if (ret < 0)
		return ret;
	ret = count_mvgpu_types(names, n) > 0;
	mvgpu__free_names(names, n);
	return ret;
}

int mvgpu__check_parent(mvgpu_ctx *ctx, const char *parent)
{
	char q[64];
	int ret;

	if (!mvgpu__valid_id(parent)) {
		mvgpu__quote(q, sizeof(q), parent);
		return mvgpu__err(ctx, -EINVAL, "invalid parent name '%s'", q);
	}
	ret = mvgpu__is_mvgpu_parent(ctx, parent);
	if (ret < 0)
		return ret;
	if (!ret)
		return mvgpu__err(ctx, -ENODEV, "no mvgpu parent '%s'", parent);
	return 0;
}

int mvgpu_get_type(mvgpu_ctx *ctx, const char *parent, const char *type_id,
		   mvgpu_type_info *out)
{
	char path[PATH_MAX], q[64];
	int ret;

	if (!ctx || !out || !parent || !type_id)
		return -EINVAL;
	/* an invalid parent name is said first */
	if (mvgpu__valid_id(parent) && !mvgpu__valid_id(type_id)) {
		mvgpu__quote(q, sizeof(q), type_id);
		return mvgpu__err(ctx, -EINVAL, "invalid type id '%s'", q);
	}
	ret = mvgpu__check_parent(ctx, parent);
	if (ret < 0)
		return ret;
	ret = mvgpu__path(ctx, path, sizeof(path),
			  MDEV_BUS "/%s/mdev_supported_types/%s", parent,
			  type_id);
	if (ret < 0)
		return ret;
	if (!mvgpu__is_mvgpu_type_id(type_id) || mvgpu__exists(path) != 1)
		return mvgpu__err(ctx, -ENOENT, "parent '%s' has no type '%s'",
				  parent, type_id);
	return mvgpu__read_type(ctx, parent, type_id, out);
}

static int push_type(mvgpu_type_list *l, size_t *cap,
		     const mvgpu_type_info *t)
{
	mvgpu_type_info *v;

	v = mvgpu__grow(l->items, l->count, cap, sizeof(*v), 8);
	if (!v)
		return -ENOMEM;
	l->items = v;
	l->items[l->count++] = *t;
	return 0;
}

/* Append @parent's mvgpu types to @out.  @return number of mvgpu types the
 * parent has (listed or skipped), or -ENOMEM. */
static int add_parent(mvgpu_ctx *ctx, const char *parent, mvgpu_type_list *out,
		      size_t *cap)
{
	char **names;
	char q[64];
	mvgpu_type_info t;
	size_t n, i;
	int ret, found;

	ret = mvgpu__list_parent_types(ctx, parent, &names, &n);
	if (ret < 0) {
		if (ret == -ENOMEM)
			return ret;
		mvgpu__quote(q, sizeof(q), parent);
		mvgpu__warn(ctx, "skipping parent '%s': %s", q, ctx->err);
		return 0;
	}
	found = count_mvgpu_types(names, n);
	if (found && !mvgpu__valid_id(parent)) {
		mvgpu__quote(q, sizeof(q), parent);
		mvgpu__warn(ctx, "skipping parent '%s': unusable name", q);
		out->skipped += (size_t)found;
		mvgpu__free_names(names, n);
		return found;
	}
	for (i = 0; i < n; i++) {
		if (!mvgpu__is_mvgpu_type_id(names[i]))
			continue;
		if (!mvgpu__valid_id(names[i])) {
			mvgpu__quote(q, sizeof(q), names[i]);
			mvgpu__warn(ctx, "skipping type '%s' on %s: unusable name",
				    q, parent);
			out->skipped++;
			continue;
		}
		ret = mvgpu__read_type(ctx, parent, names[i], &t);
		if (ret == -ENOMEM)
			goto fail;
		if (ret < 0) {
			mvgpu__warn(ctx, "skipping type %s on %s: %s", names[i],
				    parent, ctx->err);
			out->skipped++;
			continue;
		}
		ret = push_type(out, cap, &t);
		if (ret < 0)
			goto fail;
	}
	mvgpu__free_names(names, n);
	return found;
fail:
	mvgpu__free_names(names, n);
	return ret;
}

int mvgpu_list_types(mvgpu_ctx *ctx, const char *parent, mvgpu_type_list *out)
{
	char path[PATH_MAX], q[64];
	char **parents;
	size_t np, i, cap = 0;
	int ret, found = 0;

	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (!ctx)
		return -EINVAL;
	if (parent && !mvgpu__valid_id(parent)) {
		mvgpu__quote(q, sizeof(q), parent);
		return mvgpu__err(ctx, -EINVAL, "invalid parent name '%s'", q);
	}
	ret = mvgpu__path(ctx, path, sizeof(path), MDEV_BUS);
	if (ret < 0)
		return ret;
	ret = mvgpu__list_dir(ctx, path, &parents, &np);
	if (ret == -ENOENT || ret == -ENOTDIR) {
		parents = NULL;
		np = 0;
	} else if (ret < 0) {
		return ret;
	}
	for (i = 0; i < np; i++) {
		if (parent && strcmp(parent, parents[i]))
			continue;
		ret = add_parent(ctx, parents[i], out, &cap);
		if (ret < 0) {
			mvgpu__free_names(parents, np);
			mvgpu_type_list_free(out);
			return mvgpu__err(ctx, ret, "out of memory");
		}
		found += ret > 0;
	}
	mvgpu__free_names(parents, np);
	if (parent && !found) {
		mvgpu_type_list_free(out);
		return mvgpu__err(ctx, -ENODEV, "no mvgpu parent '%s'", parent);
	}
	if (out->count > 1)
		qsort(out->items, out->count, sizeof(*out->items),
		      mvgpu__type_cmp);
	return 0;
}

void mvgpu_type_list_free(mvgpu_type_list *list)
{
	if (!list)
		return;
	free(list->items);
	memset(list, 0, sizeof(*list));
}
