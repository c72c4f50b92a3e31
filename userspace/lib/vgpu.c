/*
 * vgpu.c - list, find, create and remove mvgpu vGPUs (mdev devices).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MDEV_DEVICES "/bus/mdev/devices"

/* Split the resolved ".../<parent>/mdev_supported_types/<type>" path. */
static int split_type_path(char *real, const char **parent, const char **type)
{
	char *s1, *s2;

	s1 = strrchr(real, '/');
	if (!s1 || !s1[1])
		return -EBADMSG;
	*type = s1 + 1;
	*s1 = '\0';
	s2 = strrchr(real, '/');
	if (!s2 || strcmp(s2 + 1, "mdev_supported_types"))
		return -EBADMSG;
	*s2 = '\0';
	s1 = strrchr(real, '/');
	if (!s1 || !s1[1])
		return -EBADMSG;
	*parent = s1 + 1;
	return 0;
}

static void read_iommu_group(mvgpu_ctx *ctx, const char *dev,
			     mvgpu_vgpu_info *v)
{
	char path[PATH_MAX], base[32], q[40];
	uint64_t g;
	int ret;

	v->iommu_group = -1;
	ret = snprintf(path, sizeof(path), "%s/iommu_group", dev);
	if (ret < 0 || (size_t)ret >= sizeof(path))
		return;
	ret = mvgpu__link_basename(ctx, path, base, sizeof(base));
	if (ret == -ENOENT)
		return;		/* no group (yet): not an error */
	if (ret < 0) {
		mvgpu__warn(ctx, "vGPU %s: iommu group unknown: %s", v->uuid,
			    ctx->err);
		return;
	}
	if (mvgpu__parse_u64(base, INT_MAX, &g) < 0) {
		mvgpu__quote(q, sizeof(q), base);
		mvgpu__warn(ctx, "vGPU %s: iommu group unknown: %s -> '%s'",
			    v->uuid, path, q);
		return;
	}
	v->iommu_group = (int)g;
}

static void read_in_use(mvgpu_ctx *ctx, const char *dev, mvgpu_vgpu_info *v)
{
	char path[PATH_MAX], buf[16], q[24];
	int ret;

	v->in_use = -1;
	ret = snprintf(path, sizeof(path), "%s/mvgpu/in_use", dev);
	if (ret < 0 || (size_t)ret >= sizeof(path))
		return;
	ret = mvgpu__read_attr(ctx, path, buf, sizeof(buf));
	if (ret >= 0 && (!strcmp(buf, "0") || !strcmp(buf, "1"))) {
		v->in_use = buf[0] == '1';
		return;
	}
	if (ret >= 0) {
		mvgpu__quote(q, sizeof(q), buf);
		mvgpu__err(ctx, -EBADMSG, "%s: expected 0 or 1, got '%s'",
			   path, q);
	}
	mvgpu__warn(ctx, "vGPU %s: in-use state unknown: %s", v->uuid,
		    ctx->err);
}

/* @uuid must be canonical.  @return 0 (an mvgpu vGPU, @v filled), 1 (an
 * mdev device of another driver), -ENOENT, -EBADMSG, -errno. */
int mvgpu__read_vgpu(mvgpu_ctx *ctx, const char *uuid, mvgpu_vgpu_info *v)
{
	char dev[PATH_MAX], mt[PATH_MAX], q[64];
	const char *parent, *type;
	char *real;
	int ret, err;

	memset(v, 0, sizeof(*v));
	v->iommu_group = -1;
	v->in_use = -1;
	ret = mvgpu__path(ctx, dev, sizeof(dev), MDEV_DEVICES "/%s", uuid);
	if (ret < 0)
		return ret;
	ret = mvgpu__exists(dev);
	if (ret < 0)
		return mvgpu__err(ctx, ret, "%s: %s", dev, strerror(-ret));
	if (!ret)
		return mvgpu__err(ctx, -ENOENT, "no vGPU %s", uuid);
	ret = snprintf(mt, sizeof(mt), "%s/mdev_type", dev);
	if (ret < 0 || (size_t)ret >= sizeof(mt))
		return mvgpu__err(ctx, -ENAMETOOLONG, "%s: path too long", dev);
	real = realpath(mt, NULL);
	if (!real) {
		err = errno;
		if (err == ENOENT || err == ENOTDIR)
			return mvgpu__err(ctx, -EBADMSG,
					  "%s: missing or dangling", mt);
		return mvgpu__err(ctx, -err, "%s: %s", mt, strerror(err));
	}
	if (split_type_path(real, &parent, &type) < 0) {
		mvgpu__quote(q, sizeof(q), real);
		free(real);
		return mvgpu__err(ctx, -EBADMSG,
				  "%s: does not point to a supported type: '%s'",
				  mt, q);
	}
	if (!mvgpu__is_mvgpu_type_id(type)) {
		free(real);
		return 1;
	}
	if (!mvgpu__valid_id(parent) || !mvgpu__valid_id(type)) {
		free(real);
		return mvgpu__err(ctx, -EBADMSG, "%s: unusable parent or type name",
				  mt);
	}
	strcpy(v->uuid, uuid);	/* canonical: fits */
	strcpy(v->parent, parent);
	strcpy(v->type_id, type);
	free(real);
	read_iommu_group(ctx, dev, v);
	read_in_use(ctx, dev, v);
	return 0;
}

