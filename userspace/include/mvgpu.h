/*
 * mvgpu.h - libmvgpu: manage mvgpu vGPUs (VFIO mediated devices) via sysfs.
 *
 * The mvgpu kernel module exposes its vGPU types the way every mdev parent
 * driver does:
 *
 *   <sysfs>/class/mdev_bus/<parent>/mdev_supported_types/<type-id>/
 *       name, description, device_api, available_instances, create, devices/
 *   <sysfs>/bus/mdev/devices/<uuid>/
 *       mdev_type -> type dir, iommu_group -> group, remove, mvgpu/in_use
 *
 * libmvgpu reads and writes those files directly (no helper programs).
 * Only types whose id starts with "mvgpu-" are managed; other mdev parents
 * and types on the same host are ignored.
 *
 * Conventions (apply to every function below):
 *  - Functions returning `int` return 0 (or a documented non-negative value)
 *    on success and a NEGATIVE errno value on failure, e.g. -ENOENT.
 *    mvgpu_strerror() turns such a value into a message, and
 *    mvgpu_last_error() gives the detail of the context's last failure
 *    (which file, what content).
 *  - Everything read from sysfs is treated as hostile: overlong, malformed
 *    or missing attributes produce an error (-EOVERFLOW, -EBADMSG, -ENOENT)
 *    or, in list functions, the entry is skipped and reported through the
 *    warning handler; they never overflow a buffer.
 *  - Strings in the info structs are NUL-terminated, printable ASCII.
 *  - A context is not thread-safe; use one context per thread.
 *  - Errors that are not listed for a function may still be returned when
 *    a system call fails (-EACCES, -ENOMEM, -EIO, ...).
 */
#ifndef MVGPU_H
#define MVGPU_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*-************************************
 *  Version
 **************************************/
#define MVGPU_VERSION_MAJOR   0
#define MVGPU_VERSION_MINOR   1
#define MVGPU_VERSION_RELEASE 0
#define MVGPU_VERSION_NUMBER \
	(MVGPU_VERSION_MAJOR * 10000 + MVGPU_VERSION_MINOR * 100 + MVGPU_VERSION_RELEASE)

#define MVGPU_STR_(x) #x
#define MVGPU_STR(x) MVGPU_STR_(x)
#define MVGPU_VERSION_STRING                                       \
	MVGPU_STR(MVGPU_VERSION_MAJOR) "." MVGPU_STR(MVGPU_VERSION_MINOR) \
	"." MVGPU_STR(MVGPU_VERSION_RELEASE)

/*! mvgpu_version_number() :
 *  @return MVGPU_VERSION_NUMBER of the library actually linked. */
unsigned mvgpu_version_number(void);

/*! mvgpu_version_string() :
 *  @return MVGPU_VERSION_STRING of the library actually linked ("0.1.0"). */
const char *mvgpu_version_string(void);

/*-************************************
 *  Sizes (all include the terminating NUL)
 **************************************/
#define MVGPU_UUID_LEN     37   /* canonical "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" */
#define MVGPU_ID_MAX       128  /* parent name, type id */
#define MVGPU_NAME_MAX     128  /* type "name" attribute */
#define MVGPU_API_MAX      32   /* "device_api" attribute */
#define MVGPU_TYPE_PREFIX  "mvgpu-"

/*-************************************
 *  Errors
 **************************************/

/*! mvgpu_strerror() :
 *  @err  an errno value, negative (as returned by libmvgpu) or positive.
 *  @return a static, human-readable description; never NULL.  Values that
 *  have an mvgpu-specific meaning read accordingly, e.g. -EBADMSG is
 *  "malformed sysfs content", -ENOSPC "no free vGPU instance (framebuffer
 *  pool exhausted)", -EBUSY "vGPU is in use". */
const char *mvgpu_strerror(int err);

/*-************************************
 *  Context
 **************************************/
typedef struct mvgpu_ctx mvgpu_ctx;   /* opaque */

/*! mvgpu_ctx_create() :
 *  Create a context working on the sysfs tree at @sysfs_root.
 *  @sysfs_root  NULL: use $MVGPU_SYSFS if set and non-empty, else "/sys".
 *               The directory is not required to exist (a missing tree
 *               simply has no types and no vGPUs).
 *  @out         receives the context; unchanged on failure.
 *  @return 0, -EINVAL (NULL @out, empty root), -ENAMETOOLONG (root longer
 *          than PATH_MAX/2), -ENOMEM. */
