/* SPDX-License-Identifier: MIT */
/*
 * util.h - small time helpers shared by mvgpu-labd (host B) and the lab2
 * test binary (host A).
 */
#ifndef MVGPU_LAB2_UTIL_H
#define MVGPU_LAB2_UTIL_H

#include <limits.h>
#include <time.h>

/* Monotonic clock in milliseconds. */
static inline long long lab2_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Deadline @ms from now (@ms >= 0). */
static inline long long lab2_deadline(long long ms)
{
	return lab2_now_ms() + ms;
}

/* Milliseconds left until @deadline, clamped to 0..INT_MAX (poll's range). */
static inline int lab2_left_ms(long long deadline)
{
	long long left = deadline - lab2_now_ms();

	if (left < 0)
		return 0;
	return left > INT_MAX ? INT_MAX : (int)left;
}

#endif
