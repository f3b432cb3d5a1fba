"""_probe.process_memory: the process room's readers (process/) as _memory.py sees them,
on this process and on a hand-made cgroup tree. The readers' corner cases are doctests in
tests/core/test_process_readers.cpp; here the binding: its keys, its units, its errors."""

import os

import pytest

from heapdiff import _memory, _probe


def _statm_rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_rss_and_peak_are_this_process_in_bytes():
    before = _statm_rss()
    m = _probe.process_memory()
    assert set(m) == {"rss", "peak_rss", "machine_memory"}
    assert m["machine_memory"] > m["rss"]
    assert abs(m["rss"] - before) < (64 << 20), (m, before)
    assert m["peak_rss"] >= m["rss"] // 2
    assert abs(_memory.rss() - _statm_rss()) < (64 << 20)


def test_resident_bytes_is_statm_alone():
    # The RSS watchdog's read: the same figure as process_memory()'s, from one file.
    block = bytearray(96 << 20)  # touched: resident
    assert abs(_probe.resident_bytes() - _statm_rss()) < (16 << 20)
    assert _probe.resident_bytes() >= len(block)
    del block


def test_smaps_rollup_totals_when_asked():
    if not os.path.exists("/proc/self/smaps_rollup"):
        pytest.skip("no /proc/self/smaps_rollup (Linux before 4.14)")
    smaps = _probe.process_memory(smaps=True)["smaps"]
    assert set(smaps) == {"rss", "pss", "private_dirty", "swap"}
    assert 0 < smaps["pss"] <= smaps["rss"] + (64 << 20)
    assert smaps["private_dirty"] <= smaps["rss"] + (64 << 20)


def test_cgroup_limit_and_usage_from_a_hand_made_v2_tree(tmp_path):
    with open("/proc/self/cgroup") as f:
        entries = dict(line.rstrip("\n").split(":", 2)[1:] for line in f if line.count(":") >= 2)
    if "" not in entries:
        pytest.skip("no cgroup v2 line in /proc/self/cgroup")
    own = tmp_path / entries[""].strip("/")
    own.mkdir(parents=True, exist_ok=True)
    (tmp_path / "cgroup.controllers").write_text("memory\n")
    assert _probe.process_memory(str(tmp_path))["cgroup_limit"] is None
    (own / "memory.max").write_text("%d\n" % (2 << 30))
    (own / "memory.current").write_text("12345\n")
    m = _probe.process_memory(os.fsencode(str(tmp_path)))  # bytes paths too
    assert (m["cgroup_limit"], m["cgroup_current"]) == (2 << 30, 12345)
    assert _memory.cgroup_limit(str(tmp_path)) == 2 << 30


def test_bad_arguments_are_one_clear_error():
    with pytest.raises(ValueError):
        _probe.process_memory("/sys/fs/cgroup\0/x")
    with pytest.raises(TypeError):
        _probe.process_memory(42)
    assert _memory.cgroup_limit("/sys/fs/cgroup\0/x") is None  # as before: a bad override reads as no limit
