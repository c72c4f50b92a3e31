// SPDX-License-Identifier: MIT
/*
 * draw.c - a tiny bare-metal guest for the nested check (multiboot, 32-bit,
 * no paging).  SeaBIOS has enumerated PCI and assigned the BARs; this finds
 * the mvgpu vGPU, sets a 256x128 XRGB8888 mode, draws four bands - two by
 * CPU writes to BAR2, two through channel 0 (a ring in guest RAM, FILL
 * commands, a FENCE it polls for) - and prints MVGPU-DRAW-DONE (or
 * MVGPU-DRAW-FAIL) on COM1.  tests/lab/test_nested.c checks the screendump.
 *
 * With the word "check" on its multiboot command line it then loops, once
 * per RTC second: it re-checks everything the vGPU should still hold - the
 * four bands, the mode, channel 0's fence, GET == PUT and no error, and two
 * scratch areas outside the visible picture - then does new work (the CPU
 * writes one scratch area, channel 0 FILLs the other and FENCEs), checks the
 * result and prints MVGPU-CHECK-OK <n>; on the first mismatch it prints
 * MVGPU-CHECK-FAIL <n> <what> and stops.  Migrated live (tools/lab/libvirt-e2e-*),
 * the first round on the destination re-checks what was drawn on the source.
 * With "dirty=P" instead it dirties P % of the framebuffer once a second
 * (dirty_loop()), for the migration benchmarks.
 *
 * With several mvgpu functions (a VM with several vGPUs, up to 4) it draws
 * on each; each takes its peer table (ABI 1.2) and, if one of the others is
 * its peer, prints "MVGPU-GPUS <n> peers <p> <i>><j>:NV<links> ..." and
 * its check rounds also PEER_COPY its engine scratch into that vGPU's peer
 * scratch, which the next check finds there: peer-to-peer traffic in every
 * round, across a migration too.  A failure names the vGPU ("gpu1 ...").
 */
#include <stdint.h>

#include "draw.h"

#define MB_MAGIC 0x1badb002u
#define MB_FLAGS 0u
#define MB_BOOT_MAGIC 0x2badb002u	/* in %eax from the loader */
#define MB_INFO_CMDLINE (1u << 2)	/* multiboot info: cmdline valid */

__attribute__((section(".multiboot"), used, aligned(4)))
static const uint32_t multiboot_header[3] = {
	MB_MAGIC, MB_FLAGS, (uint32_t)-(MB_MAGIC + MB_FLAGS)
};

__attribute__((used)) static uint8_t stack[16384] __attribute__((aligned(16)));

void draw_main(uint32_t magic, const uint32_t *mbi);

__asm__(".globl _start\n"
	"_start:\n"
	"  mov $stack + 16384, %esp\n"
	"  push %ebx\n"		/* multiboot information */
	"  push %eax\n"		/* multiboot magic */
	"  call draw_main\n"
	"1: cli\n"
	"  hlt\n"
	"  jmp 1b\n");

