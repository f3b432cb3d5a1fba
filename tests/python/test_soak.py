"""The 60-second soak (bench/soak.py --seconds 60): a gunicorn service under wrk's load on
loopback, first without heapdiff, then with the periodic trigger and rotation, SIGUSR2 to
every worker and `heapdiff attach --fork` of every worker. No request may fail, every
snapshot must load, no worker may die, and the periodic files stay within rotation's bound.

It takes a minute and needs the whole machine's attention, so the test command runs it on
one interpreter (HEAPDIFF_TEST_LONG=1, scripts/test.sh); the others skip it."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from test_probe_no_leak import LONG

SOAK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench", "soak.py")


@pytest.mark.skipif(not LONG, reason="the 60-second soak runs on one interpreter (HEAPDIFF_TEST_LONG=1)")
def test_a_minute_of_load_with_heapdiff_at_work(tmp_path):
    assert shutil.which("wrk"), "wrk is not installed (scripts/setup.sh --tests installs it)"
    proc = subprocess.run([sys.executable, SOAK, "--seconds", "60", "--dir", str(tmp_path)], capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    report = proc.stdout + proc.stderr
    assert result["requests_without"] > 1000 and result["requests_with"] > 1000, report
    assert result["failed"] == 0, report
    assert result["crashed"] == 0 and result["worker_deaths_logged"] == 0, report
    assert result["snapshots"] > 0 and result["unreadable"] == 0, report
    assert result["signals"] > 0 and result["attaches"] > 0 and result["attach_failed"] == 0, report
    assert result["periodic"] <= result["periodic_bound"], report
    names = os.listdir(tmp_path / "snaps")
    assert any(n.endswith("-signal.hds") for n in names), names  # the signals' dumps were written
