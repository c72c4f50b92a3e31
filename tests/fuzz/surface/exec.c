// SPDX-License-Identifier: MIT
/*
 * exec.c - the executor: worker threads drawing and running ops, the
 * /dev/kmsg monitor that stops the run at the first kernel report, the
 * watchdog (an op in progress for more than --hang-secs is a finding, and
 * SIGALRM catches the fuzzer itself stuck), and the userfaultfd handler
 * that stalls the kernel's copies from and to user buffers on purpose.
 */
#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

static __thread struct thr *self;

uint64_t sf_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void sf_sleep_us(uint64_t us)
{
	struct timespec ts = { .tv_sec = (time_t)(us / 1000000),
			       .tv_nsec = (long)(us % 1000000) * 1000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

bool sf_stopping(void)
{
	return atomic_load(&sf.stop);
}

/* ---- the end of a run with a finding ----------------------------------------- */

static atomic_int reporting;

static void print_summary(const char *why);

/*
 * After a report a lab host is often past saving: a task died holding a
 * lock, the others wait on it in D state, our exit never completes and
 * the lab would wait for its timeout.  On a lab host (MVGPU_LAB=1, and not
 * --no-poweroff) the kernel log goes to $MVGPU_LAB_OUT/dmesg.txt and the
 * host is powered off (exit: the lab's "host died" and "kernel trouble").
 */
static void lab_poweroff(void)
{
	const char *lab = getenv("MVGPU_LAB"), *out = getenv("MVGPU_LAB_OUT");
	char path[SF_PATH], rec[8192];
	int in, fd;

	if (!lab || strcmp(lab, "1") || !out || sf.no_poweroff)
		return;
	sf_sleep_us(2000000);		/* the rest of the report */
	snprintf(path, sizeof(path), "%s/dmesg.txt", out);
	in = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	while (in >= 0 && fd >= 0) {
		ssize_t n = read(in, rec, sizeof(rec) - 1);
		char *m, line[8300];
		unsigned long long usec = 0;

		if (n < 0 && errno == EPIPE)
			continue;
		if (n <= 0)
			break;
		rec[n] = 0;
		sscanf(rec, "%*u,%*u,%llu", &usec);
		m = strchr(rec, ';');
		m = m ? m + 1 : rec;
		if (strchr(m, '\n'))
			*strchr(m, '\n') = 0;
		n = snprintf(line, sizeof(line), "[%5llu.%06llu] %s\n", usec / 1000000,
			     usec % 1000000, m);
		if (write(fd, line, (size_t)n) < 0)
			break;
	}
	if (fd >= 0)
		fsync(fd);
	if (sf.logfd >= 0)
		fsync(sf.logfd);
	sf_msg("powering the lab host off (the run cannot end cleanly after this)");
	fd = open("/proc/sysrq-trigger", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "o", 1) < 0)
			sf_msg("sysrq: %s", strerror(errno));
		sf_sleep_us(5000000);
		if (write(fd, "b", 1) < 0)
			sf_msg("sysrq: %s", strerror(errno));
	}
}

bool sf_reporting(void)
{
	return atomic_load(&reporting);
}

void sf_report_and_exit(int why, const char *what)
{
	static const char *const names[] = { "", "KERNEL REPORT", "HANG", "CRASH" };
	char head[256];
	int expected = 0;

	if (!atomic_compare_exchange_strong(&reporting, &expected, 1)) {
		for (;;)	/* someone else is reporting and will exit */
			pause();
	}
	atomic_store(&sf.report, why);
	atomic_store(&sf.stop, true);
	snprintf(head, sizeof(head),
		 "surface-fuzz: ===== %s (seed 0x%016llx) =====\n", names[why],
		 (unsigned long long)sf.seed);
	sf_log_line(head);
	sf_log_line(what);
	if (what[0] && what[strlen(what) - 1] != '\n')
		sf_log_line("\n");
	sf_dump_rings(1);
	if (sf.logfd >= 0) {
		sf_dump_rings(sf.logfd);
		fdatasync(sf.logfd);
	}
	print_summary(names[why]);
	sf_msg("ops log: %s (replay: %s --replay %s)", sf.logpath,
	       "mvgpu-surface-fuzz", sf.logpath);
	lab_poweroff();
	_exit(why == SF_REP_KERNEL ? 2 : 3);
}

