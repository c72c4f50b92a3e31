/*
 * cmd_migrate.c - `mvgpu migrate UUID[,UUID...] ADDR` (source) and `mvgpu
 * receive --listen ADDR` (target): live migration of a vGPU, or of
 * several together, between hosts (docs/wire-protocol.md).  A vGPU in use
 * is reached through its workload's migration agent; an idle one is
 * opened here.
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

/* A vGPU's workload hooks: its agent. */
static int src_pause(void *opaque, char kind[MVGPU_STATE_KIND_MAX],
		     void **state, size_t *len)
{
	return mvgpu_agent_pause(opaque, kind, state, len);
}

static void src_resume(void *opaque)
{
	mvgpu_agent_resume(opaque);
}

/* The vGPUs of one `mvgpu migrate`. */
struct msrc {
	char uuid[MVGPU_SESSION_MAX][MVGPU_UUID_LEN];
	char tuuid[MVGPU_SESSION_MAX][MVGPU_UUID_LEN];
	size_t n;
	mvgpu_agent_conn *agent[MVGPU_SESSION_MAX];
	mvgpu_dev *dev[MVGPU_SESSION_MAX];
	char list[MVGPU_SESSION_MAX * MVGPU_UUID_LEN];	/* "U1, U2" */
};

/* "vGPU U" or "vGPUs U1, U2". */
static const char *vgpus_word(const struct msrc *m)
{
	return m->n > 1 ? "vGPUs" : "vGPU";
}

/* A vGPU's part of the summary: the summary's own members (one vGPU),
 * or an entry of its "vgpus" (@entry). */
static void migrate_vgpu_json(struct jline *j, int entry,
			      const mvgpu_migrate_stats *st, const char *uuid,
			      int agent)
{
	if (entry)
		jl_obj_begin(j, NULL);
	jl_str(j, "uuid", uuid);
	jl_str(j, "target_uuid", st->target_uuid);
	if (!entry)
		jl_str(j, "target_host", st->target_host);
	jl_bool(j, "created", st->created);
	jl_bool(j, "workload", agent);
	jl_u64(j, "passes", st->passes);
	jl_u64(j, "stream_bytes", st->stream_bytes);
	jl_u64(j, "wire_bytes", st->wire_bytes);
	jl_num(j, "ratio", st->wire_bytes ?
	       (double)st->stream_bytes / (double)st->wire_bytes : 0);
	jl_u64(j, "precopy_bytes", st->precopy_bytes);
	jl_u64(j, "stop_copy_bytes", st->stop_copy_bytes);
	if (entry)
		jl_obj_end(j);
}

