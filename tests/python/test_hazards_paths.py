"""dump(path) never writes where another user could steer it, and never destroys what is
not a snapshot: special files are refused, a symlink at the path is refused (never
followed: in /tmp whoever planted it would choose where root's snapshot goes), every path
open() accepts is accepted and the rest rejected as open() rejects them."""

import os
import socket
import stat
import subprocess

import pytest

import heapdiff
from conftest import Snap, cli_path


def temps(directory):
    return [n for n in os.listdir(directory) if ".tmp-" in str(n)]


def test_symlink_is_refused_and_stays_as_it_was(tmp_path):
    target = tmp_path / "real.hds"
    target.write_bytes(b"old")
    link = tmp_path / "link.hds"
    link.symlink_to("real.hds")
    with pytest.raises(heapdiff.DumpError, match="it exists and is a symbolic link; heapdiff neither follows"):
        heapdiff.dump(str(link))
    assert link.is_symlink() and os.readlink(link) == "real.hds"
    assert target.read_bytes() == b"old"
    assert temps(tmp_path) == []
    heapdiff.dump(str(target))  # the file it points to, named: replaced
    assert len(Snap(target)) > 1000


def test_dangling_symlink_creates_nothing(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "one").symlink_to(tmp_path / "two")
    (tmp_path / "two").symlink_to("data/snap.hds")  # dangling: open() would create its target
    with pytest.raises(heapdiff.DumpError, match="symbolic link"):
        heapdiff.dump(str(tmp_path / "one"))
    assert os.listdir(tmp_path / "data") == [] and temps(tmp_path) == []


def test_symlinked_directory_of_the_caller_is_followed(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "via").symlink_to("data")
    heapdiff.dump(str(tmp_path / "via" / "s.hds"))
    assert len(Snap(tmp_path / "data" / "s.hds")) > 1000


def test_symlink_loop_is_refused(tmp_path):
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("a")
    with pytest.raises(heapdiff.DumpError, match="symbolic link"):
        heapdiff.dump(str(tmp_path / "a"))
    assert (tmp_path / "a").is_symlink() and (tmp_path / "b").is_symlink()


def test_fifo_is_refused_without_hanging(tmp_path):
    fifo = tmp_path / "pipe.hds"
    os.mkfifo(fifo)
    with pytest.raises(heapdiff.DumpError, match="FIFO"):
        heapdiff.dump(str(fifo))
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert temps(tmp_path) == []


def test_symlink_to_a_fifo_is_refused(tmp_path):
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "link.hds").symlink_to("pipe")
    with pytest.raises(heapdiff.DumpError, match="symbolic link"):
        heapdiff.dump(str(tmp_path / "link.hds"))
    assert stat.S_ISFIFO(os.lstat(tmp_path / "pipe").st_mode)


def test_directory_is_refused(tmp_path):
    (tmp_path / "d.hds").mkdir()
    with pytest.raises(heapdiff.DumpError, match="directory"):
        heapdiff.dump(str(tmp_path / "d.hds"))
    assert (tmp_path / "d.hds").is_dir()


def test_socket_is_refused(tmp_path):
    path = str(tmp_path / "s.hds")
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(path)
        with pytest.raises(heapdiff.DumpError, match="socket"):
            heapdiff.dump(path)
        assert stat.S_ISSOCK(os.lstat(path).st_mode)
    finally:
        server.close()


def test_dev_null_stays_a_device():
    # As root, renaming over /dev/null replaced the device with a regular file.
    before = os.stat("/dev/null")
    with pytest.raises(heapdiff.DumpError, match="character device"):
        heapdiff.dump("/dev/null")
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev
    assert [n for n in os.listdir("/dev") if n.startswith("null.tmp-")] == []


def test_embedded_nul_is_rejected_like_open(tmp_path):
    path = str(tmp_path / "bad\0name.hds")
    with pytest.raises(ValueError) as by_open:
        open(path, "w")
    with pytest.raises(ValueError) as by_dump:
        heapdiff.dump(path)
    assert str(by_dump.value) == str(by_open.value)
    with pytest.raises(ValueError):
        heapdiff.dump(os.fsencode(path))
    assert os.listdir(tmp_path) == []  # nothing under the truncated name "bad"


def test_not_a_path_is_a_type_error_like_open():
    for bad in (3, None, 1.5, ["x"]):
        with pytest.raises(TypeError):
            heapdiff.dump(bad)


def test_non_utf8_bytes_path_gets_exactly_that_name(tmp_path):
    raw = os.fsencode(str(tmp_path)) + b"/snap-\xff\xfe.hds"
    assert heapdiff.dump(raw) == raw
    assert b"snap-\xff\xfe.hds" in os.listdir(os.fsencode(str(tmp_path)))
    # The analyzer opens the same bytes.
    summary = subprocess.run([cli_path(), b"summary", raw], capture_output=True, timeout=120)
    assert summary.returncode == 0, summary.stderr
    assert b"objects" in summary.stdout


def test_surrogate_escaped_str_path_is_the_same_file(tmp_path):
    name = os.fsdecode(b"snap-\xff.hds")  # 'snap-\udcff.hds', what os.listdir returns
    path = os.path.join(str(tmp_path), name)
    assert heapdiff.dump(path) == path
    assert b"snap-\xff.hds" in os.listdir(os.fsencode(str(tmp_path)))
    with open(path, "rb") as f:  # open() reaches the same file
        assert f.read(8) == b"HEAPDIFF"


def test_pathlike_is_accepted(tmp_path):
    import pathlib

    path = pathlib.Path(tmp_path) / "p.hds"
    assert heapdiff.dump(path) == str(path)
    assert path.is_file()


def test_label_with_lone_surrogate_is_kept_visibly(tmp_path):
    path = str(tmp_path / "l.hds")
    heapdiff.dump(path, label="bad \udcff label")
    assert Snap(path).facts["label"] == "bad \\udcff label"


def test_refusal_message_names_the_path_even_when_not_utf8(tmp_path):
    raw = os.fsencode(str(tmp_path)) + b"/dir-\xff"
    os.mkdir(raw)
    with pytest.raises(heapdiff.DumpError) as info:
        heapdiff.dump(raw)
    assert "dir-\\udcff" in str(info.value) or "dir-\ufffd" in str(info.value)