/* Async-signal-safe: "name=0x<hex> " onto @p. */
static char *put_hex(char *p, const char *name, uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	int shift = 60;

	p = stpcpy(p, name);
	p = stpcpy(p, "=0x");
	while (shift > 0 && !((v >> shift) & 0xf))
		shift -= 4;
	for (; shift >= 0; shift -= 4)
		*p++ = digits[(v >> shift) & 0xf];
	*p++ = ' ';
	return p;
}

/* The process's mappings, for a fault in memory the fuzzer did not expect
 * to change (a kernel write past a buffer lands in the mapping next to it). */
static void dump_maps(int out)
{
	char buf[4096];
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return;
	write(out, "surface-fuzz: --- /proc/self/maps ---\n", 38);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) < 0)
			break;
	close(fd);
}

/* SIGSEGV/SIGBUS: expected inside sf_touch(), a fuzzer bug anywhere else. */
static void on_fault(int sig, siginfo_t *si, void *uc)
{
	static const char msg[] = "surface-fuzz: ===== CRASH: the fuzzer took a fault outside a guarded access =====\n";
	const ucontext_t *ctx = uc;
	char line[256], *p = line;

	if (self && self->in_touch)
		siglongjmp(self->jb, sig);
	write(1, msg, sizeof(msg) - 1);
	p = stpcpy(p, "surface-fuzz: ");
	p = put_hex(p, "signal", (uint64_t)sig);
	p = put_hex(p, "code", (uint64_t)(uint32_t)si->si_code);
	p = put_hex(p, "addr", (uint64_t)(uintptr_t)si->si_addr);
	p = put_hex(p, "ip", (uint64_t)ctx->uc_mcontext.gregs[REG_RIP]);
	p = put_hex(p, "tid", (uint64_t)syscall(SYS_gettid));
	p = put_hex(p, "worker", self ? (uint64_t)self->idx : ~0ull);
	p = put_hex(p, "seed", sf.seed);
	*p++ = '\n';
	write(1, line, (size_t)(p - line));
	sf_dump_rings(1);
	dump_maps(1);
	if (sf.logfd >= 0) {
		write(sf.logfd, msg, sizeof(msg) - 1);
		write(sf.logfd, line, (size_t)(p - line));
		sf_dump_rings(sf.logfd);
		dump_maps(sf.logfd);
	}
	signal(sig, SIG_DFL);	/* returning re-faults into the default action */
}

static void on_alarm(int sig)
{
	static const char msg[] = "surface-fuzz: ===== HANG: watchdog alarm: the fuzzer itself is stuck =====\n";

	(void)sig;
	write(1, msg, sizeof(msg) - 1);
	sf_dump_rings(1);
	if (sf.logfd >= 0) {
		write(sf.logfd, msg, sizeof(msg) - 1);
		sf_dump_rings(sf.logfd);
	}
	lab_poweroff();
	_exit(3);
}

bool sf_touch(struct thr *t, void *addr, size_t len, bool write, uint8_t val)
{
	volatile uint8_t *p = addr;
	volatile uint64_t sum = 0;

	if (sigsetjmp(t->jb, 1)) {
		t->in_touch = 0;
		return false;
	}
	t->in_touch = 1;
	for (size_t i = 0; i < len; i += (i % 4096 == 0 && len - i > 4096) ? 509 : 1) {
		if (write)
			p[i] = val;
		else
			sum += p[i];
	}
	t->in_touch = 0;
	(void)sum;
	return true;
}

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

void *sf_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	void *p = mmap(addr, len, prot, flags, fd, off);

#if defined(__SANITIZE_ADDRESS__)
	if (p != MAP_FAILED && len)
		__asan_unpoison_memory_region(p, (len + 4095) & ~(size_t)4095);
#endif
	if (sf.trace_maps && p != MAP_FAILED)
		sf_msg("map %p-%p fd %d", p, (void *)((char *)p + len), fd);
	return p;
}

