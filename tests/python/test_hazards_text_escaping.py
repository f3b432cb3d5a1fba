"""Heap text never reaches the terminal raw.

Dict keys, str values, type, module and file names, frame names and labels are often
chosen by whoever talks to the process (HTTP headers, cache keys). Printed raw, a newline
in a dict key forged extra lines in a chain that must read one line per reference, and
\\r or an escape sequence rewrote the terminal. Every text output now escapes them like
Python's repr (\\n, \\r, \\x1b, \\u0085), and every JSON output escapes them as JSON does,
so json.loads gives the text back exactly. The snapshots are real: a child process builds
a heap full of such text and dumps it with the probe.
"""

import json
import subprocess
import sys

import pytest

from conftest import cli_path

EVIL_KEY = "evil\nmodule x -> fake\r\x1b[31mred"
BIDI_KEY = "\u202eyek\u0085"  # a right-to-left override, a C1 control (NEL)
WEIRD_MODULE = "evil\nmod\x1b[0m"
WEIRD_CLASS = "A\nB\x07"  # type("A\nB", ...): a class named with a newline (and a bell)
FRAME_NAME = "run\nfake"
FILENAME = "evil\r\x1b[31m.py"
LABEL = "label\n\x1b[2Jcleared"

CHILD = r'''
import gc, sys, tracemalloc, types
tracemalloc.start(10)
import heapdiff

EVIL_KEY, BIDI_KEY, WEIRD_MODULE, WEIRD_CLASS, FRAME_NAME, FILENAME, LABEL = sys.argv[3:10]

class Target: pass
class FrameTarget: pass
class Holder(dict): pass

holder = Holder({EVIL_KEY: Target(), BIDI_KEY: Target()})
ansi_value = "\x1b[2J\x1b[31mboom\x07" + "x"
Weird = type(WEIRD_CLASS, (), {"__module__": WEIRD_MODULE})
weird = [Weird() for _ in range(3)]
module = types.ModuleType(WEIRD_MODULE)
sys.modules[WEIRD_MODULE] = module
module.keep = Target()

gc.disable()  # cyclic trash of the weird class, for `garbage`
for _ in range(4):
    w = Weird()
    w.me = w
del w

source = (
    "def run(a, b):\n"
    "    local_target = FrameTarget()\n"
    "    heapdiff.dump(a, label=LABEL)\n"
    "    more = [bytearray(64) for _ in range(50)]\n"
    "    heapdiff.dump(b)\n"
)
namespace = dict(globals())
exec(compile(source, FILENAME, "exec"), namespace)
run = namespace["run"]
run.__code__ = run.__code__.replace(co_name=FRAME_NAME)
run(sys.argv[1], sys.argv[2])
'''


@pytest.fixture(scope="module")
def snaps(tmp_path_factory):
    d = tmp_path_factory.mktemp("evil")
    a, b = d / "a.hds", d / "b.hds"
    subprocess.run([sys.executable, "-c", CHILD, str(a), str(b), EVIL_KEY, BIDI_KEY, WEIRD_MODULE, WEIRD_CLASS,
                    FRAME_NAME, FILENAME, LABEL], check=True, timeout=120)
    return a, b


UNSAFE = {chr(c) for c in range(0x20) if c != 0x0A} | {chr(c) for c in range(0x7F, 0xA0)} | set(
    "\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def run(*args):
    """stdout and stderr, checked to be well-formed UTF-8 with no character a terminal acts on."""
    r = subprocess.run([cli_path(), *map(str, args)], capture_output=True, timeout=120)
    out, err = r.stdout.decode("utf-8"), r.stderr.decode("utf-8")  # strict: raises on bad UTF-8
    for stream in (out, err):
        bad = sorted({c for c in stream if c in UNSAFE})
        assert not bad, (args, bad, stream)
    assert "internal error" not in err
    return r.returncode, out, err


def text(*args):
    code, out, err = run(*args)
    assert code == 0, (args, err)
    return out


def json_lines(*args):
    code, out, err = run(*args, "--json")
    assert code == 0, (args, err)
    return [json.loads(line) for line in out.splitlines()]


def escaped(s):
    """How printable() writes s (Python's repr without quotes, \\u for C1 and bidi)."""
    out = []
    for c in s:
        if c == "\\":
            out.append("\\\\")
        elif c in "\n\r\t":
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}[c])
        elif c in UNSAFE or c == "\x7f":
            out.append("\\x%02x" % ord(c) if ord(c) < 0x80 else "\\u%04x" % ord(c))
        else:
            out.append(c)
    return "".join(out)


QUALIFIED_WEIRD = WEIRD_MODULE + "." + WEIRD_CLASS


def test_summary(snaps):
    out = text("summary", snaps[1], "--top", "0")
    assert escaped(QUALIFIED_WEIRD) in out
    out = text("summary", snaps[0])
    assert "label '%s'" % escaped(LABEL) in out
    [data] = json_lines("summary", snaps[0])
    assert data["label"] == LABEL
    assert QUALIFIED_WEIRD in {t["type"] for t in data["types"]}


