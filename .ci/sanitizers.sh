#!/usr/bin/env bash
# Builds fastmlp with AddressSanitizer and UndefinedBehaviorSanitizer (GCC or Clang), runs the C++
# tests (ctest) and then the Python tests against the sanitized extension. Exits non-zero when a test
# fails or when either sanitizer reports anything, so that a memory error the tests happen to survive
# still fails CI.
#
#   .ci/sanitizers.sh                                  # ctest, then the whole tests/ directory
#   .ci/sanitizers.sh tests/test_validation.py -x      # ctest, then these pytest arguments
#   SKIP_PYTHON=1 .ci/sanitizers.sh                    # ctest only
#
# Needs a compiler with libasan and libubsan (Debian/Ubuntu: g++ brings both), CMake and Ninja or
# Make, and a Python (PYTHON, default python3) that has pybind11, cmeel-eigen, numpy, pytest and
# hypothesis, i.e. `pip install .[test]`. The build directory (BUILD_DIR, default
# build/asan) is kept, so a second run only recompiles what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

python="${PYTHON:-python3}"
build="${BUILD_DIR:-build/asan}"
work="$(mktemp -d "${TMPDIR:-/tmp}/fastmlp-sanitizers.XXXXXX")"
logs="$work/reports"
mkdir -p "$logs"
jobs="${JOBS:-$(nproc 2>/dev/null || echo 2)}"

# shellcheck source=.ci/sanitized_build.sh
. .ci/sanitized_build.sh
# One CMake tree builds the library, the C++ tests and the extension module, all instrumented.
# Frame pointers give readable stacks; -fno-sanitize-recover makes UBSan stop at its first finding
# instead of printing and carrying on.
echo "== configuring and building with ASan + UBSan in $build"
sanitized_build "-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
  "-fsanitize=address,undefined"

status=0
echo "== ctest under ASan (with LeakSanitizer) + UBSan"
# The C++ tests are plain executables, so leak detection works there and stays on.
# allocator_may_return_null: an allocation too large to satisfy fails as it does without ASan
# (std::bad_alloc, which fastmlp turns into an error naming the bytes, tested on purpose) instead of
# aborting the process.
ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:allocator_may_return_null=1:log_path=$logs/asan-ctest" \
UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$logs/ubsan-ctest" \
  ctest --test-dir "$build" --output-on-failure || status=$?

if [[ -z "${SKIP_PYTHON:-}" && $status -eq 0 ]]; then
  sanitized_site
  asan_runtime="$(sanitizer_runtime asan)"
  # ASan intercepts C++ exceptions (__cxa_throw) by looking the real function up when it starts;
  # Python does not link libstdc++, so it must be preloaded too or the first throw aborts ASan.
  cxx_runtime="$(sanitizer_runtime stdc++)"
  echo "== pytest ${*:-tests} under ASan + UBSan"
  # Python and NumPy are not instrumented, so the ASan runtime must be loaded before them.
  # detect_leaks=0: CPython keeps interned objects and module state alive until exit by design, so
  # LeakSanitizer would report thousands of "leaks" that are not ours (tests/test_leaks.py watches
  # the resident memory of repeated cycles instead). log_path sends every report to a file as well,
  # so that one swallowed by a subprocess or a crashed worker is still found below.
  # FASTMLP_UNDER_SANITIZERS lets the RSS-growth test step aside: ASan's quarantine holds freed
  # memory on purpose, so resident memory grows under it without any leak.
  env LD_PRELOAD="$asan_runtime $cxx_runtime" \
      ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:allocator_may_return_null=1:log_path=$logs/asan" \
      UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$logs/ubsan" \
      FASTMLP_UNDER_SANITIZERS=1 \
      PYTHONPATH="$work/site${PYTHONPATH:+:$PYTHONPATH}" \
      "$python" -m pytest -q -p no:cacheprovider "${@:-tests}" || status=$?
fi

sanitizer_verdict "$status" "sanitizer"
