"""heapdiff summary on real snapshots, and one clear line for every bad input."""

import json
import struct

import pytest

import heapdiff
from conftest import Snap


class Widget:
    pass


@pytest.fixture
def widgets_snapshot(tmp_path):
    keep = [Widget() for _ in range(1234)]
    path = tmp_path / "w.hds"
    heapdiff.dump(str(path), label="widgets")
    yield path
    del keep


def test_json_has_every_type(run_cli, widgets_snapshot):
    r = run_cli("summary", widgets_snapshot, "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    snap = Snap(widgets_snapshot)
    assert data["objects"] == len(snap)
    assert data["bytes"] == sum(snap.sizes)
    by_type = {t["type"]: t for t in data["types"]}
    assert by_type["test_cli_summary.Widget"]["count"] == 1234
    assert len(by_type) == len(snap.type_counts())
    assert data["label"] == "widgets"


def test_text_tables(run_cli, widgets_snapshot):
    r = run_cli("summary", widgets_snapshot, "--top", "40")
    assert r.returncode == 0, r.stderr
    assert "test_cli_summary.Widget" in r.stdout
    assert "1,234" in r.stdout
    assert "types by count" in r.stdout and "types by size" in r.stdout
    assert "label 'widgets'" in r.stdout


def one_error_line(r):
    assert r.returncode != 0
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    return lines[0]


def test_missing_file(run_cli, tmp_path):
    assert "cannot open" in one_error_line(run_cli("summary", tmp_path / "nope.hds"))


def test_not_a_snapshot(run_cli, tmp_path):
    p = tmp_path / "text.hds"
    p.write_text("hello, I am not a snapshot\n")
    assert "not a heapdiff snapshot" in one_error_line(run_cli("summary", p))


def test_truncated(run_cli, widgets_snapshot, tmp_path):
    data = widgets_snapshot.read_bytes()
    for cut in (10, 40, len(data) // 2, len(data) - 1):
        p = tmp_path / ("cut-%d.hds" % cut)
        p.write_bytes(data[:cut])
        assert "truncated" in one_error_line(run_cli("summary", p))


def test_corrupted(run_cli, widgets_snapshot, tmp_path):
    data = bytearray(widgets_snapshot.read_bytes())
    for at in (20, 30, 60, len(data) // 3, len(data) - 5):
        bad = bytearray(data)
        bad[at] ^= 0x55
        p = tmp_path / ("bad-%d.hds" % at)
        p.write_bytes(bytes(bad))
        line = one_error_line(run_cli("summary", p))
        assert "corrupted" in line or "truncated" in line


def test_newer_version(run_cli, widgets_snapshot, tmp_path):
    data = bytearray(widgets_snapshot.read_bytes())
    data[8:10] = struct.pack("<H", 99)
    p = tmp_path / "future.hds"
    p.write_bytes(bytes(data))
    assert "newer version" in one_error_line(run_cli("summary", p))


def test_a_directory(run_cli, tmp_path):
    assert "not a regular file" in one_error_line(run_cli("summary", tmp_path))


def test_bad_flag(run_cli, widgets_snapshot):
    r = run_cli("summary", widgets_snapshot, "--top", "many")
    assert r.returncode != 0
