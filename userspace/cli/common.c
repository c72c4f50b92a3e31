/*
 * common.c - option parsing, error reporting and helpers shared by the
 * mvgpu subcommands.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "output.h"

static const struct cli_opt *find_long(const struct cli_opt *opts,
				       const char *name, size_t len)
{
	for (; opts && opts->name; opts++)
		if (strlen(opts->name) == len && !strncmp(opts->name, name, len))
			return opts;
	return NULL;
}

static const struct cli_opt *find_short(const struct cli_opt *opts, char c)
{
	for (; opts && opts->name; opts++)
		if (opts->short_name && opts->short_name == c)
			return opts;
	return NULL;
}

int cli_parse(struct cli *cli, int argc, char **argv,
	      const struct cli_opt *opts, const char **pos, int max_pos,
	      int *npos)
{
	const struct cli_opt *o;
	int i, n = 0, only_pos = 0;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *val = NULL, *eq;
		size_t len;

		if (only_pos || a[0] != '-' || !strcmp(a, "-")) {
			if (n >= max_pos)
				return cli_usage(cli, "unexpected argument '%s'", a);
			pos[n++] = a;
			continue;
		}
		if (!strcmp(a, "--")) {
			only_pos = 1;
			continue;
		}
		if (!strcmp(a, "--json")) {
			cli->json = 1;
			continue;
		}
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			cli->help = 1;
			continue;
		}
		if (a[1] == '-') {
			eq = strchr(a + 2, '=');
			len = eq ? (size_t)(eq - (a + 2)) : strlen(a + 2);
			o = find_long(opts, a + 2, len);
			if (eq)
				val = eq + 1;
		} else {
			o = a[2] ? NULL : find_short(opts, a[1]);
		}
		if (!o)
			return cli_usage(cli, "unknown option '%s'", a);
		if (!o->takes_arg) {
			if (val)
				return cli_usage(cli, "option '--%s' takes no value",
						 o->name);
			*o->flag = 1;
			continue;
		}
		if (!val) {
			if (i + 1 >= argc)
				return cli_usage(cli, "option '--%s' needs a value",
						 o->name);
			val = argv[++i];
		}
		if (o->takes_arg != CLI_ARG_EACH) {
			*o->value = val;
			continue;
		}
		if (*o->flag >= CLI_EACH_MAX)
			return cli_usage(cli, "option '--%s' given more than %d times",
					 o->name, CLI_EACH_MAX);
		o->value[(*o->flag)++] = val;
	}
	if (npos)
		*npos = n;
	return 0;
}

void cli_warn_handler(void *opaque, const char *msg)
{
	(void)opaque;
	fputs("mvgpu: warning: ", stderr);
	fput_sanitized(msg, stderr);
	fputc('\n', stderr);
}

static void keep_warning(void *opaque, const char *msg)
{
	struct cli_warnings *w = opaque;
	char **nv;

	cli_warn_handler(NULL, msg);
	nv = realloc(w->msg, (w->n + 1) * sizeof(*nv));
	if (!nv) {
		w->lost = 1;
		return;
	}
	w->msg = nv;
	w->msg[w->n] = strdup(msg);
	if (w->msg[w->n])
		w->n++;
	else
		w->lost = 1;
}

void cli_warnings_keep(mvgpu_ctx *ctx, struct cli_warnings *w)
{
	memset(w, 0, sizeof(*w));
	mvgpu_set_warn_handler(ctx, keep_warning, w);
}

void cli_warnings_end(mvgpu_ctx *ctx, struct cli_warnings *w)
{
	size_t i;

	mvgpu_set_warn_handler(ctx, cli_warn_handler, NULL);
	for (i = 0; i < w->n; i++)
		free(w->msg[i]);
	free(w->msg);
	memset(w, 0, sizeof(*w));
}

void cli_json_warnings(struct json *j, const struct cli_warnings *w)
{
	size_t i;

	json_arr_begin(j, "warnings");
	for (i = 0; i < w->n; i++)
		json_str(j, NULL, w->msg[i]);
	json_arr_end(j);
}

mvgpu_ctx *cli_ctx(struct cli *cli)
{
	int ret;

	if (cli->ctx)
		return cli->ctx;
	ret = mvgpu_ctx_create(&cli->ctx, NULL);
	if (ret < 0) {
		cli_fail(cli, EXIT_FAIL, ret,
			 "cannot use the sysfs root ($MVGPU_SYSFS): %s",
			 mvgpu_strerror(ret));
		return NULL;
	}
	mvgpu_set_warn_handler(cli->ctx, cli_warn_handler, NULL);
	return cli->ctx;
}

static int vfail(struct cli *cli, int code, int err, const char *fmt,
		 va_list ap)
{
	char msg[2048];
	const char *name;
	struct json j;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	fputs("mvgpu: ", stderr);
	fput_sanitized(msg, stderr);
	fputc('\n', stderr);
	if (cli->json && !cli->doc_written) {
		json_init(&j, stdout);
		json_obj_begin(&j, NULL);
		json_bool(&j, "ok", 0);
		json_obj_begin(&j, "error");
		json_str(&j, "command", cli->cmd);
		name = err ? strerrorname_np(err < 0 ? -err : err) : NULL;
		json_str(&j, "errno", name);
		json_int(&j, "exit_code", code);
		json_str(&j, "message", msg);
		json_obj_end(&j);
		json_obj_end(&j);
		json_end(&j);
		cli->doc_written = 1;
	}
	return code;
}

int cli_fail(struct cli *cli, int code, int err, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vfail(cli, code, err, fmt, ap);
	va_end(ap);
	return ret;
}

int cli_usage(struct cli *cli, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (cli->cmd)
		return cli_fail(cli, EXIT_USAGE, -EINVAL,
				"%s: %s; see 'mvgpu help %s'", cli->cmd, msg,
				cli->cmd);
	return cli_fail(cli, EXIT_USAGE, -EINVAL, "%s; see 'mvgpu help'", msg);
}

/* Append @s to the comma list in @buf unless already present. */
static void add_unique(char *buf, size_t len, const char *s)
{
	size_t used = strlen(buf), slen = strlen(s);
	const char *p = buf;

	while ((p = strstr(p, s))) {
		int start = p == buf || p[-1] == ' ';
		int end = p[slen] == ',' || p[slen] == '\0';

		if (start && end)
			return;
		p += slen;
	}
	if (used + slen + 3 > len)
		return;		/* keep the message bounded */
	if (used)
		strcat(buf, ", ");
	strcat(buf, s);
}

