/*
 * main.c - mvgpu command-line tool: global options and the command table.
 *
 * New subcommands are added by writing cmd_<name>.c and adding one row to
 * cli_commands[] below.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "output.h"

static int cmd_help(struct cli *cli, int argc, char **argv);
static int cmd_version(struct cli *cli, int argc, char **argv);

const struct cli_cmd cli_commands[] = {
	{ "types", cmd_types, "[--parent PARENT]",
	  "list the vGPU types of each physical GPU, with free instances",
	  "  --parent PARENT  only the types of PARENT (e.g. 0000:00:04.0)\n" },
	{ "list", cmd_list, "",
	  "list the vGPUs (UUID, parent, type, IOMMU group, in use)", NULL },
	{ "create", cmd_create, "--type TYPE [--uuid UUID] [--parent PARENT]",
	  "create a vGPU and print its UUID",
	  "  --type TYPE      vGPU type, e.g. mvgpu-256M (see 'mvgpu types')\n"
	  "  --uuid UUID      UUID of the new vGPU (default: a random one)\n"
	  "  --parent PARENT  physical GPU to create it on (default: the\n"
	  "                   first one, in 'mvgpu types' order, with a free\n"
	  "                   instance of TYPE)\n" },
	{ "remove", cmd_remove, "UUID [--force]",
	  "remove a vGPU",
	  "  --force  remove it even if a VFIO user (e.g. a VM) has it open:\n"
	  "           waits until that user closes it\n" },
	{ "exercise", cmd_exercise,
	  "--uuid UUID [--passes N | --seconds S] [--channels C]",
	  "draw into a vGPU through its channels and verify every result",
	  "  --uuid UUID     the vGPU (it must not be open elsewhere, e.g. by a VM)\n"
	  "  --passes N      run N passes (default 10)\n"
	  "  --seconds S     run passes for S seconds instead\n"
	  "  --channels C    use channels 0..C-1 (default: all of the vGPU's)\n"
	  "  --seed N        vary the generated work (default 1)\n"
	  "\n"
	  "Each pass, on each channel: rectangle and range fills, copies\n"
	  "(overlapping too), an upload from guest memory into the framebuffer,\n"
	  "downloads back into guest memory, and a fence with an interrupt.\n"
	  "Then everything is compared byte for byte with a copy kept in this\n"
	  "process. The console shows what is drawn (display mode up to\n"
	  "1024x768, XRGB8888). Exit 0 if every check passed; 1 with the first\n"
	  "mismatch (offset, expected, got) or device error otherwise.\n" },
	{ "save", cmd_save, "UUID[,UUID...] FILE [--no-precopy]",
	  "save a vGPU's whole state to an image file; the vGPU runs on",
	  "  UUID[,UUID...]  the vGPU, or several (at most 16, a VM's) saved\n"
	  "                together: one stop for all, one image (a set)\n"
	  "  --no-precopy  stop the vGPU at once instead of copying while it\n"
	  "                runs (pre-copy passes, then a short stop-copy)\n"
	  "\n"
	  "FILE is replaced atomically: a failed or interrupted save (^C, a full\n"
	  "disk) leaves no file under that name (an old one stays as it was) and\n"
	  "the vGPU running, unchanged. The vGPU must not be open elsewhere (a VM\n"
	  "moves with its vGPU by live migration instead). The image is lz4-\n"
	  "compressed and created mode 0600: it holds the guest's screen.\n"
	  "On a terminal a progress line shows on stderr; --json prints one\n"
	  "JSON object per line (events, then a summary with bytes, ratio,\n"
	  "time, passes and downtime). See docs/save-restore.md.\n" },
	{ "restore", cmd_restore, "UUID[,UUID...] FILE",
	  "load an image into a vGPU of the same type",
	  "The whole image is decoded and checked here first (checksums, every\n"
	  "record, compatibility with the vGPU's migration_version); a damaged,\n"
	  "truncated or incompatible image is refused with the vGPU unchanged.\n"
	  "An image of several vGPUs (saved together) takes as many UUIDs, one\n"
	  "for each in the order 'mvgpu inspect' lists them (another number is a\n"
	  "usage error); all are loaded and run, or none: a refusal of one\n"
	  "resets every vGPU it had reached.\n"
	  "--json prints one JSON object per line, as 'mvgpu save' does.\n" },
	{ "migrate", cmd_migrate,
	  "UUID[,UUID...] HOST:PORT [--target-uuid U[,U...]] [--passes N] [--timeout S] [--tls-creds DIR | --insecure]",
	  "move running vGPUs to another host ('mvgpu receive' runs there)",
	  "  UUID[,UUID...]          the vGPU, or several (at most 16) that move\n"
	  "                          together: one connection, one stop, one commit\n"
	  "  --target-uuid U[,U...]  the vGPU(s) on the target, one for each UUID in\n"
	  "                          the same order (default: the same UUIDs)\n"
	  "  --passes N              pre-copy passes at most (default 8)\n"
	  "  --switchover-bytes B    stop once a pass leaves at most B dirty bytes\n"
	  "                          (default 1048576)\n"
	  "  --no-precopy            stop the vGPU at once, then copy\n"
	  "  --timeout S             a silent peer fails the migration after S\n"
	  "                          seconds (default 30)\n"
	  "  --tls-creds DIR         TLS credentials (QEMU's tls-creds-x509 layout:\n"
	  "                          ca-cert.pem, client-cert.pem, client-key.pem); default\n"
	  "                          /etc/pki/mvgpu, or /etc/pki/qemu\n"
	  "  --tls-authz FILE        peer certificate DNs allowed in, one per line\n"
	  "                          (glob patterns; default: any the CA signed)\n"
	  "  --tls-hostname NAME     the name the target's certificate must carry\n"
	  "                          (default: the HOST connected to)\n"
	  "  --insecure              plain TCP, no TLS: only on a network you trust\n"
	  "\n"
	  "The target checks the source's migration_version before anything\n"
	  "stops. While the vGPU runs, pre-copy passes carry the framebuffer;\n"
	  "then it stops, the rest follows, the target validates and loads it,\n"
	  "and only after the target confirmed the commit is the vGPU given up\n"
	  "here. Any failure before that leaves it running here, unchanged. A\n"
	  "vGPU in use moves with its workload if that serves a migration agent\n"
	  "('mvgpu exercise --agent'). Ends with a summary: downtime, total time,\n"
	  "bytes on the wire and compression ratio. ^C or SIGTERM before the\n"
	  "commit stops it at once with the vGPU running here; after the commit\n"
	  "was sent it waits for the target's answer (at most --timeout). A\n"
	  "target that answers the commit with an error does not run the vGPU:\n"
	  "it runs here again (exit 1).\n"
	  "\n"
	  "Exit 3: in doubt. The commit was sent and its confirmation lost (the\n"
	  "connection died, or the target fell silent): the vGPU may run on the\n"
	  "target, so it stays stopped here and its workload lets it go. Only the\n"
	  "target can say which side runs it: 'mvgpu status UUID' there says\n"
	  "'runs here' (the migration took effect) or 'does not run here' (start\n"
	  "the workload again on the source). See docs/wire-protocol.md.\n"
	  "\n"
	  "Several vGPUs (a VM's, with peer-to-peer links between them) move as\n"
	  "one: the target checks every one before anything stops; pre-copy\n"
	  "passes go round them while they run; then all stop at once, the\n"
	  "target loads all and runs all at the commit, or none - on any failure\n"
	  "every one runs here again; in doubt none does (exit 3). The summary\n"
	  "has each vGPU's bytes and passes and the totals.\n" },
	{ "receive", cmd_receive,
	  "--listen ADDR [--uuid U[,U...]] [--create] [--timeout S] [--tls-creds DIR | --insecure]",
	  "take one migration in ('mvgpu migrate' on the source)",
	  "  --listen ADDR           :PORT, HOST:PORT, [IPV6]:PORT or unix:PATH\n"
	  "  --uuid U[,U...]         the vGPU(s) to load, one for each of the source's\n"
	  "                          in its order (default: the source's UUIDs); if a\n"
	  "                          workload waits on one ('mvgpu exercise\n"
	  "                          --incoming'), it continues once loaded\n"
	  "  --create                create each missing vGPU (the source's type)\n"
	  "  --timeout S             a silent source fails it after S seconds\n"
	  "  --accept-timeout S      give up if nobody connects in S seconds\n"
	  "  --tls-creds DIR         TLS credentials (QEMU's tls-creds-x509 layout:\n"
	  "                          ca-cert.pem, server-cert.pem, server-key.pem); default\n"
	  "                          /etc/pki/mvgpu, or /etc/pki/qemu\n"
	  "  --tls-authz FILE        peer certificate DNs allowed in, one per line\n"
	  "                          (glob patterns; default: any the CA signed)\n"
	  "  --insecure              plain TCP, no TLS: only on a network you trust\n"
	  "\n"
	  "Refuses (and says why, to both sides) a source whose type or\n"
	  "migration_version this host's vGPU cannot take. On failure the vGPU\n"
	  "here runs nothing of the source's: it is untouched if the source was\n"
	  "refused before loading, reset if it had begun to load (what it held\n"
	  "before is gone), removed if it was created for the migration; the\n"
	  "message says which. ^C or SIGTERM stops it at once in any phase\n"
	  "before the commit, and the source is told.\n"
	  "\n"
	  "A migration of several vGPUs ('mvgpu migrate U1,U2 ...') comes in\n"
	  "whole: every vGPU is checked and opened before any is loaded; all run\n"
	  "at the commit, or none - on any failure each of them here runs nothing\n"
	  "of the source's, and the message says what became of each. With\n"
	  "--uuid, a migration of another number of vGPUs is refused.\n" },
	{ "status", cmd_status, "[-q UUID] [--interval MS] | UUID [--timeout S]",
	  "show GPUs and vGPUs (as nvidia-smi), or whether a vGPU runs here",
	  "  -q, --query UUID  one vGPU and its parent in detail (nvidia-smi -q)\n"
	  "  --interval MS     measure busy % over MS milliseconds (default 200;\n"
	  "                    0: do not measure, busy shows -)\n"
	  "  --timeout S       with UUID: wait at most S seconds for its\n"
	  "                    workload's agent (default 5)\n"
	  "\n"
	  "Without a UUID: a table of the parents (the physical GPUs): bus id,\n"
	  "memory kind, ECC mode current/pending, framebuffer used/usable/total\n"
	  "(MiB), pages retired/pending, single- and double-bit ECC errors\n"
	  "(volatile/aggregate), vGPUs, busy %; then one of the vGPUs: type,\n"
	  "framebuffer (MiB), channels active, in use, migration state, ECC mode\n"
	  "with its marks (opt-out, opt-out-pending, opt-in-pending, killed), ECC\n"
	  "errors, busy %. '-': the loaded module does not provide it (JSON\n"
	  "null); '?': its file is malformed (JSON null; a warning names the\n"
	  "file). --json: {\"parents\": [...], \"vgpus\": [...], \"warnings\": [...]}.\n"
	  "With -q, the same and more of one vGPU and its parent, as indented\n"
	  "'key : value' lines. See docs/status.md. Exit 0, or 1 with no mvgpu\n"
	  "parent or no such vGPU.\n"
	  "\n"
	  "With a UUID (and no -q): does that vGPU run on this host?\n"
	  "Asks the vGPU's state here, and its workload's migration agent if one\n"
	  "serves it (without taking the vGPU from it): 'runs here' (its workload\n"
	  "uses it), 'does not run here' (no such vGPU, nothing has it open, or\n"
	  "its workload still waits for a migration in), or 'not known' (a program\n"
	  "without an agent, such as a VM, has it open; or a migration helper\n"
	  "holds its agent right now). Run it on the target after 'mvgpu\n"
	  "migrate' exited 3. --json: {\"runs_here\": true|false|null, ...}.\n"
	  "Exit 0 whenever it could answer.\n" },
	{ "topo", cmd_topo, "[-m] [--uuid UUID[,UUID...]]...",
	  "show how the GPUs are connected (as nvidia-smi topo -m)",
	  "  -m, --matrix        the matrix (the only view; as nvidia-smi's -m)\n"
	  "  --uuid UUID[,UUID]  these vGPUs instead of the GPUs, in this order\n"
	  "                      (repeat it, or separate UUIDs with commas)\n"
	  "\n"
	  "A matrix of the GPUs (the parents, in 'mvgpu status' order): how each\n"
	  "pair is connected - NV# (# emulated mvgpu links), else PIX, PXB, PHB,\n"
	  "NODE or SYS from where they sit on PCI and in which NUMA nodes; SYS\n"
	  "for a virtual GPU (mvgpuN); SAME for two vGPUs of one GPU - and each\n"
	  "GPU's CPU and NUMA affinity; then what each GPU is, and the legend.\n"
	  "--json: {\"gpus\": [...], \"matrix\": [[...], ...], \"warnings\": [...]}.\n"
	  "See docs/topo.md. Exit 0, or 1 with no mvgpu parent or no such vGPU.\n" },
	{ "inspect", cmd_inspect, "FILE [--png OUT.png [--mode WxH] [--vgpu N]]",
	  "check an image without a kernel and show what it holds",
	  "  --png OUT.png  render the displayed framebuffer area (the display\n"
	  "                 registers in the image: size, stride, offset,\n"
	  "                 XRGB8888) as a PNG\n"
	  "  --mode WxH     render WxH pixels from framebuffer offset 0 instead\n"
	  "                 (for images whose display is off)\n"
	  "  --vgpu N       an image of several vGPUs: render its N-th\n"
	  "\n"
	  "An image of several vGPUs (mvgpu save U1,U2 ...) is checked whole and\n"
	  "shown vGPU after vGPU, in order; --json: \"vgpus\": [...].\n" },
	{ "help", cmd_help, "[COMMAND]", "show this help, or a command's", NULL },
	{ "version", cmd_version, "", "print the version (same as --version)",
	  NULL },
	{ NULL, NULL, NULL, NULL, NULL }
};

const struct cli_cmd *cli_find_cmd(const char *name)
{
	const struct cli_cmd *c;

	for (c = cli_commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

void cli_print_cmd_help(const struct cli_cmd *c, FILE *f)
{
	fprintf(f, "usage: mvgpu [--json] %s%s%s\n\n%s\n", c->name,
		*c->args ? " " : "", c->args, c->summary);
	if (c->help)
		fprintf(f, "\n%s", c->help);
}

static void usage(FILE *f)
{
	const struct cli_cmd *c;

	fprintf(f,
		"usage: mvgpu [--json] COMMAND [ARGS]\n"
		"       mvgpu --version | --help\n"
		"\n"
		"Manage mvgpu vGPUs (VFIO mediated devices) for KVM guests.\n"
		"\n"
		"Commands:\n");
	for (c = cli_commands; c->name; c++)
		fprintf(f, "  %-8s %s\n", c->name, c->summary);
	fprintf(f,
		"\n"
		"Run 'mvgpu help COMMAND' for a command's options.\n"
		"\n"
		"Global options:\n"
		"  --json     print one JSON document on stdout (also on failure:\n"
		"             {\"ok\": false, \"error\": {...}})\n"
		"  --version  print the version\n"
		"  -h, --help this help\n"
		"\n"
		"Exit status:\n"
		"  0  success\n"
		"  1  the operation failed (message on stderr)\n"
		"  2  usage error: bad command, option or argument (e.g. a\n"
		"     malformed UUID)\n"
		"  3  migrate: in doubt - the commit was sent and its confirmation\n"
		"     lost; 'mvgpu status UUID' on the target says which side runs\n"
		"     the vGPU\n"
		"\n"
		"Environment:\n"
		"  MVGPU_SYSFS    sysfs root to use instead of /sys (for tests)\n"
		"  MVGPU_RUN_DIR  where workloads serve their migration agents\n"
		"                 (default /run/mvgpu; private: mode 0700)\n");
}

static int print_version(struct cli *cli)
{
	struct json j;

	if (cli->json) {
		json_init(&j, stdout);
		json_obj_begin(&j, NULL);
		json_bool(&j, "ok", 1);
		json_str(&j, "version", mvgpu_version_string());
		json_obj_end(&j);
		json_end(&j);
		cli->doc_written = 1;
	} else {
		printf("mvgpu %s\n", mvgpu_version_string());
	}
	return EXIT_OK;
}

static int cmd_version(struct cli *cli, int argc, char **argv)
{
	int ret = cli_parse(cli, argc, argv, NULL, NULL, 0, NULL);

	if (ret)
		return ret;
	if (cli->help) {
		cli_print_cmd_help(cli_find_cmd("version"), stdout);
		return EXIT_OK;
	}
	return print_version(cli);
}

static int cmd_help(struct cli *cli, int argc, char **argv)
{
	const struct cli_cmd *c;
	const char *pos[1];
	int n, ret;

	ret = cli_parse(cli, argc, argv, NULL, pos, 1, &n);
	if (ret)
		return ret;
	if (n == 0 || cli->help) {
		usage(stdout);
		return EXIT_OK;
	}
	c = cli_find_cmd(pos[0]);
	if (!c)
		return cli_usage(cli, "unknown command '%s'", pos[0]);
	cli_print_cmd_help(c, stdout);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	struct cli cli = { 0 };
	const struct cli_cmd *c;
	int i, version = 0, help = 0, ret;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--json"))
			cli.json = 1;
		else if (!strcmp(argv[i], "--version") || !strcmp(argv[i], "-V"))
			version = 1;
		else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			help = 1;
		else
			return cli_usage(&cli, "unknown option '%s'", argv[i]);
	}
	if (version) {
		ret = print_version(&cli);
	} else if (help) {
		usage(stdout);
		ret = EXIT_OK;
	} else if (i >= argc) {
		usage(stderr);
		return cli_usage(&cli, "missing command");
	} else {
		c = cli_find_cmd(argv[i]);
		if (!c)
			return cli_usage(&cli, "unknown command '%s'", argv[i]);
		cli.cmd = c->name;
		ret = c->run(&cli, argc - i, argv + i);
	}
	mvgpu_ctx_free(cli.ctx);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "mvgpu: cannot write output: %s\n",
			strerror(errno));
		return EXIT_FAIL;
	}
	return ret;
}