static int vgpu_cmp(const void *a, const void *b)
{
	const mvgpu_vgpu_info *x = a, *y = b;
	int c = strverscmp(x->parent, y->parent);

	if (c)
		return c;
	c = strverscmp(x->type_id, y->type_id);
	if (c)
		return c;
	return strcmp(x->uuid, y->uuid);
}

/* mvgpu__collect()'s reader of a bus/mdev/devices entry. */
static int collect_vgpu(mvgpu_ctx *ctx, const char *name, void *item)
{
	char q[64];
	int ret;

	if (!mvgpu__uuid_is_canonical(name)) {
		mvgpu__quote(q, sizeof(q), name);
		mvgpu__warn(ctx, "skipping mdev device '%s': name is not a canonical UUID",
			    q);
		return MVGPU__SKIPPED;
	}
	ret = mvgpu__read_vgpu(ctx, name, item);
	if (ret == 1)
		return MVGPU__IGNORE;	/* another driver's */
	if (ret == -ENOMEM)
		return ret;
	if (ret < 0) {
		mvgpu__warn(ctx, "skipping vGPU %s: %s", name, ctx->err);
		return MVGPU__SKIPPED;
	}
	return MVGPU__KEEP;
}

int mvgpu_list_vgpus(mvgpu_ctx *ctx, mvgpu_vgpu_list *out)
{
	void *items;
	int ret;

	if (!out)
		return -EINVAL;
	ret = mvgpu__collect(ctx, MDEV_DEVICES, sizeof(*out->items), 8,
			     collect_vgpu, &items, &out->count, &out->skipped);
	out->items = items;
	if (out->count > 1)
		qsort(out->items, out->count, sizeof(*out->items), vgpu_cmp);
	return ret;
}

void mvgpu_vgpu_list_free(mvgpu_vgpu_list *list)
{
	if (!list)
		return;
	free(list->items);
	memset(list, 0, sizeof(*list));
}

int mvgpu_find_vgpu(mvgpu_ctx *ctx, const char *uuid, mvgpu_vgpu_info *out)
{
	char canon[MVGPU_UUID_LEN], q[64];
	mvgpu_vgpu_info v;
	int ret;

	if (!ctx || !out)
		return -EINVAL;
	if (mvgpu_uuid_canonical(uuid, canon) < 0) {
		mvgpu__quote(q, sizeof(q), uuid);
		return mvgpu__err(ctx, -EINVAL, "invalid UUID '%s'", q);
	}
	ret = mvgpu__read_vgpu(ctx, canon, &v);
	if (ret == 1)
		return mvgpu__err(ctx, -ENOENT, "%s is not an mvgpu vGPU", canon);
	if (ret < 0)
		return ret;
	*out = v;
	return 0;
}

/* Pick the first parent (list order) with a free instance of @type_id. */
static int pick_parent(mvgpu_ctx *ctx, const char *type_id,
		       mvgpu_type_info *out)
{
	mvgpu_type_list l;
	size_t i, seen = 0;
	int ret;

	ret = mvgpu_list_types(ctx, NULL, &l);
	if (ret < 0)
		return ret;
	for (i = 0; i < l.count; i++) {
		if (strcmp(l.items[i].type_id, type_id))
			continue;
		seen++;
		if (l.items[i].available_instances > 0) {
			*out = l.items[i];
			mvgpu_type_list_free(&l);
			return 0;
		}
	}
	mvgpu_type_list_free(&l);
	if (!seen)
		return mvgpu__err(ctx, -ENOENT, "no parent has type '%s'",
				  type_id);
	return mvgpu__err(ctx, -ENOSPC,
			  "type %s has no free instance on any of its %zu parent(s)",
			  type_id, seen);
}

