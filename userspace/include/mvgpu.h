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
 *    warning handler; they never overflow a buffer.  (The status calls
 *    keep the entry and leave only the bad value out: see "Status".)
 *  - Strings in the info structs are NUL-terminated, printable ASCII.
 *  - A context is not thread-safe; use one context per thread.
 *  - Errors that are not listed for a function may still be returned when
 *    a system call fails (-EACCES, -ENOMEM, -EIO, ...).
 */
#ifndef MVGPU_H
#define MVGPU_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "mvgpu_abi.h"   /* the device ABI, for the device-access section */

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

/*! mvgpu_ctx_set_cancel() :
 *  From now on, once *@flag is non-zero (set it from a signal handler),
 *  every wait of a call on @ctx that talks to a peer - connecting,
 *  accepting, a workload's agent, the handshake and the messages of a
 *  migration before its commit - ends with -ECANCELED within 200 ms
 *  (at once when a signal interrupts it: install the handler without
 *  SA_RESTART).  mvgpu_migrate_opts.cancel / mvgpu_receive_opts.cancel,
 *  if set, take its place for that call.  NULL: no cancelling. */
void mvgpu_ctx_set_cancel(mvgpu_ctx *ctx, const volatile sig_atomic_t *flag);

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

/*=====================================================================
 *  Status: what nvidia-smi shows a host admin (mvgpu status)
 *=====================================================================
 * The platform state of each parent and the state of each vGPU, from the
 * module's vendor attributes:
 *
 *   <sysfs>/class/mdev_bus/<parent>/mvgpu/
 *       memory_kind          hbm | ddr
 *       ecc_mode             enabled | disabled (current)
 *       ecc_mode_pending     the same; takes effect once the parent has
 *                            no vGPUs
 *       ecc_errors           sbe_volatile=N dbe_volatile=N sbe_aggregate=N
 *                            dbe_aggregate=N
 *       retired_pages        one line per retired framebuffer page:
 *                            0x<page> sbe|dbe retired|pending
 *       fb_total, fb_usable, fb_used    bytes: the pool, what is left of
 *                            it after the ECC reservation and the retired
 *                            pages, what the vGPUs hold
 *       busy_ns              ns the command processor ran for the
 *                            parent's vGPUs (a counter)
 *   <sysfs>/bus/mdev/devices/<uuid>/mvgpu/
 *       ecc_status           mode=enabled|disabled optout=0|1
 *                            optout_pending=0|1 killed=0|1 sbe_volatile=N
 *                            dbe_volatile=N sbe_aggregate=N dbe_aggregate=N
 *                            retired=N retired_pending=N
 *       vgpu_params          key=value ..., e.g. frame_rate_limiter=1
 *       channels_active      enabled command channels, 0..4
 *       busy_ns              as the parent's, this vGPU only
 *       migration_state      running, stop, pre_copy, stop_copy, resuming,
 *                            running_p2p, pre_copy_p2p or error
 *
 * Rules, in addition to the ones at the top of this file:
 *  - Every one of these files is optional: a module older than the file
 *    does not have it.  A missing file leaves its field unset (its
 *    MVGPU_PST_* / MVGPU_VST_* bit clear in .have) and is no error.
 *  - A malformed file (garbage numbers, an unknown mode, overlong) or
 *    one that cannot be read (-EACCES, -EIO) does not fail the call
 *    either: its field is unset, its bit is set in .bad, and the warning
 *    handler gets a message naming the file (and quoting a malformed
 *    content).  The single-object calls return how many files were bad,
 *    so a strict caller tests for > 0.
 *  - key=value files: unknown keys are ignored (later modules add some),
 *    a known key missing, repeated or with a bad value makes the file
 *    malformed.
 *  - Fields not covered by .have/.bad (identity, counts of vGPUs) follow
 *    the usual rules.
 */

/* Bits of mvgpu_parent_status_info.have / .bad: one per file. */
#define MVGPU_PST_MEMORY_KIND  (1u << 0)   /* memory_kind */
#define MVGPU_PST_ECC_MODE     (1u << 1)   /* ecc_mode */
#define MVGPU_PST_ECC_PENDING  (1u << 2)   /* ecc_mode_pending */
#define MVGPU_PST_ECC_ERRORS   (1u << 3)   /* ecc_errors */
#define MVGPU_PST_RETIRED      (1u << 4)   /* retired_pages */
#define MVGPU_PST_FB_TOTAL     (1u << 5)   /* fb_total */
#define MVGPU_PST_FB_USABLE    (1u << 6)   /* fb_usable */
#define MVGPU_PST_FB_USED      (1u << 7)   /* fb_used */
#define MVGPU_PST_BUSY         (1u << 8)   /* busy_ns */

/* Bits of mvgpu_vgpu_status_info.have / .bad. */
#define MVGPU_VST_ECC          (1u << 0)   /* ecc_status */
#define MVGPU_VST_PARAMS       (1u << 1)   /* vgpu_params */
#define MVGPU_VST_CHANNELS     (1u << 2)   /* channels_active */
#define MVGPU_VST_BUSY         (1u << 3)   /* busy_ns */
#define MVGPU_VST_MIGRATION    (1u << 4)   /* migration_state */
#define MVGPU_VST_FRAMEBUFFER  (1u << 5)   /* the type's description */

#define MVGPU_MEMORY_KIND_MAX  16          /* "hbm", "ddr", with the NUL */
#define MVGPU_BUS_ID_MAX       32          /* "0000:00:04.0", with the NUL */
#define MVGPU_PARAMS_MAX       256         /* vgpu_params, with the NUL */

/*! ECC error counters, as the module keeps them: a vGPU's volatile ones
 *  since its last reset, its aggregate ones since it was created
 *  (proto/mvgpu_abi.h, ECC_SBE_VOL ...); a parent's over its vGPUs. */
typedef struct {
	uint64_t sbe_volatile;    /* single-bit errors, corrected */
	uint64_t dbe_volatile;    /* double-bit errors, not correctable */
	uint64_t sbe_aggregate;
	uint64_t dbe_aggregate;
} mvgpu_ecc_counts;

/*! One parent ("physical GPU").  A field is valid only if its bit is set
 *  in @have; busy_pct is set by mvgpu_status_sample() only. */
typedef struct {
	char     parent[MVGPU_ID_MAX];        /* sysfs name, e.g. "mvgpu0" */
	/* PCI parents: the function's address ("0000:00:04.0"); virtual
	 * parents: "" */
	char     bus_id[MVGPU_BUS_ID_MAX];
	unsigned have;                        /* MVGPU_PST_*: files read */
	unsigned bad;                         /* MVGPU_PST_*: files malformed
	                                       * or unreadable */
	char     memory_kind[MVGPU_MEMORY_KIND_MAX]; /* "hbm", "ddr" (a later
	                                       * module may name others) */
	int      ecc_mode;                    /* 1 enabled, 0 disabled */
	int      ecc_mode_pending;            /* the same, once no vGPUs */
	mvgpu_ecc_counts ecc;
	/* retired_pages, counted: by state, and by cause */
	unsigned pages_retired, pages_pending;
	unsigned pages_sbe, pages_dbe;
	uint64_t fb_total, fb_usable, fb_used;   /* bytes */
	uint64_t busy_ns;
	unsigned vgpus;                       /* mvgpu vGPUs on it (mdev
	                                       * devices/ of its mvgpu types) */
	double   busy_pct;                    /* 0..100; -1: not measured */
} mvgpu_parent_status_info;

/*! Order: parent (natural order). */
typedef struct {
	mvgpu_parent_status_info *items;
	size_t count;
	size_t skipped;   /* parents that could not be read (bad names) */
} mvgpu_parent_status_list;

/*! One vGPU.  @info is what mvgpu_find_vgpu() gives; the rest is valid
 *  only if its bit is set in @have. */
typedef struct {
	mvgpu_vgpu_info info;
	unsigned have;                        /* MVGPU_VST_* */
	unsigned bad;                         /* MVGPU_VST_* */
	uint64_t framebuffer;                 /* bytes, from its type's
	                                       * description (framebuffer=) */
	/* ecc_status */
	int      ecc_mode;                    /* 1: ECC protects it now */
	int      ecc_optout;                  /* 1: the guest opted out */
	int      ecc_optout_pending;          /* opt-out after its next reset */
	int      ecc_killed;                  /* 1: a DBE stopped its channels
	                                       * until its next reset */
	mvgpu_ecc_counts ecc;
	unsigned pages_retired;               /* its pages retired and replaced */
	unsigned pages_pending;               /* retired, replaced at the next
	                                       * reset */
	/* vgpu_params, as read (printable ASCII), and what is known of it */
	char     params[MVGPU_PARAMS_MAX];
	int      frame_rate_limiter;          /* 1 on, 0 off, -1 not given */
	unsigned channels_active;             /* 0..MVGPU_NUM_CHANNELS */
	uint64_t busy_ns;
	int      migration_state;             /* MVGPU_MIG_* (mvgpu_mig_state_name(),
	                                       * lower case, is the sysfs name) */
	double   busy_pct;                    /* 0..100; -1: not measured */
} mvgpu_vgpu_status_info;

/*! Order: as mvgpu_list_vgpus(). */
typedef struct {
	mvgpu_vgpu_status_info *items;
	size_t count;
	size_t skipped;   /* vGPUs that could not be read (as mvgpu_list_vgpus()) */
} mvgpu_vgpu_status_list;

/*! mvgpu_parent_status() :
 *  Read the status files of the mvgpu parent @parent.
 *  @return the number of bad files (malformed or unreadable; 0: all
 *          good; see .bad and the warnings); -EINVAL (bad name); -ENODEV
 *          (not an mvgpu parent);
 *          -ENOMEM.  @out is zeroed (busy_pct -1) on failure. */
int mvgpu_parent_status(mvgpu_ctx *ctx, const char *parent,
			mvgpu_parent_status_info *out);

/*! mvgpu_list_parent_status() :
 *  The status of every mvgpu parent (the parents mvgpu_list_types()
 *  lists types of; a parent whose types are all malformed is listed too).
 *  @return 0 (count may be 0: no module loaded), -ENOMEM, other -errno if
 *          sysfs cannot be read.  @out zeroed on failure. */
