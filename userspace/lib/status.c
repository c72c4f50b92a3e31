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
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define MDEV_BUS      "/class/mdev_bus"
#define MDEV_DEVICES  "/bus/mdev/devices"
#define WHY_MAX       128
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

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

int mvgpu__malformed(mvgpu_ctx *ctx, const char *path, const char *content,
		     const char *why)
{
	char q[64];

	mvgpu__quote(q, sizeof(q), content);
	return mvgpu__err(ctx, -EBADMSG, "%s: malformed: '%s' (%s)", path, q,
			  why);
}

int mvgpu__read_opt(mvgpu_ctx *ctx, const char *path, char *buf, size_t len,
		    int multiline)
{
	int ret;

	ret = multiline ? mvgpu__read_text(ctx, path, buf, len) :
			  mvgpu__read_attr(ctx, path, buf, len);
	if (ret == -ENOENT || ret == -ENOTDIR)
		return 0;
	return ret < 0 ? ret : 1;
}

/* The file of @bit of @what @name is unusable (ctx->err says why): mark
 * it bad and warn. */
static void report_bad(mvgpu_ctx *ctx, unsigned *have, unsigned *bad,
		       unsigned bit, const char *what, const char *name)
{
	*have &= ~bit;
	*bad |= bit;
	mvgpu__warn(ctx, "%s %s: %s", what, name, ctx->err);
}

/* Settle the outcome @ret of reading the file of @bit: a file read (1) is
 * had, a bad one is marked and reported.  @return -ENOMEM (give up), else
 * 0. */
static int settle(struct obj *o, unsigned bit, int ret)
{
	if (ret == -ENOMEM)
		return ret;
	if (ret > 0)
		*o->have |= bit;
	if (ret >= 0)
		return 0;
	o->nbad++;
	snprintf(o->last, sizeof(o->last), "%s", o->ctx->err);
	report_bad(o->ctx, o->have, o->bad, bit, o->what, o->name);
	return 0;
}

/* After reading them all: ctx->err names the last bad file, or is empty. */
static int obj_done(struct obj *o)
{
	memcpy(o->ctx->err, o->last, sizeof(o->last));
	return o->nbad;
}

/* Read @o's @file into @buf; @path (PATH_MAX bytes) gets its path.
 * @return 1; 0 (missing); -errno. */
static int obj_read(struct obj *o, const char *file, char *path, char *buf,
		    size_t len)
{
	int ret = obj_path(o, file, path, PATH_MAX);

	return ret < 0 ? ret : mvgpu__read_opt(o->ctx, path, buf, len, 0);
}

/* The decimal file @path, <= @max.  @return 1, 0 (missing), -errno. */
static int read_number(mvgpu_ctx *ctx, const char *path, uint64_t max,
		       uint64_t *out)
{
	char buf[64], why[WHY_MAX];
	uint64_t v;
	int ret;

	ret = mvgpu__read_opt(ctx, path, buf, sizeof(buf), 0);
	if (ret <= 0)
		return ret;
	if (mvgpu__parse_u64(buf, max, &v) < 0) {
		if (max == UINT64_MAX)
			snprintf(why, sizeof(why), "not a decimal number");
		else
			snprintf(why, sizeof(why), "not a decimal number <= %llu",
				 (unsigned long long)max);
		return mvgpu__malformed(ctx, path, buf, why);
	}
	*out = v;
	return 1;
}

/* @s is the word @w0 (*@out 0) or @w1 (1).  @return 0, or -EBADMSG. */
static int parse_word(const char *s, const char *w0, const char *w1,
		      int *out)
{
	if (!strcmp(s, w0))
		*out = 0;
	else if (!strcmp(s, w1))
		*out = 1;
	else
		return -EBADMSG;
	return 0;
}

static int parse_mode(const char *s, int *out)
{
	return parse_word(s, "disabled", "enabled", out);
}

/* ---- the files, table-driven ------------------------------------------- */

/* A status file of a parent or vGPU, and how it is read into a member of
 * its status struct (mvgpu_parent_status_info, mvgpu_vgpu_status_info). */
struct field {
	const char *file;
	unsigned bit;
	/* @return 1 (read), 0 (missing), -errno (ctx->err says why) */
	int (*read)(struct obj *o, const struct field *f, void *s);
	size_t off;		/* the member's offset */
	uint64_t max;		/* read_u64(), read_uint() */
};

#define MEMBER(s, f, type) ((type *)((char *)(s) + (f)->off))

/* Read the files @f[@n] of @o, in @dir/<its name>/mvgpu, into @s
 * (settle() each).  @return the number of bad files, or -errno. */