int mvgpu_create(mvgpu_ctx *ctx, const char *type_id, const char *parent,
		 const char *uuid, mvgpu_vgpu_info *out)
{
	char canon[MVGPU_UUID_LEN], path[PATH_MAX], dev[PATH_MAX], q[64];
	mvgpu_type_info t;
	mvgpu_vgpu_info v;
	int ret;

	if (!ctx)
		return -EINVAL;
	if (!type_id || !mvgpu__valid_id(type_id)) {
		mvgpu__quote(q, sizeof(q), type_id);
		return mvgpu__err(ctx, -EINVAL, "invalid type id '%s'", q);
	}
	if (parent && !mvgpu__valid_id(parent)) {
		mvgpu__quote(q, sizeof(q), parent);
		return mvgpu__err(ctx, -EINVAL, "invalid parent name '%s'", q);
	}
	if (uuid) {
		if (mvgpu_uuid_canonical(uuid, canon) < 0) {
			mvgpu__quote(q, sizeof(q), uuid);
			return mvgpu__err(ctx, -EINVAL, "invalid UUID '%s'", q);
		}
		ret = mvgpu__path(ctx, dev, sizeof(dev), MDEV_DEVICES "/%s",
				  canon);
		if (ret < 0)
			return ret;
		ret = mvgpu__exists(dev);
		if (ret < 0)
			return mvgpu__err(ctx, ret, "%s: %s", dev,
					  strerror(-ret));
		if (ret)
			return mvgpu__err(ctx, -EEXIST,
					  "a vGPU with UUID %s already exists",
					  canon);
	} else {
		mvgpu__uuid_generate(canon);
	}

	if (parent) {
		ret = mvgpu_get_type(ctx, parent, type_id, &t);
		if (ret < 0)
			return ret;
		if (t.available_instances == 0)
			return mvgpu__err(ctx, -ENOSPC,
					  "type %s has no free instance on %s",
					  type_id, parent);
	} else {
		ret = pick_parent(ctx, type_id, &t);
		if (ret < 0)
			return ret;
	}

	ret = mvgpu__path(ctx, path, sizeof(path),
			  "/class/mdev_bus/%s/mdev_supported_types/%s/create",
			  t.parent, t.type_id);
	if (ret < 0)
		return ret;
	ret = mvgpu__write_attr(ctx, path, canon);
	if (ret == -EDQUOT)
		ret = -ENOSPC;
	if (ret < 0)
		return ret;

	if (out) {
		if (mvgpu__read_vgpu(ctx, canon, &v) == 0) {
			*out = v;
		} else {
			memset(out, 0, sizeof(*out));
			strcpy(out->uuid, canon);
			strcpy(out->parent, t.parent);
			strcpy(out->type_id, t.type_id);
			out->iommu_group = -1;
			out->in_use = 0;
		}
	}
	ctx->err[0] = '\0';
	return 0;
}

int mvgpu_remove(mvgpu_ctx *ctx, const char *uuid, int force)
{
	char path[PATH_MAX], why[MVGPU_ERR_MAX];
	mvgpu_vgpu_info v;
	int ret;

	if (!ctx)
		return -EINVAL;
	ret = mvgpu_find_vgpu(ctx, uuid, &v);
	if (ret < 0)
		return ret;
	if (!force && v.in_use == 1)
		return mvgpu__err(ctx, -EBUSY,
				  "vGPU %s is in use (a VFIO user has it open)",
				  v.uuid);
	if (!force && v.in_use < 0) {
		/* ctx->err holds why in_use could not be read. */
		snprintf(why, sizeof(why), "%s", ctx->err);
		return mvgpu__err(ctx, -EBADMSG,
				  "cannot tell whether vGPU %s is in use: %s",
				  v.uuid, why);
	}
	ret = mvgpu__path(ctx, path, sizeof(path), MDEV_DEVICES "/%s/remove",
			  v.uuid);
	if (ret < 0)
		return ret;
	return mvgpu__write_attr(ctx, path, "1");
}
