// SPDX-License-Identifier: MIT
/*
 * Links between parents and peer-to-peer copies: <parent>/mvgpu/links,
 * the peer registers a guest reads, MVGPU_OP_PEER_COPY both ways, and the
 * refusals - no link, another VM (process), a peer closed meanwhile, bad
 * ranges and flags - each a channel error that leaves the peer unchanged.
 * The lab host's two parents: the edu function and mvgpu0.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uuid/uuid.h>
#include <linux/vfio.h>

#include "lab.h"
#include "mvgpu.h"
#include "nested.h"

#define VPARENT "/sys/class/mdev_bus/mvgpu0"
#define MIB (1u << 20)

static mvgpu_ctx *ctx;
static mvgpu_dev *opened[8];
static unsigned nopened;
static char pci[LAB_PATH];		/* the PCI parent's sysfs dir */
static const char *bdf;
static int kmsg = -1;		/* /dev/kmsg from the test's start */

static void links(const char *parent, const char *peer, unsigned n)
{
	char p[LAB_PATH + 32], v[64];

	snprintf(p, sizeof(p), "%s/mvgpu/links", parent);
	snprintf(v, sizeof(v), "%s %u", peer, n);
	cr_assert_eq(lab_write_str(p, v), 0, "%s < %s", p, v);
}

static void setup(void)
{
	lab_remove_all();
	nopened = 0;
	kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	cr_assert_geq(kmsg, 0);
	lseek(kmsg, 0, SEEK_END);	/* what this test makes the kernel say */
	bdf = getenv("MVGPU_LAB_PARENT");
	cr_assert_not_null(bdf, "the lab binds an edu function (MVGPU_LAB_PARENT)");
	snprintf(pci, sizeof(pci), "/sys/class/mdev_bus/%s", bdf);
	cr_assert_eq(mvgpu_ctx_create(&ctx, NULL), 0);
	links(pci, "mvgpu0", 2);
}

static void teardown(void)
{
	if (kmsg >= 0)
		close(kmsg);
	kmsg = -1;
	while (nopened)
		mvgpu_dev_close(opened[--nopened]);
	mvgpu_ctx_free(ctx);
	lab_remove_all();
	links(pci, "mvgpu0", 0);
}

TestSuite(p2p, .init = setup, .fini = teardown, .timeout = 300);

static mvgpu_dev *open_dev(const char *uuid)
{
	mvgpu_dev *dev;

	cr_assert_eq(mvgpu_dev_open(ctx, uuid, &dev), 0, "%s", mvgpu_last_error(ctx));
	opened[nopened++] = dev;
	return dev;
}

static void close_dev(mvgpu_dev *dev)
{
	for (unsigned i = 0; i < nopened; i++) {
		if (opened[i] == dev) {
			opened[i] = opened[--nopened];
			break;
		}
	}
	mvgpu_dev_close(dev);
}

static uint32_t reg(mvgpu_dev *d, uint32_t off)
{
	uint32_t v = 0;

	cr_assert_eq(mvgpu_reg_read(d, off, &v), 0);
	return v;
}

/* The UUID registers as the kernel's guid bytes: UUID0 = the first 8 hex
 * digits of the string. */
static void uuid_regs(mvgpu_dev *d, uint32_t base, char out[37])
{
	uint32_t w[4];
	uuid_t u;

	for (int i = 0; i < 4; i++)
		w[i] = reg(d, base + 4 * i);
	/* guid_t: the first three fields little-endian */
	u[0] = w[0] >> 24; u[1] = w[0] >> 16; u[2] = w[0] >> 8; u[3] = w[0];
	u[4] = w[1] >> 8; u[5] = w[1]; u[6] = w[1] >> 24; u[7] = w[1] >> 16;
	for (int i = 0; i < 8; i++)
		u[8 + i] = w[2 + i / 4] >> (8 * (i % 4));
	uuid_unparse_lower(u, out);
}

static void pattern(uint32_t *buf, size_t words, uint32_t seed)
{
	for (size_t i = 0; i < words; i++)
		buf[i] = seed * 2654435761u + (uint32_t)i;
}

