/*
 * test_cli.c - the built mvgpu CLI (sanitizer build), run with
 * posix_spawn against a fake sysfs tree: exit codes, stdout, stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "fake_sysfs.h"
#include "json_check.h"

#ifndef MVGPU_TEST_CLI
#define MVGPU_TEST_CLI "build/asan/bin/mvgpu"
#endif

#define U1 "11111111-1111-4111-8111-111111111111"
#define U2 "22222222-2222-4222-8222-222222222222"

extern char **environ;

static struct fake *F;

struct run {
	int code;	/* exit code, or -1 if killed */
	char *out;
	char *err;
};

static struct run R;

static void setup(void)
{
	F = fake_new();	/* sets MVGPU_SYSFS for the children */
	memset(&R, 0, sizeof(R));
}

static void teardown(void)
{
	free(R.out);
	free(R.err);
	fake_free(F);
}

TestSuite(cli, .init = setup, .fini = teardown, .timeout = 60);

static char *slurp(int fd)
{
	struct stat st;
	char *s;

	cr_assert_eq(fstat(fd, &st), 0);
	s = calloc(1, (size_t)st.st_size + 1);
	cr_assert_not_null(s);
	cr_assert_eq(pread(fd, s, (size_t)st.st_size, 0), st.st_size);
	return s;
}

static int tmpfd(void)
{
	char name[] = "/tmp/mvgpu-cli-out.XXXXXX";
	int fd = mkstemp(name);

	cr_assert(fd >= 0, "mkstemp: %s", strerror(errno));
	unlink(name);
	return fd;
}

/* Run the CLI with the NULL-terminated arguments after argv[0]. */
static void run(const char *first, ...)
{
	const char *bin = getenv("MVGPU_CLI");
	posix_spawn_file_actions_t fa;
	char *argv[32];
	va_list ap;
	int n = 0, fo, fe, st;
	pid_t pid;

	if (!bin || !*bin)
		bin = MVGPU_TEST_CLI;
	free(R.out);
	free(R.err);
	argv[n++] = (char *)"mvgpu";
	va_start(ap, first);
	for (const char *a = first; a && n < 31; a = va_arg(ap, const char *))
		argv[n++] = (char *)a;
	va_end(ap);
	argv[n] = NULL;
	fo = tmpfd();
	fe = tmpfd();
	cr_assert_eq(posix_spawn_file_actions_init(&fa), 0);
	posix_spawn_file_actions_adddup2(&fa, fo, 1);
	posix_spawn_file_actions_adddup2(&fa, fe, 2);
	cr_assert_eq(posix_spawn(&pid, bin, &fa, NULL, argv, environ), 0,
		     "cannot run %s", bin);
	posix_spawn_file_actions_destroy(&fa);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	R.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	R.out = slurp(fo);
	R.err = slurp(fe);
	close(fo);
	close(fe);
}

#define run(...) run(__VA_ARGS__, (const char *)NULL)

#define expect(code_) \
	cr_assert_eq(R.code, (code_), "exit %d, expected %d\nstdout:\n%s\nstderr:\n%s", \
		     R.code, (code_), R.out, R.err)
#define has(s, sub) \
	cr_assert(strstr((s), (sub)), "missing '%s' in:\n%s", (sub), (s))
/* exit @code_, and @sub on stdout or @msg on stderr */
#define expect_out(code_, sub) \
	do { expect(code_); has(R.out, (sub)); } while (0)
#define expect_err(code_, msg) \
	do { expect(code_); has(R.err, (msg)); } while (0)

/* exit @code, and one JSON document on stdout */
static void expect_json(int code)
{
	expect(code);
	cr_assert(json_valid(R.out, strlen(R.out)), "not one JSON document:\n%s",
		  R.out);
}

static char *created(const char *parent, const char *type)
{
	static char *last;

	free(last);
	last = fake_created(F, parent, type);
	return last;
}

/* ---- global ----------------------------------------------------------- */

Test(cli, version)
{
	run("--version");
	expect(0);
	cr_assert_str_eq(R.out, "mvgpu 0.1.0\n");
	cr_assert_str_eq(R.err, "");
	run("version");
	expect(0);
	cr_assert_str_eq(R.out, "mvgpu 0.1.0\n");
	run("--json", "--version");
	expect_json(0);
	has(R.out, "\"version\": \"0.1.0\"");
}

Test(cli, help_documents_commands_and_exit_codes)
{
	run("help");
	expect_out(0, "types");
	has(R.out, "list");
	has(R.out, "create");
	has(R.out, "remove");
	has(R.out, "Exit status:");
	has(R.out, "0  success");
	has(R.out, "1  the operation failed");
	has(R.out, "2  usage error");
	has(R.out, "3  migrate: in doubt");
	has(R.out, "'mvgpu status UUID' on the target");
	has(R.out, "status");
	has(R.out, "MVGPU_SYSFS");
	has(R.out, "MVGPU_RUN_DIR");
	run("--help");
	expect_out(0, "Exit status:");
	run("help", "create");
	expect_out(0, "--uuid UUID");
	run("create", "--help");
	expect_out(0, "--parent PARENT");
	run("help", "migrate");
	expect_out(0, "Exit 3: in doubt");
	has(R.out, "mvgpu status UUID");
	run("help", "status");
	expect_out(0, "runs_here");
	run("help", "nope");
	expect(2);
}

