#!/usr/bin/env bash
# Builds fastmlp._core with AddressSanitizer and UndefinedBehaviorSanitizer (GCC) into a temporary
# directory and runs the tests against that build. Exits non-zero when a test fails or when either
# sanitizer reports anything, so that a memory error the tests happen to survive still fails CI.
#
#   .ci/sanitizers.sh                       # the whole tests/ directory
#   .ci/sanitizers.sh tests/test_reliability_inputs.py -x   # any pytest arguments
#
# Needs gcc/g++ with libasan and libubsan (Debian/Ubuntu: g++ brings both). PYTHON picks the
# interpreter (default: python3 on PATH); when scikit-build-core, pybind11 and cmeel-eigen are already
# importable the build reuses them (--no-build-isolation), otherwise pip fetches them.
set -euo pipefail
cd "$(dirname "$0")/.."

python="${PYTHON:-python3}"
work="$(mktemp -d "${TMPDIR:-/tmp}/fastmlp-sanitizers.XXXXXX")"
logs="$work/reports"
mkdir -p "$logs"

# The extension is the only instrumented code: Python and NumPy are not, which is why the runtime is
# preloaded below. frame pointers give readable stacks; -fno-sanitize-recover makes UBSan stop at its
# first finding instead of printing and carrying on.
flags="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
isolation=()
if "$python" -c "import scikit_build_core, pybind11, cmeel" 2>/dev/null; then
  isolation=(--no-build-isolation)
fi
echo "== building the sanitized extension into $work/site"
"$python" -m pip install --quiet "${isolation[@]}" --no-deps --target "$work/site" \
  -Cbuild-dir=build/sanitizers -Ccmake.build-type=RelWithDebInfo \
  -Ccmake.define.CMAKE_CXX_FLAGS="$flags" .

asan_runtime="$(gcc -print-file-name=libasan.so)"
if [[ ! -e "$asan_runtime" ]]; then
  echo "libasan.so not found (gcc -print-file-name=libasan.so gave '$asan_runtime')" >&2
  exit 2
fi

echo "== running pytest ${*:-tests} under ASan + UBSan"
status=0
# detect_leaks=0: CPython keeps interned objects and module state alive until exit by design, so
# LeakSanitizer would report thousands of "leaks" that are not ours. log_path sends every report to
# a file as well, so that one swallowed by a subprocess or a crashed worker is still found below.
# FASTMLP_UNDER_SANITIZERS lets the RSS-growth test skip itself: ASan's quarantine holds freed memory
# on purpose, so resident memory grows under it without any leak.
env LD_PRELOAD="$asan_runtime" \
    ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:log_path=$logs/asan" \
    UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$logs/ubsan" \
    FASTMLP_UNDER_SANITIZERS=1 \
    PYTHONPATH="$work/site${PYTHONPATH:+:$PYTHONPATH}" \
    "$python" -m pytest -q -p no:cacheprovider "${@:-tests}" || status=$?

if compgen -G "$logs/*" >/dev/null; then
  echo "== sanitizer reports:" >&2
  cat "$logs"/* >&2
  exit 1
fi
if [[ $status -ne 0 ]]; then
  echo "== pytest failed (exit status $status); no sanitizer reports" >&2
  exit "$status"
fi
echo "== no sanitizer reports; tests passed"
rm -rf "$work"
