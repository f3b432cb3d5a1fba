"""heapdiff diff on real snapshots of this process: exact growth of a known leak,
traceback grouping at the allocating line, survivors of three snapshots, bad input."""

import json
import os
import subprocess
import sys
import tracemalloc

import pytest

import heapdiff


class Leaked:
    def __init__(self):
        self.payload = bytearray(2048)  # THE LEAKING LINE


class Churn:
    pass


LEAKING_LINE = next(i for i, l in enumerate(open(__file__), 1) if l.rstrip().endswith("# THE LEAKING LINE"))
kept = []
rolling = []


def iteration(leak, churn):
    for _ in range(leak):
        kept.append(Leaked())
    for _ in range(churn):
        rolling.append(Churn())
    del rolling[:-churn or None]  # only the last `churn` stay, until the next iteration


@pytest.fixture
def three(tmp_path):
    tracemalloc.start(10)
    try:
        del kept[:], rolling[:]
        paths = [str(tmp_path / ("s%d.hds" % i)) for i in range(3)]
        iteration(0, 300)
        heapdiff.dump(paths[0])
        iteration(400, 300)
        heapdiff.dump(paths[1])
        iteration(400, 300)
        heapdiff.dump(paths[2])
        yield paths
    finally:
        tracemalloc.stop()
        del kept[:], rolling[:]


def diff_json(run_cli, *args):
    r = run_cli("diff", *args, "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_type_growth_is_exact(run_cli, three):
    data = diff_json(run_cli, three[0], three[1])
    rows = {g["key"]: g for g in data["groups"]}
    leaked = rows["test_cli_diff.Leaked"]
    assert (leaked["count"], leaked["count_diff"], leaked["new"], leaked["freed"]) == (400, 400, 400, 0)
    churn = rows["test_cli_diff.Churn"]
    assert (churn["count"], churn["count_diff"], churn["new"], churn["freed"]) == (300, 0, 300, 300)
    assert data["group_by"] == "type"
    assert data["groups"][0]["key"] in ("builtins.bytearray", "test_cli_diff.Leaked")


def test_bare_pair_means_diff(run_cli, three):
    r = run_cli(three[0], three[1], "--type", "Leaked", "--no-color")
    assert r.returncode == 0, r.stderr
    assert "test_cli_diff.Leaked" in r.stdout and "+400" in r.stdout
    assert "builtins.bytearray" not in r.stdout


def test_traceback_grouping_finds_the_leaking_line(run_cli, three):
    data = diff_json(run_cli, three[0], three[1], "--group-by", "lineno")
    top = data["groups"][0]
    assert top["traceback"][-1]["lineno"] == LEAKING_LINE
    assert os.path.samefile(top["traceback"][-1]["filename"], __file__)
    assert top["size_diff"] >= 400 * 2048
    r = run_cli("diff", three[0], three[1], "--group-by", "traceback", "--top", "1", "--no-color")
    assert r.returncode == 0, r.stderr
    assert "Traceback (most recent call last):" in r.stdout
    assert "self.payload = bytearray(2048)  # THE LEAKING LINE" in r.stdout
    assert "walked objects explain" in r.stdout


def test_frames_and_filters(run_cli, three):
    data = diff_json(run_cli, three[0], three[1], "--group-by", "traceback", "--frames", "1")
    assert all(len(g["traceback"]) <= 1 for g in data["groups"])
    data = diff_json(run_cli, three[0], three[1], "--group-by", "filename", "--include", "*test_cli_diff.py")
    assert [os.path.basename(g["key"]) for g in data["groups"]] == ["test_cli_diff.py"]
    data = diff_json(run_cli, three[0], three[1], "--group-by", "filename", "--exclude", "*test_cli_diff.py")
    assert all(not g["key"].endswith("test_cli_diff.py") for g in data["groups"])


def test_three_snapshots_separate_leak_from_churn(run_cli, three):
    data = diff_json(run_cli, *three)
    rows = {g["key"]: g for g in data["groups"]}
    assert rows["test_cli_diff.Leaked"]["count"] == 400
    assert "test_cli_diff.Churn" not in rows  # born between 1 and 2, gone by 3
    assert data["churn"]["count"] >= 300
    r = run_cli("diff", *three, "--no-color")
    assert "excluded as churn" in r.stdout


def test_same_file_twice_is_empty(run_cli, three):
    data = diff_json(run_cli, three[0], three[0])
    assert all(g["count_diff"] == 0 and g["size_diff"] == 0 and g["new"] == 0 for g in data["groups"])
    r = run_cli("diff", three[0], three[0], "--min-size", "1")
    assert "no difference" in r.stdout


def test_wrong_order_and_other_process_warn(run_cli, three, tmp_path):
    r = run_cli("diff", three[1], three[0])
    assert r.returncode == 0
    assert "taken before" in r.stderr
    other = str(tmp_path / "other.hds")
    subprocess.run([sys.executable, "-c", "import heapdiff; heapdiff.dump(%r)" % other], check=True)
    r = run_cli("diff", three[0], other)
    assert r.returncode == 0
    assert "different processes" in r.stderr


def test_no_tracemalloc_is_one_clear_line(run_cli, tmp_path):
    assert not tracemalloc.is_tracing()
    a, b = str(tmp_path / "a.hds"), str(tmp_path / "b.hds")
    heapdiff.dump(a)
    heapdiff.dump(b)
    r = run_cli("diff", a, b, "--group-by", "traceback")
    assert r.returncode != 0 and r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "tracemalloc.start(25)" in lines[0]


def test_bad_flags(run_cli, three):
    for args in (["--group-by", "colour"], ["--sort", "weight"], ["--json", "--csv"],
                 ["--cumulative"], ["--group-by", "traceback", "--type", "X"]):
        r = run_cli("diff", three[0], three[1], *args)
        assert r.returncode != 0, args
        assert len(r.stderr.strip().splitlines()) == 1, (args, r.stderr)
    r = run_cli("diff", three[0])
    assert r.returncode != 0
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_csv(run_cli, three):
    r = run_cli("diff", three[0], three[1], "--csv", "--type", "Leaked")
    assert r.returncode == 0, r.stderr
    header, row = r.stdout.strip().splitlines()
    assert header.startswith("key,count,size,count_diff,size_diff,new,freed")
    assert row.startswith("test_cli_diff.Leaked,400,")


def run_on_tty(args, env=None):
    """Run the CLI with its stdout on a pseudo-terminal; return what it printed."""
    import pty
    from conftest import cli_path

    master, slave = pty.openpty()
    try:
        proc = subprocess.run([cli_path(), *args], stdout=slave, stderr=subprocess.PIPE, env=env, timeout=60)
        os.close(slave)
        slave = None
        out = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        assert proc.returncode == 0, proc.stderr
        return out.decode()
    finally:
        if slave is not None:
            os.close(slave)
        os.close(master)


def test_colour_only_on_a_terminal(run_cli, three):
    args = ["diff", three[0], three[1], "--type", "Leaked"]
    assert "\033[" not in run_cli(*args).stdout  # a pipe: never
    assert "\033[31m" in run_on_tty(args)  # a terminal: growth in red
    assert "\033[" not in run_on_tty(args + ["--no-color"])
    env = dict(os.environ, NO_COLOR="1")
    assert "\033[" not in run_on_tty(args, env)