Test(cli, usage_errors_exit_2)
{
	run("");
	expect_err(2, "unknown command ''");
	run("frobnicate");
	expect_err(2, "unknown command 'frobnicate'");
	has(R.err, "mvgpu help");
	run("--bogus");
	expect_err(2, "unknown option '--bogus'");
	run("types", "--bogus");
	expect_err(2, "types: unknown option '--bogus'");
	run("types", "--parent");
	expect_err(2, "needs a value");
	run("list", "extra");
	expect_err(2, "unexpected argument 'extra'");
	run("remove", "--force=yes", U1);
	expect(2);
}

Test(cli, no_arguments)
{
	run(NULL);
	expect_err(2, "missing command");
	has(R.err, "usage:");
	cr_assert_str_eq(R.out, "");
}

/* `mvgpu @cmd` with no module: exit 1 saying so, also in JSON. */
static void expect_not_loaded(const char *cmd)
{
	run(cmd);
	expect_err(1, "is the mvgpu module loaded?");
	cr_assert_str_eq(R.out, "");
	run("--json", cmd);
	expect_json(1);
	has(R.out, "\"errno\": \"ENODEV\"");
}

/* ---- types ------------------------------------------------------------ */

Test(cli, types_table)
{
	const char *hdr, *line;
	size_t col;
	int rows = 0;

	fake_std(F);
	run("types");
	expect(0);
	cr_assert_str_eq(R.err, "");
	hdr = R.out;
	cr_assert_eq(strncmp(hdr, "PARENT", 6), 0, "%s", R.out);
	has(hdr, "TYPE");
	has(hdr, "NAME");
	has(hdr, "FRAMEBUFFER");
	has(hdr, "HEADS");
	has(hdr, "MAX_RESOLUTION");
	has(hdr, "AVAILABLE/MAX");
	/* Columns are aligned: every type id starts under "TYPE". */
	col = (size_t)(strstr(hdr, "TYPE") - hdr);
	for (line = strchr(hdr, '\n') + 1; *line; line = strchr(line, '\n') + 1) {
		cr_assert_eq(strncmp(line + col, "mvgpu-", 6), 0,
			     "misaligned row: %.80s", line);
		rows++;
	}
	cr_assert_eq(rows, 8);
	has(R.out, "0000:00:04.0  mvgpu-64M   MVGPU-64M   64M");
	has(R.out, "mvgpu0        mvgpu-1G    MVGPU-1G    1G           2      3840x2160       1/1\n");
	cr_assert_null(strstr(R.out, "nvidia"), "foreign type listed");
}

Test(cli, types_filtered_by_parent)
{
	fake_std(F);
	run("types", "--parent", "mvgpu0");
	expect(0);
	cr_assert_null(strstr(R.out, "0000:00:04.0"));
	has(R.out, "mvgpu0");
	run("types", "--parent=mvgpu0");
	expect(0);
	run("types", "--parent", "mvgpu9");
	expect_err(1, "no mvgpu parent 'mvgpu9'; known parents: 0000:00:04.0, mvgpu0");
	run("types", "--parent", "../..");
	expect(2);
}

Test(cli, types_none_found)
{
	run("types");
	expect(1);
	cr_assert_str_eq(R.out, "");
	has(R.err, "mvgpu: no vGPU types found: is the mvgpu module loaded? "
	    "(modprobe mvgpu, or bind a PCI function via "
	    "/sys/bus/pci/drivers/mvgpu/new_id)");
}

Test(cli, types_json)
{
	fake_std(F);
	run("--json", "types");
	expect_json(0);
	has(R.out, "\"ok\": true");
	has(R.out, "\"type\": \"mvgpu-1G\"");
	has(R.out, "\"parent\": \"0000:00:04.0\"");
	has(R.out, "\"framebuffer\": 268435456");
	has(R.out, "\"width\": 1920");
	has(R.out, "\"available_instances\": 16");
	/* --json is accepted after the command too */
	run("types", "--json");
	expect_json(0);
}

Test(cli, json_escapes_sysfs_strings)
{
	char p[PATH_MAX];

	fake_std(F);
	fake_type_attr("mvgpu0", "mvgpu-256M", "name", p, sizeof(p));
	fake_write(F, p, "MVGPU \"256\" \\ fast\n");
	run("--json", "types", "--parent", "mvgpu0");
	expect_json(0);
	has(R.out, "\"name\": \"MVGPU \\\"256\\\" \\\\ fast\"");
}

Test(cli, malformed_type_warns_and_lists_the_rest)
{
	char p[PATH_MAX];

	fake_std(F);
	fake_type_attr("mvgpu0", "mvgpu-512M", "available_instances", p,
		       sizeof(p));
	fake_write(F, p, "\x1b[2Jlots\n");
	run("types");
	expect_err(0, "mvgpu: warning: skipping type mvgpu-512M on mvgpu0");
	cr_assert_null(strchr(R.err, '\x1b'), "raw escape on stderr");
	has(R.out, "0000:00:04.0  mvgpu-512M");
	cr_assert_null(strstr(R.out, "mvgpu0        mvgpu-512M"));
	run("--json", "types");
	expect_json(0);
	has(R.out, "\"skipped\": 1");
}