static void migrate_summary(struct progress *p, const struct msrc *m,
			    const mvgpu_migrate_stats *st,
			    const mvgpu_migrate_stats *each)
{
	double secs = (double)st->elapsed_ns / 1e9;
	double ratio = st->wire_bytes ? (double)st->stream_bytes / (double)st->wire_bytes : 0;
	char s[32], w[32];
	struct jline j;
	size_t i;

	if (p->cli->json) {
		jl_begin(&j, stdout);
		jl_str(&j, "event", "done");
		jl_bool(&j, "ok", 1);
		jl_str(&j, "action", "migrate");
		if (m->n == 1) {
			migrate_vgpu_json(&j, 0, st, m->uuid[0], m->agent[0] != NULL);
		} else {
			jl_str(&j, "target_host", st->target_host);
			jl_arr_begin(&j, "vgpus");
			for (i = 0; i < m->n; i++)
				migrate_vgpu_json(&j, 1, &each[i], m->uuid[i],
						  m->agent[i] != NULL);
			jl_arr_end(&j);
			jl_u64(&j, "passes", st->passes);
			jl_u64(&j, "stream_bytes", st->stream_bytes);
			jl_u64(&j, "wire_bytes", st->wire_bytes);
			jl_num(&j, "ratio", ratio);
			jl_u64(&j, "precopy_bytes", st->precopy_bytes);
			jl_u64(&j, "stop_copy_bytes", st->stop_copy_bytes);
		}
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
	if (m->n == 1)
		printf("migrated vGPU %s to %s (vGPU %s%s)%s: downtime %.1f ms, total %.2f s, %u pre-copy pass%s, %s stream, %s on the wire (ratio %.1f)\n",
		       m->uuid[0], st->target_host, st->target_uuid,
		       st->created ? ", created" : "",
		       m->agent[0] ? ", its workload continues there" : "",
		       (double)st->downtime_ns / 1e6, secs, st->passes,
		       st->passes == 1 ? "" : "es", s, w, ratio);
	else
		printf("migrated %zu vGPUs to %s together: downtime %.1f ms, total %.2f s, %u pre-copy round%s, %s stream, %s on the wire (ratio %.1f)\n",
		       m->n, st->target_host, (double)st->downtime_ns / 1e6, secs,
		       st->passes, st->passes == 1 ? "" : "s", s, w, ratio);
	for (i = 0; m->n > 1 && i < m->n; i++) {
		human_bytes(each[i].stream_bytes, s, sizeof(s));
		printf("  vGPU %s -> vGPU %s%s: %u pre-copy pass%s, %s stream%s\n",
		       m->uuid[i], each[i].target_uuid,
		       each[i].created ? " (created)" : "", each[i].passes,
		       each[i].passes == 1 ? "" : "es", s,
		       m->agent[i] ? ", its workload continues there" : "");
	}
	if (st->peer_dn[0])
		printf("  over TLS 1.3 (%s) to %s\n", st->ktls ? "kernel TLS" : "userspace TLS",
		       st->peer_dn);
}

/*
 * The commit's confirmation was lost: say so, what is true here, and how
 * to learn the rest - from the target, which alone knows (exit 3).
 */
static int migrate_in_doubt(struct progress *p, const char *why,
			    const struct msrc *m, const char *addr,
			    const mvgpu_migrate_stats *st, int agent)
{
	const char *host = st->target_host[0] ? st->target_host : addr;

	if (m->n == 1)
		return progress_fail(p, EXIT_IN_DOUBT, -EREMOTEIO,
				     "migration of vGPU %s to %s is in doubt: %s. %s Only the target can say which side runs it: run 'mvgpu status %s' on %s - 'runs here' there means the migration took effect; 'does not run here' means start the vGPU's workload again here",
				     m->list, addr, why,
				     agent ? "Its workload here let it go, so that it never runs on both hosts." :
				     "No workload used it here, so nothing runs it on either host.",
				     m->list, host);
	return progress_fail(p, EXIT_IN_DOUBT, -EREMOTEIO,
			     "migration of vGPUs %s to %s is in doubt: %s. %s Only the target can say which side runs them (all of them, or none): run 'mvgpu status UUID' on %s for each - 'runs here' there means the migration took effect; 'does not run here' means start the vGPUs' workloads again here",
			     m->list, addr, why,
			     agent ? "Their workloads here let them go, so that none runs on both hosts." :
			     "No workload used them here, so nothing runs them on either host.",
			     host);
}

/* Where the vGPU is now ("running here, unchanged", "STOP"), or where
 * each of several is ("the vGPUs are running here, unchanged", "U1 is
 * ...; U2 is ..."). */
static void source_states(const struct msrc *m, char *buf, size_t len)
{
	uint32_t s[MVGPU_SESSION_MAX];
	int all_running = 1;
	size_t i, o = 0;

	for (i = 0; i < m->n; i++) {
		if (mvgpu_mig_get_state(m->dev[i], &s[i]))
			s[i] = (uint32_t)-1;
		all_running &= s[i] == MVGPU_MIG_RUNNING;
	}
	if (m->n > 1 && all_running) {
		snprintf(buf, len, "the vGPUs are running here, unchanged");
		return;
	}
	buf[0] = '\0';
	for (i = 0; i < m->n && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s%s%s",
				      i ? "; " : "", m->n > 1 ? m->uuid[i] : "",
				      m->n > 1 ? " is " : "",
				      s[i] == MVGPU_MIG_RUNNING ? "running here, unchanged" :
				      s[i] == (uint32_t)-1 ? "in an unknown state" :
				      mvgpu_mig_state_name(s[i]));
}

static int migrate_failed(struct progress *p, mvgpu_ctx *ctx,
			  const struct msrc *m, const char *addr, int err,
			  const mvgpu_migrate_stats *st, int agent)
{
	char why[512], state[1024];
	int here = err == -ECANCELED && progress_cancel;	/* not the target */

	snprintf(why, sizeof(why), "%s", mvgpu_last_error(ctx));
	if (st->in_doubt)
		return migrate_in_doubt(p, why, m, addr, st, agent);
	source_states(m, state, sizeof(state));
	if (here && m->n == 1)
		return progress_fail(p, EXIT_FAIL, err,
				     "migration of vGPU %s interrupted; it is %s",
				     m->list, state);
	if (here)
		return progress_fail(p, EXIT_FAIL, err,
				     "migration of vGPUs %s interrupted; %s",
				     m->list, state);
	if (m->n == 1)
		return progress_fail(p, EXIT_FAIL, err,
				     "cannot migrate vGPU %s to %s: %s; the vGPU is %s",
				     m->list, addr, why, state);
	return progress_fail(p, EXIT_FAIL, err,
			     "cannot migrate vGPUs %s to %s: %s; %s",
			     m->list, addr, why, state);
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
		*dev = NULL;
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

/* Every vGPU opened before anything starts (a guest's peers too). */
static int source_open_all(struct progress *p, mvgpu_ctx *ctx,
			   struct msrc *m, unsigned timeout_ms)
{
	size_t i;
	int ret;

	for (i = 0; i < m->n; i++) {
		ret = source_open(p, ctx, m->uuid[i], &m->agent[i], &m->dev[i],
				  timeout_ms);
		if (ret)
			return ret;
	}
	return 0;
}

static void source_close_all(struct msrc *m)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		mvgpu_dev_close(m->dev[i]);
		mvgpu_agent_disconnect(m->agent[i]);
	}
}

