"""One leaking test per way of leaking, among clean ones."""
import gc
import sys

import pytest

import errorlog


class DB:
    def __init__(self, pages):
        self.pages = [bytearray(4096) for _ in range(pages)]


def handle_request(path, db):
    try:
        if path.endswith("/404"):
            raise KeyError(path)
        return 200
    except KeyError:
        errorlog.report(sys.exc_info())
        return 500


@pytest.fixture
def db():
    return DB(4)


@pytest.fixture(scope="module")
def big_shared_db():
    return DB(64)  # created once for the module: not a leak of the test that first asks


def test_clean_request(db):
    assert handle_request("/users/7", db) == 200


def test_failing_request_leaks_its_db(db):
    assert handle_request("/users/404", db) == 500


def test_uses_the_module_db(big_shared_db):
    assert len(big_shared_db.pages) == 64


_settings = {}


def test_warms_a_cache_once():
    _settings.setdefault("theme", [bytearray(1000) for _ in range(10)])


RESULTS = {}


def test_caches_a_result_per_call():
    RESULTS[len(RESULTS)] = bytearray(2000)


@pytest.mark.parametrize("n", range(4))
def test_clean_parametrized(n):
    assert sum(range(n * 100)) >= 0


@pytest.mark.heapdiff(allow={"builtins.bytearray": 1})
def test_allowed_growth():
    RESULTS[-len(RESULTS) - 1] = bytearray(100)  # one per run, and allowed


@pytest.mark.no_heapdiff
def test_not_measured():
    RESULTS[object()] = bytearray(100)


@pytest.mark.heapdiff(runs=5)
def test_five_runs_of_a_leak():
    RESULTS["five-%d" % len(RESULTS)] = bytearray(300)


class Node:
    def __init__(self):
        self.me = self
        self.payload = bytearray(3000)


@pytest.fixture(scope="module")
def collector_off():
    # The service runs with the collector off (the gc-tuning story): its trash piles up.
    gc.disable()
    yield
    gc.enable()


def test_makes_cyclic_trash(collector_off):
    for _ in range(5):
        Node()