/* One command and a fence on channel 0; the channel's error, 0 if none. */
static uint32_t run(mvgpu_dev *d, const struct mvgpu_cmd *cmd)
{
	mvgpu_chan *c;
	uint32_t v, err = 0;
	int ret;

	cr_assert_eq(mvgpu_chan_open(d, 0, 4096, &c), 0, "%s", mvgpu_last_error(ctx));
	ret = mvgpu_chan_submit(c, cmd, 1);
	if (!ret)
		ret = mvgpu_chan_fence(c, 0, &v);
	if (!ret)
		ret = mvgpu_chan_wait(c, v, 20000);
	if (ret == -EIO)
		err = mvgpu_chan_error(c);
	else
		cr_assert_eq(ret, 0, "%s", mvgpu_last_error(ctx));
	mvgpu_chan_close(c);
	return err;
}

static struct mvgpu_cmd peer_copy(uint32_t flags, uint64_t here, uint64_t there,
				  uint64_t len)
{
	struct mvgpu_cmd c = mvgpu_cmd_peer_copy(flags & MVGPU_CMD_PEER_MASK,
						 flags & MVGPU_CMD_F_PEER_READ,
						 here, there, len);

	c.flags = htole32(flags);	/* bad flags too, on purpose */
	return c;
}

Test(p2p, links_are_symmetric_and_change_only_without_vgpus)
{
	char p[LAB_PATH + 32], v[256], want[64], u[37];

	snprintf(p, sizeof(p), "%s/mvgpu/links", VPARENT);
	cr_assert_eq(lab_read_str(p, v, sizeof(v)), 0);
	snprintf(want, sizeof(want), "%s 2", bdf);
	cr_assert_str_eq(v, want, "the other side lists the link too");

	cr_assert_eq(lab_create(VPARENT, "64M", u), 0);
	snprintf(p, sizeof(p), "%s/mvgpu/links", pci);
	cr_assert_eq(lab_write_str(p, "mvgpu0 1"), -EBUSY, "a running guest's peers stay");
	cr_assert_eq(lab_remove(u), 0);
	cr_assert_eq(lab_write_str(p, "mvgpu0 13"), -EINVAL);
	cr_assert_eq(lab_write_str(p, "mvgpu7 1"), -EINVAL, "no such parent");
	snprintf(v, sizeof(v), "%s 1", bdf);
	cr_assert_eq(lab_write_str(p, v), -EINVAL, "not to itself");
	cr_assert_eq(lab_write_str(p, "mvgpu0"), -EINVAL);
	cr_assert_eq(lab_write_str(p, "mvgpu0 0"), 0);
	cr_assert_eq(lab_read_str(p, v, sizeof(v)), 0);
	cr_assert_str_eq(v, "", "removed");
	links(pci, "mvgpu0", 2);
}

