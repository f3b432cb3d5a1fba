"""The probe runs in production: concurrent mutation, bad paths and re-entry must end
in an exception or a complete file, never a crash or a half-written snapshot."""

import os
import threading

import pytest

import heapdiff
from conftest import Snap


def test_concurrent_mutating_thread_is_survived(tmp_path):
    stop = threading.Event()

    def churn():
        shared = []
        while not stop.is_set():
            shared.append({"k": [1, 2, 3], "s": "x" * 10})
            if len(shared) > 500:
                del shared[:250]
            tuple(shared[-5:])

    t = threading.Thread(target=churn)
    t.start()
    try:
        for i in range(5):
            path = str(tmp_path / ("busy-%d.hds" % i))
            heapdiff.dump(path)
            assert len(Snap(path)) > 1000
    finally:
        stop.set()
        t.join()


def test_missing_directory_raises_and_leaves_nothing(tmp_path):
    target = tmp_path / "no" / "such" / "dir" / "x.hds"
    with pytest.raises(heapdiff.DumpError) as info:
        heapdiff.dump(str(target))
    assert "x.hds" in str(info.value)
    assert isinstance(info.value, OSError)
    assert not (tmp_path / "no").exists()


def test_read_only_directory(tmp_path):
    if os.geteuid() == 0:
        target = "/proc/heapdiff-cannot-write-here.hds"  # root ignores mode bits
    else:
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        target = str(ro / "x.hds")
    with pytest.raises(heapdiff.DumpError):
        heapdiff.dump(target)
    assert not os.path.exists(target)


def test_no_temporary_files_remain(tmp_path):
    path = tmp_path / "ok.hds"
    heapdiff.dump(str(path))
    assert sorted(os.listdir(tmp_path)) == ["ok.hds"]


def test_existing_snapshot_is_replaced_whole(tmp_path):
    path = str(tmp_path / "same.hds")
    heapdiff.dump(path, label="first")
    heapdiff.dump(path, label="second")
    assert Snap(path).facts["label"] == "second"


def test_pathlike_and_label_types(tmp_path):
    path = tmp_path / "p.hds"
    assert heapdiff.dump(path, label="lbl") == str(path)
    with pytest.raises(TypeError):
        heapdiff.dump(str(path), label=3)


def test_gc_state_is_restored(tmp_path):
    import gc

    assert gc.isenabled()
    heapdiff.dump(str(tmp_path / "a.hds"))
    assert gc.isenabled()
    gc.disable()
    try:
        heapdiff.dump(str(tmp_path / "b.hds"))
        assert not gc.isenabled()
    finally:
        gc.enable()
