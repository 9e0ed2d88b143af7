# Sourced by .ci/sanitizers.sh and .ci/tsan.sh: an instrumented CMake build of the library, the C++
# tests and the extension module; the Python package beside that extension; the sanitizer's runtime
# for preloading; and the verdict. The caller sets python, build, work, logs and jobs.

# sanitized_build COMPILE_FLAGS LINK_FLAGS [TARGET...]: configures $build and builds the targets
# (all when none). RelWithDebInfo: optimised enough for the tests to finish, with line numbers in
# the reports.
sanitized_build() {
  local compile_flags="$1" link_flags="$2"
  shift 2
  local generator=()
  [[ ! -f "$build/CMakeCache.txt" ]] && command -v ninja >/dev/null && generator=(-G Ninja)  # a kept directory keeps its generator
  cmake -S . -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS="$compile_flags" -DCMAKE_EXE_LINKER_FLAGS="$link_flags" \
    -DCMAKE_SHARED_LINKER_FLAGS="$link_flags" \
    -DFASTMLP_BUILD_TESTS=ON -DFASTMLP_BUILD_EXAMPLES=OFF -DFASTMLP_BUILD_PYTHON=ON \
    -DPython_EXECUTABLE="$(command -v "$python")" -Dpybind11_DIR="$("$python" -m pybind11 --cmakedir)" >/dev/null
  if [[ $# -gt 0 ]]; then
    cmake --build "$build" -j "$jobs" --target "$@"
  else
    cmake --build "$build" -j "$jobs"
  fi
}

# The package as installed: the pure-Python modules and subpackages beside the instrumented
# extension, in $work/site.
sanitized_site() {
  mkdir -p "$work/site"
  cp -R python/fastmlp "$work/site/"
  # A development checkout may hold a _core there, or a link to one (ARCHITECTURE: ln -sf): copying
  # over the link would overwrite the linked build with the instrumented one.
  rm -f "$work/site/fastmlp/"_core*
  cp "$build"/_core*.so "$work/site/fastmlp/"
}

# sanitizer_runtime NAME: the path of the compiler's libNAME.so (asan, tsan, stdc++), or exit 2.
sanitizer_runtime() {
  local runtime
  runtime="$("${CXX:-g++}" -print-file-name="lib$1.so")"
  if [[ ! -e "$runtime" ]]; then
    echo "lib$1.so not found (${CXX:-g++} -print-file-name=lib$1.so gave '$runtime')" >&2
    exit 2
  fi
  echo "$runtime"
}

# sanitizer_verdict STATUS SANITIZER: fails on any report in $logs (kept there even when a
# subprocess or a crashed worker swallowed it) or on a failed test; cleans up otherwise. The one
# line ASan logs for an allocation it refused under allocator_may_return_null is not a report: the
# tests of MemoryError ask for such sizes on purpose.
sanitizer_verdict() {
  local log refused='^==[0-9]+==WARNING: AddressSanitizer failed to allocate 0x[0-9a-f]+ bytes$'
  for log in "$logs"/*; do
    if [[ -f "$log" ]] && ! grep -qvE "$refused" "$log"; then
      echo "== $(grep -cE "$refused" "$log") allocation(s) refused as too large, as tested ($(basename "$log"))"
      rm "$log"
    fi
  done
  if compgen -G "$logs/*" >/dev/null; then
    echo "== $2 reports:" >&2
    cat "$logs"/* >&2
    exit 1
  fi
  if [[ $1 -ne 0 ]]; then
    echo "== tests failed (exit status $1); no $2 reports" >&2
    exit "$1"
  fi
  echo "== no $2 reports; all tests passed"
  rm -rf "$work"
}
