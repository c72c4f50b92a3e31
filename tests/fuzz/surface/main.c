// SPDX-License-Identifier: MIT
/*
 * main.c - mvgpu-surface-fuzz: options, the vGPUs it fuzzes, the summary.
 *
 *   mvgpu-surface-fuzz [--seconds N] [--seed S] [--threads N] [--ops N]
 *                      [--disable K,..] [--only K,..] [--type 64M]
 *                      [--vgpus 1|2] [--hang-secs N] [--stream-max-mb N]
 *                      [--log FILE] [--verbose] [--strict] [--list]
 *   mvgpu-surface-fuzz --replay FILE
 *
 * Runs inside a lab host (module loaded, virtual_parents >= 1).  Exit
 * status: 0 clean, 1 the fuzzer could not run (or --strict anomalies,
 * leaked objects), 2 a kernel report, 3 a hang.  docs/fuzzing.md.
 */
#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

struct sf sf = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.logfd = -1,
	.uffd = -1,
};

/* Kernel-facing runs: no leak report at exit (fds are left to the kernel on
 * purpose), and our own SIGSEGV handler for the guarded accesses. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "detect_leaks=0:allow_user_segv_handler=1:handle_segv=1";
}

static const char *const type_ids[MVGPU_NUM_TYPES] = { "64M", "256M", "512M", "1G" };

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mvgpu-surface-fuzz [options]      (inside a lab host)\n"
		"  --seconds N        run for N seconds (default 60; 0 = until --ops)\n"
		"  --seed S           the run's seed (default: from the clock, printed)\n"
		"  --threads N        worker threads on the vGPUs, 1..%d (default 3)\n"
		"  --ops N            stop after N ops\n"
		"  --replay FILE      re-execute the ops of a log, single-threaded, in order\n"
		"  --disable K,...    never draw these op kinds, or do these behaviours\n"
		"                     (--list shows both)\n"
		"  --only K,...       draw only these\n"
		"  --type T           type of the fuzzed vGPUs: 64M (default), 256M, 512M, 1G\n"
		"  --vgpus N          1 or 2 vGPUs (default 2)\n"
		"  --hang-secs N      an op in progress longer is a finding (default 30)\n"
		"  --stream-max-mb N  largest hostile stream (default 8)\n"
		"  --log FILE         the op log (default $MVGPU_LAB_OUT/surface-fuzz.log)\n"
		"  --strict           anomalies (uAPI conformance) fail the run\n"
		"  --no-poweroff      in a lab host, do not power it off after a finding\n"
		"  --verbose          every op on stdout\n"
		"  --list             the op kinds\n"
		"  --stream-test      build every hostile stream variant and decode it\n"
		"                     natively with proto's decoder (no lab needed)\n",
		SF_MAX_THREADS);
}

static int set_kinds(const char *list, bool disable)
{
	char buf[1024], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", list);
	if (!disable)
		for (unsigned k = 0; k < sf_nops; k++)
			sf.disabled[k] = true;
	for (char *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		int k = sf_op_by_name(w), q;

		for (q = 0; q < Q_NR && strcmp(w, sf_quirk_names[q]); q++)
			;
		if (k < 0 && q < Q_NR && disable) {
			sf.quirk_off[q] = true;
			continue;
		}
		if (k < 0) {
			fprintf(stderr, "surface-fuzz: unknown op kind '%s' (--list)\n", w);
			return -1;
		}
		sf.disabled[k] = disable;
	}
	return 0;
}

static int parse_args(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "seconds", required_argument, NULL, 's' },
		{ "seed", required_argument, NULL, 'S' },
		{ "threads", required_argument, NULL, 't' },
		{ "ops", required_argument, NULL, 'n' },
		{ "replay", required_argument, NULL, 'r' },
		{ "disable", required_argument, NULL, 'd' },
		{ "only", required_argument, NULL, 'o' },
		{ "type", required_argument, NULL, 'T' },
		{ "vgpus", required_argument, NULL, 'v' },
		{ "hang-secs", required_argument, NULL, 'H' },
		{ "stream-max-mb", required_argument, NULL, 'm' },
		{ "log", required_argument, NULL, 'l' },
		{ "strict", no_argument, NULL, 'X' },
		{ "no-poweroff", no_argument, NULL, 'P' },
		{ "trace-maps", no_argument, NULL, 'M' },
		{ "verbose", no_argument, NULL, 'V' },
		{ "list", no_argument, NULL, 'L' },
		{ "stream-test", no_argument, NULL, 'Z' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool seeded = false;
	int c;

	sf.seconds = 60;
	sf.nthreads = 3;
	sf.nvgpus = 2;
	sf.hang_secs = 30;
	sf.stream_max_mb = 8;
	snprintf(sf.type, sizeof(sf.type), "64M");
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 's': sf.seconds = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'S': sf.seed = strtoull(optarg, NULL, 0); seeded = true; break;
		case 't': sf.nthreads = atoi(optarg); break;
		case 'n': sf.max_ops = strtoull(optarg, NULL, 0); break;
		case 'r': sf.replay = optarg; break;
		case 'd': if (set_kinds(optarg, true)) return 2; break;
		case 'o': if (set_kinds(optarg, false)) return 2; break;
		case 'T': snprintf(sf.type, sizeof(sf.type), "%s", optarg); break;
		case 'v': sf.nvgpus = atoi(optarg); break;
		case 'H': sf.hang_secs = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'm': sf.stream_max_mb = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'l': snprintf(sf.logpath, sizeof(sf.logpath), "%s", optarg); break;
		case 'X': sf.strict = true; break;
		case 'P': sf.no_poweroff = true; break;
		case 'M': sf.trace_maps = true; break;
		case 'V': sf.verbose = true; break;
		case 'L':
			for (unsigned k = 0; k < sf_nops; k++)
				printf("%-14s weight %u\n", sf_ops[k].name, sf_ops[k].weight);
			for (unsigned q = 0; q < Q_NR; q++)
				printf("%-20s (behaviour; --disable takes it)\n", sf_quirk_names[q]);
			exit(0);
		case 'Z': exit(sf_stream_selftest(200));
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc || sf.nthreads < 1 || sf.nthreads > SF_MAX_THREADS ||
	    sf.nvgpus < 1 || sf.nvgpus > SF_MAX_VGPUS || sf.hang_secs < 2 ||
	    !sf.stream_max_mb || sf.stream_max_mb > 64) {
		usage(stderr);
		return 2;
	}
	if (sf.replay) {
		FILE *f = fopen(sf.replay, "re");
		char line[512], *p;

		sf.nthreads = 1;
		/* the logged run's seed: the same UUIDs, the same setup */
		while (f && !seeded && fgets(line, sizeof(line), f))
			if ((p = strstr(line, "# surface-fuzz seed=")))
				seeded = sscanf(p, "# surface-fuzz seed=%llx",
						(unsigned long long *)&sf.seed) == 1;
		if (f)
			fclose(f);
	}
	if (!seeded) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		sf.seed = sf_mix((uint64_t)ts.tv_sec * 1000000000ull +
				 (uint64_t)ts.tv_nsec) ^ (uint64_t)getpid();
	}
	if (!sf.logpath[0]) {
		const char *out = getenv("MVGPU_LAB_OUT");

		snprintf(sf.logpath, sizeof(sf.logpath), "%s/surface-fuzz.log",
			 out && *out ? out : ".");
	}
	return 0;
}