int sf_munmap(void *addr, size_t len)
{
	if (sf.trace_maps)
		sf_msg("unmap %p-%p", addr, (void *)((char *)addr + len));
	return munmap(addr, len);
}

bool sf_copy_guarded(struct thr *t, void *dst, const void *src, size_t n)
{
	if (sigsetjmp(t->jb, 1)) {
		t->in_touch = 0;
		return false;
	}
	t->in_touch = 1;
	memcpy(dst, src, n);
	t->in_touch = 0;
	return true;
}

/* ---- kernel log monitor --------------------------------------------------------- */

static const char *const kreport[] = {
	"BUG:", "WARNING:", "KASAN", "KFENCE", "Oops", "soft lockup",
	"hung task", "blocked for more than", "possible circular locking",
	"possible recursive locking", "inconsistent lock state", "INFO:",
	"general protection fault", "Kernel panic", "UBSAN", "list_add corruption",
	"list_del corruption", "refcount_t:", "kernel BUG at", "Call Trace:",
	"Unable to handle", "unable to handle", "Poison overwritten", "Redzone",
	"Object padding", "BUG kmalloc", "hard LOCKUP", "suspicious RCU usage",
	"rcu_sched self-detected", "detected stall",
};

static int kmsg_fd = -1;
static pthread_mutex_t kmsg_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t kfirst;
static unsigned klines;
static pthread_t kmsg_thread;
static char kreport_text[32768];
static atomic_bool hang_in_progress;	/* the kernel lines are the hang's */
static size_t kreport_len;
static unsigned long nreports;

/* One record: "pri,seq,usec,flags;message\n[ continuation lines]" */
static const char *kmsg_text(char *rec)
{
	char *m = strchr(rec, ';'), *r, *w, *nl;

	m = m ? m + 1 : rec;
	nl = strchr(m, '\n');		/* continuation lines: key=value dict */
	if (nl)
		nl[1] = 0;
	for (r = w = m; *r; r++) {	/* the kernel escapes as \xNN */
		unsigned v;

		if (r[0] == '\\' && r[1] == 'x' && sscanf(r + 2, "%2x", &v) == 1) {
			r += 3;
			if (v == '\n' || v == '\t' || (v >= 32 && v < 127))
				*w++ = v == '\n' ? ' ' : (char)v;
			continue;
		}
		*w++ = *r;
	}
	*w = 0;
	return m;
}

static bool is_report(const char *m)
{
	for (size_t i = 0; i < sizeof(kreport) / sizeof(kreport[0]); i++)
		if (strstr(m, kreport[i]))
			return true;
	return false;
}

static void report_add(const char *m)
{
	size_t n = strlen(m);

	if (kreport_len + n + 8 >= sizeof(kreport_text))
		return;
	memcpy(kreport_text + kreport_len, "kernel: ", 8);
	kreport_len += 8;
	memcpy(kreport_text + kreport_len, m, n);
	kreport_len += n;
	if (n && m[n - 1] != '\n')
		kreport_text[kreport_len++] = '\n';
	kreport_text[kreport_len] = 0;
}

/* Reads what is there; returns true once a report is complete. */
static bool kmsg_poll(int timeout_ms, uint64_t *first_ms, unsigned *lines)
{
	struct pollfd p = { .fd = kmsg_fd, .events = POLLIN };
	char rec[8192];

	if (poll(&p, 1, timeout_ms) <= 0)
		goto check;
	for (;;) {
		ssize_t n = read(kmsg_fd, rec, sizeof(rec) - 1);
		const char *m;

		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten records: go on */
		if (n <= 0)
			break;
		rec[n] = 0;
		m = kmsg_text(rec);
		if (!*first_ms && is_report(m)) {
			*first_ms = sf_now_ms();
			nreports++;
		}
		if (*first_ms && *lines < 300) {
			report_add(m);
			(*lines)++;
		}
	}
check:
	/* a report is many records: collect for a moment, then stop */
	return *first_ms && (sf_now_ms() - *first_ms > 1500 || *lines >= 300);
}

