/*
 * status_view.c - `mvgpu status` (no UUID) and `mvgpu status -q UUID`:
 * what nvidia-smi and nvidia-smi -q show a host admin, for mvgpu.
 *
 *   mvgpu status           a table of the parents ("physical GPUs") and
 *                          one of the vGPUs
 *   mvgpu status -q UUID   one vGPU and its parent, key : value, indented
 *
 * Both read the module's status files through libmvgpu (mvgpu.h,
 * "Status").  A value the loaded module does not provide prints as "-"
 * (JSON null); one whose file is malformed as "?" (JSON null), with a
 * warning on stderr naming the file (and, with --json, in "warnings").
 * `mvgpu status UUID` (does it run here?) is cmd_status.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "output.h"

#define NA  "-"		/* the module has no such file */
#define BAD "?"		/* the file is malformed or unreadable */
#define MIB (1024.0 * 1024.0)

/* ---- values ------------------------------------------------------------- */

static const char *absent(unsigned bad, unsigned bit)
{
	return (bad & bit) ? BAD : NA;
}

/* @v if the file of @bit was read, else "-" or "?". */
static const char *had(unsigned have, unsigned bad, unsigned bit,
		       const char *v)
{
	return (have & bit) ? v : absent(bad, bit);
}

static const char *mode_name(int on)
{
	return on ? "enabled" : "disabled";
}

/* "running", "pre_copy": the sysfs spelling (lower case). */
static const char *mig_name(int state, char *buf, size_t len)
{
	const char *n = mvgpu_mig_state_name((uint32_t)state);
	size_t i;

	for (i = 0; n[i] && i + 1 < len; i++)
		buf[i] = (char)(n[i] >= 'A' && n[i] <= 'Z' ? n[i] - 'A' + 'a' :
				n[i]);
	buf[i] = '\0';
	return buf;
}

static void fmt_u64(char *buf, size_t len, unsigned have, unsigned bad,
		    unsigned bit, uint64_t v)
{
	if (have & bit)
		snprintf(buf, len, "%" PRIu64, v);
	else
		snprintf(buf, len, "%s", absent(bad, bit));
}

static void fmt_mib(char *buf, size_t len, unsigned have, unsigned bad,
		    unsigned bit, uint64_t bytes)
{
	fmt_u64(buf, len, have, bad, bit, bytes >> 20);
}

/* "a/b/c"; a lone "-" when every part is "-". */
static void join(char *buf, size_t len, const char *const *parts, size_t n)
{
	size_t i, used = 0, na = 0;

	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		na += !strcmp(parts[i], NA);
		used += (size_t)snprintf(buf + used, used < len ? len - used : 0,
					 "%s%s", i ? "/" : "", parts[i]);
	}
	if (na == n)
		snprintf(buf, len, NA);
}

static void fmt_busy(char *buf, size_t len, double pct, unsigned bad,
		     unsigned bit)
{
	if (pct >= 0)
		snprintf(buf, len, "%.0f%%", pct);
	else
		snprintf(buf, len, "%s", absent(bad, bit));
}

/* The SBE_VOL/AGG and DBE_VOL/AGG cells (@len bytes each) of @c. */
static void fmt_ecc_cells(char *sbe, char *dbe, size_t len,
			  const mvgpu_ecc_counts *c, unsigned have,
			  unsigned bad, unsigned bit)
{
	if (have & bit) {
		snprintf(sbe, len, "%" PRIu64 "/%" PRIu64, c->sbe_volatile,
			 c->sbe_aggregate);
		snprintf(dbe, len, "%" PRIu64 "/%" PRIu64, c->dbe_volatile,
			 c->dbe_aggregate);
	} else {
		snprintf(sbe, len, "%s", absent(bad, bit));
		snprintf(dbe, len, "%s", sbe);
	}
}

/* The vGPU's ECC: its mode, then marks: "enabled", "disabled[opt-out]",
 * "enabled[opt-out-pending]", "disabled[opt-out,killed]". */
