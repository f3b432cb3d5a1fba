#!/usr/bin/env bash
# The test command. Builds the C++ project in build/ and runs its CTest suite, then for every
# supported CPython (3.8-3.13) installs the project with pip into build/venv-<version> and
# runs tests/python with pytest. Prints one line per suite, then the wall time, then
# "N passed, M failed" as the last line. Exits non-zero if any suite failed or ran no test.
#
#   HEAPDIFF_TEST_PYTHONS="3.11.7 3.13.0" bash scripts/test.sh   # only these pyenv versions
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
start=$SECONDS

bash scripts/setup.sh

logs=build/test-logs
mkdir -p "$logs"
passed=0 failed=0

# report STATUS NAME DETAIL [LOG]: one result line; a failure also shows the end of its log.
report() {
  printf '%-4s  %-14s %s\n' "$1" "$2" "$3"
  if [[ $1 == ok ]]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    if [[ -n ${4:-} ]]; then
      tail -n 30 "$4" | sed 's/^/      | /'
      echo "      (full log: $4)"
    fi
  fi
}

# --- Which interpreters: every pyenv CPython 3.8-3.13, else the system python3. -------------
# Resolved with the caller's PATH, before /usr/bin goes first below.
supported='^3\.(8|9|10|11|12|13)(\.[0-9]+)?$'
interpreters=()  # "version=/path/to/python"
pyenv_bin=$(command -v pyenv || true)
[[ -z $pyenv_bin && -x ${PYENV_ROOT:-$HOME/.pyenv}/bin/pyenv ]] && pyenv_bin=${PYENV_ROOT:-$HOME/.pyenv}/bin/pyenv
if [[ -n $pyenv_bin ]]; then
  for v in $("$pyenv_bin" versions --bare --skip-aliases); do
    [[ $v =~ $supported ]] || continue
    [[ -z ${HEAPDIFF_TEST_PYTHONS:-} || " $HEAPDIFF_TEST_PYTHONS " == *" $v "* ]] || continue
    interpreters+=("$v=$("$pyenv_bin" prefix "$v")/bin/python")
  done
fi
if [[ ${#interpreters[@]} -eq 0 ]] && py=$(command -v python3); then
  v=$("$py" -c 'import platform; print(platform.python_version())')
  [[ $v =~ $supported ]] && interpreters+=("$v=$py")
fi

# pyenv's shims (cmake, ninja) fail under pyenv versions that lack those pip packages, and a
# venv must find Debian's cmake/ninja rather than a shim: /usr/bin goes before the shims.
export PATH="/usr/bin:$PATH"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1

# --- C++: configure, build, ctest. -----------------------------------------------------------
# Release with assertions on (no -DNDEBUG). The probe is left out here: every pip install
# below builds it, against each interpreter's own headers.
ctest_suite() {
  local log=$logs/ctest.log t0=$SECONDS
  # A cache left by another CMake (pip's cmake under pyenv) or another generator cannot be
  # reused by this one: start that build tree afresh rather than fail.
  if [[ -f build/CMakeCache.txt ]] &&
     ! { grep -qxF "CMAKE_COMMAND:INTERNAL=$(command -v cmake)" build/CMakeCache.txt &&
         grep -qxF "CMAKE_GENERATOR:INTERNAL=Ninja" build/CMakeCache.txt; }; then
    rm -rf build/CMakeCache.txt build/CMakeFiles
  fi
  if ! cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release \
         -DCMAKE_CXX_FLAGS_RELEASE=-O2 -DCMAKE_C_FLAGS_RELEASE=-O2 \
         -DHEAPDIFF_BUILD_TESTS=ON -DHEAPDIFF_BUILD_PROBE=OFF >"$log" 2>&1; then
    report FAIL ctest "cmake configure failed" "$log"; return
  fi
  if ! cmake --build build >>"$log" 2>&1; then
    report FAIL ctest "C++ build failed" "$log"; return
  fi
  local build_s=$((SECONDS - t0)) rc=0
  (cd build && ctest --output-on-failure --no-tests=error) >>"$log" 2>&1 || rc=$?
  local line
  line=$(grep -E 'tests passed|No tests were found' "$log" | tail -n 1 || true)
  if [[ $rc -eq 0 ]]; then
    report ok ctest "${line:-passed}  (build ${build_s} s, tests $((SECONDS - t0 - build_s)) s)"
  else
    report FAIL ctest "ctest exit $rc: ${line:-no summary}" "$log"
  fi
}

# --- Python: venv, pip install .[test], pytest. ----------------------------------------------
python_suite() {
  local ver=${1%%=*} python=${1#*=}
  local name="python $ver" venv=$root/build/venv-$ver log=$logs/python-$ver.log t0=$SECONDS
  : >"$log"
  # Reuse the venv while its interpreter still runs (it breaks if pyenv's version went away).
  if ! "$venv/bin/python" -c '' 2>/dev/null; then
    rm -rf "$venv"
    if ! "$python" -m venv "$venv" >>"$log" 2>&1; then
      report FAIL "$name" "could not create $venv" "$log"; return
    fi
  fi
  # No build isolation: the build backend is installed once into the venv instead of into a
  # fresh temporary env on every run, and the CMake tree in build/pip-<wheel tag> (set in
  # pyproject.toml) is reused, so a re-run only recompiles what changed.
  if ! (export PATH="$venv/bin:$PATH" VIRTUAL_ENV=$venv
        { python -c 'import scikit_build_core' 2>/dev/null ||
            python -m pip install --quiet 'scikit-build-core>=0.10'; } &&
        python -m pip install --quiet --no-build-isolation '.[test]') >>"$log" 2>&1; then
    report FAIL "$name" "pip install failed after $((SECONDS - t0)) s" "$log"; return
  fi
  local build_s=$((SECONDS - t0)) rc=0
  # The venv's bin/ first, so tests that run the `heapdiff` command get this build's.
  (export PATH="$venv/bin:$PATH" VIRTUAL_ENV=$venv
   python -m pytest tests/python -q) >>"$log" 2>&1 || rc=$?
  local line n_passed
  line=$(grep -E '[0-9]+ (passed|failed|errors?|skipped)|no tests ran' "$log" | tail -n 1 |
         sed 's/=//g; s/^ *//; s/ *$//' || true)
  # No summary (pytest stopped early, e.g. conftest failed to import): show the first error.
  [[ -n $line ]] || line=$(grep -m 1 -E '^E ' "$log" | sed 's/^E *//' || true)
  n_passed=$(grep -oE '[0-9]+ passed' <<<"$line" | grep -oE '[0-9]+' || echo 0)
  local times="(install ${build_s} s, tests $((SECONDS - t0 - build_s)) s)"
  if [[ $rc -eq 5 ]]; then
    report FAIL "$name" "pytest collected no tests (exit 5)  $times" "$log"
  elif [[ $rc -ne 0 ]]; then
    report FAIL "$name" "pytest exit $rc: ${line:-no summary}  $times" "$log"
  elif [[ $n_passed -eq 0 ]]; then
    report FAIL "$name" "ran no tests: ${line:-no summary}  $times" "$log"
  else
    report ok "$name" "$line  $times"
  fi
}

ctest_suite
if [[ ${#interpreters[@]} -eq 0 ]]; then
  report FAIL python "no CPython 3.8-3.13 found (pyenv or python3)"
fi
for i in "${interpreters[@]}"; do
  python_suite "$i"
done

echo "total wall time: $((SECONDS - start)) s"
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
