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

static void expect_json(void)
{
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
	expect(0);
	expect_json();
	has(R.out, "\"version\": \"0.1.0\"");
}

Test(cli, help_documents_commands_and_exit_codes)
{
	run("help");
	expect(0);
	has(R.out, "types");
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
	expect(0);
	has(R.out, "Exit status:");
	run("help", "create");
	expect(0);
	has(R.out, "--uuid UUID");
	run("create", "--help");
	expect(0);
	has(R.out, "--parent PARENT");
	run("help", "migrate");
	expect(0);
	has(R.out, "Exit 3: in doubt");
	has(R.out, "mvgpu status UUID");
	run("help", "status");
	expect(0);
	has(R.out, "runs_here");
	run("help", "nope");
	expect(2);
}

Test(cli, usage_errors_exit_2)
{
	run("");
	expect(2);
	has(R.err, "unknown command ''");
	run("frobnicate");
	expect(2);
	has(R.err, "unknown command 'frobnicate'");
	has(R.err, "mvgpu help");
	run("--bogus");
	expect(2);
	has(R.err, "unknown option '--bogus'");
	run("types", "--bogus");
	expect(2);
	has(R.err, "types: unknown option '--bogus'");
	run("types", "--parent");
	expect(2);
	has(R.err, "needs a value");
	run("list", "extra");
	expect(2);
	has(R.err, "unexpected argument 'extra'");
	run("remove", "--force=yes", U1);
	expect(2);
}

Test(cli, no_arguments)
{
	run(NULL);
	expect(2);
	has(R.err, "missing command");
	has(R.err, "usage:");
	cr_assert_str_eq(R.out, "");
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
	expect(1);
	has(R.err, "no mvgpu parent 'mvgpu9'; known parents: 0000:00:04.0, mvgpu0");
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
	expect(0);
	expect_json();
	has(R.out, "\"ok\": true");
	has(R.out, "\"type\": \"mvgpu-1G\"");
	has(R.out, "\"parent\": \"0000:00:04.0\"");
	has(R.out, "\"framebuffer\": 268435456");
	has(R.out, "\"width\": 1920");
	has(R.out, "\"available_instances\": 16");
	/* --json is accepted after the command too */
	run("types", "--json");
	expect(0);
	expect_json();
}

Test(cli, json_escapes_sysfs_strings)
{
	char p[PATH_MAX];

	fake_std(F);
	fake_type_attr("mvgpu0", "mvgpu-256M", "name", p, sizeof(p));
	fake_write(F, p, "MVGPU \"256\" \\ fast\n");
	run("--json", "types", "--parent", "mvgpu0");
	expect(0);
	expect_json();
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
	expect(0);
	has(R.err, "mvgpu: warning: skipping type mvgpu-512M on mvgpu0");
	cr_assert_null(strchr(R.err, '\x1b'), "raw escape on stderr");
	has(R.out, "0000:00:04.0  mvgpu-512M");
	cr_assert_null(strstr(R.out, "mvgpu0        mvgpu-512M"));
	run("--json", "types");
	expect(0);
	expect_json();
	has(R.out, "\"skipped\": 1");
}

Test(cli, only_malformed_types)
{
	fake_add_parent(F, "mvgpu0");
	fake_add_type(F, "mvgpu0", "mvgpu-64M", "MVGPU-64M\n", "garbage\n",
		      "vfio-pci\n", "1\n");
	run("types");
	expect(1);
	has(R.err, "no usable vGPU types: 1 malformed type(s) skipped");
}

/* ---- list ------------------------------------------------------------- */

Test(cli, list_empty)
{
	fake_std(F);
	run("list");
	expect(0);
	has(R.out, "no vGPUs");
	run("--json", "list");
	expect(0);
	expect_json();
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
	expect(0);
	expect_json();
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
	expect(0);
	expect_json();
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
	expect(2);
	has(R.err, "invalid UUID '1234'");
	cr_assert_str_eq(R.out, "");
	cr_assert_str_eq(created("0000:00:04.0", "mvgpu-64M"), "");
	cr_assert_str_eq(created("mvgpu0", "mvgpu-64M"), "");
}

Test(cli, create_needs_type)
{
	fake_std(F);
	run("create");
	expect(2);
	has(R.err, "--type TYPE is required; known types: mvgpu-64M, mvgpu-256M, mvgpu-512M, mvgpu-1G");
}

Test(cli, create_unknown_type_lists_known)
{
	fake_std(F);
	run("create", "--type", "mvgpu-3G");
	expect(1);
	has(R.err, "mvgpu: unknown vGPU type 'mvgpu-3G'; known types: "
	    "mvgpu-64M, mvgpu-256M, mvgpu-512M, mvgpu-1G");
	run("create", "--type", "mvgpu-3G", "--parent", "mvgpu0");
	expect(1);
	has(R.err, "parent mvgpu0 has no vGPU type 'mvgpu-3G'; its types: mvgpu-64M");
	run("create", "--type", "mvgpu-64M", "--parent", "gpu7");
	expect(1);
	has(R.err, "no mvgpu parent 'gpu7'; known parents: 0000:00:04.0, mvgpu0");
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
	expect(1);
	expect_json();
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
	expect(1);
	has(R.err, "a vGPU with UUID " U1 " already exists");
}

Test(cli, create_no_module)
{
	run("create", "--type", "mvgpu-64M");
	expect(1);
	has(R.err, "is the mvgpu module loaded?");
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
	expect(0);
	expect_json();
	has(R.out, "\"ok\": true");
	has(R.out, "\"action\": \"remove\"");
	has(R.out, "\"forced\": false");
	cr_assert_str_eq(remove_file("mvgpu0", U1), "1");
}

Test(cli, remove_errors)
{
	fake_std(F);
	run("remove", U2);
	expect(1);
	has(R.err, "no vGPU " U2 "; see 'mvgpu list'");
	run("--json", "remove", U2);
	expect(1);
	expect_json();
	has(R.out, "\"errno\": \"ENOENT\"");
	run("remove", "not-a-uuid");
	expect(2);
	has(R.err, "invalid UUID 'not-a-uuid'");
	run("remove");
	expect(2);
	has(R.err, "missing UUID");
	run("remove", U1, U2);
	expect(2);
}

Test(cli, remove_unknown_in_use_state)
{
	fake_std(F);
	fake_add_vgpu(F, "mvgpu0", "mvgpu-256M", U1, 4, NULL);
	run("remove", U1);
	expect(1);
	has(R.err, "cannot tell whether vGPU " U1 " is in use");
	has(R.err, "pass --force");
	cr_assert_str_eq(remove_file("mvgpu0", U1), "");
	run("remove", "--force", U1);
	expect(0);
	cr_assert_str_eq(remove_file("mvgpu0", U1), "1");
}