static void fmt_vgpu_ecc(char *buf, size_t len,
			 const mvgpu_vgpu_status_info *s)
{
	char marks[64] = "";	/* at most 38 */

	if (!(s->have & MVGPU_VST_ECC)) {
		snprintf(buf, len, "%s", absent(s->bad, MVGPU_VST_ECC));
		return;
	}
	if (s->ecc_optout)
		strcat(marks, ",opt-out");
	if (s->ecc_optout_pending != s->ecc_optout)
		strcat(marks, s->ecc_optout_pending ? ",opt-out-pending" :
						      ",opt-in-pending");
	if (s->ecc_killed)
		strcat(marks, ",killed");
	if (marks[0])
		snprintf(buf, len, "%s[%s]", mode_name(s->ecc_mode), marks + 1);
	else
		snprintf(buf, len, "%s", mode_name(s->ecc_mode));
}

/* ---- the table ---------------------------------------------------------- */

static int parents_table(const mvgpu_parent_status_list *l)
{
	static const char *const hdr[] = { "PARENT", "BUS_ID", "MEMORY",
		"ECC_CUR/PEND", "FB_USED/USABLE/TOTAL_MIB", "RETIRED/PENDING",
		"SBE_VOL/AGG", "DBE_VOL/AGG", "VGPUS", "BUSY" };
	char ecc[40], fb[3][24], fbs[80], pages[40], sbe[48], dbe[48];
	char nv[16], busy[16];
	const char *parts[3];
	struct table t;
	size_t i;

	table_init(&t, 10, hdr);
	for (i = 0; i < l->count; i++) {
		const mvgpu_parent_status_info *s = &l->items[i];
		const char *row[10] = { s->parent,
			s->bus_id[0] ? s->bus_id : NA,
			had(s->have, s->bad, MVGPU_PST_MEMORY_KIND,
			    s->memory_kind),
			ecc, fbs, pages, sbe, dbe, nv, busy };

		parts[0] = had(s->have, s->bad, MVGPU_PST_ECC_MODE,
			       mode_name(s->ecc_mode));
		parts[1] = had(s->have, s->bad, MVGPU_PST_ECC_PENDING,
			       mode_name(s->ecc_mode_pending));
		join(ecc, sizeof(ecc), parts, 2);
		fmt_mib(fb[0], sizeof(fb[0]), s->have, s->bad,
			MVGPU_PST_FB_USED, s->fb_used);
		fmt_mib(fb[1], sizeof(fb[1]), s->have, s->bad,
			MVGPU_PST_FB_USABLE, s->fb_usable);
		fmt_mib(fb[2], sizeof(fb[2]), s->have, s->bad,
			MVGPU_PST_FB_TOTAL, s->fb_total);
		parts[0] = fb[0];
		parts[1] = fb[1];
		parts[2] = fb[2];
		join(fbs, sizeof(fbs), parts, 3);
		if (s->have & MVGPU_PST_RETIRED)
			snprintf(pages, sizeof(pages), "%u/%u",
				 s->pages_retired, s->pages_pending);
		else
			snprintf(pages, sizeof(pages), "%s",
				 absent(s->bad, MVGPU_PST_RETIRED));
		fmt_ecc_cells(sbe, dbe, sizeof(sbe), &s->ecc, s->have, s->bad,
			      MVGPU_PST_ECC_ERRORS);
		snprintf(nv, sizeof(nv), "%u", s->vgpus);
		fmt_busy(busy, sizeof(busy), s->busy_pct, s->bad,
			 MVGPU_PST_BUSY);
		table_add(&t, row);
	}
	return table_end(&t, stdout);
}

static int vgpus_table(const mvgpu_vgpu_status_list *l)
{
	static const char *const hdr[] = { "UUID", "PARENT", "TYPE",
		"FB_MIB", "CHANNELS", "IN_USE", "MIGRATION", "ECC",
		"SBE_VOL/AGG", "DBE_VOL/AGG", "BUSY" };
	char fb[24], ch[16], mig[32], ecc[96], sbe[48], dbe[48], busy[16];
	struct table t;
	size_t i;

	table_init(&t, 11, hdr);
	for (i = 0; i < l->count; i++) {
		const mvgpu_vgpu_status_info *s = &l->items[i];
		const char *row[11] = { s->info.uuid, s->info.parent,
			s->info.type_id, fb, ch,
			s->info.in_use > 0 ? "yes" :
			s->info.in_use == 0 ? "no" : BAD,
			had(s->have, s->bad, MVGPU_VST_MIGRATION,
			    mig_name(s->migration_state, mig, sizeof(mig))),
			ecc, sbe, dbe, busy };

		fmt_mib(fb, sizeof(fb), s->have, s->bad, MVGPU_VST_FRAMEBUFFER,
			s->framebuffer);
		fmt_u64(ch, sizeof(ch), s->have, s->bad, MVGPU_VST_CHANNELS,
			s->channels_active);
		fmt_vgpu_ecc(ecc, sizeof(ecc), s);
		fmt_ecc_cells(sbe, dbe, sizeof(sbe), &s->ecc, s->have, s->bad,
			      MVGPU_VST_ECC);
		fmt_busy(busy, sizeof(busy), s->busy_pct, s->bad,
			 MVGPU_VST_BUSY);
		table_add(&t, row);
	}
	return table_end(&t, stdout);
}

