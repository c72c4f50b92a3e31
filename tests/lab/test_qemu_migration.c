// SPDX-License-Identifier: MIT
/*
 * QEMU 7.2 itself migrates a VM holding a vGPU through the v1 migration
 * region: the nested guest (tests/nested/draw.c) draws on vGPU A; QEMU
 * saves the VM with `migrate "exec:cat > file"` (without -d, HMP returns
 * when it completed); a second QEMU on a fresh vGPU B loads it with
 * -incoming; its screendump must show what was drawn on A.  QEMU does not
 * migrate BAR RAM, so the pixels come through the mvgpu stream.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "lab.h"
#include "nested.h"

static void setup(void)
{
	lab_remove_all();
}

TestSuite(qemu_migration, .init = setup, .fini = lab_remove_all, .timeout = 500);

Test(qemu_migration, qemu72_saves_and_loads_a_vm_with_a_vgpu)
{
	char ua[37], ub[37], dir[] = "/tmp/mvgpu-qmig.XXXXXX", cmd[300], shot[128];
	char incoming[200];
	struct nested_vm a, b;

	cr_assert_eq(lab_create("/sys/class/mdev_bus/mvgpu0", "64M", ua), 0);
	cr_assert_eq(lab_create("/sys/class/mdev_bus/mvgpu0", "64M", ub), 0);
	cr_assert_not_null(mkdtemp(dir));

	nested_start(&a, dir, ua, true, NULL);
	nested_wait_drawn(&a);
	snprintf(cmd, sizeof(cmd), "migrate \"exec:cat > %s/vm.mig\"", dir);
	nested_hmp(&a, cmd);
	cr_assert_not_null(strstr(nested_hmp(&a, "info migrate"), "completed"),
			   "source: %s", a.out);
	nested_quit(&a);

	snprintf(incoming, sizeof(incoming), "exec:cat %s/vm.mig", dir);
	nested_start(&b, dir, ub, true, incoming);
	/* -incoming: the VM runs once the load is through (each query is a
	 * monitor round trip, bounded) */
	for (int i = 0; i < 2000 && !strstr(nested_hmp(&b, "info status"), "running"); i++)
		cr_assert_null(strstr(b.out, "failed"), "destination: %s", b.out);
	cr_assert_not_null(strstr(b.out, "running"), "destination: %s", b.out);
	snprintf(shot, sizeof(shot), "%s/shot.ppm", dir);
	nested_check_screen(&b, shot);
	nested_quit(&b);
}
