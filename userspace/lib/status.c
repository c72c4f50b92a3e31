/*
 * status.c - what nvidia-smi shows a host admin: the platform status of
 * each parent and the status of each vGPU, from the module's optional
 * vendor attributes (mvgpu.h, "Status"), and busy % sampled over an
 * interval.
 *
 * Every file here may be missing (a module older than it): that is no
 * error.  A malformed one is not fatal either: its field stays unset, its
 * bit goes into .bad and the warning handler hears which file and what it
 * held.  Only identity (no such parent, no such vGPU) and memory failures
 * fail a call.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define MDEV_BUS      "/class/mdev_bus"
#define MDEV_DEVICES  "/bus/mdev/devices"
#define WHY_MAX       128

/* ---- one object's status files ----------------------------------------- */

/* An object (parent or vGPU) whose status files are being read. */
struct obj {
	mvgpu_ctx *ctx;
	char dir[PATH_MAX];		/* its "mvgpu" directory */
	const char *what;		/* "parent", "vGPU": for messages */
	const char *name;
	unsigned *have, *bad;
	int nbad;
	char last[MVGPU_ERR_MAX];	/* the last bad file's message */
};

static int obj_path(struct obj *o, const char *file, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", o->dir, file);

	if (n < 0 || (size_t)n >= len)
		return mvgpu__err(o->ctx, -ENAMETOOLONG, "%s/%s: path too long",
				  o->dir, file);
	return 0;
}

/* @path's content is unusable: say so in ctx->err.  @return -EBADMSG. */
static int malformed(mvgpu_ctx *ctx, const char *path, const char *content,
		     const char *why)
{
	char q[64];

	mvgpu__quote(q, sizeof(q), content);
	return mvgpu__err(ctx, -EBADMSG, "%s: malformed: '%s' (%s)", path, q,
			  why);
}

/* Read @path into @buf.  @return 1; 0 if there is no such file (the
 * module predates it); -errno (ctx->err says why). */
static int read_opt(mvgpu_ctx *ctx, const char *path, char *buf, size_t len,
		    int multiline)
{
	int ret;

	ret = multiline ? mvgpu__read_text(ctx, path, buf, len) :
			  mvgpu__read_attr(ctx, path, buf, len);
	if (ret == -ENOENT || ret == -ENOTDIR)
		return 0;
	return ret < 0 ? ret : 1;
}

/* Settle the outcome @ret of reading the file of @bit: a bad file is
 * marked and reported.  @return -ENOMEM (give up), else 0. */
static int settle(struct obj *o, unsigned bit, int ret)
{
	if (ret == -ENOMEM)
		return ret;
	if (ret >= 0)
		return 0;
	*o->have &= ~bit;
	*o->bad |= bit;
	o->nbad++;
	snprintf(o->last, sizeof(o->last), "%s", o->ctx->err);
	mvgpu__warn(o->ctx, "%s %s: %s", o->what, o->name, o->last);
	return 0;
}

/* After reading them all: ctx->err names the last bad file, or is empty. */
static int obj_done(struct obj *o)
{
	memcpy(o->ctx->err, o->last, sizeof(o->last));
	return o->nbad;
}

/* A decimal file.  @return 1, 0 (missing), -errno. */
static int read_u64_file(struct obj *o, const char *file, unsigned bit,
			 uint64_t max, uint64_t *out)
{
	char path[PATH_MAX], buf[64], why[WHY_MAX];
	uint64_t v;
	int ret;

	ret = obj_path(o, file, path, sizeof(path));
	if (ret < 0)
		return ret;
	ret = read_opt(o->ctx, path, buf, sizeof(buf), 0);
	if (ret <= 0)
		return ret;
	if (mvgpu__parse_u64(buf, max, &v) < 0) {
		if (max == UINT64_MAX)
			snprintf(why, sizeof(why), "not a decimal number");
		else
			snprintf(why, sizeof(why), "not a decimal number <= %llu",
				 (unsigned long long)max);
		return malformed(o->ctx, path, buf, why);
	}
	*out = v;
	*o->have |= bit;
	return 1;
}

static int parse_mode(const char *s, int *out)
{
	if (!strcmp(s, "enabled"))
		*out = 1;
	else if (!strcmp(s, "disabled"))
		*out = 0;
	else
		return -EBADMSG;
	return 0;
}

/* "enabled" / "disabled". */
static int read_mode_file(struct obj *o, const char *file, unsigned bit,
			  int *out)
{
	char path[PATH_MAX], buf[32];
	int ret;

	ret = obj_path(o, file, path, sizeof(path));
	if (ret < 0)
		return ret;
	ret = read_opt(o->ctx, path, buf, sizeof(buf), 0);
	if (ret <= 0)
		return ret;
	if (parse_mode(buf, out) < 0)
		return malformed(o->ctx, path, buf,
				 "expected enabled or disabled");
	*o->have |= bit;
	return 1;
}