int mvgpu_ctx_create(mvgpu_ctx **out, const char *sysfs_root);

/*! mvgpu_ctx_free() : release @ctx; NULL is a no-op. */
void mvgpu_ctx_free(mvgpu_ctx *ctx);

/*! mvgpu_ctx_sysfs_root() : @return the root @ctx uses (no trailing '/'). */
const char *mvgpu_ctx_sysfs_root(const mvgpu_ctx *ctx);

/*! mvgpu_last_error() :
 *  @return a description of the last failure of a call on @ctx, naming the
 *  file and offending content when relevant ("" if none yet).  Valid until
 *  the next call on @ctx. */
const char *mvgpu_last_error(const mvgpu_ctx *ctx);

/*! Warning handler: called for each entry a list function skips (malformed
 *  or unreadable sysfs content), with a one-line message without a trailing
 *  newline.  Without a handler, warnings are dropped. */
typedef void (*mvgpu_warn_fn)(void *opaque, const char *msg);
void mvgpu_set_warn_handler(mvgpu_ctx *ctx, mvgpu_warn_fn fn, void *opaque);

/*-************************************
 *  UUIDs (parsed and generated with libuuid)
 **************************************/

/*! mvgpu_uuid_canonical() :
 *  Parse @in (36 characters, 8-4-4-4-12 hex digits, either case) and write
 *  its canonical lower-case form to @out.
 *  @return 0, or -EINVAL if @in is NULL or not a UUID (@out is then ""). */
int mvgpu_uuid_canonical(const char *in, char out[MVGPU_UUID_LEN]);

/*-************************************
 *  vGPU types
 **************************************/

/*! One vGPU type on one parent.  Description fields absent from the
 *  "description" attribute are 0 (unknown). */
typedef struct {
	char     parent[MVGPU_ID_MAX];   /* e.g. "0000:00:04.0", "mvgpu0" */
	char     type_id[MVGPU_ID_MAX];  /* e.g. "mvgpu-256M" */
	char     name[MVGPU_NAME_MAX];   /* e.g. "MVGPU-256M" */
	char     device_api[MVGPU_API_MAX]; /* e.g. "vfio-pci" */
	uint64_t framebuffer;            /* bytes */
	unsigned num_heads;
	unsigned frl_config;             /* frame rate limit, fps */
	unsigned max_width, max_height;  /* max_resolution */
	unsigned max_instance;
	unsigned available_instances;
} mvgpu_type_info;

/*! A list of types, owned by the caller; release with mvgpu_type_list_free().
 *  Order: parent (natural/version order, so "mvgpu2" < "mvgpu10"), then
 *  framebuffer ascending, then type id. */
typedef struct {
	mvgpu_type_info *items;
	size_t count;
	size_t skipped;   /* mvgpu- types that were present but malformed */
} mvgpu_type_list;

/*! mvgpu_parse_description() :
 *  Parse a type "description" attribute: comma-separated key=value pairs in
 *  any order, e.g. "num_heads=1, frl_config=60, framebuffer=256M,
 *  max_resolution=1920x1080, max_instance=4".  Known keys fill the
 *  matching fields of @t (framebuffer takes an optional K/M/G/T binary
 *  suffix); unknown keys and empty items are ignored; other fields of @t
 *  are left alone, and @t is unchanged on error.
 *  @return 0, or -EBADMSG (an item without '=', empty key, malformed or
 *          out-of-range value for a known key, NULL argument). */
int mvgpu_parse_description(const char *desc, mvgpu_type_info *t);

/*! mvgpu_list_types() :
 *  Discover the mvgpu types of every mvgpu parent, or of @parent only.
 *  Malformed types (bad name/description/device_api/available_instances,
 *  overlong values, missing files) are skipped, counted in out->skipped and
 *  reported to the warning handler.
 *  @parent  NULL for all parents.
 *  @out     filled on success (count may be 0: no module loaded); zeroed on
 *           failure.
 *  @return 0; -EINVAL (bad @parent name); -ENODEV (@parent is not an mvgpu
 *          parent); -ENOMEM; other -errno if sysfs cannot be read. */
int mvgpu_list_types(mvgpu_ctx *ctx, const char *parent, mvgpu_type_list *out);

/*! mvgpu_type_list_free() : free @list's items and zero it; NULL is ok. */
void mvgpu_type_list_free(mvgpu_type_list *list);

