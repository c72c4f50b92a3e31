/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * mvgpu_compat.h - migration compatibility: the migration_version string
 * and the rules that decide whether a source vGPU may migrate to a target.
 *
 * One set of facts describes what a vGPU needs from its peer: struct
 * mvgpu_compat_info.  It travels two ways, and both are checked by the same
 * function, mvgpu_compat_check():
 *
 *   1. as the migration_version sysfs string of the vGPU's type: read on
 *	the source, written on the target, which answers 0 (compatible) or
 *	-EINVAL (2019 mdev proposal semantics).  The string is also meant
 *	for management to parse: documented key=value fields, e.g.
 *
 *	  mvgpu-migration-version=1 driver=0.1.0 stream=1.1 abi=1.1
 *	  type=mvgpu-256M type_index=1 fb=268435456 features=0x0 ecc=on
 *
 *	(one line; docs/compatibility.md specifies every field);
 *   2. as the descriptor record at the head of the migration stream
 *	(mvgpu_stream.h), so that a target refuses a stream at the start
 *	of pre-copy, before the source stops.  The ECC mode is not in the
 *	descriptor (its layout is fixed): it travels in the PLAT record
 *	right after it, which the decoder checks with this same function.
 *
 * Rules (local = target, remote = source), docs/compatibility.md has the
 * reasons:
 *   - type (id and index) and framebuffer size are equal;
 *   - the parent's ECC mode is equal, when both sides know theirs (a
 *     guest that saw ECC on must keep it, and the other way round; the
 *     guest's own opt-out is vGPU state, it migrates in the ECC record);
 *   - stream major is equal (any minor: a newer minor only adds optional
 *     records, which an older target skips);
 *   - device ABI major is equal and the source's ABI minor is not newer
 *     than the target's (the guest may use everything it saw);
 *   - every feature bit of the source is supported by the target.
 * The driver version is informational only.
 *
 * Conventions: functions return 0 (or a length) on success and a negative
 * errno on failure; when a @why buffer is given, failures write a
 * NUL-terminated human-readable reason into it ("type differs: source
 * mvgpu-256M, target mvgpu-64M").  Nothing allocates; every function is
 * safe on hostile input.  The same code runs in the kernel and userspace.
 */
#ifndef MVGPU_COMPAT_H
#define MVGPU_COMPAT_H

#include "mvgpu_port.h"

/* Version of the migration_version string format (its first field). */
#define MVGPU_COMPAT_FORMAT		1

/* Prefix the mdev core gives a type's sysfs name: "mvgpu-" + table id. */
#define MVGPU_TYPE_PREFIX		"mvgpu-"

/* Optional device features that change what a guest can see or do.
 * None yet: the bits are reserved for additions that need no ABI bump. */
#define MVGPU_FEATURES_SUPPORTED	0ULL

/**
 * enum mvgpu_compat_ecc - the ECC mode of a vGPU's parent (the host
 * admin's choice; MVGPU_ECC_STATUS_SUPPORTED as the guest sees it).
 * @MVGPU_COMPAT_ECC_UNKNOWN: not known: a string of an older driver, a
 *	stream without PLAT record, or an info from mvgpu_compat_local()
 *	nobody completed.  The ECC rule is skipped.
 * @MVGPU_COMPAT_ECC_OFF: the parent runs without ECC ("ecc=off").
 * @MVGPU_COMPAT_ECC_ON: the parent runs with ECC ("ecc=on").
 * @MVGPU_COMPAT_ECC_MAX: the largest valid value.
 */
enum mvgpu_compat_ecc {
	MVGPU_COMPAT_ECC_UNKNOWN	= 0,
	MVGPU_COMPAT_ECC_OFF		= 1,
	MVGPU_COMPAT_ECC_ON		= 2,
	MVGPU_COMPAT_ECC_MAX		= MVGPU_COMPAT_ECC_ON,
};

/* Limits, including the terminating NUL. */
#define MVGPU_COMPAT_TYPE_MAX		32	/* "mvgpu-256M" */
#define MVGPU_COMPAT_DRIVER_MAX		32	/* "0.1.0" */
#define MVGPU_COMPAT_STR_MAX		1024	/* a whole migration_version */
#define MVGPU_COMPAT_WHY_MAX		128	/* a reason string */

/**
 * struct mvgpu_compat_info - what a vGPU needs its migration peer to match.
 * @driver:	driver version, e.g. "0.1.0": informational, not checked.
 *		Characters [A-Za-z0-9.+~_-], 1..31 of them.
 * @type:	the type's sysfs name, e.g. "mvgpu-256M".  [A-Za-z0-9._-],
 *		1..31 characters.
 * @type_index:	the type's index in the ABI type table.
 * @stream_major, @stream_minor: migration stream version spoken.
 * @abi_major, @abi_minor: device ABI version (MVGPU_REG_VERSION).
 * @ecc:	the parent's ECC mode, enum mvgpu_compat_ecc.  Not a property
 *		of the type: mvgpu_compat_local() leaves it UNKNOWN and the
 *		kernel sets it from the vGPU's parent afterwards.
 * @fb_size:	framebuffer bytes.
 * @features:	MVGPU_FEATURES_* bits in use (source) or supported (target).
 *
 * No holes: two infos filled by these functions compare with memcmp().
 */
struct mvgpu_compat_info {
	char driver[MVGPU_COMPAT_DRIVER_MAX];
	char type[MVGPU_COMPAT_TYPE_MAX];
	__u32 type_index;
	__u16 stream_major;
	__u16 stream_minor;
	__u16 abi_major;
	__u16 abi_minor;
	__u32 ecc;		/* enum mvgpu_compat_ecc */
	__u64 fb_size;
	__u64 features;
};

/**
 * mvgpu_compat_local() - this build's info for a type of the ABI table.
 * @info:	filled in (zeroed first).
 * @type_index:	index into MVGPU_TYPES_INIT.
 * @driver:	driver version string (the kernel passes
 *		MVGPU_DRIVER_VERSION); must satisfy the @driver rules above.
 *
 * Stream and ABI versions are this build's MVGPU_STREAM_* / MVGPU_ABI_*,
 * features MVGPU_FEATURES_SUPPORTED.  @fb_size is the type's; for the 1:1
 * type (MVGPU_TYPE_FULL) it is 0, and the caller, who knows the vGPU's
 * size (the parent's usable pool when it was created), fills it in.  @ecc is MVGPU_COMPAT_ECC_UNKNOWN:
 * the ECC mode belongs to the parent, not the type, so the caller (the
 * kernel, for a vGPU) fills it in afterwards.
 *
 * Return: 0, or -EINVAL for an unknown type index or a bad @driver.
 */
int mvgpu_compat_local(struct mvgpu_compat_info *info,
		       unsigned int type_index, const char *driver);

/**
 * mvgpu_compat_validate() - are @info's fields well-formed?
 * @info:	the info (e.g. decoded from a stream descriptor).
 * @why:	reason on failure, or NULL.  @whylen: its size.
 *
 * Checks string charsets, lengths and NUL termination, and that @ecc is
 * an enum mvgpu_compat_ecc.  Says nothing about compatibility.
 *
 * Return: 0 or -EINVAL.
 */
int mvgpu_compat_validate(const struct mvgpu_compat_info *info,
			  char *why, size_t whylen);

/**
 * mvgpu_compat_format() - the migration_version string of @info.
 * @info:	a valid info (mvgpu_compat_local()).
 * @buf:	output, NUL-terminated.  @size: its size (a sysfs page is
 *		plenty; MVGPU_COMPAT_STR_MAX always is).
 *
 * The string ends in a newline, as sysfs attributes do.  The "ecc" key
 * follows "features", and only when @info->ecc is known.
 *
 * Return: its length without the NUL, -EINVAL for an invalid @info,
 * -ENOSPC if @size is too small (then @buf holds "" when @size > 0).
 */
int mvgpu_compat_format(const struct mvgpu_compat_info *info, char *buf,
			size_t size);

/**
 * mvgpu_compat_parse() - parse a migration_version string.
 * @s:		the string, @len bytes (need not be NUL-terminated; an
 *		embedded NUL is an error).
 * @info:	filled in on success; untouched on failure.
 * @why:	reason on failure, or NULL.  @whylen: its size.
 *
 * Grammar: fields "key=value" separated by one or more spaces or tabs, one
 * optional trailing newline.  At most 32 fields, keys <= 32 and values <= 64
 * characters, printable ASCII.  Unknown keys are skipped (a newer driver
 * may add fields); a duplicated key or a missing required one is an error,
 * as is a mvgpu-migration-version other than MVGPU_COMPAT_FORMAT.  Every
 * key is required but "ecc" ("on" or "off"): strings of drivers older
 * than it parse with @info->ecc MVGPU_COMPAT_ECC_UNKNOWN.
 *
 * Return: 0, or -EINVAL for anything malformed, -E2BIG when @len exceeds
 * MVGPU_COMPAT_STR_MAX.
 */
int mvgpu_compat_parse(const char *s, size_t len,
		       struct mvgpu_compat_info *info, char *why,
		       size_t whylen);

/**
 * mvgpu_compat_check() - may a vGPU described by @remote migrate to one
 * described by @local?
 * @local:	the target (this host's vGPU or type).
 * @remote:	the source (parsed string or stream descriptor).
 * @why:	reason on failure, or NULL.  @whylen: its size.
 *
 * Applies the rules at the top of this header in that order; the reason
 * names the first one that fails.
 *
 * Return: 0 if compatible, -EINVAL otherwise.
 */
int mvgpu_compat_check(const struct mvgpu_compat_info *local,
		       const struct mvgpu_compat_info *remote,
		       char *why, size_t whylen);

/**
 * mvgpu_compat_check_string() - the target's migration_version store().
 * @local:	the target type's info.
 * @s, @len:	what was written.
 * @why, @whylen: reason on failure, or NULL.
 *
 * mvgpu_compat_parse() then mvgpu_compat_check().
 *
 * Return: 0 if compatible, else -EINVAL (incompatible, malformed or too
 * long: the proposal's single "no" answer).
 */
int mvgpu_compat_check_string(const struct mvgpu_compat_info *local,
			      const char *s, size_t len, char *why,
			      size_t whylen);

#endif /* MVGPU_COMPAT_H */