static bool kmsg_step(int timeout_ms)
{
	bool done;

	pthread_mutex_lock(&kmsg_lock);
	done = kmsg_poll(timeout_ms, &kfirst, &klines);
	pthread_mutex_unlock(&kmsg_lock);
	return done;
}

static void *kmsg_main(void *arg)
{
	(void)arg;
	for (;;) {
		if (atomic_load(&hang_in_progress)) {
			sf_sleep_us(200000);
			continue;
		}
		if (kmsg_step(200) && !atomic_load(&hang_in_progress))
			sf_report_and_exit(SF_REP_KERNEL, kreport_text);
	}
	return NULL;
}

/* Our threads' states and kernel stacks, our open fds: where a hang is. */
static size_t where_we_are(char *out, size_t len)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	size_t n = 0;

	n += (size_t)snprintf(out + n, len - n, "surface-fuzz: threads (kernel stacks):\n");
	while (d && (e = readdir(d)) && n + 512 < len) {
		char p[128], buf[2048], comm[64] = "";
		int k;

		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "/proc/self/task/%.32s/stat", e->d_name);
		if (sf_read_file(p, buf, sizeof(buf)) > 0) {
			char *c = strrchr(buf, ')');

			snprintf(comm, sizeof(comm), "%.40s", c && c[1] ? c + 2 : "?");
		}
		n += (size_t)snprintf(out + n, len - n, "  task %.32s, state %.1s\n", e->d_name, comm);
		snprintf(p, sizeof(p), "/proc/self/task/%.32s/stack", e->d_name);
		k = sf_read_file(p, buf, sizeof(buf));
		if (k > 0 && n + (size_t)k + 64 < len)
			for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n"))
				n += (size_t)snprintf(out + n, len - n, "    %s\n", l);
	}
	if (d)
		closedir(d);
	d = opendir("/proc/self/fd");
	n += (size_t)snprintf(out + n, len - n, "surface-fuzz: open fds:");
	while (d && (e = readdir(d)) && n + 128 < len) {
		char p[128], l[96];
		ssize_t k;

		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "/proc/self/fd/%.32s", e->d_name);
		k = readlink(p, l, sizeof(l) - 1);
		l[k > 0 ? k : 0] = 0;
		if (strstr(l, "vfio") || strstr(l, "mvgpu") || strstr(l, "socket"))
			n += (size_t)snprintf(out + n, len - n, " %s=%s", e->d_name, l);
	}
	if (d)
		closedir(d);
	n += (size_t)snprintf(out + n, len - n, "\nsurface-fuzz: resources (id kind vgpu fd users dead/mask):");
	if (!pthread_mutex_trylock(&sf.lock)) {
		for (int i = 0; i < SF_MAX_RES && n + 128 < len; i++) {
			struct res *r = sf.res[i];

			if (r)
				n += (size_t)snprintf(out + n, len - n, " %llx:%s:%d:%d:%d:%s%x",
						      (unsigned long long)r->id,
						      sf_res_names[r->kind], r->vgpu, r->fd,
						      r->users, r->dead ? "D" : "", r->vgpu_mask);
		}
		for (int s = 0; s < sf.nvgpus && n + 128 < len; s++)
			n += (size_t)snprintf(out + n, len - n, " [slot %d %s state %d]", s,
					      sf.vs[s].uuid, sf.vs[s].state);
		pthread_mutex_unlock(&sf.lock);
	}
	n += (size_t)snprintf(out + n, len - n, "\nsurface-fuzz: other processes with VFIO files:");
	d = opendir("/proc");
	while (d && (e = readdir(d)) && n + 256 < len) {
		char p[96], l[96];
		DIR *fdd;
		struct dirent *f;

		if (e->d_name[0] < '0' || e->d_name[0] > '9' || atoi(e->d_name) == getpid())
			continue;
		snprintf(p, sizeof(p), "/proc/%.16s/fd", e->d_name);
		fdd = opendir(p);
		while (fdd && (f = readdir(fdd)) && n + 256 < len) {
			char q[128];
			ssize_t k;

			snprintf(q, sizeof(q), "%s/%.16s", p, f->d_name);
			k = readlink(q, l, sizeof(l) - 1);
			l[k > 0 ? k : 0] = 0;
			if (strstr(l, "vfio") || strstr(l, "mvgpu"))
				n += (size_t)snprintf(out + n, len - n, " pid %.16s fd %.16s=%s",
						      e->d_name, f->d_name, l);
		}
		if (fdd)
			closedir(fdd);
	}
	if (d)
		closedir(d);
	n += (size_t)snprintf(out + n, len - n, "\nsurface-fuzz: device mappings:\n");
	{
		FILE *f = fopen("/proc/self/maps", "re");
		char l[512];

		while (f && fgets(l, sizeof(l), f) && n + 600 < len)
			if (strstr(l, "vfio") || strstr(l, "anon_inode") || strstr(l, "mvgpu"))
				n += (size_t)snprintf(out + n, len - n, "  %s", l);
		if (f)
			fclose(f);
	}
	return n;
}

