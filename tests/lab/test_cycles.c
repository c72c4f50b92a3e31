// SPDX-License-Identifier: MIT
/*
 * 200 create/remove cycles over all types and both parents leave the pool,
 * the module's object counters and its reference count where they started.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "lab.h"

static const char *const type_ids[] = { "64M", "256M", "512M", "1G" };

static void setup(void)
{
	lab_remove_all();
	cr_assert_eq(lab_count_vgpus(), 0);
}

TestSuite(cycles, .init = setup, .fini = lab_remove_all);

Test(cycles, two_hundred_create_remove_cycles, .timeout = 600)
{
	char parents[LAB_MAX_PARENTS][LAB_PATH];
	int np = lab_parents(parents, LAB_MAX_PARENTS);
	long long vgpus = lab_stat("vgpus"), objs = lab_stat("vgpu_objects");
	long long open = lab_stat("open_vgpus"), ref = lab_module_refcnt();
	long long avail[LAB_MAX_PARENTS][4];

	cr_assert_geq(np, 2);
	cr_assert_eq(vgpus, 0);
	cr_assert_eq(objs, 0);
	for (int p = 0; p < np; p++)
		for (int t = 0; t < 4; t++)
			avail[p][t] = lab_available(parents[p], type_ids[t]);

	for (int i = 0; i < 200; i++) {
		const char *parent = parents[i % np];
		const char *type = type_ids[(i / np) % 4];
		char a[37], b[37];

		bool full = !strcmp(type, "1G");	/* fills the pool alone */

		cr_assert_eq(lab_create(parent, type, a), 0, "cycle %d", i);
		cr_assert_eq(lab_create(parent, "64M", b), full ? -ENOSPC : 0,
			     "cycle %d", i);
		cr_assert_eq(lab_stat("vgpus"), full ? 1 : 2);
		cr_assert_eq(lab_stat("vgpu_objects"), full ? 1 : 2);
		if (!full)
			cr_assert_eq(lab_remove(b), 0, "cycle %d", i);
		cr_assert_eq(lab_remove(a), 0, "cycle %d", i);
	}

	cr_assert_eq(lab_count_vgpus(), 0);
	cr_assert_eq(lab_stat("vgpus"), vgpus);
	cr_assert_eq(lab_stat("vgpu_objects"), objs);
	cr_assert_eq(lab_stat("open_vgpus"), open);
	cr_assert_eq(lab_module_refcnt(), ref);
	for (int p = 0; p < np; p++)
		for (int t = 0; t < 4; t++)
			cr_assert_eq(lab_available(parents[p], type_ids[t]),
				     avail[p][t]);
}