/* The UUIDs, the --target-uuid ones (as many), the list for messages. */
static int source_args(struct cli *cli, struct msrc *m, const char *arg,
		       const char *targets)
{
	size_t i, nt = 0, o = 0;
	int ret;

	ret = cli_uuid_set(cli, arg, "UUID", m->uuid, &m->n);
	if (!ret && targets)
		ret = cli_uuid_set(cli, targets, "--target-uuid", m->tuuid, &nt);
	if (ret)
		return ret;
	if (targets && nt != m->n)
		return cli_usage(cli, "--target-uuid: %zu UUID%s for %zu vGPU%s, one each in the same order",
				 nt, nt == 1 ? "" : "s", m->n, m->n == 1 ? "" : "s");
	for (i = 0; i < m->n; i++)
		o += (size_t)snprintf(m->list + o, sizeof(m->list) - o, "%s%s",
				      i ? ", " : "", m->uuid[i]);
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
	mvgpu_migrate_stats st = { 0 }, each[MVGPU_SESSION_MAX];
	mvgpu_migrate_vgpu v[MVGPU_SESSION_MAX];
	char host[256];
	mvgpu_migrate_opts mo;
	struct msrc m = { 0 };
	struct progress pr;
	const char *pos[2];
	mvgpu_ctx *ctx;
	int sock, agents = 0;
	size_t i;

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
	ret = source_args(cli, &m, pos[0], target_s);
	if (ret)
		return ret;
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
	progress_init(&pr, cli, "migrate");
	pr.bytes_word = "wire";
	pr.uuids = (const char (*)[MVGPU_UUID_LEN])m.uuid;
	pr.nuuids = (unsigned)m.n;
	/* ^C, SIGTERM: every wait before the commit ends, the vGPUs run on */
	progress_catch_signals();
	mvgpu_ctx_set_cancel(ctx, &progress_cancel);
	ret = source_open_all(&pr, ctx, &m, (unsigned)timeout * 1000);
	if (ret)
		goto out;
	for (i = 0; i < m.n; i++) {
		v[i] = (mvgpu_migrate_vgpu){
			.dev = m.dev[i],
			.target_uuid = target_s ? m.tuuid[i] : NULL,
			.pause = m.agent[i] ? src_pause : NULL,
			.resume = m.agent[i] ? src_resume : NULL,
			.opaque = m.agent[i],
		};
		agents += m.agent[i] != NULL;
	}
	/* a certificate names the host as the admin types it, as libvirt's do */
	if (!sec.hostname && !mvgpu_net_host(pos[1], host, sizeof(host)))
		sec.hostname = host;
	sock = mvgpu_net_connect(ctx, pos[1], (unsigned)timeout * 1000);
	if (sock < 0) {
		ret = progress_fail(&pr, EXIT_FAIL, sock,
				    "cannot migrate %s %s: %s; %s",
				    vgpus_word(&m), m.list, mvgpu_last_error(ctx),
				    m.n > 1 ? "the vGPUs are running here, unchanged" :
				    "the vGPU is running here, unchanged");
		goto out;
	}
	mo = (mvgpu_migrate_opts){
		.precopy = !no_precopy, .max_passes = (unsigned)passes,
		.switchover_bytes = sw, .timeout_ms = (unsigned)timeout * 1000,
		.event = progress_event, .opaque = &pr,
		.cancel = &progress_cancel,
		.security = &sec,
	};
	ret = mvgpu_migrate_n(v, (unsigned)m.n, sock, &mo, &st, each);
	close(sock);
	progress_end(&pr);
	if (ret) {
		/* in doubt the vGPUs may run on the target: their workloads
		 * here must not resume (an agent would, on a bare disconnect) */
		for (i = 0; st.in_doubt && i < m.n; i++)
			if (m.agent[i])
				mvgpu_agent_release(m.agent[i]);
		ret = migrate_failed(&pr, ctx, &m, pos[1], ret, &st, agents);
		goto out;
	}
	for (i = 0; i < m.n; i++)
		if (m.agent[i])
			mvgpu_agent_release(m.agent[i]);
	migrate_summary(&pr, &m, &st, each);
	ret = EXIT_OK;
out:
	source_close_all(&m);
	return ret;
}