/* A hang: the kernel may have said why (soft lockup, hung task...). */
static void report_hang(const char *what)
{
	static char text[sizeof(kreport_text) + 32768];
	const char *lab = getenv("MVGPU_LAB");
	uint64_t until = sf_now_ms() + 2000;
	size_t n;

	atomic_store(&hang_in_progress, true);
	if (kmsg_fd >= 0)
		while (!kmsg_step(100) && sf_now_ms() < until)
			;
	/* on a lab host, the kernel's blocked tasks (sysrq w) too */
	if (kmsg_fd >= 0 && lab && !strcmp(lab, "1") &&
	    sf_write_file("/proc/sysrq-trigger", "w", 1) == 0) {
		pthread_mutex_lock(&kmsg_lock);
		if (!kfirst)
			kfirst = sf_now_ms();
		pthread_mutex_unlock(&kmsg_lock);
		until = sf_now_ms() + 1500;
		while (sf_now_ms() < until)
			kmsg_step(100);
	}
	n = (size_t)snprintf(text, sizeof(text), "%s", what);
	n += where_we_are(text + n, sizeof(text) - n - sizeof(kreport_text));
	pthread_mutex_lock(&kmsg_lock);
	snprintf(text + n, sizeof(text) - n, "%s", kreport_text);
	pthread_mutex_unlock(&kmsg_lock);
	sf_report_and_exit(SF_REP_HANG, text);
}

/*
 * The main thread's own steps (setup, teardown: removing vGPUs) have a
 * deadline too, watched from a thread of its own: a removal that waits for
 * a device nobody holds any more sleeps interruptibly in 10 s steps, which
 * neither the hung-task detector nor SIGALRM (not delivered inside the
 * syscall) reports.
 */
static _Atomic uint64_t phase_deadline;
static const char *phase_name;
static pthread_t guard_thread;

static void *guard_main(void *arg)
{
	(void)arg;
	for (;;) {
		uint64_t d = atomic_load(&phase_deadline);
		char what[256];

		if (d && sf_now_ms() > d && !sf_reporting()) {
			snprintf(what, sizeof(what),
				 "surface-fuzz: the fuzzer's %s is stuck for %u s\n",
				 phase_name, sf.hang_secs);
			report_hang(what);
		}
		sf_sleep_us(200000);
	}
	return NULL;
}

void sf_phase(const char *name)
{
	static bool started;

	if (!started) {
		started = true;
		pthread_create(&guard_thread, NULL, guard_main, NULL);
	}
	phase_name = name;
	atomic_store(&phase_deadline, name ? sf_now_ms() + sf.hang_secs * 1000ull : 0);
}

int sf_monitor_start(void)
{
	kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kmsg_fd < 0)
		return -errno;
	lseek(kmsg_fd, 0, SEEK_END);	/* what came before is not ours */
	return pthread_create(&kmsg_thread, NULL, kmsg_main, NULL) ? -EAGAIN : 0;
}

/* Give late reports (a release at exit, a work item) a chance to show. */
void sf_monitor_drain(unsigned ms)
{
	uint64_t end = sf_now_ms() + ms;

	while (sf_now_ms() < end && !atomic_load(&reporting))
		sf_sleep_us(50000);
}

/* ---- userfaultfd -------------------------------------------------------------------- */

