#!/usr/bin/env bash
# Nightly fuzzing, outside `npm test`: the parser property tests (test/fuzz, and the request-log
# scanner against JSON.parse) at 10× their CI size (at least 1,000,000 generated inputs per
# parser), then the injection, credential and limit tests once. About 4 minutes on 2 cores.
#
#   scripts/fuzz-nightly.sh                 # 10×, a fresh random seed
#   KTRAIL_FUZZ_RUNS=50 scripts/fuzz-nightly.sh
#   KTRAIL_FUZZ_SEED=-1503940393 scripts/fuzz-nightly.sh   # replay the seed a failure printed
#
# A failure prints fast-check's seed, path and shrunk counterexample: paste them into the report.
set -euo pipefail
cd "$(dirname "$0")/.."
export KTRAIL_FUZZ_RUNS="${KTRAIL_FUZZ_RUNS:-10}"
echo "ktrail fuzz: KTRAIL_FUZZ_RUNS=${KTRAIL_FUZZ_RUNS}${KTRAIL_FUZZ_SEED:+ KTRAIL_FUZZ_SEED=$KTRAIL_FUZZ_SEED}"
# Each property's timeout scales with KTRAIL_FUZZ_RUNS (see test/fuzz/parsers.property.test.ts).
npx vitest run test/fuzz parsers/kafka-request-log/scan.fuzz.test.ts --testTimeout=$((60000 * KTRAIL_FUZZ_RUNS))
