// SPDX-License-Identifier: MIT
/*
 * The kernel surface against a hostile VFIO user (issue 11's regressions):
 * each test drives one entry point the way an attacker would and asserts
 * the outcome; the lab fails the run on any kernel report besides.
 *
 *   - SET_IRQS mask/unmask with count 0 (a NULL dereference);
 *   - data fds kept past their state, the device and the vGPU;
 *   - well-formed streams that are expensive (ZERO storms on a 1G vGPU);
 *   - a user copy that stalls (userfaultfd) while the driver holds a lock
 *     that a reset, mmap or register access needs, or a page pointer that a
 *     resume frees;
 *   - display registers that overflow the plane size;
 *   - interrupt state after a resume; pre-copy's initial_bytes and poll;
 *   - framebuffer pages the processor allocates, charged to the opener.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <linux/vfio.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "lab.h"
#include "mvgpu_abi.h"
#include "mvgpu_compat.h"
#include "mvgpu_stream.h"
#include "mvgpu_v1.h"
#include "mvgpu.h"

#define VPARENT "/sys/class/mdev_bus/mvgpu0"
#define PAGE 4096
#define V1_AREA_OFF 4096	/* the v1 data area: its sparse-mmap cap */


/* File-level, so that a test that fails half-way is closed before removal */
static struct lab_vfio v = { -1, -1, -1 }, src = { -1, -1, -1 }, dst = { -1, -1, -1 };

static void setup(void)
{
	lab_remove_all();
}

static void teardown(void)
{
	lab_vfio_close(&v);
	lab_vfio_close(&src);
	lab_vfio_close(&dst);
	lab_remove_all();
}

TestSuite(surface, .init = setup, .fini = teardown, .timeout = 300);

/* ---- helpers ------------------------------------------------------------ */

static void open_new(const char *type, char uuid[37], struct lab_vfio *v)
{
	cr_assert_eq(lab_create(VPARENT, type, uuid), 0);
	cr_assert_eq(lab_vfio_open(v, uuid), 0);
}

/* VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE; *fd gets the data fd (or -1). */
static int set_state(struct lab_vfio *v, uint32_t state, int *fd)
{
	char buf[sizeof(struct vfio_device_feature) +
		 sizeof(struct vfio_device_feature_mig_state)];
	struct vfio_device_feature *f = (void *)buf;
	struct vfio_device_feature_mig_state *ms = (void *)f->data;

	memset(buf, 0, sizeof(buf));
	f->argsz = sizeof(buf);
	f->flags = VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE;
	ms->device_state = state;
	ms->data_fd = -1;
	if (ioctl(v->device, VFIO_DEVICE_FEATURE, f))
		return -errno;
	if (fd)
		*fd = ms->data_fd;
	else if (ms->data_fd >= 0)
		close(ms->data_fd);
	return 0;
}

/* libmvgpu's VFIO_MIG_GET_PRECOPY_INFO: 0 or -errno */
#define precopy_info mvgpu_mig_precopy_info

/* The target's info, from its migration_version. */
static void local_info(const char *uuid, struct mvgpu_compat_info *info)
{
	char path[LAB_PATH], s[MVGPU_COMPAT_STR_MAX + 1], why[128];

	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/migration_version", uuid);
	cr_assert_eq(lab_read_str(path, s, sizeof(s)), 0);
	cr_assert_eq(mvgpu_compat_parse(s, strlen(s), info, why, sizeof(why)), 0, "%s", why);
}

static long long bar(struct lab_vfio *v, unsigned int index)
{
	long long off = lab_region_offset(v, index, NULL);

	cr_assert_geq(off, 0);
	return off;
}

/* A valid state for the vGPU: its own config space, everything else idle. */
static void idle_state(struct lab_vfio *v, struct mvgpu_state *st)
{
	memset(st, 0, sizeof(*st));
	cr_assert_eq(pread(v->device, st->cfg, sizeof(st->cfg),
			   bar(v, VFIO_PCI_CONFIG_REGION_INDEX)), (ssize_t)sizeof(st->cfg));
	st->disp.format = MVGPU_FMT_XRGB8888;
}

/* A stream builder on proto's encoder: the records a hostile source sends. */
struct sbuf {
	struct mvgpu_enc enc;
	uint8_t *p;
	size_t len, cap;
};

