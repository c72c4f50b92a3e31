// SPDX-License-Identifier: MIT
/* The mvgpu CLI against the real module. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lab.h"



static void setup(void)
{
	lab_remove_all();
	cr_assert_eq(lab_count_vgpus(), 0);
}

TestSuite(cli, .init = setup, .fini = lab_remove_all);

Test(cli, types_lists_both_parents)
{
	char out[16384];

	cr_assert_eq(lab_run(out, sizeof(out), (char *[]){ (char *)lab_cli(), "--json", "types", NULL }), 0);
	cr_assert_not_null(strstr(out, "\"mvgpu0\""), "%s", out);
	cr_assert_not_null(strstr(out, "\"0000:00:04.0\""), "%s", out);
	cr_assert_not_null(strstr(out, "\"mvgpu-1G\""), "%s", out);
}

Test(cli, create_list_remove)
{
	char out[16384], uuid[37];
	char path[LAB_PATH];

	cr_assert_eq(lab_run(out, sizeof(out), (char *[]){ (char *)lab_cli(), "create",
		     "--type", "mvgpu-512M", "--parent", "mvgpu0", NULL }), 0, "%s", out);
	cr_assert_eq(strlen(out), 37, "%s", out);
	memcpy(uuid, out, 36);
	uuid[36] = 0;
	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s", uuid);
	cr_assert(lab_exists(path));

	cr_assert_eq(lab_run(out, sizeof(out), (char *[]){ (char *)lab_cli(), "list", NULL }), 0);
	cr_assert_not_null(strstr(out, uuid));
	cr_assert_not_null(strstr(out, "mvgpu-512M"));

	cr_assert_eq(lab_run(out, sizeof(out), (char *[]){ (char *)lab_cli(), "remove", uuid, NULL }), 0, "%s", out);
	cr_assert_not(lab_exists(path));
}

Test(cli, remove_refuses_open_vgpu)
{
	char out[16384], uuid[37], path[LAB_PATH];
	struct lab_vfio v;

	cr_assert_eq(lab_create("/sys/class/mdev_bus/mvgpu0", "64M", uuid), 0);
	cr_assert_eq(lab_vfio_open(&v, uuid), 0);
	cr_assert_eq(lab_run(out, sizeof(out), (char *[]){ (char *)lab_cli(), "remove", uuid, NULL }), 1);
	cr_assert_not_null(strstr(out, "in use"), "%s", out);
	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s", uuid);
	cr_assert(lab_exists(path), "the open vGPU was removed");
	lab_vfio_close(&v);
	cr_assert_eq(lab_run(out, sizeof(out), (char *[]){ (char *)lab_cli(), "remove", uuid, NULL }), 0, "%s", out);
	cr_assert_not(lab_exists(path));
}

Test(cli, exhausted_pool_message)
{
	char out[16384], u[37];

	cr_assert_eq(lab_create("/sys/class/mdev_bus/mvgpu0", "1G", u), 0);
	cr_assert_eq(lab_run(out, sizeof(out), (char *[]){ (char *)lab_cli(), "create",
		     "--type", "mvgpu-1G", "--parent", "mvgpu0", NULL }), 1);
	cr_assert_not_null(strstr(out, "exhausted"), "%s", out);
	cr_assert_eq(lab_count_vgpus(), 1);
}
