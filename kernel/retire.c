// SPDX-License-Identifier: GPL-2.0
/*
 * retire.c - the retired-pages file: what NVIDIA keeps in a GPU's InfoROM.
 *
 * With the module parameter retired_pages_file=PATH, the retired pages and
 * aggregate ECC counters of every parent are kept in PATH, a text file the
 * module reads when a parent appears and rewrites (in a work item, never
 * under a lock a guest can reach) after each retirement and at unload:
 *
 *	# mvgpu retired pages 1
 *	<parent> page 0x<pool page> sbe|dbe
 *	<parent> ecc sbe=<aggregate> dbe=<aggregate>
 *
 * <parent> is the parent's device name (a PCI address, or mvgpuN).  The
 * file is the administrator's (root's) as the parameter is; its content is
 * still checked: unknown or malformed lines and pages beyond the pool are
 * skipped with a warning.  Without the parameter retirement lasts until
 * the module is unloaded.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/workqueue.h>

#include "mvgpu.h"

#define RETIRED_HEADER		"# mvgpu retired pages 1\n"
#define RETIRED_FILE_MAX	(4 << 20)
#define RETIRED_LINE_MAX	96

static void load_line(struct mvgpu_parent *parent, char *line)
{
	const char *name = dev_name(parent->dev);
	char who[48], kind[8];
	unsigned long long a, b;
	unsigned long page;

	if (!*line || *line == '#')
		return;
	if (sscanf(line, "%47s", who) != 1 || strcmp(who, name))
		return;
	line += strlen(who);
	if (sscanf(line, " page %li %7s", &page, kind) == 2 &&
	    (!strcmp(kind, "sbe") || !strcmp(kind, "dbe"))) {
		if (page >= parent->pool_pages) {
			dev_warn(parent->dev,
				 "retired page %#lx beyond the pool: skipped\n",
				 page);
			return;
		}
		mvgpu_pool_retire(parent, page, kind[0] == 'd', false);
		return;
	}
	if (sscanf(line, " ecc sbe=%llu dbe=%llu", &a, &b) == 2) {
		parent->ecc.sbe_agg = a;
		parent->ecc.dbe_agg = b;
		return;
	}
	dev_warn(parent->dev, "%s: malformed line skipped\n",
		 mvgpu_retired_pages_file);
}

/*
 * The file whole, NUL-terminated (kvfree() it), or NULL (absent, empty or
 * unreadable: said in the log).  A plain read: kernel_read_file() is for
 * firmware and the like, and LSMs warn about an unknown kind of read.
 */
static char *retired_read(struct mvgpu_parent *parent, const char *path)
{
	struct file *f;
	loff_t pos = 0;
	size_t len = 0;
	char *text;
	ssize_t n;

	f = filp_open(path, O_RDONLY, 0);
	if (IS_ERR(f)) {
		if (PTR_ERR(f) != -ENOENT)
			dev_warn(parent->dev, "cannot open %s: %ld\n", path,
				 PTR_ERR(f));
		return NULL;
	}
	text = kvmalloc(RETIRED_FILE_MAX + 1, GFP_KERNEL);
	while (text && len < RETIRED_FILE_MAX) {
		n = kernel_read(f, text + len, RETIRED_FILE_MAX - len, &pos);
		if (n <= 0) {
			if (n < 0) {
				dev_warn(parent->dev, "cannot read %s: %zd\n",
					 path, n);
				kvfree(text);
				text = NULL;
			}
			break;
		}
		len += n;
	}
	filp_close(f, NULL);
	if (text)
		text[len] = '\0';
	return text;
}

/**
 * mvgpu_retired_load() - a new parent's retired pages and counters.
 * @parent: the parent, pool initialised, no vGPUs yet.
 */
void mvgpu_retired_load(struct mvgpu_parent *parent)
{
	const char *path = mvgpu_retired_pages_file;
	char *text, *cur, *line;

	if (!path || !*path)
		return;
	text = retired_read(parent, path);
	if (!text)
		return;
	cur = text;
	mutex_lock(&parent->lock);
	while ((line = strsep(&cur, "\n")))
		load_line(parent, line);
	if (parent->nr_retired)
		dev_info(parent->dev, "%lu retired page(s) from %s\n",
			 parent->nr_retired, path);
	mutex_unlock(&parent->lock);
	kvfree(text);
}

/* Appends one parent's lines; false when @room was too small. */
static bool dump_parent(struct mvgpu_parent *parent, char *out, size_t room,
			size_t *len)
{
	const char *name = dev_name(parent->dev);
	unsigned long page;
	void *entry;

	mutex_lock(&parent->lock);
	xa_for_each(&parent->pages, page, entry) {
		unsigned int flags = xa_to_value(entry);

		if (!(flags & MVGPU_PG_RETIRED))
			continue;
		if (room - *len < RETIRED_LINE_MAX)
			goto full;
		*len += scnprintf(out + *len, room - *len, "%s page %#lx %s\n",
				  name, page,
				  flags & MVGPU_PG_DBE ? "dbe" : "sbe");
	}
	if (room - *len < RETIRED_LINE_MAX)
		goto full;
	*len += scnprintf(out + *len, room - *len, "%s ecc sbe=%llu dbe=%llu\n",
			  name, parent->ecc.sbe_agg, parent->ecc.dbe_agg);
	mutex_unlock(&parent->lock);
	return true;
full:
	mutex_unlock(&parent->lock);
	return false;
}

static void retired_save_work(struct work_struct *work)
{
	const char *path = mvgpu_retired_pages_file;
	struct mvgpu_parent *parent;
	size_t room = PAGE_SIZE, len;
	struct file *f;
	loff_t pos = 0;
	char *out;
	ssize_t n;

	if (!path || !*path)
		return;
retry:
	out = kvmalloc(room, GFP_KERNEL);
	if (!out)
		return;
	len = scnprintf(out, room, RETIRED_HEADER);
	mutex_lock(&mvgpu_parents_lock);
	list_for_each_entry(parent, &mvgpu_parents, node) {
		if (!dump_parent(parent, out, room, &len)) {
			mutex_unlock(&mvgpu_parents_lock);
			kvfree(out);
			if (room >= RETIRED_FILE_MAX)
				return;
			room *= 4;
			goto retry;
		}
	}
	mutex_unlock(&mvgpu_parents_lock);

	f = filp_open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (IS_ERR(f)) {
		pr_warn_ratelimited("cannot write %s: %ld\n", path, PTR_ERR(f));
		goto out;
	}
	n = kernel_write(f, out, len, &pos);
	if (n != len)
		pr_warn_ratelimited("short write to %s: %zd\n", path, n);
	filp_close(f, NULL);
out:
	kvfree(out);
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
