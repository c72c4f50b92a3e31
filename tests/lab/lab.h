/* SPDX-License-Identifier: MIT */
/*
 * lab.h - helpers for the suites that run inside a lab host against the
 * real mvgpu module: raw sysfs and VFIO access, independent of libmvgpu so
 * that the kernel is tested on its own terms.
 */
#ifndef MVGPU_LAB_H
#define MVGPU_LAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LAB_MAX_PARENTS 16
#define LAB_PATH 512

/* sysfs */
int lab_read_str(const char *path, char *buf, size_t len); /* 0 or -errno */
long long lab_read_ll(const char *path);                  /* <0: -errno */
int lab_write_str(const char *path, const char *s);        /* 0 or -errno */
bool lab_exists(const char *path);

/* Parents with mvgpu types: sysfs dirs, sorted. Returns the count. */
int lab_parents(char dirs[][LAB_PATH], int max);
/* Path of a type dir: <parent>/mdev_supported_types/mvgpu-<id> */
void lab_type_dir(char *out, const char *parent, const char *type_id);
long long lab_available(const char *parent, const char *type_id);

/* Every parent back to the module's defaults: memory_kind hbm, ecc_mode
 * enabled (a failed platform test may have left another).  Needs no vGPU
 * on them for the kind; asserts. */
void lab_platform_defaults(void);

/* vGPUs */
void lab_new_uuid(char out[37]);
int lab_create(const char *parent, const char *type_id, char uuid_out[37]);
int lab_create_uuid(const char *parent, const char *type_id, const char *uuid);
int lab_remove(const char *uuid);
int lab_count_vgpus(void);
void lab_remove_all(void);

/* debugfs object counters: value of "name", or -1 */
long long lab_stat(const char *name);
long long lab_module_refcnt(void);

/* VFIO access to one vGPU */
struct lab_vfio {
	int container, group, device;
};
int lab_vfio_open(struct lab_vfio *v, const char *uuid);
void lab_vfio_close(struct lab_vfio *v);
/* offset of a region (from GET_REGION_INFO), or -1 */
long long lab_region_offset(struct lab_vfio *v, unsigned int index,
			    uint64_t *size);

/* The mvgpu CLI the suites run: $MVGPU_CLI, else the sanitizer build. */
const char *lab_cli(void);
/*
 * Runs argv (argv[0] a path) with stdout and stderr into @out (NUL-ended,
 * cut at @len).  Returns its exit code; a failed spawn or a crash fails
 * the test.
 */
int lab_run(char *out, size_t len, char *const argv[]);

/* BAR0 register access through the region */
uint32_t lab_reg_read(struct lab_vfio *v, uint32_t off);
void lab_reg_write(struct lab_vfio *v, uint32_t off, uint32_t val);
/* anonymous memory mapped for the device at iova; NULL on failure */
void *lab_dma_map(struct lab_vfio *v, size_t size, uint64_t iova);
int lab_dma_unmap(struct lab_vfio *v, void *va, size_t size, uint64_t iova);

#endif
