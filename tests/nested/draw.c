// SPDX-License-Identifier: MIT
/*
 * draw.c - a tiny bare-metal guest for the nested check (multiboot, 32-bit,
 * no paging).  SeaBIOS has enumerated PCI and assigned the BARs; this finds
 * the mvgpu vGPU, sets a 256x128 XRGB8888 mode, draws four bands - two by
 * CPU writes to BAR2, two through channel 0 (a ring in guest RAM, FILL
 * commands, a FENCE it polls for) - and prints MVGPU-DRAW-DONE (or
 * MVGPU-DRAW-FAIL) on COM1.  tests/lab/test_nested.c checks the screendump.
 */
#include <stdint.h>

#include "draw.h"

#define MB_MAGIC 0x1badb002u
#define MB_FLAGS 0u

__attribute__((section(".multiboot"), used, aligned(4)))
static const uint32_t multiboot_header[3] = {
	MB_MAGIC, MB_FLAGS, (uint32_t)-(MB_MAGIC + MB_FLAGS)
};

__attribute__((used)) static uint8_t stack[16384] __attribute__((aligned(16)));
static uint8_t ring[4096] __attribute__((aligned(4096)));

void draw_main(void);

__asm__(".globl _start\n"
	"_start:\n"
	"  mov $stack + 16384, %esp\n"
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

static void puts_com1(const char *s)
{
	while (*s)
		outb(0x3f8, (uint8_t)*s++);
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
	*put += 32;
}

void draw_main(void)
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
	puts_com1(rd(0x118) == 1 ? "MVGPU-DRAW-DONE\n" : "MVGPU-DRAW-FAIL mode\n");
}
