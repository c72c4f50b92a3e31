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
static uint8_t ring[4096] __attribute__((aligned(4096)));

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

static volatile uint32_t *regs;

static void wr(uint32_t off, uint32_t v)
{
	regs[off / 4] = v;
}

static uint32_t rd(uint32_t off)
{
	return regs[off / 4];
}

static void emit(unsigned int *put, uint32_t op, uint32_t flags, uint32_t a,
		 uint32_t b, uint32_t c)
{
	volatile uint32_t *cmd = (volatile uint32_t *)(ring + *put);

	cmd[0] = op;
	cmd[1] = flags;
	cmd[2] = a; cmd[3] = 0;
	cmd[4] = b; cmd[5] = 0;
	cmd[6] = c; cmd[7] = 0;
	*put = (*put + 32) % sizeof(ring);
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
static uint32_t fail_at, fail_got, fail_want;

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
#define SCRATCH_BYTES	(64u << 10)
#define CHECK_FENCE	0x7e000000u	/* + round */

static uint32_t pattern(uint32_t salt, uint32_t n)
{
	return n ? (0x9e3779b9u * n) ^ salt : 0;
}

/* What the vGPU must hold after @n rounds. */
static int vgpu_holds(volatile uint32_t *fb, uint32_t n, unsigned int put)
{
	static const uint32_t band[4] = { BAND0, BAND1, BAND2, BAND3 };
	uint32_t b, q = DRAW_W * 4 * (DRAW_H / 4), v;

	for (b = 0; b < 4; b++)
		if (!fb_is(fb, b * q, q, band[b], "picture"))
			return 0;
	if (rd(0x118) != 1 || rd(0x100) != DRAW_W || rd(0x104) != DRAW_H)
		return fail("mode", 0x118, rd(0x118), 1);
	v = rd(0x1018);
	if (v != (n ? CHECK_FENCE + n : 0x600d))
		return fail("fence", 0x1018, v, n ? CHECK_FENCE + n : 0x600d);
	v = rd(0x101c);
	if (v != 1)
		return fail("channel status", 0x101c, v, 1);
	v = rd(0x1014);
	if (v != put)
		return fail("channel get", 0x1014, v, put);
	return fb_is(fb, SCRATCH_ENGINE, SCRATCH_BYTES, pattern(0x0e0e0e0e, n), "engine scratch") &&
	       fb_is(fb, SCRATCH_CPU, SCRATCH_BYTES, pattern(0xc0c0c0c0, n), "cpu scratch");
}

static void check_loop(volatile uint32_t *fb, unsigned int put)
{
	uint32_t n = 0, i, spin;

	for (;;) {
		wait_rtc_tick();
		/* what the last round (or the drawing) left must still be there */
		if (!vgpu_holds(fb, n, put))
			break;
		n++;
		for (i = 0; i < SCRATCH_BYTES / 4; i++)
			fb[SCRATCH_CPU / 4 + i] = pattern(0xc0c0c0c0, n);
		emit(&put, 1, 0, SCRATCH_ENGINE, SCRATCH_BYTES, pattern(0x0e0e0e0e, n));
		emit(&put, 5, 0, CHECK_FENCE + n, 0, 0);
		wr(0x1010, put);
		/* bounded: a fence that never comes is reported below */
		for (spin = 0; rd(0x1018) != CHECK_FENCE + n; spin++)
			if (rd(0x101c) & 4 || spin > 2000000)
				break;
		if (!vgpu_holds(fb, n, put))
			break;
		puts_com1("MVGPU-CHECK-OK ");
		putu_com1(n, 10);
		puts_com1("\n");
	}
	puts_com1("MVGPU-CHECK-FAIL ");
	putu_com1(n, 10);
	puts_com1(" ");
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
static void dirty_loop(unsigned int put, unsigned int pct)
{
	uint32_t fb_size = rd(0x0008), bytes, n, spin;

	bytes = fb_size / 100 * pct & ~4095u;
	if (bytes > fb_size - DIRTY_BASE)
		bytes = fb_size - DIRTY_BASE;
	for (n = 1;; n++) {
		wait_rtc_tick();
		if (bytes)
			emit(&put, 1, 0, DIRTY_BASE, bytes, 0x5a5a0000u + n);
		emit(&put, 5, 0, CHECK_FENCE + n, 0, 0);
		wr(0x1010, put);
		for (spin = 0; rd(0x1018) != CHECK_FENCE + n; spin++)
			if (rd(0x101c) & 4 || spin > 20000000)
				break;
		puts_com1(rd(0x1018) == CHECK_FENCE + n ? "MVGPU-DIRTY " : "MVGPU-DIRTY-FAIL ");
		putu_com1(n, 10);
		puts_com1("\n");
	}
}

void draw_main(uint32_t magic, const uint32_t *mbi)
{
	volatile uint32_t *fb;
	unsigned int put = 0;
	uint32_t dev, x, y;
	unsigned long spin;

	for (dev = 0; dev < 32; dev++)
		if (cfg_read(dev, 0) == (MVGPU_DEVICE_ID << 16 | MVGPU_VENDOR_ID))
			break;
	if (dev == 32) {
		puts_com1("MVGPU-DRAW-FAIL no device\n");
		return;
	}
	cfg_write(dev, 0x04, cfg_read(dev, 0x04) | 0x6);	/* memory, master */
	regs = (volatile uint32_t *)(cfg_read(dev, 0x10) & ~0xfu);
	if (cfg_read(dev, 0x1c)) {
		puts_com1("MVGPU-DRAW-FAIL BAR2 above 4G\n");
		return;
	}
	fb = (volatile uint32_t *)(cfg_read(dev, 0x18) & ~0xfu);
	if (rd(0) != MVGPU_ID) {
		puts_com1("MVGPU-DRAW-FAIL bad id\n");
		return;
	}

	wr(0x100, DRAW_W);		/* width */
	wr(0x104, DRAW_H);		/* height */
	wr(0x108, DRAW_W * 4);		/* stride */
	wr(0x110, 0);			/* offset */
	wr(0x114, 1);			/* enable */

	for (y = 0; y < DRAW_H / 2; y++)
		for (x = 0; x < DRAW_W; x++)
			fb[y * DRAW_W + x] = y < DRAW_H / 4 ? BAND0 : BAND1;

	/* channel 0: ring base, size, enable, two fills and a fence */
	wr(0x1000, (uint32_t)(uintptr_t)ring);
	wr(0x1004, 0);
	wr(0x1008, sizeof(ring));
	wr(0x100c, 1);
	emit(&put, 1, 0, DRAW_W * 4 * (DRAW_H / 2), DRAW_W * 4 * (DRAW_H / 4), BAND2);
	emit(&put, 1, 0, DRAW_W * 4 * (3 * DRAW_H / 4), DRAW_W * 4 * (DRAW_H / 4), BAND3);
	emit(&put, 5, 0, 0x600d, 0, 0);
	wr(0x1010, put);
	for (spin = 0; rd(0x1018) != 0x600d; spin++) {
		if (rd(0x101c) & 4 || spin > 100000000ul) {
			puts_com1("MVGPU-DRAW-FAIL channel\n");
			return;
		}
	}
	if (rd(0x118) != 1) {
		puts_com1("MVGPU-DRAW-FAIL mode\n");
		return;
	}
	puts_com1("MVGPU-DRAW-DONE\n");
	if (cmdline_word(magic, mbi, "check") >= 0)
		check_loop(fb, put);
	else if (cmdline_word(magic, mbi, "dirty") >= 0)
		dirty_loop(put, (unsigned int)cmdline_word(magic, mbi, "dirty"));
}
