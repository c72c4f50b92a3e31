/*
 * fake_sysfs.h - build a fake mvgpu sysfs tree in a temporary directory
 * for the unit tests (the layout the mvgpu kernel module produces).
 *
 *   <root>/devices/pci0000:00/<pci parent>/      "0000:..." parents
 *   <root>/devices/virtual/mvgpu/<parent>/       other parents
 *       mdev_supported_types/<type>/{name,description,device_api,
 *           available_instances,create,devices/}
 *       <uuid>/{mdev_type->type dir, iommu_group->group, remove, mvgpu/in_use}
 *   <root>/class/mdev_bus/<parent> -> device dir
 *   <root>/bus/mdev/devices/<uuid> -> <parent dir>/<uuid>
 *   <root>/kernel/iommu_groups/<N>/
 *
 * All helpers abort the current test (Criterion assert) on failure.
 */
#ifndef FAKE_SYSFS_H
#define FAKE_SYSFS_H

#include <limits.h>
#include <stddef.h>

#include "mvgpu.h"

struct fake {
	char root[PATH_MAX / 4];
};

/* New empty tree (class/mdev_bus and bus/mdev/devices exist); also sets
 * $MVGPU_SYSFS to it. */
struct fake *fake_new(void);
/* Remove the tree and free @f. */
void fake_free(struct fake *f);

/* The warnings a library context gave (fake_ctx()). */
struct fake_warnings {
	char text[8192];	/* each one and a newline, as many as fit */
	int n;			/* how many */
};

/* A library context on @f's tree whose warnings go to @w (emptied). */
mvgpu_ctx *fake_ctx(struct fake *f, struct fake_warnings *w);

/* A suite whose every test gets a new tree F and a context C on it whose
 * warnings go to W: defines them, setup() and teardown() (a test may call
 * both, for a fresh tree), and the suite @name. */
#define FAKE_SUITE(name)						\
	static struct fake *F;						\
	static mvgpu_ctx *C;						\
	static struct fake_warnings W;					\
	static void setup(void)						\
	{								\
		F = fake_new();						\
		C = fake_ctx(F, &W);					\
	}								\
	static void teardown(void)					\
	{								\
		mvgpu_ctx_free(C);					\
		fake_free(F);						\
	}								\
	TestSuite(name, .init = setup, .fini = teardown, .timeout = 60)

/* Helpers on paths relative to the root. */
void fake_mkdirs(struct fake *f, const char *rel);
void fake_write(struct fake *f, const char *rel, const char *content);
void fake_write_bytes(struct fake *f, const char *rel, const void *data,
		      size_t len);
/* Content of a file (malloc'd, NUL-terminated), NULL if missing. */
char *fake_read(struct fake *f, const char *rel);
int fake_exists(struct fake *f, const char *rel);
void fake_symlink(struct fake *f, const char *target, const char *rel);
void fake_unlink(struct fake *f, const char *rel);

/* Device dir of @parent relative to the root: where fake_place() put it,
 * else devices/pci0000:00/<parent> for "0000:..." names, else
 * devices/virtual/mvgpu/<parent>. */
void fake_parent_dir(const char *parent, char *buf, size_t len);
/* Put @parent's device dir at @dir (relative to the root, e.g.
 * "devices/pci0000:40/0000:40:01.0/0000:41:00.0"), before
 * fake_add_parent(); for this tree (up to 16 parents). */
void fake_place(const char *parent, const char *dir);
/* Relative path of an attribute of @type on @parent. */
void fake_type_attr(const char *parent, const char *type, const char *attr,
		    char *buf, size_t len);

void fake_add_parent(struct fake *f, const char *parent);
/* A type; NULL @name/@desc/@api/@avail leave that file out.  @create
 * (an empty regular file) and devices/ are always made. */
void fake_add_type(struct fake *f, const char *parent, const char *type,
		   const char *name, const char *desc, const char *api,
		   const char *avail);
/* The standard mvgpu type with @fb_mib MiB of framebuffer. */
void fake_add_std_type(struct fake *f, const char *parent, const char *type,
		       unsigned fb_mib, unsigned max, unsigned avail);
/* A vGPU; @group < 0: no iommu_group link; @in_use NULL: no in_use file. */
void fake_add_vgpu(struct fake *f, const char *parent, const char *type,
		   const char *uuid, int group, const char *in_use);