static int read_fields(struct obj *o, const char *dir, const struct field *f,
		       size_t n, void *s)
{
	size_t i;
	int ret;

	ret = mvgpu__path(o->ctx, o->dir, sizeof(o->dir), "%s/%s/mvgpu", dir,
			  o->name);
	if (ret < 0)
		return ret;
	for (i = 0; i < n; i++) {
		ret = settle(o, f[i].bit, f[i].read(o, &f[i], s));
		if (ret)
			return ret;
	}
	return obj_done(o);
}

static int field_number(struct obj *o, const struct field *f, uint64_t *v)
{
	char path[PATH_MAX];
	int ret = obj_path(o, f->file, path, sizeof(path));

	return ret < 0 ? ret : read_number(o->ctx, path, f->max, v);
}

/* A decimal file into a uint64_t member. */
static int read_u64(struct obj *o, const struct field *f, void *s)
{
	return field_number(o, f, MEMBER(s, f, uint64_t));
}

/* A decimal file (@max fits) into an unsigned member. */
static int read_uint(struct obj *o, const struct field *f, void *s)
{
	uint64_t v;
	int ret = field_number(o, f, &v);

	if (ret > 0)
		*MEMBER(s, f, unsigned) = (unsigned)v;
	return ret;
}

/* "enabled" / "disabled" into an int member. */
static int read_mode(struct obj *o, const struct field *f, void *s)
{
	char path[PATH_MAX], buf[32];
	int ret;

	ret = obj_read(o, f->file, path, buf, sizeof(buf));
	if (ret <= 0)
		return ret;
	if (parse_mode(buf, MEMBER(s, f, int)) < 0)
		return mvgpu__malformed(o->ctx, path, buf,
					"expected enabled or disabled");
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

/* The next key=value item of @s (modified; NULL after the first call, as
 * strtok_r()), items separated by any of @seps.  @return 1 (*@key,
 * *@val), 0 (no more), or -EBADMSG with @why. */
static int next_kv(char *s, const char *seps, char **save, char **key,
		   char **val, char *why, size_t whylen)
{
	char *tok = strtok_r(s, seps, save), *eq;

	if (!tok)
		return 0;
	eq = strchr(tok, '=');
	if (!eq || eq == tok) {
		snprintf(why, whylen, "'%.32s' is not key=value", tok);
		return -EBADMSG;
	}
	*eq = '\0';
	*key = tok;
	*val = eq + 1;
	return 1;
}

/* Parse the key=value items of @s (modified), separated by any of @seps.
 * Unknown keys are ignored; each of @kv must come exactly once.
 * @return 0, or -EBADMSG with @why. */
static int parse_kv(char *s, const char *seps, const struct kv *kv, size_t n,
		    char *why, size_t whylen)
{
	unsigned long seen = 0;
	char *save = NULL, *key, *val;
	uint64_t v;
	size_t i;
	int ret;

	for (; (ret = next_kv(s, seps, &save, &key, &val, why, whylen)) > 0;
	     s = NULL) {
		for (i = 0; i < n; i++)
			if (!strcmp(kv[i].key, key))
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
			if (mvgpu__parse_u64(val, kv[i].max, &v) < 0)
				goto bad_value;
			*kv[i].u = v;
			break;
		case KV_BOOL:
			if (mvgpu__parse_u64(val, 1, &v) < 0)
				goto bad_value;
			*kv[i].i = (int)v;
			break;
		case KV_MODE:
			if (parse_mode(val, kv[i].i) < 0)
				goto bad_value;
			break;
		}
		continue;
bad_value:
		snprintf(why, whylen, "%s=%.32s: %s", kv[i].key, val,
			 kv[i].kind == KV_U64 ? "not a decimal number" :
			 kv[i].kind == KV_BOOL ? "expected 0 or 1" :
			 "expected enabled or disabled");
		return -EBADMSG;
	}
	if (ret < 0)
		return ret;
	for (i = 0; i < n; i++)
		if (!(seen & (1ul << i))) {
			snprintf(why, whylen, "no %s", kv[i].key);
			return -EBADMSG;
		}
	return 0;
}

