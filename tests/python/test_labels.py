"""Every dict key reads as the literal a Python developer would type to look it up: an int
key is [-4199], a str key ['-4199'], a tuple key [(1, 'a')]; a key with no short literal
reads as its type and address. The labels come from the real probe's snapshot through
the core reader, as every command and the Python API see them."""

import enum
import json

import pytest

import heapdiff


class Point:
    pass


class Color(enum.Enum):
    RED = 1


def keyed(snap):
    """A dict with one key of each kind, each value a distinct object; the snapshot's
    labels of that dict as {label: value}."""
    point = Point()
    huge = 2 ** 100
    long_key = "k" * 100
    keys = {
        -4199: "[-4199]",
        "-4199": "['-4199']",
        (1, "a"): "[(1, 'a')]",
        (None,): "[(None,)]",
        (): "[()]",
        ((2, "b"), b"c"): "[((2, 'b'), b'c')]",
        None: "[None]",
        b"ab": "[b'ab']",
        0.1: "[0.1]",
        1e16: "[1e+16]",
        2.0: "[2.0]",
        True: "[True]",
        frozenset({5}): "[frozenset({5})]",
        frozenset(): "[frozenset()]",
        "it's": "[\"it's\"]",
        "line\nbreak": "['line\nbreak']",
        "caf\u00e9": "['caf\u00e9']",
        int: "[int]",
        Point: "[%s.Point]" % __name__,
        point: "[<Point %s>]" % hex(id(point)),
        Color.RED: "[<Color %s>]" % hex(id(Color.RED)),
        huge: "[<int %s>]" % hex(id(huge)),
        long_key: "['%s'\u2026]" % ("k" * 64),
    }
    values = {key: object() for key in keys}
    d = dict(values)
    s = snap()
    labels = {label: target for target, label in s[d].edges if label != "key"}
    return keys, values, labels


def test_each_key_type_has_its_own_exact_label(snap):
    keys, values, labels = keyed(snap)
    expected = {label: id(values[key]) for key, label in keys.items()}
    assert labels == expected


HOLDER = {}


def test_backrefs_prints_the_exact_label(tmp_path, run_cli):
    holder = HOLDER  # a module global: the chain starts at this module
    holder.update({-4199: object(), "-4199": object(), (1, "a"): object()})
    path = tmp_path / "labels.hds"
    heapdiff.dump(str(path))
    for key, label in [(-4199, "[-4199]"), ("-4199", "['-4199']"), ((1, "a"), "[(1, 'a')]")]:
        result = run_cli("backrefs", path, "--address", hex(id(holder[key])), "--json")
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["chain"][-1]["edge"] == label
    # In text, a newline in a key is escaped as repr escapes it: the chain stays one line
    # per reference.
    holder["a\nb"] = object()
    heapdiff.dump(str(path))
    result = run_cli("backrefs", path, "--address", hex(id(holder["a\nb"])))
    assert result.returncode == 0, result.stderr
    assert "['a\\nb']" in result.stdout