/* ---- target ----------------------------------------------------------------- */

/* A vGPU's part of the summary (as migrate_vgpu_json()). */
static void receive_vgpu_json(struct jline *j, int entry,
			      const mvgpu_receive_result *r, int agent)
{
	if (entry)
		jl_obj_begin(j, NULL);
	jl_str(j, "uuid", r->uuid);
	jl_str(j, "type", r->type_id);
	jl_str(j, "source_uuid", r->source_uuid);
	if (!entry)
		jl_str(j, "source_host", r->source_host);
	jl_bool(j, "created", r->created);
	jl_bool(j, "workload", agent);
	jl_str(j, "state_kind", r->state_kind);
	jl_u64(j, "passes", r->passes);
	jl_u64(j, "stream_bytes", r->stream_bytes);
	jl_u64(j, "wire_bytes", r->wire_bytes);
	jl_num(j, "ratio", r->wire_bytes ?
	       (double)r->stream_bytes / (double)r->wire_bytes : 0);
	jl_num(j, "load_ms", (double)r->load_ns / 1e6);
	if (entry)
		jl_obj_end(j);
}

/* The vGPUs of one `mvgpu receive` (--uuid) and their workloads. */
struct mtgt {
	char uuid[MVGPU_SESSION_MAX][MVGPU_UUID_LEN];
	size_t n;
	struct mvgpu_receive_target tg[MVGPU_SESSION_MAX];
	mvgpu_agent_conn *agent[MVGPU_SESSION_MAX];
	mvgpu_dev *dev[MVGPU_SESSION_MAX];
};

