"""A singly linked list of N nodes held by one module global: what the retained size of its
head is, and a chain heapdiff must walk without recursion.

    python examples/linked_list.py [N] [OUT_DIR]

Builds N nodes (default 10,000,000; about 0.7 GB), each a __slots__ object with a float
payload and a link to the next node, and writes OUT_DIR/linked-list.hds (OUT_DIR defaults
to "out"). Nothing else refers to a node except its predecessor, so each node dominates the
rest of the list: the head keeps all N nodes and payloads alive (N x (node + float) bytes,
which the program prints), and node k keeps the N - k nodes from k on.

    heapdiff top OUT_DIR/linked-list.hds --by retained --top 5
    heapdiff retained OUT_DIR/linked-list.hds --type Node --pick largest
"""
import argparse
import os
import sys

import heapdiff


class Node:
    __slots__ = ("value", "next")

    def __init__(self, value, next):
        self.value = value
        self.next = next


HEAD = None  # the only reference to the list from outside it


def build(n):
    """Node 0 -> node 1 -> ... -> node n-1, built from the tail so no recursion is needed."""
    node = None
    for i in range(n - 1, -1, -1):
        node = Node(i * 0.5, node)  # each float payload is a new object of its own
    return node


def main():
    global HEAD
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", nargs="?", type=int, default=10_000_000, help="nodes in the list")
    parser.add_argument("out_dir", nargs="?", default="out", help="where linked-list.hds goes")
    args = parser.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)

    HEAD = build(args.n)
    per_node = sys.getsizeof(HEAD) + sys.getsizeof(HEAD.value)
    path = heapdiff.dump(os.path.join(args.out_dir, "linked-list.hds"), label="%d nodes" % args.n)
    print("%d nodes, head at %#x, %d bytes per node with its payload: the head retains %d bytes; "
          "wrote %s" % (args.n, id(HEAD), per_node, args.n * per_node, path))


if __name__ == "__main__":
    main()
