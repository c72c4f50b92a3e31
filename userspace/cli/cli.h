/*
 * cli.h - shared declarations of the mvgpu command-line tool.
 */
#ifndef MVGPU_CLI_H
#define MVGPU_CLI_H

#include <stddef.h>

#include "mvgpu.h"

/* Exit codes (documented in `mvgpu help`). */
#define EXIT_OK     0	/* success */
#define EXIT_FAIL   1	/* the operation failed */
#define EXIT_USAGE  2	/* bad command line */
#define EXIT_IN_DOUBT 3	/* migrate: COMMIT sent, its confirmation lost:
			 * 'mvgpu status UUID' on the target says who runs it */

struct cli {
	int json;		/* --json: one JSON document on stdout */
	int help;		/* --help seen by cli_parse() */
	int doc_written;	/* a JSON document was printed */
	const char *cmd;	/* current command, for messages */
	mvgpu_ctx *ctx;
};

/* A subcommand.  @run gets argv[0] = the command name. */
struct cli_cmd {
	const char *name;
	int (*run)(struct cli *cli, int argc, char **argv);
	const char *args;	/* synopsis after the name */
	const char *summary;	/* one line */
	const char *help;	/* details, may be NULL */
};

/* Table of commands (main.c), terminated by a NULL name. */
extern const struct cli_cmd cli_commands[];
const struct cli_cmd *cli_find_cmd(const char *name);
void cli_print_cmd_help(const struct cli_cmd *c, FILE *f);

/* Command implementations. */
int cmd_types(struct cli *cli, int argc, char **argv);
int cmd_list(struct cli *cli, int argc, char **argv);
int cmd_create(struct cli *cli, int argc, char **argv);
int cmd_remove(struct cli *cli, int argc, char **argv);
int cmd_exercise(struct cli *cli, int argc, char **argv);
int cmd_save(struct cli *cli, int argc, char **argv);
int cmd_restore(struct cli *cli, int argc, char **argv);
int cmd_inspect(struct cli *cli, int argc, char **argv);
int cmd_migrate(struct cli *cli, int argc, char **argv);
int cmd_receive(struct cli *cli, int argc, char **argv);
int cmd_status(struct cli *cli, int argc, char **argv);
int cmd_topo(struct cli *cli, int argc, char **argv);

/* status_view.c: `mvgpu status` without a UUID (every parent and vGPU)
 * and `mvgpu status -q UUID` (one vGPU and its parent, in detail); busy %
 * over @interval_ms (0: not measured). */
int status_overview(struct cli *cli, unsigned interval_ms);
int status_query(struct cli *cli, const char *uuid, unsigned interval_ms);

/* topo_view.c: `mvgpu topo`: the matrix of the GPUs, or of the vGPUs
 * @uuids (@n; any case) if @n, as text or JSON. */
int topo_show(struct cli *cli, const char *const *uuids, size_t n);

/* ---- common.c -------------------------------------------------------- */

/* Options of a command.  Flags set *flag = 1; options with an argument
 * store it in *value ("--name VALUE" or "--name=VALUE"); a repeatable
 * one (takes_arg CLI_ARG_EACH) stores each in value[*flag], counting them
 * in *flag (value: an array of CLI_EACH_MAX). */
struct cli_opt {
	const char *name;	/* long name, without "--" */
	char short_name;	/* 0: none */
	int takes_arg;		/* 0, 1 or CLI_ARG_EACH */
	const char **value;
	int *flag;
};

#define CLI_ARG_EACH	2
#define CLI_EACH_MAX	64

/* --tls-creds DIR, --tls-authz FILE, --tls-hostname NAME, --insecure into
 * the mvgpu_net_security @sec (migrate, receive). */
#define TLS_CLI_OPTS(sec)						\
	{ "tls-creds", 0, 1, &(sec).creds_dir, NULL },			\
	{ "tls-authz", 0, 1, &(sec).authz_file, NULL },			\
	{ "tls-hostname", 0, 1, &(sec).hostname, NULL },		\
	{ "insecure", 0, 0, NULL, &(sec).insecure }

/* Parse argv[1..] of a command: @opts (NULL-name terminated) plus the
 * global --json and -h/--help; "--" ends options; other words are
 * positional (at most @max_pos, stored in @pos).
 * @return 0, or EXIT_USAGE after printing why. */
int cli_parse(struct cli *cli, int argc, char **argv,
	      const struct cli_opt *opts, const char **pos, int max_pos,
	      int *npos);

/* The library context (created on first use); NULL after reporting. */
mvgpu_ctx *cli_ctx(struct cli *cli);
/* The context's warning handler: "mvgpu: warning: MSG" on stderr. */
void cli_warn_handler(void *opaque, const char *msg);

/* The library's warnings while a command reads (status, topo): on stderr
 * as always, and kept for its JSON document's "warnings". */
struct cli_warnings {
	char **msg;
	size_t n;
	int lost;		/* out of memory keeping one */
};

struct json;
/* Keep @ctx's warnings in @w (emptied) from now on. */
void cli_warnings_keep(mvgpu_ctx *ctx, struct cli_warnings *w);
/* Back to cli_warn_handler(); free @w's messages (and empty it). */
void cli_warnings_end(mvgpu_ctx *ctx, struct cli_warnings *w);
/* The member "warnings": [...] of a JSON object. */
void cli_json_warnings(struct json *j, const struct cli_warnings *w);

/* Print "mvgpu: <message>" on stderr and, with --json, an error document
 * {"ok": false, "error": {...}} on stdout.  @err is a -errno or 0.
 * @return @code. */
int cli_fail(struct cli *cli, int code, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Usage error: message plus a pointer to `mvgpu help CMD`; EXIT_USAGE. */
int cli_usage(struct cli *cli, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* cli_usage() for a malformed UUID @s, saying what one looks like. */
int cli_bad_uuid(struct cli *cli, const char *s);

/* The UUIDs of the @nvals values @vals (a repeated --uuid), each one or
 * more separated by commas: *@uuids (*@n of them) point into *@buf
 * (free() both, also on failure).  @return 0, or EXIT_USAGE after saying
 * which is not one. */
int cli_split_uuids(struct cli *cli, const char *const *vals, int nvals,
		    char **buf, const char ***uuids, size_t *n);
/* The vGPUs of one operation: UUID[,UUID...] in @arg, canonical in @out
 * (MVGPU_SESSION_MAX of them), *@n.  @what names the argument in the
 * messages.  @return 0, or EXIT_USAGE after saying why (not a UUID, one
 * twice, too many). */
int cli_uuid_set(struct cli *cli, const char *arg, const char *what,
		 char (*out)[MVGPU_UUID_LEN], size_t *n);

/* Comma-separated known type ids (of @parent, or of all parents; in
 * framebuffer order) or parents into @buf; "" if none. */
void cli_known_types(struct cli *cli, const char *parent, char *buf,
		     size_t len);
void cli_known_parents(struct cli *cli, char *buf, size_t len);

#define MSG_LOADED \
	"is the mvgpu module loaded? (modprobe mvgpu, " \
	"or bind a PCI function via /sys/bus/pci/drivers/mvgpu/new_id)"
#define MSG_NO_TYPES "no vGPU types found: " MSG_LOADED
#define MSG_NO_PARENTS "no mvgpu parents: " MSG_LOADED

#endif