/* ---- key=value files ------------------------------------------------- */

enum kv_kind { KV_U64, KV_BOOL, KV_MODE };

struct kv {
	const char *key;
	enum kv_kind kind;
	uint64_t max;		/* KV_U64 */
	uint64_t *u;		/* KV_U64 */
	int *i;			/* KV_BOOL (0|1), KV_MODE (enabled|disabled) */
};

/* Parse the key=value items of @s (modified), separated by any of @seps.
 * Unknown keys are ignored; each of @kv must come exactly once.
 * @return 0, or -EBADMSG with @why. */
static int parse_kv(char *s, const char *seps, const struct kv *kv, size_t n,
		    char *why, size_t whylen)
{
	unsigned long seen = 0;
	char *tok, *save = NULL, *eq;
	uint64_t v;
	size_t i;

	for (tok = strtok_r(s, seps, &save); tok;
	     tok = strtok_r(NULL, seps, &save)) {
		eq = strchr(tok, '=');
		if (!eq || eq == tok) {
			snprintf(why, whylen, "'%.32s' is not key=value", tok);
			return -EBADMSG;
		}
		*eq = '\0';
		for (i = 0; i < n; i++)
			if (!strcmp(kv[i].key, tok))
				break;
		if (i == n)
			continue;	/* a later module's key */
		if (seen & (1ul << i)) {
			snprintf(why, whylen, "%s given twice", kv[i].key);
			return -EBADMSG;
		}
		seen |= 1ul << i;
		switch (kv[i].kind) {
		case KV_U64:
			if (mvgpu__parse_u64(eq + 1, kv[i].max, &v) < 0)
				goto bad_value;
			*kv[i].u = v;
			break;
		case KV_BOOL:
			if (mvgpu__parse_u64(eq + 1, 1, &v) < 0)
				goto bad_value;
			*kv[i].i = (int)v;
			break;
		case KV_MODE:
			if (parse_mode(eq + 1, kv[i].i) < 0)
				goto bad_value;
			break;
		}
		continue;
bad_value:
		snprintf(why, whylen, "%s=%.32s: %s", kv[i].key, eq + 1,
			 kv[i].kind == KV_U64 ? "not a decimal number" :
			 kv[i].kind == KV_BOOL ? "expected 0 or 1" :
			 "expected enabled or disabled");
		return -EBADMSG;
	}
	for (i = 0; i < n; i++)
		if (!(seen & (1ul << i))) {
			snprintf(why, whylen, "no %s", kv[i].key);
			return -EBADMSG;
		}
	return 0;
}

/* Read and parse a one-line key=value file.  @return 1, 0, -errno. */
static int read_kv_file(struct obj *o, const char *file, unsigned bit,
			const struct kv *kv, size_t n)
{
	char path[PATH_MAX], buf[MVGPU_ATTR_MAX], copy[MVGPU_ATTR_MAX];
	char why[WHY_MAX];
	int ret;

	ret = obj_path(o, file, path, sizeof(path));
	if (ret < 0)
		return ret;
	ret = read_opt(o->ctx, path, buf, sizeof(buf), 0);
	if (ret <= 0)
		return ret;
	memcpy(copy, buf, sizeof(copy));
	if (parse_kv(copy, " \t", kv, n, why, sizeof(why)) < 0)
		return malformed(o->ctx, path, buf, why);
	*o->have |= bit;
	return 1;
}

static void ecc_kv(struct kv *kv, mvgpu_ecc_counts *c)
{
	kv[0] = (struct kv){ "sbe_volatile", KV_U64, UINT64_MAX,
			     &c->sbe_volatile, NULL };
	kv[1] = (struct kv){ "dbe_volatile", KV_U64, UINT64_MAX,
			     &c->dbe_volatile, NULL };
	kv[2] = (struct kv){ "sbe_aggregate", KV_U64, UINT64_MAX,
			     &c->sbe_aggregate, NULL };
	kv[3] = (struct kv){ "dbe_aggregate", KV_U64, UINT64_MAX,
			     &c->dbe_aggregate, NULL };
}

/* ---- parents ----------------------------------------------------------- */

/* A PCI address as sysfs names PCI devices: DDDD:BB:DD.F (a domain of 4
 * to 8 hex digits). */
static int is_pci_name(const char *s)
{
	size_t i, n = strlen(s);
	size_t dom = n >= 8 ? n - 8 : 0;

	if (n < 12 || n > 16 || s[dom + 0] != ':' || s[dom + 3] != ':' ||
	    s[dom + 6] != '.' || s[n - 1] < '0' || s[n - 1] > '7')
		return 0;
	for (i = 0; i < n - 1; i++) {
		if (i == dom || i == dom + 3 || i == dom + 6)
			continue;
		if (!strchr("0123456789abcdef", s[i]))
			return 0;
	}
	return 1;
}