/*! mvgpu_get_type() :
 *  Read one type of one parent.
 *  @return 0; -EINVAL (bad name); -ENODEV (no such mvgpu parent);
 *          -ENOENT (parent has no such mvgpu type); -EBADMSG / -EOVERFLOW
 *          (malformed attribute, see mvgpu_last_error()). */
int mvgpu_get_type(mvgpu_ctx *ctx, const char *parent, const char *type_id,
		   mvgpu_type_info *out);

/*-************************************
 *  vGPUs
 **************************************/
typedef struct {
	char uuid[MVGPU_UUID_LEN];       /* canonical, lower case */
	char parent[MVGPU_ID_MAX];
	char type_id[MVGPU_ID_MAX];
	int  iommu_group;   /* /dev/vfio/<iommu_group>; -1 if none/unknown */
	int  in_use;        /* 1: a VFIO user has it open, 0: not, -1: unknown */
} mvgpu_vgpu_info;

/*! Order: parent (natural order), type id, uuid. */
typedef struct {
	mvgpu_vgpu_info *items;
	size_t count;
	size_t skipped;   /* vGPUs that could not be read */
} mvgpu_vgpu_list;

/*! mvgpu_list_vgpus() :
 *  List every mvgpu vGPU (mdev devices of other types are ignored).
 *  Unreadable entries are skipped, counted and reported as warnings; an
 *  unreadable in_use/iommu_group only yields -1 in that field (and a
 *  warning).
 *  @return 0 (count may be 0), -ENOMEM, other -errno. @out zeroed on
 *          failure. */
int mvgpu_list_vgpus(mvgpu_ctx *ctx, mvgpu_vgpu_list *out);

/*! mvgpu_vgpu_list_free() : free @list's items and zero it; NULL is ok. */
void mvgpu_vgpu_list_free(mvgpu_vgpu_list *list);

/*! mvgpu_find_vgpu() :
 *  @uuid  any case; canonicalised.
 *  @return 0 and fills @out; -EINVAL (not a UUID); -ENOENT (no such mvgpu
 *          vGPU); -EBADMSG (its mdev_type link is malformed). */
int mvgpu_find_vgpu(mvgpu_ctx *ctx, const char *uuid, mvgpu_vgpu_info *out);

/*! mvgpu_create() :
 *  Create a vGPU of type @type_id by writing its UUID to the type's
 *  "create" attribute.  Arguments are validated before sysfs is written.
 *  @parent  NULL: the first parent (in list order) whose @type_id has
 *           available_instances > 0.
 *  @uuid    NULL: generate a random one (libuuid); otherwise parsed and
 *           canonicalised (any case accepted).
 *  @out     may be NULL; on success receives uuid, parent and type_id, and
 *           iommu_group/in_use if the device is already visible (else -1/0).
 *  @return 0;
 *          -EINVAL  @type_id, @parent or @uuid malformed (nothing written);
 *          -EEXIST  a vGPU with @uuid already exists (kernel or pre-check);
 *          -ENODEV  @parent is not an mvgpu parent (or the kernel says so);
 *          -ENOENT  no such type (on @parent, or on any parent);
 *          -ENOSPC  available_instances is 0 (on @parent, or on every
 *                   parent with the type); the kernel's ENOSPC and EDQUOT
 *                   are reported as -ENOSPC too;
 *          -EBADMSG the type's attributes are malformed. */
int mvgpu_create(mvgpu_ctx *ctx, const char *type_id, const char *parent,
		 const char *uuid, mvgpu_vgpu_info *out);

/*! mvgpu_remove() :
 *  Remove the vGPU @uuid by writing "1" to its "remove" attribute.
 *  The kernel blocks such a write until the VFIO user of an in-use vGPU
 *  closes it, so without @force this refuses in-use vGPUs.
 *  @force   0: refuse if in use or if in_use cannot be read;
 *           non-zero: write anyway (may block until the user closes it).
 *  @return 0; -EINVAL (not a UUID); -ENOENT (no such mvgpu vGPU);
 *          -EBUSY (in use and !@force); -EBADMSG (in_use unreadable and
 *          !@force; see mvgpu_last_error()). */
int mvgpu_remove(mvgpu_ctx *ctx, const char *uuid, int force);

#ifdef __cplusplus
}
#endif

#endif /* MVGPU_H */