int mvgpu_list_parent_status(mvgpu_ctx *ctx, mvgpu_parent_status_list *out);

/*! mvgpu_parent_status_list_free() : free @list's items, zero it; NULL ok. */
void mvgpu_parent_status_list_free(mvgpu_parent_status_list *list);

/*! mvgpu_vgpu_status() :
 *  Read vGPU @uuid (any case) as mvgpu_find_vgpu() does, then its status
 *  files and its type's framebuffer size.
 *  @return the number of bad files (as mvgpu_parent_status());
 *          -EINVAL (not a UUID); -ENOENT (no such mvgpu vGPU); -EBADMSG
 *          (its mdev_type link is malformed); -ENOMEM. */
int mvgpu_vgpu_status(mvgpu_ctx *ctx, const char *uuid,
		      mvgpu_vgpu_status_info *out);

/*! mvgpu_list_vgpu_status() :
 *  mvgpu_list_vgpus() with each vGPU's status, as mvgpu_vgpu_status().
 *  @return 0, -ENOMEM, other -errno.  @out zeroed on failure. */
int mvgpu_list_vgpu_status(mvgpu_ctx *ctx, mvgpu_vgpu_status_list *out);

/*! mvgpu_vgpu_status_list_free() : free @list's items, zero it; NULL ok. */
void mvgpu_vgpu_status_list_free(mvgpu_vgpu_status_list *list);

/*! A retired framebuffer page of a parent. */
typedef struct {
	uint64_t page;      /* the number the module gives (0x<hex>) */
	int      dbe;       /* cause: 1 a double-bit error, 0 single-bit */
	int      pending;   /* 1: marked, not out of use yet ("pending");
	                     * 0: retired ("retired") */
} mvgpu_retired_page;

typedef struct {
	mvgpu_retired_page *items;   /* in the file's order */
	size_t count;
} mvgpu_retired_page_list;

/*! mvgpu_retired_pages() :
 *  The lines of @parent's retired_pages, parsed.
 *  @return 0 (count 0: none retired); -EINVAL (bad name); -ENODEV (not an
 *          mvgpu parent); -ENOENT (the module has no retired_pages);
 *          -EBADMSG (a malformed line, see mvgpu_last_error()); -ENOMEM.
 *          @out zeroed on failure. */
int mvgpu_retired_pages(mvgpu_ctx *ctx, const char *parent,
			mvgpu_retired_page_list *out);

/*! mvgpu_retired_page_list_free() : free @list's items, zero it; NULL ok. */
void mvgpu_retired_page_list_free(mvgpu_retired_page_list *list);

/*! mvgpu_busy_percent() :
 *  Busy % of a busy_ns counter between two samples, each a counter value
 *  and the wall clock (ns, any fixed origin) it was read at:
 *  100 * (@busy1 - @busy0) / (@wall1 - @wall0), at most 100 (the counter
 *  and the clock are not read at the same instant).
 *  @return 0..100, or -1 when it cannot be told: no time passed, or the
 *          counter went backwards (the vGPU was created anew, the module
 *          reloaded). */
double mvgpu_busy_percent(uint64_t busy0, uint64_t wall0, uint64_t busy1,
			  uint64_t wall1);

/*! A clock for mvgpu_status_sample(): tests and simulations replace the
 *  real one (CLOCK_MONOTONIC and nanosleep). */
typedef struct {
	uint64_t (*now_ns)(void *opaque);
	/* wait @ns; @return 0, or a -errno that ends the sample with it */
	int (*sleep_ns)(void *opaque, uint64_t ns);
	void *opaque;
} mvgpu_clock;

/*! mvgpu_ctx_set_clock() : use @clock (copied) from now on; NULL (or one
 *  without now_ns or sleep_ns): the real clock again. */
void mvgpu_ctx_set_clock(mvgpu_ctx *ctx, const mvgpu_clock *clock);

/*! mvgpu_status_sample() :
 *  Measure busy % over @interval_ms: read the busy_ns of every entry of
 *  @parents and @vgpus that has one (either list may be NULL; lists from
 *  the calls above, or built by hand around single entries), wait
 *  @interval_ms, read them again and set each entry's busy_pct
 *  (mvgpu_busy_percent(), each entry timed by its own reads) and busy_ns
 *  (the second reading).  Entries without busy_ns (an older module) keep
 *  busy_pct -1, as do those that vanished or whose counter went backwards
 *  meanwhile.  Does not wait when no entry has busy_ns.
 *  The interval is the caller's choice: short ones (the CLI's default is
 *  200 ms) answer quickly but show the load of that moment; busy % is an
 *  average over the interval, as nvidia-smi's utilization is over its
 *  sample period (1/6 s to 1 s).  The wait ends early with -ECANCELED
 *  when the context's cancel flag is set (mvgpu_ctx_set_cancel()).
 *  @return 0; -EINVAL (@interval_ms 0 or > 60000); -ECANCELED; -errno of
 *          the clock's sleep. */
int mvgpu_status_sample(mvgpu_ctx *ctx, unsigned interval_ms,
			mvgpu_parent_status_list *parents,
			mvgpu_vgpu_status_list *vgpus);

/*=====================================================================
 *  Topology: how the GPUs are connected (mvgpu topo, as nvidia-smi topo -m)
 *=====================================================================
 * The GPUs are the mvgpu parents, or given vGPUs (each on its parent); for
 * each pair, how they reach each other, and each GPU's CPU and NUMA
 * affinity.  Read (paths below the context's root):
 *
 *   <sysfs>/class/mdev_bus/<parent>/mvgpu/links
 *       the parent's emulated links: one line per peer parent,
 *       "<peer> <n>" (n = 1..8 links), symmetric
 *   <sysfs>/bus/pci/devices/<bus id>  -> its device, whose real path
 *       (/devices/pci0000:00/0000:00:02.0/0000:01:00.0) gives its PCI
 *       root and the bridges above it; /class/mdev_bus/<parent> when the
 *       bus lacks the link (the same device)
 *       .../local_cpulist, .../numa_node   a PCI parent's affinity
 *   <sysfs>/devices/system/cpu/online  a virtual parent's CPU affinity
 *
 * The relation of GPUs i != j, on parents P and Q (nvidia-smi's names):
 *   "NV<n>"  P's links lists Q with n links, or Q's lists P (should both,
 *            with different counts: the smaller, and a warning)
 *   "SYS"    PCI roots differ and so do their NUMA nodes (both known);
 *            or either parent is not on PCI (a virtual parent mvgpuN)
 *   "NODE"   PCI roots differ, in one NUMA node (or a node is unknown)
 *   "PHB"    one PCI root, no bridge in common (both on the root bus, or
 *            under different root ports)
 *   "PIX"    the same bridge right above both
 *   "PXB"    bridges in common, not the one right above each
 *   "SAME"   two vGPUs of one parent (no peer-to-peer between them)
 * and "X" for a GPU and itself.
 *
 * As with the status files, each of these files is optional (a module
 * without links, a machine without NUMA: no links, numa_node -1), and a
 * malformed one is left out with a warning naming it. */

#define MVGPU_TOPO_REL_MAX   8      /* "NV8", "SAME", with the NUL */
#define MVGPU_CPULIST_MAX    1024   /* "0-63,128-191", with the NUL */

/*! One GPU of the matrix. */
typedef struct {
	char parent[MVGPU_ID_MAX];       /* the parent, e.g. "0000:00:04.0" */
	char uuid[MVGPU_UUID_LEN];       /* the vGPU; "" when the GPUs are
	                                  * the parents */
	char bus_id[MVGPU_BUS_ID_MAX];   /* a PCI parent's address; "" for a
	                                  * virtual parent */
	char cpu_affinity[MVGPU_CPULIST_MAX]; /* a CPU list, as the file
	                                  * gives it ("0-1"); "" unknown */
	int  numa_node;                  /* -1: none or unknown */
} mvgpu_topo_gpu;

/*! The matrix: @count GPUs and @count x @count relations, row by row
 *  (mvgpu_topo_rel()).  Release with mvgpu_topology_free(). */
typedef struct {
	mvgpu_topo_gpu *gpus;
	size_t count;
	char (*rel)[MVGPU_TOPO_REL_MAX];
	size_t skipped;   /* parents that could not be read (bad names) */
} mvgpu_topology;

/*! mvgpu_get_topology() :
 *  The topology of every mvgpu parent (@nuuids 0; in natural order, as
 *  mvgpu_list_parent_status() lists them), or of the vGPUs @uuids (any
 *  case), in that order.
 *  @return 0 (count may be 0: no module loaded); -EINVAL (a UUID is not
 *          one, or is given twice; see mvgpu_last_error()); -ENOENT (no
 *          such mvgpu vGPU: the message names it); -EBADMSG (its
 *          mdev_type link is malformed); -ENOMEM.  @out zeroed on
 *          failure. */
int mvgpu_get_topology(mvgpu_ctx *ctx, const char *const *uuids,
		       size_t nuuids, mvgpu_topology *out);

/*! mvgpu_topo_rel() : the relation of GPUs @i and @j of @t ("X", "NV2",
 *  "PIX", ...); "" if either is out of range. */
const char *mvgpu_topo_rel(const mvgpu_topology *t, size_t i, size_t j);

/*! mvgpu_topology_free() : free @t's arrays, zero it; NULL is ok. */
void mvgpu_topology_free(mvgpu_topology *t);