static void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static uint32_t inl(uint16_t port)
{
	uint32_t v;

	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static void puts_com1(const char *s)
{
	while (*s)
		outb(0x3f8, (uint8_t)*s++);
}

static void putu_com1(uint32_t v, unsigned int base)
{
	char buf[12];
	int i = sizeof(buf) - 1;

	buf[i] = 0;
	do {
		buf[--i] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (base == 16) {
		buf[--i] = 'x';
		buf[--i] = '0';
	}
	puts_com1(buf + i);
}

static uint32_t cfg_read(uint32_t dev, uint32_t reg)
{
	outl(0xcf8, 0x80000000u | dev << 11 | reg);
	return inl(0xcfc);
}

static void cfg_write(uint32_t dev, uint32_t reg, uint32_t v)
{
	outl(0xcf8, 0x80000000u | dev << 11 | reg);
	outl(0xcfc, v);
}

/*
 * Every mvgpu function the guest finds (up to MAX_GPUS): its BARs, its
 * channel 0 (a ring of its own), and the vGPU its check rounds copy into
 * (its first peer that is another of our vGPUs; -1 if none).
 */
#define MAX_GPUS	4

struct gpu {
	volatile uint32_t *regs, *fb;
	uint8_t *ring;
	unsigned int put;
	uint32_t uuid0;		/* MVGPU_REG_UUID0: how peers are named */
	int peer;		/* gpus[] index its copies go to, or -1 */
	uint32_t peer_index;	/* that vGPU's index in this one's table */
	uint32_t links;
};

static struct gpu gpus[MAX_GPUS];
static unsigned int ngpus;
static uint8_t rings[MAX_GPUS][4096] __attribute__((aligned(4096)));

static void wr(struct gpu *g, uint32_t off, uint32_t v)
{
	g->regs[off / 4] = v;
}

static uint32_t rd(struct gpu *g, uint32_t off)
{
	return g->regs[off / 4];
}

static void emit(struct gpu *g, uint32_t op, uint32_t flags, uint32_t a,
		 uint32_t b, uint32_t c)
{
	volatile uint32_t *cmd = (volatile uint32_t *)(g->ring + g->put);

	cmd[0] = op;
	cmd[1] = flags;
	cmd[2] = a; cmd[3] = 0;
	cmd[4] = b; cmd[5] = 0;
	cmd[6] = c; cmd[7] = 0;
	g->put = (g->put + 32) % sizeof(rings[0]);
}

/*
 * Multiboot command line: the word @key, or "@key=N".  Returns -1 if
 * absent, 0 for the bare word, else N (decimal).
 */
static int cmdline_word(uint32_t magic, const uint32_t *mbi, const char *key)
{
	const char *p;

	if (magic != MB_BOOT_MAGIC || !(mbi[0] & MB_INFO_CMDLINE) || !mbi[4])
		return -1;
	for (p = (const char *)(uintptr_t)mbi[4]; *p; ) {
		const char *w = p, *c = key;
		int n = 0;

		while (*p && *p != ' ')
			p++;
		while (w < p && *c && *w == *c)
			w++, c++;
		if (!*c && w == p)
			return 0;
		if (!*c && *w == '=') {
			for (w++; w < p && *w >= '0' && *w <= '9'; w++)
				n = n * 10 + (*w - '0');
			return n;
		}
		while (*p == ' ')
			p++;
	}
	return -1;
}

/* Busy-waits until the RTC's seconds register changes (at most ~1 s). */
static void wait_rtc_tick(void)
{
	uint8_t s0, s;

	outb(0x70, 0);
	s0 = inb(0x71);
	do {
		outb(0x70, 0);
		s = inb(0x71);
	} while (s == s0);
}

static const char *fail_what;
static uint32_t fail_at, fail_got, fail_want, fail_gpu;

static int fail(const char *what, uint32_t at, uint32_t got, uint32_t want)
{
	fail_what = what;
	fail_at = at;
	fail_got = got;
	fail_want = want;
	return 0;
}

/* Every 32-bit word of fb[off, off + bytes) is @want. */
static int fb_is(volatile uint32_t *fb, uint32_t off, uint32_t bytes,
		 uint32_t want, const char *what)
{
	uint32_t i, v;

	for (i = off / 4; i < (off + bytes) / 4; i++) {
		v = fb[i];
		if (v != want)
			return fail(what, i * 4, v, want);
	}
	return 1;
}

#define SCRATCH_ENGINE	(1u << 20)	/* FILLed by channel 0 each round */
#define SCRATCH_CPU	(2u << 20)	/* written by the CPU each round */
#define SCRATCH_PEER	(3u << 20)	/* PEER_COPYed into by another vGPU */
#define SCRATCH_BYTES	(64u << 10)
#define CHECK_FENCE	0x7e000000u	/* + round */

static uint32_t pattern(uint32_t salt, uint32_t n)
{
	return n ? (0x9e3779b9u * n) ^ salt : 0;
}

/* vGPU @i's engine scratch salt: each vGPU's is its own, so a copy that
 * lands in the wrong place does not pass. */
static uint32_t engine_salt(unsigned int i)
{
	return 0x0e0e0e0eu + 0x01000000u * i;
}

/* The vGPU whose round copies into vGPU @i, or -1. */
static int copier_of(unsigned int i)
{
	unsigned int j;

	for (j = 0; j < ngpus; j++)
		if (gpus[j].peer == (int)i)
			return (int)j;
	return -1;
}

/* What vGPU @i must hold after @n rounds. */
static int vgpu_holds(unsigned int i, uint32_t n)
{
	static const uint32_t band[4] = { BAND0, BAND1, BAND2, BAND3 };
	struct gpu *g = &gpus[i];
	volatile uint32_t *fb = g->fb;
	uint32_t b, q = DRAW_W * 4 * (DRAW_H / 4), v;
	int from = copier_of(i);

	fail_gpu = i;
	for (b = 0; b < 4; b++)
		if (!fb_is(fb, b * q, q, band[b], "picture"))
			return 0;
	if (rd(g, 0x118) != 1 || rd(g, 0x100) != DRAW_W || rd(g, 0x104) != DRAW_H)
		return fail("mode", 0x118, rd(g, 0x118), 1);
	v = rd(g, 0x1018);
	if (v != (n ? CHECK_FENCE + n : 0x600d))
		return fail("fence", 0x1018, v, n ? CHECK_FENCE + n : 0x600d);
	v = rd(g, 0x101c);
	if (v != 1)
		return fail("channel status", 0x101c, v, 1);
	v = rd(g, 0x1014);
	if (v != g->put)
		return fail("channel get", 0x1014, v, g->put);
	if (from >= 0 && !fb_is(fb, SCRATCH_PEER, SCRATCH_BYTES,
				pattern(engine_salt((unsigned int)from), n),
				"peer scratch"))
		return 0;
	return fb_is(fb, SCRATCH_ENGINE, SCRATCH_BYTES, pattern(engine_salt(i), n), "engine scratch") &&
	       fb_is(fb, SCRATCH_CPU, SCRATCH_BYTES, pattern(0xc0c0c0c0, n), "cpu scratch");
}

static int all_hold(uint32_t n)
{
	unsigned int i;

	for (i = 0; i < ngpus; i++)
		if (!vgpu_holds(i, n))
			return 0;
	return 1;
}

/*
 * Once per RTC second, on every vGPU: check what the last round left, then
 * the CPU writes one scratch area, channel 0 FILLs another and, with a
 * peer, copies it into the peer's (PEER_COPY over the links) before its
 * FENCE; check again.
 */
static void check_loop(void)
{
	uint32_t n = 0, i, k, spin;

	for (;;) {
		wait_rtc_tick();
		/* what the last round (or the drawing) left must still be there */
		if (!all_hold(n))
			break;
		n++;
		for (k = 0; k < ngpus; k++) {
			struct gpu *g = &gpus[k];

			for (i = 0; i < SCRATCH_BYTES / 4; i++)
				g->fb[SCRATCH_CPU / 4 + i] = pattern(0xc0c0c0c0, n);
			emit(g, 1, 0, SCRATCH_ENGINE, SCRATCH_BYTES,
			     pattern(engine_salt(k), n));
			if (g->peer >= 0)
				emit(g, 6, g->peer_index, SCRATCH_ENGINE,
				     SCRATCH_PEER, SCRATCH_BYTES);
			emit(g, 5, 0, CHECK_FENCE + n, 0, 0);
			wr(g, 0x1010, g->put);
		}
		/* bounded: a fence that never comes is reported below */
		for (k = 0; k < ngpus; k++)
			for (spin = 0; rd(&gpus[k], 0x1018) != CHECK_FENCE + n; spin++)
				if (rd(&gpus[k], 0x101c) & 4 || spin > 2000000)
					break;
		if (!all_hold(n))
			break;
		puts_com1("MVGPU-CHECK-OK ");
		putu_com1(n, 10);
		puts_com1("\n");
	}
	puts_com1("MVGPU-CHECK-FAIL ");
	putu_com1(n, 10);
	puts_com1(" ");
	if (ngpus > 1) {
		puts_com1("gpu");
		putu_com1(fail_gpu, 10);
		puts_com1(" ");
	}
	puts_com1(fail_what);
	puts_com1(" at ");
	putu_com1(fail_at, 16);
	puts_com1(" got ");
	putu_com1(fail_got, 16);
	puts_com1(" want ");
	putu_com1(fail_want, 16);
	puts_com1("\n");
}

#define DIRTY_BASE	(4u << 20)	/* above the check loop's scratch */

/*
 * "dirty=P": once per RTC second, channel 0 FILLs P % of the framebuffer
 * (from DIRTY_BASE, capped at its end) with a new pattern, so that every
 * pre-copy pass finds that much dirty: a workload whose dirty rate is
 * exact (tools/bench, docs/benchmarks.md).  Prints MVGPU-DIRTY n.
 */
static void dirty_loop(unsigned int pct)
{
	struct gpu *g = &gpus[0];
	uint32_t fb_size = rd(g, 0x0008), bytes, n, spin;

	bytes = fb_size / 100 * pct & ~4095u;
	if (bytes > fb_size - DIRTY_BASE)
		bytes = fb_size - DIRTY_BASE;
	for (n = 1;; n++) {
		wait_rtc_tick();
		if (bytes)
			emit(g, 1, 0, DIRTY_BASE, bytes, 0x5a5a0000u + n);
		emit(g, 5, 0, CHECK_FENCE + n, 0, 0);
		wr(g, 0x1010, g->put);
		for (spin = 0; rd(g, 0x1018) != CHECK_FENCE + n; spin++)
			if (rd(g, 0x101c) & 4 || spin > 20000000)
				break;
		puts_com1(rd(g, 0x1018) == CHECK_FENCE + n ? "MVGPU-DIRTY " : "MVGPU-DIRTY-FAIL ");
		putu_com1(n, 10);
		puts_com1("\n");
	}
}

/* Mode, two bands by the CPU, two by channel 0 and a fence. */
static const char *draw_one(struct gpu *g)
{
	uint32_t x, y;
	unsigned long spin;

	if (rd(g, 0) != MVGPU_ID)
		return "bad id";
	wr(g, 0x100, DRAW_W);		/* width */
	wr(g, 0x104, DRAW_H);		/* height */
	wr(g, 0x108, DRAW_W * 4);	/* stride */
	wr(g, 0x110, 0);		/* offset */
	wr(g, 0x114, 1);		/* enable */

	for (y = 0; y < DRAW_H / 2; y++)
		for (x = 0; x < DRAW_W; x++)
			g->fb[y * DRAW_W + x] = y < DRAW_H / 4 ? BAND0 : BAND1;

	/* channel 0: ring base, size, enable, two fills and a fence */
	wr(g, 0x1000, (uint32_t)(uintptr_t)g->ring);
	wr(g, 0x1004, 0);
	wr(g, 0x1008, sizeof(rings[0]));
	wr(g, 0x100c, 1);
	emit(g, 1, 0, DRAW_W * 4 * (DRAW_H / 2), DRAW_W * 4 * (DRAW_H / 4), BAND2);
	emit(g, 1, 0, DRAW_W * 4 * (3 * DRAW_H / 4), DRAW_W * 4 * (DRAW_H / 4), BAND3);
	emit(g, 5, 0, 0x600d, 0, 0);
	wr(g, 0x1010, g->put);
	for (spin = 0; rd(g, 0x1018) != 0x600d; spin++)
		if (rd(g, 0x101c) & 4 || spin > 100000000ul)
			return "channel";
	if (rd(g, 0x118) != 1)
		return "mode";
	return 0;
}

/*
 * Peers (ABI 1.2): each vGPU's table; its round copies go to its first
 * peer that is one of ours.  Prints "MVGPU-GPUS <n> peers <p>": p vGPUs
 * copy to a peer.
 */
static void find_peers(void)
{
	unsigned int i, j, e, count, with = 0;

	for (i = 0; i < ngpus; i++) {
		struct gpu *g = &gpus[i];

		g->peer = -1;
		if ((rd(g, 4) & 0xffff) < 2)	/* ABI 1.2 */
			continue;
		wr(g, 0x230, 1);		/* PEER_SCAN */
		count = rd(g, 0x234);
		for (e = 0; e < count && g->peer < 0; e++) {
			wr(g, 0x238, e);	/* PEER_SEL */
			for (j = 0; j < ngpus; j++)
				if (j != i && gpus[j].uuid0 == rd(g, 0x23c)) {
					g->peer = (int)j;
					g->peer_index = e;
					g->links = rd(g, 0x24c);
				}
		}
		with += g->peer >= 0;
	}
	puts_com1("MVGPU-GPUS ");
	putu_com1(ngpus, 10);
	puts_com1(" peers ");
	putu_com1(with, 10);
	for (i = 0; i < ngpus; i++) {
		if (gpus[i].peer < 0)
			continue;
		puts_com1(" ");
		putu_com1(i, 10);
		puts_com1(">");
		putu_com1((uint32_t)gpus[i].peer, 10);
		puts_com1(":NV");
		putu_com1(gpus[i].links, 10);
	}
	puts_com1("\n");
}

void draw_main(uint32_t magic, const uint32_t *mbi)
{
	const char *err;
	uint32_t dev;
	unsigned int i;

	for (dev = 0; dev < 32 && ngpus < MAX_GPUS; dev++) {
		struct gpu *g = &gpus[ngpus];

		if (cfg_read(dev, 0) != (MVGPU_DEVICE_ID << 16 | MVGPU_VENDOR_ID))
			continue;
		cfg_write(dev, 0x04, cfg_read(dev, 0x04) | 0x6);	/* memory, master */
		if (cfg_read(dev, 0x1c)) {
			puts_com1("MVGPU-DRAW-FAIL BAR2 above 4G\n");
			return;
		}
		g->regs = (volatile uint32_t *)(cfg_read(dev, 0x10) & ~0xfu);
		g->fb = (volatile uint32_t *)(cfg_read(dev, 0x18) & ~0xfu);
		g->ring = rings[ngpus];
		g->uuid0 = rd(g, 0x220);
		g->peer = -1;		/* find_peers() may find one */
		ngpus++;
	}
	if (!ngpus) {
		puts_com1("MVGPU-DRAW-FAIL no device\n");
		return;
	}
	for (i = 0; i < ngpus; i++) {
		err = draw_one(&gpus[i]);
		if (err) {
			puts_com1("MVGPU-DRAW-FAIL ");
			puts_com1(err);
			puts_com1("\n");
			return;
		}
	}
	puts_com1("MVGPU-DRAW-DONE\n");
	if (ngpus > 1)
		find_peers();
	if (cmdline_word(magic, mbi, "check") >= 0)
		check_loop();
	else if (cmdline_word(magic, mbi, "dirty") >= 0)
		dirty_loop((unsigned int)cmdline_word(magic, mbi, "dirty"));
}
