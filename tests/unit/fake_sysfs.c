/*
 * fake_sysfs.c - fake mvgpu sysfs tree for the unit tests.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "fake_sysfs.h"

/* Parents fake_place() put elsewhere than fake_parent_dir()'s default;
 * emptied by fake_new(). */
static struct {
	char parent[64];
	char dir[PATH_MAX / 4];
} placed[16];
static size_t nplaced;

static void abs_path(struct fake *f, const char *rel, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", f->root, rel);

	cr_assert(n > 0 && (size_t)n < len, "fake path too long: %s", rel);
}

struct fake *fake_new(void)
{
	const char *tmp = getenv("TMPDIR");
	struct fake *f = calloc(1, sizeof(*f));

	cr_assert_not_null(f);
	nplaced = 0;
	snprintf(f->root, sizeof(f->root), "%s/mvgpu-fake.XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	cr_assert_not_null(mkdtemp(f->root), "mkdtemp: %s", strerror(errno));
	fake_mkdirs(f, "class/mdev_bus");
	fake_mkdirs(f, "bus/mdev/devices");
	fake_mkdirs(f, "kernel/iommu_groups");
	cr_assert_eq(setenv("MVGPU_SYSFS", f->root, 1), 0);
	return f;
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		return rmdir(path);
	return unlink(path);
}

void fake_free(struct fake *f)
{
	if (!f)
		return;
	nftw(f->root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
}

static void keep_warning(void *opaque, const char *msg)
{
	struct fake_warnings *w = opaque;
	size_t used;

	cr_assert_not_null(w, "the warning handler's opaque pointer is lost");
	w->n++;
	used = strlen(w->text);
	if (used + 1 < sizeof(w->text))	/* keep what fits */
		snprintf(w->text + used, sizeof(w->text) - used, "%s\n", msg);
}

mvgpu_ctx *fake_ctx(struct fake *f, struct fake_warnings *w)
{
	mvgpu_ctx *ctx;

	cr_assert_eq(mvgpu_ctx_create(&ctx, f->root), 0);
	memset(w, 0, sizeof(*w));
	mvgpu_set_warn_handler(ctx, keep_warning, w);
	return ctx;
}

void fake_mkdirs(struct fake *f, const char *rel)
{
	char path[PATH_MAX], *p;

	abs_path(f, rel, path, sizeof(path));
	for (p = path + strlen(f->root) + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		cr_assert(mkdir(path, 0755) == 0 || errno == EEXIST,
			  "mkdir %s: %s", path, strerror(errno));
		*p = '/';
	}
	cr_assert(mkdir(path, 0755) == 0 || errno == EEXIST, "mkdir %s: %s",
		  path, strerror(errno));
}

void fake_write_bytes(struct fake *f, const char *rel, const void *data,
		      size_t len)
{
	char path[PATH_MAX];
	int fd;

	abs_path(f, rel, path, sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	cr_assert(fd >= 0, "open %s: %s", path, strerror(errno));
	cr_assert_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
}

void fake_write(struct fake *f, const char *rel, const char *content)
{
	fake_write_bytes(f, rel, content, strlen(content));
}

char *fake_read(struct fake *f, const char *rel)
{
	char path[PATH_MAX], *buf;
	struct stat st;
	ssize_t n;
	int fd;

	abs_path(f, rel, path, sizeof(path));
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return NULL;
	cr_assert_eq(fstat(fd, &st), 0);
	buf = calloc(1, (size_t)st.st_size + 1);
	cr_assert_not_null(buf);
	n = read(fd, buf, (size_t)st.st_size);
	cr_assert_eq(n, st.st_size);
	close(fd);
	return buf;
}

int fake_exists(struct fake *f, const char *rel)
{
	char path[PATH_MAX];
	struct stat st;

	abs_path(f, rel, path, sizeof(path));
	return lstat(path, &st) == 0;
}

void fake_symlink(struct fake *f, const char *target, const char *rel)
{
	char path[PATH_MAX];

	abs_path(f, rel, path, sizeof(path));
	cr_assert_eq(symlink(target, path), 0, "symlink %s: %s", path,
		     strerror(errno));
}

void fake_unlink(struct fake *f, const char *rel)
{
	char path[PATH_MAX];

	abs_path(f, rel, path, sizeof(path));
	cr_assert_eq(unlink(path), 0, "unlink %s: %s", path, strerror(errno));
}

void fake_place(const char *parent, const char *dir)
{
	cr_assert_lt(nplaced, sizeof(placed) / sizeof(placed[0]));
	snprintf(placed[nplaced].parent, sizeof(placed[0].parent), "%s",
		 parent);
	snprintf(placed[nplaced].dir, sizeof(placed[0].dir), "%s", dir);
	nplaced++;
}

void fake_parent_dir(const char *parent, char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < nplaced; i++)
		if (!strcmp(placed[i].parent, parent)) {
			snprintf(buf, len, "%s", placed[i].dir);
			return;
		}
	if (!strncmp(parent, "0000:", 5))
		snprintf(buf, len, "devices/pci0000:00/%s", parent);
	else
		snprintf(buf, len, "devices/virtual/mvgpu/%s", parent);
}

void fake_type_attr(const char *parent, const char *type, const char *attr,
		    char *buf, size_t len)
{
	char pd[PATH_MAX / 2];

	fake_parent_dir(parent, pd, sizeof(pd));
	snprintf(buf, len, "%s/mdev_supported_types/%s/%s", pd, type, attr);
}

void fake_add_parent(struct fake *f, const char *parent)
{
	char pd[PATH_MAX / 2], link[PATH_MAX], target[PATH_MAX];

	fake_parent_dir(parent, pd, sizeof(pd));
	fake_mkdirs(f, pd);
	snprintf(link, sizeof(link), "class/mdev_bus/%s", parent);
	snprintf(target, sizeof(target), "../../%s", pd);
	fake_symlink(f, target, link);
}

void fake_add_type(struct fake *f, const char *parent, const char *type,
		   const char *name, const char *desc, const char *api,
		   const char *avail)
{
	char p[PATH_MAX];

	fake_type_attr(parent, type, "devices", p, sizeof(p));
	fake_mkdirs(f, p);
	fake_type_attr(parent, type, "create", p, sizeof(p));
	fake_write(f, p, "");
	if (name) {
		fake_type_attr(parent, type, "name", p, sizeof(p));
		fake_write(f, p, name);
	}
	if (desc) {
		fake_type_attr(parent, type, "description", p, sizeof(p));
		fake_write(f, p, desc);
	}
	if (api) {
		fake_type_attr(parent, type, "device_api", p, sizeof(p));
		fake_write(f, p, api);
	}
	if (avail) {
		fake_type_attr(parent, type, "available_instances", p,
			       sizeof(p));
		fake_write(f, p, avail);
	}
}

void fake_add_std_type(struct fake *f, const char *parent, const char *type,
		       unsigned fb_mib, unsigned max, unsigned avail)
{
	char name[64], desc[256], av[32];

	/* "MVGPU-256M" / "MVGPU-1G", as the module names them. */
	if (fb_mib % 1024 == 0)
		snprintf(name, sizeof(name), "MVGPU-%uG\n", fb_mib / 1024);
	else
		snprintf(name, sizeof(name), "MVGPU-%uM\n", fb_mib);
	if (fb_mib % 1024 == 0)
		snprintf(desc, sizeof(desc),
			 "num_heads=%u, frl_config=60, framebuffer=%uG, max_resolution=%s, max_instance=%u\n",
			 fb_mib >= 512 ? 2u : 1u, fb_mib / 1024,
			 fb_mib >= 512 ? "3840x2160" : "1920x1080", max);
	else
		snprintf(desc, sizeof(desc),
			 "num_heads=%u, frl_config=60, framebuffer=%uM, max_resolution=%s, max_instance=%u\n",
			 fb_mib >= 512 ? 2u : 1u, fb_mib,
			 fb_mib >= 512 ? "3840x2160" : "1920x1080", max);
	snprintf(av, sizeof(av), "%u\n", avail);
	fake_add_type(f, parent, type, name, desc, "vfio-pci\n", av);
}

void fake_add_vgpu(struct fake *f, const char *parent, const char *type,
		   const char *uuid, int group, const char *in_use)
{
	char pd[1024], dev[2048], p[PATH_MAX], t[PATH_MAX];

	fake_parent_dir(parent, pd, sizeof(pd));
	snprintf(dev, sizeof(dev), "%s/%s", pd, uuid);
	fake_mkdirs(f, dev);
	snprintf(p, sizeof(p), "%s/mdev_type", dev);
	snprintf(t, sizeof(t), "../mdev_supported_types/%s", type);
	fake_symlink(f, t, p);
	snprintf(p, sizeof(p), "%s/remove", dev);
	fake_write(f, p, "");
	if (group >= 0) {
		snprintf(p, sizeof(p), "kernel/iommu_groups/%d", group);
		fake_mkdirs(f, p);
		snprintf(p, sizeof(p), "%s/iommu_group", dev);
		/* dev is devices/<...>/<parent>/<uuid>: climb to the root. */
		snprintf(t, sizeof(t), "%s/kernel/iommu_groups/%d", f->root,
			 group);
		fake_symlink(f, t, p);
	}
	if (in_use) {
		snprintf(p, sizeof(p), "%s/mvgpu", dev);
		fake_mkdirs(f, p);
		snprintf(p, sizeof(p), "%s/mvgpu/in_use", dev);
		fake_write(f, p, in_use);
	}
	snprintf(p, sizeof(p), "bus/mdev/devices/%s", uuid);
	snprintf(t, sizeof(t), "../../../%s", dev);
	fake_symlink(f, t, p);
	fake_type_attr(parent, type, "devices", p, sizeof(p));
	snprintf(p + strlen(p), sizeof(p) - strlen(p), "/%s", uuid);
	snprintf(t, sizeof(t), "../../../%s", uuid);
	fake_symlink(f, t, p);
}

void fake_std(struct fake *f)
{
	static const char *const parents[] = { "0000:00:04.0", "mvgpu0" };
	size_t i;

	for (i = 0; i < 2; i++) {
		fake_add_parent(f, parents[i]);
		/* Created out of size order: discovery must sort them. */
		fake_add_std_type(f, parents[i], "mvgpu-1G", 1024, 1, 1);
		fake_add_std_type(f, parents[i], "mvgpu-256M", 256, 4, 4);
		fake_add_std_type(f, parents[i], "mvgpu-64M", 64, 16, 16);
		fake_add_std_type(f, parents[i], "mvgpu-512M", 512, 2, 2);
	}
	fake_add_parent(f, "0000:00:05.0");
	fake_add_type(f, "0000:00:05.0", "nvidia-63", "GRID M60-0B\n",
		      "num_heads=2, frl_config=45, framebuffer=512M\n",
		      "vfio-pci\n", "16\n");
}

char *fake_created(struct fake *f, const char *parent, const char *type)
{
	char p[PATH_MAX];
	char *s;

	fake_type_attr(parent, type, "create", p, sizeof(p));
	s = fake_read(f, p);
	cr_assert_not_null(s, "no create file for %s/%s", parent, type);
	return s;
}

void fake_parent_file(struct fake *f, const char *parent, const char *file,
		      const char *content)
{
	char pd[PATH_MAX / 2], p[PATH_MAX];

	fake_parent_dir(parent, pd, sizeof(pd));
	snprintf(p, sizeof(p), "%s/mvgpu", pd);
	fake_mkdirs(f, p);
	snprintf(p, sizeof(p), "%s/mvgpu/%s", pd, file);
	fake_write(f, p, content);
}

void fake_vgpu_file(struct fake *f, const char *parent, const char *uuid,
		    const char *file, const char *content)
{
	char pd[PATH_MAX / 4], p[PATH_MAX];

	fake_parent_dir(parent, pd, sizeof(pd));
	snprintf(p, sizeof(p), "%s/%s/mvgpu", pd, uuid);
	fake_mkdirs(f, p);
	snprintf(p, sizeof(p), "%s/%s/mvgpu/%s", pd, uuid, file);
	fake_write(f, p, content);
}

static void status_vgpu(struct fake *f, const char *parent, const char *uuid,
			const char *ecc, const char *params,
			const char *channels, const char *busy,
			const char *mig)
{
	fake_vgpu_file(f, parent, uuid, "ecc_status", ecc);
	fake_vgpu_file(f, parent, uuid, "vgpu_params", params);
	fake_vgpu_file(f, parent, uuid, "channels_active", channels);
	fake_vgpu_file(f, parent, uuid, "busy_ns", busy);
	fake_vgpu_file(f, parent, uuid, "migration_state", mig);
}

void fake_status_std(struct fake *f)
{
	/* file, its content on the PCI parent, on the virtual one */
	static const char *const parent_files[][3] = {
		{ "memory_kind", "ddr\n", "hbm\n" },
		{ "ecc_mode", "enabled\n", "disabled\n" },
		{ "ecc_mode_pending", "disabled\n", "disabled\n" },
		{ "ecc_errors",
		  "sbe_volatile=5 dbe_volatile=0 sbe_aggregate=12 dbe_aggregate=1\n",
		  "sbe_volatile=0 dbe_volatile=0 sbe_aggregate=0 dbe_aggregate=0\n" },
		{ "retired_pages",
		  "0x1a2b sbe retired\n0x3c4d dbe retired\n0x5e6f sbe pending\n",
		  "" },
		{ "fb_total", "1073741824\n", "1073741824\n" },
		/* PCI: 1024 MiB - 1/16 for ECC - 2 retired pages */
		{ "fb_usable", "1006624768\n", "1073741824\n" },
		{ "fb_used", "335544320\n", "268435456\n" },
		{ "busy_ns", "1000000000\n", "0\n" },
	};
	const char *pci = "0000:00:04.0", *virt = "mvgpu0";
	size_t i;

	fake_std(f);
	fake_mkdirs(f, "bus/pci");
	fake_symlink(f, "../../../bus/pci",
		     "devices/pci0000:00/0000:00:04.0/subsystem");
	for (i = 0; i < sizeof(parent_files) / sizeof(parent_files[0]); i++) {
		fake_parent_file(f, pci, parent_files[i][0],
				 parent_files[i][1]);
		fake_parent_file(f, virt, parent_files[i][0],
				 parent_files[i][2]);
	}

	fake_add_vgpu(f, pci, "mvgpu-256M", FS_U1, 13, "1\n");
	status_vgpu(f, pci, FS_U1,
		    "mode=enabled optout=0 optout_pending=0 killed=0 sbe_volatile=3 dbe_volatile=0 sbe_aggregate=7 dbe_aggregate=0 retired=1 retired_pending=0\n",
		    "frame_rate_limiter=1\n", "2\n", "500000000\n", "running\n");
	fake_add_vgpu(f, pci, "mvgpu-64M", FS_U2, 14, "1\n");
	status_vgpu(f, pci, FS_U2,
		    "mode=enabled optout=0 optout_pending=1 killed=1 sbe_volatile=2 dbe_volatile=1 sbe_aggregate=5 dbe_aggregate=1 retired=0 retired_pending=1 future_key=7\n",
		    "frame_rate_limiter=0, disable_vnc=1\n", "0\n", "0\n",
		    "pre_copy\n");
	fake_add_vgpu(f, virt, "mvgpu-256M", FS_U3, 15, "0\n");
	status_vgpu(f, virt, FS_U3,
		    "mode=disabled optout=1 optout_pending=1 killed=0 sbe_volatile=0 dbe_volatile=0 sbe_aggregate=0 dbe_aggregate=0 retired=0 retired_pending=0\n",
		    "\n", "0\n", "0\n", "stop\n");
}

void fake_topo_std(struct fake *f)
{
	/* name, device dir (NULL: the default), links, local_cpulist,
	 * numa_node (NULL: no such file), a bus/pci/devices link */
	static const struct {
		const char *name, *dir, *links, *cpus, *numa;
		int pci_link;
	} parents[] = {
		{ "0000:00:04.0", "devices/pci0000:00/0000:00:04.0",
		  "0000:01:00.0 2\n", "0-3\n", "0\n", 1 },
		{ "0000:01:00.0", "devices/pci0000:00/0000:00:01.0/0000:01:00.0",
		  "0000:99:00.0 4\n\n0000:00:04.0 2\n", "0-3\n", "0\n", 1 },
		{ "0000:01:00.1", "devices/pci0000:00/0000:00:01.0/0000:01:00.1",
		  NULL, "0-3\n", "0\n", 0 },
		{ "0000:03:00.0",
		  "devices/pci0000:00/0000:00:01.0/0000:02:00.0/0000:03:00.0",
		  NULL, NULL, "-1\n", 1 },
		{ "0000:41:00.0", "devices/pci0000:40/0000:40:01.0/0000:41:00.0",
		  "0000:81:00.0 1\n", "4-7\n", "1\n", 1 },
		{ "0000:81:00.0", "devices/pci0000:80/0000:80:01.0/0000:81:00.0",
		  "0000:41:00.0 1 future\n", "0-3\n", "0\n", 1 },
		{ "mvgpu0", NULL, NULL, NULL, NULL, 0 },
	};
	char dir[PATH_MAX / 2], p[PATH_MAX], t[PATH_MAX];
	size_t i;

	fake_mkdirs(f, "bus/pci/devices");
	fake_mkdirs(f, "devices/system/cpu");
	fake_write(f, "devices/system/cpu/online", "0-7\n");
	for (i = 0; i < sizeof(parents) / sizeof(parents[0]); i++) {
		if (parents[i].dir)
			fake_place(parents[i].name, parents[i].dir);
		fake_parent_dir(parents[i].name, dir, sizeof(dir));
		fake_add_parent(f, parents[i].name);
		fake_add_std_type(f, parents[i].name, "mvgpu-256M", 256, 4, 4);
		if (parents[i].links)
			fake_parent_file(f, parents[i].name, "links",
					 parents[i].links);
		if (parents[i].cpus) {
			snprintf(p, sizeof(p), "%s/local_cpulist", dir);
			fake_write(f, p, parents[i].cpus);
		}
		if (parents[i].numa) {
			snprintf(p, sizeof(p), "%s/numa_node", dir);
			fake_write(f, p, parents[i].numa);
		}
		if (parents[i].pci_link) {
			snprintf(p, sizeof(p), "bus/pci/devices/%s",
				 parents[i].name);
			snprintf(t, sizeof(t), "../../../%s", dir);
			fake_symlink(f, t, p);
		}
	}
	/* another driver's parent, not a GPU of the matrix */
	fake_add_parent(f, "0000:00:05.0");
	fake_add_type(f, "0000:00:05.0", "nvidia-63", "GRID M60-0B\n",
		      "num_heads=2, frl_config=45, framebuffer=512M\n",
		      "vfio-pci\n", "16\n");
	fake_add_vgpu(f, "0000:01:00.0", "mvgpu-256M", FT_UA, 21, "0\n");
	fake_add_vgpu(f, "0000:01:00.0", "mvgpu-256M", FT_UB, 22, "0\n");
	fake_add_vgpu(f, "0000:00:04.0", "mvgpu-256M", FT_UC, 23, "0\n");
	fake_add_vgpu(f, "0000:41:00.0", "mvgpu-256M", FT_UD, 24, "0\n");
	fake_add_vgpu(f, "mvgpu0", "mvgpu-256M", FT_UE, 25, "0\n");
}
