"""A report's size does not grow with what the heap holds (core/include/heapdiff/report_bounds.h).

On snapshots made by the real probe in child processes:
- a linked list 300,000 nodes long (`class Node`, each `.next` the following one, the head
  in a module global): `suspects` printed every hop of the suspect's 270,000-long chain
  and `report` handed Graphviz the whole chain (1M nodes: 6.6 GB, then SIGSEGV). Chains are
  cut as backrefs cuts them, and no drawing has more than 80 nodes;
- `dict.fromkeys(range(10**6))`: the report joined a million key labels into each of the
  dict's referent rows (247 MB). At most 5 labels are joined, then "… and N more";
- a 300 KB class name and a 5,000-character attribute name and snapshot label: shown whole
  in every table (a page 2.9M px wide). At most 200 characters, then "… (N more
  characters)"; JSON lists the shortened fields in "truncated";
- a module named =HYPERLINK("http://x","y"): `diff --csv` wrote a live spreadsheet formula.

300,000 nodes rather than a million keep the test fast on every Python (a million took
7 s on 3.11, more where each node has its own __dict__); the bound does not depend on the
length, and the old code already printed 260,178 lines and crashed in Graphviz at 300,000.
"""

import csv
import io
import json
import re
import subprocess
import sys

import pytest

from conftest import cli_path

NODES = 300_000
KEYS = 1_000_000
MAX_CHARS = 200  # kMaxShownChars
MAX_CHAIN_LINES = 101 + 1  # kMaxChainReferences + 1 objects, and the "left out" line
MAX_PAGE = 1024 * 1024  # what the report of these heaps stays under (docs/GRAPH.md); they measure 200-250 KiB
HUGE_TYPE = "T" * (300 * 1024)
LONG_NAME = "a" * 5000
FORMULA = '=HYPERLINK("http://x","y")'

LIST_CHILD = r'''
import sys
import heapdiff

class Node:
    pass

head = Node()
node = head
for _ in range(int(sys.argv[2]) - 1):
    node.next = Node()
    node = node.next
with open(sys.argv[1] + ".tail", "w") as f:
    f.write(hex(id(node)))  # the last node: its chain from the module is the whole list
del node
heapdiff.dump(sys.argv[1])
'''

FROMKEYS_CHILD = r'''
import sys
import heapdiff

big = dict.fromkeys(range(int(sys.argv[2])))
heapdiff.dump(sys.argv[1])
'''

TEXT_CHILD = r'''
import sys, types
import heapdiff

huge_type, long_name, formula = "T" * int(sys.argv[3]), "a" * int(sys.argv[4]), sys.argv[5]
Huge = type(huge_type, (), {})
module = types.ModuleType(formula)
sys.modules[formula] = module
Leak = type("Leak", (), {"__module__": formula})
Gone = type("Gone", (), {"__module__": formula})
module.kept = []
module.gone = [Gone() for _ in range(50)]

class Holder:
    pass

holder = Holder()
setattr(holder, long_name, [Huge()])
with open(sys.argv[1] + ".huge", "w") as f:
    f.write(hex(id(getattr(holder, long_name)[0])))
heapdiff.dump(sys.argv[1], label=long_name)
module.kept.extend(Leak() for _ in range(200))
del module.gone[:]
heapdiff.dump(sys.argv[2], label=long_name)
'''


def child(script, *args):
    subprocess.run([sys.executable, "-c", script, *map(str, args)], check=True, timeout=300)


@pytest.fixture(scope="module")
def list_snapshot(tmp_path_factory):
    path = tmp_path_factory.mktemp("list") / "list.hds"
    child(LIST_CHILD, path, NODES)
    return path


@pytest.fixture(scope="module")
def fromkeys_snapshot(tmp_path_factory):
    path = tmp_path_factory.mktemp("fromkeys") / "fromkeys.hds"
    child(FROMKEYS_CHILD, path, KEYS)
    return path