static void sb_init(struct sbuf *b, const struct mvgpu_compat_info *info, size_t cap)
{
	cr_assert_eq(mvgpu_enc_init(&b->enc, info), 0);
	b->p = malloc(cap);
	cr_assert_not_null(b->p);
	b->len = 0;
	b->cap = cap;
	cr_assert_gt(mvgpu_enc_desc(&b->enc, b->p, cap), 0);
	b->len = MVGPU_ENC_DESC_BYTES;
}

static void sb_put(struct sbuf *b, ssize_t n)
{
	cr_assert_geq(n, 0, "encoder: %zd", n);
	b->len += n;
}

static void sb_page(struct sbuf *b, uint64_t index, uint8_t fill)
{
	uint8_t page[PAGE];

	memset(page, fill, sizeof(page));
	sb_put(b, mvgpu_enc_page(&b->enc, b->p + b->len, b->cap - b->len, index, page));
}

static void sb_zero(struct sbuf *b, uint64_t first, uint64_t count)
{
	uint8_t payload[16];

	memcpy(payload, &first, 8);
	memcpy(payload + 8, &count, 8);
	sb_put(b, mvgpu_enc_record(&b->enc, b->p + b->len, b->cap - b->len,
				   MVGPU_REC_ZERO, 0, payload, sizeof(payload)));
}

static void sb_end(struct sbuf *b, const struct mvgpu_state *st)
{
	sb_put(b, mvgpu_enc_state(&b->enc, b->p + b->len, b->cap - b->len, st));
	sb_put(b, mvgpu_enc_end(&b->enc, b->p + b->len, b->cap - b->len));
}

static void write_all_fd(int fd, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		cr_assert_gt(n, 0, "write: %s", strerror(errno));
		p += n;
		len -= n;
	}
}

/* ---- SET_IRQS ----------------------------------------------------------- */

/* Mask and unmask of INTx with count 0 dereferenced the absent data. */
Test(surface, set_irqs_mask_unmask_count_zero)
{
	static const uint32_t actions[] = { VFIO_IRQ_SET_ACTION_UNMASK, VFIO_IRQ_SET_ACTION_MASK };
	static const uint32_t datas[] = { VFIO_IRQ_SET_DATA_BOOL, VFIO_IRQ_SET_DATA_NONE };
	struct vfio_irq_set set;
	char uuid[37];

	open_new("64M", uuid, &v);
	for (unsigned int a = 0; a < 2; a++) {
		for (unsigned int d = 0; d < 2; d++) {
			memset(&set, 0, sizeof(set));
			set.argsz = sizeof(set);
			set.flags = actions[a] | datas[d];
			set.index = VFIO_PCI_INTX_IRQ_INDEX;
			set.count = 0;
			cr_assert_eq(ioctl(v.device, VFIO_DEVICE_SET_IRQS, &set), -1);
			cr_assert_eq(errno, EINVAL, "action %#x data %#x: %s", actions[a],
				     datas[d], strerror(errno));
		}
	}
	/* the well-formed call still works */
	struct {
		struct vfio_irq_set s;
		uint8_t b;
	} one = { .s = { .argsz = sizeof(one), .count = 1, .index = VFIO_PCI_INTX_IRQ_INDEX,
			 .flags = VFIO_IRQ_SET_ACTION_UNMASK | VFIO_IRQ_SET_DATA_BOOL }, .b = 1 };
	cr_assert_eq(ioctl(v.device, VFIO_DEVICE_SET_IRQS, &one), 0);
	lab_vfio_close(&v);
}

/* ---- data fds past their state ------------------------------------------- */

/*
 * A resuming fd with staged pages and a pre-copy fd, both kept after the
 * device closed and the vGPU was removed: every call on them fails cleanly
 * and closing them frees what they hold (the load used the freed vGPU's
 * page count, the ioctl its mig_lock).
 */