Test(p2p, a_peer_copy_moves_bytes_both_ways)
{
	static uint32_t src[MIB / 4], got[MIB / 4], mark[MIB / 4];
	char ua[37], ub[37], s[37];
	mvgpu_dev *a, *b;
	struct mvgpu_cmd c;

	cr_assert_eq(lab_create(pci, "64M", ua), 0);
	cr_assert_eq(lab_create(VPARENT, "256M", ub), 0);
	a = open_dev(ua);
	b = open_dev(ub);

	uuid_regs(a, MVGPU_REG_UUID0, s);
	cr_assert_str_eq(s, ua, "UUID registers");
	cr_assert_eq(reg(a, MVGPU_REG_PEER_COUNT), 0, "empty until scanned");
	cr_assert_eq(mvgpu_reg_write(a, MVGPU_REG_PEER_SCAN, 1), 0);
	cr_assert_eq(reg(a, MVGPU_REG_PEER_COUNT), 1);
	cr_assert_eq(mvgpu_reg_write(a, MVGPU_REG_PEER_SEL, 0), 0);
	uuid_regs(a, MVGPU_REG_PEER_UUID0, s);
	cr_assert_str_eq(s, ub);
	cr_assert_eq(reg(a, MVGPU_REG_PEER_LINKS), 2);
	cr_assert_eq(reg(a, MVGPU_REG_PEER_FB_LO), 256u << 20);
	cr_assert_eq(reg(a, MVGPU_REG_PEER_FB_HI), 0);
	cr_assert_eq(mvgpu_reg_write(a, MVGPU_REG_PEER_SEL, 1), 0);
	cr_assert_eq(reg(a, MVGPU_REG_PEER_LINKS), 0, "no second entry");

	/* A -> B: A's 1 MiB at 3 MiB into B at 200 MiB */
	pattern(src, MIB / 4, 1);
	pattern(mark, MIB / 4, 2);
	cr_assert_eq(mvgpu_fb_write(a, 3 * MIB, src, MIB), 0);
	cr_assert_eq(mvgpu_fb_write(b, 201 * MIB, mark, MIB), 0);
	c = peer_copy(0, 3 * MIB, 200 * MIB, MIB);
	cr_assert_eq(run(a, &c), 0);
	cr_assert_eq(mvgpu_fb_read(b, 200 * MIB, got, MIB), 0);
	cr_assert_eq(memcmp(got, src, MIB), 0, "B has A's bytes");
	cr_assert_eq(mvgpu_fb_read(b, 201 * MIB, got, MIB), 0);
	cr_assert_eq(memcmp(got, mark, MIB), 0, "and nothing past them changed");

	/* B -> A, read by A: B's marked MiB into A at 0 */
	c = peer_copy(MVGPU_CMD_F_PEER_READ, 0, 201 * MIB, MIB);
	cr_assert_eq(run(a, &c), 0);
	cr_assert_eq(mvgpu_fb_read(a, 0, got, MIB), 0);
	cr_assert_eq(memcmp(got, mark, MIB), 0, "A has B's bytes");

	/* B sees A the same way */
	cr_assert_eq(mvgpu_reg_write(b, MVGPU_REG_PEER_SCAN, 1), 0);
	cr_assert_eq(reg(b, MVGPU_REG_PEER_COUNT), 1);
	uuid_regs(b, MVGPU_REG_PEER_UUID0, s);
	cr_assert_str_eq(s, ua);
	/* a reset forgets the table */
	cr_assert_eq(mvgpu_reg_write(b, MVGPU_REG_RESET, MVGPU_RESET_MAGIC), 0);
	cr_assert_eq(reg(b, MVGPU_REG_PEER_COUNT), 0);
}

Test(p2p, bad_peer_copies_stop_only_their_channel)
{
	static uint32_t mark[MIB / 4], got[MIB / 4];
	char ua[37], ub[37];
	mvgpu_dev *a, *b;
	struct mvgpu_cmd c;

	cr_assert_eq(lab_create(pci, "64M", ua), 0);
	cr_assert_eq(lab_create(VPARENT, "64M", ub), 0);
	a = open_dev(ua);
	b = open_dev(ub);
	pattern(mark, MIB / 4, 3);
	cr_assert_eq(mvgpu_fb_write(b, 0, mark, MIB), 0);

	c = peer_copy(0, 0, 0, MIB);
	cr_assert_eq(run(a, &c), MVGPU_ERR_PEER, "not scanned: no entry 0");
	cr_assert_eq(mvgpu_reg_write(a, MVGPU_REG_PEER_SCAN, 1), 0);
	c = peer_copy(1, 0, 0, MIB);
	cr_assert_eq(run(a, &c), MVGPU_ERR_PEER, "no entry 1");
	c = peer_copy(0, 0, (64 * MIB) - 4, 8);
	cr_assert_eq(run(a, &c), MVGPU_ERR_FB_RANGE, "past the peer's end");
	c = peer_copy(0, 2, 0, 4);
	cr_assert_eq(run(a, &c), MVGPU_ERR_ALIGN);
	c = peer_copy(1u << 4, 0, 0, 4);
	cr_assert_eq(run(a, &c), MVGPU_ERR_OPCODE, "unknown flag");

	/* closed after the scan: the copy finds no peer */
	close_dev(b);
	c = peer_copy(0, 0, 0, MIB);
	cr_assert_eq(run(a, &c), MVGPU_ERR_PEER);
	b = open_dev(ub);
	cr_assert_eq(mvgpu_fb_read(b, 0, got, MIB), 0);
	cr_assert_eq(memcmp(got, mark, MIB), 0, "the peer is unchanged");
	/* the other channels and the vGPU go on */
	c = (struct mvgpu_cmd){ .op = htole32(MVGPU_OP_FILL), .a = 0,
				.b = htole64(4096), .c = htole64(0x12345678) };
	cr_assert_eq(run(a, &c), 0);
}