/* Fill @bus_id for a parent on the PCI bus: its "subsystem" link names
 * the bus; without one (fake trees), its device lives under
 * /devices/pci<domain>:<bus>/. */
static void read_bus_id(mvgpu_ctx *ctx, const char *parent, char *out,
			size_t len)
{
	char path[PATH_MAX], link[PATH_MAX], *real, *base;
	ssize_t n;
	int pci;

	out[0] = '\0';
	if (!is_pci_name(parent) || strlen(parent) >= len ||
	    mvgpu__path(ctx, path, sizeof(path), MDEV_BUS "/%s/subsystem",
			parent) < 0)
		return;
	n = readlink(path, link, sizeof(link) - 1);
	if (n > 0) {
		link[n] = '\0';
		base = strrchr(link, '/');
		pci = !strcmp(base ? base + 1 : link, "pci");
	} else {
		path[strlen(path) - strlen("/subsystem")] = '\0';
		real = realpath(path, NULL);
		if (!real)
			return;
		pci = strstr(real, "/devices/pci") != NULL;
		free(real);
	}
	if (pci)
		strcpy(out, parent);
}

/* The vGPUs of @parent: the entries of its mvgpu types' devices/. */
static unsigned count_vgpus(mvgpu_ctx *ctx, const char *parent)
{
	char path[PATH_MAX], **types, **devs;
	size_t nt, nd, i;
	unsigned count = 0;

	if (mvgpu__path(ctx, path, sizeof(path),
			MDEV_BUS "/%s/mdev_supported_types", parent) < 0 ||
	    mvgpu__list_dir(ctx, path, &types, &nt) < 0)
		return 0;
	for (i = 0; i < nt; i++) {
		if (strncmp(types[i], MVGPU_TYPE_PREFIX,
			    strlen(MVGPU_TYPE_PREFIX)) ||
		    mvgpu__path(ctx, path, sizeof(path),
				MDEV_BUS "/%s/mdev_supported_types/%s/devices",
				parent, types[i]) < 0 ||
		    mvgpu__list_dir(ctx, path, &devs, &nd) < 0)
			continue;
		count += (unsigned)nd;
		mvgpu__free_names(devs, nd);
	}
	mvgpu__free_names(types, nt);
	return count;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* One line of retired_pages: "0x<page> sbe|dbe retired|pending", more
 * fields after those ignored (a later module's). */
static int parse_page_line(char *line, mvgpu_retired_page *p, char *why,
			   size_t whylen)
{
	char *tok[3], *save = NULL;
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < 3; i++) {
		tok[i] = strtok_r(i ? NULL : line, " \t", &save);
		if (!tok[i]) {
			snprintf(why, whylen,
				 "a line without page, cause and state");
			return -EBADMSG;
		}
	}
	if (strncmp(tok[0], "0x", 2) || !tok[0][2] || strlen(tok[0]) > 18)
		goto bad_page;
	for (i = 2; tok[0][i]; i++) {
		int d = hexval(tok[0][i]);

		if (d < 0)
			goto bad_page;
		v = v << 4 | (uint64_t)d;
	}
	p->page = v;
	if (!strcmp(tok[1], "sbe"))
		p->dbe = 0;
	else if (!strcmp(tok[1], "dbe"))
		p->dbe = 1;
	else {
		snprintf(why, whylen, "cause '%.16s': expected sbe or dbe",
			 tok[1]);
		return -EBADMSG;
	}
	if (!strcmp(tok[2], "retired"))
		p->pending = 0;
	else if (!strcmp(tok[2], "pending"))
		p->pending = 1;
	else {
		snprintf(why, whylen,
			 "state '%.16s': expected retired or pending", tok[2]);
		return -EBADMSG;
	}
	return 0;
bad_page:
	snprintf(why, whylen, "page '%.24s': expected 0x and hex digits",
		 tok[0]);
	return -EBADMSG;
}

/* Parse retired_pages' content @text (modified).  @return 0, -ENOMEM, or
 * -EBADMSG with @why. */
static int parse_pages(char *text, mvgpu_retired_page_list *l, char *why,
		       size_t whylen)
{
	mvgpu_retired_page p, *nv;
	char *line, *save = NULL;
	size_t cap = 0, lineno = 0;
	char lwhy[WHY_MAX - 32];

	memset(l, 0, sizeof(*l));
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		if (!line[strspn(line, " \t")])
			continue;	/* blank */
		if (parse_page_line(line, &p, lwhy, sizeof(lwhy)) < 0) {
			snprintf(why, whylen, "line %zu: %s", lineno, lwhy);
			mvgpu_retired_page_list_free(l);
			return -EBADMSG;
		}
		if (l->count == cap) {
			cap = cap ? cap * 2 : 16;
			nv = realloc(l->items, cap * sizeof(*nv));
			if (!nv) {
				mvgpu_retired_page_list_free(l);
				return -ENOMEM;
			}
			l->items = nv;
		}
		l->items[l->count++] = p;
	}
	return 0;
}