Test(surface, data_fds_outlive_device_and_vgpu)
{
	struct mvgpu_compat_info info;
	char us[37], ud[37];
	int sfd, rfd;
	uint64_t a, b;
	struct sbuf sb;
	char c;

	open_new("64M", us, &src);
	open_new("64M", ud, &dst);
	local_info(ud, &info);
	long long pages0 = lab_stat("fb_pages");

	/* a pre-copy fd that has sent something */
	cr_assert_eq(pwrite(src.device, "x", 1, bar(&src, VFIO_PCI_BAR2_REGION_INDEX)), 1);
	cr_assert_eq(set_state(&src, MVGPU_V2_PRE_COPY, &sfd), 0);
	cr_assert_eq(read(sfd, &c, 1), 1);

	/* a resuming fd holding staged pages */
	cr_assert_eq(set_state(&dst, VFIO_DEVICE_STATE_STOP, NULL), 0);
	cr_assert_eq(set_state(&dst, VFIO_DEVICE_STATE_RESUMING, &rfd), 0);
	sb_init(&sb, &info, 1 << 20);
	for (int i = 0; i < 64; i++)
		sb_page(&sb, i, 0x5a);
	write_all_fd(rfd, sb.p, sb.len);
	cr_assert_geq(lab_stat("fb_pages"), pages0 + 64);

	lab_vfio_close(&src);
	lab_vfio_close(&dst);
	cr_assert_eq(lab_remove(us), 0);
	cr_assert_eq(lab_remove(ud), 0);

	cr_assert_eq(read(sfd, &c, 1), -1);
	cr_assert_eq(errno, ENODEV);
	cr_assert_eq(precopy_info(sfd, &a, &b), -ENODEV);
	cr_assert_eq(write(rfd, sb.p, sb.len), -1);
	cr_assert_eq(errno, ENODEV);
	struct pollfd p[2] = { { .fd = sfd, .events = POLLIN }, { .fd = rfd, .events = POLLOUT } };
	cr_assert_eq(poll(p, 2, 0), 2);
	cr_assert(p[0].revents & POLLERR);
	cr_assert(p[1].revents & POLLERR);
	close(sfd);
	close(rfd);
	free(sb.p);
	cr_assert_eq(lab_stat("fb_pages"), 0, "staged pages leaked");
	cr_assert_eq(lab_stat("vgpu_objects"), 0, "a vGPU object outlived its last fd");
}

/* ---- expensive well-formed streams --------------------------------------- */

/*
 * DESC, then ZERO records naming the whole framebuffer of a 1G vGPU, 4 MiB
 * of them, with one staged page between storms: each record must cost what
 * it removes, not the 262144 pages it names (it cost ~1 ms each, 22 s
 * soft lockups per write).  Then a valid end: the resume applies and the
 * framebuffer is zero but for the last page sent.
 */
Test(surface, zero_storm_on_1g)
{
	struct mvgpu_compat_info info;
	const uint64_t npages = (1ull << 30) / PAGE;
	struct mvgpu_state st;
	char uuid[37];
	struct sbuf sb;
	int fd;

	/* the edu parent's pool: the virtual parent's may hold other vGPUs */
	char parents[LAB_MAX_PARENTS][LAB_PATH];
	cr_assert_geq(lab_parents(parents, LAB_MAX_PARENTS), 1);
	cr_assert_eq(lab_create(parents[0], "1G", uuid), 0);
	cr_assert_eq(lab_vfio_open(&v, uuid), 0);
	local_info(uuid, &info);
	idle_state(&v, &st);

	cr_assert_eq(set_state(&v, VFIO_DEVICE_STATE_STOP, NULL), 0);
	cr_assert_eq(set_state(&v, VFIO_DEVICE_STATE_RESUMING, &fd), 0);
	sb_init(&sb, &info, 1 << 20);
	write_all_fd(fd, sb.p, sb.len);
	for (int round = 0; round < 4; round++) {
		sb.len = 0;
		for (int rec = 0; sb.cap - sb.len > 2 * MVGPU_ENC_PAGE_BYTES_MAX; rec++) {
			if (rec % 1024 == 0)
				sb_page(&sb, npages - 1, 0x11);
			sb_zero(&sb, 0, npages);
		}
		write_all_fd(fd, sb.p, sb.len);
	}
	sb.len = 0;
	sb_page(&sb, npages - 1, 0x77);
	sb_end(&sb, &st);
	write_all_fd(fd, sb.p, sb.len);
	cr_assert_eq(set_state(&v, VFIO_DEVICE_STATE_STOP, NULL), 0);
	close(fd);

	uint8_t page[PAGE], want[PAGE];
	long long bar2 = bar(&v, VFIO_PCI_BAR2_REGION_INDEX);
	memset(want, 0x77, sizeof(want));
	cr_assert_eq(pread(v.device, page, PAGE, bar2 + (npages - 1) * PAGE), PAGE);
	cr_assert_arr_eq(page, want, PAGE);
	memset(want, 0, sizeof(want));
	cr_assert_eq(pread(v.device, page, PAGE, bar2), PAGE);
	cr_assert_arr_eq(page, want, PAGE);
	free(sb.p);
	lab_vfio_close(&v);
}

