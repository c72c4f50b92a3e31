// SPDX-License-Identifier: MIT
/* lab.c - see lab.h */
#include "lab.h"

#include <criterion/criterion.h>
#include <spawn.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <uuid/uuid.h>

int lab_read_str(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	close(fd);
	buf[n] = 0;
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = 0;
	return 0;
}

long long lab_read_ll(const char *path)
{
	char buf[64];
	int ret = lab_read_str(path, buf, sizeof(buf));

	return ret ? ret : strtoll(buf, NULL, 0);
}

int lab_write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	if (n < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	close(fd);
	return 0;
}

bool lab_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

int lab_parents(char dirs[][LAB_PATH], int max)
{
	DIR *d = opendir("/sys/class/mdev_bus");
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)) && n < max) {
		char p[LAB_PATH];

		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p),
			 "/sys/class/mdev_bus/%s/mdev_supported_types/mvgpu-64M",
			 e->d_name);
		if (!lab_exists(p))
			continue;
		snprintf(dirs[n++], LAB_PATH, "/sys/class/mdev_bus/%s",
			 e->d_name);
	}
	closedir(d);
	qsort(dirs, n, LAB_PATH, cmp_str);
	return n;
}

void lab_platform_defaults(void)
{
	char dirs[LAB_MAX_PARENTS][LAB_PATH], p[LAB_PATH + 32];
	int n = lab_parents(dirs, LAB_MAX_PARENTS);

	for (int i = 0; i < n; i++) {
		snprintf(p, sizeof(p), "%s/mvgpu/memory_kind", dirs[i]);
		cr_assert_eq(lab_write_str(p, "hbm"), 0, "%s", p);
		snprintf(p, sizeof(p), "%s/mvgpu/ecc_mode", dirs[i]);
		cr_assert_eq(lab_write_str(p, "enabled"), 0, "%s", p);
	}
}

void lab_type_dir(char *out, const char *parent, const char *type_id)
{
	snprintf(out, LAB_PATH, "%s/mdev_supported_types/mvgpu-%s", parent,
		 type_id);
}

long long lab_available(const char *parent, const char *type_id)
{
	char p[LAB_PATH + 32];

	lab_type_dir(p, parent, type_id);
	strcat(p, "/available_instances");
	return lab_read_ll(p);
}

void lab_new_uuid(char out[37])
{
	uuid_t u;

	uuid_generate_random(u);
	uuid_unparse_lower(u, out);
}

int lab_create_uuid(const char *parent, const char *type_id, const char *uuid)
{
	char p[LAB_PATH + 32];

	lab_type_dir(p, parent, type_id);
	strcat(p, "/create");
	return lab_write_str(p, uuid);
}

int lab_create(const char *parent, const char *type_id, char uuid_out[37])
{
	lab_new_uuid(uuid_out);
	return lab_create_uuid(parent, type_id, uuid_out);
}

int lab_remove(const char *uuid)
{
	char p[LAB_PATH];

	snprintf(p, sizeof(p), "/sys/bus/mdev/devices/%s/remove", uuid);
	return lab_write_str(p, "1");
}