/*=====================================================================
 *  Device access: one vGPU as a VFIO user (a guest driver) sees it
 *=====================================================================
 *
 * The functions below open a vGPU through VFIO (container/group API, type1
 * IOMMU) and drive the device described by proto/mvgpu_abi.h: registers on
 * BAR0 (trapped: read and written with pread/pwrite), the framebuffer on
 * BAR2 (mmap-able, or pread/pwrite at any offset and size), DMA memory that
 * the device reads and writes (anonymous memory mapped into the IOMMU),
 * interrupts delivered to eventfds, and command channels whose rings live
 * in that DMA memory.
 *
 * Conventions, in addition to the ones at the top of this file:
 *  - A device is input too: every value read from it (region layout, IDs,
 *    GET, FENCE, STATUS, ...) is checked.  A device that breaks the ABI
 *    makes the call fail with -EPROTO and a detail in mvgpu_last_error().
 *  - The mvgpu_ctx given to mvgpu_dev_open() must outlive the device: the
 *    detail of each failure is left there (mvgpu_last_error()).
 *  - A device and its channels are not thread-safe; use them from one
 *    thread (several devices may be used from several threads, each with
 *    its own context).
 *  - Timeouts are in milliseconds; a negative timeout waits forever.
 *  - Waits sleep on the device's interrupt (MSI, else INTx) and re-read the
 *    registers at least every 100 ms, so a lost interrupt costs latency but
 *    never a hang; mvgpu_dev_stats_get() tells which woke them.
 *
 * Typical use:
 *
 *     mvgpu_dev *dev;  mvgpu_chan *ch;  uint32_t v;
 *     struct mvgpu_cmd c = mvgpu_cmd_fill(0, 4096, 0x00ff0000);
 *     mvgpu_dev_open(ctx, uuid, &dev);
 *     mvgpu_chan_open(dev, 0, 65536, &ch);
 *     mvgpu_chan_submit(ch, &c, 1);
 *     mvgpu_chan_fence(ch, MVGPU_FENCE_IRQ, &v);
 *     mvgpu_chan_wait(ch, v, 1000);      // -EIO: see mvgpu_chan_error(ch)
 *     mvgpu_dev_close(dev);              // closes the channels too
 */
typedef struct mvgpu_dev mvgpu_dev;     /* opaque: one open vGPU */
typedef struct mvgpu_chan mvgpu_chan;   /* opaque: one enabled channel */

/*! What mvgpu_dev_open() learnt about the device (all of it checked). */
typedef struct {
	char     uuid[MVGPU_UUID_LEN];
	int      iommu_group;
	int      iommu_type;    /* VFIO_TYPE1v2_IOMMU (3) or VFIO_TYPE1_IOMMU (1) */
	uint32_t version;       /* REG_VERSION: major << 16 | minor */
	uint64_t fb_size;       /* framebuffer bytes (= BAR2 size, a power of two) */
	int      fb_mmap;       /* 1: mvgpu_fb_map() works (BAR2 is mmap-able) */
	unsigned channels;      /* 1..MVGPU_NUM_CHANNELS (REG_CAPS) */
	unsigned heads;         /* REG_CAPS */
	unsigned type_index;    /* REG_CAPS: row of MVGPU_TYPES_INIT */
	unsigned max_width;     /* largest mode of that type */
	unsigned max_height;
	unsigned irq_count[5];  /* VFIO_DEVICE_GET_IRQ_INFO count per index */
} mvgpu_dev_info;

/*! mvgpu_dev_open() :
 *  Open the vGPU @uuid: look it up in sysfs (it must be an mvgpu vGPU),
 *  open /dev/vfio/vfio and its group /dev/vfio/<iommu_group>, attach the
 *  group to a new container with the type1v2 IOMMU (type1 if v2 is not
 *  offered), get the device fd and check the device: a PCI device with at
 *  least 9 regions, BAR0 >= MVGPU_MMIO_SIZE and readable/writable, BAR2
 *  readable/writable, ID = MVGPU_ID_MAGIC, ABI major MVGPU_ABI_MAJOR,
 *  FB_SIZE = BAR2 size, sane CAPS.  Then, as a guest driver would, enables
 *  memory decoding and bus mastering in the PCI command register.
 *  @uuid  any case.
 *  @out   receives the device; unchanged on failure.
 *  @return 0;
 *          -EINVAL  @uuid is not a UUID, NULL argument;
 *          -ENOENT  no such mvgpu vGPU;
 *          -ENODEV  VFIO is not available (no /dev/vfio/vfio, no type1
 *                   IOMMU, the vGPU has no IOMMU group or no group node);
 *          -EPERM   the group is not viable (another device in it is bound
 *                   to a host driver);
 *          -EACCES  no permission on /dev/vfio/...;
 *          -EBUSY   the vGPU is open elsewhere (e.g. by QEMU);
 *          -EPROTO  the device does not look like an mvgpu device of a
 *                   supported ABI (see mvgpu_last_error());
 *          -ENOMEM. */
int mvgpu_dev_open(mvgpu_ctx *ctx, const char *uuid, mvgpu_dev **out);

/*! mvgpu_dev_close() :
 *  Close the channels still open on @dev (mvgpu_chan_close()), free all its
 *  DMA memory, unmap the framebuffer, close the eventfds, the device, the
 *  group and the container.  NULL is a no-op.  The device resets its
 *  engine when closed (docs/registers.md); the framebuffer is kept. */
void mvgpu_dev_close(mvgpu_dev *dev);

/*! mvgpu_dev_get_info() : @return @dev's info; valid until close. */
const mvgpu_dev_info *mvgpu_dev_get_info(const mvgpu_dev *dev);

/*! mvgpu_dev_fd() :
 *  @return the VFIO device fd, for direct ioctls and region accesses
 *  (tests); it stays owned by @dev. */
int mvgpu_dev_fd(const mvgpu_dev *dev);

/*! mvgpu_dev_region() :
 *  Where VFIO region @index (VFIO_PCI_*_REGION_INDEX) is in the device fd.
 *  Any out pointer may be NULL.
 *  @return 0, or -EINVAL (@index >= 9). */
int mvgpu_dev_region(const mvgpu_dev *dev, unsigned index, uint64_t *offset,
		     uint64_t *size, uint32_t *flags);

/*! Counters of @dev since open, for reports and tests. */
typedef struct {
	uint64_t irq_wakeups;   /* waits woken by the interrupt eventfd */
	uint64_t poll_wakeups;  /* wait slices that ended without one */
	uint64_t doorbells;     /* PUT writes */
	uint64_t cmds;          /* commands submitted */
	uint64_t ring_full;     /* times mvgpu_chan_submit() waited for room */
} mvgpu_dev_stats;

/*! mvgpu_dev_stats_get() : @return @dev's counters. */
const mvgpu_dev_stats *mvgpu_dev_stats_get(const mvgpu_dev *dev);

#define MVGPU_RESET_VFIO  0   /* VFIO_DEVICE_RESET (function-level reset) */
#define MVGPU_RESET_REG   1   /* write MVGPU_RESET_MAGIC to REG_RESET */

/*! mvgpu_dev_reset() :
 *  Reset the device @how (MVGPU_RESET_*): registers return to their
 *  power-on values and every channel is disabled.  Afterwards the library
 *  re-enables memory decoding, bus mastering and MSI (if an MSI eventfd is
 *  set) in config space, as a guest driver would, and writes no BAR0
 *  register.  Channel objects stay allocated but are disabled: their
 *  calls fail with -ENOTCONN until mvgpu_chan_reset().
 *  @return 0, -EINVAL (bad @how), or the failing call's -errno. */
int mvgpu_dev_reset(mvgpu_dev *dev, int how);

/*-************************************
 *  Registers (BAR0)
 **************************************/

/*! mvgpu_reg_read() / mvgpu_reg_write() :
 *  One 4-byte access to the register at @off (MVGPU_REG_*).
 *  @return 0; -EINVAL (@off not 4-byte aligned or >= MVGPU_MMIO_SIZE, NULL
 *          @val); -EIO (short access); other -errno from pread/pwrite. */
int mvgpu_reg_read(mvgpu_dev *dev, uint32_t off, uint32_t *val);
int mvgpu_reg_write(mvgpu_dev *dev, uint32_t off, uint32_t val);

/*-************************************
 *  Framebuffer (BAR2)
 **************************************/

/*! mvgpu_fb_map() :
 *  Map the whole framebuffer (MAP_SHARED, read/write) once; later calls
 *  return the same mapping, which lives until mvgpu_dev_close().
 *  @return 0 with *@ptr and *@size (= info.fb_size); -ENOTSUP (BAR2 is not
 *          mmap-able as a whole); -errno from mmap. */
int mvgpu_fb_map(mvgpu_dev *dev, void **ptr, size_t *size);

/*! mvgpu_fb_read() / mvgpu_fb_write() :
 *  Copy @len bytes at framebuffer offset @off through the region's
 *  read/write path (no mmap): any offset, any size.  Short transfers are
 *  continued; @len 0 does nothing.
 *  @return 0; -EINVAL (the range is not inside the framebuffer, nothing is
 *          transferred); -EIO (the device transferred nothing); -errno. */
int mvgpu_fb_read(mvgpu_dev *dev, uint64_t off, void *buf, size_t len);
int mvgpu_fb_write(mvgpu_dev *dev, uint64_t off, const void *buf, size_t len);

/*-************************************
 *  DMA memory (guest memory the device reads and writes)
 **************************************/

/*! A DMA buffer: @size bytes at @va in this process, at @iova for the
 *  device.  Zero-filled when allocated. */
typedef struct {
	void    *va;
	uint64_t iova;
	size_t   size;
} mvgpu_dma;

/* IOVAs the library hands out start here and are separated by at least
 * one unmapped page; nothing below is ever mapped, so a test can use
 * e.g. MVGPU_DMA_IOVA_BASE - 4096 as an unmapped address. */
#define MVGPU_DMA_IOVA_BASE   (1ull << 30)
#define MVGPU_DMA_IOVA_LIMIT  (1ull << 47)

/*! mvgpu_dma_alloc() :
 *  Allocate @size bytes (rounded up to whole pages) of anonymous memory and
 *  map it for the device (VFIO_IOMMU_MAP_DMA, read and write) at an IOVA
 *  chosen by the library.
 *  @return 0 and fills @out; -EINVAL (@size 0 or > 1 GiB); -ENOSPC (no
 *          IOVA range left); -ENOMEM; -errno from the map (e.g. -ENOSPC
 *          when the IOMMU's mapping limit is reached). */
int mvgpu_dma_alloc(mvgpu_dev *dev, size_t size, mvgpu_dma *out);