static void receive_summary(struct progress *p, const mvgpu_receive_result *r,
			    unsigned n, const struct mtgt *t)
{
	uint64_t stream = 0, wire = 0, load = 0;
	double secs = (double)r[0].elapsed_ns / 1e9, ratio;
	char s[32], w[32];
	struct jline j;
	unsigned i;

	for (i = 0; i < n; i++) {
		stream += r[i].stream_bytes;
		wire += r[i].wire_bytes;
		load += r[i].load_ns;
	}
	ratio = wire ? (double)stream / (double)wire : 0;
	if (p->cli->json) {
		jl_begin(&j, stdout);
		jl_str(&j, "event", "done");
		jl_bool(&j, "ok", 1);
		jl_str(&j, "action", "receive");
		if (n == 1) {
			receive_vgpu_json(&j, 0, r, t->agent[0] != NULL);
		} else {
			jl_str(&j, "source_host", r[0].source_host);
			jl_arr_begin(&j, "vgpus");
			for (i = 0; i < n; i++)
				receive_vgpu_json(&j, 1, &r[i], i < t->n && t->agent[i]);
			jl_arr_end(&j);
			jl_u64(&j, "stream_bytes", stream);
			jl_u64(&j, "wire_bytes", wire);
			jl_num(&j, "ratio", ratio);
			jl_num(&j, "load_ms", (double)load / 1e6);
		}
		jl_str(&j, "peer_dn", r[0].peer_dn);
		jl_bool(&j, "ktls", r[0].ktls);
		jl_num(&j, "seconds", secs);
		jl_end(&j);
		return;
	}
	human_bytes(stream, s, sizeof(s));
	human_bytes(wire, w, sizeof(w));
	if (n == 1)
		printf("received vGPU %s (%s%s) from %s: %s stream, %s on the wire (ratio %.1f), load %.1f ms, total %.2f s%s\n",
		       r->uuid, r->type_id, r->created ? ", created" : "",
		       r->source_host, s, w, ratio, (double)r->load_ns / 1e6, secs,
		       t->agent[0] ? "; its workload continues here" : "");
	else
		printf("received %u vGPUs together from %s: %s stream, %s on the wire (ratio %.1f), load %.1f ms, total %.2f s\n",
		       n, r[0].source_host, s, w, ratio, (double)load / 1e6, secs);
	for (i = 0; n > 1 && i < n; i++) {
		human_bytes(r[i].stream_bytes, s, sizeof(s));
		printf("  vGPU %s (%s%s) from vGPU %s: %s stream%s\n", r[i].uuid,
		       r[i].type_id, r[i].created ? ", created" : "",
		       r[i].source_uuid, s,
		       i < t->n && t->agent[i] ? "; its workload continues here" : "");
	}
	if (r[0].peer_dn[0])
		printf("  over TLS 1.3 (%s) from %s\n", r[0].ktls ? "kernel TLS" : "userspace TLS",
		       r[0].peer_dn);
}

/* What a failed receive left of one vGPU here, in words that are true
 * (@one: the only one of the migration). */
static int receive_outcome(const mvgpu_receive_result *r, int one, char *buf,
			   size_t len)
{
	if (r->created)
		return snprintf(buf, len, "the vGPU created for %s was removed",
				one ? "it" : r->source_uuid);
	if (r->reset > 0)
		return snprintf(buf, len,
				"vGPU %s here was reset: what it held before is gone, and nothing of the source's was kept",
				r->uuid);
	if (r->reset < 0)
		return snprintf(buf, len,
				"vGPU %s here could not be reset after a partial load: its contents are undefined; reset or remove it ('mvgpu remove %s') before using it",
				r->uuid, r->uuid);
	if (r->discarded)
		return snprintf(buf, len,
				"vGPU %s here was not changed: what had arrived was dropped before it was applied",
				r->uuid);
	if (r->uuid[0])
		return snprintf(buf, len, "vGPU %s here was not changed", r->uuid);
	return 0;
}

/* ... of each vGPU of the migration. */
static void receive_outcomes(const mvgpu_receive_result *r, unsigned n,
			     char *buf, size_t len)
{
	char one[512];
	size_t o = 0;
	unsigned i;

	buf[0] = '\0';
	for (i = 0; i < n && o < len; i++)
		if (receive_outcome(&r[i], n == 1, one, sizeof(one)) > 0)
			o += (size_t)snprintf(buf + o, len - o, "%s%s",
					      o ? "; " : "", one);
	if (!buf[0])
		snprintf(buf, len, "nothing changed here");
}

