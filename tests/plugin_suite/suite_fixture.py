"""The heapdiff_snapshot fixture, for a test that asserts on growth itself."""
import heapdiff

def test_asserts_its_own_growth(heapdiff_snapshot):
    before = heapdiff_snapshot()
    kept = [bytearray(100) for _ in range(50)]  # alive until the test returns: not a leak
    after = heapdiff_snapshot()
    rows = {row.key: row for row in heapdiff.diff(before, after)}
    assert rows["builtins.bytearray"].count_diff == 50
    assert rows["builtins.bytearray"].new == 50
    assert len(kept) == 50