/*! mvgpu_dma_free() :
 *  Unmap and free a buffer from mvgpu_dma_alloc(), and zero @buf.  A
 *  zeroed @buf is a no-op.  The device must no longer use it.
 *  @return 0, or -EINVAL (@buf is not a live allocation of @dev). */
int mvgpu_dma_free(mvgpu_dev *dev, mvgpu_dma *buf);

/*-************************************
 *  Interrupts
 **************************************/
/* Indexes, as VFIO numbers them (VFIO_PCI_*_IRQ_INDEX). */
#define MVGPU_IRQ_INTX  0   /* level: asserted while STATUS & MASK != 0; automasked */
#define MVGPU_IRQ_MSI   1   /* one vector: a message per source firing */
#define MVGPU_IRQ_ERR   3   /* VFIO error reporting: never for a channel error,
                             * which the guest's INTx/MSI source reports */

/*! mvgpu_irq_enable() :
 *  Create an eventfd (non-blocking, close-on-exec) and make it the trigger
 *  of interrupt @index (VFIO_DEVICE_SET_IRQS, ACTION_TRIGGER|DATA_EVENTFD,
 *  start 0, count 1).  For MSI, also sets the enable bit of the MSI
 *  capability in config space.  If @index already has one, it is kept.
 *  The library's waits use the MSI eventfd if set, else the INTx one.
 *  @efd  may be NULL; receives the eventfd, owned by @dev (poll and read
 *        it, never close it).
 *  @return 0; -EINVAL (bad index); -ENOTSUP (the device has no such
 *          interrupt); -errno. */
int mvgpu_irq_enable(mvgpu_dev *dev, unsigned index, int *efd);

/*! mvgpu_irq_disable() :
 *  Tear down interrupt @index (ACTION_TRIGGER|DATA_NONE, count 0), clear
 *  the MSI enable bit for MSI, close its eventfd.  No-op if not enabled.
 *  @return 0, -EINVAL (bad index), -errno. */
int mvgpu_irq_disable(mvgpu_dev *dev, unsigned index);

/*! mvgpu_irq_unmask() :
 *  Unmask @index (ACTION_UNMASK|DATA_NONE): INTx is masked automatically
 *  each time it fires; acknowledge the sources (REG_INTR_ACK) first, or it
 *  fires again at once.
 *  @return 0, -EINVAL, -errno. */
int mvgpu_irq_unmask(mvgpu_dev *dev, unsigned index);

/*! mvgpu_irq_wait() :
 *  Wait until @index's eventfd fires or @timeout_ms passes, and consume it.
 *  Does not acknowledge or unmask anything.
 *  @count  may be NULL; receives how many times it fired (eventfd count).
 *  @return 0; -ETIMEDOUT; -ENOTCONN (no eventfd set for @index); -errno. */
int mvgpu_irq_wait(mvgpu_dev *dev, unsigned index, int timeout_ms,
		   uint64_t *count);

/*-************************************
 *  Commands (proto/mvgpu_abi.h: 32 bytes, little-endian)
 **************************************/
/* Builders: they encode, they do not check (tests build bad commands on
 * purpose).  Offsets and sizes are in bytes. */
struct mvgpu_cmd mvgpu_cmd_nop(void);
struct mvgpu_cmd mvgpu_cmd_fill(uint64_t fb_off, uint64_t bytes,
				uint32_t pattern);
struct mvgpu_cmd mvgpu_cmd_copy(uint64_t src_off, uint64_t dst_off,
				uint64_t bytes);
/* PEER_COPY (ABI 1.2): @peer is the index in the vGPU's peer table
 * (MVGPU_REG_PEER_*); @from_peer 1 copies the peer's @there into @here,
 * 0 the other way. */
struct mvgpu_cmd mvgpu_cmd_peer_copy(uint32_t peer, int from_peer,
				     uint64_t here, uint64_t there,
				     uint64_t bytes);
struct mvgpu_cmd mvgpu_cmd_dma_to_fb(uint64_t iova, uint64_t fb_off,
				     uint64_t bytes);
struct mvgpu_cmd mvgpu_cmd_dma_from_fb(uint64_t fb_off, uint64_t iova,
				       uint64_t bytes);
/* @flags: MVGPU_CMD_F_*; @iova used with MVGPU_CMD_F_FENCE_MEM. */
struct mvgpu_cmd mvgpu_cmd_fence(uint32_t value, uint32_t flags,
				 uint64_t iova);
/* A raw command (any opcode and flags), little-endian encoded. */
struct mvgpu_cmd mvgpu_cmd_raw(uint32_t op, uint32_t flags, uint64_t a,
			       uint64_t b, uint64_t c);

/*! mvgpu_err_name() :
 *  @return "NONE", "RING", "PUT", "OPCODE", "DMA", "FB_RANGE", "ALIGN",
 *  "NOMEM" for MVGPU_ERR_* values, "UNKNOWN" otherwise. */
const char *mvgpu_err_name(uint32_t code);

/*-************************************
 *  Channels
 **************************************/

/*! mvgpu_chan_open() :
 *  Enable channel @ch: allocate a @ring_bytes ring and a fence slot in DMA
 *  memory, program RING_BASE_LO/HI and RING_SIZE, write CTRL = ENABLE and
 *  check that STATUS says ENABLED without ERROR and GET = PUT = 0.  Adds
 *  the channel's FENCE and ERROR sources to INTR_MASK, and enables the MSI
 *  eventfd if neither MSI nor INTx has one yet (and the device has MSI).
 *  Fence values continue from the FENCE register's value at enable.
 *  @ring_bytes  a power of two, MVGPU_RING_MIN..MVGPU_RING_MAX.
 *  @return 0;
 *          -EINVAL  bad @ch (>= info.channels) or @ring_bytes;
 *          -EBUSY   @ch is already open on @dev;
 *          -EIO     the device refused the ring (mvgpu_last_error() names
 *                   the MVGPU_ERR_* code);
 *          -EPROTO  inconsistent STATUS/GET/PUT after enable;
 *          -errno   from DMA allocation or register access. */
int mvgpu_chan_open(mvgpu_dev *dev, unsigned ch, size_t ring_bytes,
		    mvgpu_chan **out);

/*! mvgpu_chan_close() :
 *  Write CTRL = RESET (disables the channel), drop its INTR_MASK sources,
 *  free the ring and slot.  NULL is a no-op. */
void mvgpu_chan_close(mvgpu_chan *chan);

/*! mvgpu_chan_index() : @return the channel number. */
unsigned mvgpu_chan_index(const mvgpu_chan *chan);

/*! mvgpu_chan_set_timeout() :
 *  Bound (ms, negative = forever) for mvgpu_chan_submit() waiting for ring
 *  space; default 10000. */
void mvgpu_chan_set_timeout(mvgpu_chan *chan, int timeout_ms);

/*! mvgpu_chan_submit() :
 *  Copy @n commands into the ring at PUT (wrapping at its end), then write
 *  PUT once.  If the ring cannot take them all, as many as fit are
 *  submitted (one doorbell) and the rest follow as GET moves; waiting for
 *  room sleeps on the interrupt and re-reads GET, bounded by the channel's
 *  timeout.  @n 0 does nothing.
 *  @return 0;
 *          -EIO       the channel is in error (mvgpu_chan_error());
 *                     commands after the failing one were not consumed;
 *          -ETIMEDOUT no room freed within the timeout (some commands may
 *                     have been submitted);
 *          -ENOTCONN  the channel was disabled by a device reset;
 *          -EPROTO    the device reported an impossible GET;
 *          -errno. */
int mvgpu_chan_submit(mvgpu_chan *chan, const struct mvgpu_cmd *cmds,
		      size_t n);

/* mvgpu_chan_fence() flags */
#define MVGPU_FENCE_IRQ  (1u << 0)  /* MVGPU_CMD_F_IRQ: interrupt on completion */
#define MVGPU_FENCE_MEM  (1u << 1)  /* MVGPU_CMD_F_FENCE_MEM to the channel's slot */

/*! mvgpu_chan_fence_cmd() :
 *  Take the channel's next fence value (values increase by one per fence,
 *  wrapping at 2^32) and build its FENCE command, to end a batch with.
 *  The caller must submit it, or waits for that value time out.
 *  @flags  MVGPU_FENCE_* (others: -EINVAL).
 *  @return 0, -EINVAL. */
int mvgpu_chan_fence_cmd(mvgpu_chan *chan, unsigned flags,
			 struct mvgpu_cmd *cmd, uint32_t *value);

/*! mvgpu_chan_fence() :
 *  mvgpu_chan_fence_cmd() and submit it.
 *  @return 0 and *@value, or mvgpu_chan_submit()'s errors. */
int mvgpu_chan_fence(mvgpu_chan *chan, unsigned flags, uint32_t *value);

/*! mvgpu_chan_wait() :
 *  Wait until the channel's FENCE register has reached @value (wrap-safe:
 *  FENCE - @value, as a signed 32-bit number, >= 0), sleeping on the
 *  interrupt and acknowledging INTR_STATUS.
 *  @return 0;
 *          -EIO       the channel entered error (STATUS_ERROR):
 *                     mvgpu_chan_error() and mvgpu_chan_error_get() say
 *                     which and where;
 *          -ETIMEDOUT @value not reached within @timeout_ms;
 *          -ENOTCONN  disabled by a device reset or not enabled any more;
 *          -errno. */
int mvgpu_chan_wait(mvgpu_chan *chan, uint32_t value, int timeout_ms);

/*! mvgpu_chan_error() :
 *  @return the MVGPU_ERR_* code read when a call last returned -EIO (0 if
 *  none since open/reset). */
uint32_t mvgpu_chan_error(const mvgpu_chan *chan);
/*! mvgpu_chan_error_get() : @return ERROR_GET read with that code. */
uint32_t mvgpu_chan_error_get(const mvgpu_chan *chan);

/*! mvgpu_chan_last_fence() : @return the value of the last fence issued
 *  (the FENCE register value at enable if none yet). */
uint32_t mvgpu_chan_last_fence(const mvgpu_chan *chan);