/* ---- JSON --------------------------------------------------------------- */

static void json_opt_u64(struct json *j, const char *key, unsigned have,
			 unsigned bit, uint64_t v)
{
	if (have & bit)
		json_u64(j, key, v);
	else
		json_null(j, key);
}

static void json_ecc_counts(struct json *j, const mvgpu_ecc_counts *c)
{
	json_u64(j, "sbe_volatile", c->sbe_volatile);
	json_u64(j, "dbe_volatile", c->dbe_volatile);
	json_u64(j, "sbe_aggregate", c->sbe_aggregate);
	json_u64(j, "dbe_aggregate", c->dbe_aggregate);
}

/* Begin the object @key if @ok (@return 1); else write null (0). */
static int json_obj_if(struct json *j, const char *key, int ok)
{
	if (ok)
		json_obj_begin(j, key);
	else
		json_null(j, key);
	return ok;
}

static void json_busy(struct json *j, unsigned have, unsigned bit,
		      uint64_t busy_ns, double pct)
{
	json_opt_u64(j, "busy_ns", have, bit, busy_ns);
	if (pct >= 0)
		json_double(j, "busy_percent", pct, 1);
	else
		json_null(j, "busy_percent");
}

static void json_pages(struct json *j, const mvgpu_retired_page_list *pages,
		       int have)
{
	char page[24];
	size_t i;

	if (!have) {
		json_null(j, "retired_page_list");
		return;
	}
	json_arr_begin(j, "retired_page_list");
	for (i = 0; i < pages->count; i++) {
		snprintf(page, sizeof(page), "0x%" PRIx64, pages->items[i].page);
		json_obj_begin(j, NULL);
		json_str(j, "page", page);
		json_str(j, "cause", pages->items[i].dbe ? "dbe" : "sbe");
		json_str(j, "state", pages->items[i].pending ? "pending" :
			 "retired");
		json_obj_end(j);
	}
	json_arr_end(j);
}

/* One parent, the object @key (NULL: in an array); with its
 * retired_page_list (json_pages()) unless @pages is NULL. */
static void json_parent(struct json *j, const char *key,
			const mvgpu_parent_status_info *s,
			const mvgpu_retired_page_list *pages, int have_pages)
{
	json_obj_begin(j, key);
	json_str(j, "parent", s->parent);
	json_str(j, "bus_id", s->bus_id[0] ? s->bus_id : NULL);
	json_str(j, "memory_kind", (s->have & MVGPU_PST_MEMORY_KIND) ?
		 s->memory_kind : NULL);
	json_str(j, "ecc_mode", (s->have & MVGPU_PST_ECC_MODE) ?
		 mode_name(s->ecc_mode) : NULL);
	json_str(j, "ecc_mode_pending", (s->have & MVGPU_PST_ECC_PENDING) ?
		 mode_name(s->ecc_mode_pending) : NULL);
	if (json_obj_if(j, "ecc_errors", s->have & MVGPU_PST_ECC_ERRORS)) {
		json_ecc_counts(j, &s->ecc);
		json_obj_end(j);
	}
	if (json_obj_if(j, "retired_pages", s->have & MVGPU_PST_RETIRED)) {
		json_u64(j, "retired", s->pages_retired);
		json_u64(j, "pending", s->pages_pending);
		json_u64(j, "sbe", s->pages_sbe);
		json_u64(j, "dbe", s->pages_dbe);
		json_obj_end(j);
	}
	json_opt_u64(j, "fb_total", s->have, MVGPU_PST_FB_TOTAL, s->fb_total);
	json_opt_u64(j, "fb_usable", s->have, MVGPU_PST_FB_USABLE,
		     s->fb_usable);
	json_opt_u64(j, "fb_used", s->have, MVGPU_PST_FB_USED, s->fb_used);
	json_u64(j, "vgpus", s->vgpus);
	json_busy(j, s->have, MVGPU_PST_BUSY, s->busy_ns, s->busy_pct);
	if (pages)
		json_pages(j, pages, have_pages);
	json_obj_end(j);
}

