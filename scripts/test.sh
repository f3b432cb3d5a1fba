#!/usr/bin/env bash
# The test command. Builds the C++ project in build/ and runs its CTest suite, then for every
# supported CPython (3.8-3.13) installs the project with pip into build/venv-<version> and
# runs tests/python with pytest, then does the same for CPython 3.14 and 3.15 inside a Debian
# sid chroot (made on first use, see sid_suites below). The analyzer (core, graph, cli) is
# compiled once per environment and installed into build/analyzer/<host|sid>; each pip install
# imports it and compiles only the probe (HACKING.md, "Build and test"). Prints one line per
# suite, then each step's time, the wall time, then "N passed, M failed" as the last line.
# Exits non-zero if any suite failed or ran no test.
#
#   HEAPDIFF_TEST_PYTHONS="3.11.7 3.13.0" bash scripts/test.sh   # only these pyenv versions
#   HEAPDIFF_TEST_SID=0 bash scripts/test.sh                     # not 3.14/3.15 (quicker, locally)
#   HEAPDIFF_SID_ROOT=/path bash scripts/test.sh                 # chroot elsewhere
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
start=$SECONDS

bash scripts/setup.sh --tests

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

# ccache (CMakeLists.txt puts it in front of every compile when it finds it), settings by
# environment so they hold for every compile below, pip's included: the cache in build/ccache
# (a fresh clone starts cold; CI's cache of build/ stays under max_size), base_dir the checkout
# (paths below it are hashed relative, so the same compile in two build trees of equal depth,
# build/pip-<tag>, hits).
export CCACHE_DIR=$root/build/ccache CCACHE_BASEDIR=$root CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-1G}

# step_time NAME SECONDS: one row of the step-time table printed at the end.
step_times=()
step_time() { step_times+=("$(printf '%-30s %5s s' "$1" "$2")"); }

# --- gdb for attach on 3.8-3.13. ------------------------------------------------------------
# Debian 12's gdb 13 cannot restore a thread's extended register state on CPUs with AMX
# (PTRACE_SETREGSET fails: "Couldn't write extended state status"), and the target of its
# inferior call then dies; `heapdiff attach` refuses such a gdb there (attach_injectors.cpp).
# Where the gdb in PATH is older than 14, the suites get gdb 18 from PyPI's gdb-for-pwndbg (a
# prebuilt binary) in build/gdb-venv, first in PATH through build/gdb-bin (gdb alone: the venv's
# python3 must not shadow anyone's).
gdb_for_tests() {
  local major
  major=$(gdb --version 2>/dev/null | sed -n '1s/.* \([0-9][0-9]*\)\.[0-9].*/\1/p')
  [[ -n $major && $major -ge 14 ]] && return 0
  local venv=$root/build/gdb-venv
  if [[ ! -x $venv/bin/gdb ]] || ! "$venv/bin/gdb" --version >/dev/null 2>&1; then
    rm -rf "$venv"
    /usr/bin/python3 -m venv "$venv" && "$venv/bin/python" -m pip install --quiet 'gdb-for-pwndbg>=14' ||
      { echo "could not install gdb-for-pwndbg: attach tests on 3.8-3.13 will use $(command -v gdb)"; return 0; }
  fi
  mkdir -p "$root/build/gdb-bin" && ln -sfn "$venv/bin/gdb" "$root/build/gdb-bin/gdb"
  export PATH="$root/build/gdb-bin:$PATH"
}
mkdir -p build
gdb_for_tests

# --- C++: configure, build, install the analyzer, ctest. --------------------------------------
# Release with assertions on (no -DNDEBUG), -O2: these flags also make the analyzer every host
# suite's pip install links (the probe is left out here: every pip install builds it, against
# each interpreter's own headers) and the sid chroot's analyzer (sid_suites). Both compile the
# analyzer, never import one (an empty HEAPDIFF_ANALYZER_PREFIX).
analyzer_flags="-DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE=-O2 -DCMAKE_C_FLAGS_RELEASE=-O2 -DHEAPDIFF_ANALYZER_PREFIX="
host_analyzer=  # build/analyzer/host once installed from this run's build; empty: pip builds it all

# analyzer_install BUILD_DIR PREFIX: the shell command that installs a built analyzer into
# PREFIX (made afresh: nothing of an older install can remain; `cmake --install` keeps each
# file's time, so the probe builds recompile only what really changed).
analyzer_install() { echo "rm -rf '$2' && cmake --install '$1' --prefix '$2'"; }

