"""The example programs in examples/, run as they would be run by hand, with small known
iteration counts: `heapdiff diff` must find their leaks exactly.

examples/leaky_service.py keeps one leakylib.http.Response (with its headers dict and a
1 KiB payload) per request. examples/steady_leak.py keeps one 50 KiB body per iteration in
thirdparty/sessions.py's module-level cache, while the library's PreparedRequests are churn
(only the last HISTORY are kept).
"""

import json
import os
import subprocess
import sys

import pytest

EXAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples")
SESSIONS = os.path.join(EXAMPLES, "thirdparty", "sessions.py")
STEADY_LEAK = os.path.join(EXAMPLES, "steady_leak.py")
LEAKY_SERVICE = os.path.join(EXAMPLES, "leaky_service.py")

REQUESTS = 300  # leaky_service.py: requests per phase
ITERATIONS = 40  # steady_leak.py: iterations between snapshots
WARMUP = 20
BODY = 50 * 1024  # the body steady_leak.py's library keeps per iteration
HISTORY = 16  # thirdparty.sessions.HISTORY: PreparedRequests kept, the churn


def line_of(path, text):
    """The line number of the one line of `path` that contains `text`."""
    lines = [i for i, line in enumerate(open(path), 1) if text in line]
    assert len(lines) == 1, (path, text, lines)
    return lines[0]


