/*
 * cmd_status.c - `mvgpu status UUID`: does vGPU UUID run on this host?
 * (Without a UUID, or with -q UUID: the nvidia-smi-like views of
 * status_view.c.)
 *
 * The question a migration in doubt leaves (`mvgpu migrate` exit 3,
 * docs/wire-protocol.md "In doubt"): the commit was sent, its
 * confirmation lost, and only the target knows whether the vGPU runs
 * there.  Asked on the target, this answers from the vGPU's state here:
 *
 *   no such vGPU                      does not run here
 *   its workload's agent: running     runs here (the migration took effect)
 *   its workload's agent: incoming    does not run here (still waiting)
 *   in use, no agent (a VM?)          unknown here: ask that program
 *   a helper holds its agent now      unknown yet: a migration is under way
 *   not in use                        does not run here
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "output.h"

#define STATUS_TIMEOUT_S	5
#define STATUS_INTERVAL_MS	200	/* busy % sample, overview and -q */
#define STATUS_INTERVAL_MAX	60000

enum runs { RUNS_NO, RUNS_YES, RUNS_UNKNOWN };

struct status {
	mvgpu_vgpu_info vi;
	int exists;
	const char *workload;	/* running, incoming, none, busy, foreign */
	enum runs runs;
	unsigned pid;		/* the workload's, if an agent answered */
	char says[256];		/* the sentence after "vGPU U (...): " */
};

/* Ask the workload's agent, if one serves @uuid. */
static int ask_agent(struct cli *cli, mvgpu_ctx *ctx, const char *uuid,
		     unsigned timeout_ms, struct status *st)
{
	unsigned flags = 0, pid = 0;
	int ret;

	ret = mvgpu_agent_query(ctx, uuid, timeout_ms, &flags, &pid);
	if (!ret) {
		st->pid = pid;
		if (flags & MVGPU_AGENT_INCOMING) {
			st->workload = "incoming";
			st->runs = RUNS_NO;
			snprintf(st->says, sizeof(st->says),
				 "does not run here: its workload (pid %u) waits for a migration in",
				 pid);
		} else {
			st->workload = "running";
			st->runs = RUNS_YES;
			snprintf(st->says, sizeof(st->says),
				 "runs here: its workload (pid %u) uses it", pid);
		}
		return 0;
	}
	if (ret == -ETIMEDOUT) {
		/* the agent serves one helper at a time */
		st->workload = "busy";
		st->runs = RUNS_UNKNOWN;
		snprintf(st->says, sizeof(st->says), "%s",
			 "not known yet: a migration helper is using its workload's agent right now; ask again when it has ended");
		return 0;
	}
	if (ret != -ENOENT)
		return cli_fail(cli, EXIT_FAIL, ret,
				"cannot ask the workload of vGPU %s: %s", uuid,
				mvgpu_last_error(ctx));
	if (st->vi.in_use) {
		st->workload = "foreign";
		st->runs = RUNS_UNKNOWN;
		snprintf(st->says, sizeof(st->says), "%s", st->vi.in_use > 0 ?
			 "not known here: a program that serves no migration agent (a VM?) has it open; ask that program (for a VM: 'virsh domstate')" :
			 "not known here: whether a program has it open cannot be read (its in_use attribute)");
	} else {
		st->workload = "none";
		st->runs = RUNS_NO;
		snprintf(st->says, sizeof(st->says), "%s",
			 "does not run here: nothing has it open");
	}
	return 0;
}