Test(cli, only_malformed_types)
{
	fake_add_parent(F, "mvgpu0");
	fake_add_type(F, "mvgpu0", "mvgpu-64M", "MVGPU-64M\n", "garbage\n",
		      "vfio-pci\n", "1\n");
	run("types");
	expect_err(1, "no usable vGPU types: 1 malformed type(s) skipped");
}

/* ---- list ------------------------------------------------------------- */

Test(cli, list_empty)
{
	fake_std(F);
	run("list");
	expect_out(0, "no vGPUs");
	run("--json", "list");
	expect_json(0);
	has(R.out, "\"vgpus\": []");
}

Test(cli, list_table_and_json)
{
	fake_std(F);
	fake_add_vgpu(F, "mvgpu0", "mvgpu-256M", U2, 14, "1\n");
	fake_add_vgpu(F, "0000:00:04.0", "mvgpu-64M", U1, 13, "0\n");
	run("list");
	expect(0);
	cr_assert_str_eq(R.out,
		"UUID                                  PARENT        TYPE        IOMMU_GROUP  IN_USE\n"
		U1 "  0000:00:04.0  mvgpu-64M   13           no\n"
		U2 "  mvgpu0        mvgpu-256M  14           yes\n");
	run("--json", "list");
	expect_json(0);
	has(R.out, "\"uuid\": \"" U2 "\"");
	has(R.out, "\"iommu_group\": 14");
	has(R.out, "\"in_use\": true");
	has(R.out, "\"in_use\": false");
}

/* ---- create ----------------------------------------------------------- */

Test(cli, create_with_uuid_and_parent)
{
	fake_std(F);
	run("create", "--type", "mvgpu-256M", "--uuid", U1, "--parent", "mvgpu0");
	expect(0);
	cr_assert_str_eq(R.out, U1 "\n");
	cr_assert_str_eq(R.err, "");
	cr_assert_str_eq(created("mvgpu0", "mvgpu-256M"), U1);
	cr_assert_str_eq(created("0000:00:04.0", "mvgpu-256M"), "");
}

Test(cli, create_generates_uuid)
{
	char uuid[64];

	fake_std(F);
	run("create", "--type=mvgpu-64M");
	expect(0);
	cr_assert_eq(strlen(R.out), 37, "stdout: '%s'", R.out);
	snprintf(uuid, sizeof(uuid), "%.36s", R.out);
	cr_assert_str_eq(created("0000:00:04.0", "mvgpu-64M"), uuid);
}

Test(cli, create_json)
{
	fake_std(F);
	run("--json", "create", "--type", "mvgpu-512M", "--uuid",
	    "ABCDEF01-2345-4789-8BCD-EF0123456789");
	expect_json(0);
	has(R.out, "\"action\": \"create\"");
	has(R.out, "\"uuid\": \"abcdef01-2345-4789-8bcd-ef0123456789\"");
	has(R.out, "\"parent\": \"0000:00:04.0\"");
	cr_assert_str_eq(created("0000:00:04.0", "mvgpu-512M"),
			 "abcdef01-2345-4789-8bcd-ef0123456789");
}

Test(cli, create_invalid_uuid_is_usage_error)
{
	fake_std(F);
	run("create", "--type", "mvgpu-64M", "--uuid", "1234");
	expect_err(2, "invalid UUID '1234'");
	cr_assert_str_eq(R.out, "");
	cr_assert_str_eq(created("0000:00:04.0", "mvgpu-64M"), "");
	cr_assert_str_eq(created("mvgpu0", "mvgpu-64M"), "");
}

Test(cli, create_needs_type)
{
	fake_std(F);
	run("create");
	expect_err(2, "--type TYPE is required; known types: mvgpu-64M, mvgpu-256M, mvgpu-512M, mvgpu-1G");
}

Test(cli, create_unknown_type_lists_known)
{
	fake_std(F);
	run("create", "--type", "mvgpu-3G");
	expect_err(1, "mvgpu: unknown vGPU type 'mvgpu-3G'; known types: "
		   "mvgpu-64M, mvgpu-256M, mvgpu-512M, mvgpu-1G");
	run("create", "--type", "mvgpu-3G", "--parent", "mvgpu0");
	expect_err(1, "parent mvgpu0 has no vGPU type 'mvgpu-3G'; its types: mvgpu-64M");
	run("create", "--type", "mvgpu-64M", "--parent", "gpu7");
	expect_err(1, "no mvgpu parent 'gpu7'; known parents: 0000:00:04.0, mvgpu0");
}

