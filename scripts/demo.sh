#!/usr/bin/env bash
# The demo: build heapdiff and install it with pip into build/venv-demo, run a service that
# leaks and snapshots itself twice, then summarize both snapshots so the leak shows as growth.
#
#   bash scripts/demo.sh [REQUESTS]   # requests per phase, default 5000
set -euo pipefail
cd "$(dirname "$0")/.."
requests=${1:-5000}
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
# The CMake tree lives in build/pip-<wheel tag> (pyproject.toml), so a re-run is incremental.
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

# The two summaries side by side, reduced to what changed: the leak should be the top rows.
echo
echo "== growth from leak-1 to leak-2 (heapdiff summary --json, top 5 by bytes)"
python - "$out/leak-1.hds" "$out/leak-2.hds" <<'PY'
import json, subprocess, sys

def types(path):
    out = subprocess.check_output(["heapdiff", "summary", "--json", path])
    return {t["type"]: t for t in json.loads(out)["types"]}

before, after = types(sys.argv[1]), types(sys.argv[2])
zero = {"count": 0, "size": 0}
growth = [(t["size"] - before.get(name, zero)["size"], t["count"] - before.get(name, zero)["count"], name)
          for name, t in after.items()]
print("{:>14} {:>14}  {}".format("objects", "bytes", "type"))
for size, count, name in sorted(growth, reverse=True)[:5]:
    print("{:>+14,} {:>+14,}  {}".format(count, size, name))
PY