/* ---- stalled user copies ------------------------------------------------- */

/*
 * A page whose first touch by the kernel stalls until released: the driver
 * is made to copy from or to it, and meanwhile something else that must not
 * wait for userspace is tried.
 */
struct stall {
	int uffd;
	char *base;	/* two pages: a normal one, then the stalling one */
	void *page;
	pthread_t handler;
	volatile int faulted;
	pthread_mutex_t m;
	pthread_cond_t cv;
	int released;
};

static void *stall_handler(void *arg)
{
	struct stall *s = arg;
	struct uffd_msg msg;
	struct pollfd p = { .fd = s->uffd, .events = POLLIN };

	while (poll(&p, 1, -1) == 1 && read(s->uffd, &msg, sizeof(msg)) == sizeof(msg)) {
		if (msg.event != UFFD_EVENT_PAGEFAULT)
			continue;
		pthread_mutex_lock(&s->m);
		s->faulted = 1;
		pthread_cond_broadcast(&s->cv);
		while (!s->released)
			pthread_cond_wait(&s->cv, &s->m);
		pthread_mutex_unlock(&s->m);
		static char src[PAGE] __attribute__((aligned(PAGE)));
		memset(src, 0xc3, sizeof(src));
		struct uffdio_copy cp = {
			.dst = (uintptr_t)s->page, .src = (uintptr_t)src, .len = PAGE,
		};
		ioctl(s->uffd, UFFDIO_COPY, &cp);
		return NULL;
	}
	return NULL;
}

static void stall_init(struct stall *s)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->m, NULL);
	pthread_cond_init(&s->cv, NULL);
	s->uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
	cr_assert_geq(s->uffd, 0, "userfaultfd: %s", strerror(errno));
	struct uffdio_api api = { .api = UFFD_API };
	cr_assert_eq(ioctl(s->uffd, UFFDIO_API, &api), 0);
	s->base = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(s->base, MAP_FAILED);
	s->base[0] = 0;			/* the normal page is present */
	s->page = s->base + PAGE;
	struct uffdio_register reg = {
		.range = { .start = (uintptr_t)s->page, .len = PAGE },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};
	cr_assert_eq(ioctl(s->uffd, UFFDIO_REGISTER, &reg), 0);
	cr_assert_eq(pthread_create(&s->handler, NULL, stall_handler, s), 0);
}

static void stall_wait_fault(struct stall *s)
{
	pthread_mutex_lock(&s->m);
	while (!s->faulted)
		pthread_cond_wait(&s->cv, &s->m);
	pthread_mutex_unlock(&s->m);
}

static void stall_release(struct stall *s)
{
	pthread_mutex_lock(&s->m);
	s->released = 1;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->m);
}

static void stall_fini(struct stall *s)
{
	stall_release(s);
	pthread_join(s->handler, NULL);
	close(s->uffd);
	munmap(s->base, 2 * PAGE);
}

/*
 * The action under test runs in its own thread; if it has not finished
 * within a generous bound it is waiting for the stalled copy (the bug), so
 * the stall is released to let the test end and report it.
 */
struct attempt {
	void (*fn)(void *);
	void *arg;
	pthread_mutex_t m;
	pthread_cond_t cv;
	int done;
};

static void *attempt_thread(void *arg)
{
	struct attempt *a = arg;

	a->fn(a->arg);
	pthread_mutex_lock(&a->m);
	a->done = 1;
	pthread_cond_broadcast(&a->cv);
	pthread_mutex_unlock(&a->m);
	return NULL;
}

