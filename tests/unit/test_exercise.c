/*
 * test_exercise.c - the `mvgpu exercise` workload model without a device:
 * its layout, and its batches run on a small software engine written here
 * from proto/mvgpu_abi.h alone, whose framebuffer and downloads must equal
 * the workload's shadow after every pass.  Plus the command's usage errors.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "exercise.h"
#include "fake_sysfs.h"

#ifndef MVGPU_TEST_CLI
#define MVGPU_TEST_CLI "build/asan/bin/mvgpu"
#endif

#define MiB (1ull << 20)

/* ---- layout ------------------------------------------------------------- */

Test(layout, fits_every_type)
{
	static const struct mvgpu_type_desc types[] = MVGPU_TYPES_INIT;
	struct ex_layout l;
	unsigned t, n, c;

	for (t = 0; t < MVGPU_NUM_TYPES; t++) {
		for (n = 1; n <= EX_MAX_CH; n++) {
			/* the 1:1 type: a 1 GiB DDR pool less ECC's 1/16 */
			uint64_t fb = (uint64_t)(types[t].fb_mib ? types[t].fb_mib : 960) << 20;
			uint64_t rows = 0;

			cr_assert_eq(ex_layout_init(&l, fb, types[t].max_width,
						    types[t].max_height, n), 0);
			cr_assert_leq(l.width, types[t].max_width);
			cr_assert_leq(l.height, types[t].max_height);
			cr_assert_eq(l.stride, l.width * 4);
			cr_assert_leq(l.disp_bytes, l.tail_off);
			cr_assert_eq(l.tail_off + l.tail_bytes, fb);
			for (c = 0; c < n; c++) {
				cr_assert_eq(l.ch[c].row0, rows);
				rows += l.ch[c].rows;
				cr_assert_geq(l.ch[c].tail_off, l.tail_off);
				cr_assert_eq(l.ch[c].tail_off % 4096, 0);
				if (c + 1 < n)
					cr_assert_eq(l.ch[c].tail_off + l.ch[c].tail_len,
						     l.ch[c + 1].tail_off);
			}
			cr_assert_eq(rows, l.height);
			cr_assert_eq(l.ch[n - 1].tail_off + l.ch[n - 1].tail_len, fb);
		}
	}
}

Test(layout, refuses_what_does_not_fit)
{
	struct ex_layout l;

	cr_assert_eq(ex_layout_init(&l, 2 * MiB, 1280, 1024, 1), -EINVAL);
	cr_assert_eq(ex_layout_init(&l, 64 * MiB, 1280, 1024, 0), -EINVAL);
	cr_assert_eq(ex_layout_init(&l, 64 * MiB, 1280, 1024, 5), -EINVAL);
	cr_assert_eq(ex_layout_init(&l, 64 * MiB, 640, 480, 4), 0);
	cr_assert_eq(l.width, 640);
}

/* ---- a software engine -------------------------------------------------- */

#define UP_IOVA(c)	(0x40000000ull + (uint64_t)(c) * MiB)
#define DOWN_IOVA(c)	(0x80000000ull + (uint64_t)(c) * MiB)

struct sw {
	uint8_t *fb;
	uint64_t fb_size;
	uint8_t *up[EX_MAX_CH], *down[EX_MAX_CH];
};

/* Guest memory at @iova, @len bytes, or NULL. */
static uint8_t *sw_mem(struct sw *s, uint64_t iova, uint64_t len)
{
	unsigned c;

	for (c = 0; c < EX_MAX_CH; c++) {
		if (iova >= UP_IOVA(c) && iova - UP_IOVA(c) + len <= EX_XFER_BYTES)
			return s->up[c] + (iova - UP_IOVA(c));
		if (iova >= DOWN_IOVA(c) && iova - DOWN_IOVA(c) + len <= EX_XFER_BYTES)
			return s->down[c] + (iova - DOWN_IOVA(c));
	}
	return NULL;
}

static int in_fb(struct sw *s, uint64_t off, uint64_t len)
{
	return off <= s->fb_size && len <= s->fb_size - off &&
	       off % 4 == 0 && len % 4 == 0;
}

