#!/usr/bin/env bash
# The demo: build heapdiff and install it with pip into build/venv-demo, then
#  1. run a service that leaks and snapshots itself twice; summarize both snapshots and
#     `heapdiff diff` them, so the leak shows as type growth;
#  2. run a poller whose third-party library leaks 50 KiB per iteration; `heapdiff diff
#     --group-by traceback` finds the leaking line, and the three-snapshot form separates the
#     objects that survive from the churn, and `heapdiff suspects` names what holds them;
#  3. run a test suite whose module-level error log keeps in-memory databases alive;
#     `heapdiff backrefs --type DB` prints the chain that holds one, `retained` what it
#     keeps alive, `top` the biggest retainers, and -o draws the referrers;
#  4. run a two-phase program whose tuned collector hoards cyclic trash; `heapdiff garbage`
#     counts it;
#  5. `heapdiff export` the suite's heap for Chrome DevTools' Memory tab and the poller's
#     allocation sites as a speedscope flame graph;
#  6. `heapdiff report` the poller's three snapshots into one HTML page, build/demo/report.html.
#
#   bash scripts/demo.sh [REQUESTS [ITERATIONS]]   # defaults: 5000 requests, 200 iterations
set -euo pipefail
cd "$(dirname "$0")/.."
requests=${1:-5000}
iterations=${2:-200}
venv=$PWD/build/venv-demo
out=build/demo

# "The default python3" is the caller's, so resolve it before /usr/bin goes first below.
python=$(command -v python3)

bash scripts/setup.sh

# pyenv's cmake/ninja shims fail under pyenv versions without those pip packages: pip's
# build must find Debian's cmake and ninja.
export PATH="/usr/bin:$PATH" PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1

if ! "$venv/bin/python" -c '' 2>/dev/null; then  # reuse the venv while it still works
  rm -rf "$venv"
  "$python" -m venv "$venv"
fi
export PATH="$venv/bin:$PATH" VIRTUAL_ENV=$venv

echo "== pip install . into build/venv-demo ($("$venv/bin/python" -V); the first build takes a minute)"
# A plain install, as a user makes it: the whole project, analyzer and probe, in one CMake tree
# (build/pip-<wheel tag>, pyproject.toml), so a re-run is incremental. ccache (when CMake finds
# it) shares test.sh's bounded cache in build/ccache.
export CCACHE_DIR=$PWD/build/ccache CCACHE_BASEDIR=$PWD CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-1G}
python -m pip install --quiet .

echo
echo "== python examples/leaky_service.py $requests $out"
rm -f "$out"/leak-*.hds
python examples/leaky_service.py "$requests" "$out"

for snap in "$out/leak-1.hds" "$out/leak-2.hds"; do
  echo
  echo "== heapdiff summary $snap --top 8"
  heapdiff summary "$snap" --top 8
done

# What grew between the two: the leaked Response objects and everything they hold.
echo
echo "== heapdiff diff $out/leak-1.hds $out/leak-2.hds --top 6"
heapdiff diff "$out/leak-1.hds" "$out/leak-2.hds" --top 6

echo
echo "== python examples/steady_leak.py $iterations $out"
rm -f "$out"/steady-*.hds
python examples/steady_leak.py "$iterations" "$out"

# Where the growth was allocated: tracemalloc's statistics grouped by traceback.
echo
echo "== heapdiff diff $out/steady-1.hds $out/steady-2.hds --group-by traceback --top 3"
heapdiff diff "$out/steady-1.hds" "$out/steady-2.hds" --group-by traceback --top 3

# Born between the first two snapshots and still alive in the third: the leak, not the churn.
echo
echo "== heapdiff diff $out/steady-1.hds $out/steady-2.hds $out/steady-3.hds"
heapdiff diff "$out/steady-1.hds" "$out/steady-2.hds" "$out/steady-3.hds"

# The whole hunt in one command: what holds the survivors, by name, with one chain.
echo
echo "== heapdiff suspects $out/steady-1.hds $out/steady-2.hds $out/steady-3.hds --top 1"
heapdiff suspects "$out/steady-1.hds" "$out/steady-2.hds" "$out/steady-3.hds" --top 1

echo
echo "== python examples/db_error_log/run_suite.py 16 $out"
rm -f "$out/suite.hds"
python examples/db_error_log/run_suite.py 16 "$out"

# Why is a DB still alive? The shortest chain from a module, one reference per line.
echo
# -o draws the referrers 8 levels up, as objgraph.show_backrefs would.
echo "== heapdiff backrefs $out/suite.hds --type DB --max-depth 8 -o $out/db-backrefs.png"
heapdiff backrefs "$out/suite.hds" --type DB --max-depth 8 -o "$out/db-backrefs.png"

echo
echo "== heapdiff retained $out/suite.hds --type DB"
heapdiff retained "$out/suite.hds" --type DB

echo
echo "== heapdiff top $out/suite.hds --top 6"
heapdiff top "$out/suite.hds" --top 6

echo
echo "== python examples/cyclic_trash.py $out"
rm -f "$out/trash.hds" "$out/collected.hds"
python examples/cyclic_trash.py "$out"

echo
echo "== heapdiff garbage $out/trash.hds"
heapdiff garbage "$out/trash.hds"

# The same heaps in other tools: DevTools' Memory tab (Load profile) and a flame graph.
echo
echo "== heapdiff export $out/suite.hds --format chrome -o $out/suite.heapsnapshot"
heapdiff export "$out/suite.hds" --format chrome -o "$out/suite.heapsnapshot"
echo
echo "== heapdiff export $out/steady-3.hds --format speedscope -o $out/steady-3.speedscope.json"
heapdiff export "$out/steady-3.hds" --format speedscope -o "$out/steady-3.speedscope.json"

# The whole hunt on one page to open after an incident: trend, suspects, tables.
echo
echo "== heapdiff report $out/steady-1.hds $out/steady-2.hds $out/steady-3.hds -o $out/report.html"
heapdiff report "$out/steady-1.hds" "$out/steady-2.hds" "$out/steady-3.hds" -o "$out/report.html"
