// SPDX-License-Identifier: MIT
/*
 * main.c - main() of mvgpu-lab2-tests: Criterion's usual main, plus the
 * peer's life cycle: wait (bounded) for labd on B before the tests, and
 * send it QUIT after them, whatever happened, so that B's command ends.
 * Set LAB2_KEEP_PEER=1 to leave labd running.
 */
#include "lab2.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

const char *lab2_peer_addr(void)
{
	const char *a = getenv("MVGPU_LAB2_PEER");

	if (a && *a)
		return a;
	a = getenv("MVGPU_LAB_PEER");
	return a && *a ? a : NULL;
}

void lab2_peer(void)
{
	const char *addr = lab2_peer_addr();
	int ret;

	if (peer_connected())
		return;
	cr_assert(addr, "no peer: set MVGPU_LAB_PEER or MVGPU_LAB2_PEER=HOST[:PORT]");
	ret = peer_connect(addr, LAB2_CONNECT_MS);
	cr_assert_eq(ret, 0, "labd: %s", peer_error());
}

/* Before the tests: is labd there?  The workers make their own connections. */
static int reach_peer(const char *addr)
{
	if (!addr) {
		fprintf(stderr, "lab2: no peer: set MVGPU_LAB_PEER or MVGPU_LAB2_PEER=HOST[:PORT]\n");
		return -1;
	}
	if (peer_connect(addr, LAB2_REACH_MS)) {
		fprintf(stderr, "lab2: %s\n", peer_error());
		return -1;
	}
	peer_disconnect();
	fprintf(stderr, "lab2: labd at %s answers\n", addr);
	return 0;
}

static void quit_peer(const char *addr)
{
	const char *keep = getenv("LAB2_KEEP_PEER");

	if (!addr || (keep && *keep && *keep != '0'))
		return;
	if (peer_connect(addr, LAB2_CONNECT_MS)) {
		fprintf(stderr, "lab2: cannot send QUIT: %s\n", peer_error());
		return;
	}
	peer_quit();
}

int main(int argc, char *argv[])
{
	struct criterion_test_set *tests = criterion_initialize();
	const char *addr = lab2_peer_addr();
	int ret = 0, go;

	go = criterion_handle_args(argc, argv, true);
	if (go > 0 && reach_peer(addr)) {
		ret = 1; /* and no QUIT: nobody to send it to */
	} else {
		if (go > 0)
			ret = !criterion_run_all_tests(tests);
		else if (go < 0)
			ret = 1;
		quit_peer(addr);
	}
	criterion_finalize(tests);
	return ret;
}
