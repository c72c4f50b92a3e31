// SPDX-License-Identifier: GPL-2.0
/*
 * retire.c - the retired-pages file: what NVIDIA keeps in a GPU's InfoROM.
 *
 * With the module parameter retired_pages_file=PATH (absolute), the retired
 * pages and aggregate ECC counters of every parent are kept in PATH, a text
 * file the module reads when a parent appears and rewrites (in a work item,
 * never under a lock a guest can reach) after each retirement and at
 * unload:
 *
 *	# mvgpu retired pages 1
 *	<parent> page 0x<pool page> sbe|dbe
 *	<parent> ecc sbe=<aggregate> dbe=<aggregate>
 *
 * <parent> is the parent's device name (a PCI address, or mvgpuN).
 *
 * Nothing is ever lost by a rewrite: lines of parents that are not here
 * now, and pages a parent could not take (beyond a pool made smaller), are
 * written back as they were.  A rewrite goes to PATH.new first and then to
 * PATH, each synced, and a load takes the union of both, so a crash at any
 * point leaves one whole copy.  A file that could not be read is never
 * rewritten.  The file is root's, as the parameter is, but its content is
 * still checked: malformed lines are skipped and counted in one warning;
 * only regular files are read or written, and no symlink is followed.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/slab.h>
#include <linux/stdarg.h>
#include <linux/string.h>
#include <linux/workqueue.h>

#include "mvgpu.h"

#define RETIRED_HEADER		"# mvgpu retired pages 1\n"
#define RETIRED_FILE_MAX	(4 << 20)
#define RETIRED_LINE_MAX	96
#define RETIRED_NAME_MAX	48

/* A load failed for another reason than a missing file: never rewrite. */
static bool retired_unreadable;

struct retired_line {
	char name[RETIRED_NAME_MAX];
	bool is_page;
	unsigned long page;
	bool dbe;
	unsigned long long sbe_agg, dbe_agg;
};

typedef void (*retired_line_fn)(void *ctx, struct retired_line *l);

/* Parses one line; false for a blank, comment or malformed one. */
static bool parse_line(const char *line, struct retired_line *l,
		       bool *malformed)
{
	char kind[8];
	int n = 0;

	*malformed = false;
	line = skip_spaces(line);
	if (!*line || *line == '#')
		return false;
	if (sscanf(line, "%47s %n", l->name, &n) != 1 || !n) {
		*malformed = true;
		return false;
	}
	line += n;
	if (sscanf(line, "page %li %7s", &l->page, kind) == 2 &&
	    (!strcmp(kind, "sbe") || !strcmp(kind, "dbe"))) {
		l->is_page = true;
		l->dbe = kind[0] == 'd';
		return true;
	}
	if (sscanf(line, "ecc sbe=%llu dbe=%llu", &l->sbe_agg,
		   &l->dbe_agg) == 2) {
		l->is_page = false;
		return true;
	}
	*malformed = true;
	return false;
}

/*
 * File @path whole, NUL-terminated, complete lines only (kvfree() it), or
 * NULL: absent (*err 0) or unreadable (*err < 0, said in the log).
 */
static char *read_file(const char *path, int *err)
{
	struct file *f;
	loff_t pos = 0, size;
	size_t len = 0;
	char *text, *end;
	ssize_t n;

	*err = 0;
	f = filp_open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK, 0);
	if (IS_ERR(f)) {
		if (PTR_ERR(f) != -ENOENT)
			*err = PTR_ERR(f);
		goto fail;
	}
	if (!S_ISREG(file_inode(f)->i_mode)) {
		*err = -EINVAL;
		goto close;
	}
	size = i_size_read(file_inode(f));
	if (size > RETIRED_FILE_MAX) {
		*err = -EFBIG;
		goto close;
	}
	text = kvmalloc(size + 1, GFP_KERNEL);
	if (!text) {
		*err = -ENOMEM;
		goto close;
	}
	while (len < size) {
		n = kernel_read(f, text + len, size - len, &pos);
		if (n < 0) {
			*err = n;
			kvfree(text);
			goto close;
		}
		if (!n)
			break;
		len += n;
	}
	filp_close(f, NULL);
	/* a cut last line is no line */
	text[len] = '\0';
	end = strrchr(text, '\n');
	if (end)
		end[1] = '\0';
	else
		text[0] = '\0';
	return text;

close:
	filp_close(f, NULL);
