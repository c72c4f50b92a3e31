// SPDX-License-Identifier: GPL-2.0
/* The portable stream codec, compiled into the module. */
#include "../proto/mvgpu_stream.c"
