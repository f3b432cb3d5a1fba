#!/usr/bin/env bash
# Install the Debian packages heapdiff needs to build (and with --tests, to test), and
# nothing else.
# Idempotent and silent when everything is there: demo.sh and test.sh run it every time,
# so the common case must cost one dpkg-query call (well under a second).
set -euo pipefail

packages=(
  build-essential g++ cmake ninja-build pkg-config  # toolchain (CMake >= 3.18, Ninja >= 1.10)
  ccache                                             # reuses identical compiles across build trees
  libboost-graph-dev libgraphviz-dev libcli11-dev    # graph/ and cli/
  nlohmann-json3-dev                                 # cli/: JSON output
  libzstd-dev                                        # core/: snapshots are zstd frames
  doctest-dev                                        # tests/core
  python3-dev python3-venv                           # the probe, and venvs for the default python3
  gdb                                                # heapdiff attach on CPython 3.8-3.13
)
# Only the tests need a browser (they load `heapdiff report`'s page in headless Chromium)
# and a load generator (bench/soak.py drives a gunicorn service with wrk).
[[ ${1:-} == --tests ]] && packages+=(chromium wrk)

if ! command -v dpkg-query >/dev/null 2>&1; then
  # Not Debian: say what to install, then let the build itself report what is missing.
  echo "setup.sh: no dpkg-query here; install the equivalents of: ${packages[*]}" >&2
  exit 0
fi

# One dpkg-query for all packages; a package that was never installed is reported on stderr
# and simply does not appear with "install ok installed".
installed=$(dpkg-query -W -f='${Package} ${Status}\n' "${packages[@]}" 2>/dev/null \
            | awk '$2 == "install" && $4 == "installed" { print $1 }' || true)
missing=()
for p in "${packages[@]}"; do
  grep -qxF "$p" <<<"$installed" || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "setup.sh: installing ${missing[*]}"
sudo=()
[[ $(id -u) -eq 0 ]] || sudo=(sudo)
export DEBIAN_FRONTEND=noninteractive  # CI has no stdin: never prompt
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup.sh: done"
