/*
 * cmd_migrate.c - `mvgpu migrate UUID ADDR` (source) and `mvgpu receive
 * --listen ADDR` (target): live migration of a vGPU between hosts
 * (docs/wire-protocol.md).  A vGPU in use is reached through its
 * workload's migration agent; an idle one is opened here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "output.h"
#include "progress.h"

#define DEFAULT_TIMEOUT_S	30

static int parse_uint(const char *s, unsigned long long max,
		      unsigned long long *out)
{
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno || *end || *out > max ? -1 : 0;
}

/* ---- source ----------------------------------------------------------------- */

/* The hooks' opaque: progress_event() reads it as its struct progress. */
struct msrc {
	struct progress p;	/* first */
	mvgpu_agent_conn *agent;
};

static int src_pause(void *opaque, char kind[MVGPU_STATE_KIND_MAX],
		     void **state, size_t *len)
{
	struct msrc *m = opaque;

	return mvgpu_agent_pause(m->agent, kind, state, len);
}

static void src_resume(void *opaque)
{
	struct msrc *m = opaque;

	mvgpu_agent_resume(m->agent);
}

static void migrate_summary(struct progress *p, const char *uuid,
			    const mvgpu_migrate_stats *st, int agent)
{
	double secs = (double)st->elapsed_ns / 1e9;
	double ratio = st->wire_bytes ? (double)st->stream_bytes / (double)st->wire_bytes : 0;
	char s[32], w[32];
	struct jline j;

	if (p->cli->json) {
		jl_begin(&j, stdout);
		jl_str(&j, "event", "done");
		jl_bool(&j, "ok", 1);
		jl_str(&j, "action", "migrate");
		jl_str(&j, "uuid", uuid);
		jl_str(&j, "target_uuid", st->target_uuid);
		jl_str(&j, "target_host", st->target_host);
		jl_bool(&j, "created", st->created);
		jl_bool(&j, "workload", agent);
		jl_u64(&j, "passes", st->passes);
		jl_u64(&j, "stream_bytes", st->stream_bytes);
		jl_u64(&j, "wire_bytes", st->wire_bytes);
		jl_num(&j, "ratio", ratio);
		jl_u64(&j, "precopy_bytes", st->precopy_bytes);
		jl_u64(&j, "stop_copy_bytes", st->stop_copy_bytes);
		jl_num(&j, "downtime_ms", (double)st->downtime_ns / 1e6);
		jl_num(&j, "stop_copy_ms", (double)st->stop_copy_ns / 1e6);
		jl_num(&j, "target_load_ms", (double)st->target_load_ns / 1e6);
		jl_u64(&j, "zero_copy_sends", st->zc_sends);
		jl_str(&j, "peer_dn", st->peer_dn);
		jl_bool(&j, "ktls", st->ktls);
		jl_num(&j, "seconds", secs);
		jl_end(&j);
		return;
	}
	human_bytes(st->stream_bytes, s, sizeof(s));
	human_bytes(st->wire_bytes, w, sizeof(w));
	printf("migrated vGPU %s to %s (vGPU %s%s)%s: downtime %.1f ms, total %.2f s, %u pre-copy pass%s, %s stream, %s on the wire (ratio %.1f)\n",
	       uuid, st->target_host, st->target_uuid,
	       st->created ? ", created" : "",
	       agent ? ", its workload continues there" : "",
	       (double)st->downtime_ns / 1e6, secs, st->passes,
	       st->passes == 1 ? "" : "es", s, w, ratio);
	if (st->peer_dn[0])
		printf("  over TLS 1.3 (%s) to %s\n", st->ktls ? "kernel TLS" : "userspace TLS",
		       st->peer_dn);
}

/*
 * The commit's confirmation was lost: say so, what is true here, and how
 * to learn the rest - from the target, which alone knows (exit 3).
 */
static int migrate_in_doubt(struct progress *p, const char *why,
			    const char *uuid, const char *addr,
			    const mvgpu_migrate_stats *st, int agent)
{
	return progress_fail(p, EXIT_IN_DOUBT, -EREMOTEIO,
			     "migration of vGPU %s to %s is in doubt: %s. %s Only the target can say which side runs it: run 'mvgpu status %s' on %s - 'runs here' there means the migration took effect; 'does not run here' means start the vGPU's workload again here",
			     uuid, addr, why,
			     agent ? "Its workload here let it go, so that it never runs on both hosts." :
			     "No workload used it here, so nothing runs it on either host.",
			     uuid, st->target_host[0] ? st->target_host : addr);
}

