"""The reader and the commands never hang, bloat or mislead, whatever file they are given.

Each case was seen on a real machine: an 8 KB snapshot that zstd inflates to 256 MiB made
`summary` take 1.9 GB (ten such sections, an 83 KB file: more than 8 GB); a FIFO hung every
command in open(2); an empty heap gave "internal error"; `--top -1` meant "everything"
while `--max-depth -1` was refused. Hand-made files are built here from docs/FORMAT.md with
the zstd library the command itself links (through ctypes), so they are well-formed down
to their checksums: only their claims are wrong.
"""

import ctypes
import ctypes.util
import json
import os
import resource
import struct
import subprocess
import sys
import time

import pytest

import heapdiff
from conftest import cli_path

# ---- snapshot files by hand (docs/FORMAT.md) ------------------------------------------------


def _zstd():
    lib = ctypes.CDLL(ctypes.util.find_library("zstd") or "libzstd.so.1")
    lib.ZSTD_createCCtx.restype = ctypes.c_void_p
    lib.ZSTD_freeCCtx.argtypes = [ctypes.c_void_p]
    lib.ZSTD_CCtx_setParameter.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
    lib.ZSTD_compressBound.argtypes = [ctypes.c_size_t]
    lib.ZSTD_compressBound.restype = ctypes.c_size_t
    lib.ZSTD_compress2.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t]
    lib.ZSTD_compress2.restype = ctypes.c_size_t
    lib.ZSTD_isError.argtypes = [ctypes.c_size_t]
    return lib


ZSTD = _zstd()
ZSTD_C_COMPRESSION_LEVEL, ZSTD_C_CONTENT_SIZE_FLAG, ZSTD_C_CHECKSUM_FLAG = 100, 200, 201


def zstd_frame(raw):
    """One frame with its content size and content checksum, as the format requires."""
    cctx = ZSTD.ZSTD_createCCtx()
    try:
        for parameter, value in ((ZSTD_C_COMPRESSION_LEVEL, 19), (ZSTD_C_CONTENT_SIZE_FLAG, 1),
                                 (ZSTD_C_CHECKSUM_FLAG, 1)):
            ZSTD.ZSTD_CCtx_setParameter(cctx, parameter, value)
        out = ctypes.create_string_buffer(ZSTD.ZSTD_compressBound(len(raw)))
        n = ZSTD.ZSTD_compress2(cctx, out, len(out), raw, len(raw))
        assert not ZSTD.ZSTD_isError(n)
        return out.raw[:n]
    finally:
        ZSTD.ZSTD_freeCCtx(cctx)