static void sw_run(struct sw *s, const struct mvgpu_cmd *cmd)
{
	uint64_t a = le64toh(cmd->a), b = le64toh(cmd->b), c = le64toh(cmd->c);
	uint8_t *g;
	uint64_t i;

	cr_assert_eq(le32toh(cmd->flags), 0, "the workload's own fences are not run here");
	switch (le32toh(cmd->op)) {
	case MVGPU_OP_NOP:
		break;
	case MVGPU_OP_FILL:
		cr_assert(in_fb(s, a, b));
		for (i = 0; i < b; i += 4) {
			s->fb[a + i] = (uint8_t)c;
			s->fb[a + i + 1] = (uint8_t)(c >> 8);
			s->fb[a + i + 2] = (uint8_t)(c >> 16);
			s->fb[a + i + 3] = (uint8_t)(c >> 24);
		}
		break;
	case MVGPU_OP_COPY:
		cr_assert(in_fb(s, a, c) && in_fb(s, b, c));
		/* byte by byte in the safe direction */
		if (b <= a)
			for (i = 0; i < c; i++)
				s->fb[b + i] = s->fb[a + i];
		else
			for (i = c; i-- > 0;)
				s->fb[b + i] = s->fb[a + i];
		break;
	case MVGPU_OP_DMA_TO_FB:
		cr_assert(in_fb(s, b, c));
		g = sw_mem(s, a, c);
		cr_assert_not_null(g, "DMA from unmapped 0x%llx", (unsigned long long)a);
		memcpy(s->fb + b, g, c);
		break;
	case MVGPU_OP_DMA_FROM_FB:
		cr_assert(in_fb(s, a, c));
		g = sw_mem(s, b, c);
		cr_assert_not_null(g, "DMA to unmapped 0x%llx", (unsigned long long)b);
		memcpy(g, s->fb + a, c);
		break;
	default:
		cr_assert_fail("opcode %u", le32toh(cmd->op));
	}
}

/* Every framebuffer byte a command of channel @c touches is in @c's
 * slices: then channels cannot disturb each other. */
static int in_slices(const struct ex_layout *l, unsigned c, uint64_t off,
		     uint64_t len)
{
	uint64_t m0 = (uint64_t)l->ch[c].row0 * l->stride;
	uint64_t m1 = m0 + (uint64_t)l->ch[c].rows * l->stride;

	if (len == 0)
		return 1;
	return (off >= m0 && off + len <= m1) ||
	       (off >= l->ch[c].tail_off &&
		off + len <= l->ch[c].tail_off + l->ch[c].tail_len);
}

static void check_slices(const struct ex_layout *l, unsigned c,
			 const struct mvgpu_cmd *cmd)
{
	uint64_t a = le64toh(cmd->a), b = le64toh(cmd->b), n = le64toh(cmd->c);

	switch (le32toh(cmd->op)) {
	case MVGPU_OP_FILL:
		cr_assert(in_slices(l, c, a, b), "fill 0x%llx+%llu",
			  (unsigned long long)a, (unsigned long long)b);
		break;
	case MVGPU_OP_COPY:
		cr_assert(in_slices(l, c, a, n) && in_slices(l, c, b, n));
		break;
	case MVGPU_OP_DMA_TO_FB:
		cr_assert(in_slices(l, c, b, n));
		break;
	case MVGPU_OP_DMA_FROM_FB:
		cr_assert(in_slices(l, c, a, n));
		break;
	}
}