Test(cli, create_pool_exhausted)
{
	char p[PATH_MAX];

	fake_std(F);
	fake_type_attr("0000:00:04.0", "mvgpu-1G", "available_instances", p,
		       sizeof(p));
	fake_write(F, p, "0\n");
	fake_type_attr("mvgpu0", "mvgpu-1G", "available_instances", p,
		       sizeof(p));
	fake_write(F, p, "0\n");
	run("create", "--type", "mvgpu-1G");
	expect(1);
	cr_assert_str_eq(R.err,
		"mvgpu: type mvgpu-1G has no free instance on any parent "
		"(framebuffer pool exhausted); remove a vGPU or choose a "
		"smaller type\n");
	cr_assert_str_eq(R.out, "");
	run("--json", "create", "--type", "mvgpu-1G");
	expect_json(1);
	has(R.out, "\"ok\": false");
	has(R.out, "\"errno\": \"ENOSPC\"");
	has(R.out, "\"exit_code\": 1");
	cr_assert_str_eq(created("0000:00:04.0", "mvgpu-1G"), "");
	cr_assert_str_eq(created("mvgpu0", "mvgpu-1G"), "");
}

Test(cli, create_existing_uuid)
{
	fake_std(F);
	fake_add_vgpu(F, "mvgpu0", "mvgpu-64M", U1, 3, "0\n");
	run("create", "--type", "mvgpu-64M", "--uuid", U1);
	expect_err(1, "a vGPU with UUID " U1 " already exists");
}

Test(cli, create_no_module)
{
	run("create", "--type", "mvgpu-64M");
	expect_err(1, "is the mvgpu module loaded?");
}

/* ---- remove ----------------------------------------------------------- */

static char *remove_file(const char *parent, const char *uuid)
{
	static char *last;
	char pd[256], p[PATH_MAX];

	free(last);
	fake_parent_dir(parent, pd, sizeof(pd));
	snprintf(p, sizeof(p), "%s/%s/remove", pd, uuid);
	last = fake_read(F, p);
	cr_assert_not_null(last);
	return last;
}

Test(cli, remove_busy_refused_then_forced)
{
	fake_std(F);
	fake_add_vgpu(F, "mvgpu0", "mvgpu-256M", U1, 4, "1\n");
	run("remove", U1);
	expect(1);
	cr_assert_str_eq(R.err,
		"mvgpu: vGPU " U1 " is in use (a VFIO user has it open); stop "
		"that user first, or pass --force to wait for it\n");
	cr_assert_str_eq(remove_file("mvgpu0", U1), "");
	run("remove", U1, "--force");
	expect(0);
	cr_assert_str_eq(R.out, "removed " U1 "\n");
	cr_assert_str_eq(remove_file("mvgpu0", U1), "1");
}

Test(cli, remove_idle_json)
{
	fake_std(F);
	fake_add_vgpu(F, "mvgpu0", "mvgpu-256M", U1, 4, "0\n");
	run("--json", "remove", U1);
	expect_json(0);
	has(R.out, "\"ok\": true");
	has(R.out, "\"action\": \"remove\"");
	has(R.out, "\"forced\": false");
	cr_assert_str_eq(remove_file("mvgpu0", U1), "1");
}

Test(cli, remove_errors)
{
	fake_std(F);
	run("remove", U2);
	expect_err(1, "no vGPU " U2 "; see 'mvgpu list'");
	run("--json", "remove", U2);
	expect_json(1);
	has(R.out, "\"errno\": \"ENOENT\"");
	run("remove", "not-a-uuid");
	expect_err(2, "invalid UUID 'not-a-uuid'");
	run("remove");
	expect_err(2, "missing UUID");
	run("remove", U1, U2);
	expect(2);
}

Test(cli, remove_unknown_in_use_state)
{
	fake_std(F);
	fake_add_vgpu(F, "mvgpu0", "mvgpu-256M", U1, 4, NULL);
	run("remove", U1);
	expect_err(1, "cannot tell whether vGPU " U1 " is in use");
	has(R.err, "pass --force");
	cr_assert_str_eq(remove_file("mvgpu0", U1), "");
	run("remove", "--force", U1);
	expect(0);
	cr_assert_str_eq(remove_file("mvgpu0", U1), "1");
}

/* ---- status (no UUID, -q UUID): what nvidia-smi shows ------------------- */

#define PCI "0000:00:04.0"

Test(cli, status_table)
{
	fake_status_std(F);
	run("status", "--interval", "0");
	expect(0);
	cr_assert_str_eq(R.err, "");
	cr_assert_str_eq(R.out,
		"PARENT        BUS_ID        MEMORY  ECC_CUR/PEND       FB_USED/USABLE/TOTAL_MIB  RETIRED/PENDING  SBE_VOL/AGG  DBE_VOL/AGG  VGPUS  BUSY\n"
		"0000:00:04.0  0000:00:04.0  ddr     enabled/disabled   320/959/1024              2/1              5/12         0/1          2      -\n"
		"mvgpu0        -             hbm     disabled/disabled  256/1024/1024             0/0              0/0          0/0          1      -\n"
		"\n"
		"UUID                                  PARENT        TYPE        FB_MIB  CHANNELS  IN_USE  MIGRATION  ECC                              SBE_VOL/AGG  DBE_VOL/AGG  BUSY\n"
		FS_U2 "  0000:00:04.0  mvgpu-64M   64      0         yes     pre_copy   enabled[opt-out-pending,killed]  2/5          1/1          -\n"
		FS_U1 "  0000:00:04.0  mvgpu-256M  256     2         yes     running    enabled                          3/7          0/0          -\n"
		FS_U3 "  mvgpu0        mvgpu-256M  256     0         no      stop       disabled[opt-out]                0/0          0/0          -\n");
	cr_assert_null(strstr(R.out, "0000:00:05.0"), "foreign parent shown");

	/* sampled (the counters stand still here): 0 % */
	run("status", "--interval=1");
	expect_out(0, "0/1          2      0%\n");
	has(R.out, "0/0          0%\n");
	/* and the default interval */
	run("status");
	expect_out(0, "0/1          2      0%\n");
}