#define SF_UFFD_LEN	(1u << 20)
static pthread_t uffd_thread;
static atomic_bool uffd_quit;
static uint8_t uffd_page[4096] __attribute__((aligned(4096)));

static void *uffd_main(void *arg)
{
	(void)arg;
	while (!atomic_load(&reporting)) {
		struct pollfd p = { .fd = sf.uffd, .events = POLLIN };
		struct uffd_msg msg;
		struct uffdio_copy cp;
		uint64_t addr;
		int delay = 0;

		if (poll(&p, 1, 100) <= 0) {
			if (atomic_load(&uffd_quit))
				break;
			continue;
		}
		if (read(sf.uffd, &msg, sizeof(msg)) != sizeof(msg))
			continue;
		if (msg.event != UFFD_EVENT_PAGEFAULT)
			continue;
		addr = msg.arg.pagefault.address & ~4095ull;
		for (int i = 0; i < sf.nthreads; i++) {
			struct thr *t = &sf.thr[i];

			if (t->uffd && addr >= (uint64_t)(uintptr_t)t->uffd &&
			    addr < (uint64_t)(uintptr_t)t->uffd + SF_UFFD_LEN)
				delay = atomic_exchange(&t->uffd_delay_us, 0);
		}
		if (delay > 0)
			sf_sleep_us((uint64_t)delay);	/* the kernel waits with us */
		memset(&cp, 0, sizeof(cp));
		cp.dst = addr;
		cp.src = (uint64_t)(uintptr_t)uffd_page;
		cp.len = 4096;
		ioctl(sf.uffd, UFFDIO_COPY, &cp);	/* EEXIST is fine */
	}
	return NULL;
}