static int migrate_failed(struct progress *p, mvgpu_ctx *ctx, mvgpu_dev *dev,
			  const char *uuid, const char *addr, int err,
			  const mvgpu_migrate_stats *st, int agent)
{
	char why[512], state[64] = "in an unknown state";
	uint32_t s;

	snprintf(why, sizeof(why), "%s", mvgpu_last_error(ctx));
	if (st->in_doubt)
		return migrate_in_doubt(p, why, uuid, addr, st, agent);
	if (mvgpu_mig_get_state(dev, &s) == 0)
		snprintf(state, sizeof(state), "%s",
			 s == MVGPU_MIG_RUNNING ? "running here, unchanged" :
			 mvgpu_mig_state_name(s));
	if (err == -ECANCELED && progress_cancel)	/* here, not the target */
		return progress_fail(p, EXIT_FAIL, err,
				     "migration of vGPU %s interrupted; it is %s",
				     uuid, state);
	return progress_fail(p, EXIT_FAIL, err,
			     "cannot migrate vGPU %s to %s: %s; the vGPU is %s",
			     uuid, addr, why, state);
}

/* The vGPU: through its workload's agent, or opened here if idle. */
static int source_open(struct progress *p, mvgpu_ctx *ctx, const char *uuid,
		       mvgpu_agent_conn **agent, mvgpu_dev **dev,
		       unsigned timeout_ms)
{
	unsigned flags = 0;
	int ret;

	ret = mvgpu_agent_connect(ctx, uuid, timeout_ms, agent, dev, &flags);
	if (!ret && (flags & MVGPU_AGENT_INCOMING)) {
		mvgpu_dev_close(*dev);
		mvgpu_agent_disconnect(*agent);
		*agent = NULL;
		return progress_fail(p, EXIT_FAIL, -EBUSY,
				     "vGPU %s is waiting for a migration in (its workload runs with --incoming): nothing to migrate yet",
				     uuid);
	}
	if (!ret)
		return 0;
	*agent = NULL;
	if (ret != -ENOENT)
		return progress_fail(p, EXIT_FAIL, ret,
				     "cannot reach the workload of vGPU %s: %s; the vGPU is running here, unchanged",
				     uuid, mvgpu_last_error(ctx));
	ret = mvgpu_dev_open(ctx, uuid, dev);
	if (ret == -EBUSY)
		return progress_fail(p, EXIT_FAIL, ret,
				     "vGPU %s is in use by a program that serves no migration agent (a VM migrates with 'virsh migrate'; 'mvgpu exercise --agent' can be migrated)",
				     uuid);
	if (ret)
		return progress_open_vgpu(p, ctx, uuid, dev);
	return 0;
}