/* Returns 1 if fn finished while the copy was still stalled. */
static int runs_while_stalled(struct stall *s, void (*fn)(void *), void *arg)
{
	struct attempt a = { .fn = fn, .arg = arg, .m = PTHREAD_MUTEX_INITIALIZER,
			     .cv = PTHREAD_COND_INITIALIZER };
	struct timespec until;
	pthread_t t;
	int ok;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 30;
	cr_assert_eq(pthread_create(&t, NULL, attempt_thread, &a), 0);
	pthread_mutex_lock(&a.m);
	while (!a.done && pthread_cond_timedwait(&a.cv, &a.m, &until) == 0)
		;
	ok = a.done;
	pthread_mutex_unlock(&a.m);
	stall_release(s);
	pthread_join(t, NULL);
	return ok;
}

struct io {
	int fd;
	void *buf;
	size_t len;
	off_t off;
	ssize_t ret;
	int write;
	unsigned long req;
};

static void *io_thread(void *arg)
{
	struct io *io = arg;

	if (io->req)
		io->ret = ioctl(io->fd, io->req, io->buf);
	else if (io->write)
		io->ret = io->off < 0 ? write(io->fd, io->buf, io->len) :
					pwrite(io->fd, io->buf, io->len, io->off);
	else
		io->ret = io->off < 0 ? read(io->fd, io->buf, io->len) :
					pread(io->fd, io->buf, io->len, io->off);
	return NULL;
}

static void do_reset(void *arg)
{
	cr_assert_eq(ioctl(((struct lab_vfio *)arg)->device, VFIO_DEVICE_RESET), 0);
}

/* A reset disables a pre-copy fd whose reader is stalled in copy_to_user. */
Test(surface, reset_while_a_reader_stalls)
{
	struct stall s;
	char uuid[37];
	pthread_t t;
	int fd;

	open_new("64M", uuid, &v);
	cr_assert_eq(pwrite(v.device, "x", 1, bar(&v, VFIO_PCI_BAR2_REGION_INDEX)), 1);
	cr_assert_eq(set_state(&v, MVGPU_V2_PRE_COPY, &fd), 0);
	stall_init(&s);
	struct io io = { .fd = fd, .buf = s.page, .len = PAGE, .off = -1 };
	cr_assert_eq(pthread_create(&t, NULL, io_thread, &io), 0);
	stall_wait_fault(&s);
	cr_assert(runs_while_stalled(&s, do_reset, &v), "reset waited for a stalled reader");
	pthread_join(t, NULL);
	stall_fini(&s);
	close(fd);
	lab_vfio_close(&v);
}

struct map_arg {
	struct lab_vfio *v;
	long long off;
};

static void do_map_v1(void *arg)
{
	struct map_arg *m = arg;
	void *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, m->v->device,
		       m->off + V1_AREA_OFF);

	cr_assert_neq(p, MAP_FAILED);
	munmap(p, PAGE);
}

/* mmap of the v1 area (under mmap_lock) while a header write stalls. */
Test(surface, v1_mmap_while_a_header_write_stalls)
{
	struct stall s;
	char uuid[37];
	pthread_t t;

	open_new("64M", uuid, &v);
	struct map_arg m = { .v = &v, .off = bar(&v, VFIO_PCI_NUM_REGIONS) };
	stall_init(&s);
	struct io io = { .fd = v.device, .buf = s.page, .len = 8, .write = 1,
			 .off = m.off + MVGPU_V1_OFF_DATA_SIZE };
	cr_assert_eq(pthread_create(&t, NULL, io_thread, &io), 0);
	stall_wait_fault(&s);
	cr_assert(runs_while_stalled(&s, do_map_v1, &m), "mmap waited for a stalled header write");
	pthread_join(t, NULL);
	stall_fini(&s);
	lab_vfio_close(&v);
}

static void do_reg_read(void *arg)
{
	cr_assert_eq(lab_reg_read(arg, MVGPU_REG_ID), MVGPU_ID_MAGIC);
}

