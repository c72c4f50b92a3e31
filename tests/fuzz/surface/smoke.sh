#!/bin/bash
# tests/fuzz/surface/smoke.sh BIN SECONDS 'ARGS' SEED... - run inside a lab host by
# `make fuzz-lab-smoke`: the surface fuzzer for SECONDS on each fixed SEED,
# then once more on a seed from the clock (printed by the fuzzer), in this
# one boot.  Stops at the first failing run (its log is the last
# surface-fuzz-*.log in the artifact dir); prints the total op count.
set -uo pipefail
bin=$1 secs=$2 args=$3
shift 3
out=${MVGPU_LAB_OUT:-.}
total=0
runs=0
for seed in "$@" ""; do
	log=$out/surface-fuzz-${seed:-clock}.log
	# shellcheck disable=SC2086  # ARGS are words
	"$bin" --seconds "$secs" ${seed:+--seed "$seed"} --log "$log" $args 2>&1 | tee "$out/smoke.out"
	rc=${PIPESTATUS[0]}
	ops=$(sed -n 's/^surface-fuzz: seed 0x[0-9a-f]* \([0-9]*\) ops in .*/\1/p' "$out/smoke.out" | tail -n 1)
	total=$((total + ${ops:-0}))
	runs=$((runs + 1))
	if ((rc != 0)); then
		echo "fuzz-lab-smoke: FAILED (exit $rc, seed ${seed:-from the clock, above}; ops log $log)"
		exit "$rc"
	fi
done
echo "fuzz-lab-smoke: passed, $runs runs, $total ops"