int cmd_migrate(struct cli *cli, int argc, char **argv)
{
	const char *target_s = NULL, *passes_s = NULL, *timeout_s = NULL;
	const char *switch_s = NULL;
	mvgpu_net_security sec = { 0 };
	int no_precopy = 0, n, ret;
	const struct cli_opt opts[] = {
		{ "target-uuid", 0, 1, &target_s, NULL },
		{ "passes", 0, 1, &passes_s, NULL },
		{ "switchover-bytes", 0, 1, &switch_s, NULL },
		{ "timeout", 0, 1, &timeout_s, NULL },
		{ "no-precopy", 0, 0, NULL, &no_precopy },
		TLS_CLI_OPTS(sec),
		{ NULL, 0, 0, NULL, NULL }
	};
	unsigned long long passes = 8, timeout = DEFAULT_TIMEOUT_S, sw = 1 << 20;
	char uuid[MVGPU_UUID_LEN], tuuid[MVGPU_UUID_LEN], host[256];
	mvgpu_migrate_stats st = { 0 };
	mvgpu_migrate_opts mo;
	struct msrc ms = { 0 };
	struct progress *pp = &ms.p;
	const char *pos[2];
	mvgpu_ctx *ctx;
	mvgpu_dev *dev;
	int sock;

	ret = cli_parse(cli, argc, argv, opts, pos, 2, &n);
	if (ret)
		return ret;
	if (cli->help) {
		cli_print_cmd_help(cli_find_cmd("migrate"), stdout);
		return EXIT_OK;
	}
	if (n < 2)
		return cli_usage(cli, n ? "missing ADDR (where 'mvgpu receive --listen' runs, HOST:PORT)"
					: "missing UUID and ADDR");
	if (mvgpu_uuid_canonical(pos[0], uuid) < 0)
		return cli_bad_uuid(cli, pos[0]);
	if (target_s && mvgpu_uuid_canonical(target_s, tuuid) < 0)
		return cli_bad_uuid(cli, target_s);
	if (passes_s && parse_uint(passes_s, 1000, &passes))
		return cli_usage(cli, "--passes: expected 1 to 1000, got '%s'", passes_s);
	if (switch_s && parse_uint(switch_s, 1ull << 40, &sw))
		return cli_usage(cli, "--switchover-bytes: expected a number of bytes, got '%s'",
				 switch_s);
	if (timeout_s && (parse_uint(timeout_s, 3600, &timeout) || !timeout))
		return cli_usage(cli, "--timeout: expected 1 to 3600 seconds, got '%s'",
				 timeout_s);
	ctx = cli_ctx(cli);
	if (!ctx)
		return EXIT_FAIL;
	progress_init(pp, cli, "migrate");
	pp->bytes_word = "wire";
	/* ^C, SIGTERM: every wait before the commit ends, the vGPU runs on */
	progress_catch_signals();
	mvgpu_ctx_set_cancel(ctx, &progress_cancel);
	ret = source_open(pp, ctx, uuid, &ms.agent, &dev, (unsigned)timeout * 1000);
	if (ret)
		return ret;
	/* a certificate names the host as the admin types it, as libvirt's do */
	if (!sec.hostname && !mvgpu_net_host(pos[1], host, sizeof(host)))
		sec.hostname = host;
	sock = mvgpu_net_connect(ctx, pos[1], (unsigned)timeout * 1000);
	if (sock < 0) {
		ret = progress_fail(pp, EXIT_FAIL, sock,
				    "cannot migrate vGPU %s: %s; the vGPU is running here, unchanged",
				    uuid, mvgpu_last_error(ctx));
		goto out;
	}
	mo = (mvgpu_migrate_opts){
		.target_uuid = target_s ? tuuid : NULL,
		.precopy = !no_precopy, .max_passes = (unsigned)passes,
		.switchover_bytes = sw, .timeout_ms = (unsigned)timeout * 1000,
		.pause = ms.agent ? src_pause : NULL,
		.resume = ms.agent ? src_resume : NULL,
		.event = progress_event, .opaque = &ms,
		.cancel = &progress_cancel,
		.security = &sec,
	};
	ret = mvgpu_migrate(dev, sock, &mo, &st);
	close(sock);
	progress_end(pp);
	if (ret) {
		/* in doubt the vGPU may run on the target: its workload here
		 * must not resume (the agent would, on a bare disconnect) */
		if (st.in_doubt && ms.agent)
			mvgpu_agent_release(ms.agent);
		ret = migrate_failed(pp, ctx, dev, uuid, pos[1], ret, &st, ms.agent != NULL);
		goto out;
	}
	if (ms.agent)
		mvgpu_agent_release(ms.agent);
	migrate_summary(pp, uuid, &st, ms.agent != NULL);
	ret = EXIT_OK;
out:
	mvgpu_dev_close(dev);
	mvgpu_agent_disconnect(ms.agent);
	return ret;
}

/* ---- target ----------------------------------------------------------------- */

