// SPDX-License-Identifier: MIT
/*
 * The nested check: QEMU 7.2 inside the lab host opens the vGPU with
 * -device vfio-pci,sysfsdev=...,display=on.  SeaBIOS sizes and assigns the
 * BARs; a bare-metal guest (tests/nested/draw.c) sets a mode and draws four
 * bands, two with the CPU through BAR2 and two with the channel engine;
 * then `screendump` on QEMU's monitor must show exactly those bands.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

#include "lab.h"
#include "nested.h"

static void setup(void)
{
	lab_remove_all();
}

TestSuite(nested, .init = setup, .fini = nested_fini, .timeout = 400);

Test(nested, qemu_screendump_shows_the_framebuffer)
{
	char uuid[37], dir[] = "/tmp/mvgpu-nested.XXXXXX", shot[128];
	struct nested_vm vm;

	cr_assert_eq(lab_create("/sys/class/mdev_bus/mvgpu0", "64M", uuid), 0);
	cr_assert_not_null(mkdtemp(dir));
	nested_start(&vm, dir, uuid, false, NULL);
	nested_wait_drawn(&vm);
	snprintf(shot, sizeof(shot), "%s/shot.ppm", dir);
	nested_check_screen(&vm, shot);
	nested_quit(&vm);
}