fail:
	if (*err)
		pr_warn("cannot read %s: %d; it will not be rewritten\n", path,
			*err);
	return NULL;
}

/* PATH.new, the first copy a rewrite makes. */
static char *new_path(void)
{
	return kasprintf(GFP_KERNEL, "%s.new", mvgpu_retired_pages_file);
}

/*
 * Calls @fn on each well-formed line of PATH and PATH.new; counts the
 * malformed ones.  Returns 0, or a read error (then nothing was called).
 */
static int scan_lines(retired_line_fn fn, void *ctx,
			 unsigned int *malformed)
{
	char *paths[2] = { mvgpu_retired_pages_file, new_path() };
	char *text[2] = { NULL, NULL }, *cur, *line;
	struct retired_line l;
	int i, err = 0, e;
	bool bad;

	if (!paths[1])
		return -ENOMEM;
	for (i = 0; i < 2 && !err; i++) {
		text[i] = read_file(paths[i], &e);
		err = e;
	}
	for (i = 0; i < 2 && !err; i++) {
		cur = text[i];
		while (cur && (line = strsep(&cur, "\n"))) {
			if (parse_line(line, &l, &bad))
				fn(ctx, &l);
			else if (bad)
				(*malformed)++;
			cond_resched();
		}
	}
	kvfree(text[0]);
	kvfree(text[1]);
	kfree(paths[1]);
	return err;
}

struct load_ctx {
	struct mvgpu_parent *parent;
	unsigned int beyond;
};

static void load_one(void *ctx, struct retired_line *l)
{
	struct load_ctx *c = ctx;
	struct mvgpu_parent *parent = c->parent;

	if (strcmp(l->name, dev_name(parent->dev)))
		return;
	if (!l->is_page) {
		/* two copies: the larger counts are the later ones */
		parent->ecc.sbe_agg = max(parent->ecc.sbe_agg, l->sbe_agg);
		parent->ecc.dbe_agg = max(parent->ecc.dbe_agg, l->dbe_agg);
		return;
	}
	if (l->page >= parent->pool_pages) {
		c->beyond++;
		return;
	}
	if (mvgpu_pool_retire(parent, l->page, l->dbe, false) < 0)
		c->beyond++;	/* could not be recorded: kept in the file */
}

/**
 * mvgpu_retired_load() - a new parent's retired pages and counters.
 * @parent: the parent, pool initialised, no vGPUs yet.
 */
void mvgpu_retired_load(struct mvgpu_parent *parent)
{
	struct load_ctx c = { .parent = parent };
	unsigned int malformed = 0;
	int err;

	if (!mvgpu_retired_pages_file || !*mvgpu_retired_pages_file)
		return;
	mutex_lock(&parent->lock);
	err = scan_lines(load_one, &c, &malformed);
	mutex_unlock(&parent->lock);
	if (err) {
		retired_unreadable = true;
		return;
	}
	if (malformed)
		dev_warn(parent->dev, "%s: %u malformed line(s) skipped\n",
			 mvgpu_retired_pages_file, malformed);
	if (c.beyond)
		dev_warn(parent->dev,
			 "%s: %u retired page(s) beyond the pool: skipped, kept in the file\n",
			 mvgpu_retired_pages_file, c.beyond);
	if (parent->nr_retired)
		dev_info(parent->dev, "%lu retired page(s) from %s\n",
			 parent->nr_retired, mvgpu_retired_pages_file);
}

struct out {
	char *buf;
	size_t len, room;
	bool full;
};

static __printf(2, 3) void out_line(struct out *o, const char *fmt, ...)
{
	va_list ap;

	if (o->room - o->len < RETIRED_LINE_MAX) {
		o->full = true;
		return;
	}
	va_start(ap, fmt);
	o->len += vscnprintf(o->buf + o->len, o->room - o->len, fmt, ap);
	va_end(ap);
}

static struct mvgpu_parent *parent_named(const char *name)
{
	struct mvgpu_parent *parent;

	list_for_each_entry(parent, &mvgpu_parents, node)
		if (!strcmp(dev_name(parent->dev), name))
			return parent;
	return NULL;
}