/* One vGPU, the object @key (NULL: in an array). */
static void json_vgpu(struct json *j, const char *key,
		      const mvgpu_vgpu_status_info *s)
{
	char mig[32];

	json_obj_begin(j, key);
	json_str(j, "uuid", s->info.uuid);
	json_str(j, "parent", s->info.parent);
	json_str(j, "type", s->info.type_id);
	json_opt_u64(j, "framebuffer", s->have, MVGPU_VST_FRAMEBUFFER,
		     s->framebuffer);
	if (s->info.iommu_group >= 0)
		json_int(j, "iommu_group", s->info.iommu_group);
	else
		json_null(j, "iommu_group");
	if (s->info.in_use >= 0)
		json_bool(j, "in_use", s->info.in_use);
	else
		json_null(j, "in_use");
	json_opt_u64(j, "channels_active", s->have, MVGPU_VST_CHANNELS,
		     s->channels_active);
	json_str(j, "migration_state", (s->have & MVGPU_VST_MIGRATION) ?
		 mig_name(s->migration_state, mig, sizeof(mig)) : NULL);
	if (json_obj_if(j, "ecc", s->have & MVGPU_VST_ECC)) {
		json_str(j, "mode", mode_name(s->ecc_mode));
		json_bool(j, "optout", s->ecc_optout);
		json_bool(j, "optout_pending", s->ecc_optout_pending);
		json_bool(j, "killed", s->ecc_killed);
		json_ecc_counts(j, &s->ecc);
		json_u64(j, "retired", s->pages_retired);
		json_u64(j, "retired_pending", s->pages_pending);
		json_obj_end(j);
	}
	json_str(j, "vgpu_params", (s->have & MVGPU_VST_PARAMS) ?
		 s->params : NULL);
	if ((s->have & MVGPU_VST_PARAMS) && s->frame_rate_limiter >= 0)
		json_bool(j, "frame_rate_limiter", s->frame_rate_limiter);
	else
		json_null(j, "frame_rate_limiter");
	json_busy(j, s->have, MVGPU_VST_BUSY, s->busy_ns, s->busy_pct);
	json_obj_end(j);
}

/* The document's start: {"ok": true, "interval_ms": N, ... */
static void json_doc_begin(struct json *j, unsigned interval_ms)
{
	json_init(j, stdout);
	json_obj_begin(j, NULL);
	json_bool(j, "ok", 1);
	json_u64(j, "interval_ms", interval_ms);
}

/* ... "warnings": [...]}: its end. */
static void json_doc_end(struct cli *cli, struct json *j,
			 const struct cli_warnings *w)
{
	cli_json_warnings(j, w);
	json_obj_end(j);
	json_end(j);
	cli->doc_written = 1;
}

/* ---- common ------------------------------------------------------------- */

static int sample(struct cli *cli, mvgpu_ctx *ctx, unsigned interval_ms,
		  mvgpu_parent_status_list *pl, mvgpu_vgpu_status_list *vl)
{
	int ret;

	if (!interval_ms)
		return 0;
	ret = mvgpu_status_sample(ctx, interval_ms, pl, vl);
	if (ret < 0)
		return cli_fail(cli, EXIT_FAIL, ret,
				"cannot measure busy %%: %s",
				mvgpu_last_error(ctx));
	return 0;
}

