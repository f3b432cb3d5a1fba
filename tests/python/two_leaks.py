"""A hand-made heap with two leaks held two ways (tests/python/test_suspects.py): 3,000
Records in a module-level dict, 1,000 Blobs (twice as big in all) in a class attribute
list, and churn that is freed again. Dumps before and after: argv[1], argv[2]."""
import sys
import heapdiff


class Record:
    def __init__(self, n):
        self.n = n
        self.data = bytearray(600)


class Blob:
    def __init__(self):
        self.payload = bytearray(5000)


class Registry:
    items = []


CACHE = {}

heapdiff.dump(sys.argv[1])
for n in range(3000):
    CACHE[n] = Record(n)
    scratch = [Record(-n) for _ in range(3)]  # freed again: churn, not a leak
for n in range(1000):
    Registry.items.append(Blob())
heapdiff.dump(sys.argv[2])