@pytest.mark.parametrize("group_by", ["type", "module", "traceback", "filename", "lineno"])
def test_diff(snaps, group_by):
    out = text("diff", snaps[0], snaps[1], "--group-by", group_by, "--top", "0", "--no-color")
    [data] = json_lines("diff", snaps[0], snaps[1], "--group-by", group_by)
    if group_by in ("traceback", "filename", "lineno"):
        # The 50 bytearrays allocated in the evil file, named in text and in JSON.
        assert escaped(FILENAME) in out
        assert any(f["filename"] == FILENAME for g in data["groups"] for f in g["traceback"]) or any(
            FILENAME in g["key"] for g in data["groups"])
    code, csv, _ = run("diff", snaps[0], snaps[1], "--group-by", group_by, "--csv")
    assert code == 0
    assert len(csv.splitlines()) == len(data["groups"]) + 1  # one line per row, and the header


def test_diff_by_type_and_module_names_the_weird_ones(snaps):
    a, b = snaps
    assert escaped(QUALIFIED_WEIRD) in text("diff", a, b, "--top", "0", "--no-color", "--min-size", "0")
    [data] = json_lines("diff", a, b, "--group-by", "module")
    assert WEIRD_MODULE in {g["key"] for g in data["groups"]}


def chain_block(out, header):
    """The lines of the chain under `header`: up to the next blank line."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    block = []
    for line in lines[start + 1:]:
        if not line:
            break
        block.append(line)
    return lines[start], block


def test_backrefs_chain_is_one_line_per_reference(snaps):
    out = text("backrefs", snaps[1], "--type", "Target", "--pick", "all")
    key_line = "  -> ['%s']" % escaped(EVIL_KEY)
    assert key_line in out
    # Every chain: as many lines as its header says references, plus its start.
    blocks = out.split("\n\n")
    chains = [b for b in blocks if b.startswith("shortest chain")]
    assert len(chains) >= 3
    for chain in chains:
        header, *hops = chain.strip("\n").splitlines()
        references = int(header.split(", ")[-1].split()[0])
        assert len(hops) == references + 1, chain
        assert all(hop.startswith("  -> ") for hop in hops[1:]), chain
    assert any(key_line in chain for chain in chains)
    assert any("  -> ['%s']" % escaped(BIDI_KEY) in chain for chain in chains)
    # JSON: the labels exactly as in the heap.
    edges = {hop["edge"] for data in json_lines("backrefs", snaps[1], "--type", "Target", "--pick", "all")
             for hop in data["chain"]}
    assert "['%s']" % EVIL_KEY in edges and "['%s']" % BIDI_KEY in edges


def test_backrefs_through_a_frame_with_weird_names(snaps):
    out = text("backrefs", snaps[0], "--type", "FrameTarget", "--to", "root")
    header, hops = chain_block(out, "shortest chain from a root")
    assert len(hops) == int(header.split(", ")[-1].split()[0]) + 1
    assert any(escaped(FRAME_NAME) in hop for hop in hops), hops
    [data] = json_lines("backrefs", snaps[0], "--type", "FrameTarget", "--to", "root")
    assert any(FRAME_NAME in hop["label"] for hop in data["chain"])


def test_refs(snaps):
    out = text("refs", snaps[1], "--type", "Holder")
    lines = out.splitlines()
    assert lines[0].startswith("Holder")
    refs = int(lines[0].split("refers to ")[1].split()[0])
    assert len(lines) == refs + 1  # one line per reference
    assert "  -> ['%s']" % escaped(EVIL_KEY) in out
    [data] = json_lines("refs", snaps[1], "--type", "Holder")
    assert "['%s']" % EVIL_KEY in {r["edge"] for r in data["refs"]}


def test_retained_and_top(snaps):
    out = text("retained", snaps[1], "--type", WEIRD_CLASS, "--pick", "first")
    assert out.startswith(escaped(WEIRD_CLASS))
    [data] = json_lines("retained", snaps[1], "--type", WEIRD_CLASS, "--pick", "first")
    assert data["object"]["type"] == QUALIFIED_WEIRD
    text("top", snaps[1], "--top", "0")
    out = text("top", snaps[1], "--group-by", "type", "--top", "0")
    assert escaped(QUALIFIED_WEIRD) in out
    [data] = json_lines("top", snaps[1], "--by", "size", "--top", "0")
    assert any(row["label"] == "str " + "\x1b[2J\x1b[31mboom\x07x" for row in data["rows"])
    [data] = json_lines("top", snaps[1], "--group-by", "type", "--top", "0")
    assert QUALIFIED_WEIRD in {row["type"] for row in data["rows"]}


def test_garbage_and_orphans(snaps):
    out = text("garbage", snaps[1], "--top", "0")
    assert escaped(QUALIFIED_WEIRD) in out
    [data] = json_lines("garbage", snaps[1])
    assert {"type": QUALIFIED_WEIRD, "count": 4} in [{"type": t["type"], "count": t["count"]} for t in data["types"]]
    text("orphans", snaps[0], snaps[1], "--top", "0")
    json_lines("orphans", snaps[0], snaps[1])


def test_error_lines_stay_one_line(snaps):
    code, out, err = run("backrefs", snaps[1], "--type", "A\nC\x1b[31m")
    assert code == 4 and out == ""
    # The JSON error keeps the name exactly, escaped as JSON escapes it: one line.
    code, out, _ = run("backrefs", snaps[1], "--type", "A\nC\x1b[31m", "--json")
    assert code == 4 and out.count("\n") == 1
    assert "no object of type 'A\nC\x1b[31m'" in json.loads(out)["error"]["message"]
    assert err.count("\n") == 1 and "A\\nC\\x1b[31m" in err