/* A workload waiting with --incoming owns vGPU @i: go through it. */
static int target_agent(struct progress *p, mvgpu_ctx *ctx, struct mtgt *t,
			size_t i, unsigned timeout_ms)
{
	unsigned flags = 0;
	int ret;

	ret = mvgpu_agent_connect(ctx, t->uuid[i], timeout_ms, &t->agent[i],
				  &t->dev[i], &flags);
	if (!ret && !(flags & MVGPU_AGENT_INCOMING)) {
		mvgpu_dev_close(t->dev[i]);
		mvgpu_agent_disconnect(t->agent[i]);
		t->dev[i] = NULL;
		t->agent[i] = NULL;
		return progress_fail(p, EXIT_FAIL, -EBUSY,
				     "vGPU %s is in use by a running workload: it cannot take a migration in",
				     t->uuid[i]);
	}
	if (ret && ret != -ENOENT)
		return progress_fail(p, EXIT_FAIL, ret,
				     "cannot reach the workload of vGPU %s: %s; nothing changed here",
				     t->uuid[i], mvgpu_last_error(ctx));
	if (ret)
		t->agent[i] = NULL;
	t->tg[i] = (struct mvgpu_receive_target){ t->uuid[i], t->dev[i] };
	return 0;
}

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
	mvgpu_receive_result r[MVGPU_SESSION_MAX];
	char who[128];
	mvgpu_receive_opts ro;
	struct mtgt t = { 0 };
	struct progress p;
	unsigned got = 0;
	mvgpu_ctx *ctx;
	int lfd, sock;
	size_t i;

	memset(r, 0, sizeof(r));
	ret = cli_parse(cli, argc, argv, opts, NULL, 0, NULL);
	if (ret)
		return ret;
	if (cli->help) {
		cli_print_cmd_help(cli_find_cmd("receive"), stdout);
		return EXIT_OK;
	}
	if (!listen_s)
		return cli_usage(cli, "missing --listen ADDR (e.g. :7077 or 0.0.0.0:7077)");
	if (uuid_s && (ret = cli_uuid_set(cli, uuid_s, "--uuid", t.uuid, &t.n)))
		return ret;
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
	/* ^C, SIGTERM: every wait before the commit ends, nothing is kept */
	progress_catch_signals();
	mvgpu_ctx_set_cancel(ctx, &progress_cancel);
	for (i = 0; i < t.n; i++) {
		ret = target_agent(&p, ctx, &t, i, (unsigned)timeout * 1000);
		if (ret)
			goto out;
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
		.create = create,
		.timeout_ms = (unsigned)timeout * 1000,
		.event = progress_event, .opaque = &p,
		.cancel = &progress_cancel,
		.security = &sec,
		.ntargets = (unsigned)t.n, .targets = t.tg,
	};
	ret = mvgpu_receive_n(ctx, sock, &ro, r,
			      t.n ? (unsigned)t.n : MVGPU_SESSION_MAX, &got);
	close(sock);
	progress_end(&p);
	if (ret) {
		char here[2048];

		receive_outcomes(r, got, here, sizeof(here));
		ret = progress_fail(&p, EXIT_FAIL, ret, "migration from %s failed: %s; %s",
				    who, mvgpu_last_error(ctx), here);
		goto out;
	}
	for (i = 0; i < got && i < t.n; i++) {
		if (!t.agent[i])
			continue;
		ret = mvgpu_agent_send_start(t.agent[i], r[i].state_kind, r[i].state,
					     r[i].state_len);
		if (ret) {
			ret = progress_fail(&p, EXIT_FAIL, ret,
					    "vGPU %s runs here, but its workload could not be told: %s",
					    r[i].uuid, mvgpu_last_error(ctx));
			goto out;
		}
	}
	receive_summary(&p, r, got, &t);
	ret = EXIT_OK;
out:
	for (i = 0; i < MVGPU_SESSION_MAX; i++)
		free(r[i].state);
	for (i = 0; i < t.n; i++) {
		mvgpu_dev_close(t.dev[i]);
		mvgpu_agent_disconnect(t.agent[i]);
	}
	return ret;
}