/*! mvgpu_chan_fence_mem() :
 *  @return the value the device last wrote to the channel's fence slot
 *  (MVGPU_FENCE_MEM fences), 0 before any. */
uint32_t mvgpu_chan_fence_mem(const mvgpu_chan *chan);

/*! A channel's registers, read together (for tests and diagnostics). */
typedef struct {
	uint32_t ctrl, put, get, fence, status, error, error_get;
} mvgpu_chan_regs;

/*! mvgpu_chan_read_regs() : @return 0 or -errno. */
int mvgpu_chan_read_regs(mvgpu_chan *chan, mvgpu_chan_regs *out);

/*! mvgpu_chan_reset() :
 *  Recover a channel after an error or a device reset: write CTRL = RESET
 *  (clears the error), then enable it again on the same ring as
 *  mvgpu_chan_open() does.  Fence values keep increasing.
 *  @return as mvgpu_chan_open(). */
int mvgpu_chan_reset(mvgpu_chan *chan);


/*=====================================================================
 *  Migration: VFIO migration v2 on an open vGPU
 *=====================================================================
 * The vGPU's state leaves through the kernel's VFIO migration interface as
 * one stream (proto/mvgpu_stream.h) while the guest keeps working
 * (PRE_COPY), and arrives whole or not at all (RESUMING validates all of it
 * before the device changes).  These functions move the stream to and from
 * any file descriptor: a file, a pipe, a socket. */

/* Device migration states: the values of the kernel's enum
 * vfio_device_mig_state (Debian 12's 6.1 uAPI headers lack the PRE_COPY
 * ones). */
enum mvgpu_mig_state {
	MVGPU_MIG_ERROR        = 0,
	MVGPU_MIG_STOP         = 1,
	MVGPU_MIG_RUNNING      = 2,
	MVGPU_MIG_STOP_COPY    = 3,
	MVGPU_MIG_RESUMING     = 4,
	MVGPU_MIG_RUNNING_P2P  = 5,
	MVGPU_MIG_PRE_COPY     = 6,
	MVGPU_MIG_PRE_COPY_P2P = 7,
};

/*! mvgpu_mig_state_name() : "RUNNING", "PRE_COPY", ...; "?" if unknown. */
const char *mvgpu_mig_state_name(uint32_t state);

/*! mvgpu_mig_flags() :
 *  VFIO_DEVICE_FEATURE_MIGRATION: the VFIO_MIGRATION_* flags (STOP_COPY 1,
 *  P2P 2, PRE_COPY 4).
 *  @return 0, or -errno (-ENOTTY/-EINVAL: the vGPU cannot migrate). */
int mvgpu_mig_flags(mvgpu_dev *dev, uint64_t *flags);

/*! mvgpu_mig_get_state() : the current MVGPU_MIG_* state.
 *  @return 0 or -errno. */
int mvgpu_mig_get_state(mvgpu_dev *dev, uint32_t *state);

/*! mvgpu_mig_set_state() :
 *  Move to @state (the kernel walks multi-step arcs).  Arcs ending in
 *  PRE_COPY, STOP_COPY (from STOP) and RESUMING return a data fd in
 *  *@data_fd (else -1); pass NULL to have it closed.
 *  @return 0, or -errno with the device in the last state it reached
 *          (-EINVAL for an illegal arc; from RESUMING to STOP, the
 *          kernel's verdict on the stream: -ENODATA incomplete, -EINVAL
 *          incompatible, -EPROTO/-EBADMSG malformed). */
int mvgpu_mig_set_state(mvgpu_dev *dev, uint32_t state, int *data_fd);

/*! mvgpu_mig_precopy_info() :
 *  VFIO_MIG_GET_PRECOPY_INFO on a pre-copy data fd.
 *  @return 0, or -errno (-EINVAL outside PRE_COPY*). */
int mvgpu_mig_precopy_info(int data_fd, uint64_t *initial_bytes,
			   uint64_t *dirty_bytes);

/*! mvgpu_mig_stop_copy_size() :
 *  VFIO_DEVICE_FEATURE_MIG_DATA_SIZE: the bytes stop-copy would carry now.
 *  @return 0 or -errno. */
int mvgpu_mig_stop_copy_size(mvgpu_dev *dev, uint64_t *bytes);

typedef struct {
	unsigned max_passes;        /* pre-copy passes at most; 0 counts as 1 */
	uint64_t switchover_bytes;  /* switch to stop-copy once the dirty bytes
	                             * reported after a pass are at most this */
	int precopy;                /* 0: stop the vGPU first (no pre-copy) */
	/* Optional: called after each pre-copy pass while the vGPU runs (a
	 * workload may use it); non-zero cancels the save with that value. */
	int (*between_passes)(void *opaque, unsigned pass, uint64_t dirty_bytes);
	/* Optional: called right before the vGPU is stopped for stop-copy (a
	 * workload pauses here, as QEMU stops the vCPUs), and again with
	 * @resumed 1 if the save then fails and the vGPU runs on. */
	void (*before_stop)(void *opaque, int resumed);
	void *opaque;
} mvgpu_save_opts;

typedef struct {
	unsigned passes;             /* pre-copy passes */
	uint64_t precopy_bytes;      /* bytes read while the vGPU ran */
	uint64_t stop_copy_bytes;    /* bytes read with the vGPU stopped */
	uint64_t stop_copy_estimate; /* what the kernel predicted for those */
	uint64_t last_dirty_bytes;   /* dirty bytes reported after the last pass */
	uint64_t stop_copy_ns;       /* the vGPU stopped -> stop-copy data read:
	                              * the device's share of the downtime */
	uint64_t total_ns;           /* the whole save */
} mvgpu_save_stats;

/*! mvgpu_save() :
 *  Save the (RUNNING) vGPU's whole state to @out: pre-copy passes while it
 *  keeps running, then stop-copy.  @opts NULL: 8 passes at most, switch
 *  over at 1 MiB dirty, with pre-copy.
 *  On success the vGPU is left in STOP (its state is in the stream; the
 *  caller resumes it with mvgpu_mig_set_state(RUNNING) or gives it up).
 *  On failure it is back in RUNNING with its state intact.
 *  @return 0 or -errno (details: mvgpu_last_error()). */
int mvgpu_save(mvgpu_dev *dev, int out, const mvgpu_save_opts *opts,
	       mvgpu_save_stats *stats);

/*! mvgpu_restore() :
 *  Load a stream from @in (to its end) into the vGPU and run it: RESUMING,
 *  the bytes, STOP (the kernel validates the whole stream and only then
 *  applies it), RUNNING.  The vGPU must not be in use by a workload.
 *  On failure nothing of the stream was applied; the vGPU is reset to
 *  leave RESUMING (a fresh vGPU is then as it was).
 *  @return 0 or -errno; *@bytes (may be NULL) the bytes fed. */
int mvgpu_restore(mvgpu_dev *dev, int in, uint64_t *bytes);

/*=====================================================================
 *  Images: a vGPU's whole state in a file (mvgpu save/restore/inspect)
 *=====================================================================
 * An image is a small header (the source's migration_version, sizes) and
 * the vGPU's migration stream compressed as one lz4 frame; the format is
 * in docs/save-restore.md.  Reads, compression and writes overlap: io_uring
 * does the I/O at both ends and a thread runs lz4 in between.
 *
 *  - Saving reads the stream from the vGPU's migration data fd (pre-copy
 *    passes while it runs, then stop-copy) and writes the file atomically:
 *    a temporary file in the same directory, fsync, rename over the name.
 *    A failed or interrupted save leaves no file under the name (an old
 *    one stays as it was) and the vGPU running with its state intact.
 *  - Restoring decodes the whole image natively first (proto's decoder,
 *    against the target's migration_version; no kernel involved) and
 *    only then feeds it to the vGPU, so a damaged, truncated or
 *    incompatible image never reaches it.
 *
 * Errors, in addition to the usual ones (details: mvgpu_last_error()):
 *   -EPROTO           not an mvgpu image, or the stream inside is malformed
 *   -EBADMSG          damaged: a checksum (header, lz4 block or content,
 *                     stream) disagrees or a field is out of range
 *   -ENODATA          truncated
 *   -EPROTONOSUPPORT  an image format this library does not read
 *   -EINVAL           incompatible: this vGPU cannot take that source
 *                     (type, framebuffer, stream or ABI version, features)
 *   -ECANCELED        interrupted through mvgpu_image_opts.cancel
 *   -ENOSPC, -EFBIG, -EIO, ...  writing or reading the file
 */
#include <signal.h>

#define MVGPU_IMAGE_MAJOR        1
#define MVGPU_IMAGE_MINOR        0
#define MVGPU_IMAGE_SET_MAJOR    2      /* a set: several vGPUs saved together */
#define MVGPU_IMAGE_VERSION_MAX  1024   /* migration_version, with the NUL */

#define MVGPU_IMAGE_F_PRECOPY    (1u << 0)  /* saved with pre-copy passes */

typedef struct mvgpu_image mvgpu_image;   /* opaque: an open image file */

/*! What an image's header says (all of it checked). */
typedef struct {
	unsigned major, minor;       /* image format */
	uint32_t flags;              /* MVGPU_IMAGE_F_* */
	uint32_t header_bytes;
	uint64_t stream_bytes;       /* the migration stream, uncompressed */
	uint64_t payload_bytes;      /* the lz4 frame */
	uint64_t file_bytes;         /* header_bytes + payload_bytes */
	int64_t  created;            /* seconds since the epoch */
	unsigned passes;             /* pre-copy passes of the save */
	char     source_uuid[MVGPU_UUID_LEN];  /* "" if not recorded */
	/* the source's migration_version (docs/compatibility.md), no newline */
	char     migration_version[MVGPU_IMAGE_VERSION_MAX];
	/* the vGPUs in the file: 1, or a set's (format 2: then the sizes are
	 * its sections' sums, passes and created their largest, no UUID and
	 * no migration_version - each section has its own) */
	unsigned vgpus;
	uint64_t offset;             /* a set's section: where it starts */
} mvgpu_image_info;