int status_overview(struct cli *cli, unsigned interval_ms)
{
	mvgpu_parent_status_list pl = { 0 };
	mvgpu_vgpu_status_list vl = { 0 };
	struct cli_warnings w = { 0 };
	mvgpu_ctx *ctx;
	struct json j;
	size_t i;
	int ret;

	ctx = cli_ctx(cli);
	if (!ctx)
		return EXIT_FAIL;
	cli_warnings_keep(ctx, &w);
	ret = mvgpu_list_parent_status(ctx, &pl);
	if (ret < 0) {
		ret = cli_fail(cli, EXIT_FAIL, ret,
			       "cannot read the parents: %s (%s)",
			       mvgpu_strerror(ret), mvgpu_last_error(ctx));
		goto out;
	}
	ret = mvgpu_list_vgpu_status(ctx, &vl);
	if (ret < 0) {
		ret = cli_fail(cli, EXIT_FAIL, ret,
			       "cannot list vGPUs: %s (%s)",
			       mvgpu_strerror(ret), mvgpu_last_error(ctx));
		goto out;
	}
	if (!pl.count && !vl.count) {
		ret = cli_fail(cli, EXIT_FAIL, -ENODEV, MSG_NO_TYPES);
		goto out;
	}
	ret = sample(cli, ctx, interval_ms, &pl, &vl);
	if (ret)
		goto out;
	if (cli->json) {
		json_doc_begin(&j, interval_ms);
		json_arr_begin(&j, "parents");
		for (i = 0; i < pl.count; i++)
			json_parent(&j, NULL, &pl.items[i], NULL, 0);
		json_arr_end(&j);
		json_arr_begin(&j, "vgpus");
		for (i = 0; i < vl.count; i++)
			json_vgpu(&j, NULL, &vl.items[i]);
		json_arr_end(&j);
		json_u64(&j, "skipped_parents", pl.skipped);
		json_u64(&j, "skipped_vgpus", vl.skipped);
		json_doc_end(cli, &j, &w);
		ret = EXIT_OK;
		goto out;
	}
	ret = parents_table(&pl);
	if (!ret) {
		putchar('\n');
		if (vl.count)
			ret = vgpus_table(&vl);
		else
			printf("no vGPUs; create one with 'mvgpu create --type TYPE' (types: 'mvgpu types')\n");
	}
	ret = ret ? cli_fail(cli, EXIT_FAIL, ret, "out of memory") : EXIT_OK;
out:
	cli_warnings_end(ctx, &w);
	mvgpu_parent_status_list_free(&pl);
	mvgpu_vgpu_status_list_free(&vl);
	return ret;
}

/* ---- -q: one vGPU and its parent ---------------------------------------- */

#define KEY_WIDTH 38	/* the colon's column, as nvidia-smi -q */