int lab_count_vgpus(void)
{
	DIR *d = opendir("/sys/bus/mdev/devices");
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

void lab_remove_all(void)
{
	DIR *d = opendir("/sys/bus/mdev/devices");
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			lab_remove(e->d_name);
	closedir(d);
}

long long lab_stat(const char *name)
{
	FILE *f = fopen("/sys/kernel/debug/mvgpu/objects", "re");
	char key[64];
	long long v, ret = -1;

	if (!f)
		return -1;
	while (fscanf(f, "%63s %lld", key, &v) == 2)
		if (!strcmp(key, name))
			ret = v;
	fclose(f);
	return ret;
}

long long lab_module_refcnt(void)
{
	return lab_read_ll("/sys/module/mvgpu/refcnt");
}

int lab_vfio_open(struct lab_vfio *v, const char *uuid)
{
	char p[LAB_PATH], link[LAB_PATH];
	ssize_t n;
	int ret;

	v->container = v->group = v->device = -1;
	snprintf(p, sizeof(p), "/sys/bus/mdev/devices/%s/iommu_group", uuid);
	n = readlink(p, link, sizeof(link) - 1);
	if (n < 0)
		return -errno;
	link[n] = 0;
	snprintf(p, sizeof(p), "/dev/vfio/%s", basename(link));

	v->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	v->group = open(p, O_RDWR | O_CLOEXEC);
	if (v->container < 0 || v->group < 0)
		goto err;
	if (ioctl(v->group, VFIO_GROUP_SET_CONTAINER, &v->container) ||
	    ioctl(v->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		goto err;
	v->device = ioctl(v->group, VFIO_GROUP_GET_DEVICE_FD, uuid);
	if (v->device < 0)
		goto err;
	return 0;
err:
	ret = -errno;
	lab_vfio_close(v);
	return ret;
}

void lab_vfio_close(struct lab_vfio *v)
{
	if (v->device >= 0)
		close(v->device);
	if (v->group >= 0)
		close(v->group);
	if (v->container >= 0)
		close(v->container);
	v->container = v->group = v->device = -1;
}

long long lab_region_offset(struct lab_vfio *v, unsigned int index,
			    uint64_t *size)
{
	struct vfio_region_info ri = { .argsz = sizeof(ri), .index = index };

	if (ioctl(v->device, VFIO_DEVICE_GET_REGION_INFO, &ri))
		return -1;
	if (size)
		*size = ri.size;
	return (long long)ri.offset;
}

uint32_t lab_reg_read(struct lab_vfio *v, uint32_t off)
{
	long long base = lab_region_offset(v, VFIO_PCI_BAR0_REGION_INDEX, NULL);
	uint32_t val = 0xdeadbeef;

	if (base < 0 || pread(v->device, &val, 4, base + off) != 4)
		return 0xdeadbeef;
	return val;
}

void lab_reg_write(struct lab_vfio *v, uint32_t off, uint32_t val)
{
	long long base = lab_region_offset(v, VFIO_PCI_BAR0_REGION_INDEX, NULL);

	if (base >= 0 && pwrite(v->device, &val, 4, base + off) != 4)
		fprintf(stderr, "lab: register write %#x failed\n", off);
}

void *lab_dma_map(struct lab_vfio *v, size_t size, uint64_t iova)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.size = size,
		.iova = iova,
	};
	void *va = mmap(NULL, size, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (va == MAP_FAILED)
		return NULL;
	memset(va, 0, size);
	map.vaddr = (uintptr_t)va;
	if (ioctl(v->container, VFIO_IOMMU_MAP_DMA, &map)) {
		munmap(va, size);
		return NULL;
	}
	return va;
}

int lab_dma_unmap(struct lab_vfio *v, void *va, size_t size, uint64_t iova)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap), .size = size, .iova = iova,
	};
	int ret = ioctl(v->container, VFIO_IOMMU_UNMAP_DMA, &unmap);

	munmap(va, size);
	return ret ? -errno : 0;
}

extern char **environ;

const char *lab_cli(void)
{
	const char *p = getenv("MVGPU_CLI");

	return p ? p : "build/asan/bin/mvgpu";
}

int lab_run(char *out, size_t len, char *const argv[])
{
	posix_spawn_file_actions_t fa;
	int pipefd[2], status;
	size_t got = 0;
	ssize_t n;
	pid_t pid;

	cr_assert_eq(pipe(pipefd), 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
	posix_spawn_file_actions_addclose(&fa, pipefd[0]);
	cr_assert_eq(posix_spawn(&pid, argv[0], &fa, NULL, argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	while (got < len - 1 && (n = read(pipefd[0], out + got, len - 1 - got)) > 0)
		got += (size_t)n;
	out[got] = 0;
	close(pipefd[0]);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status), "%s did not exit", argv[0]);
	return WEXITSTATUS(status);
}