def varint(v):
    out = bytearray()
    while v >= 0x80:
        out.append(v & 0x7F | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def fnv1a32(data):
    h = 2166136261
    for b in data:
        h = (h ^ b) * 16777619 & 0xFFFFFFFF
    return h


def section(tag, raw, frame=None):
    frame = frame or zstd_frame(raw)
    head = tag + struct.pack("<IQQ", 1, len(frame), len(raw))  # flags: required
    return head + struct.pack("<I", fnv1a32(head)) + frame


def snapshot_file(sections, objects=0):
    end = varint(objects) + varint(0) + varint(len(sections))
    return b"HEAPDIFF" + struct.pack("<HHI", 1, 0, 16) + b"".join(sections) + section(b"END ", end)


def bomb(copies):
    """`copies` OBJS sections of 33 million all-zero objects each (256 MiB), ~8 KB each."""
    rows = ((256 << 20) - 16) // 8
    raw = varint(rows) + bytes(8 * rows)
    one = section(b"OBJS", raw, zstd_frame(raw))
    return snapshot_file([one] * copies, objects=rows * copies)


def decompressed_ratio(path):
    """Bytes the sections claim decompressed, per byte of file (from the section headers)."""
    data = open(path, "rb").read()
    at, raw = struct.unpack_from("<I", data, 12)[0], 0
    while at < len(data):
        _, _, stored, raw_size, _ = struct.unpack_from("<4sIQQI", data, at)
        raw += raw_size
        at += 28 + stored
    return raw / len(data)


@pytest.fixture(scope="module")
def bombs(tmp_path_factory):
    d = tmp_path_factory.mktemp("bombs")
    one, ten = d / "bomb-1.hds", d / "bomb-10.hds"
    one.write_bytes(bomb(1))
    ten.write_bytes(bomb(10))
    return one, ten


@pytest.fixture(scope="module")
def empty(tmp_path_factory):
    """A valid snapshot of a heap without objects: empty roots, one fact."""
    path = tmp_path_factory.mktemp("empty") / "empty.hds"
    fact = varint(1) + varint(5) + b"label" + bytes([3]) + varint(7) + b"nothing"
    path.write_bytes(snapshot_file([section(b"FACT", fact), section(b"ROOT", varint(0) + varint(0))]))
    return path


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    path = tmp_path_factory.mktemp("real") / "real.hds"
    heapdiff.dump(str(path))
    return path


# ---- running the command -----------------------------------------------------------------

# Runs the command in a fresh interpreter that reports the command's peak RSS (its only
# child, so RUSAGE_CHILDREN is the command's alone), under an address-space limit so that
# a regression fails the test instead of the machine.
MEASURE = r"""
import json, resource, subprocess, sys
def limit():
    resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))
r = subprocess.run(sys.argv[1:], capture_output=True, text=True, timeout=120, preexec_fn=limit)
print(json.dumps({"code": r.returncode, "out": r.stdout, "err": r.stderr,
                  "peak_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
"""


def measured(*args):
    r = subprocess.run([sys.executable, "-c", MEASURE, cli_path(), *map(str, args)], capture_output=True, text=True,
                       timeout=180, check=True)
    return json.loads(r.stdout)


def one_line(code, out, err, status=3):
    """Exit code `status` (3: a bad snapshot), exactly one line on stderr (returned), and
    nothing on stdout but, with --json, the same error as JSON."""
    assert code == status, (code, out, err)
    if out:
        error = json.loads(out)["error"]
        assert "heapdiff: " + error["message"] == err.rstrip("\n"), (out, err)
        assert error["kind"] == {2: "usage", 3: "bad_snapshot", 4: "not_found"}[status]
    assert out == "" or out.count("\n") == 1
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("heapdiff: "), err
    assert "internal error" not in err
    return lines[0]


# ---- 1. decompression bombs ------------------------------------------------------------------

@pytest.mark.parametrize("command", ["summary", "top"])
def test_one_bomb_section_is_refused_in_one_line_without_memory(bombs, command):
    one = bombs[0]
    assert os.path.getsize(one) < 16384 and decompressed_ratio(one) > 30000
    r = measured(command, one)
    line = one_line(r["code"], r["out"], r["err"])
    assert "corrupted: it claims more data than its %d bytes can hold" % os.path.getsize(one) in line
    assert r["peak_kib"] < 64 * 1024, r["peak_kib"]  # the bomb would take 2 GB or more


@pytest.mark.parametrize("command", ["summary", "top", "garbage", "orphans"])
def test_repeated_bomb_sections_are_refused_at_the_first(bombs, command):
    ten = bombs[1]
    r = measured(command, ten)
    line = one_line(r["code"], r["out"], r["err"])
    # 83 KB may hold 338 MB decompressed, but not the first section's 33 million objects.
    assert "corrupted: it claims more objects than its %d bytes can hold" % os.path.getsize(ten) in line
    assert "with section 1 (OBJS)" in line
    assert r["peak_kib"] < 64 * 1024, r["peak_kib"]


def test_the_most_compressible_real_heaps_still_load(run_cli, tmp_path):
    """Copies of one big dict: each copy's references are the same, so their EDGE sections
    repeat exactly, the best case for zstd (20,000 copies of a 5,000-item one measured
    954x). Far within the limit of 4096x."""
    path = tmp_path / "copies.hds"
    code = ("import heapdiff\nd = {i: None for i in range(2000)}\nkeep = [dict(d) for _ in range(2000)]\n"
            "heapdiff.dump(%r)\n" % str(path))
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
    assert decompressed_ratio(path) > 50  # 98x on CPython 3.15, more before: the point is it loads
    r = run_cli("summary", path, "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["objects"] > 2000


# ---- 2. FIFOs and other files that are not regular files -------------------------------------

def every_command(path, real):
    """Each command that reads a snapshot, given `path` where a snapshot goes."""
    return [
        ["summary", path], ["summary", path, "--json"],
        ["diff", path, real], ["diff", real, path], [path, real],
        ["orphans", path], ["orphans", real, path],
        ["backrefs", path, "--type", "dict"], ["refs", path, "--type", "dict"],
        ["retained", path, "--type", "dict"], ["top", path], ["garbage", path],
    ]


def test_a_fifo_is_refused_at_once_by_every_command(run_cli, real, tmp_path):
    fifo = tmp_path / "pipe.hds"
    os.mkfifo(str(fifo))  # nobody ever writes to it: opening it for reading would block
    for args in every_command(fifo, real):
        start = time.monotonic()
        r = run_cli(*args)  # run_cli times out after 120 s; this must take well under one
        assert time.monotonic() - start < 10, args
        line = one_line(r.returncode, r.stdout, r.stderr)
        assert line == "heapdiff: %s: not a regular file" % fifo, args


@pytest.mark.parametrize("what", ["directory", "/dev/null", "/dev/zero", "/dev/stdin"])
def test_directories_and_devices_are_refused_by_every_command(real, tmp_path, what):
    path = tmp_path if what == "directory" else what
    for args in every_command(path, real):
        # /dev/stdin is a pipe here, held open and never written: reading it would hang.
        r = subprocess.run([cli_path(), *map(str, args)], stdin=subprocess.PIPE, capture_output=True, text=True,
                           timeout=30)
        line = one_line(r.returncode, r.stdout, r.stderr)
        assert line == "heapdiff: %s: not a regular file" % path, args


def test_a_traceback_that_names_a_fifo_shows_no_source_line(run_cli, tmp_path):
    """Tracebacks name source files, and the snapshot says which: the one printing them
    reads only regular files, so a FIFO (or /dev/zero) there cannot hang diff."""
    fifo = tmp_path / "source.py"
    os.mkfifo(str(fifo))
    a, b = tmp_path / "a.hds", tmp_path / "b.hds"
    code = ("import tracemalloc, heapdiff\ntracemalloc.start(5)\nheapdiff.dump(%r)\n"
            "exec(compile('keep = [bytearray(1000) for _ in range(100)]', %r, 'exec'))\n"
            "exec(compile('more = [bytearray(1000) for _ in range(100)]', '/dev/zero', 'exec'))\n"
            "heapdiff.dump(%r)\n" % (str(a), str(fifo), str(b)))
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
    for group_by in ("traceback", "lineno"):
        r = run_cli("diff", a, b, "--group-by", group_by, "--top", "0", "--no-color")
        assert r.returncode == 0, r.stderr
        assert str(fifo) in r.stdout and "/dev/zero" in r.stdout
    r = run_cli("orphans", a, b)
    assert r.returncode == 0, r.stderr


# ---- 3. an empty heap ----------------------------------------------------------------------

@pytest.mark.parametrize("args, expected", [
    (["summary"], "no objects"),
    (["diff", "{empty}"], "no difference"),
    (["diff", "{empty}", "{empty}"], "no survivors"),
    (["orphans"], "0 objects (0 B)"),
    (["orphans", "{empty}"], "0 objects (0 B)"),
    (["top"], "no objects in"),
    (["top", "--by", "size"], "no objects in"),
    (["top", "--group-by", "type"], "no objects in"),
    (["garbage"], "no objects in"),
])
def test_an_empty_heap_is_empty_in_text(run_cli, empty, args, expected):
    command, rest = args[0], [a.replace("{empty}", str(empty)) for a in args[1:]]
    r = run_cli(command, empty, *rest)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    assert expected in r.stdout


@pytest.mark.parametrize("args", [["summary"], ["diff", "{empty}"], ["orphans"], ["top"], ["top", "--group-by", "type"],
                                  ["garbage"]])
def test_an_empty_heap_is_empty_in_json(run_cli, empty, args):
    command, rest = args[0], [a.replace("{empty}", str(empty)) for a in args[1:]]
    r = run_cli(command, empty, *rest, "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    rows = data.get("types", data.get("rows", data.get("groups")))
    assert rows == []
    assert data.get("objects", 0) == 0 and data.get("bytes", 0) == 0


@pytest.mark.parametrize("command", ["backrefs", "refs", "retained"])
@pytest.mark.parametrize("json_flag", [[], ["--json"]])
def test_an_empty_heap_has_no_object_to_show(run_cli, empty, command, json_flag):
    r = run_cli(command, empty, "--type", "DB", *json_flag)
    assert one_line(r.returncode, r.stdout, r.stderr, 4) == "heapdiff: no object of type 'DB' in %s" % empty
    assert bool(r.stdout) == bool(json_flag)
    r = run_cli(command, empty, "--address", "0x1000", *json_flag)
    assert "(it holds no objects)" in one_line(r.returncode, r.stdout, r.stderr, 4)


# ---- 5. count options ----------------------------------------------------------------------

COUNT_OPTIONS = [
    (["summary"], "--top"),
    (["diff", "{snap}"], "--top"), (["diff", "{snap}"], "--min-size"), (["diff", "{snap}"], "--frames"),
    (["orphans"], "--top"),
    (["backrefs", "--type", "dict"], "--paths"), (["backrefs", "--type", "dict"], "--max-depth"),
    (["backrefs", "--type", "dict"], "--too-many"),
    (["refs", "--type", "dict"], "--max-depth"), (["refs", "--type", "dict"], "--too-many"),
    (["retained", "--type", "dict"], "--top"), (["retained", "--type", "dict"], "--max-depth"),
    (["retained", "--type", "dict"], "--too-many"),
    (["top"], "--top"),
    (["garbage"], "--top"),
]


@pytest.mark.parametrize("args, option", COUNT_OPTIONS, ids=["%s %s" % (a[0], o) for a, o in COUNT_OPTIONS])
@pytest.mark.parametrize("value", ["-1", "many", "1e3"])
def test_every_count_option_refuses_a_value_that_is_no_count(run_cli, real, args, option, value):
    command, rest = args[0], [a.replace("{snap}", str(real)) for a in args[1:]]
    r = run_cli(command, real, *rest, option, value)
    line = one_line(r.returncode, r.stdout, r.stderr, status=2)
    assert line.startswith("heapdiff: %s: '%s' is not a count" % (option, value)), line


def test_top_zero_means_every_row(run_cli, real):
    everything = json.loads(run_cli("summary", real, "--json").stdout)["types"]
    r = run_cli("summary", real, "--top", "0")
    assert r.returncode == 0, r.stderr
    assert "All %d types by count" % len(everything) in r.stdout
    r = run_cli("diff", real, real, "--top", "0", "--no-color")
    assert r.returncode == 0 and "more rows (--top)" not in r.stdout
