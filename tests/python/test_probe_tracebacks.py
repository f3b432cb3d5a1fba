"""Allocation tracebacks come from tracemalloc: per object, and every traced block
aggregated per traceback."""

import os
import tracemalloc

import pytest

from conftest import Snap


class Tracked:
    def __init__(self):
        self.data = bytearray(100)


@pytest.fixture
def tracing():
    tracemalloc.start(10)
    yield
    tracemalloc.stop()


def allocate_here(n):
    return [Tracked() for _ in range(n)]  # THE ALLOCATING LINE


ALLOCATING_LINE = next(
    i for i, line in enumerate(open(__file__), 1) if line.rstrip().endswith("# THE ALLOCATING LINE")
)


def test_object_traceback_points_at_the_allocating_line(tracing, snap):
    objs = allocate_here(50)
    s = snap()
    tb = s.tracebacks[s[objs[0]].traceback]
    filename, lineno = tb[0]  # most recent frame first
    assert os.path.samefile(filename, __file__)
    assert lineno == ALLOCATING_LINE


def test_trace_stats_cover_every_traced_block(tracing, snap):
    objs = allocate_here(200)
    s = snap()
    rows = [(count, size) for tb_id, _, count, size in s.trace_stats
            if s.tracebacks[tb_id] and s.tracebacks[tb_id][0][1] == ALLOCATING_LINE
            and os.path.samefile(s.tracebacks[tb_id][0][0], __file__)]
    assert sum(c for c, _ in rows) >= 200
    # the facts say tracing was on
    assert s.facts["tracemalloc.tracing"] == 1
    assert s.facts["tracemalloc.traced"] > 0
    # the probe's own allocations are left out
    probe_dir = os.path.dirname(__import__("heapdiff").__file__)
    for tb_id, _, _, _ in s.trace_stats:
        assert not any(f.startswith(probe_dir) for f, _ in s.tracebacks[tb_id])
    del objs


def test_tracebacks_false_keeps_trace_stats(tracing, snap):
    objs = allocate_here(20)
    s = snap(tracebacks=False)
    assert s[objs[0]].traceback == 0
    assert s.trace_stats


def test_no_tracing_means_no_tracebacks(snap):
    assert not tracemalloc.is_tracing()
    objs = allocate_here(5)
    s = snap()
    assert s[objs[0]].traceback == 0
    assert s.trace_stats == []
    assert s.facts["tracemalloc.tracing"] == 0