/* Read @path (retired_pages) into @l.  @return 1, 0 (missing), -errno. */
static int read_pages(mvgpu_ctx *ctx, const char *path,
		      mvgpu_retired_page_list *l)
{
	char buf[MVGPU_ATTR_MAX], copy[MVGPU_ATTR_MAX], why[WHY_MAX];
	int ret;

	memset(l, 0, sizeof(*l));
	ret = read_opt(ctx, path, buf, sizeof(buf), 1);
	if (ret <= 0)
		return ret;
	memcpy(copy, buf, sizeof(copy));
	ret = parse_pages(copy, l, why, sizeof(why));
	if (ret == -EBADMSG)
		return malformed(ctx, path, buf, why);
	if (ret < 0)
		return mvgpu__err(ctx, ret, "out of memory");
	return 1;
}

static int read_parent_pages(struct obj *o, mvgpu_parent_status_info *s)
{
	mvgpu_retired_page_list l;
	char path[PATH_MAX];
	size_t i;
	int ret;

	ret = obj_path(o, "retired_pages", path, sizeof(path));
	if (ret < 0)
		return ret;
	ret = read_pages(o->ctx, path, &l);
	if (ret <= 0)
		return ret;
	for (i = 0; i < l.count; i++) {
		if (l.items[i].pending)
			s->pages_pending++;
		else
			s->pages_retired++;
		if (l.items[i].dbe)
			s->pages_dbe++;
		else
			s->pages_sbe++;
	}
	mvgpu_retired_page_list_free(&l);
	s->have |= MVGPU_PST_RETIRED;
	return 1;
}

static int read_memory_kind(struct obj *o, mvgpu_parent_status_info *s)
{
	char path[PATH_MAX], buf[MVGPU_MEMORY_KIND_MAX];
	size_t n;
	int ret;

	ret = obj_path(o, "memory_kind", path, sizeof(path));
	if (ret < 0)
		return ret;
	ret = read_opt(o->ctx, path, buf, sizeof(buf), 0);
	if (ret <= 0)
		return ret;
	n = strspn(buf, "abcdefghijklmnopqrstuvwxyz0123456789_");
	if (!n || buf[n])
		return malformed(o->ctx, path, buf,
				 "expected a name such as hbm or ddr");
	strcpy(s->memory_kind, buf);
	s->have |= MVGPU_PST_MEMORY_KIND;
	return 1;
}

static void parent_zero(mvgpu_parent_status_info *s)
{
	memset(s, 0, sizeof(*s));
	s->busy_pct = -1;
}

/* @parent: a valid id of an mvgpu parent.  @return the number of bad
 * files, or -ENOMEM. */
static int read_parent(mvgpu_ctx *ctx, const char *parent,
		       mvgpu_parent_status_info *s)
{
	struct obj o = { .ctx = ctx, .what = "parent", .name = parent };
	mvgpu_ecc_counts ecc = { 0 };
	struct kv kv[4];
	int ret;

	parent_zero(s);
	o.have = &s->have;
	o.bad = &s->bad;
	strcpy(s->parent, parent);	/* a valid id: fits */
	read_bus_id(ctx, parent, s->bus_id, sizeof(s->bus_id));
	s->vgpus = count_vgpus(ctx, parent);
	ret = mvgpu__path(ctx, o.dir, sizeof(o.dir), MDEV_BUS "/%s/mvgpu",
			  parent);
	if (ret < 0)
		return ret;

	ecc_kv(kv, &ecc);
	if ((ret = settle(&o, MVGPU_PST_MEMORY_KIND, read_memory_kind(&o, s))) ||
	    (ret = settle(&o, MVGPU_PST_ECC_MODE,
			  read_mode_file(&o, "ecc_mode", MVGPU_PST_ECC_MODE,
					 &s->ecc_mode))) ||
	    (ret = settle(&o, MVGPU_PST_ECC_PENDING,
			  read_mode_file(&o, "ecc_mode_pending",
					 MVGPU_PST_ECC_PENDING,
					 &s->ecc_mode_pending))) ||
	    (ret = settle(&o, MVGPU_PST_ECC_ERRORS,
			  read_kv_file(&o, "ecc_errors", MVGPU_PST_ECC_ERRORS,
				       kv, 4))) ||
	    (ret = settle(&o, MVGPU_PST_RETIRED, read_parent_pages(&o, s))) ||
	    (ret = settle(&o, MVGPU_PST_FB_TOTAL,
			  read_u64_file(&o, "fb_total", MVGPU_PST_FB_TOTAL,
					UINT64_MAX, &s->fb_total))) ||
	    (ret = settle(&o, MVGPU_PST_FB_USABLE,
			  read_u64_file(&o, "fb_usable", MVGPU_PST_FB_USABLE,
					UINT64_MAX, &s->fb_usable))) ||
	    (ret = settle(&o, MVGPU_PST_FB_USED,
			  read_u64_file(&o, "fb_used", MVGPU_PST_FB_USED,
					UINT64_MAX, &s->fb_used))) ||
	    (ret = settle(&o, MVGPU_PST_BUSY,
			  read_u64_file(&o, "busy_ns", MVGPU_PST_BUSY,
					UINT64_MAX, &s->busy_ns))))
		return ret;
	if (s->have & MVGPU_PST_ECC_ERRORS)
		s->ecc = ecc;
	return obj_done(&o);
}