static void run_model(uint64_t fb_size, unsigned max_w, unsigned max_h,
		      unsigned nchan, uint32_t seed, unsigned passes)
{
	struct exercise ex;
	struct ex_layout l;
	struct sw s = { 0 };
	unsigned c, p, k;
	size_t i;
	int overlapping = 0;

	cr_assert_eq(ex_layout_init(&l, fb_size, max_w, max_h, nchan), 0);
	cr_assert_eq(ex_init(&ex, &l, nchan, seed), 0);
	s.fb_size = fb_size;
	s.fb = malloc(fb_size);
	cr_assert_not_null(s.fb);
	memset(s.fb, 0x77, fb_size);	/* whatever was there before */
	for (c = 0; c < nchan; c++) {
		s.up[c] = calloc(1, EX_XFER_BYTES);
		s.down[c] = calloc(1, EX_XFER_BYTES);
		cr_assert(s.up[c] && s.down[c]);
	}

	for (p = 0; p <= passes; p++) {
		for (c = 0; c < nchan; c++) {
			if (p == 0)
				cr_assert_eq(ex_build_clear(&ex, c), 0);
			else
				cr_assert_eq(ex_build(&ex, c, p, s.up[c], UP_IOVA(c),
						      DOWN_IOVA(c)), 0);
			cr_assert_gt(ex.batch[c].n, 0);
		}
		/* channels interleaved command by command, as a device may */
		for (i = 0;; i++) {
			int any = 0;

			for (c = 0; c < nchan; c++) {
				const struct ex_batch *b = &ex.batch[c];

				if (i >= b->n)
					continue;
				any = 1;
				check_slices(&l, c, &b->cmds[i]);
				if (le32toh(b->cmds[i].op) == MVGPU_OP_COPY) {
					uint64_t a = le64toh(b->cmds[i].a);
					uint64_t d = le64toh(b->cmds[i].b);
					uint64_t n = le64toh(b->cmds[i].c);

					overlapping += a != d && a < d + n && d < a + n;
				}
				sw_run(&s, &b->cmds[i]);
			}
			if (!any)
				break;
		}
		cr_assert_eq(ex_compare(&ex, "display", 0, ex.shadow_disp, s.fb,
					l.disp_bytes), 0, "pass %u: %s", p, ex.failure);
		cr_assert_eq(ex_compare(&ex, "tail", l.tail_off, ex.shadow_tail,
					s.fb + l.tail_off, l.tail_bytes), 0,
			     "pass %u: %s", p, ex.failure);
		for (c = 0; c < nchan; c++) {
			const struct ex_batch *b = &ex.batch[c];

			for (k = 0; k < b->ndl; k++)
				cr_assert_eq(ex_compare(&ex, "download", b->dl[k].fb_off,
							b->expect + b->dl[k].buf_off,
							s.down[c] + b->dl[k].buf_off,
							b->dl[k].len), 0,
					     "pass %u channel %u: %s", p, c, ex.failure);
			if (p)
				cr_assert_geq(b->ndl, 2);
		}
	}
	cr_assert_gt(overlapping, 0, "no overlapping copy in %u passes", passes);
	for (c = 0; c < nchan; c++) {
		free(s.up[c]);
		free(s.down[c]);
	}
	free(s.fb);
	ex_free(&ex);
}

Test(model, four_channels_64M, .timeout = 120)
{
	run_model(64 * MiB, 1280, 1024, 4, 1, 12);
}

Test(model, one_channel_other_seed, .timeout = 120)
{
	run_model(64 * MiB, 1280, 1024, 1, 0xfeedface, 8);
}

Test(model, three_channels_small_mode, .timeout = 120)
{
	run_model(8 * MiB, 640, 480, 3, 42, 8);
}

Test(model, deterministic)
{
	struct exercise a, b;
	struct ex_layout l;
	uint8_t *ua = calloc(1, EX_XFER_BYTES), *ub = calloc(1, EX_XFER_BYTES);

	cr_assert_eq(ex_layout_init(&l, 64 * MiB, 1280, 1024, 2), 0);
	cr_assert_eq(ex_init(&a, &l, 2, 5), 0);
	cr_assert_eq(ex_init(&b, &l, 2, 5), 0);
	cr_assert_eq(ex_build(&a, 1, 3, ua, UP_IOVA(1), DOWN_IOVA(1)), 0);
	cr_assert_eq(ex_build(&b, 1, 3, ub, UP_IOVA(1), DOWN_IOVA(1)), 0);
	cr_assert_eq(a.batch[1].n, b.batch[1].n);
	cr_assert_eq(memcmp(a.batch[1].cmds, b.batch[1].cmds,
			    a.batch[1].n * sizeof(struct mvgpu_cmd)), 0);
	cr_assert_eq(memcmp(ua, ub, EX_XFER_BYTES), 0);
	/* another pass draws something else */
	cr_assert_eq(ex_build(&b, 1, 4, ub, UP_IOVA(1), DOWN_IOVA(1)), 0);
	cr_assert_neq(memcmp(ua, ub, EX_XFER_BYTES), 0);
	ex_free(&a);
	ex_free(&b);
	free(ua);
	free(ub);
}