/* SET_IRQS copies its data before taking the device lock. */
Test(surface, registers_while_set_irqs_data_stalls)
{
	struct stall s;
	char uuid[37];
	pthread_t t;

	open_new("64M", uuid, &v);
	stall_init(&s);
	/* the header ends the normal page; the eventfd number stalls */
	struct vfio_irq_set *set = (void *)((char *)s.page - sizeof(*set));
	set->argsz = sizeof(*set) + 4;
	set->flags = VFIO_IRQ_SET_ACTION_TRIGGER | VFIO_IRQ_SET_DATA_EVENTFD;
	set->index = VFIO_PCI_ERR_IRQ_INDEX;
	set->start = 0;
	set->count = 1;
	struct io io = { .fd = v.device, .buf = set, .req = VFIO_DEVICE_SET_IRQS };
	cr_assert_eq(pthread_create(&t, NULL, io_thread, &io), 0);
	stall_wait_fault(&s);
	cr_assert(runs_while_stalled(&s, do_reg_read, &v),
		  "a register read waited for SET_IRQS's stalled data");
	pthread_join(t, NULL);
	stall_fini(&s);
	lab_vfio_close(&v);
}

/*
 * A BAR2 write whose source stalls holds a framebuffer page; a resume
 * commits meanwhile and its fd is closed.  The write must land in the live
 * framebuffer (it went to a page the commit had swapped out and freed).
 */
Test(surface, bar2_write_stalled_across_a_resume)
{
	struct mvgpu_compat_info info;
	struct mvgpu_state st;
	struct stall s;
	char uuid[37];
	pthread_t t;
	struct sbuf sb;
	int fd;

	open_new("64M", uuid, &v);
	local_info(uuid, &info);
	idle_state(&v, &st);
	long long bar2 = bar(&v, VFIO_PCI_BAR2_REGION_INDEX);
	cr_assert_eq(pwrite(v.device, "a", 1, bar2), 1);	/* page 0 backed */

	stall_init(&s);
	struct io io = { .fd = v.device, .buf = s.page, .len = PAGE, .write = 1, .off = bar2 };
	cr_assert_eq(pthread_create(&t, NULL, io_thread, &io), 0);
	stall_wait_fault(&s);

	cr_assert_eq(set_state(&v, VFIO_DEVICE_STATE_STOP, NULL), 0);
	cr_assert_eq(set_state(&v, VFIO_DEVICE_STATE_RESUMING, &fd), 0);
	sb_init(&sb, &info, 1 << 20);
	sb_page(&sb, 0, 0xb0);
	sb_end(&sb, &st);
	write_all_fd(fd, sb.p, sb.len);
	cr_assert_eq(set_state(&v, VFIO_DEVICE_STATE_STOP, NULL), 0);
	close(fd);

	stall_release(&s);
	pthread_join(t, NULL);
	cr_assert_eq(io.ret, PAGE);
	uint8_t page[PAGE], want[PAGE];
	memset(want, 0xc3, sizeof(want));
	cr_assert_eq(pread(v.device, page, PAGE, bar2), PAGE);
	cr_assert_arr_eq(page, want, PAGE, "the stalled write was lost");
	stall_fini(&s);
	free(sb.p);
	lab_vfio_close(&v);
}

/* ---- display, interrupts, pre-copy reporting ----------------------------- */

Test(surface, display_stride_cannot_overflow_the_plane)
{
	struct vfio_device_gfx_plane_info plane;
	char uuid[37];

	open_new("64M", uuid, &v);
	lab_reg_write(&v, MVGPU_REG_DISP_WIDTH, 1);
	lab_reg_write(&v, MVGPU_REG_DISP_HEIGHT, 1);
	lab_reg_write(&v, MVGPU_REG_DISP_STRIDE, 0xfffffffc);
	lab_reg_write(&v, MVGPU_REG_DISP_FORMAT, MVGPU_FMT_XRGB8888);
	lab_reg_write(&v, MVGPU_REG_DISP_ENABLE, 1);
	cr_assert_eq(lab_reg_read(&v, MVGPU_REG_DISP_STATUS), 0);
	memset(&plane, 0, sizeof(plane));
	plane.argsz = sizeof(plane);
	plane.flags = VFIO_GFX_PLANE_TYPE_REGION;
	cr_assert_eq(ioctl(v.device, VFIO_DEVICE_QUERY_GFX_PLANE, &plane), 0);
	cr_assert_eq(plane.size, 0);
	cr_assert_eq(plane.width, 0);

	/* a mode whose last row ends the framebuffer but not its stride */
	lab_reg_write(&v, MVGPU_REG_DISP_STRIDE, 64u << 20);
	lab_reg_write(&v, MVGPU_REG_DISP_HEIGHT, 2);
	cr_assert_eq(lab_reg_read(&v, MVGPU_REG_DISP_STATUS), 0);
	lab_vfio_close(&v);
}

