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
# hypothesis, i.e. `pip install .[test] pybind11`. The build directory (BUILD_DIR, default
# build/asan) is kept, so a second run only recompiles what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

python="${PYTHON:-python3}"
build="${BUILD_DIR:-build/asan}"
work="$(mktemp -d "${TMPDIR:-/tmp}/fastmlp-sanitizers.XXXXXX")"
logs="$work/reports"
mkdir -p "$logs"
jobs="${JOBS:-$(nproc 2>/dev/null || echo 2)}"

# One CMake tree builds the library, the C++ tests and the extension module, all instrumented.
# Frame pointers give readable stacks; -fno-sanitize-recover makes UBSan stop at its first finding
# instead of printing and carrying on. RelWithDebInfo: optimised enough for the tests to finish,
# with line numbers in the reports.
flags="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
echo "== configuring and building with ASan + UBSan in $build"
cmake -S . -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
  -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined" \
  -DFASTMLP_BUILD_TESTS=ON -DFASTMLP_BUILD_EXAMPLES=OFF -DFASTMLP_BUILD_PYTHON=ON \
  -DPython_EXECUTABLE="$(command -v "$python")" -Dpybind11_DIR="$("$python" -m pybind11 --cmakedir)" >/dev/null
cmake --build "$build" -j "$jobs"

status=0
echo "== ctest under ASan (with LeakSanitizer) + UBSan"
# The C++ tests are plain executables, so leak detection works there and stays on.
ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:log_path=$logs/asan-ctest" \
UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$logs/ubsan-ctest" \
  ctest --test-dir "$build" --output-on-failure || status=$?

if [[ -z "${SKIP_PYTHON:-}" && $status -eq 0 ]]; then
  # The package as installed: the pure-Python modules and subpackages beside the sanitized extension.
  mkdir -p "$work/site"
  cp -R python/fastmlp "$work/site/"
  cp "$build"/_core*.so "$work/site/fastmlp/"

  asan_runtime="$("${CXX:-g++}" -print-file-name=libasan.so)"
  if [[ ! -e "$asan_runtime" ]]; then
    echo "libasan.so not found (${CXX:-g++} -print-file-name=libasan.so gave '$asan_runtime')" >&2
    exit 2
  fi
  # ASan intercepts C++ exceptions (__cxa_throw) by looking the real function up when it starts;
  # Python does not link libstdc++, so it must be preloaded too or the first throw aborts ASan.
  cxx_runtime="$("${CXX:-g++}" -print-file-name=libstdc++.so)"
  echo "== pytest ${*:-tests} under ASan + UBSan"
  # Python and NumPy are not instrumented, so the ASan runtime must be loaded before them.
  # detect_leaks=0: CPython keeps interned objects and module state alive until exit by design, so
  # LeakSanitizer would report thousands of "leaks" that are not ours (tests/test_leaks.py watches
  # the resident memory of repeated cycles instead). log_path sends every report to a file as well,
  # so that one swallowed by a subprocess or a crashed worker is still found below.
  # FASTMLP_UNDER_SANITIZERS lets the RSS-growth test step aside: ASan's quarantine holds freed
  # memory on purpose, so resident memory grows under it without any leak.
  env LD_PRELOAD="$asan_runtime $cxx_runtime" \
      ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:log_path=$logs/asan" \
      UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$logs/ubsan" \
      FASTMLP_UNDER_SANITIZERS=1 \
      PYTHONPATH="$work/site${PYTHONPATH:+:$PYTHONPATH}" \
      "$python" -m pytest -q -p no:cacheprovider "${@:-tests}" || status=$?
fi

if compgen -G "$logs/*" >/dev/null; then
  echo "== sanitizer reports:" >&2
  cat "$logs"/* >&2
  exit 1
fi
if [[ $status -ne 0 ]]; then
  echo "== tests failed (exit status $status); no sanitizer reports" >&2
  exit "$status"
fi
echo "== no sanitizer reports; all tests passed"
rm -rf "$work"