ctest_suite() {
  local log=$logs/ctest.log t0=$SECONDS
  # A cache left by another CMake (pip's cmake under pyenv) or another generator cannot be
  # reused by this one: start that build tree afresh rather than fail.
  if [[ -f build/CMakeCache.txt ]] &&
     ! { grep -qxF "CMAKE_COMMAND:INTERNAL=$(command -v cmake)" build/CMakeCache.txt &&
         grep -qxF "CMAKE_GENERATOR:INTERNAL=Ninja" build/CMakeCache.txt; }; then
    rm -rf build/CMakeCache.txt build/CMakeFiles
  fi
  # shellcheck disable=SC2086
  if ! cmake -S . -B build -G Ninja $analyzer_flags \
         -DHEAPDIFF_BUILD_TESTS=ON -DHEAPDIFF_BUILD_PROBE=OFF >"$log" 2>&1; then
    report FAIL ctest "cmake configure failed" "$log"; return
  fi
  # Always built and installed before any pip install: a changed source is in the analyzer
  # the suites import (ninja rebuilds only what changed).
  if ! cmake --build build >>"$log" 2>&1; then
    report FAIL ctest "C++ build failed" "$log"; return
  fi
  local build_s=$((SECONDS - t0)) t1=$SECONDS
  step_time "ctest build" "$build_s"
  if bash -c "$(analyzer_install build "$root/build/analyzer/host")" >>"$log" 2>&1; then
    host_analyzer=$root/build/analyzer/host
  else
    report FAIL analyzer "cmake --install of the host analyzer failed" "$log"
  fi
  step_time "analyzer install (host)" $((SECONDS - t1))
  local t2=$SECONDS rc=0
  (cd build && ctest --output-on-failure --no-tests=error) >>"$log" 2>&1 || rc=$?
  step_time "ctest tests" $((SECONDS - t2))
  local line
  line=$(grep -E 'tests passed|No tests were found' "$log" | tail -n 1 || true)
  if [[ $rc -eq 0 ]]; then
    report ok ctest "${line:-passed}  (build ${build_s} s, tests $((SECONDS - t2)) s)"
  else
    report FAIL ctest "ctest exit $rc: ${line:-no summary}" "$log"
  fi
}

# --- Python: venv, pip install .[test], pytest. ----------------------------------------------
# in_env CMD: runs the shell command CMD in the checkout, on the host, or (python_suite's
# second argument "sid") inside the sid chroot.
in_env() {
  if [[ $where == sid ]]; then
    local pass=()
    [[ -z ${CMAKE_BUILD_PARALLEL_LEVEL:-} ]] || pass+=("CMAKE_BUILD_PARALLEL_LEVEL=$CMAKE_BUILD_PARALLEL_LEVEL")
    # The caller's environment (as the host suites get it: e.g. PYTHONUNBUFFERED), but the
    # chroot's PATH and pip settings valid inside.
    chroot "$sid_root" env -u VIRTUAL_ENV -u PIP_FIND_LINKS -u PIP_INDEX_URL -u PIP_EXTRA_INDEX_URL \
      -u PIP_CERT -u PIP_CONFIG_FILE -u SSL_CERT_FILE -u SSL_CERT_DIR -u REQUESTS_CA_BUNDLE -u CURL_CA_BUNDLE HOME=/root PATH=/usr/local/bin:/usr/bin:/bin \
      PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 "${pip_env[@]}" "${pass[@]}" \
      CCACHE_DIR=/work/heapdiff/build/ccache CCACHE_BASEDIR=/work/heapdiff \
      bash -c "cd /work/heapdiff && $1"
  else
    bash -c "cd '$root' && $1"
  fi
}