static void head(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void head(int level, const char *fmt, ...)
{
	va_list ap;

	printf("%*s", 4 * level, "");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void kv(int level, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void kv(int level, const char *key, const char *fmt, ...)
{
	va_list ap;

	printf("%*s%-*s: ", 4 * level, "", KEY_WIDTH - 4 * level, key);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* A decimal field, "-" or "?". */
static void kv_u64(int level, const char *key, unsigned have, unsigned bad,
		   unsigned bit, uint64_t v, const char *unit)
{
	if (have & bit)
		kv(level, key, "%" PRIu64 "%s", v, unit);
	else
		kv(level, key, "%s", absent(bad, bit));
}

/* A string field, "-" or "?". */
static void kv_str(int level, const char *key, unsigned have, unsigned bad,
		   unsigned bit, const char *v)
{
	kv(level, key, "%s", had(have, bad, bit, v));
}

static const char *yes_no(int v)
{
	return v ? "Yes" : "No";
}

static const char *on_off(int v)
{
	return v ? "Enabled" : "Disabled";
}

static void q_ecc_counts(const mvgpu_ecc_counts *c, unsigned have,
			 unsigned bad, unsigned bit)
{
	head(1, "ECC Errors");
	head(2, "Volatile");
	kv_u64(3, "Single Bit", have, bad, bit, c->sbe_volatile, "");
	kv_u64(3, "Double Bit", have, bad, bit, c->dbe_volatile, "");
	head(2, "Aggregate");
	kv_u64(3, "Single Bit", have, bad, bit, c->sbe_aggregate, "");
	kv_u64(3, "Double Bit", have, bad, bit, c->dbe_aggregate, "");
}

static void q_busy(double pct, unsigned have, unsigned bad, unsigned bit,
		   uint64_t busy_ns, unsigned interval_ms)
{
	head(1, "Utilization");
	if (pct >= 0)
		kv(2, "Busy", "%.0f %%", pct);
	else
		kv(2, "Busy", "%s", absent(bad, bit));
	kv_u64(2, "Busy Time", have, bad, bit, busy_ns, " ns");
	if (interval_ms && (have & bit))
		kv(2, "Sample Period", "%u ms", interval_ms);
	else
		kv(2, "Sample Period", "%s", NA);
}

static void q_vgpu(const mvgpu_vgpu_status_info *s, unsigned interval_ms)
{
	const char *na_ecc = absent(s->bad, MVGPU_VST_ECC);
	int ecc = !!(s->have & MVGPU_VST_ECC);
	char mig[32];

	head(0, "vGPU %s", s->info.uuid);
	kv(1, "Parent", "%s", s->info.parent);
	kv(1, "Type", "%s", s->info.type_id);
	kv_u64(1, "Framebuffer", s->have, s->bad, MVGPU_VST_FRAMEBUFFER,
	       s->framebuffer >> 20, " MiB");
	if (s->info.iommu_group >= 0)
		kv(1, "IOMMU Group", "%d", s->info.iommu_group);
	else
		kv(1, "IOMMU Group", "%s", NA);
	kv(1, "In Use", "%s", s->info.in_use < 0 ? BAD :
	   yes_no(s->info.in_use));
	kv_str(1, "Migration State", s->have, s->bad, MVGPU_VST_MIGRATION,
	       mig_name(s->migration_state, mig, sizeof(mig)));
	kv_u64(1, "Channels Active", s->have, s->bad, MVGPU_VST_CHANNELS,
	       s->channels_active, "");
	kv_str(1, "vGPU Parameters", s->have, s->bad, MVGPU_VST_PARAMS,
	       s->params[0] ? s->params : NA);
	kv_str(1, "Frame Rate Limiter", s->have, s->bad, MVGPU_VST_PARAMS,
	       s->frame_rate_limiter < 0 ? NA :
	       on_off(s->frame_rate_limiter));
	q_busy(s->busy_pct, s->have, s->bad, MVGPU_VST_BUSY, s->busy_ns,
	       interval_ms);
	head(1, "ECC Mode");
	kv(2, "Current", "%s", ecc ? on_off(s->ecc_mode) : na_ecc);
	kv(2, "Guest Opt-out", "%s", ecc ? yes_no(s->ecc_optout) : na_ecc);
	kv(2, "Guest Opt-out Pending", "%s",
	   ecc ? yes_no(s->ecc_optout_pending) : na_ecc);
	kv(2, "Killed by a DBE", "%s", ecc ? yes_no(s->ecc_killed) : na_ecc);
	q_ecc_counts(&s->ecc, s->have, s->bad, MVGPU_VST_ECC);
	head(1, "Retired Pages");
	kv_u64(2, "Retired", s->have, s->bad, MVGPU_VST_ECC, s->pages_retired,
	       "");
	kv_u64(2, "Pending", s->have, s->bad, MVGPU_VST_ECC, s->pages_pending,
	       "");
}

static void q_parent(const mvgpu_parent_status_info *s,
		     const mvgpu_retired_page_list *pages, unsigned interval_ms)
{
	unsigned fb = MVGPU_PST_FB_USABLE | MVGPU_PST_FB_USED;
	size_t i;

	head(0, "Parent %s", s->parent);
	kv(1, "Bus Id", "%s", s->bus_id[0] ? s->bus_id : NA);
	kv_str(1, "Memory Kind", s->have, s->bad, MVGPU_PST_MEMORY_KIND,
	       s->memory_kind);
	kv(1, "vGPUs", "%u", s->vgpus);
	head(1, "FB Memory Usage");
	kv_u64(2, "Total", s->have, s->bad, MVGPU_PST_FB_TOTAL,
	       s->fb_total >> 20, " MiB");
	kv_u64(2, "Usable", s->have, s->bad, MVGPU_PST_FB_USABLE,
	       s->fb_usable >> 20, " MiB");
	kv_u64(2, "Used", s->have, s->bad, MVGPU_PST_FB_USED,
	       s->fb_used >> 20, " MiB");
	if ((s->have & fb) == fb && s->fb_usable >= s->fb_used)
		kv(2, "Free", "%" PRIu64 " MiB",
		   (s->fb_usable - s->fb_used) >> 20);
	else
		kv(2, "Free", "%s", (s->bad & fb) ? BAD : NA);
	head(1, "ECC Mode");
	kv_str(2, "Current", s->have, s->bad, MVGPU_PST_ECC_MODE,
	       on_off(s->ecc_mode));
	kv_str(2, "Pending", s->have, s->bad, MVGPU_PST_ECC_PENDING,
	       on_off(s->ecc_mode_pending));
	q_ecc_counts(&s->ecc, s->have, s->bad, MVGPU_PST_ECC_ERRORS);
	head(1, "Retired Pages");
	kv_u64(2, "Single Bit ECC", s->have, s->bad, MVGPU_PST_RETIRED,
	       s->pages_sbe, "");
	kv_u64(2, "Double Bit ECC", s->have, s->bad, MVGPU_PST_RETIRED,
	       s->pages_dbe, "");
	kv_u64(2, "Retired", s->have, s->bad, MVGPU_PST_RETIRED,
	       s->pages_retired, "");
	kv_u64(2, "Pending", s->have, s->bad, MVGPU_PST_RETIRED,
	       s->pages_pending, "");
	kv_str(2, "Pending Page Retirement", s->have, s->bad,
	       MVGPU_PST_RETIRED, yes_no(s->pages_pending > 0));
	if (pages && pages->count) {
		head(2, "Pages");
		for (i = 0; i < pages->count; i++) {
			char page[24];

			snprintf(page, sizeof(page), "0x%" PRIx64,
				 pages->items[i].page);
			kv(3, page, "%s, %s", pages->items[i].dbe ? "dbe" : "sbe",
			   pages->items[i].pending ? "pending" : "retired");
		}
	}
	q_busy(s->busy_pct, s->have, s->bad, MVGPU_PST_BUSY, s->busy_ns,
	       interval_ms);
}

int status_query(struct cli *cli, const char *uuid, unsigned interval_ms)
{
	mvgpu_parent_status_info ps;
	mvgpu_vgpu_status_info vs;
	mvgpu_parent_status_list pl = { &ps, 1, 0 };
	mvgpu_vgpu_status_list vl = { &vs, 1, 0 };
	mvgpu_retired_page_list pages = { 0 };
	struct cli_warnings w = { 0 };
	char canon[MVGPU_UUID_LEN];
	int ret, have_pages = 0;
	mvgpu_ctx *ctx;
	struct json j;

	if (mvgpu_uuid_canonical(uuid, canon) < 0)
		return cli_bad_uuid(cli, uuid);
	ctx = cli_ctx(cli);
	if (!ctx)
		return EXIT_FAIL;
	cli_warnings_keep(ctx, &w);
	ret = mvgpu_vgpu_status(ctx, canon, &vs);
	if (ret == -ENOENT) {
		ret = cli_fail(cli, EXIT_FAIL, ret, "no vGPU %s; see 'mvgpu list'",
			       canon);
		goto out;
	}
	if (ret < 0) {
		ret = cli_fail(cli, EXIT_FAIL, ret, "cannot read vGPU %s: %s",
			       canon, mvgpu_last_error(ctx));
		goto out;
	}
	ret = mvgpu_parent_status(ctx, vs.info.parent, &ps);
	if (ret < 0) {
		ret = cli_fail(cli, EXIT_FAIL, ret,
			       "cannot read parent %s of vGPU %s: %s",
			       vs.info.parent, canon, mvgpu_last_error(ctx));
		goto out;
	}
	/* the lines of retired_pages; a malformed file was reported above */
	if (ps.have & MVGPU_PST_RETIRED)
		have_pages = mvgpu_retired_pages(ctx, ps.parent, &pages) == 0;
	ret = sample(cli, ctx, interval_ms, &pl, &vl);
	if (ret)
		goto out;
	if (cli->json) {
		json_doc_begin(&j, interval_ms);
		json_vgpu(&j, "vgpu", &vs);
		json_parent(&j, "parent", &ps, &pages, have_pages);
		json_doc_end(cli, &j, &w);
	} else {
		q_vgpu(&vs, interval_ms);
		putchar('\n');
		q_parent(&ps, have_pages ? &pages : NULL, interval_ms);
	}
	ret = EXIT_OK;
out:
	cli_warnings_end(ctx, &w);
	mvgpu_retired_page_list_free(&pages);
	return ret;
}