/* Check @parent names an mvgpu parent.  @return 0 or -errno. */
static int check_parent(mvgpu_ctx *ctx, const char *parent)
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

int mvgpu_parent_status(mvgpu_ctx *ctx, const char *parent,
			mvgpu_parent_status_info *out)
{
	int ret;

	if (!out)
		return -EINVAL;
	parent_zero(out);
	if (!ctx || !parent)
		return -EINVAL;
	ret = check_parent(ctx, parent);
	if (ret < 0)
		return ret;
	ret = read_parent(ctx, parent, out);
	if (ret < 0)
		parent_zero(out);
	return ret;
}

int mvgpu_list_parent_status(mvgpu_ctx *ctx, mvgpu_parent_status_list *out)
{
	mvgpu_parent_status_info *nv;
	char path[PATH_MAX], q[64], **names;
	size_t n, i, cap = 0;
	int ret;

	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (!ctx)
		return -EINVAL;
	ret = mvgpu__path(ctx, path, sizeof(path), MDEV_BUS);
	if (ret < 0)
		return ret;
	ret = mvgpu__list_dir(ctx, path, &names, &n);
	if (ret == -ENOENT || ret == -ENOTDIR)
		return 0;
	if (ret < 0)
		return ret;
	for (i = 0; i < n; i++) {
		ret = mvgpu__is_mvgpu_parent(ctx, names[i]);
		if (ret == -ENOMEM)
			goto fail;
		if (ret < 0) {
			mvgpu__quote(q, sizeof(q), names[i]);
			mvgpu__warn(ctx, "skipping parent '%s': %s", q,
				    ctx->err);
			out->skipped++;
			continue;
		}
		if (!ret)
			continue;	/* another driver's */
		if (!mvgpu__valid_id(names[i])) {
			mvgpu__quote(q, sizeof(q), names[i]);
			mvgpu__warn(ctx, "skipping parent '%s': unusable name",
				    q);
			out->skipped++;
			continue;
		}
		if (out->count == cap) {
			cap = cap ? cap * 2 : 4;
			nv = realloc(out->items, cap * sizeof(*nv));
			if (!nv) {
				ret = -ENOMEM;
				goto fail;
			}
			out->items = nv;
		}
		ret = read_parent(ctx, names[i], &out->items[out->count]);
		if (ret < 0)
			goto fail;
		out->count++;
	}
	mvgpu__free_names(names, n);
	return 0;	/* list order: mvgpu__list_dir()'s natural order */
fail:
	mvgpu__free_names(names, n);
	mvgpu_parent_status_list_free(out);
	return ret == -ENOMEM ? mvgpu__err(ctx, ret, "out of memory") : ret;
}

void mvgpu_parent_status_list_free(mvgpu_parent_status_list *list)
{
	if (!list)
		return;
	free(list->items);
	memset(list, 0, sizeof(*list));
}

int mvgpu_retired_pages(mvgpu_ctx *ctx, const char *parent,
			mvgpu_retired_page_list *out)
{
	char path[PATH_MAX];
	int ret;

	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (!ctx || !parent)
		return -EINVAL;
	ret = check_parent(ctx, parent);
	if (ret < 0)
		return ret;
	ret = mvgpu__path(ctx, path, sizeof(path),
			  MDEV_BUS "/%s/mvgpu/retired_pages", parent);
	if (ret < 0)
		return ret;
	ret = read_pages(ctx, path, out);
	if (ret == 0)
		return mvgpu__err(ctx, -ENOENT, "%s: missing (a module without page retirement)",
				  path);
	return ret < 0 ? ret : 0;
}

void mvgpu_retired_page_list_free(mvgpu_retired_page_list *list)
{
	if (!list)
		return;
	free(list->items);
	memset(list, 0, sizeof(*list));
}

/* ---- vGPUs ------------------------------------------------------------- */