/* Standard tree: parents 0000:00:04.0 and mvgpu0 with mvgpu-64M (16),
 * mvgpu-256M (4), mvgpu-512M (2), mvgpu-1G (1), all free; plus a foreign
 * parent 0000:00:05.0 with type nvidia-63 that must be ignored. */
void fake_std(struct fake *f);

/* Status files (mvgpu status): write @content to <parent dir>/mvgpu/@file,
 * or to <vGPU dir>/mvgpu/@file of vGPU @uuid on @parent. */
void fake_parent_file(struct fake *f, const char *parent, const char *file,
		      const char *content);
void fake_vgpu_file(struct fake *f, const char *parent, const char *uuid,
		    const char *file, const char *content);

/* The status tree the status tests share: fake_std() plus
 *   0000:00:04.0  PCI (a subsystem link to bus/pci), DDR, ECC enabled
 *                 (pending disabled), errors sbe 5/12 dbe 0/1, pages
 *                 0x1a2b sbe retired, 0x3c4d dbe retired, 0x5e6f sbe
 *                 pending; fb 320/959/1024 MiB (used/usable/total, usable
 *                 not a whole MiB), busy_ns 1000000000; vGPUs FS_U1, FS_U2
 *   mvgpu0        virtual, HBM, ECC disabled/disabled, no errors, no
 *                 pages; fb 256/1024/1024 MiB, busy_ns 0; vGPU FS_U3
 *   FS_U1  mvgpu-256M on 0000:00:04.0, group 13, in use: ECC enabled,
 *          sbe 3/7 dbe 0/0, 1 page retired; frame_rate_limiter=1;
 *          2 channels; running; busy_ns 500000000
 *   FS_U2  mvgpu-64M on 0000:00:04.0, group 14, in use: ECC enabled,
 *          opt-out pending, killed, sbe 2/5 dbe 1/1, 1 page pending, an
 *          unknown key; "frame_rate_limiter=0, disable_vnc=1";
 *          0 channels; pre_copy; busy_ns 0
 *   FS_U3  mvgpu-256M on mvgpu0, group 15, idle: ECC disabled, opted out;
 *          empty vgpu_params; 0 channels; stop; busy_ns 0 */
#define FS_U1 "11111111-1111-4111-8111-111111111111"
#define FS_U2 "22222222-2222-4222-8222-222222222222"
#define FS_U3 "33333333-3333-4333-8333-333333333333"
void fake_status_std(struct fake *f);

/* The topology tree the topo tests share: a parent with mvgpu-256M at
 * each of (bus/pci/devices links to their device dirs but for
 * 0000:01:00.1; devices/system/cpu/online 0-7)
 *   0000:00:04.0  pci0000:00's root bus; links 0000:01:00.0 2; CPUs 0-3,
 *                 node 0
 *   0000:01:00.0  under root port 0000:00:01.0; links 0000:00:04.0 2 and
 *                 an unknown 0000:99:00.0 4; CPUs 0-3, node 0
 *   0000:01:00.1  under 0000:00:01.0 too; no links file; CPUs 0-3, node 0
 *   0000:03:00.0  under 0000:00:01.0, then bridge 0000:02:00.0; no links,
 *                 no local_cpulist, node -1
 *   0000:41:00.0  pci0000:40, under 0000:40:01.0; links 0000:81:00.0 1;
 *                 CPUs 4-7, node 1
 *   0000:81:00.0  pci0000:80, under 0000:80:01.0; links 0000:41:00.0 1
 *                 (and a field a later module adds); CPUs 0-3, node 0
 *   mvgpu0        virtual
 * plus another driver's 0000:00:05.0; vGPUs FT_UA and FT_UB on
 * 0000:01:00.0, FT_UC on 0000:00:04.0, FT_UD on 0000:41:00.0, FT_UE on
 * mvgpu0. */
#define FT_UA "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
#define FT_UB "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"
#define FT_UC "cccccccc-cccc-4ccc-8ccc-cccccccccccc"
#define FT_UD "dddddddd-dddd-4ddd-8ddd-dddddddddddd"
#define FT_UE "eeeeeeee-eeee-4eee-8eee-eeeeeeeeeeee"
void fake_topo_std(struct fake *f);

/* What was written to @type's create file on @parent ("" if nothing). */
char *fake_created(struct fake *f, const char *parent, const char *type);

#endif