/* Read and parse a one-line key=value file.  @return 1, 0, -errno. */
static int read_kv_file(struct obj *o, const char *file, const struct kv *kv,
			size_t n)
{
	char path[PATH_MAX], buf[MVGPU_ATTR_MAX], copy[MVGPU_ATTR_MAX];
	char why[WHY_MAX];
	int ret;

	ret = obj_read(o, file, path, buf, sizeof(buf));
	if (ret <= 0)
		return ret;
	memcpy(copy, buf, sizeof(copy));
	if (parse_kv(copy, " \t", kv, n, why, sizeof(why)) < 0)
		return mvgpu__malformed(o->ctx, path, buf, why);
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

/* A parent's ecc_errors into a mvgpu_ecc_counts member. */
static int read_ecc_errors(struct obj *o, const struct field *f, void *s)
{
	mvgpu_ecc_counts ecc = { 0 };
	struct kv kv[4];
	int ret;

	ecc_kv(kv, &ecc);
	ret = read_kv_file(o, f->file, kv, 4);
	if (ret > 0)
		*MEMBER(s, f, mvgpu_ecc_counts) = ecc;
	return ret;
}

/* ---- parents ----------------------------------------------------------- */

int mvgpu__is_pci_name(const char *s)
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

/* Its "subsystem" link names the bus; without one (fake trees), its
 * device lives under /devices/pci<domain>:<bus>/. */
void mvgpu__parent_bus_id(mvgpu_ctx *ctx, const char *parent, char *out,
			  size_t len)
{
	char path[PATH_MAX], link[PATH_MAX], *real, *base;
	ssize_t n;
	int pci;

	out[0] = '\0';
	if (!mvgpu__is_pci_name(parent) || strlen(parent) >= len ||
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

	if (mvgpu__list_parent_types(ctx, parent, &types, &nt) < 0)
		return 0;
	for (i = 0; i < nt; i++) {
		if (!mvgpu__is_mvgpu_type_id(types[i]) ||
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
	if (parse_word(tok[1], "sbe", "dbe", &p->dbe) < 0) {
		snprintf(why, whylen, "cause '%.16s': expected sbe or dbe",
			 tok[1]);
		return -EBADMSG;
	}
	if (parse_word(tok[2], "retired", "pending", &p->pending) < 0) {
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
		nv = mvgpu__grow(l->items, l->count, &cap, sizeof(*nv), 16);
		if (!nv) {
			mvgpu_retired_page_list_free(l);
			return -ENOMEM;
		}
		l->items = nv;
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
	ret = mvgpu__read_opt(ctx, path, buf, sizeof(buf), 1);
	if (ret <= 0)
		return ret;
	memcpy(copy, buf, sizeof(copy));
	ret = parse_pages(copy, l, why, sizeof(why));
	if (ret == -EBADMSG)
		return mvgpu__malformed(ctx, path, buf, why);
	if (ret < 0)
		return mvgpu__err(ctx, ret, "out of memory");
	return 1;
}

static int read_parent_pages(struct obj *o, const struct field *f, void *sp)
{
	mvgpu_parent_status_info *s = sp;
	mvgpu_retired_page_list l;
	char path[PATH_MAX];
	size_t i;
	int ret;

	ret = obj_path(o, f->file, path, sizeof(path));
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
	return 1;
}

/* A lower-case name into a char[MVGPU_MEMORY_KIND_MAX] member. */
static int read_memory_kind(struct obj *o, const struct field *f, void *s)
{
	char path[PATH_MAX], buf[MVGPU_MEMORY_KIND_MAX];
	size_t n;
	int ret;

	ret = obj_read(o, f->file, path, buf, sizeof(buf));
	if (ret <= 0)
		return ret;
	n = strspn(buf, "abcdefghijklmnopqrstuvwxyz0123456789_");
	if (!n || buf[n])
		return mvgpu__malformed(o->ctx, path, buf,
					"expected a name such as hbm or ddr");
	strcpy(MEMBER(s, f, char), buf);
	return 1;
}

#define PST(m) offsetof(mvgpu_parent_status_info, m)

/* In the order read (and reported). */
static const struct field parent_fields[] = {
	{ "memory_kind", MVGPU_PST_MEMORY_KIND, read_memory_kind,
	  PST(memory_kind), 0 },
	{ "ecc_mode", MVGPU_PST_ECC_MODE, read_mode, PST(ecc_mode), 0 },
	{ "ecc_mode_pending", MVGPU_PST_ECC_PENDING, read_mode,
	  PST(ecc_mode_pending), 0 },
	{ "ecc_errors", MVGPU_PST_ECC_ERRORS, read_ecc_errors, PST(ecc), 0 },
	{ "retired_pages", MVGPU_PST_RETIRED, read_parent_pages, 0, 0 },
	{ "fb_total", MVGPU_PST_FB_TOTAL, read_u64, PST(fb_total), UINT64_MAX },
	{ "fb_usable", MVGPU_PST_FB_USABLE, read_u64, PST(fb_usable),
	  UINT64_MAX },
	{ "fb_used", MVGPU_PST_FB_USED, read_u64, PST(fb_used), UINT64_MAX },
	{ "busy_ns", MVGPU_PST_BUSY, read_u64, PST(busy_ns), UINT64_MAX },
};

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
	struct obj o = { .ctx = ctx, .what = "parent", .name = parent,
			 .have = &s->have, .bad = &s->bad };

	parent_zero(s);
	strcpy(s->parent, parent);	/* a valid id: fits */
	mvgpu__parent_bus_id(ctx, parent, s->bus_id, sizeof(s->bus_id));
	s->vgpus = count_vgpus(ctx, parent);
	return read_fields(&o, MDEV_BUS, parent_fields,
			   ARRAY_SIZE(parent_fields), s);
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
	ret = mvgpu__check_parent(ctx, parent);
	if (ret < 0)
		return ret;
	ret = read_parent(ctx, parent, out);
	if (ret < 0)
		parent_zero(out);
	return ret;
}

int mvgpu__parent_entry(mvgpu_ctx *ctx, const char *name)
{
	char q[64];
	int ret;

	ret = mvgpu__is_mvgpu_parent(ctx, name);
	if (ret == -ENOMEM)
		return ret;
	if (ret < 0) {
		mvgpu__quote(q, sizeof(q), name);
		mvgpu__warn(ctx, "skipping parent '%s': %s", q, ctx->err);
		return MVGPU__SKIPPED;
	}
	if (!ret)
		return MVGPU__IGNORE;	/* another driver's */
	if (!mvgpu__valid_id(name)) {
		mvgpu__quote(q, sizeof(q), name);
		mvgpu__warn(ctx, "skipping parent '%s': unusable name", q);
		return MVGPU__SKIPPED;
	}
	return MVGPU__KEEP;
}

/* mvgpu__collect()'s reader of a class/mdev_bus entry. */
static int collect_parent(mvgpu_ctx *ctx, const char *name, void *item)
{
	int ret = mvgpu__parent_entry(ctx, name);

	if (ret != MVGPU__KEEP)
		return ret;
	ret = read_parent(ctx, name, item);
	return ret < 0 ? ret : MVGPU__KEEP;
}

int mvgpu_list_parent_status(mvgpu_ctx *ctx, mvgpu_parent_status_list *out)
{
	void *items;
	int ret;

	if (!out)
		return -EINVAL;
	/* list order: mvgpu__list_dir()'s natural order */
	ret = mvgpu__collect(ctx, MDEV_BUS, sizeof(*out->items), 4,
			     collect_parent, &items, &out->count,
			     &out->skipped);
	out->items = items;
	return ret;
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
	ret = mvgpu__check_parent(ctx, parent);
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

/* Its type's framebuffer= (the type's description, not a file of its
 * own). */
static int read_vgpu_fb(struct obj *o, const struct field *f, void *sp)
{
	mvgpu_vgpu_status_info *s = sp;
	char path[PATH_MAX], buf[MVGPU_ATTR_MAX];
	mvgpu_type_info t = { 0 };
	int ret;

	ret = mvgpu__path(o->ctx, path, sizeof(path),
			  MDEV_BUS "/%s/mdev_supported_types/%s/description",
			  s->info.parent, s->info.type_id);
	if (ret < 0)
		return ret;
	ret = mvgpu__read_opt(o->ctx, path, buf, sizeof(buf), 0);
	if (ret <= 0)
		return ret;
	if (mvgpu_parse_description(buf, &t) < 0)
		return mvgpu__malformed(o->ctx, path, buf,
					"not a type description");
	if (!t.framebuffer)
		return 0;	/* it does not say */
	*MEMBER(s, f, uint64_t) = t.framebuffer;
	return 1;
}

static int read_params(struct obj *o, const struct field *f, void *sp)
{
	mvgpu_vgpu_status_info *s = sp;
	char path[PATH_MAX], buf[MVGPU_PARAMS_MAX], copy[MVGPU_PARAMS_MAX];
	char why[WHY_MAX], *next, *save = NULL, *key, *val;
	int frl = -1;
	uint64_t v;
	int ret;

	ret = obj_read(o, f->file, path, buf, sizeof(buf));
	if (ret <= 0)
		return ret;
	memcpy(copy, buf, sizeof(copy));
	for (next = copy; (ret = next_kv(next, " \t,", &save, &key, &val, why,
					 sizeof(why))) > 0; next = NULL) {
		if (strcmp(key, "frame_rate_limiter"))
			continue;	/* a parameter we show as it is */
		if (mvgpu__parse_u64(val, 1, &v) < 0)
			return mvgpu__malformed(o->ctx, path, buf,
						"frame_rate_limiter: expected 0 or 1");
		frl = (int)v;
	}
	if (ret < 0)
		return mvgpu__malformed(o->ctx, path, buf, why);
	strcpy(s->params, buf);
	s->frame_rate_limiter = frl;
	return 1;
}

/* An MVGPU_MIG_* state, by its lower-case name, into an int member. */
static int read_migration_state(struct obj *o, const struct field *f,
				void *s)
{
	char path[PATH_MAX], buf[32], name[32];
	const char *n;
	uint32_t st;
	size_t i;
	int ret;

	ret = obj_read(o, f->file, path, buf, sizeof(buf));
	if (ret <= 0)
		return ret;
	for (st = 0; st <= MVGPU_MIG_PRE_COPY_P2P; st++) {
		n = mvgpu_mig_state_name(st);
		for (i = 0; n[i] && i < sizeof(name) - 1; i++)
			name[i] = (char)(n[i] >= 'A' && n[i] <= 'Z' ?
					 n[i] - 'A' + 'a' : n[i]);
		name[i] = '\0';
		if (!strcmp(buf, name)) {
			*MEMBER(s, f, int) = (int)st;
			return 1;
		}
	}
	return mvgpu__malformed(o->ctx, path, buf, "not a migration state");
}

static int read_ecc_status(struct obj *o, const struct field *f, void *sp)
{
	mvgpu_vgpu_status_info *s = sp;
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
	ret = read_kv_file(o, f->file, kv, 10);
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

#define VST(m) offsetof(mvgpu_vgpu_status_info, m)

/* In the order read (and reported). */
static const struct field vgpu_fields[] = {
	{ NULL, MVGPU_VST_FRAMEBUFFER, read_vgpu_fb, VST(framebuffer), 0 },
	{ "ecc_status", MVGPU_VST_ECC, read_ecc_status, 0, 0 },
	{ "vgpu_params", MVGPU_VST_PARAMS, read_params, 0, 0 },
	{ "channels_active", MVGPU_VST_CHANNELS, read_uint,
	  VST(channels_active), MVGPU_NUM_CHANNELS },
	{ "busy_ns", MVGPU_VST_BUSY, read_u64, VST(busy_ns), UINT64_MAX },
	{ "migration_state", MVGPU_VST_MIGRATION, read_migration_state,
	  VST(migration_state), 0 },
};

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
	struct obj o = { .ctx = ctx, .what = "vGPU", .name = s->info.uuid,
			 .have = &s->have, .bad = &s->bad };

	vgpu_zero(s);
	s->info = *v;
	return read_fields(&o, MDEV_DEVICES, vgpu_fields,
			   ARRAY_SIZE(vgpu_fields), s);
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

/* @p (its members but the path filled) for the busy_ns of @p->name under
 * @dir, if it has one (its @bit in @have).  @return 1 (@p is to be
 * sampled), 0. */
static int probe_init(mvgpu_ctx *ctx, struct probe *p, const char *dir)
{
	*p->pct = -1;
	return (*p->have & p->bit) &&
	       mvgpu__path(ctx, p->path, sizeof(p->path), "%s/%s/mvgpu/busy_ns",
			   dir, p->name) == 0;
}

/* Read @p's counter.  @return 0 and *@v, or -1 (gone, or malformed:
 * reported). */
static int probe_read(mvgpu_ctx *ctx, struct probe *p, uint64_t *v)
{
	int ret = read_number(ctx, p->path, UINT64_MAX, v);

	if (ret > 0)
		return 0;
	if (ret < 0)
		report_bad(ctx, p->have, p->bad, p->bit, p->what, p->name);
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

		pr[n] = (struct probe){ .busy_ns = &s->busy_ns,
			.pct = &s->busy_pct, .have = &s->have, .bad = &s->bad,
			.bit = MVGPU_PST_BUSY, .what = "parent",
			.name = s->parent };
		n += probe_init(ctx, &pr[n], MDEV_BUS);
	}
	for (i = 0; i < nv; i++) {
		mvgpu_vgpu_status_info *s = &vgpus->items[i];

		pr[n] = (struct probe){ .busy_ns = &s->busy_ns,
			.pct = &s->busy_pct, .have = &s->have, .bad = &s->bad,
			.bit = MVGPU_VST_BUSY, .what = "vGPU",
			.name = s->info.uuid };
		n += probe_init(ctx, &pr[n], MDEV_DEVICES);
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
