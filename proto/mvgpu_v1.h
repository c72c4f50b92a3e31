/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * mvgpu_v1.h - VFIO migration protocol v1 (the "migration region" Debian
 * 12's QEMU 7.2 speaks) as a view of the v2 state machine.
 *
 * v1 has three state bits; each legal combination names one v2 state, and
 * the kernel walks the v2 arcs between them.  Pure functions, so the
 * mapping is unit-tested natively against every sequence QEMU 7.2 issues.
 */
#ifndef MVGPU_V1_H
#define MVGPU_V1_H

#include "mvgpu_port.h"

/* v1 device_state bits (uAPI: VFIO_DEVICE_STATE_V1_*) */
#define MVGPU_V1_RUNNING	(1u << 0)
#define MVGPU_V1_SAVING		(1u << 1)
#define MVGPU_V1_RESUMING	(1u << 2)
#define MVGPU_V1_MASK		7u
#define MVGPU_V1_ERROR		(MVGPU_V1_SAVING | MVGPU_V1_RESUMING)

/* v2 states (uAPI: enum vfio_device_mig_state) */
#define MVGPU_V2_ERROR		0
#define MVGPU_V2_STOP		1
#define MVGPU_V2_RUNNING	2
#define MVGPU_V2_STOP_COPY	3
#define MVGPU_V2_RESUMING	4
#define MVGPU_V2_RUNNING_P2P	5
#define MVGPU_V2_PRE_COPY	6
#define MVGPU_V2_PRE_COPY_P2P	7

/* The v1 header at the start of the region (all little-endian). */
#define MVGPU_V1_OFF_STATE	0	/* __u32 device_state */
#define MVGPU_V1_OFF_PENDING	8	/* __u64 pending_bytes */
#define MVGPU_V1_OFF_DATA_OFF	16	/* __u64 data_offset */
#define MVGPU_V1_OFF_DATA_SIZE	24	/* __u64 data_size */
#define MVGPU_V1_HDR_SIZE	32

/**
 * mvgpu_v1_to_v2() - the v2 state a v1 device_state value asks for.
 * @bits: the value written.
 * @state: the v2 state.
 *
 * Return: 0, or -EINVAL for the error state, unknown bits, or RESUMING
 * combined with anything.
 */
static inline int mvgpu_v1_to_v2(__u32 bits, __u32 *state)
{
	switch (bits) {
	case 0:
		*state = MVGPU_V2_STOP;
		return 0;
	case MVGPU_V1_RUNNING:
		*state = MVGPU_V2_RUNNING;
		return 0;
	case MVGPU_V1_RUNNING | MVGPU_V1_SAVING:
		*state = MVGPU_V2_PRE_COPY;
		return 0;
	case MVGPU_V1_SAVING:
		*state = MVGPU_V2_STOP_COPY;
		return 0;
	case MVGPU_V1_RESUMING:
		*state = MVGPU_V2_RESUMING;
		return 0;
	}
	return -EINVAL;
}

/**
 * mvgpu_v2_to_v1() - the device_state a v1 user reads in a v2 state.
 * @state: the v2 state.
 *
 * The P2P states are internal steps v1 never asks for; they read as their
 * non-P2P neighbours.
 *
 * Return: the v1 bits (MVGPU_V1_ERROR for ERROR or anything unknown).
 */
static inline __u32 mvgpu_v2_to_v1(__u32 state)
{
	switch (state) {
	case MVGPU_V2_STOP:		return 0;
	case MVGPU_V2_RUNNING:
	case MVGPU_V2_RUNNING_P2P:	return MVGPU_V1_RUNNING;
	case MVGPU_V2_PRE_COPY:
	case MVGPU_V2_PRE_COPY_P2P:	return MVGPU_V1_RUNNING | MVGPU_V1_SAVING;
	case MVGPU_V2_STOP_COPY:	return MVGPU_V1_SAVING;
	case MVGPU_V2_RESUMING:		return MVGPU_V1_RESUMING;
	}
	return MVGPU_V1_ERROR;
}

#endif /* MVGPU_V1_H */