static int fb_cmp(const void *a, const void *b)
{
	const mvgpu_type_info *x = a, *y = b;

	if (x->framebuffer != y->framebuffer)
		return x->framebuffer < y->framebuffer ? -1 : 1;
	return strverscmp(x->type_id, y->type_id);
}

static int quiet_list(struct cli *cli, const char *parent, mvgpu_type_list *l)
{
	mvgpu_ctx *ctx = cli_ctx(cli);
	int ret;

	if (!ctx) {
		memset(l, 0, sizeof(*l));
		return -EINVAL;
	}
	/* Warnings were already printed by the failing command. */
	mvgpu_set_warn_handler(ctx, NULL, NULL);
	ret = mvgpu_list_types(ctx, parent, l);
	mvgpu_set_warn_handler(ctx, cli_warn_handler, NULL);
	return ret;
}

void cli_known_types(struct cli *cli, const char *parent, char *buf,
		     size_t len)
{
	mvgpu_type_list l;
	size_t i;

	buf[0] = '\0';
	if (quiet_list(cli, parent, &l) < 0)
		return;
	if (l.count > 1)
		qsort(l.items, l.count, sizeof(*l.items), fb_cmp);
	for (i = 0; i < l.count; i++)
		add_unique(buf, len, l.items[i].type_id);
	mvgpu_type_list_free(&l);
}

void cli_known_parents(struct cli *cli, char *buf, size_t len)
{
	mvgpu_type_list l;
	size_t i;

	buf[0] = '\0';
	if (quiet_list(cli, NULL, &l) < 0)
		return;
	for (i = 0; i < l.count; i++)
		add_unique(buf, len, l.items[i].parent);
	mvgpu_type_list_free(&l);
}

int cli_bad_uuid(struct cli *cli, const char *s)
{
	return cli_usage(cli,
			 "invalid UUID '%s': expected 8-4-4-4-12 hex digits such as 123e4567-e89b-12d3-a456-426614174000",
			 s);
}

int cli_split_uuids(struct cli *cli, const char *const *vals, int nvals,
		       char **buf, const char ***uuids, size_t *n)
{
	char canon[MVGPU_UUID_LEN], *rest, *one;
	size_t len = 0, max = 1;
	int i;

	*buf = NULL;
	*uuids = NULL;
	*n = 0;
	if (!nvals)
		return 0;
	for (i = 0; i < nvals; i++)
		len += strlen(vals[i]) + 1;
	*buf = calloc(1, len);	/* "" */
	if (!*buf)
		return cli_fail(cli, EXIT_FAIL, -ENOMEM, "out of memory");
	for (i = 0; i < nvals; i++) {
		if (i)
			strcat(*buf, ",");
		strcat(*buf, vals[i]);
	}
	for (rest = *buf; *rest; rest++)
		max += *rest == ',';
	*uuids = calloc(max, sizeof(**uuids));
	if (!*uuids)
		return cli_fail(cli, EXIT_FAIL, -ENOMEM, "out of memory");
	for (rest = *buf; (one = strsep(&rest, ","));) {
		if (mvgpu_uuid_canonical(one, canon) < 0)
			return cli_bad_uuid(cli, one);
		(*uuids)[(*n)++] = one;
	}
	return 0;
}

int cli_uuid_set(struct cli *cli, const char *arg, const char *what,
		 char (*out)[MVGPU_UUID_LEN], size_t *n)
{
	const char **uuids;
	size_t i, j;
	char *buf;
	int ret;

	ret = cli_split_uuids(cli, &arg, 1, &buf, &uuids, n);
	if (!ret && *n > MVGPU_SESSION_MAX)
		ret = cli_usage(cli, "%s: at most %u vGPUs at once, got %zu", what,
				MVGPU_SESSION_MAX, *n);
	for (i = 0; !ret && i < *n; i++) {
		mvgpu_uuid_canonical(uuids[i], out[i]);
		for (j = 0; j < i; j++)
			if (!strcmp(out[i], out[j]))
				ret = cli_usage(cli, "%s: vGPU %s is given twice", what,
						out[i]);
	}
	free(uuids);
	free(buf);
	return ret;
}