int sf_uffd_init(void)
{
	struct uffdio_api api = { .api = UFFD_API };

	memset(uffd_page, 0x5a, sizeof(uffd_page));
	sf.uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (sf.uffd < 0 || ioctl(sf.uffd, UFFDIO_API, &api)) {
		if (sf.uffd >= 0)
			close(sf.uffd);
		sf.uffd = -1;
		return -errno;
	}
	for (int i = 0; i < sf.nthreads; i++) {
		struct thr *t = &sf.thr[i];
		struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
		void *p = sf_mmap(NULL, SF_UFFD_LEN, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			continue;
		reg.range.start = (uint64_t)(uintptr_t)p;
		reg.range.len = SF_UFFD_LEN;
		if (ioctl(sf.uffd, UFFDIO_REGISTER, &reg)) {
			sf_munmap(p, SF_UFFD_LEN);
			continue;
		}
		t->uffd = p;
	}
	return pthread_create(&uffd_thread, NULL, uffd_main, NULL) ? -EAGAIN : 0;
}

void sf_uffd_stop(void)
{
	if (sf.uffd < 0)
		return;
	atomic_store(&uffd_quit, true);
	pthread_join(uffd_thread, NULL);
}

/* ---- running ops ---------------------------------------------------------------------- */

static unsigned total_weight;

static uint32_t pick_kind(struct rng *r)
{
	uint64_t w = rng_below(r, total_weight);

	for (unsigned k = 0; k < sf_nops; k++) {
		if (sf.disabled[k])
			continue;
		if (w < sf_ops[k].weight)
			return k;
		w -= sf_ops[k].weight;
	}
	return 0;
}

/* Resolves the resources op needs; false if a required one is missing. */
static bool resolve(struct op *op)
{
	const struct opdef *d = &sf_ops[op->kind];

	for (int i = 0; i < SF_NRES; i++) {
		uint64_t h = sf_mix(op->a[SF_APICK] + (uint64_t)i);
		struct res *r = NULL;
		int pref, dir;

		op->r[i] = NULL;
		if (!d->need[i]) {
			op->rid[i] = 0;
			continue;
		}
		if (op->rid[i])		/* replay: the resource the log names */
			r = res_get(op->rid[i], d->need[i]);
		if (!r) {
			if ((d->flags[i] & NEED_SAME) && op->r[0] &&
			    (h & 0xff) < 230)
				pref = op->r[0]->vgpu;
			else if ((h & 0xff) < 200)
				pref = ((h >> 8) & 0xff) < 180 || sf.nvgpus < 2 ? 0 : 1;
			else
				pref = -1;
			dir = -1;
			if ((d->flags[i] & NEED_SAVING) && ((h >> 16) & 0xf) < 14)
				dir = 1;
			if ((d->flags[i] & NEED_RESUMING) && ((h >> 16) & 0xf) < 14)
				dir = 0;
			if (pref >= 0)
				r = res_pick_dir(d->need[i], pref, dir, h >> 20);
			if (!r)
				r = res_pick_dir(d->need[i], -1, dir, h >> 20);
		}
		if (!r && !(d->flags[i] & NEED_OPT)) {
			for (int j = 0; j < i; j++)
				res_put(op->r[j]);
			return false;
		}
		op->r[i] = r;
		op->rid[i] = r ? r->id : 0;
	}
	return true;
}

void sf_exec_op(struct thr *t, struct op *op)
{
	struct sf_stats *st = &sf.st[op->kind];
	uint64_t t0;
	int ret;

	if (!resolve(op)) {
		atomic_fetch_add(&st->skipped, 1);
		return;
	}
	sf_log_op(t, op);
	t0 = sf_now_ms();
	atomic_store(&t->cur_start_ms, t0);
	atomic_store(&t->cur_seq, op->seq);
	ret = sf_ops[op->kind].run(t, op);
	atomic_store(&t->cur_seq, 0);
	atomic_fetch_add(&st->ms, sf_now_ms() - t0);
	sf_buf_done(t);
	for (int i = 0; i < SF_NRES; i++)
		res_put(op->r[i]);
	atomic_fetch_add(&st->ops, 1);
	if (ret >= 0)
		atomic_fetch_add(&st->ok, 1);
	t->nops++;
}

static bool out_of_ops(void)
{
	return sf.max_ops && atomic_load(&sf.seq) >= sf.max_ops;
}

static void *worker(void *arg)
{
	struct thr *t = arg;

	self = t;
	while (!sf_stopping() && !out_of_ops()) {
		struct op op;

		memset(&op, 0, sizeof(op));
		op.kind = pick_kind(&t->rng);
		op.thread = (uint32_t)t->idx;
		for (int i = 0; i < SF_NARGS; i++)
			op.a[i] = rng_next(&t->rng);
		op.seq = atomic_fetch_add(&sf.seq, 1) + 1;
		sf_exec_op(t, &op);
	}
	t->done = true;
	return NULL;
}

static struct op *replay_ops;
static size_t replay_n;

static void *replayer(void *arg)
{
	struct thr *t = arg;

	self = t;
	for (size_t i = 0; i < replay_n && !sf_stopping(); i++) {
		struct op op = replay_ops[i];

		op.thread = 0;
		atomic_store(&sf.seq, op.seq);
		sf_exec_op(t, &op);
	}
	t->done = true;
	return NULL;
}

static void thr_init(struct thr *t, int idx)
{
	memset(t->ring, 0, sizeof(t->ring));
	t->idx = idx;
	rng_seed(&t->rng, sf.seed ^ sf_mix((uint64_t)idx + 0x5f));
	t->buf = aligned_alloc(4096, SF_BUF);
	t->guard = sf_mmap(NULL, 8192, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	t->ro = sf_mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!t->buf || t->guard == MAP_FAILED || t->ro == MAP_FAILED)
		abort();
	memset(t->buf, 0, SF_BUF);
	mprotect(t->guard + 4096, 4096, PROT_NONE);
}

void sf_threads_init(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, on_alarm);
	for (int i = 0; i < sf.nthreads; i++)
		thr_init(&sf.thr[i], i);
	total_weight = 0;
	for (unsigned k = 0; k < sf_nops; k++)
		if (!sf.disabled[k])
			total_weight += sf_ops[k].weight;
}