/* Lines the module holds no better version of: kept as they are. */
static void keep_line(void *ctx, struct retired_line *l)
{
	struct mvgpu_parent *parent = parent_named(l->name);
	struct out *o = ctx;

	if (parent && !l->is_page)
		return;			/* its counters: written below */
	if (parent && l->page < parent->pool_pages &&
	    (mvgpu_pool_page_flags(parent, l->page) & MVGPU_PG_RETIRED))
		return;			/* retired here: written below */
	/* as parsed, not as read: trailing text after the fields goes */
	if (l->is_page)
		out_line(o, "%s page %#lx %s\n", l->name, l->page,
			 l->dbe ? "dbe" : "sbe");
	else
		out_line(o, "%s ecc sbe=%llu dbe=%llu\n", l->name, l->sbe_agg,
			 l->dbe_agg);
}

static void dump_parent(struct mvgpu_parent *parent, struct out *o)
{
	const char *name = dev_name(parent->dev);
	unsigned long page;
	void *entry;

	mutex_lock(&parent->lock);
	xa_for_each(&parent->pages, page, entry) {
		unsigned int flags = xa_to_value(entry);

		if (flags & MVGPU_PG_RETIRED)
			out_line(o, "%s page %#lx %s\n", name, page,
				 flags & MVGPU_PG_DBE ? "dbe" : "sbe");
		cond_resched();
	}
	out_line(o, "%s ecc sbe=%llu dbe=%llu\n", name, parent->ecc.sbe_agg,
		 parent->ecc.dbe_agg);
	mutex_unlock(&parent->lock);
}

/* The new content: the file's other lines, then each parent's. */
static int retired_content(struct out *o)
{
	struct mvgpu_parent *parent;
	unsigned int malformed = 0;
	int err;

	o->len = 0;
	o->full = false;
	out_line(o, RETIRED_HEADER);
	mutex_lock(&mvgpu_parents_lock);
	err = scan_lines(keep_line, o, &malformed);
	if (!err)
		list_for_each_entry(parent, &mvgpu_parents, node)
			dump_parent(parent, o);
	mutex_unlock(&mvgpu_parents_lock);
	return err;
}

static int write_file(const char *path, const char *buf, size_t len)
{
	struct file *f;
	loff_t pos = 0;
	ssize_t n;
	int ret;

	f = filp_open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
		      O_NONBLOCK, 0600);
	if (IS_ERR(f))
		return PTR_ERR(f);
	ret = S_ISREG(file_inode(f)->i_mode) ? 0 : -EINVAL;
	if (!ret) {
		n = kernel_write(f, buf, len, &pos);
		ret = n < 0 ? n : n != len ? -EIO : 0;
	}
	if (!ret)
		ret = vfs_fsync(f, 0);
	filp_close(f, NULL);
	return ret;
}

static void retired_save_work(struct work_struct *work)
{
	struct out o = { .room = PAGE_SIZE };
	char *path2;
	int ret;

	if (!mvgpu_retired_pages_file || !*mvgpu_retired_pages_file)
		return;
	if (retired_unreadable) {
		pr_warn_ratelimited("%s could not be read: not rewritten\n",
				    mvgpu_retired_pages_file);
		return;
	}
	for (;;) {
		o.buf = kvmalloc(o.room, GFP_KERNEL);
		if (!o.buf)
			return;
		ret = retired_content(&o);
		if (ret || !o.full)
			break;
		kvfree(o.buf);
		if (o.room >= RETIRED_FILE_MAX) {
			pr_warn_ratelimited("%s would exceed %d bytes: not rewritten\n",
					    mvgpu_retired_pages_file,
					    RETIRED_FILE_MAX);
			return;
		}
		o.room *= 4;
	}
	path2 = ret ? NULL : new_path();
	if (path2) {
		/* the copy first, then the file: one is whole at any time */
		ret = write_file(path2, o.buf, o.len);
		if (!ret)
			ret = write_file(mvgpu_retired_pages_file, o.buf, o.len);
		kfree(path2);
	}
	if (ret)
		pr_warn_ratelimited("cannot write %s: %d\n",
				    mvgpu_retired_pages_file, ret);
	kvfree(o.buf);
}

static DECLARE_WORK(retired_work, retired_save_work);

/**
 * mvgpu_retired_save() - rewrite the file soon (after a retirement).
 */
void mvgpu_retired_save(void)
{
	schedule_work(&retired_work);
}

/**
 * mvgpu_retired_flush() - rewrite the file now and wait (module unload).
 */
void mvgpu_retired_flush(void)
{
	flush_work(&retired_work);
	retired_save_work(&retired_work);
}