/* Progress events, given to mvgpu_image_opts.event on the calling thread. */
enum mvgpu_image_event_kind {
	MVGPU_IMAGE_EV_PROGRESS = 0, /* periodic, about every 100 ms */
	MVGPU_IMAGE_EV_PASS,         /* save: a pre-copy pass is through */
	MVGPU_IMAGE_EV_STOP,         /* save: the vGPU stopped (stop-copy) */
	MVGPU_IMAGE_EV_RESUMED,      /* save: the vGPU runs again */
	MVGPU_IMAGE_EV_VALIDATED,    /* restore: the image decoded natively */
	MVGPU_IMAGE_EV_LOADED,       /* restore: the vGPU took the state */
	MVGPU_IMAGE_EV_ACCEPTED,     /* migrate: the target accepted */
	MVGPU_IMAGE_EV_COMMITTED,    /* migrate: the vGPU runs on the target */
};

typedef struct {
	int kind;                /* MVGPU_IMAGE_EV_* */
	const char *name;        /* "progress", "pass", "stop-copy", "resumed",
	                          * "validated", "loaded" */
	const char *phase;       /* "pre-copy", "stop-copy", "finishing",
	                          * "validating", "loading" */
	unsigned pass;           /* pre-copy passes so far */
	uint64_t stream_bytes;   /* stream bytes moved so far in this phase */
	uint64_t stream_total;   /* stream bytes expected; 0: unknown */
	uint64_t file_bytes;     /* compressed bytes moved so far */
	uint64_t dirty_bytes;    /* PASS: dirty bytes the vGPU reports */
	uint64_t estimate_bytes; /* STOP: stop-copy bytes the vGPU predicts */
	uint64_t elapsed_ns;     /* since the operation started */
	/* several vGPUs at once (a migration session, an image of a set):
	 * how many (0 or 1: one), and which one a PASS, LOADED ... is about
	 * (an index; stream_bytes and file_bytes are the totals of all) */
	unsigned vgpus;
	unsigned vgpu;
} mvgpu_image_event;

typedef struct {
	int precopy;                 /* save: pre-copy passes while it runs */
	unsigned max_passes;         /* save: pre-copy passes at most (0: 1) */
	uint64_t switchover_bytes;   /* save: stop once a pass leaves at most
	                              * this many dirty bytes */
	void (*event)(void *opaque, const mvgpu_image_event *ev);
	void *opaque;
	/* checked at every wake-up (at least every 100 ms): non-zero stops
	 * the operation with -ECANCELED.  For a signal handler's flag. */
	const volatile sig_atomic_t *cancel;
} mvgpu_image_opts;

typedef struct {
	uint64_t stream_bytes;       /* uncompressed stream */
	uint64_t file_bytes;         /* the whole image file */
	unsigned passes;             /* save: pre-copy passes */
	uint64_t precopy_bytes;      /* save: stream bytes read while running */
	uint64_t stop_copy_bytes;    /* save: stream bytes read while stopped */
	uint64_t elapsed_ns;         /* the whole operation */
	uint64_t downtime_ns;        /* save: from stop-copy until running again */
	uint64_t validate_ns;        /* restore: the native decoding pass */
	int registered;              /* io_uring used registered buffers */
	int device_touched;          /* restore: the vGPU entered RESUMING
	                              * (on failure it was then reset) */
} mvgpu_image_stats;

/*! What an image holds, from decoding it (mvgpu_image_check()). */
typedef struct {
	/* the stream's descriptor */
	char     type[32];
	char     driver[32];
	unsigned type_index;
	unsigned stream_major, stream_minor, abi_major, abi_minor;
	uint64_t fb_size;
	uint64_t features;
	/* records */
	uint64_t page_records, zero_records, size_hints;
	/* the framebuffer as restored: each page's last record */
	uint64_t fb_pages;
	uint64_t pages_data;         /* a PAGE record: contents travel */
	uint64_t pages_zero;         /* a ZERO record */
	uint64_t pages_unsent;       /* none: never written, zero */
	/* the device state */
	uint16_t vendor, device, subvendor, subdevice;   /* config space */
	uint32_t intr_status, intr_mask, scratch;
	uint32_t irq_kind;           /* 0 none, 1 INTx, 2 MSI */
	uint32_t irq_flags;
	struct {
		uint32_t width, height, stride, format, offset, enable;
	} disp;
	struct {
		uint32_t ctrl, ring_size, put, get, fence, error, error_get;
		uint64_t ring_base, cmd_done;
	} ch[MVGPU_NUM_CHANNELS];
	/* ECC (device ABI 1.1, stream 1.1) */
	unsigned ecc_mode;           /* the source parent's ECC mode: 0 unknown,
	                              * 1 off, 2 on (MVGPU_COMPAT_ECC_*): the
	                              * PLAT record's, else the ecc key of the
	                              * header's migration_version */
	int      has_platform;       /* the stream has a PLAT record: */
	struct {
		uint32_t ecc;                /* 1 off, 2 on */
		uint32_t frame_rate_limiter; /* 0 or 1 */
	} platform;
	int      has_ecc;            /* the stream has an ECC record: */
	struct {
		uint32_t ctrl;               /* ECC_CTRL: bit 0 opt-out requested */
		uint32_t flags;              /* bit 0 opted out, bit 1 killed
		                              * (MVGPU_STATE_ECC_F_*) */
		uint64_t sbe_volatile, dbe_volatile;
		uint64_t sbe_aggregate, dbe_aggregate;
	} ecc;
} mvgpu_image_summary;

/*! mvgpu_vgpu_migration_version() :
 *  The migration_version of vGPU @uuid's type (sysfs), without newline.
 *  @return its length, or -errno (-ENOENT: no such vGPU or the module
 *          has no migration_version). */
int mvgpu_vgpu_migration_version(mvgpu_ctx *ctx, const char *uuid, char *buf,
				 size_t len);

/*! mvgpu_image_save() :
 *  Save the RUNNING vGPU @dev to a new image at @path (replaced
 *  atomically if it exists; created 0600: it holds the guest's screen).
 *  @opts NULL: pre-copy, 8 passes at most, switch over at 1 MiB dirty.
 *  The vGPU is RUNNING again when this returns, success or not: right
 *  after its last byte was read (that is the downtime), or, on failure,
 *  by cancelling the save (its state is intact).
 *  @return 0 or -errno; @stats (may be NULL) filled in either case. */
int mvgpu_image_save(mvgpu_dev *dev, const char *path,
		     const mvgpu_image_opts *opts, mvgpu_image_stats *stats);

/*! mvgpu_image_write() :
 *  The same from any stream: read @stream_fd to its end (a pipe, a file,
 *  a VFIO data fd in stop-copy) and write an image at @path, atomically.
 *  @migration_version  the source's, recorded in the header (must parse).
 *  @return 0 or -errno. */
int mvgpu_image_write(mvgpu_ctx *ctx, int stream_fd, const char *path,
		      const char *migration_version,
		      const mvgpu_image_opts *opts, mvgpu_image_stats *stats);

/*! mvgpu_image_open() :
 *  Open the image at @path and check its header (not the payload).
 *  @return 0 and *@out; -EPROTO, -EBADMSG, -ENODATA, -EPROTONOSUPPORT
 *          (see above); -EISDIR/-EINVAL (not a regular file); -errno. */
int mvgpu_image_open(mvgpu_ctx *ctx, const char *path, mvgpu_image **out);

/*! mvgpu_image_close() : NULL is a no-op. */
void mvgpu_image_close(mvgpu_image *img);

/*! mvgpu_image_vgpu() :
 *  The @i-th vGPU of @img: of a set (format 2), the image of its section -
 *  a whole format-1 image, checked, extracted, restored like any - valid
 *  until @img is closed (do not close it); of a plain image, @img itself
 *  (@i 0).  The per-vGPU calls below refuse a set itself (-EISDIR).
 *  @return the image, or NULL (no such vGPU). */
mvgpu_image *mvgpu_image_vgpu(mvgpu_image *img, unsigned i);

/*! mvgpu_image_get_info() : @return the header; valid until close. */
const mvgpu_image_info *mvgpu_image_get_info(const mvgpu_image *img);

/*! mvgpu_image_check() :
 *  Decode the whole image natively: lz4 (block and content checksums),
 *  the stream (every record validated, the trailer's checksum), and the
 *  descriptor against @target_version (a migration_version string; NULL:
 *  the image's own, i.e. "is it consistent").
 *  @sum  may be NULL; filled on success.
 *  @return 0 or -errno: -EINVAL incompatible, -EPROTO/-EBADMSG damaged,
 *          -ENODATA truncated. */
int mvgpu_image_check(mvgpu_image *img, const char *target_version,
		      mvgpu_image_summary *sum, const mvgpu_image_opts *opts);

/*! mvgpu_image_read_fb() :
 *  The framebuffer bytes [@off, @off + @len) as a restore would leave
 *  them (decodes the whole image again, validating it).
 *  @return 0, -EINVAL (range outside the framebuffer), or as
 *          mvgpu_image_check(). */
int mvgpu_image_read_fb(mvgpu_image *img, uint64_t off, void *buf,
			size_t len);

/*! mvgpu_image_extract() :
 *  Write the image's stream, uncompressed, to @out_fd (the lz4 checksums
 *  are checked; the stream is not decoded).
 *  @return 0 or -errno. */
int mvgpu_image_extract(mvgpu_image *img, int out_fd,
			const mvgpu_image_opts *opts, mvgpu_image_stats *stats);

/*! mvgpu_image_restore() :
 *  Restore @img into the vGPU @dev (opened by this process, not in use by
 *  a workload): mvgpu_image_check() against the vGPU's migration_version
 *  first — on any failure there the vGPU is untouched — then the stream
 *  through RESUMING, STOP (the kernel validates it again, and applies it
 *  whole), RUNNING.  Should the kernel still refuse it, the vGPU is reset
 *  (VFIO_DEVICE_RESET, as mvgpu_restore() does).
 *  @return 0 or -errno. */