/* Its type's framebuffer= (the type's description). */
static int read_vgpu_fb(struct obj *o, mvgpu_vgpu_status_info *s)
{
	char path[PATH_MAX], buf[MVGPU_ATTR_MAX];
	mvgpu_type_info t = { 0 };
	int ret;

	ret = mvgpu__path(o->ctx, path, sizeof(path),
			  MDEV_BUS "/%s/mdev_supported_types/%s/description",
			  s->info.parent, s->info.type_id);
	if (ret < 0)
		return ret;
	ret = read_opt(o->ctx, path, buf, sizeof(buf), 0);
	if (ret <= 0)
		return ret;
	if (mvgpu_parse_description(buf, &t) < 0)
		return malformed(o->ctx, path, buf,
				 "not a type description");
	if (!t.framebuffer)
		return 0;	/* it does not say */
	s->framebuffer = t.framebuffer;
	s->have |= MVGPU_VST_FRAMEBUFFER;
	return 1;
}

static int read_params(struct obj *o, mvgpu_vgpu_status_info *s)
{
	char path[PATH_MAX], buf[MVGPU_PARAMS_MAX], copy[MVGPU_PARAMS_MAX];
	char why[WHY_MAX], *tok, *save = NULL, *eq;
	int frl = -1;
	uint64_t v;
	int ret;

	ret = obj_path(o, "vgpu_params", path, sizeof(path));
	if (ret < 0)
		return ret;
	ret = read_opt(o->ctx, path, buf, sizeof(buf), 0);
	if (ret <= 0)
		return ret;
	memcpy(copy, buf, sizeof(copy));
	for (tok = strtok_r(copy, " \t,", &save); tok;
	     tok = strtok_r(NULL, " \t,", &save)) {
		eq = strchr(tok, '=');
		if (!eq || eq == tok) {
			snprintf(why, sizeof(why), "'%.32s' is not key=value",
				 tok);
			return malformed(o->ctx, path, buf, why);
		}
		*eq = '\0';
		if (strcmp(tok, "frame_rate_limiter"))
			continue;	/* a parameter we show as it is */
		if (mvgpu__parse_u64(eq + 1, 1, &v) < 0)
			return malformed(o->ctx, path, buf,
					 "frame_rate_limiter: expected 0 or 1");
		frl = (int)v;
	}
	strcpy(s->params, buf);
	s->frame_rate_limiter = frl;
	s->have |= MVGPU_VST_PARAMS;
	return 1;
}

static int read_migration_state(struct obj *o, mvgpu_vgpu_status_info *s)
{
	char path[PATH_MAX], buf[32], name[32];
	const char *n;
	uint32_t st;
	size_t i;
	int ret;

	ret = obj_path(o, "migration_state", path, sizeof(path));
	if (ret < 0)
		return ret;
	ret = read_opt(o->ctx, path, buf, sizeof(buf), 0);
	if (ret <= 0)
		return ret;
	for (st = 0; st <= MVGPU_MIG_PRE_COPY_P2P; st++) {
		n = mvgpu_mig_state_name(st);
		for (i = 0; n[i] && i < sizeof(name) - 1; i++)
			name[i] = (char)(n[i] >= 'A' && n[i] <= 'Z' ?
					 n[i] - 'A' + 'a' : n[i]);
		name[i] = '\0';
		if (!strcmp(buf, name)) {
			s->migration_state = (int)st;
			s->have |= MVGPU_VST_MIGRATION;
			return 1;
		}
	}
	return malformed(o->ctx, path, buf, "not a migration state");
}

static int read_ecc_status(struct obj *o, mvgpu_vgpu_status_info *s)
{
	mvgpu_ecc_counts ecc = { 0 };
	uint64_t retired = 0, pending = 0;
	int mode = 0, optout = 0, optout_pending = 0, killed = 0;
	struct kv kv[10];
	int ret;

	kv[0] = (struct kv){ "mode", KV_MODE, 0, NULL, &mode };
	kv[1] = (struct kv){ "optout", KV_BOOL, 0, NULL, &optout };
	kv[2] = (struct kv){ "optout_pending", KV_BOOL, 0, NULL,
			     &optout_pending };
	kv[3] = (struct kv){ "killed", KV_BOOL, 0, NULL, &killed };
	ecc_kv(kv + 4, &ecc);
	kv[8] = (struct kv){ "retired", KV_U64, UINT32_MAX, &retired, NULL };
	kv[9] = (struct kv){ "retired_pending", KV_U64, UINT32_MAX, &pending,
			     NULL };
	ret = read_kv_file(o, "ecc_status", MVGPU_VST_ECC, kv, 10);
	if (ret <= 0)
		return ret;
	s->ecc_mode = mode;
	s->ecc_optout = optout;
	s->ecc_optout_pending = optout_pending;
	s->ecc_killed = killed;
	s->ecc = ecc;
	s->pages_retired = (unsigned)retired;
	s->pages_pending = (unsigned)pending;
	return 1;
}