static void print_status(struct cli *cli, const char *uuid,
			 const struct status *st)
{
	struct json j;

	if (cli->json) {
		json_init(&j, stdout);
		json_obj_begin(&j, NULL);
		json_bool(&j, "ok", 1);
		json_str(&j, "uuid", uuid);
		json_bool(&j, "exists", st->exists);
		json_str(&j, "type", st->exists ? st->vi.type_id : NULL);
		json_str(&j, "parent", st->exists ? st->vi.parent : NULL);
		if (st->exists && st->vi.in_use >= 0)
			json_bool(&j, "in_use", st->vi.in_use);
		else
			json_null(&j, "in_use");
		json_str(&j, "workload", st->workload);
		if (st->pid)
			json_u64(&j, "pid", st->pid);
		if (st->runs == RUNS_UNKNOWN)
			json_null(&j, "runs_here");
		else
			json_bool(&j, "runs_here", st->runs == RUNS_YES);
		json_str(&j, "message", st->says);
		json_obj_end(&j);
		json_end(&j);
		cli->doc_written = 1;
		return;
	}
	if (!st->exists)
		printf("no vGPU %s here: it does not run here\n", uuid);
	else
		printf("vGPU %s (%s on %s): %s\n", uuid, st->vi.type_id,
		       st->vi.parent, st->says);
}

/* `mvgpu status` and `mvgpu status -q UUID`: --interval MS. */
static int views(struct cli *cli, const char *query, const char *interval_s)
{
	unsigned long interval = STATUS_INTERVAL_MS;
	char *end;

	if (interval_s) {
		errno = 0;
		interval = strtoul(interval_s, &end, 10);
		if (*interval_s < '0' || *interval_s > '9' || errno || *end ||
		    interval > STATUS_INTERVAL_MAX)
			return cli_usage(cli, "--interval: expected 0 to %d milliseconds, got '%s'",
					 STATUS_INTERVAL_MAX, interval_s);
	}
	if (query)
		return status_query(cli, query, (unsigned)interval);
	return status_overview(cli, (unsigned)interval);
}

int cmd_status(struct cli *cli, int argc, char **argv)
{
	const char *timeout_s = NULL, *query = NULL, *interval_s = NULL;
	const struct cli_opt opts[] = {
		{ "timeout", 0, 1, &timeout_s, NULL },
		{ "query", 'q', 1, &query, NULL },
		{ "interval", 0, 1, &interval_s, NULL },
		{ NULL, 0, 0, NULL, NULL }
	};
	struct status st = { .workload = "none", .runs = RUNS_NO };
	unsigned long timeout = STATUS_TIMEOUT_S;
	char uuid[MVGPU_UUID_LEN], *end;
	const char *pos[1];
	mvgpu_ctx *ctx;
	int n, ret;

	ret = cli_parse(cli, argc, argv, opts, pos, 1, &n);
	if (ret)
		return ret;
	if (cli->help) {
		cli_print_cmd_help(cli_find_cmd("status"), stdout);
		return EXIT_OK;
	}
	if (n == 0 || query) {
		if (n)
			return cli_usage(cli, "give the vGPU either to -q or alone, not both");
		if (timeout_s)
			return cli_usage(cli, "--timeout goes with 'mvgpu status UUID'");
		return views(cli, query, interval_s);
	}
	if (interval_s)
		return cli_usage(cli, "--interval goes with 'mvgpu status' and 'mvgpu status -q UUID'");
	if (mvgpu_uuid_canonical(pos[0], uuid) < 0)
		return cli_bad_uuid(cli, pos[0]);
	if (timeout_s) {
		errno = 0;
		timeout = strtoul(timeout_s, &end, 10);
		if (*timeout_s < '0' || *timeout_s > '9' || errno || *end ||
		    !timeout || timeout > 3600)
			return cli_usage(cli, "--timeout: expected 1 to 3600 seconds, got '%s'",
					 timeout_s);
	}
	ctx = cli_ctx(cli);
	if (!ctx)
		return EXIT_FAIL;
	ret = mvgpu_find_vgpu(ctx, uuid, &st.vi);
	if (ret && ret != -ENOENT)
		return cli_fail(cli, EXIT_FAIL, ret, "cannot read vGPU %s: %s", uuid,
				mvgpu_last_error(ctx));
	st.exists = !ret;
	if (st.exists) {
		ret = ask_agent(cli, ctx, uuid, (unsigned)timeout * 1000, &st);
		if (ret)
			return ret;
	}
	print_status(cli, uuid, &st);
	return EXIT_OK;
}