int mvgpu_image_restore(mvgpu_image *img, mvgpu_dev *dev,
			const mvgpu_image_opts *opts,
			mvgpu_image_stats *stats);

/*! mvgpu_image_save_n() :
 *  Save the @n RUNNING vGPUs @devs (1..MVGPU_SESSION_MAX, none twice)
 *  together, consistently, into one image at @path: a set (format 2) of
 *  one format-1 image each, in this order (@n 1: mvgpu_image_save()).
 *  Pre-copy passes go round them while they run (as mvgpu_migrate_n());
 *  then one stop for all: every vGPU quiet (PRE_COPY_P2P), every vGPU
 *  stopped, each one's rest read; then all RUNNING again (the downtime).
 *  The file is written atomically, as by mvgpu_image_save(): each section
 *  first into a temporary file of its own (so the vGPUs' streams can
 *  interleave), then the set, renamed over @path.  On failure no file
 *  is left and every vGPU runs on with its state intact.
 *  @stats  the totals; @each  may be NULL, else @n entries.
 *  @return 0 or -errno. */
int mvgpu_image_save_n(mvgpu_dev *const *devs, unsigned n, const char *path,
		       const mvgpu_image_opts *opts, mvgpu_image_stats *stats,
		       mvgpu_image_stats *each);

/*! mvgpu_image_restore_n() :
 *  Restore every vGPU of @img into @devs, the i-th into @devs[i] (@n must
 *  be the image's count: -EINVAL otherwise; a plain image takes one),
 *  all or none: each section is decoded natively against its target's
 *  migration_version first - on any failure there no vGPU is touched
 *  (the message names the vGPU) - then every vGPU RESUMING, each stream
 *  fed, every vGPU RESUMING -> STOP, then all running (RUNNING_P2P
 *  first).  Should the kernel refuse any of them, every vGPU touched is
 *  reset.  The vGPUs must all be open here (a guest's peers too).
 *  @return 0 or -errno. */
int mvgpu_image_restore_n(mvgpu_image *img, mvgpu_dev *const *devs,
			  unsigned n, const mvgpu_image_opts *opts,
			  mvgpu_image_stats *stats, mvgpu_image_stats *each);

/*=====================================================================
 *  Live migration between hosts (mvgpu migrate / mvgpu receive)
 *=====================================================================
 * The source streams its vGPU's migration data over a connected socket to
 * a receiver on the target host: pre-copy passes while the vGPU (and its
 * workload) runs, then stop-copy, then an explicit commit.  The protocol
 * (proto/mvgpu_wire.h, docs/wire-protocol.md) is framed and checksummed;
 * the stream is compressed with lz4 on a worker thread while io_uring
 * reads the migration fd and writes the socket.
 *
 * Nothing is lost: until the target confirms a complete, validated load
 * and the commit, any failure resumes the vGPU on the source with its
 * state intact (and its workload, through the hooks), and the target
 * discards what it received.  Events use mvgpu_image_event (file_bytes:
 * bytes on the wire). */

#define MVGPU_STATE_KIND_MAX 32	/* a workload state's kind, with the NUL */
#define MVGPU_SESSION_MAX 16	/* vGPUs migrated together over one connection */

/*
 * How a migration connection is secured (docs/wire-protocol.md,
 * "Security").  TCP: TLS 1.3 with x509 certificates on both sides, before
 * a byte of the protocol; the data then moves through kernel TLS when the
 * kernel has it (one warning when it does not: TLS in userspace).  unix:
 * the peer's uid (SO_PEERCRED) must be 0 or ours.
 */
typedef struct {
	/* QEMU's tls-creds-x509 layout: ca-cert.pem, server-cert.pem,
	 * server-key.pem, client-cert.pem, client-key.pem; NULL: $MVGPU_TLS_DIR,
	 * else /etc/pki/mvgpu, else /etc/pki/qemu */
	const char *creds_dir;
	/* a file of peer certificate DNs allowed in (RFC 4514, one per line,
	 * fnmatch(3) patterns, '#' comments); NULL: any the CA signed */
	const char *authz_file;
	/* source: the name (or address) the target's certificate must carry;
	 * NULL: the address connected to (`mvgpu migrate` passes the HOST of
	 * its HOST:PORT, mvgpu_net_host()) */
	const char *hostname;
	/* TCP without TLS: a network you trust (tests, demos) */
	int insecure;
} mvgpu_net_security;

/* The peer of a secured connection, as authenticated. */
#define MVGPU_PEER_DN_MAX 256

typedef struct {
	const char *target_uuid;     /* NULL: the same UUID on the target */
	int precopy;                 /* pre-copy passes while it runs */
	unsigned max_passes;         /* pre-copy passes at most (0: 1) */
	uint64_t switchover_bytes;   /* stop once a pass leaves at most this */
	unsigned timeout_ms;         /* a silent peer fails the migration
	                              * after this long (0: 30000) */
	/* Optional workload hooks, called on the calling thread.
	 * pause: right before the vGPU stops; quiesce and describe the
	 *   workload's state (*@state malloc'ed, *@len bytes, @kind a short
	 *   name; leave *@state NULL for none).  Non-zero cancels.
	 * resume: the migration failed after pause: carry on. */
	int (*pause)(void *opaque, char kind[MVGPU_STATE_KIND_MAX],
		     void **state, size_t *len);
	void (*resume)(void *opaque);
	void (*event)(void *opaque, const mvgpu_image_event *ev);
	void *opaque;
	/* non-zero: every wait before COMMIT ends (-ECANCELED, the vGPU
	 * runs on); NULL: the context's (mvgpu_ctx_set_cancel()) */
	const volatile sig_atomic_t *cancel;
	const mvgpu_net_security *security;	/* NULL: TLS, the defaults */
} mvgpu_migrate_opts;

typedef struct {
	char target_uuid[MVGPU_UUID_LEN];
	char target_host[64];
	char target_version[MVGPU_IMAGE_VERSION_MAX];
	int created;                 /* the target created its vGPU */
	int in_doubt;                /* COMMIT sent, no answer: see below */
	unsigned passes;
	uint64_t stream_bytes, precopy_bytes, stop_copy_bytes;
	uint64_t wire_bytes;         /* DATA payloads sent */
	uint64_t downtime_ns;        /* vGPU stopped -> running on the target */
	uint64_t stop_copy_ns;       /* vGPU stopped -> last byte sent */
	uint64_t target_load_ns;     /* the target validating and applying
	                              * the whole stream (in the downtime) */
	uint64_t elapsed_ns;
	int registered;              /* io_uring used registered buffers */
	uint64_t zc_sends;           /* zero-copy socket sends */
	char peer_dn[MVGPU_PEER_DN_MAX]; /* the target's certificate ("": none) */
	int ktls;                    /* the data moved through kernel TLS */
} mvgpu_migrate_stats;

/*! mvgpu_migrate() :
 *  Migrate the RUNNING vGPU @dev through the connected socket @sock to a
 *  receiver (mvgpu_receive()).  On success the vGPU runs on the target
 *  and is left STOPPED here: give it up (close; remove it if wanted).
 *  On failure it is RUNNING again with its state intact (@opts->resume
 *  was called if @opts->pause was), except in one case: the commit was
 *  sent and its confirmation never came (the connection died in that
 *  instant).  Then the vGPU may be running on the target, so it stays
 *  stopped here (never two running copies): -EREMOTEIO and
 *  stats->in_doubt; check the target.
 *  @return 0 or -errno (details: mvgpu_last_error()): the target's own
 *          refusals (-EINVAL incompatible, -ENOENT no such vGPU there,
 *          -EBUSY ...), -ETIMEDOUT, -ECONNRESET, -EBADMSG (damaged
 *          messages), -ECANCELED. */
int mvgpu_migrate(mvgpu_dev *dev, int sock, const mvgpu_migrate_opts *opts,
		  mvgpu_migrate_stats *stats);

/* One vGPU of a session (mvgpu_migrate_n()). */
typedef struct {
	mvgpu_dev *dev;              /* RUNNING, as for mvgpu_migrate() */
	const char *target_uuid;     /* NULL: the same UUID on the target */
	/* its workload's hooks, as mvgpu_migrate_opts.pause and .resume,
	 * called with @opaque (NULL: no workload) */
	int (*pause)(void *opaque, char kind[MVGPU_STATE_KIND_MAX],
		     void **state, size_t *len);
	void (*resume)(void *opaque);
	void *opaque;
} mvgpu_migrate_vgpu;

/*! mvgpu_migrate_n() :
 *  Migrate the @n vGPUs @v (1..MVGPU_SESSION_MAX, no UUID twice, no target
 *  twice) together, through one connection: the target checks every one
 *  before anything stops; pre-copy passes go round them while they run
 *  (pass 1 of each, then another of each that has more than
 *  switchover_bytes dirty, at most max_passes rounds); then one stop for
 *  all (every workload paused, every vGPU stopped, then each one's rest);
 *  the target loads them all and runs all or none.  On success all run on
 *  the target; on failure all are RUNNING here again with their state
 *  (each workload resumed); in doubt (stats->in_doubt) all stay stopped.
 *  With @n 1 this is mvgpu_migrate(), and on the wire a 1.0 migration.
 *  @opts  as for mvgpu_migrate(); its target_uuid, pause, resume are not
 *         used (they are @v's); events carry vgpus = @n and vgpu.
 *  @stats the session: target_host, in_doubt, downtime, times, peer; the
 *         bytes and passes summed (passes: rounds).
 *  @each  may be NULL; else @n entries, each vGPU's own part (target_uuid,
 *         target_version, created, passes, bytes).
 *  @return 0 or -errno as mvgpu_migrate(); -EINVAL for a bad set. */
int mvgpu_migrate_n(const mvgpu_migrate_vgpu *v, unsigned n, int sock,
		    const mvgpu_migrate_opts *opts, mvgpu_migrate_stats *stats,
		    mvgpu_migrate_stats *each);

