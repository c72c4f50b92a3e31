/* SPDX-License-Identifier: MIT */
/*
 * lab2.h - for the two-host suites (make check-lab2): they run on host A
 * and drive host B through mvgpu-labd (peer.h), and may use the
 * single-host helpers of tests/lab/lab.h on A.
 *
 * Criterion runs every test in a fresh worker process, so each test
 * connects for itself: give a suite `.init = lab2_peer`.  main.c (this
 * binary's main) first waits until labd answers, and sends it QUIT at the
 * very end so that B's labd exits and `lab run2` ends.
 */
#ifndef MVGPU_LAB2_H
#define MVGPU_LAB2_H

#include "peer.h"

#define LAB2_REACH_MS 120000 /* main: for labd to come up on B */
#define LAB2_CONNECT_MS 60000 /* a test: for labd to be done with the last one */

/*
 * labd's address: $MVGPU_LAB2_PEER ("HOST[:PORT]", e.g. to run the suites
 * against a local labd), else $MVGPU_LAB_PEER (set by `lab run2`); NULL if
 * neither is set.
 */
const char *lab2_peer_addr(void);
/* Connect this test process to labd unless it is; fails the test if it can't. */
void lab2_peer(void);

#endif