Test(model, compare_names_the_first_mismatch)
{
	struct exercise ex;
	uint8_t want[16] = { 0 }, got[16] = { 0 };

	memset(&ex, 0, sizeof(ex));
	cr_assert_eq(ex_compare(&ex, "x", 0x1000, want, got, 16), 0);
	got[9] = 0xab;
	cr_assert_eq(ex_compare(&ex, "framebuffer (mmap)", 0x1000, want, got, 16), -1);
	cr_assert_str_eq(ex.failure,
			 "framebuffer (mmap) at fb offset 0x1008: expected 0x00000000, got 0x0000ab00");
}

Test(model, shadow_rejects_commands_outside_the_windows)
{
	struct exercise ex;
	struct ex_layout l;
	struct mvgpu_cmd c;

	cr_assert_eq(ex_layout_init(&l, 64 * MiB, 1280, 1024, 1), 0);
	cr_assert_eq(ex_init(&ex, &l, 1, 1), 0);
	c = mvgpu_cmd_fill(l.disp_bytes, 4, 0);
	cr_assert_eq(ex_shadow_apply(&ex, &c, NULL, 0), -EINVAL);
	c = mvgpu_cmd_fill(l.disp_bytes - 4, 4, 0x01020304);
	cr_assert_eq(ex_shadow_apply(&ex, &c, NULL, 0), 4);
	cr_assert_eq(ex.shadow_disp[l.disp_bytes - 4], 0x04);
	c = mvgpu_cmd_copy(0, l.tail_off - 4, 8);
	cr_assert_eq(ex_shadow_apply(&ex, &c, NULL, 0), -EINVAL);
	c = mvgpu_cmd_fill(64 * MiB - 4, 4, 1);
	cr_assert_eq(ex_shadow_apply(&ex, &c, NULL, 0), 4);
	c = mvgpu_cmd_fill(2, 4, 1);
	cr_assert_eq(ex_shadow_apply(&ex, &c, NULL, 0), -EINVAL);
	ex_free(&ex);
}

/* ---- the state that travels with a migrated vGPU ------------------------ */

/* A source that ran @passes passes; @fb gets what its vGPU holds. */
static void source_after(struct exercise *ex, unsigned passes, uint8_t **fb)
{
	struct ex_layout l;
	uint8_t *up = calloc(1, EX_XFER_BYTES);
	unsigned c, p;

	cr_assert_eq(ex_layout_init(&l, 64 * MiB, 1280, 1024, 2), 0);
	cr_assert_eq(ex_init(ex, &l, 2, 7), 0);
	for (c = 0; c < 2; c++)
		cr_assert_eq(ex_build_clear(ex, c), 0);
	for (p = 1; p <= passes; p++)
		for (c = 0; c < 2; c++)
			cr_assert_eq(ex_build(ex, c, p, up, UP_IOVA(c), DOWN_IOVA(c)), 0);
	ex->pass = passes;
	/* the device drew the same (the model tests show it): the windows
	 * hold the shadow, the rest whatever */
	*fb = malloc(64 * MiB);
	cr_assert_not_null(*fb);
	memset(*fb, 0x77, 64 * MiB);
	memcpy(*fb, ex->shadow_disp, l.disp_bytes);
	memcpy(*fb + l.tail_off, ex->shadow_tail, l.tail_bytes);
	free(up);
}

/* The target side: check the state, set up, adopt the framebuffer. */
static int target_adopts(const struct ex_wire_state *w, size_t len,
			 const uint8_t *fb, struct exercise *ex, char *why,
			 size_t whylen)
{
	struct ex_layout l;
	int ret = ex_state_check(w, len, 64 * MiB, why, whylen);

	if (ret)
		return ret;
	cr_assert_eq(ex_layout_init(&l, 64 * MiB, 1280, 1024, le32toh(w->nchan)), 0);
	cr_assert_eq(ex_init(ex, &l, le32toh(w->nchan), le32toh(w->seed)), 0);
	if (ex_adopt_shadow(ex, fb, w)) {
		snprintf(why, whylen, "%s", ex->failure);
		ex_free(ex);
		return -1;
	}
	return 0;
}