/* A resumed vGPU with a pending, unmasked interrupt asserts INTx. */
Test(surface, resume_refreshes_the_interrupt_line)
{
	struct mvgpu_compat_info info;
	struct mvgpu_state st;
	char uuid[37];
	struct sbuf sb;
	uint64_t n;
	int fd, efd;

	open_new("64M", uuid, &v);
	local_info(uuid, &info);
	idle_state(&v, &st);
	st.intr_status = MVGPU_INTR_FENCE(0);
	st.intr_mask = MVGPU_INTR_FENCE(0);
	st.irq_kind = MVGPU_IRQ_KIND_INTX;

	cr_assert_eq(set_state(&v, VFIO_DEVICE_STATE_STOP, NULL), 0);
	cr_assert_eq(set_state(&v, VFIO_DEVICE_STATE_RESUMING, &fd), 0);
	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	struct {
		struct vfio_irq_set s;
		int32_t fd;
	} set = { .s = { .argsz = sizeof(set), .count = 1, .index = VFIO_PCI_INTX_IRQ_INDEX,
			 .flags = VFIO_IRQ_SET_ACTION_TRIGGER | VFIO_IRQ_SET_DATA_EVENTFD }, .fd = efd };
	cr_assert_eq(ioctl(v.device, VFIO_DEVICE_SET_IRQS, &set), 0);
	cr_assert_eq(read(efd, &n, 8), -1, "asserted before the state arrived");
	sb_init(&sb, &info, 1 << 20);
	sb_end(&sb, &st);
	write_all_fd(fd, sb.p, sb.len);
	cr_assert_eq(set_state(&v, VFIO_DEVICE_STATE_STOP, NULL), 0);
	close(fd);
	cr_assert_eq(read(efd, &n, 8), 8, "INTx not asserted after the resume");
	cr_assert_eq(lab_reg_read(&v, MVGPU_REG_INTR_STATUS), MVGPU_INTR_FENCE(0));
	close(efd);
	free(sb.p);
	lab_vfio_close(&v);
}

/*
 * initial_bytes never rises, also once the initial part is through and a
 * later pass is buffered; poll says readable only when a read has data.
 */
Test(surface, precopy_initial_bytes_fall_and_poll_waits)
{
	uint64_t initial, dirty, last = UINT64_MAX;
	char uuid[37], buf[256];
	ssize_t n;
	int fd;

	open_new("64M", uuid, &v);
	long long bar2 = bar(&v, VFIO_PCI_BAR2_REGION_INDEX);
	for (int i = 0; i < 32; i++) {
		char b = i & 1 ? 0 : 'p';	/* backed pages, half of them zero */
		cr_assert_eq(pwrite(v.device, &b, 1, bar2 + (off_t)i * PAGE), 1);
	}
	cr_assert_eq(set_state(&v, MVGPU_V2_PRE_COPY, &fd), 0);
	for (;;) {
		cr_assert_eq(precopy_info(fd, &initial, &dirty), 0);
		cr_assert_leq(initial, last, "initial_bytes rose: %lu -> %lu", last, initial);
		last = initial;
		n = read(fd, buf, sizeof(buf));
		if (n < 0) {
			cr_assert_eq(errno, ENOMSG);
			break;
		}
	}
	cr_assert_eq(precopy_info(fd, &initial, &dirty), 0);
	cr_assert_eq(initial, 0);

	/* at the temporary end: not readable, until a page is written */
	struct pollfd p = { .fd = fd, .events = POLLIN };
	cr_assert_eq(poll(&p, 1, 0), 0, "poll says readable at the temporary end");
	cr_assert_eq(read(fd, buf, sizeof(buf)), -1);
	cr_assert_eq(errno, ENOMSG);
	cr_assert_eq(pwrite(v.device, "q", 1, bar2 + 40 * PAGE), 1);
	cr_assert_eq(poll(&p, 1, 0), 1);
	cr_assert_gt(read(fd, buf, 64), 0);
	cr_assert_eq(precopy_info(fd, &initial, &dirty), 0);
	cr_assert_eq(initial, 0, "a later pass counted as initial bytes");
	close(fd);
	lab_vfio_close(&v);
}

