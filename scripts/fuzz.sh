#!/usr/bin/env bash
# npm run fuzz: the nightly-sized fuzz run. Every parser's fuzz test (MBR/GPT,
# LVM, ext2/3/4, NTFS, FAT, xfs, registry hives, qcow2, vmdk, augeas inputs, NBD
# server replies, and any other test/**/fuzz.test.ts) runs FUZZ_ITERS mutated
# inputs (default 10,000; each test's own *_FUZZ_ITERS still wins). The suite
# (npm test) runs the same tests with their CI-sized slices. Each test prints
# one summary line; they are collected in bench/out/fuzz.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
export FUZZ_ITERS=${FUZZ_ITERS:-10000}
mapfile -t files < <(find test -name 'fuzz.test.ts' -o -name '*-fuzz.test.ts' | sort)
files+=(test/qcow2.test.ts test/vmdk.test.ts)
mkdir -p bench/out
log=bench/out/fuzz.log
echo "fuzz: ${FUZZ_ITERS} inputs per parser, ${#files[@]} test files (log: $log)"
start=$(date +%s)
status=0
npx vitest run --maxWorkers=2 -t fuzz "${files[@]}" >"$log" 2>&1 || status=$?
grep -E "^[^ ].* ${FUZZ_ITERS} (iterations|sessions)" "$log" | tee bench/out/fuzz.txt
grep -E 'Test Files|Tests ' "$log" || true
echo "fuzz: $(( $(date +%s) - start )) s, exit status $status"
exit $status
