"""The judging half of ``pytest --heapdiff``: from the snapshots taken after each run of a
test, whether it leaks and what holds the leak, by running the ``heapdiff`` command (diff,
suspects, backrefs) on them. It runs in a process of its own beside pytest
(``python -m heapdiff_pytest.judge RESULTS``, one request per line on stdin, one JSON result
per line in RESULTS), so the analysis of one test overlaps the runs of the next and none
of its objects lands in the heap being measured; with --heapdiff-fail the verdict is needed
before the test's report, and pytest's process calls judge() itself.
"""

import json
import os
import sys

from heapdiff import _analyzer



def _types(path):
    """{type: (count, size)} of one snapshot (heapdiff summary --json: every type)."""
    data = _analyzer.run("summary", _analyzer.file_arg(path), "--json")
    return {t["type"]: (t["count"], t["size"]) for t in data["types"]}


# Types of the interpreter and of pytest itself: they grow with a leak (a leaked traceback
# keeps pytest's frames and their locals) but are not what the reader looks for first.
_RUNNER_MODULES = ("builtins.", "_pytest.", "pluggy.", "_io.", "types.", "collections.")


def _program_first(growing):
    """The program's own types first (a leaked DB says more than its bytearrays or pytest's
    CallInfos), then by size growth; ties by name."""
    runner = growing["type"].startswith(_RUNNER_MODULES)
    return (runner, -(growing["sizes"][-1] - growing["sizes"][0]), growing["type"])


def judge(test, paths, allow):
    """The leak report of one test from the snapshots after each of its runs, or None."""
    # Per type, the count and size after each run: one summary per snapshot (each file is
    # read once; a diff per pair would read the middle ones twice).
    per_run = [_types(p) for p in paths]
    growing = []
    for key in per_run[-1]:
        rows = [d.get(key, (0, 0)) for d in per_run]
        # More of it after every run than after the one before (the first is the warm-up).
        if all(later[0] - earlier[0] > allow.get(key, 0) for earlier, later in zip(rows, rows[1:])):
            growing.append({"type": key, "counts": [r[0] for r in rows], "sizes": [r[1] for r in rows]})
    if not growing:
        return None
    growing.sort(key=_program_first)
    suspects = _analyzer.run("suspects", *[_analyzer.file_arg(p) for p in paths], "--json", "--top", "0",
                             "--holds", "0")["suspects"]
    # What holds the leak: for each growing type, in that order, the suspect that holds the
    # most of it (born in the runs and alive after all of them), and one of its objects.
    holders, seen = [], set()
    suspects = [sp for sp in suspects if not _runner_bookkeeping(sp, lambda a: _referent_types(paths[-1], a))]
    for g in growing:
        if holders and _program_first(g)[0]:
            break
        best = None
        for sp in suspects:
            held = next((h for h in sp["holds"] if h["type"] == g["type"] and h.get("example")), None)
            if held is None and sp["type"] == g["type"]:  # cyclic trash lists no holds: its members
                held = {"type": sp["type"], "count": sp["count"], "size": sp["retained"],
                        "example": sp["representative"]}
            if held and sp["chain"] and (best is None or held["count"] > best[1]["count"]):
                best = (sp, held)
        if best is None or id(best[0]) in seen:
            continue
        seen.add(id(best[0]))
        holders.append(_holder(paths[-1], best[0], best[1]))
        if len(holders) == 3 or _program_first(g)[0]:
            break  # one holder of a builtin or pytest type at most, and only without the program's
    if not holders:
        return None  # grew, but nothing born in the runs survived them all
    return {"test": test, "growing": growing, "holders": holders, "snapshots": list(paths)}


def _runner_bookkeeping(suspect, referent_types):
    """Objects pytest itself keeps per run: a function-scoped fixture that uses a wider one
    (tmp_path uses tmp_path_factory) leaves a finalizer on the wider one, with its request,
    until that one is torn down, for every test and every run. Their chain passes through
    pytest's own objects (the session, its fixture manager); the test's leaks do not.
    Some of them are held from C only, where no chain can show it: under xdist (1 run in
    5 here) a born bound method, in all likelihood `FixtureDef.finish` (a value left on a
    running frame's stack), was such an orphan. An orphan that holds or refers to pytest's
    objects is pytest's. `referent_types(address)`: the types an object refers to."""
    if any(hop["type"].startswith(_RUNNER_OBJECTS) for hop in suspect["chain"]):
        return True
    if suspect["kind"] != "orphan":
        return False
    types = [h["type"] for h in suspect["holds"]] + referent_types(suspect["representative"]["address"])
    return any(t.startswith(_RUNNER_OBJECTS) for t in types)


def _referent_types(path, address):
    try:
        found = _analyzer.run("refs", _analyzer.file_arg(path), "--address", address, "--json")
    except _analyzer.AnalyzerError:
        return []
    return [r["type"] for r in found.get("refs", [])]


# pytest and its plugins' own objects; not builtins, whose frames hold the test's leaks too.
_RUNNER_OBJECTS = ("_pytest.", "pluggy.", "xdist.", "execnet.")


def _holder(path, suspect, held):
    """One suspect, seen from one object of the growing type it holds: its name and the
    labelled chain from a module down to it (heapdiff backrefs)."""
    example = held["example"]
    chain = []
    if suspect["kind"] == "held":
        found = _analyzer.run("backrefs", _analyzer.file_arg(path), "--address", example["address"], "--json")
        if found.get("chains"):
            chain = [{"edge": h["edge"], "label": h["label"], "type": h["type"], "address": h["address"]}
                     for h in found["chains"][0]]
    if not chain:  # trash (the cycle) or an orphan (itself): the suspect's own chain
        chain = [{"edge": h["edge"], "label": h["label"], "type": h["type"], "address": h["address"]}
                 for h in suspect["chain"]]
    return {"kind": suspect["kind"], "type": held["type"], "count": held["count"], "size": held["size"],
            "name": example.get("name"), "holder": (suspect["holder"] or {}).get("name"),
            "chain": chain, "allocated": suspect["allocated"]}


def serve(requests, results_path):
    """Judge each request (a JSON line: test, paths, allow, keep) in turn; append one JSON
    line per test to `results_path`: {"test", "leak"} or {"test", "error"}. Removes the
    snapshots afterwards unless `keep`. Ends at {"end": true}, or at the end of input."""
    with open(results_path, "a", encoding="utf-8") as out:
        for line in requests:
            if not line.strip():
                continue
            request = json.loads(line)
            if request.get("end"):
                break  # pytest's last request (a forked child may hold our input open forever)
            try:
                result = {"test": request["test"], "leak": judge(request["test"], request["paths"], request["allow"])}
            except _analyzer.AnalyzerError as e:
                result = {"test": request["test"], "error": str(e)}
            if result.get("leak") is not None and not request["keep"]:
                del result["leak"]["snapshots"]
            out.write(json.dumps(result) + "\n")
            out.flush()
            if not request["keep"]:
                for path in request["paths"]:
                    _analyzer.remove(path)


if __name__ == "__main__":
    try:
        serve(sys.stdin, sys.argv[1])
    except KeyboardInterrupt:  # Ctrl-C in the terminal reaches us too: pytest says it was interrupted
        sys.exit(130)