def run_example(script, *args):
    r = subprocess.run([sys.executable, script, *map(str, args)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return r.stdout


def diff_json(run_cli, *args):
    r = run_cli("diff", *args, "--json")
    assert r.returncode == 0, r.stderr
    assert r.stderr == "", r.stderr  # same process, oldest first: no warning
    return json.loads(r.stdout)


def by_key(data):
    return {g["key"]: g for g in data["groups"]}


def newest_frame_is(group, path, lineno):
    frame = group["traceback"][-1]
    # Not every filename is a file: from 3.14 the standard library runs more code compiled
    # from strings at import ("<string>"), whose line numbers can coincide with `lineno`.
    return (frame["lineno"] == lineno and os.path.exists(frame["filename"]) and
            os.path.samefile(frame["filename"], path))


@pytest.fixture(scope="module")
def steady(tmp_path_factory):
    """steady_leak.py's three snapshots: after WARMUP, +ITERATIONS, +2*ITERATIONS."""
    out = tmp_path_factory.mktemp("steady")
    stdout = run_example(STEADY_LEAK, ITERATIONS, out, "--warmup", WARMUP)
    paths = [str(out / ("steady-%d.hds" % n)) for n in (1, 2, 3)]
    assert stdout.splitlines() == ["iteration %d, wrote %s" % (WARMUP + k * ITERATIONS, p)
                                   for k, p in enumerate(paths)]
    return paths


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    """leaky_service.py's two snapshots: after REQUESTS requests and after 2*REQUESTS."""
    out = tmp_path_factory.mktemp("service")
    run_example(LEAKY_SERVICE, REQUESTS, out)
    return [str(out / "leak-1.hds"), str(out / "leak-2.hds")]


def test_steady_leak_types_grow_by_one_per_iteration(run_cli, steady):
    rows = by_key(diff_json(run_cli, steady[0], steady[1]))
    response = rows["thirdparty.sessions.Response"]
    assert (response["count"], response["count_diff"], response["new"], response["freed"]) == (
        WARMUP + ITERATIONS, ITERATIONS, ITERATIONS, 0)
    # One body and one headers dict kept per iteration; the chunks and the digest's dicts are freed.
    assert rows["builtins.bytes"]["count_diff"] == ITERATIONS
    assert rows["builtins.bytes"]["size_diff"] == ITERATIONS * sys.getsizeof(bytes(BODY))
    assert rows["builtins.dict"]["count_diff"] == ITERATIONS
    # The bounded history is churn: as many PreparedRequests as before, all of them new.
    prepared = rows["thirdparty.sessions.PreparedRequest"]
    assert (prepared["count"], prepared["count_diff"], prepared["new"], prepared["freed"]) == (
        HISTORY, 0, HISTORY, HISTORY)
    # The top row by size is the leaked bodies.
    assert diff_json(run_cli, steady[0], steady[1])["groups"][0]["key"] == "builtins.bytes"


def test_steady_leak_lineno_is_the_leaking_line_in_the_library(run_cli, steady):
    data = diff_json(run_cli, steady[0], steady[1], "--group-by", "lineno")
    top = data["groups"][0]
    assert newest_frame_is(top, SESSIONS, line_of(SESSIONS, 'content = b"".join(chunks)'))
    assert top["count_diff"] == ITERATIONS
    assert top["size_diff"] >= ITERATIONS * BODY
    assert top["size_diff"] == ITERATIONS * sys.getsizeof(bytes(BODY))
    assert top["walked_size"] == top["size"]  # every byte of it is a walked object, the bodies
    # The next biggest growth is a small fraction of it.
    assert abs(data["groups"][1]["size_diff"]) < top["size_diff"] // 20


def test_steady_leak_traceback_leads_from_the_application_into_the_library(run_cli, steady):
    data = diff_json(run_cli, steady[0], steady[1], "--group-by", "traceback")
    tb = data["groups"][0]["traceback"]
    assert newest_frame_is({"traceback": tb}, SESSIONS, line_of(SESSIONS, 'content = b"".join(chunks)'))
    poll = line_of(STEADY_LEAK, "response = session.get(")
    assert any(f["lineno"] == poll and os.path.samefile(f["filename"], STEADY_LEAK) for f in tb), tb
    r = run_cli("diff", steady[0], steady[1], "--group-by", "traceback", "--top", "3", "--no-color")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[1].startswith("#1 ") and r.stdout.splitlines()[1].endswith(
        "walked objects explain 100%")
    assert 'content = b"".join(chunks)  # the 50 KiB body that _revalidation_cache keeps' in r.stdout
    assert "... " in r.stdout and "more rows (--top)" in r.stdout


def test_steady_leak_survivors_exclude_the_churn(run_cli, steady):
    data = diff_json(run_cli, *steady)
    rows = by_key(data)
    # Born between snapshots 1 and 2 and still alive in 3: exactly the leaked objects.
    assert rows["thirdparty.sessions.Response"]["count"] == ITERATIONS
    assert rows["builtins.bytes"]["count"] == ITERATIONS
    assert rows["builtins.bytes"]["size"] == ITERATIONS * sys.getsizeof(bytes(BODY))
    assert rows["builtins.dict"]["count"] == ITERATIONS
    assert "thirdparty.sessions.PreparedRequest" not in rows
    # Every other group is a leaked object's part too: no churn survives. Its count is a lower
    # bound (docs/DIFF.md, "Address reuse": a small str the same line allocated, freed after the
    # first snapshot and its address taken by a leaked one, reads as the same object; seen once
    # on 3.12, 39 of 40): at most ITERATIONS, and never fewer than one or two short.
    assert all(ITERATIONS - 2 <= g["count"] <= ITERATIONS for g in data["groups"]), data["groups"]
    # The churn: each PreparedRequest alive in snapshot 2, and its headers dict.
    assert data["churn"]["count"] >= 2 * HISTORY
    r = run_cli("diff", *steady, "--no-color")
    assert "excluded as churn: " in r.stdout


def test_leaky_service_types_grow_by_one_per_request(run_cli, service):
    rows = by_key(diff_json(run_cli, *service))
    response = rows["leakylib.http.Response"]
    assert (response["count"], response["count_diff"], response["new"], response["freed"]) == (
        2 * REQUESTS, REQUESTS, REQUESTS, 0)
    # One payload per request. leaky_service.py dumps without collect=True, so a few bytes
    # objects of garbage cycles left by the start-up (code objects' bytecode, on 3.8-3.10)
    # may be collected between the snapshots: exact for the new ones, not the net count.
    assert rows["builtins.bytes"]["new"] == REQUESTS
    assert REQUESTS - 10 <= rows["builtins.bytes"]["count_diff"] <= REQUESTS
    # Each Response's headers dict (and before 3.11 its __dict__ too).
    assert rows["builtins.dict"]["new"] >= REQUESTS


def test_leaky_service_lineno_is_the_payload_line(run_cli, service):
    data = diff_json(run_cli, *service, "--group-by", "lineno")
    top = data["groups"][0]
    assert newest_frame_is(top, LEAKY_SERVICE, line_of(LEAKY_SERVICE, "return body.ljust(PAYLOAD_SIZE)"))
    assert top["count_diff"] == REQUESTS
    assert top["size_diff"] == REQUESTS * sys.getsizeof(bytes(1024))
    # The list that keeps them grew at the append in leakylib/cache.py.
    cache = os.path.join(EXAMPLES, "leakylib", "cache.py")
    append = line_of(cache, "_debug_history.append(response)")
    rows = [g for g in data["groups"] if newest_frame_is(g, cache, append)]
    assert len(rows) == 1 and rows[0]["size_diff"] >= REQUESTS * 8


def suspects_json(run_cli, *snapshots):
    r = run_cli("suspects", *snapshots, "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)["suspects"]


def test_steady_leak_suspects_name_the_librarys_cache(run_cli, steady):
    suspects = suspects_json(run_cli, *steady)
    top = suspects[0]
    assert (top["kind"], top["type"], top["count"], top["holder"]["name"]) == (
        "held", "thirdparty.sessions.Response", ITERATIONS, "thirdparty.sessions._revalidation_cache")
    bodies = next(h for h in top["holds"] if h["type"] == "builtins.bytes")
    assert (bodies["count"], bodies["size"]) == (ITERATIONS, ITERATIONS * sys.getsizeof(bytes(BODY)))
    frame = top["allocated"][0]  # most recent call first: the library's line
    assert frame["lineno"] == line_of(SESSIONS, "response = Response(") and os.path.samefile(frame["filename"], SESSIONS)
    # Whatever else came up is small change next to it.
    assert all(s["retained"] < top["retained"] // 20 for s in suspects[1:])


def test_leaky_service_suspects_name_the_debug_history(run_cli, service):
    suspects = suspects_json(run_cli, *service)
    top = suspects[0]
    assert (top["kind"], top["type"], top["holder"]["name"]) == (
        "held", "leakylib.http.Response", "leakylib.cache._debug_history")
    # The last few are also in the bounded cache, so _debug_history alone does not hold
    # them: they cluster apart. Together, one Response per request.
    assert REQUESTS - 64 <= top["count"] <= REQUESTS
    assert sum(s["count"] for s in suspects if s["type"] == "leakylib.http.Response") == REQUESTS
    frame = top["allocated"][0]
    assert frame["lineno"] == line_of(LEAKY_SERVICE, "response = Response(")
    assert top["next"][0].startswith("heapdiff backrefs %s --address 0x" % service[1])