# python_suite VERSION=PYTHON [host|sid] [ANALYZER_PREFIX]: one interpreter's suite. With a
# prefix (an analyzer installed by this run) pip compiles only the probe and copies that
# analyzer's `heapdiff` into the venv; without one it builds everything.
python_suite() {
  local ver=${1%%=*} python=${1#*=} where=${2:-host} prefix=${3:-}
  local name="python $ver" venv=$root/build/venv-$ver log=$logs/python-$ver.log t0=$SECONDS
  [[ $where == sid ]] && venv=/work/heapdiff/build/venv-sid-${ver%.*}
  : >"$log"
  # Reuse the venv while its interpreter still runs (it breaks if pyenv's version went away).
  if ! in_env "'$venv/bin/python' -c ''" 2>/dev/null; then
    if ! in_env "rm -rf '$venv' && '$python' -m venv '$venv'" >>"$log" 2>&1; then
      report FAIL "$name" "could not create $venv" "$log"; return
    fi
  fi
  # No build isolation: the build backend is installed once into the venv instead of into a
  # fresh temporary env on every run, and the CMake tree in build/pip-<wheel tag> (set in
  # pyproject.toml) is reused, so a re-run only recompiles what changed.
  local import=
  [[ -z $prefix ]] || import="--config-settings=cmake.define.HEAPDIFF_ANALYZER_PREFIX=$prefix"
  if ! in_env "export PATH='$venv/bin':\$PATH VIRTUAL_ENV='$venv'
        { python -c 'import scikit_build_core' 2>/dev/null ||
            python -m pip install --quiet 'scikit-build-core>=0.10'; } &&
        python -m pip install --quiet --no-build-isolation $import '.[test]'" >>"$log" 2>&1; then
    report FAIL "$name" "pip install failed after $((SECONDS - t0)) s" "$log"; return
  fi
  # The venv's command is this tree's: the analyzer's own file when imported, and its version
  # is the probe's.
  if ! in_env "export PATH='$venv/bin':\$PATH
        [[ \$(command -v heapdiff) == '$venv/bin/heapdiff' ]] || { echo 'heapdiff in PATH is not the venv one'; exit 1; }
        [[ -z '$prefix' ]] || cmp '$venv/bin/heapdiff' '$prefix/bin/heapdiff' ||
          { echo 'the venv heapdiff is not the analyzer in $prefix'; exit 1; }
        cmd=\$(heapdiff --version) && probe=\$(python -c 'import heapdiff; print(heapdiff.__version__)') &&
        [[ \$cmd == \"heapdiff \$probe \"* ]] || { echo \"heapdiff --version says '\$cmd', the probe '\$probe'\"; exit 1; }" >>"$log" 2>&1; then
    report FAIL "$name" "the installed heapdiff is not this build's" "$log"; return
  fi
  local build_s=$((SECONDS - t0)) rc=0
  # The venv's bin/ first, so tests that run the `heapdiff` command get this build's.
  local long=0
  [[ $ver == "${long_version:-}" ]] && long=1
  in_env "export PATH='$venv/bin':\$PATH VIRTUAL_ENV='$venv' HEAPDIFF_TEST_LONG=$long
          python -m pytest tests/python -q" >>"$log" 2>&1 || rc=$?
  local line n_passed
  line=$(grep -E '[0-9]+ (passed|failed|errors?|skipped)|no tests ran' "$log" | tail -n 1 |
         sed 's/=//g; s/^ *//; s/ *$//' || true)
  # No summary (pytest stopped early, e.g. conftest failed to import): show the first error.
  [[ -n $line ]] || line=$(grep -m 1 -E '^E ' "$log" | sed 's/^E *//' || true)
  n_passed=$(grep -oE '[0-9]+ passed' <<<"$line" | grep -oE '[0-9]+' || echo 0)
  local times="(install ${build_s} s, tests $((SECONDS - t0 - build_s)) s)"
  step_time "$name install" "$build_s"
  step_time "$name tests" $((SECONDS - t0 - build_s))
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

# --- Python 3.14 and 3.15: a Debian sid chroot. -----------------------------------------------
# pyenv has no 3.14/3.15 here; Debian sid packages both (with -dev headers). The chroot lives in
# /var/tmp/heapdiff-sid, outside the checkout: it is ~600 MB that `rm -rf build` or a fresh
# clone should not throw away (making it takes minutes), every clone and worktree on the machine
# shares it, and /var/tmp survives reboots where /tmp may not. Made once (debootstrap, then
# apt-get); a marker file says it is complete, so a run that was interrupted starts it again.
# The checkout is bind-mounted at /work/heapdiff inside, with /proc (tests read /proc/self),
# /dev/pts (tests open a pty),
# and the host's pip index directories (file:// indexes, find-links) read-only at their own
# paths; a trap unmounts all of it however the run ends.
sid_root=${HEAPDIFF_SID_ROOT:-/var/tmp/heapdiff-sid}
sid_pythons="3.14 3.15"
sid_packages="python3.14 python3.14-dev python3.14-venv python3.15 python3.15-dev python3.15-venv
  g++ cmake ninja-build pkg-config libboost-graph-dev libgraphviz-dev libcli11-dev libzstd-dev
  nlohmann-json3-dev doctest-dev ca-certificates graphviz chromium"  # graphviz: its trigger writes the plugin config (config8); chromium: the report's browser test
sid_apt=(-o Acquire::Check-Valid-Until=false)  # the mirror's sid Release file may be expired
sid_mounts=()

sid_unmount() {
  local i
  for ((i = ${#sid_mounts[@]} - 1; i >= 0; i--)); do
    umount "${sid_mounts[i]}" 2>/dev/null || umount -l "${sid_mounts[i]}" 2>/dev/null || true
  done
  sid_mounts=()
}

sid_mount() {  # sid_mount SRC DEST_IN_CHROOT [ro]
  local dest=$sid_root$2
  mkdir -p "$dest"
  # A mount left by a run that was killed may bind another checkout: never reuse one.
  if mountpoint -q "$dest"; then umount "$dest" 2>/dev/null || umount -l "$dest" || return 1; fi
  mount --bind "$1" "$dest" || return 1
  sid_mounts+=("$dest")
  [[ ${3:-} != ro ]] || mount -o remount,bind,ro "$dest" || true
}

# The Debian mirror this machine's apt uses (deb822 .sources or sources.list, as apt reads
# them), or HEAPDIFF_DEBIAN_MIRROR: the chroot comes from where the host's packages come
# from, so no package host is written here. The first source of a main suite (not -updates
# or -security).
debian_mirror() {
  if [[ -n ${HEAPDIFF_DEBIAN_MIRROR:-} ]]; then echo "$HEAPDIFF_DEBIAN_MIRROR"; return; fi
  apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 'Created-By: Packages' 2>/dev/null |
    awk '$2 !~ /-/ { print $1; exit }'
}

sid_create() {  # quiet when the chroot is there; its log otherwise
  # The marker holds the package list: a list changed here installs the difference.
  [[ -f $sid_root/.heapdiff-ready && $(<"$sid_root/.heapdiff-ready") == "$sid_packages" ]] && return 0
  local log=$1
  echo "making the Debian sid chroot in $sid_root (once; log: $log)"
  {
    export DEBIAN_FRONTEND=noninteractive
    if ! command -v debootstrap >/dev/null; then
      apt-get update && apt-get install -y --no-install-recommends debootstrap || return 1
    fi
    if [[ ! -x $sid_root/usr/bin/apt-get ]]; then
      rm -rf "$sid_root"
      local mirror
      mirror=$(debian_mirror)
      [[ -n $mirror ]] || { echo "no Debian mirror in apt's sources: set HEAPDIFF_DEBIAN_MIRROR"; return 1; }
      debootstrap --variant=minbase sid "$sid_root" "$mirror" || return 1
    fi
    cp /etc/resolv.conf "$sid_root/etc/resolv.conf"
    sid_mount /proc /proc || return 1
    chroot "$sid_root" apt-get "${sid_apt[@]}" update || return 1
    # shellcheck disable=SC2086
    chroot "$sid_root" env DEBIAN_FRONTEND=noninteractive apt-get "${sid_apt[@]}" install -y \
      --no-install-recommends $sid_packages || return 1
    printf '%s' "$sid_packages" >"$sid_root/.heapdiff-ready"
  } </dev/null >"$log" 2>&1
}

# The host's pip settings (index, extra index, find-links, CA bundle) carried into the chroot:
# prints the environment for pip inside and bind-mounts local index directories.
sid_pip_env() {
  local key val url path out=()
  # The host's CA bundle (a proxy's CA may be only there), under its own name.
  # pip's TLS (requests, or truststore with the system store) honours SSL_CERT_FILE and
  # REQUESTS_CA_BUNDLE too, which the host may set to its own paths: all three name it.
  if [[ -f /etc/ssl/certs/ca-certificates.crt ]]; then
    cp /etc/ssl/certs/ca-certificates.crt "$sid_root/etc/ssl/certs/heapdiff-host-ca.crt"
    out+=("PIP_CERT=/etc/ssl/certs/heapdiff-host-ca.crt" "SSL_CERT_FILE=/etc/ssl/certs/heapdiff-host-ca.crt"
          "REQUESTS_CA_BUNDLE=/etc/ssl/certs/heapdiff-host-ca.crt")
  fi
  local py
  py=$(command -v python3 || true)
  [[ -n $py ]] || { echo "${out[*]}"; return; }
  while IFS='=' read -r key val; do
    val=${val#\'}; val=${val%\'}
    case ${key##*.} in
      index-url|extra-index-url|find-links) ;;
      *) continue ;;
    esac
    local kept=() dir
    for url in $val; do
      path=${url#file://}
      if [[ $path == /* ]]; then
        [[ -d $path ]] || continue
        # A local "simple" index links its files by relative paths beside it
        # (/opt/pypi/simple/x/index.html -> ../../files/x.whl): mount its parent.
        dir=$path
        [[ ${key##*.} == find-links ]] || dir=$(dirname "$path")
        if ! mountpoint -q "$sid_root$dir" || [[ " ${sid_mounts[*]} " != *" $sid_root$dir "* ]]; then
          sid_mount "$dir" "$dir" ro || continue
        fi
      fi
      kept+=("$url")
    done
    [[ ${#kept[@]} -gt 0 ]] || continue
    key=${key##*.}; key=PIP_${key//-/_}
    out+=("${key^^}=${kept[*]}")
  done < <("$py" -m pip config list 2>/dev/null)
  printf '%s\n' "${out[@]}"
}

sid_suites() {
  local log=$logs/sid-chroot.log
  if [[ $(id -u) -ne 0 ]]; then
    for v in $sid_pythons; do report FAIL "python $v" "the sid chroot needs root"; done; return
  fi
  trap sid_unmount EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  if ! sid_create "$log"; then
    for v in $sid_pythons; do report FAIL "python $v" "could not make the sid chroot" "$log"; done
    sid_unmount; return
  fi
  # /dev/pts for the tests that open a pseudo-terminal (the chroot's own /dev/ptmx node
  # finds its sibling pts/).
  sid_mount /proc /proc && sid_mount /dev/pts /dev/pts && sid_mount "$root" /work/heapdiff || {
    for v in $sid_pythons; do report FAIL "python $v" "could not bind-mount into $sid_root"; done
    sid_unmount; return; }
  cp /etc/resolv.conf "$sid_root/etc/resolv.conf" 2>/dev/null || true
  local pip_env=()
  # Not in a subshell: its bind mounts must reach sid_mounts to be undone.
  sid_pip_env >"$logs/sid-pip-env"
  mapfile -t pip_env <"$logs/sid-pip-env"
  # One analyzer for both sid suites, built inside the chroot: its g++, libstdc++, Boost and
  # zstd are not the host's, so the host's install cannot serve it.
  local sid_analyzer= t0=$SECONDS alog=$logs/analyzer-sid.log where=sid
  if in_env "cmake -S . -B build/analyzer-build-sid -G Ninja $analyzer_flags \
               -DHEAPDIFF_BUILD_TESTS=OFF -DHEAPDIFF_BUILD_PROBE=OFF &&
             cmake --build build/analyzer-build-sid &&
             $(analyzer_install build/analyzer-build-sid /work/heapdiff/build/analyzer/sid)" >"$alog" 2>&1; then
    sid_analyzer=/work/heapdiff/build/analyzer/sid
  else
    report FAIL "sid analyzer" "build or install in the chroot failed" "$alog"
  fi
  step_time "analyzer build+install (sid)" $((SECONDS - t0))
  for v in $sid_pythons; do
    local py=/usr/bin/python$v full
    if ! full=$(chroot "$sid_root" "$py" -c 'import platform; print(platform.python_version())' 2>/dev/null); then
      report FAIL "python $v" "no $py in $sid_root"; continue
    fi
    # python_suite, run inside the chroot with the chroot's own PATH; its venv is
    # build/venv-sid-<version> (made by that interpreter, so not runnable from the host).
    python_suite "$full=$py" sid "$sid_analyzer"
  done
  sid_unmount
  trap - EXIT INT TERM
}

# The long versions of the tests that can be (tests/python/test_probe_no_leak.py's 2,000
# dumps, the 60-second soak) run on one interpreter, the newest host one if it is 3.12 or
# later: every other suite runs the short ones. (On 3.8 with tracemalloc, the bytes malloc
# has handed out creep up by 40-60 KB over 2,000 dumps, tracemalloc's tables emptied, at the
# 2,000-dump bound of 64 KiB; 20-26 KB over the 160 measured dumps of the short run.)
long_version=
if [[ ${#interpreters[@]} -gt 0 && ${interpreters[-1]%%=*} =~ ^3\.1[2-9] ]]; then
  long_version=${interpreters[-1]%%=*}
fi

ctest_suite
if [[ ${#interpreters[@]} -eq 0 ]]; then
  report FAIL python "no CPython 3.8-3.13 found (pyenv or python3)"
fi
for i in "${interpreters[@]}"; do
  python_suite "$i" host "$host_analyzer"
done
[[ ${HEAPDIFF_TEST_SID:-1} == 0 ]] || sid_suites

echo "step times:"
printf '  %s\n' "${step_times[@]}"
echo "total wall time: $((SECONDS - start)) s"
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