@pytest.fixture(scope="module")
def text_snapshots(tmp_path_factory):
    d = tmp_path_factory.mktemp("text")
    a, b = d / "a.hds", d / "b.hds"
    child(TEXT_CHILD, a, b, len(HUGE_TYPE), len(LONG_NAME), FORMULA)
    return a, b


def cli(*args):
    r = subprocess.run([cli_path(), *map(str, args)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, (args, r.stderr[-2000:])
    assert "internal error" not in r.stderr
    return r.stdout


def strings(document):
    """Every string in a JSON document."""
    if isinstance(document, str):
        yield document
    elif isinstance(document, list):
        for item in document:
            yield from strings(item)
    elif isinstance(document, dict):
        for key, value in document.items():
            yield key
            yield from strings(value)


def test_suspects_of_a_long_linked_list_show_a_cut_chain(list_snapshot):
    out = cli("suspects", list_snapshot)
    lines = out.splitlines()
    assert len(lines) < 150, len(lines)  # was 256,251
    assert sum(1 for line in lines if line.startswith("  -> ")) <= MAX_CHAIN_LINES
    assert any("objects left out" in line for line in lines)
    assert "Node" in out

    (doc,) = [json.loads(line) for line in cli("suspects", list_snapshot, "--json").splitlines()]
    chain = doc["suspects"][0]["chain"]
    assert len(chain) <= 101
    (gap,) = [hop for hop in chain if "left_out" in hop]
    assert gap["left_out"] > NODES // 2
    assert gap["edge"] in (".next", "['next']", "__dict__")  # before 3.11 through each node's __dict__
    # The hops shown plus those left out: the whole chain, the module to the suspect.
    assert len(chain) + gap["left_out"] > NODES * 0.85


def test_report_of_a_long_linked_list_is_a_bounded_page(list_snapshot, tmp_path):
    page = tmp_path / "list.html"
    cli("report", list_snapshot, "-o", page)  # crashed inside Graphviz
    text = page.read_text(encoding="utf-8")
    assert page.stat().st_size < MAX_PAGE, page.stat().st_size
    assert "objects left out" in text
    assert text.count("<g id=\"node") <= 80 * 10  # each drawing within the node budget


def test_backrefs_and_its_drawing_of_a_long_linked_list(list_snapshot, tmp_path):
    tail = open(str(list_snapshot) + ".tail").read()
    out = cli("backrefs", list_snapshot, "--address", tail)
    assert "no chain from a module within 100 references" in out
    # Searched deep enough: found, and cut as every chain is. Before 3.11 each node's
    # __dict__ is an object of its own on the way: twice the references.
    deep = cli("backrefs", list_snapshot, "--address", tail, "--max-depth", 3 * NODES)
    assert re.search(r"shortest chain from a module, (%d|%d) references:" % (NODES + 1, 2 * NODES), deep)
    assert len(deep.splitlines()) < 120
    assert "objects left out" in deep
    picture = tmp_path / "chain.svg"
    cli("backrefs", list_snapshot, "--address", tail, "--max-depth", 3 * NODES, "-o", picture, "--chain-only")
    svg = picture.read_text(encoding="utf-8")
    assert 10 < svg.count('class="node"') <= 80
    assert "objects left out" in svg
    drawing = tmp_path / "referrers.svg"
    cli("backrefs", list_snapshot, "--address", tail, "--max-depth", 1000, "-o", drawing)
    assert 10 < drawing.read_text(encoding="utf-8").count('class="node"') <= 80


def test_report_of_dict_fromkeys_joins_a_few_labels(fromkeys_snapshot, tmp_path):
    page = tmp_path / "fromkeys.html"
    cli("report", fromkeys_snapshot, "-o", page)
    size = page.stat().st_size
    assert size < MAX_PAGE, size  # was 247 MB
    text = page.read_text(encoding="utf-8")
    assert "and 999995 more" in text  # the dict's one None referent, reached by a million values


def test_long_names_and_labels_are_shortened_in_text_json_and_html(text_snapshots, tmp_path):
    a, b = text_snapshots
    cut_type = "T" * MAX_CHARS + "\u2026 (%d more characters)" % (len(HUGE_TYPE) - MAX_CHARS)

    summary = cli("summary", b, "--top", "0")
    assert len(max(summary.splitlines(), key=len)) < 1000
    cut_qualified = "__main__." + "T" * (MAX_CHARS - 9) + "\u2026 (%d more characters)" % (len(HUGE_TYPE) + 9 - MAX_CHARS)
    assert cut_qualified in summary
    assert ("a" * MAX_CHARS + "\u2026 (%d more characters)" % (len(LONG_NAME) - MAX_CHARS)) in summary  # the label

    huge = open(str(a) + ".huge").read()  # 300 KB is too long for a command line's --type
    chain = cli("backrefs", b, "--address", huge)
    assert len(max(chain.splitlines(), key=len)) < 1000
    assert cut_type in chain  # the short type name
    # From 3.11 an instance's attribute is a reference labelled with its name; before, it
    # is a key of the instance's __dict__, labelled with the key's value as the probe
    # keeps it (64 bytes at most), so nothing is left to shorten.
    attribute_labels = sys.version_info >= (3, 11)
    if attribute_labels:
        assert "." + "a" * (MAX_CHARS - 1) + "\u2026 (%d more characters)" % (len(LONG_NAME) + 1 - MAX_CHARS) in chain

    (doc,) = [json.loads(line) for line in cli("backrefs", b, "--address", huge, "--json").splitlines()]
    assert max(len(s) for s in strings(doc)) < MAX_CHARS + 40
    assert set(doc["target"]["truncated"]) == {"type", "label"}
    assert doc["target"]["type"] == cut_qualified
    edges = [hop for hop in doc["chain"] if "truncated" in hop and "edge" in hop["truncated"]]
    if attribute_labels:
        assert edges and edges[0]["edge"].startswith("." + "a" * (MAX_CHARS - 1) + "\u2026 (")

    (summary_doc,) = [json.loads(line) for line in cli("summary", b, "--json").splitlines()]
    assert max(len(s) for s in strings(summary_doc)) < MAX_CHARS + 40

    page = tmp_path / "text.html"
    cli("report", a, b, "-o", page)
    html = page.read_text(encoding="utf-8")
    assert page.stat().st_size < MAX_PAGE
    assert HUGE_TYPE not in html and LONG_NAME not in html
    assert cut_qualified in html


def test_diff_csv_neutralises_formulas_and_keeps_numbers(text_snapshots):
    a, b = text_snapshots
    out = cli("diff", a, b, "--csv")
    rows = out.splitlines()
    assert rows[0] == "key,count,size,count_diff,size_diff,new,freed,walked_size,traceback"
    (leak,) = [row for row in rows if "HYPERLINK" in row and ".Leak" in row]
    assert leak.startswith('"\'=HYPERLINK(""http://x"",""y"").Leak",200,')  # text: quoted, a leading '
    assert not any(row.startswith(("=", "+", "-", "@")) for row in rows)
    # Numbers stay numbers, negative ones too: no quote, no leading '.
    parsed = list(csv.reader(io.StringIO(out)))
    assert all(re.fullmatch(r"-?[0-9]+", cell) for row in parsed[1:] for cell in row[1:8])
    keys = [row[0] for row in parsed]
    assert parsed[keys.index("'" + FORMULA + ".Leak")][1:4] == ["200", parsed[keys.index("'" + FORMULA + ".Leak")][2], "200"]
    gone = parsed[keys.index("'" + FORMULA + ".Gone")]
    assert gone[3] == "-50" and int(gone[4]) < 0
    (gone_row,) = [row for row in rows if ".Gone" in row]
    assert ",-50," in gone_row
