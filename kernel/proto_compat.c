// SPDX-License-Identifier: GPL-2.0
/* The portable migration_version rules, compiled into the module. */
#include "../proto/mvgpu_compat.c"
