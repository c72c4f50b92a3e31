// SPDX-License-Identifier: MIT
/*
 * The v1 migration region's state mapping against every sequence Debian
 * 12's QEMU 7.2 issues (REFERENCE: source 001 -> 011 -> 010 -> 010 -> 000,
 * cancel back to 001, savevm of a paused VM 001 -> 010, destination
 * 001 -> 100 -> 001), plus the values that must be refused.
 */
#include <criterion/criterion.h>
#include <errno.h>

#include "mvgpu_v1.h"

/* QEMU 7.2 writes read-modify-write: each step keeps the other bits. */
static void walk(const __u32 *bits, const __u32 *want, int n)
{
	for (int i = 0; i < n; i++) {
		__u32 st;

		cr_assert_eq(mvgpu_v1_to_v2(bits[i], &st), 0, "step %d: %u", i, bits[i]);
		cr_assert_eq(st, want[i], "step %d: %u -> %u, want %u", i, bits[i], st, want[i]);
		cr_assert_eq(mvgpu_v2_to_v1(st), bits[i], "read-back of step %d", i);
	}
}

Test(v1, source_live_migration)
{
	walk((const __u32[]){ 1, 3, 2, 2, 0 },
	     (const __u32[]){ MVGPU_V2_RUNNING, MVGPU_V2_PRE_COPY, MVGPU_V2_STOP_COPY,
			      MVGPU_V2_STOP_COPY, MVGPU_V2_STOP }, 5);
}

Test(v1, source_cancel)
{
	walk((const __u32[]){ 1, 3, 1 },
	     (const __u32[]){ MVGPU_V2_RUNNING, MVGPU_V2_PRE_COPY, MVGPU_V2_RUNNING }, 3);
	walk((const __u32[]){ 1, 3, 2, 1 },
	     (const __u32[]){ MVGPU_V2_RUNNING, MVGPU_V2_PRE_COPY, MVGPU_V2_STOP_COPY,
			      MVGPU_V2_RUNNING }, 4);
}

Test(v1, savevm_of_a_paused_vm)
{
	walk((const __u32[]){ 1, 2, 0 },
	     (const __u32[]){ MVGPU_V2_RUNNING, MVGPU_V2_STOP_COPY, MVGPU_V2_STOP }, 3);
}

Test(v1, destination)
{
	walk((const __u32[]){ 1, 4, 1 },
	     (const __u32[]){ MVGPU_V2_RUNNING, MVGPU_V2_RESUMING, MVGPU_V2_RUNNING }, 3);
}

Test(v1, refused_values)
{
	__u32 st = 99;

	for (__u32 bits = 5; bits < 16; bits++) {
		st = 99;
		cr_assert_eq(mvgpu_v1_to_v2(bits, &st), -EINVAL, "%u accepted", bits);
		cr_assert_eq(st, 99, "refused value changed the output");
	}
	cr_assert_eq(mvgpu_v1_to_v2(0xffffffffu, &st), -EINVAL);
	cr_assert_eq(mvgpu_v2_to_v1(MVGPU_V2_ERROR), MVGPU_V1_ERROR);
	cr_assert_eq(mvgpu_v2_to_v1(42), MVGPU_V1_ERROR);
	/* P2P steps read as their neighbours */
	cr_assert_eq(mvgpu_v2_to_v1(MVGPU_V2_RUNNING_P2P), MVGPU_V1_RUNNING);
	cr_assert_eq(mvgpu_v2_to_v1(MVGPU_V2_PRE_COPY_P2P), MVGPU_V1_RUNNING | MVGPU_V1_SAVING);
}