static void vgpu_zero(mvgpu_vgpu_status_info *s)
{
	memset(s, 0, sizeof(*s));
	s->info.iommu_group = -1;
	s->info.in_use = -1;
	s->frame_rate_limiter = -1;
	s->busy_pct = -1;
}

/* @v: the vGPU as read.  @return the number of bad files, or -ENOMEM. */
static int read_vgpu(mvgpu_ctx *ctx, const mvgpu_vgpu_info *v,
		     mvgpu_vgpu_status_info *s)
{
	struct obj o = { .ctx = ctx, .what = "vGPU" };
	uint64_t channels = 0;
	int ret;

	vgpu_zero(s);
	s->info = *v;
	o.name = s->info.uuid;
	o.have = &s->have;
	o.bad = &s->bad;
	ret = mvgpu__path(ctx, o.dir, sizeof(o.dir), MDEV_DEVICES "/%s/mvgpu",
			  v->uuid);
	if (ret < 0)
		return ret;
	if ((ret = settle(&o, MVGPU_VST_FRAMEBUFFER, read_vgpu_fb(&o, s))) ||
	    (ret = settle(&o, MVGPU_VST_ECC, read_ecc_status(&o, s))) ||
	    (ret = settle(&o, MVGPU_VST_PARAMS, read_params(&o, s))) ||
	    (ret = settle(&o, MVGPU_VST_CHANNELS,
			  read_u64_file(&o, "channels_active",
					MVGPU_VST_CHANNELS, MVGPU_NUM_CHANNELS,
					&channels))) ||
	    (ret = settle(&o, MVGPU_VST_BUSY,
			  read_u64_file(&o, "busy_ns", MVGPU_VST_BUSY,
					UINT64_MAX, &s->busy_ns))) ||
	    (ret = settle(&o, MVGPU_VST_MIGRATION,
			  read_migration_state(&o, s))))
		return ret;
	s->channels_active = (unsigned)channels;
	return obj_done(&o);
}

int mvgpu_vgpu_status(mvgpu_ctx *ctx, const char *uuid,
		      mvgpu_vgpu_status_info *out)
{
	mvgpu_vgpu_info v;
	int ret;

	if (!out)
		return -EINVAL;
	vgpu_zero(out);
	if (!ctx)
		return -EINVAL;
	ret = mvgpu_find_vgpu(ctx, uuid, &v);
	if (ret < 0)
		return ret;
	ret = read_vgpu(ctx, &v, out);
	if (ret < 0) {
		vgpu_zero(out);
		return ret == -ENOMEM ? mvgpu__err(ctx, ret, "out of memory") :
					ret;
	}
	return ret;
}

int mvgpu_list_vgpu_status(mvgpu_ctx *ctx, mvgpu_vgpu_status_list *out)
{
	mvgpu_vgpu_list l;
	size_t i;
	int ret;

	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (!ctx)
		return -EINVAL;
	ret = mvgpu_list_vgpus(ctx, &l);
	if (ret < 0)
		return ret;
	out->skipped = l.skipped;
	if (!l.count)
		return 0;
	out->items = calloc(l.count, sizeof(*out->items));
	if (!out->items) {
		mvgpu_vgpu_list_free(&l);
		memset(out, 0, sizeof(*out));
		return mvgpu__err(ctx, -ENOMEM, "out of memory");
	}
	for (i = 0; i < l.count; i++) {
		ret = read_vgpu(ctx, &l.items[i], &out->items[i]);
		if (ret < 0) {
			mvgpu_vgpu_list_free(&l);
			mvgpu_vgpu_status_list_free(out);
			return ret == -ENOMEM ?
			       mvgpu__err(ctx, ret, "out of memory") : ret;
		}
		out->count++;
	}
	mvgpu_vgpu_list_free(&l);
	return 0;
}

void mvgpu_vgpu_status_list_free(mvgpu_vgpu_status_list *list)
{
	if (!list)
		return;
	free(list->items);
	memset(list, 0, sizeof(*list));
}

/* ---- busy % ------------------------------------------------------------ */

double mvgpu_busy_percent(uint64_t busy0, uint64_t wall0, uint64_t busy1,
			  uint64_t wall1)
{
	double pct;

	if (wall1 <= wall0 || busy1 < busy0)
		return -1;
	pct = 100.0 * (double)(busy1 - busy0) / (double)(wall1 - wall0);
	return pct > 100 ? 100 : pct;
}