Test(cli, status_json)
{
	fake_status_std(F);
	run("--json", "status", "--interval", "0");
	expect_json(0);
	cr_assert_str_eq(R.err, "");
	has(R.out, "\"ok\": true");
	has(R.out, "\"interval_ms\": 0");
	has(R.out, "\"parent\": \"0000:00:04.0\",\n"
		   "      \"bus_id\": \"0000:00:04.0\",\n"
		   "      \"memory_kind\": \"ddr\",\n"
		   "      \"ecc_mode\": \"enabled\",\n"
		   "      \"ecc_mode_pending\": \"disabled\",\n"
		   "      \"ecc_errors\": {\n"
		   "        \"sbe_volatile\": 5,\n"
		   "        \"dbe_volatile\": 0,\n"
		   "        \"sbe_aggregate\": 12,\n"
		   "        \"dbe_aggregate\": 1\n"
		   "      },\n"
		   "      \"retired_pages\": {\n"
		   "        \"retired\": 2,\n"
		   "        \"pending\": 1,\n"
		   "        \"sbe\": 2,\n"
		   "        \"dbe\": 1\n"
		   "      },\n"
		   "      \"fb_total\": 1073741824,\n"
		   "      \"fb_usable\": 1006624768,\n"
		   "      \"fb_used\": 335544320,\n"
		   "      \"vgpus\": 2,\n"
		   "      \"busy_ns\": 1000000000,\n"
		   "      \"busy_percent\": null\n");
	has(R.out, "\"parent\": \"mvgpu0\",\n      \"bus_id\": null,\n"
		   "      \"memory_kind\": \"hbm\"");
	has(R.out, "\"uuid\": \"" FS_U2 "\",\n"
		   "      \"parent\": \"0000:00:04.0\",\n"
		   "      \"type\": \"mvgpu-64M\",\n"
		   "      \"framebuffer\": 67108864,\n"
		   "      \"iommu_group\": 14,\n"
		   "      \"in_use\": true,\n"
		   "      \"channels_active\": 0,\n"
		   "      \"migration_state\": \"pre_copy\",\n"
		   "      \"ecc\": {\n"
		   "        \"mode\": \"enabled\",\n"
		   "        \"optout\": false,\n"
		   "        \"optout_pending\": true,\n"
		   "        \"killed\": true,\n"
		   "        \"sbe_volatile\": 2,\n"
		   "        \"dbe_volatile\": 1,\n"
		   "        \"sbe_aggregate\": 5,\n"
		   "        \"dbe_aggregate\": 1,\n"
		   "        \"retired\": 0,\n"
		   "        \"retired_pending\": 1\n"
		   "      },\n"
		   "      \"vgpu_params\": \"frame_rate_limiter=0, disable_vnc=1\",\n"
		   "      \"frame_rate_limiter\": false,\n"
		   "      \"busy_ns\": 0,\n"
		   "      \"busy_percent\": null\n");
	has(R.out, "\"frame_rate_limiter\": true");
	has(R.out, "\"migration_state\": \"stop\"");
	has(R.out, "\"skipped_parents\": 0");
	has(R.out, "\"skipped_vgpus\": 0");
	has(R.out, "\"warnings\": []");
	run("status", "--json", "--interval", "1");
	expect_json(0);
	has(R.out, "\"busy_percent\": 0.0");
}