static void receive_summary(struct progress *p, const mvgpu_receive_result *r,
			    int agent)
{
	double secs = (double)r->elapsed_ns / 1e9;
	double ratio = r->wire_bytes ? (double)r->stream_bytes / (double)r->wire_bytes : 0;
	char s[32], w[32];
	struct jline j;

	if (p->cli->json) {
		jl_begin(&j, stdout);
		jl_str(&j, "event", "done");
		jl_bool(&j, "ok", 1);
		jl_str(&j, "action", "receive");
		jl_str(&j, "uuid", r->uuid);
		jl_str(&j, "type", r->type_id);
		jl_str(&j, "source_uuid", r->source_uuid);
		jl_str(&j, "source_host", r->source_host);
		jl_bool(&j, "created", r->created);
		jl_bool(&j, "workload", agent);
		jl_str(&j, "state_kind", r->state_kind);
		jl_u64(&j, "passes", r->passes);
		jl_u64(&j, "stream_bytes", r->stream_bytes);
		jl_u64(&j, "wire_bytes", r->wire_bytes);
		jl_num(&j, "ratio", ratio);
		jl_num(&j, "load_ms", (double)r->load_ns / 1e6);
		jl_str(&j, "peer_dn", r->peer_dn);
		jl_bool(&j, "ktls", r->ktls);
		jl_num(&j, "seconds", secs);
		jl_end(&j);
		return;
	}
	human_bytes(r->stream_bytes, s, sizeof(s));
	human_bytes(r->wire_bytes, w, sizeof(w));
	printf("received vGPU %s (%s%s) from %s: %s stream, %s on the wire (ratio %.1f), load %.1f ms, total %.2f s%s\n",
	       r->uuid, r->type_id, r->created ? ", created" : "",
	       r->source_host, s, w, ratio, (double)r->load_ns / 1e6, secs,
	       agent ? "; its workload continues here" : "");
	if (r->peer_dn[0])
		printf("  over TLS 1.3 (%s) from %s\n", r->ktls ? "kernel TLS" : "userspace TLS",
		       r->peer_dn);
}

/* What a failed receive left here, in words that are true. */
static void receive_outcome(const mvgpu_receive_result *r, char *buf,
			    size_t len)
{
	if (r->created)
		snprintf(buf, len, "the vGPU created for it was removed");
	else if (r->reset > 0)
		snprintf(buf, len,
			 "vGPU %s here was reset: what it held before is gone, and nothing of the source's was kept",
			 r->uuid);
	else if (r->reset < 0)
		snprintf(buf, len,
			 "vGPU %s here could not be reset after a partial load: its contents are undefined; reset or remove it ('mvgpu remove %s') before using it",
			 r->uuid, r->uuid);
	else if (r->discarded)
		snprintf(buf, len,
			 "vGPU %s here was not changed: what had arrived was dropped before it was applied",
			 r->uuid);
	else if (r->uuid[0])
		snprintf(buf, len, "vGPU %s here was not changed", r->uuid);
	else
		snprintf(buf, len, "nothing changed here");
}

struct mtgt {
	mvgpu_ctx *ctx;
	const char *uuid;
	mvgpu_agent_conn *agent;
	mvgpu_dev *dev;
};