/* ---- memory accounting --------------------------------------------------- */

static long long cg_current(const char *cg)
{
	char path[LAB_PATH];

	snprintf(path, sizeof(path), "%s/memory.current", cg);
	return lab_read_ll(path);
}

/*
 * Pages the command processor allocates (a FILL) are charged to the memory
 * cgroup of the process that opened the vGPU, not to the worker's (root).
 */
Test(surface, processor_pages_charged_to_the_opener)
{
	const char *cg = "/sys/fs/cgroup/mvgpu-surface";
	char pid[32];
	char uuid[37];

	lab_write_str("/sys/fs/cgroup/cgroup.subtree_control", "+memory");
	mkdir(cg, 0755);
	snprintf(pid, sizeof(pid), "%d", getpid());
	cr_assert_eq(lab_write_str("/sys/fs/cgroup/mvgpu-surface/cgroup.procs", pid), 0);

	open_new("64M", uuid, &v);
	struct mvgpu_cmd *ring = lab_dma_map(&v, PAGE, 0x100000);
	cr_assert_not_null(ring);
	long long before = cg_current(cg);
	cr_assert_geq(before, 0);

	memset(ring, 0, PAGE);
	ring[0].op = MVGPU_OP_FILL;
	ring[0].a = 0;
	ring[0].b = 16u << 20;
	ring[0].c = 0x01010101;
	ring[1].op = MVGPU_OP_FENCE;
	ring[1].a = 9;
	lab_reg_write(&v, MVGPU_REG_CH(0, MVGPU_CH_RING_BASE_LO), 0x100000);
	lab_reg_write(&v, MVGPU_REG_CH(0, MVGPU_CH_RING_BASE_HI), 0);
	lab_reg_write(&v, MVGPU_REG_CH(0, MVGPU_CH_RING_SIZE), PAGE);
	lab_reg_write(&v, MVGPU_REG_CH(0, MVGPU_CH_CTRL), MVGPU_CH_CTRL_ENABLE);
	lab_reg_write(&v, MVGPU_REG_CH(0, MVGPU_CH_PUT), 2 * MVGPU_CMD_SIZE);
	/* bounded wait for the fence (a register poll, no sleeps) */
	for (long i = 0; lab_reg_read(&v, MVGPU_REG_CH(0, MVGPU_CH_FENCE)) != 9; i++) {
		cr_assert_eq(lab_reg_read(&v, MVGPU_REG_CH(0, MVGPU_CH_ERROR)), 0);
		cr_assert_lt(i, 100000000, "fence never came");
		sched_yield();
	}
	long long after = cg_current(cg);
	cr_assert_geq(after - before, 15ll << 20,
		      "16 MiB of framebuffer charged %lld bytes to the opener", after - before);
	lab_vfio_close(&v);
	lab_remove_all();
	lab_write_str("/sys/fs/cgroup/cgroup.procs", pid);
	rmdir(cg);
}

/*
 * -ENOMSG is the temporary end of the uAPI: only when initial and dirty
 * bytes are both zero.  A page dirtied while the initial pass is read is
 * sent in the same read stream, not after a -ENOMSG that still has it
 * pending.
 */
Test(surface, precopy_enomsg_only_when_nothing_is_left)
{
	uint64_t initial, dirty;
	char uuid[37], buf[256];
	bool wrote = false;
	ssize_t n;
	int fd;

	open_new("64M", uuid, &v);
	long long bar2 = bar(&v, VFIO_PCI_BAR2_REGION_INDEX);
	for (int i = 0; i < 8; i++)
		cr_assert_eq(pwrite(v.device, "p", 1, bar2 + (off_t)i * PAGE), 1);
	cr_assert_eq(set_state(&v, MVGPU_V2_PRE_COPY, &fd), 0);
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (!wrote) {
			cr_assert_eq(pwrite(v.device, "d", 1, bar2 + 20 * PAGE), 1);
			wrote = true;
		}
	}
	cr_assert_eq(errno, ENOMSG);
	cr_assert_eq(precopy_info(fd, &initial, &dirty), 0);
	cr_assert_eq(initial, 0);
	cr_assert_eq(dirty, 0, "-ENOMSG with %lu dirty bytes still to send", dirty);
	close(fd);
}