Test(cli, status_query)
{
	fake_status_std(F);
	run("status", "-q", FS_U2, "--interval", "0");
	expect(0);
	cr_assert_str_eq(R.err, "");
	has(R.out,
	    "vGPU " FS_U2 "\n"
	    "    Parent                            : 0000:00:04.0\n"
	    "    Type                              : mvgpu-64M\n"
	    "    Framebuffer                       : 64 MiB\n"
	    "    IOMMU Group                       : 14\n"
	    "    In Use                            : Yes\n"
	    "    Migration State                   : pre_copy\n"
	    "    Channels Active                   : 0\n"
	    "    vGPU Parameters                   : frame_rate_limiter=0, disable_vnc=1\n"
	    "    Frame Rate Limiter                : Disabled\n"
	    "    Utilization\n"
	    "        Busy                          : -\n"
	    "        Busy Time                     : 0 ns\n"
	    "        Sample Period                 : -\n"
	    "    ECC Mode\n"
	    "        Current                       : Enabled\n"
	    "        Guest Opt-out                 : No\n"
	    "        Guest Opt-out Pending         : Yes\n"
	    "        Killed by a DBE               : Yes\n"
	    "    ECC Errors\n"
	    "        Volatile\n"
	    "            Single Bit                : 2\n"
	    "            Double Bit                : 1\n"
	    "        Aggregate\n"
	    "            Single Bit                : 5\n"
	    "            Double Bit                : 1\n"
	    "    Retired Pages\n"
	    "        Retired                       : 0\n"
	    "        Pending                       : 1\n"
	    "\n"
	    "Parent 0000:00:04.0\n"
	    "    Bus Id                            : 0000:00:04.0\n"
	    "    Memory Kind                       : ddr\n"
	    "    vGPUs                             : 2\n"
	    "    FB Memory Usage\n"
	    "        Total                         : 1024 MiB\n"
	    "        Usable                        : 959 MiB\n"
	    "        Used                          : 320 MiB\n"
	    "        Free                          : 639 MiB\n"
	    "    ECC Mode\n"
	    "        Current                       : Enabled\n"
	    "        Pending                       : Disabled\n");
	has(R.out,
	    "    Retired Pages\n"
	    "        Single Bit ECC                : 2\n"
	    "        Double Bit ECC                : 1\n"
	    "        Retired                       : 2\n"
	    "        Pending                       : 1\n"
	    "        Pending Page Retirement       : Yes\n"
	    "        Pages\n"
	    "            0x1a2b                    : sbe, retired\n"
	    "            0x3c4d                    : dbe, retired\n"
	    "            0x5e6f                    : sbe, pending\n");
	/* the long form, any case, sampled */
	run("status", "--query", "33333333-3333-4333-8333-333333333333",
	    "--interval", "1");
	expect_out(0, "vGPU " FS_U3 "\n");
	has(R.out, "    Frame Rate Limiter                : -\n");
	has(R.out, "        Busy                          : 0 %\n");
	has(R.out, "        Sample Period                 : 1 ms\n");
	has(R.out, "Parent mvgpu0\n    Bus Id                            : -\n");
	cr_assert_null(strstr(R.out, "        Pages\n"));

	run("--json", "status", "-q", FS_U1, "--interval", "0");
	expect_json(0);
	has(R.out, "\"vgpu\": {\n    \"uuid\": \"" FS_U1 "\"");
	has(R.out, "\"channels_active\": 2");
	has(R.out, "\"parent\": {\n    \"parent\": \"0000:00:04.0\"");
	has(R.out, "\"retired_page_list\": [\n"
		   "      {\n"
		   "        \"page\": \"0x1a2b\",\n"
		   "        \"cause\": \"sbe\",\n"
		   "        \"state\": \"retired\"\n"
		   "      },");
	has(R.out, "\"warnings\": []");
}

Test(cli, status_older_module)
{
	/* a module without the status files: every value '-' / null */
	fake_std(F);
	fake_add_vgpu(F, PCI, "mvgpu-256M", FS_U1, 13, "1\n");
	run("status");
	expect(0);
	cr_assert_str_eq(R.err, "");
	cr_assert_str_eq(R.out,
		"PARENT        BUS_ID        MEMORY  ECC_CUR/PEND  FB_USED/USABLE/TOTAL_MIB  RETIRED/PENDING  SBE_VOL/AGG  DBE_VOL/AGG  VGPUS  BUSY\n"
		"0000:00:04.0  0000:00:04.0  -       -             -                         -                -            -            1      -\n"
		"mvgpu0        -             -       -             -                         -                -            -            0      -\n"
		"\n"
		"UUID                                  PARENT        TYPE        FB_MIB  CHANNELS  IN_USE  MIGRATION  ECC  SBE_VOL/AGG  DBE_VOL/AGG  BUSY\n"
		FS_U1 "  0000:00:04.0  mvgpu-256M  256     -         yes     -          -    -            -            -\n");
	run("--json", "status");
	expect_json(0);
	has(R.out, "\"memory_kind\": null");
	has(R.out, "\"ecc_errors\": null");
	has(R.out, "\"fb_total\": null");
	has(R.out, "\"busy_percent\": null");
	has(R.out, "\"ecc\": null");
	has(R.out, "\"migration_state\": null");
	has(R.out, "\"warnings\": []");
	run("status", "-q", FS_U1);
	expect_out(0, "    Migration State                   : -\n");
	has(R.out, "        Total                         : -\n");
	run("--json", "status", "-q", FS_U1);
	expect_json(0);
	has(R.out, "\"retired_page_list\": null");

	/* parents without vGPUs */
	fake_unlink(F, "bus/mdev/devices/" FS_U1);
	run("status");
	expect_out(0, "\nno vGPUs; create one with 'mvgpu create --type TYPE'");
}