int cmd_receive(struct cli *cli, int argc, char **argv)
{
	const char *listen_s = NULL, *uuid_s = NULL, *timeout_s = NULL;
	const char *accept_s = NULL;
	mvgpu_net_security sec = { 0 };
	int create = 0, ret;
	const struct cli_opt opts[] = {
		{ "listen", 'l', 1, &listen_s, NULL },
		{ "uuid", 'u', 1, &uuid_s, NULL },
		{ "create", 0, 0, NULL, &create },
		{ "timeout", 0, 1, &timeout_s, NULL },
		{ "accept-timeout", 0, 1, &accept_s, NULL },
		TLS_CLI_OPTS(sec),
		{ NULL, 0, 0, NULL, NULL }
	};
	unsigned long long timeout = DEFAULT_TIMEOUT_S, acc = 0;
	char uuid[MVGPU_UUID_LEN], who[128];
	mvgpu_receive_result r = { 0 };
	mvgpu_receive_opts ro;
	struct mtgt t = { 0 };
	struct progress p;
	unsigned flags = 0;
	mvgpu_ctx *ctx;
	int lfd, sock;

	ret = cli_parse(cli, argc, argv, opts, NULL, 0, NULL);
	if (ret)
		return ret;
	if (cli->help) {
		cli_print_cmd_help(cli_find_cmd("receive"), stdout);
		return EXIT_OK;
	}
	if (!listen_s)
		return cli_usage(cli, "missing --listen ADDR (e.g. :7077 or 0.0.0.0:7077)");
	if (uuid_s && mvgpu_uuid_canonical(uuid_s, uuid) < 0)
		return cli_bad_uuid(cli, uuid_s);
	if (timeout_s && (parse_uint(timeout_s, 3600, &timeout) || !timeout))
		return cli_usage(cli, "--timeout: expected 1 to 3600 seconds, got '%s'",
				 timeout_s);
	if (accept_s && parse_uint(accept_s, 86400, &acc))
		return cli_usage(cli, "--accept-timeout: expected 0 to 86400 seconds, got '%s'",
				 accept_s);
	ctx = cli_ctx(cli);
	if (!ctx)
		return EXIT_FAIL;
	progress_init(&p, cli, "receive");
	p.bytes_word = "wire";
	t.ctx = ctx;
	/* ^C, SIGTERM: every wait before the commit ends, nothing is kept */
	progress_catch_signals();
	mvgpu_ctx_set_cancel(ctx, &progress_cancel);
	/* a workload waiting with --incoming owns the vGPU: go through it */
	if (uuid_s) {
		ret = mvgpu_agent_connect(ctx, uuid, (unsigned)timeout * 1000,
					  &t.agent, &t.dev, &flags);
		if (!ret && !(flags & MVGPU_AGENT_INCOMING)) {
			mvgpu_dev_close(t.dev);
			mvgpu_agent_disconnect(t.agent);
			return progress_fail(&p, EXIT_FAIL, -EBUSY,
					     "vGPU %s is in use by a running workload: it cannot take a migration in",
					     uuid);
		}
		if (ret && ret != -ENOENT)
			return progress_fail(&p, EXIT_FAIL, ret,
					     "cannot reach the workload of vGPU %s: %s; nothing changed here",
					     uuid, mvgpu_last_error(ctx));
		if (ret)
			t.agent = NULL;
	}
	lfd = mvgpu_net_listen(ctx, listen_s);
	if (lfd < 0) {
		ret = progress_fail(&p, EXIT_FAIL, lfd, "%s", mvgpu_last_error(ctx));
		goto out;
	}
	if (cli->json) {
		struct jline j;

		jl_begin(&j, stdout);
		jl_str(&j, "event", "listening");
		jl_str(&j, "action", "receive");
		jl_str(&j, "address", listen_s);
		jl_end(&j);
	} else {
		fprintf(stderr, "receive: listening on %s\n", listen_s);
	}
	sock = mvgpu_net_accept(ctx, lfd, (unsigned)acc * 1000, who, sizeof(who));
	close(lfd);
	if (sock < 0) {
		ret = progress_fail(&p, EXIT_FAIL, sock, "receive on %s: %s; nothing changed here",
				    listen_s, mvgpu_last_error(ctx));
		goto out;
	}
	ro = (mvgpu_receive_opts){
		.uuid = uuid_s ? uuid : NULL, .create = create, .dev = t.dev,
		.timeout_ms = (unsigned)timeout * 1000,
		.event = progress_event, .opaque = &p,
		.cancel = &progress_cancel,
		.security = &sec,
	};
	ret = mvgpu_receive(ctx, sock, &ro, &r);
	close(sock);
	progress_end(&p);
	if (ret) {
		char here[256];

		receive_outcome(&r, here, sizeof(here));
		ret = progress_fail(&p, EXIT_FAIL, ret, "migration from %s failed: %s; %s",
				    who, mvgpu_last_error(ctx), here);
		goto out;
	}
	if (t.agent) {
		ret = mvgpu_agent_send_start(t.agent, r.state_kind, r.state,
					     r.state_len);
		if (ret) {
			ret = progress_fail(&p, EXIT_FAIL, ret,
					    "vGPU %s runs here, but its workload could not be told: %s",
					    r.uuid, mvgpu_last_error(ctx));
			goto out;
		}
	}
	receive_summary(&p, &r, t.agent != NULL);
	ret = EXIT_OK;
out:
	free(r.state);
	mvgpu_dev_close(t.dev);
	mvgpu_agent_disconnect(t.agent);
	return ret;
}
