#!/usr/bin/env bash
# Coverage-guided fuzzing (libFuzzer, with AddressSanitizer and UndefinedBehaviorSanitizer) of the
# parsers that read untrusted input: each target in cpp/fuzz runs for FUZZ_SECONDS (default 60),
# starting from a seed corpus made from real model files (cpp/fuzz/make_corpus.py). Exits non-zero
# at the first crash, sanitizer report, leak, timeout or out-of-memory; the input that caused it is
# left in the work directory, whose path is printed.
#
#   .ci/fuzz.sh                            # 60 s a target (CI runs 45 s a target)
#   FUZZ_SECONDS=3600 FUZZ_JOBS=2 .ci/fuzz.sh   # the long run (docs/reliability.md)
#   FUZZ_CORPUS=~/fastmlp-corpus .ci/fuzz.sh    # keep the grown corpus between runs
#
# Needs Clang with libFuzzer and OpenMP (Debian: apt-get install clang libomp-dev libclang-rt-dev), CMake, and a
# Python (PYTHON, default python3) with fastmlp installed, for the seed corpus. The build directory
# (BUILD_DIR, default build/fuzz) is kept, so a second run only recompiles what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

python="${PYTHON:-python3}"
build="${BUILD_DIR:-build/fuzz}"
seconds="${FUZZ_SECONDS:-60}"
jobs="${FUZZ_JOBS:-1}"
cxx="${FUZZ_CXX:-clang++}"
targets=(fuzz_json fuzz_model)

if ! command -v "$cxx" >/dev/null; then
  echo "fuzz.sh: $cxx not found; install Clang with libFuzzer (Debian: apt-get install clang libomp-dev libclang-rt-dev)" >&2
  exit 2
fi
work="$(mktemp -d "${TMPDIR:-/tmp}/fastmlp-fuzz.XXXXXX")"

# The whole library is instrumented (coverage and sanitizers), so that a target for the model-file
# reader finds bugs in every file it reaches; each target links libFuzzer's main (cpp/fuzz).
flags="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
generator=()
# Ninja when at hand, for a new build directory (one configured before keeps its generator).
[[ ! -f "$build/CMakeCache.txt" ]] && command -v ninja >/dev/null && generator=(-G Ninja)
echo "== configuring and building ${targets[*]} with $cxx, libFuzzer, ASan and UBSan in $build"
CXX="$cxx" cmake -S . -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS="$flags" -DFASTMLP_BUILD_FUZZERS=ON -DFASTMLP_BUILD_TESTS=OFF \
  -DFASTMLP_BUILD_EXAMPLES=OFF -DPython_EXECUTABLE="$(command -v "$python")" >/dev/null
cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)" --target "${targets[@]}"

echo "== seed corpus from models saved by $("$python" -c 'import fastmlp; print(fastmlp.__file__)')"
"$python" cpp/fuzz/make_corpus.py "$work/seeds"

status=0
for target in "${targets[@]}"; do
  kind="${target#fuzz_}"
  corpus="${FUZZ_CORPUS:-$work/corpus}/$kind"
  mkdir -p "$corpus" "$work/$target"
  echo "== $target for $seconds s ($jobs job(s)); corpus $corpus"
  # -malloc_limit_mb: no single allocation may exceed it (inputs are at most 64 KiB, so anything
  # near it is memory out of proportion); -timeout: no input may take 10 s.
  options=(-max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=256
           -dict=cpp/fuzz/fuzz_json.dict -print_final_stats=1 -artifact_prefix="$work/$target/")
  if [[ "$jobs" -gt 1 ]]; then options+=(-fork="$jobs" -ignore_crashes=0); fi
  ASAN_OPTIONS="detect_leaks=1:halt_on_error=1" UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1" \
    "$build/cpp/fuzz/$target" "${options[@]}" "$corpus" "$work/seeds/$kind" 2>"$work/$target.log" || status=$?
  grep -E "^(Done|stat::)" "$work/$target.log" || true
  if [[ $status -ne 0 ]]; then
    tail -n 60 "$work/$target.log" >&2
    echo "== $target FAILED (exit status $status); log and failing input in $work/$target*" >&2
    exit "$status"
  fi
done
echo "== no findings"
rm -rf "$work"