Test(cli, status_malformed_files)
{
	char big[5000];

	fake_status_std(F);
	fake_parent_file(F, PCI, "fb_used", "12abc\n");
	fake_parent_file(F, "mvgpu0", "ecc_errors", "sbe_volatile=1 dbe_volatile=zero sbe_aggregate=1 dbe_aggregate=0\n");
	fake_vgpu_file(F, PCI, FS_U1, "channels_active", "\x1b[31mlots\n");
	memset(big, '7', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	fake_vgpu_file(F, "mvgpu0", FS_U3, "ecc_status", big);
	run("status", "--interval", "0");
	expect_err(0, "mvgpu: warning: parent 0000:00:04.0: ");
	has(R.err, "/class/mdev_bus/0000:00:04.0/mvgpu/fb_used: malformed: '12abc' (not a decimal number)\n");
	has(R.err, "mvgpu: warning: parent mvgpu0: ");
	has(R.err, "/mvgpu/ecc_errors: malformed: 'sbe_volatile=1 dbe_volatile=zero ");
	has(R.err, "(dbe_volatile=zero: not a decimal number)");
	has(R.err, "mvgpu: warning: vGPU " FS_U1 ": ");
	has(R.err, FS_U1 "/mvgpu/channels_active: unexpected byte 0x1b at offset 0");
	has(R.err, FS_U3 "/mvgpu/ecc_status: value longer than");
	cr_assert_null(strchr(R.err, '\x1b'), "raw escape on stderr");
	/* the rest is shown; the bad values are '?' */
	has(R.out, "0000:00:04.0  0000:00:04.0  ddr     enabled/disabled   ?/959/1024 ");
	has(R.out, "mvgpu0        -             hbm     disabled/disabled  256/1024/1024             0/0              ?            ?  ");
	has(R.out, FS_U1 "  0000:00:04.0  mvgpu-256M  256     ?         yes     running");
	has(R.out, FS_U3 "  mvgpu0        mvgpu-256M  256     0         no      stop       ?  ");

	run("--json", "status", "--interval", "0");
	expect_json(0);
	has(R.out, "\"fb_used\": null");
	has(R.out, "\"fb_usable\": 1006624768");
	has(R.out, "\"channels_active\": null");
	has(R.out, "\"warnings\": [\n    \"parent 0000:00:04.0: ");
	has(R.out, "fb_used: malformed: '12abc' (not a decimal number)\",\n");
	has(R.out, "channels_active: unexpected byte 0x1b at offset 0\"");

	/* -q too: the file named, the value '?', exit 0 */
	run("status", "-q", FS_U1, "--interval", "0");
	expect_err(0, "channels_active: unexpected byte 0x1b");
	has(R.err, "fb_used: malformed: '12abc'");
	has(R.out, "    Channels Active                   : ?\n");
	has(R.out, "        Used                          : ?\n");
	has(R.out, "        Free                          : ?\n");
	has(R.out, "        Usable                        : 959 MiB\n");

	/* a malformed retired_pages line */
	fake_parent_file(F, PCI, "retired_pages", "0x10 sbe retired\n0x11 ecc retired\n");
	run("status", "-q", FS_U2, "--interval", "0");
	expect_err(0, "retired_pages: malformed: '0x10 sbe retired?0x11 ecc retired' (line 2: cause 'ecc': expected sbe or dbe)");
	has(R.out, "        Single Bit ECC                : ?\n");
}

Test(cli, status_errors_and_usage)
{
	expect_not_loaded("status");

	fake_status_std(F);
	run("status", "-q", "44444444-4444-4444-8444-444444444444");
	expect_err(1, "no vGPU 44444444-4444-4444-8444-444444444444; see 'mvgpu list'");
	run("--json", "status", "-q", "44444444-4444-4444-8444-444444444444");
	expect_json(1);
	has(R.out, "\"errno\": \"ENOENT\"");
	run("status", "-q", "nope");
	expect_err(2, "invalid UUID 'nope'");
	run("status", "-q");
	expect_err(2, "option '--query' needs a value");
	run("status", FS_U1, "-q", FS_U2);
	expect_err(2, "status: give the vGPU either to -q or alone, not both");
	run("status", "--timeout", "3");
	expect_err(2, "--timeout goes with 'mvgpu status UUID'");
	run("status", FS_U1, "--interval", "100");
	expect_err(2, "--interval goes with 'mvgpu status' and 'mvgpu status -q UUID'");
	run("status", "--interval", "x");
	expect_err(2, "--interval: expected 0 to 60000 milliseconds, got 'x'");
	run("status", "--interval", "60001");
	expect(2);
	run("status", "--interval", "-1");
	expect(2);
}

Test(cli, status_uuid_still_says_whether_it_runs_here)
{
	char dir[] = "/tmp/mvgpu-cli-run.XXXXXX";

	cr_assert_not_null(mkdtemp(dir));
	cr_assert_eq(setenv("MVGPU_RUN_DIR", dir, 1), 0);
	fake_status_std(F);
	run("status", FS_U3);
	expect(0);
	cr_assert_str_eq(R.out, "vGPU " FS_U3 " (mvgpu-256M on mvgpu0): does not run here: nothing has it open\n");
	run("status", FS_U1, "--timeout", "1");
	expect_out(0, "vGPU " FS_U1 " (mvgpu-256M on 0000:00:04.0): not known here: ");
	run("--json", "status", "44444444-4444-4444-8444-444444444444");
	expect_json(0);
	has(R.out, "\"runs_here\": false");
	run("status", "not-a-uuid");
	expect_err(2, "invalid UUID 'not-a-uuid'");
	rmdir(dir);
}

Test(cli, status_help)
{
	run("help", "status");
	expect_out(0, "-q, --query UUID");
	has(R.out, "--interval MS");
	has(R.out, "runs_here");
	has(R.out, "docs/status.md");
	run("help");
	expect_out(0, "status   show GPUs and vGPUs (as nvidia-smi), or whether a vGPU runs here\n");
}

/* ---- topo: its command line (the matrix itself: test_topo.c) ------------ */

Test(cli, topo_command_line)
{
	fake_topo_std(F);
	run("topo");
	expect_out(0, "GPU0\t X \tNV2\tPHB\tPHB\tSYS\tNODE\tSYS\t0-3\t0\n");
	has(R.out, "GPU6: mvgpu0\n");
	cr_assert_str_eq(R.err, "");
	run("topo", "-m");
	expect_out(0, "GPU6: mvgpu0\n");
	/* repeated, and in one --uuid with commas; in the order given */
	run("topo", "--matrix", "--uuid", FT_UA, "--uuid", FT_UE);
	expect_out(0, "GPU0\t X \tSYS\t0-3\t0\nGPU1\tSYS\t X \t0-7\tN/A\n");
	has(R.out, "GPU1: " FT_UE " on mvgpu0\n");
	run("topo", "--uuid=" FT_UA ",BBBBBBBB-BBBB-4BBB-8BBB-BBBBBBBBBBBB",
	    "--uuid", FT_UC);
	expect_out(0, "GPU0\t X \tSAME\tNV2\t0-3\t0\n");
	has(R.out, "GPU1: " FT_UB " on 0000:01:00.0\n");
	has(R.out, "GPU2: " FT_UC " on 0000:00:04.0\n");
	run("topo", "--uuid", FT_UD, "--json");
	expect_json(0);
	has(R.out, "\"uuid\": \"" FT_UD "\"");
	run("--json", "topo", "-m");
	expect_json(0);
	has(R.out, "\"matrix\": [");
}

Test(cli, topo_errors_and_usage)
{
	expect_not_loaded("topo");
	has(R.out, "\"message\": \"no mvgpu parents: is the mvgpu module loaded? "
	    "(modprobe mvgpu, or bind a PCI function via "
	    "/sys/bus/pci/drivers/mvgpu/new_id)\"");

	fake_topo_std(F);
	run("topo", "--uuid", "44444444-4444-4444-8444-444444444444");
	expect_err(1, "mvgpu: no vGPU 44444444-4444-4444-8444-444444444444; see 'mvgpu list'\n");
	run("topo", "--uuid", FT_UA "," FT_UB, "--uuid",
	    "AAAAAAAA-AAAA-4AAA-8AAA-AAAAAAAAAAAA");
	expect_err(2, "topo: vGPU " FT_UA " is given twice; see 'mvgpu help topo'");
	run("topo", "--uuid", "nope");
	expect_err(2, "topo: invalid UUID 'nope'");
	run("topo", "--uuid", FT_UA ",");
	expect_err(2, "topo: invalid UUID ''");
	run("topo", "--uuid");
	expect_err(2, "option '--uuid' needs a value");
	run("topo", "--matrix=yes");
	expect_err(2, "option '--matrix' takes no value");
	run("topo", "extra");
	expect_err(2, "unexpected argument 'extra'");
}

/* Several vGPUs at once: UUID[,UUID...], each once, at most 16. */
Test(cli, vgpu_lists_of_migrate_and_receive)
{
	char many[17 * 37 + 1] = "";
	int i;

	for (i = 0; i < 17; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), "%s%08x-0000-4000-8000-000000000000",
			 i ? "," : "", i + 1);
	run("migrate", U1 ",nope", "unix:/x");
	expect_err(2, "migrate: invalid UUID 'nope'");
	run("migrate", U1 ",", "unix:/x");
	expect_err(2, "migrate: invalid UUID ''");
	run("migrate", U1 ",11111111-1111-4111-8111-111111111111", "unix:/x");
	expect_err(2, "migrate: UUID: vGPU 11111111-1111-4111-8111-111111111111 is given twice");
	run("migrate", many, "unix:/x");
	expect_err(2, "migrate: UUID: at most 16 vGPUs at once, got 17");
	run("migrate", U1 "," U2, "unix:/x", "--target-uuid", U1);
	expect_err(2, "migrate: --target-uuid: 1 UUID for 2 vGPUs, one each in the same order");
	run("migrate", U1 "," U2, "unix:/x", "--target-uuid", U1 "," U1);
	expect_err(2, "--target-uuid: vGPU " U1 " is given twice");
	run("receive", "--listen", "unix:/x", "--uuid", U1 "," U1);
	expect_err(2, "receive: --uuid: vGPU " U1 " is given twice");
	run("receive", "--listen", "unix:/x", "--uuid", many);
	expect_err(2, "at most 16 vGPUs at once");
	run("help", "migrate");
	expect_out(0, "UUID[,UUID...] HOST:PORT [--target-uuid U[,U...]]");
	has(R.out, "or several (at most 16)");
	run("help", "receive");
	expect_out(0, "--uuid U[,U...]");
}

Test(cli, topo_help)
{
	run("help", "topo");
	expect_out(0, "usage: mvgpu [--json] topo [-m] [--uuid UUID[,UUID...]]...\n");
	has(R.out, "-m, --matrix");
	has(R.out, "--uuid UUID[,UUID]");
	has(R.out, "docs/topo.md");
	run("topo", "--help");
	expect_out(0, "SAME for two vGPUs of one GPU");
	run("help");
	expect_out(0, "  topo     show how the GPUs are connected (as nvidia-smi topo -m)\n");
}