Test(p2p, unlinked_parents_give_no_peers)
{
	char ua[37], ub[37];
	mvgpu_dev *a;

	links(pci, "mvgpu0", 0);
	cr_assert_eq(lab_create(pci, "64M", ua), 0);
	cr_assert_eq(lab_create(VPARENT, "64M", ub), 0);
	a = open_dev(ua);
	open_dev(ub);
	cr_assert_eq(mvgpu_reg_write(a, MVGPU_REG_PEER_SCAN, 1), 0);
	cr_assert_eq(reg(a, MVGPU_REG_PEER_COUNT), 0);
}

/* Another process is another VM: its vGPU is not a peer. */
Test(p2p, another_vm_is_not_a_peer)
{
	char ua[37], ub[37], c;
	int up[2], down[2];
	mvgpu_dev *a;
	pid_t pid;
	int st;

	cr_assert_eq(lab_create(pci, "64M", ua), 0);
	cr_assert_eq(lab_create(VPARENT, "64M", ub), 0);
	cr_assert_eq(pipe(up), 0);
	cr_assert_eq(pipe(down), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		mvgpu_ctx *cx;
		mvgpu_dev *d;

		if (mvgpu_ctx_create(&cx, NULL) || mvgpu_dev_open(cx, ub, &d))
			_exit(1);
		if (write(up[1], "o", 1) != 1 || read(down[0], &c, 1) != 1)
			_exit(2);
		mvgpu_dev_close(d);
		_exit(0);
	}
	cr_assert_eq(read(up[0], &c, 1), 1, "the other VM opened its vGPU");
	a = open_dev(ua);
	cr_assert_eq(mvgpu_reg_write(a, MVGPU_REG_PEER_SCAN, 1), 0);
	cr_assert_eq(reg(a, MVGPU_REG_PEER_COUNT), 0);
	cr_assert_eq(write(down[1], "x", 1), 1);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* once this process opens it, it is a peer */
	open_dev(ub);
	cr_assert_eq(mvgpu_reg_write(a, MVGPU_REG_PEER_SCAN, 1), 0);
	cr_assert_eq(reg(a, MVGPU_REG_PEER_COUNT), 1);
}

/* A's peer table goes with A's state: restored into C, C reaches B. */
static int save_to(mvgpu_dev *d, const char *path, const mvgpu_save_opts *o)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int ret;

	cr_assert_geq(fd, 0);
	ret = mvgpu_save(d, fd, o, NULL);
	close(fd);
	return ret;
}

static int restore_from(mvgpu_dev *d, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret;

	cr_assert_geq(fd, 0);
	ret = mvgpu_restore(d, fd, NULL);
	close(fd);
	return ret;
}

/* The kernel log since the test began (/dev/kmsg: read once, in order). */
static bool dmesg_has(const char *needle)
{
	if (kmsg < 0) {
		kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		cr_assert_geq(kmsg, 0);
	}
	return nested_kmsg_has(kmsg, needle);
}

