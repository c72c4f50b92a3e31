/* SPDX-License-Identifier: MIT */
/* What the nested guest draws; shared with tests/lab/test_nested.c. */
#ifndef MVGPU_DRAW_H
#define MVGPU_DRAW_H

#define MVGPU_VENDOR_ID	0x1234
#define MVGPU_DEVICE_ID	0x4d47
#define MVGPU_ID	0x5047564d
#define DRAW_W		256
#define DRAW_H		128
/* four horizontal bands, XRGB8888: CPU, CPU, engine FILL, engine FILL */
#define BAND0		0x00ff0000u	/* red */
#define BAND1		0x0000ff00u	/* green */
#define BAND2		0x000000ffu	/* blue */
#define BAND3		0x00ffffffu	/* white */

#endif
