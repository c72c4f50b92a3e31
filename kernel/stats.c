// SPDX-License-Identifier: GPL-2.0
/*
 * stats.c - object counters, for leak checks by the tests.
 *
 * /sys/kernel/debug/mvgpu/objects lists "name count" lines.  Counters move
 * where objects are allocated and freed, so a create/remove cycle that
 * leaks shows up as a count that does not come back.
 */
#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/seq_file.h>

#include "mvgpu.h"

static atomic_t mvgpu_stats[MVGPU_NR_STATS];
static struct dentry *mvgpu_debugfs;

static const char *const mvgpu_stat_names[MVGPU_NR_STATS] = {
	[MVGPU_STAT_PARENTS]	= "parents",
	[MVGPU_STAT_VGPUS]	= "vgpus",
	[MVGPU_STAT_VGPU_OBJS]	= "vgpu_objects",
	[MVGPU_STAT_OPEN]	= "open_vgpus",
	[MVGPU_STAT_FB_PAGES]	= "fb_pages",
};

void mvgpu_stat_inc(enum mvgpu_stat s)
{
	atomic_inc(&mvgpu_stats[s]);
}

void mvgpu_stat_dec(enum mvgpu_stat s)
{
	WARN_ON_ONCE(atomic_dec_return(&mvgpu_stats[s]) < 0);
}

static int mvgpu_objects_show(struct seq_file *m, void *v)
{
	int i;

	for (i = 0; i < MVGPU_NR_STATS; i++)
		seq_printf(m, "%s %d\n", mvgpu_stat_names[i],
			   atomic_read(&mvgpu_stats[i]));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mvgpu_objects);

void mvgpu_stats_init(void)
{
	mvgpu_debugfs = debugfs_create_dir("mvgpu", NULL);
	debugfs_create_file("objects", 0444, mvgpu_debugfs, NULL,
			    &mvgpu_objects_fops);
}

/**
 * mvgpu_debugfs_root() - the module's debugfs directory.
 *
 * Return: the dentry (or an error pointer, which debugfs takes as parent).
 */
struct dentry *mvgpu_debugfs_root(void)
{
	return mvgpu_debugfs;
}

void mvgpu_stats_exit(void)
{
	debugfs_remove_recursive(mvgpu_debugfs);
}