static uint64_t clock_now(mvgpu_ctx *ctx)
{
	struct timespec ts;

	if (ctx->has_clock)
		return ctx->clock.now_ns(ctx->clock.opaque);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cancelled(mvgpu_ctx *ctx)
{
	return ctx->cancel && *ctx->cancel;
}

/* Wait @ns, in slices of at most 50 ms to notice the cancel flag. */
static int clock_wait(mvgpu_ctx *ctx, uint64_t ns)
{
	uint64_t end, now, slice;
	struct timespec ts;
	int ret;

	if (ctx->has_clock) {
		ret = ctx->clock.sleep_ns(ctx->clock.opaque, ns);
		if (ret)
			return ret < 0 ? ret : -EINTR;
		return cancelled(ctx) ? -ECANCELED : 0;
	}
	end = clock_now(ctx) + ns;
	for (;;) {
		if (cancelled(ctx))
			return -ECANCELED;
		now = clock_now(ctx);
		if (now >= end)
			return 0;
		slice = end - now < 50000000ull ? end - now : 50000000ull;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)slice;
		nanosleep(&ts, NULL);	/* EINTR: look at the flag again */
	}
}

/* One counter being sampled: an entry of either list. */
struct probe {
	char path[PATH_MAX];
	uint64_t busy0, wall0;
	uint64_t *busy_ns;
	double *pct;
	unsigned *have, *bad, bit;
	const char *what, *name;
	int ok;
};

/* Read @p's counter.  @return 0 and *@v, or -1 (gone, or malformed:
 * reported). */
static int probe_read(mvgpu_ctx *ctx, struct probe *p, uint64_t *v)
{
	char buf[64];
	int ret = read_opt(ctx, p->path, buf, sizeof(buf), 0);

	if (ret > 0 && mvgpu__parse_u64(buf, UINT64_MAX, v) == 0)
		return 0;
	if (ret > 0)
		ret = malformed(ctx, p->path, buf, "not a decimal number");
	if (ret < 0) {
		*p->have &= ~p->bit;
		*p->bad |= p->bit;
		mvgpu__warn(ctx, "%s %s: %s", p->what, p->name, ctx->err);
	}
	return -1;
}

int mvgpu_status_sample(mvgpu_ctx *ctx, unsigned interval_ms,
			mvgpu_parent_status_list *parents,
			mvgpu_vgpu_status_list *vgpus)
{
	size_t np = parents ? parents->count : 0, nv = vgpus ? vgpus->count : 0;
	struct probe *pr;
	size_t i, n = 0;
	uint64_t v;
	int ret = 0;

	if (!ctx || !interval_ms || interval_ms > 60000)
		return -EINVAL;
	if (np + nv == 0)
		return 0;
	pr = calloc(np + nv, sizeof(*pr));
	if (!pr)
		return mvgpu__err(ctx, -ENOMEM, "out of memory");
	for (i = 0; i < np; i++) {
		mvgpu_parent_status_info *s = &parents->items[i];

		s->busy_pct = -1;
		if (!(s->have & MVGPU_PST_BUSY) ||
		    mvgpu__path(ctx, pr[n].path, sizeof(pr[n].path),
				MDEV_BUS "/%s/mvgpu/busy_ns", s->parent) < 0)
			continue;
		pr[n].busy_ns = &s->busy_ns;
		pr[n].pct = &s->busy_pct;
		pr[n].have = &s->have;
		pr[n].bad = &s->bad;
		pr[n].bit = MVGPU_PST_BUSY;
		pr[n].what = "parent";
		pr[n].name = s->parent;
		n++;
	}
	for (i = 0; i < nv; i++) {
		mvgpu_vgpu_status_info *s = &vgpus->items[i];

		s->busy_pct = -1;
		if (!(s->have & MVGPU_VST_BUSY) ||
		    mvgpu__path(ctx, pr[n].path, sizeof(pr[n].path),
				MDEV_DEVICES "/%s/mvgpu/busy_ns",
				s->info.uuid) < 0)
			continue;
		pr[n].busy_ns = &s->busy_ns;
		pr[n].pct = &s->busy_pct;
		pr[n].have = &s->have;
		pr[n].bad = &s->bad;
		pr[n].bit = MVGPU_VST_BUSY;
		pr[n].what = "vGPU";
		pr[n].name = s->info.uuid;
		n++;
	}
	if (!n)
		goto out;	/* nothing counts busy time: no wait */
	for (i = 0; i < n; i++) {
		pr[i].ok = probe_read(ctx, &pr[i], &pr[i].busy0) == 0;
		pr[i].wall0 = clock_now(ctx);
	}
	ret = clock_wait(ctx, (uint64_t)interval_ms * 1000000ull);
	if (ret < 0) {
		mvgpu__err(ctx, ret, "busy %% sample: %s",
			   ret == -ECANCELED ? "cancelled" : strerror(-ret));
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (!pr[i].ok || probe_read(ctx, &pr[i], &v) < 0)
			continue;
		*pr[i].pct = mvgpu_busy_percent(pr[i].busy0, pr[i].wall0, v,
						clock_now(ctx));
		*pr[i].busy_ns = v;
	}
out:
	free(pr);
	return ret;
}