Test(p2p, the_peer_table_migrates_and_a_target_without_the_link_refuses)
{
	static uint32_t src[MIB / 4], got[MIB / 4];
	char ua[37], ub[37], uc[37], ud[37], ue[37], s[37], msg[160];
	const char *img = "/tmp/p2p-a.img";
	mvgpu_dev *a, *b, *c, *d, *e;
	uint32_t state;
	struct mvgpu_cmd cmd;

	cr_assert_eq(lab_create(pci, "64M", ua), 0);
	cr_assert_eq(lab_create(VPARENT, "64M", ub), 0);
	cr_assert_eq(lab_create(pci, "64M", uc), 0);
	cr_assert_eq(lab_create(VPARENT, "64M", ud), 0);
	a = open_dev(ua);
	b = open_dev(ub);
	c = open_dev(uc);
	d = open_dev(ud);
	cr_assert_eq(mvgpu_reg_write(a, MVGPU_REG_PEER_SCAN, 1), 0);
	cr_assert_eq(reg(a, MVGPU_REG_PEER_COUNT), 2, "B and D, both over NV2");
	cr_assert_eq(save_to(a, img, NULL), 0, "%s", mvgpu_last_error(ctx));
	cr_assert_eq(mvgpu_mig_set_state(a, VFIO_DEVICE_STATE_RUNNING, NULL), 0);

	/* C, on A's parent, has both peers over the same links: it takes A */
	cr_assert_eq(restore_from(c, img), 0, "%s", mvgpu_last_error(ctx));
	cr_assert_eq(reg(c, MVGPU_REG_PEER_COUNT), 2, "the table, as A's guest took it");
	cr_assert_eq(mvgpu_reg_write(c, MVGPU_REG_PEER_SEL, 0), 0);
	uuid_regs(c, MVGPU_REG_PEER_UUID0, s);
	cr_assert(!strcmp(s, ub) || !strcmp(s, ud), "%s", s);
	cr_assert_eq(reg(c, MVGPU_REG_PEER_LINKS), 2);
	/* and copies over it */
	pattern(src, MIB / 4, 9);
	cr_assert_eq(mvgpu_fb_write(c, 0, src, MIB), 0);
	cmd = peer_copy(0, 0, 5 * MIB, MIB);
	cr_assert_eq(run(c, &cmd), 0);
	cr_assert_eq(mvgpu_fb_read(!strcmp(s, ub) ? b : d, 5 * MIB, got, MIB), 0);
	cr_assert_eq(memcmp(got, src, MIB), 0);

	/* E, on B's parent, is 0 links from B and D: refused, E unchanged */
	cr_assert_eq(lab_create(VPARENT, "64M", ue), 0);
	e = open_dev(ue);
	cr_assert_neq(restore_from(e, img), 0, "a target without the link");
	snprintf(msg, sizeof(msg), "on the source, 0 links here between mvgpu0 and mvgpu0");
	cr_assert(dmesg_has(msg), "the kernel log names the missing link");
	cr_assert_eq(reg(e, MVGPU_REG_PEER_COUNT), 0, "nothing of A was applied");
	cr_assert_eq(mvgpu_mig_get_state(e, &state), 0);
	cr_assert_eq(state, VFIO_DEVICE_STATE_RUNNING);

	/* a peer that is not open in the target's VM: refused too */
	close_dev(b);
	cr_assert_neq(restore_from(c, img), 0, "B is closed");
	cr_assert(dmesg_has("is not open in this VM here"));
	unlink(img);
}

/* A new scan during pre-copy changes what PEER promised: the save fails
 * and the source runs on. */
static int rescan_between(void *opaque, unsigned pass, uint64_t dirty)
{
	mvgpu_dev **devs = opaque;

	(void)dirty;
	if (pass == 1) {
		close_dev(devs[1]);
		mvgpu_reg_write(devs[0], MVGPU_REG_PEER_SCAN, 1);
	}
	return 0;
}

Test(p2p, a_new_peer_table_during_pre_copy_fails_the_save_not_the_source)
{
	char ua[37], ub[37];
	mvgpu_dev *devs[2];
	mvgpu_save_opts o = { .max_passes = 4, .precopy = 1,
			      .between_passes = rescan_between, .opaque = devs };
	struct mvgpu_cmd c;
	uint32_t state;

	cr_assert_eq(lab_create(pci, "64M", ua), 0);
	cr_assert_eq(lab_create(VPARENT, "64M", ub), 0);
	devs[0] = open_dev(ua);
	devs[1] = open_dev(ub);
	cr_assert_eq(mvgpu_reg_write(devs[0], MVGPU_REG_PEER_SCAN, 1), 0);
	cr_assert_eq(reg(devs[0], MVGPU_REG_PEER_COUNT), 1);
	cr_assert_neq(save_to(devs[0], "/tmp/p2p-b.img", &o), 0);
	cr_assert(dmesg_has("the guest took a new peer table during pre-copy"));
	cr_assert_eq(mvgpu_mig_get_state(devs[0], &state), 0);
	cr_assert_eq(state, VFIO_DEVICE_STATE_RUNNING, "the source runs on");
	c = (struct mvgpu_cmd){ .op = htole32(MVGPU_OP_FILL), .b = htole64(4096) };
	cr_assert_eq(run(devs[0], &c), 0);
	unlink("/tmp/p2p-b.img");
}

