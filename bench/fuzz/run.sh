#!/usr/bin/env bash
# The reader's fuzzer, by hand (issue 26): inputs up to 1 MiB, seeded with the hand-made
# seeds of tests/core/test_seed_corpus.cpp and with real probe snapshots (make_seeds.py),
# so that mutations of whole files reach decompression and count bombs.
#
#   bash bench/fuzz/run.sh [SECONDS]      # default 3600; needs clang and libclang-rt-14-dev
#
# Builds build-fuzz/ (clang, ASan + UBSan, libFuzzer), writes the seeds, then runs
# fuzz_reader on both cores until SECONDS have passed. New inputs go to
# build-fuzz/tests/fuzz/corpus, findings (crash-*, leak-*, oom-*, timeout-*) to
# build-fuzz/tests/fuzz/findings; a finding belongs in tests/core as a regression test.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-3600}
build=${HEAPDIFF_FUZZ_BUILD:-build-fuzz}
export PATH=/usr/bin:$PATH
# Debian's clang-14 package installs clang-14 and clang++-14; `clang` only with the clang package.
cxx=$(command -v clang++ || command -v clang++-14 || true) cc=$(command -v clang || command -v clang-14 || true)
[[ -n $cxx && -n $cc ]] || { echo "run.sh: needs clang (apt-get install clang-14 libclang-rt-14-dev)" >&2; exit 1; }
cmake -S . -B "$build" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_C_COMPILER="$cc" \
      -DHEAPDIFF_FUZZ=ON -DHEAPDIFF_SANITIZE=ON -DHEAPDIFF_BUILD_PROBE=OFF >/dev/null
cmake --build "$build" --target fuzz_reader fuzz_seed_corpus
dir=$build/tests/fuzz
regressions=$PWD/tests/core/fuzz_regressions
mkdir -p "$dir/corpus" "$dir/findings" "$dir/seeds"
python=${HEAPDIFF_FUZZ_PYTHON:-python3}
"$python" bench/fuzz/make_seeds.py "$dir/seeds"
echo "seeds: $(ls "$dir/seeds" | wc -l) files, $(du -sh "$dir/seeds" | cut -f1); corpus before: $(ls "$dir/corpus" | wc -l)"
# -rss_limit_mb: a backstop; the harness holds every load to FORMAT.md's heap bound itself.
# -fork=2: two processes fuzz until SECONDS have passed, a finding does not end the run
# (each is saved in findings/ and fuzzing goes on); new inputs are merged into corpus/.
# Inputs in tests/core/fuzz_regressions (earlier findings) are replayed as seeds.
(cd "$dir" && ./fuzz_reader -max_len=1048576 -max_total_time="$seconds" -timeout=120 -rss_limit_mb=4096 \
    -fork=2 -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1 -artifact_prefix=findings/ \
    -print_final_stats=1 corpus seeds "$regressions" 2>&1 | grep -v '^INFO' | tail -n 40) || true
echo "corpus after: $(ls "$dir/corpus" | wc -l) inputs, $(du -sh "$dir/corpus" | cut -f1); findings: $(ls "$dir/findings" | wc -l)"