typedef struct {
	const char *uuid;            /* NULL: the UUID the source names */
	int create;                  /* create a missing vGPU of its type */
	mvgpu_dev *dev;              /* the vGPU already open (a workload's,
	                              * through its agent), or NULL */
	unsigned timeout_ms;         /* 0: 30000 */
	void (*event)(void *opaque, const mvgpu_image_event *ev);
	void *opaque;
	/* non-zero: every wait before COMMIT arrives ends (-ECANCELED,
	 * the source is told); NULL: the context's */
	const volatile sig_atomic_t *cancel;
	const mvgpu_net_security *security;	/* NULL: TLS, the defaults */
	/* mvgpu_receive_n(): the vGPUs here for the source's, in its order,
	 * each as @uuid and @dev above (which then do not apply); a session
	 * of another size is refused.  0: each vGPU the source names (or
	 * created, @create), any number up to the call's @max */
	unsigned ntargets;
	const struct mvgpu_receive_target {
		const char *uuid;    /* NULL: the UUID the source names */
		mvgpu_dev *dev;      /* open already (a workload's), or NULL */
	} *targets;
} mvgpu_receive_opts;

typedef struct {
	char uuid[MVGPU_UUID_LEN];   /* the vGPU that took the state */
	char type_id[MVGPU_ID_MAX];
	char source_uuid[MVGPU_UUID_LEN];
	char source_host[64];
	char source_version[MVGPU_IMAGE_VERSION_MAX];
	int created;
	unsigned passes;
	uint64_t stream_bytes, wire_bytes;
	uint64_t load_ns;            /* RESUMING -> STOP: validation, apply */
	uint64_t elapsed_ns;
	/* the workload's state, if the source sent one (free() it) */
	char state_kind[MVGPU_STATE_KIND_MAX];
	void *state;
	size_t state_len;
	char peer_dn[MVGPU_PEER_DN_MAX]; /* the source's certificate ("": none) */
	int ktls;                    /* the data moved through kernel TLS */
	/* on failure, what became of the vGPU here (@uuid, unless created):
	 * 0 untouched (refused before loading, or see @discarded), 1 reset
	 * (a stream was applied, or a workload here holds the vGPU: what it
	 * held before is gone, nothing of the source's kept), -1 the reset
	 * failed (its contents are undefined) */
	int reset;
	/* 1: part of a stream had arrived, never applied; the kernel dropped
	 * it when the device closed, and the vGPU is as it was (reset 0) */
	int discarded;
} mvgpu_receive_result;

/*! mvgpu_receive() :
 *  Take one migration from the connected socket @sock.  The target vGPU
 *  must exist with the source's type (or is created, @opts->create) and
 *  accept the source's migration_version (written to its type's
 *  migration_version attribute) — else the source is told why, naming
 *  both versions, before anything stopped there.  On success the vGPU
 *  runs here with the source's state.  On failure it runs nothing of the
 *  source's: untouched if refused before loading, reset if it was loading
 *  (@res->reset), removed if this call created it.
 *  @return 0 or -errno (details: mvgpu_last_error()). */
int mvgpu_receive(mvgpu_ctx *ctx, int sock, const mvgpu_receive_opts *opts,
		  mvgpu_receive_result *res);

/*! mvgpu_receive_n() :
 *  Take one migration of up to @max vGPUs (1..MVGPU_SESSION_MAX; a larger
 *  session is refused before anything stopped): one vGPU, or a session
 *  (mvgpu_migrate_n()).  Every vGPU of it is checked, as mvgpu_receive()
 *  checks one, and opened before any is loaded (a guest's peers must be
 *  open in one process); the refusal of one names it.  All are loaded,
 *  then all run at the commit, or none: on any failure every one of
 *  them runs nothing of the source's (each untouched, dropped, reset or
 *  removed, as mvgpu_receive() says).
 *  @res  @max entries: each vGPU's result, in the source's order (the
 *        session's fields - source_host, peer_dn, elapsed - in each);
 *        free() each state.
 *  @n    the vGPUs of the migration (also on failure: as far as known).
 *  @return 0 or -errno (details: mvgpu_last_error()). */
int mvgpu_receive_n(mvgpu_ctx *ctx, int sock, const mvgpu_receive_opts *opts,
		    mvgpu_receive_result *res, unsigned max, unsigned *n);

/*! mvgpu_net_connect() / mvgpu_net_listen() / mvgpu_net_accept() :
 *  Sockets for the above.  Addresses: "HOST:PORT", "[IPV6]:PORT",
 *  "unix:PATH"; listening also ":PORT" (every address).  PORT is 1 to
 *  65535.  Listening on unix:PATH replaces only a stale socket there
 *  (-EADDRINUSE if one listens, -EEXIST if it is not a socket).
 *  Connecting retries refusals until @timeout_ms (the receiver may be
 *  starting).
 *  @return an fd, or -errno (details: mvgpu_last_error()). */
int mvgpu_net_connect(mvgpu_ctx *ctx, const char *addr, unsigned timeout_ms);

/*! mvgpu_net_host() :
 *  The HOST of a connect address ("HOST:PORT", "[IPV6]:PORT", without the
 *  brackets) into @host (@len bytes): the name a target's certificate
 *  must carry when mvgpu_net_security.hostname is not given, as the user
 *  typed it (a name, not the address it resolves to).
 *  @return 0, -ENOENT for unix:PATH (no host), -EINVAL for a bad address,
 *  -ENAMETOOLONG when @host is too small. */
int mvgpu_net_host(const char *addr, char *host, size_t len);
int mvgpu_net_listen(mvgpu_ctx *ctx, const char *addr);
int mvgpu_net_accept(mvgpu_ctx *ctx, int lfd, unsigned timeout_ms,
		     char *peer, size_t peerlen);

/*=====================================================================
 *  Handing a vGPU in use over: the migration agent
 *=====================================================================
 * A vGPU has one VFIO user: the workload (a VMM, mvgpu exercise, any
 * program linking libmvgpu).  To be migratable it serves an agent socket
 * (mvgpu_agent_path()); `mvgpu migrate` and `mvgpu receive` connect to it,
 * get the vGPU's device fd (SCM_RIGHTS) and drive the migration through
 * it while the workload keeps its device open — so a helper that dies
 * never takes the vGPU with it.  The workload's hooks run on the agent's
 * thread. */

typedef struct mvgpu_agent mvgpu_agent;

typedef struct {
	/* source side: stop submitting at a safe point and describe the
	 * state (as mvgpu_migrate_opts.pause) */
	int (*pause)(void *opaque, char kind[MVGPU_STATE_KIND_MAX],
		     void **state, size_t *len);
	/* the migration failed, or the helper vanished: carry on */
	void (*resume)(void *opaque);
	/* the vGPU now runs on the target: stop using it */
	void (*release)(void *opaque);
	/* target side: the vGPU was loaded and runs; continue from @state */
	void (*start)(void *opaque, const char *kind, const void *state,
		      size_t len);
	void *opaque;
} mvgpu_agent_ops;

#define MVGPU_AGENT_INCOMING 1	/* waits for a migration in */

/*! mvgpu_agent_path() : where vGPU @uuid's agent listens:
 *  $MVGPU_RUN_DIR (default /run/mvgpu) + "/agent-<uuid>.sock". */
int mvgpu_agent_path(const char *uuid, char *buf, size_t len);

/*! mvgpu_agent_start() :
 *  Serve @dev's agent socket on a thread.  @flags MVGPU_AGENT_*.  The
 *  socket is mode 0600 from its creation; its directory is created 0700,
 *  or must be this user's or root's and writable by nobody else (-EPERM,
 *  -ENOTDIR otherwise).
 *  @return 0 and *@out, or -errno. */
int mvgpu_agent_start(mvgpu_dev *dev, unsigned flags,
		      const mvgpu_agent_ops *ops, mvgpu_agent **out);

/*! mvgpu_agent_stop() : stop serving (a helper connected is dropped:
 *  as if it vanished).  NULL is a no-op. */
void mvgpu_agent_stop(mvgpu_agent *agent);

/* The helper's side (mvgpu migrate / receive). */
typedef struct mvgpu_agent_conn mvgpu_agent_conn;

/*! mvgpu_agent_connect() :
 *  Connect to vGPU @uuid's agent and adopt the device fd it passes:
 *  within @timeout_ms (0: 60 s), only if the agent's directory is safe
 *  (this user's or root's, written by nobody else), the agent runs as
 *  this user or root, and names vGPU @uuid (-EPERM, -EPROTO otherwise;
 *  the fd is closed).
 *  @return 0 and *@conn, *@dev (close @dev before freeing @conn); -ENOENT
 *          if no agent serves @uuid; -errno. */
int mvgpu_agent_connect(mvgpu_ctx *ctx, const char *uuid, unsigned timeout_ms,
			mvgpu_agent_conn **conn, mvgpu_dev **dev,
			unsigned *agent_flags);

/*! mvgpu_agent_query() :
 *  Ask vGPU @uuid's agent what its workload does, with the checks of
 *  mvgpu_agent_connect() but without taking the device (its fd is closed
 *  unused; the workload carries on): *@agent_flags (MVGPU_AGENT_INCOMING:
 *  it waits for a migration in, else it runs the vGPU), *@pid (either may
 *  be NULL).  An agent serves one helper at a time: -ETIMEDOUT while
 *  another is connected.
 *  @return 0; -ENOENT if no agent serves @uuid; -errno. */
int mvgpu_agent_query(mvgpu_ctx *ctx, const char *uuid, unsigned timeout_ms,
		      unsigned *agent_flags, unsigned *pid);

/*! The helper's calls: ask the workload to pause (getting its state),
 *  resume, release, or start with a state.  @return 0 or -errno. */
int mvgpu_agent_pause(mvgpu_agent_conn *c, char kind[MVGPU_STATE_KIND_MAX],
		      void **state, size_t *len);
int mvgpu_agent_resume(mvgpu_agent_conn *c);
int mvgpu_agent_release(mvgpu_agent_conn *c);
int mvgpu_agent_send_start(mvgpu_agent_conn *c, const char *kind,
			   const void *state, size_t len);
void mvgpu_agent_disconnect(mvgpu_agent_conn *c);

#ifdef __cplusplus
}
#endif

#endif /* MVGPU_H */