static void set_link_rate(const char *mib_s)
{
	cr_assert_eq(lab_write_str("/sys/module/mvgpu/parameters/link_mib_s", mib_s), 0);
}

static void slow_links_teardown(void)
{
	set_link_rate("25600");
}

/*
 * A rescan while a PEER_COPY runs: the copy's index now names a smaller
 * vGPU.  The next step finds that vGPU and stops the channel (FB_RANGE)
 * rather than write past its framebuffer into host memory (found by the
 * review of this change; before the fix the step wrote past Z's page
 * array).
 */
Test(p2p, a_rescan_during_a_copy_cannot_reach_past_the_new_peer,
     .fini = slow_links_teardown)
{
	static uint32_t src[MIB / 4], mark[MIB / 4], got[MIB / 4];
	/* sorted: Y's guid bytes come first */
	const char *uy = "00000001-0000-0000-0000-000000000000";
	const char *uz = "00000002-0000-0000-0000-000000000000";
	char ua[37], s[37];
	mvgpu_dev *a, *y, *z;
	mvgpu_chan *c;
	struct mvgpu_cmd cmd[2];
	uint32_t fence;
	int tries;

	cr_assert_eq(lab_create(pci, "64M", ua), 0);
	cr_assert_eq(lab_create_uuid(VPARENT, "256M", uy), 0);
	cr_assert_eq(lab_create_uuid(VPARENT, "64M", uz), 0);
	a = open_dev(ua);
	y = open_dev(uy);
	z = open_dev(uz);
	pattern(src, MIB / 4, 5);
	pattern(mark, MIB / 4, 6);
	cr_assert_eq(mvgpu_fb_write(a, 0, src, MIB), 0);
	cr_assert_eq(mvgpu_fb_write(z, 63 * MIB, mark, MIB), 0);
	cr_assert_eq(mvgpu_reg_write(a, MVGPU_REG_PEER_SCAN, 1), 0);
	cr_assert_eq(reg(a, MVGPU_REG_PEER_COUNT), 2);
	cr_assert_eq(mvgpu_reg_write(a, MVGPU_REG_PEER_SEL, 0), 0);
	uuid_regs(a, MVGPU_REG_PEER_UUID0, s);
	cr_assert_str_eq(s, uy, "entry 0 is Y");

	/* 8 MiB to Y at 200 MiB over NV2 at 1 MiB/s a link: 4 s */
	set_link_rate("1");
	cr_assert_eq(mvgpu_chan_open(a, 0, 4096, &c), 0);
	cmd[0] = mvgpu_cmd_peer_copy(0, 0, 0, 200 * MIB, 8 * MIB);
	cr_assert_eq(mvgpu_chan_fence_cmd(c, MVGPU_FENCE_IRQ, &cmd[1], &fence), 0);
	cr_assert_eq(mvgpu_chan_submit(c, cmd, 2), 0);
	/* the copy is under way: its first step's bytes are in Y */
	for (tries = 0; tries < 2000; tries++) {
		cr_assert_eq(mvgpu_fb_read(y, 200 * MIB, got, 4096), 0);
		if (!memcmp(got, src, 4096))
			break;
		usleep(1000);	/* polling an outcome, bounded */
	}
	cr_assert_lt(tries, 2000, "the copy never started");
	/* Y goes, A rescans: entry 0 is now Z (64 MiB) */
	close_dev(y);
	cr_assert_eq(mvgpu_reg_write(a, MVGPU_REG_PEER_SCAN, 1), 0);
	cr_assert_eq(reg(a, MVGPU_REG_PEER_COUNT), 1);
	uuid_regs(a, MVGPU_REG_PEER_UUID0, s);
	cr_assert_str_eq(s, uz);
	set_link_rate("25600");
	cr_assert_eq(mvgpu_chan_wait(c, fence, 20000), -EIO);
	cr_assert_eq(mvgpu_chan_error(c), MVGPU_ERR_FB_RANGE);
	mvgpu_chan_close(c);
	cr_assert_eq(mvgpu_fb_read(z, 63 * MIB, got, MIB), 0);
	cr_assert_eq(memcmp(got, mark, MIB), 0, "Z is unchanged");
}
