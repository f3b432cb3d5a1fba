"""Display values written by the probe read as Python shows them: floats as repr() does
(the probe formats them itself, without CPython's dtoa, so every layout rule is checked)."""

import random
import struct

from heapdiff import _probe


def floats():
    values = [0.0, -0.0, 1.0, -1.0, 0.1, 0.5, 1.5, 2.0 / 3, 1e16, 1e15, 9999999999999998.0, 1e17, 123456789012345678.0,
              1e-4, 1e-5, 0.00012345, 1.5e-5, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 1e22, 1e23,
              float("inf"), float("-inf"), float("nan"), 100.0, 1234.5, 3.141592653589793, 0.30000000000000004,
              12345678901234567.0, 0.001, 1e300, -1e-300, 4.35, 2.675, 1e-7]
    rng = random.Random(25)
    for _ in range(3000):  # any bit pattern (but NaNs with payloads, which repr shows as nan anyway)
        values.append(struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0])
    for _ in range(3000):  # short decimals, where shortest-digit ties show
        values.append(round(rng.uniform(-1e6, 1e6), rng.randint(0, 8)))
    for _ in range(1000):
        values.append(rng.randint(1, 99) * 10.0 ** rng.randint(-20, 25))
    return values


def test_float_values_read_as_repr(snap):
    values = floats()
    s = snap()
    addresses = [id(v) for v in values]
    details = _probe.read_snapshot(s.path, addresses)["details"]
    wrong = [(repr(v), details[id(v)][0]) for v in values if details[id(v)][0] != repr(v)]
    assert not wrong, wrong[:10]