/* The main thread is the watchdog while the workers run. */
static void watch(int nworkers)
{
	uint64_t end = sf.seconds ? sf.t0_ms + (uint64_t)sf.seconds * 1000 : 0;

	for (;;) {
		bool all_done = true;
		uint64_t now = sf_now_ms();

		alarm(sf.hang_secs + 30);
		for (int i = 0; i < nworkers; i++) {
			struct thr *t = &sf.thr[i];
			uint64_t start = atomic_load(&t->cur_start_ms);
			uint64_t seq = atomic_load(&t->cur_seq);
			char what[256];

			all_done &= t->done;
			/* the same op still, and it started before now */
			if (seq && start <= now && start == atomic_load(&t->cur_start_ms) &&
			    seq == atomic_load(&t->cur_seq) &&
			    now - start > (uint64_t)sf.hang_secs * 1000) {
				snprintf(what, sizeof(what),
					 "surface-fuzz: op %llu of thread %d in progress for %llu s (over %u s)\n",
					 (unsigned long long)seq, i,
					 (unsigned long long)(now - start) / 1000,
					 sf.hang_secs);
				report_hang(what);
			}
		}
		if (all_done)
			break;
		if (end && now >= end)
			atomic_store(&sf.stop, true);
		sf_sleep_us(100000);
	}
}

int sf_run(void)
{
	sf.t0_ms = sf_now_ms();
	for (int i = 0; i < sf.nthreads; i++)
		if (pthread_create(&sf.thr[i].pt, NULL, worker, &sf.thr[i]))
			return -EAGAIN;
	watch(sf.nthreads);
	for (int i = 0; i < sf.nthreads; i++)
		pthread_join(sf.thr[i].pt, NULL);
	return 0;
}

int sf_replay(const char *path)
{
	char hdr[1024];
	int ret = sf_parse_log(path, &replay_ops, &replay_n, hdr, sizeof(hdr));

	if (ret)
		return ret;
	sf_msg("replaying %zu ops from %s, single-threaded, in order", replay_n,
	       path);
	sf.t0_ms = sf_now_ms();
	sf.seconds = 0;
	if (pthread_create(&sf.thr[0].pt, NULL, replayer, &sf.thr[0]))
		return -EAGAIN;
	watch(1);
	pthread_join(sf.thr[0].pt, NULL);
	free(replay_ops);
	return 0;
}

/* ---- the summary line -------------------------------------------------------------------- */

static void print_summary(const char *why)
{
	char line[8192];
	unsigned long total = 0;
	size_t n;
	uint64_t secs = (sf_now_ms() - sf.t0_ms + 500) / 1000;

	for (unsigned k = 0; k < sf_nops; k++)
		total += atomic_load(&sf.st[k].ops);
	n = (size_t)snprintf(line, sizeof(line),
			     "surface-fuzz: seed 0x%016llx %lu ops in %llu s (",
			     (unsigned long long)sf.seed, total,
			     (unsigned long long)secs);
	for (unsigned k = 0; k < sf_nops && n < sizeof(line) - 64; k++) {
		unsigned long c = atomic_load(&sf.st[k].ops);

		if (!c)
			continue;
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%s %lu",
				      n && line[n - 1] != '(' ? ", " : "",
				      sf_ops[k].name, c);
	}
	snprintf(line + n, sizeof(line) - n,
		 "), %lu kernel report%s, %lu anomal%s%s%s\n", nreports,
		 nreports == 1 ? "" : "s", atomic_load(&sf.anomalies),
		 atomic_load(&sf.anomalies) == 1 ? "y" : "ies",
		 why && *why ? ": " : "", why ? why : "");
	sf_log_line(line);
}

void sf_summary(void)
{
	unsigned long skipped = 0;

	for (unsigned k = 0; k < sf_nops; k++)
		skipped += atomic_load(&sf.st[k].skipped);
	if (sf.verbose) {
		for (unsigned k = 0; k < sf_nops; k++) {
			unsigned long n = atomic_load(&sf.st[k].ops);

			if (n)
				sf_msg("  %-14s %7lu ops, %5.1f%% ok, %7.2f ms each, %lu skipped",
				       sf_ops[k].name, n, 100.0 * (double)atomic_load(&sf.st[k].ok) / (double)n,
				       (double)atomic_load(&sf.st[k].ms) / (double)n,
				       atomic_load(&sf.st[k].skipped));
		}
	}
	sf_msg("%lu ops skipped for want of a resource", skipped);
	print_summary(NULL);
}