/*
 * The migration_version of each type, parsed: what a source would say.  It
 * is on the type (mdev_supported_types/<type>/) or on the vGPU (then only
 * the fuzzed type is read; the others follow from it).
 */
static void read_types(const char *uuid, int ti)
{
	char driver[MVGPU_COMPAT_DRIVER_MAX] = "0.1.0";
	char p[SF_PATH + 64], why[MVGPU_COMPAT_WHY_MAX];
	int n;

	snprintf(p, sizeof(p), "/sys/bus/mdev/devices/%s/migration_version", uuid);
	n = sf_read_file(p, sf.mv_string[ti], sizeof(sf.mv_string[ti]));
	if (n > 0 && !mvgpu_compat_parse(sf.mv_string[ti], (size_t)n, &sf.types[ti],
					 why, sizeof(why)))
		snprintf(driver, sizeof(driver), "%s", sf.types[ti].driver);
	for (unsigned i = 0; i < MVGPU_NUM_TYPES; i++) {
		char *s = sf.mv_string[i];

		snprintf(p, sizeof(p), "%s/mdev_supported_types/mvgpu-%s/migration_version",
			 sf.parents[0], type_ids[i]);
		n = sf_read_file(p, s, sizeof(sf.mv_string[i]));
		if (n > 0 && !mvgpu_compat_parse(s, (size_t)n, &sf.types[i], why, sizeof(why)))
			continue;
		mvgpu_compat_local(&sf.types[i], i, driver);
		mvgpu_compat_format(&sf.types[i], s, sizeof(sf.mv_string[i]));
	}
}

/* UUIDs of the mdev devices there are, for the sweep at the end. */
static char before[64][40];
static int nbefore;

static bool existed(const char *u)
{
	for (int i = 0; i < nbefore; i++)
		if (!strcmp(before[i], u))
			return true;
	return false;
}

static int list_mdevs(char out[][40], int max)
{
	DIR *d = opendir("/sys/bus/mdev/devices");
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)) && n < max)
		if (e->d_name[0] != '.')
			snprintf(out[n++], 40, "%.39s", e->d_name);
	closedir(d);
	return n;
}

static int type_index(const char *id)
{
	for (int i = 0; i < MVGPU_NUM_TYPES; i++)
		if (!strcmp(type_ids[i], id))
			return i;
	return -1;
}