Test(state, the_target_takes_the_source_framebuffer_and_continues)
{
	struct exercise src, dst;
	struct ex_wire_state w;
	uint8_t *fb, *up = calloc(1, EX_XFER_BYTES);
	char why[600] = "";
	unsigned c;

	source_after(&src, 5, &fb);
	ex_state_encode(&src, &w);
	cr_assert_eq(target_adopts(&w, sizeof(w), fb, &dst, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(memcmp(dst.shadow_disp, src.shadow_disp, src.layout.disp_bytes), 0);
	cr_assert_eq(memcmp(dst.shadow_tail, src.shadow_tail, src.layout.tail_bytes), 0);
	/* the next pass draws the same on both */
	for (c = 0; c < 2; c++) {
		cr_assert_eq(ex_build(&src, c, 6, up, UP_IOVA(c), DOWN_IOVA(c)), 0);
		cr_assert_eq(ex_build(&dst, c, 6, up, UP_IOVA(c), DOWN_IOVA(c)), 0);
	}
	cr_assert_eq(ex_shadow_digest(&dst), ex_shadow_digest(&src));
	ex_free(&src);
	ex_free(&dst);
	free(fb);
	free(up);
}

Test(state, a_framebuffer_that_is_not_the_source_is_refused)
{
	struct exercise src, dst;
	struct ex_wire_state w;
	char why[600] = "";
	uint8_t *fb;

	source_after(&src, 3, &fb);
	ex_state_encode(&src, &w);
	fb[src.layout.tail_off + 12345] ^= 1;
	cr_assert_eq(target_adopts(&w, sizeof(w), fb, &dst, why, sizeof(why)), -1);
	cr_assert(strstr(why, "is not the source's"), "%s", why);
	fb[src.layout.tail_off + 12345] ^= 1;
	fb[100] ^= 0x80;
	cr_assert_eq(target_adopts(&w, sizeof(w), fb, &dst, why, sizeof(why)), -1);
	ex_free(&src);
	free(fb);
}

/*
 * The pass number comes from the wire: bounded, and what the target
 * does with it costs the same whatever it says (it used to replay every
 * pass up to it: a hostile or old source made it loop for ever).
 */
Test(state, the_pass_from_the_wire_is_bounded_and_costs_nothing, .timeout = 30)
{
	static const uint64_t bad[] = { EX_PASS_MAX + 1, 1ull << 63, UINT64_MAX };
	struct exercise src, dst;
	struct ex_wire_state w;
	struct timespec t0, t1;
	char why[600] = "";
	uint8_t *fb;
	size_t i;

	source_after(&src, 2, &fb);
	ex_state_encode(&src, &w);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		w.pass = htole64(bad[i]);
		cr_assert_eq(target_adopts(&w, sizeof(w), fb, &dst, why, sizeof(why)),
			     -EPROTO, "pass %llu", (unsigned long long)bad[i]);
		cr_assert(strstr(why, "claims pass"), "%s", why);
	}
	w.pass = htole64(EX_PASS_MAX);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cr_assert_eq(target_adopts(&w, sizeof(w), fb, &dst, why, sizeof(why)), 0, "%s", why);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	cr_assert_lt(t1.tv_sec - t0.tv_sec, 5, "adopting pass 2^48 took %lld s",
		     (long long)(t1.tv_sec - t0.tv_sec));
	ex_free(&dst);
	ex_free(&src);
	free(fb);
}

Test(state, malformed_or_foreign_states_are_refused)
{
	struct exercise src, dst;
	struct ex_wire_state w, v;
	char why[600] = "";
	uint8_t *fb;

	source_after(&src, 1, &fb);
	ex_state_encode(&src, &w);
	/* an older mvgpu's: version 1, 64 bytes */
	v = w;
	v.version = htole32(1);
	cr_assert_eq(target_adopts(&v, 64, fb, &dst, why, sizeof(why)), -EPROTO);
	cr_assert(strstr(why, "version 1, this mvgpu takes version 2"), "%s", why);
	cr_assert_eq(target_adopts(&w, 64, fb, &dst, why, sizeof(why)), -EPROTO);
	cr_assert(strstr(why, "is 64 bytes"), "%s", why);
	v = w;
	v.magic = 0;
	cr_assert_eq(target_adopts(&v, sizeof(v), fb, &dst, why, sizeof(why)), -EPROTO);
	cr_assert(strstr(why, "without an exercise state"), "%s", why);
	cr_assert_eq(target_adopts(&w, 4, fb, &dst, why, sizeof(why)), -EPROTO);
	v = w;
	v.nchan = htole32(0);
	cr_assert_eq(target_adopts(&v, sizeof(v), fb, &dst, why, sizeof(why)), -EPROTO);
	v.nchan = htole32(EX_MAX_CH + 1);
	cr_assert_eq(target_adopts(&v, sizeof(v), fb, &dst, why, sizeof(why)), -EPROTO);
	v = w;
	v.fb_size = htole64(256 * MiB);
	cr_assert_eq(target_adopts(&v, sizeof(v), fb, &dst, why, sizeof(why)), -EPROTO);
	cr_assert(strstr(why, "does not fit"), "%s", why);
	ex_free(&src);
	free(fb);
}

/* ---- the command line --------------------------------------------------- */

extern char **environ;

/* Run the CLI; @return its exit code, stderr into @err. */
static int cli(char *err, size_t len, char *const *args)
{
	const char *bin = getenv("MVGPU_CLI");
	posix_spawn_file_actions_t fa;
	char *argv[16];
	int pipefd[2], st, n = 0;
	size_t got = 0;
	ssize_t r;
	pid_t pid;

	if (!bin || !*bin)
		bin = MVGPU_TEST_CLI;
	argv[n++] = (char *)"mvgpu";
	while (*args && n < 15)
		argv[n++] = *args++;
	argv[n] = NULL;
	cr_assert_eq(pipe(pipefd), 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
	posix_spawn_file_actions_addclose(&fa, pipefd[0]);
	cr_assert_eq(posix_spawn(&pid, bin, &fa, NULL, argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	while (got < len - 1 && (r = read(pipefd[0], err + got, len - 1 - got)) > 0)
		got += (size_t)r;
	err[got] = 0;
	close(pipefd[0]);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

#define U1 "11111111-1111-4111-8111-111111111111"
#define CLI(...) cli(err, sizeof(err), (char *[]){ __VA_ARGS__, NULL })
#define HAS(sub) cr_assert_not_null(strstr(err, (sub)), "missing '%s' in: %s", (sub), err)

Test(exercise_cli, usage_errors)
{
	struct fake *f = fake_new();
	char err[4096];

	cr_assert_eq(CLI("exercise"), 2);
	HAS("missing --uuid");
	cr_assert_eq(CLI("exercise", "--uuid", "xyz"), 2);
	HAS("invalid UUID 'xyz'");
	cr_assert_eq(CLI("exercise", "--uuid", U1, "--passes", "3", "--seconds", "3"), 2);
	HAS("exclude each other");
	cr_assert_eq(CLI("exercise", "--uuid", U1, "--passes", "0"), 2);
	cr_assert_eq(CLI("exercise", "--uuid", U1, "--passes", "1x"), 2);
	cr_assert_eq(CLI("exercise", "--uuid", U1, "--seconds", "-1"), 2);
	cr_assert_eq(CLI("exercise", "--uuid", U1, "--channels", "5"), 2);
	HAS("--channels");
	cr_assert_eq(CLI("exercise", "--uuid", U1, "--seed", "4294967296"), 2);
	cr_assert_eq(CLI("exercise", "--uuid", U1, "extra"), 2);
	cr_assert_eq(CLI("exercise", "--help"), 0);
	fake_free(f);
}

Test(exercise_cli, no_such_vgpu)
{
	struct fake *f = fake_new();
	char err[4096];

	fake_std(f);
	cr_assert_eq(CLI("exercise", "--uuid", U1), 1);
	HAS("no vGPU " U1);
	fake_free(f);
}