static long long stat_of(const char *name)
{
	char buf[512], key[64];
	long long v, ret = -1;
	int off = 0, n;

	if (sf_read_file("/sys/kernel/debug/mvgpu/objects", buf, sizeof(buf)) <= 0)
		return -1;
	while (sscanf(buf + off, "%63s %lld%n", key, &v, &n) == 2) {
		if (!strcmp(key, name))
			ret = v;
		off += n;
	}
	return ret;
}

static const char *const stat_names[] = { "vgpus", "vgpu_objects", "open_vgpus", "fb_pages" };
static long long baseline[4];

static int setup(void)
{
	int ti = type_index(sf.type);

	if (ti < 0) {
		fprintf(stderr, "surface-fuzz: unknown type '%s'\n", sf.type);
		return -EINVAL;
	}
	if (!sf_find_parents()) {
		sf_msg("no mvgpu parent in /sys/class/mdev_bus: run me in a lab host "
		       "(tools/lab/lab run --modparams virtual_parents=1 -- ...)");
		return -ENODEV;
	}
	nbefore = list_mdevs(before, 64);
	for (int i = 0; i < 4; i++)
		baseline[i] = stat_of(stat_names[i]);
	for (int s = 0; s < sf.nvgpus; s++) {
		struct vslot *v = &sf.vs[s];
		struct res *e;
		int ret, fd;

		snprintf(v->parent, sizeof(v->parent), "%s", sf.parents[s % sf.nparents]);
		snprintf(v->type, sizeof(v->type), "%s", sf.type);
		sf_uuid(sf.seed + 0x1000 + (uint64_t)s, v->uuid);
		ret = sf_vgpu_create(s);
		if (ret) {
			sf_msg("cannot create vGPU %s (%s) on %s: %s", v->uuid, sf.type,
			       v->parent, strerror(-ret));
			return ret;
		}
		if (!s)
			read_types(v->uuid, ti);
		v->info = sf.types[ti];
		v->fb_size = sf.types[ti].fb_size;
		v->state = VS_PRESENT;
		ret = sf_vgpu_open(s, NULL, 0);
		if (ret) {
			sf_msg("cannot open vGPU %s: %s", v->uuid, strerror(-ret));
			return ret;
		}
		fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		e = res_new(R_EVENTFD, -1);
		e->fd = fd;
		res_add(e, 3 + (uint64_t)s * 4);
		sf_msg("vGPU %d: %s, %s on %s", s, v->uuid, sf.type,
		       strrchr(v->parent, '/') + 1);
	}
	return 0;
}

/* Everything closed, our vGPUs removed; what the module still counts. */
static int teardown(void)
{
	int bad = 0;

	char now[64][40];
	int n;

	sf_phase("teardown (closing everything, removing its vGPUs)");
	res_kill_all();
	/* every vGPU the run made, ours or left by an op */
	n = list_mdevs(now, 64);
	for (int i = 0; i < n; i++) {
		int ret;

		if (existed(now[i]))
			continue;
		ret = sf_vgpu_remove_uuid(now[i]);
		if (ret)
			sf_msg("removing vGPU %s: %s", now[i], strerror(-ret));
	}
	sf_uffd_stop();
	sf_monitor_drain(1500);
	sf_phase(NULL);
	for (int i = 0; i < 4; i++) {
		long long now = stat_of(stat_names[i]);

		if (baseline[i] >= 0 && now != baseline[i]) {
			sf_msg("leak: debugfs mvgpu/objects %s is %lld, was %lld before the run",
			       stat_names[i], now, baseline[i]);
			bad = 1;
		}
	}
	return bad;
}

int main(int argc, char **argv)
{
	int ret = parse_args(argc, argv);

	if (ret)
		return ret;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (sf_log_open(sf.logpath))
		fprintf(stderr, "surface-fuzz: cannot write %s: %s (no op log)\n",
			sf.logpath, strerror(errno));
	sf_log_header();
	sf_msg("seed 0x%016llx, %d thread%s, %d vGPU%s of type %s, %s; log %s",
	       (unsigned long long)sf.seed, sf.nthreads, sf.nthreads == 1 ? "" : "s",
	       sf.nvgpus, sf.nvgpus == 1 ? "" : "s", sf.type,
	       sf.replay ? "replay" : "random ops", sf.logpath);
	sf_threads_init();
	ret = sf_monitor_start();
	if (ret)
		sf_msg("no kernel log monitor: /dev/kmsg: %s", strerror(-ret));
	sf_phase("setup");
	if (setup())
		return 1;
	sf_phase(NULL);
	if (sf_uffd_init())
		sf_msg("no userfaultfd: buffers that stall the kernel are off");
	sf.t0_ms = sf_now_ms();
	ret = sf.replay ? sf_replay(sf.replay) : sf_run();
	while (sf_reporting())
		pause();	/* the reporter exits for us; touch nothing */
	if (ret) {
		sf_msg("cannot run: %s", strerror(-ret));
		return 1;
	}
	ret = teardown();
	while (sf_reporting())
		pause();
	sf_summary();
	if (sf.strict && atomic_load(&sf.anomalies))
		ret = 1;
	return ret;
}
