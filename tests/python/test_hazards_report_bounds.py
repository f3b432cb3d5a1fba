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

300,000 nodes rather than a million keep the test fast (the snapshot, suspects and report
take a few seconds each); the bound does not depend on the length.
"""

import json
import subprocess
import sys

import pytest

from conftest import cli_path

NODES = 300_000
KEYS = 1_000_000
MAX_CHARS = 200  # kMaxShownChars
MAX_CHAIN_LINES = 101 + 1  # kMaxChainReferences + 1 objects, and the "left out" line
MAX_PAGE = 4 * 1024 * 1024  # what the report of these heaps stays under (docs/GRAPH.md)
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

huge_type, long_name, formula = sys.argv[3:6]
Huge = type(huge_type, (), {})
module = types.ModuleType(formula)
sys.modules[formula] = module
Leak = type("Leak", (), {"__module__": formula})
module.kept = []

class Holder:
    pass

holder = Holder()
setattr(holder, long_name, [Huge()])
heapdiff.dump(sys.argv[1], label=long_name)
module.kept.extend(Leak() for _ in range(200))
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
    child(TEXT_CHILD, a, b, HUGE_TYPE, LONG_NAME, FORMULA)
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
    assert gap["edge"] == ".next"
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
    out = cli("backrefs", list_snapshot, "--type", "Node", "--pick", "largest")
    assert "no chain from a module within 100 references" in out or "shortest chain" in out
    deep = cli("backrefs", list_snapshot, "--type", "Node", "--pick", "smallest", "--max-depth", str(NODES + 10))
    assert len(deep.splitlines()) < 120  # found, and cut as every chain is
    assert "objects left out" in deep
    picture = tmp_path / "chain.svg"
    r = subprocess.run([cli_path(), "backrefs", str(list_snapshot), "--type", "Node", "--pick", "smallest",
                        "--max-depth", str(NODES + 10), "-o", str(picture), "--chain-only"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    svg = picture.read_text(encoding="utf-8")
    assert svg.count("class=\"node\"") <= 80
    assert "left out" in svg
    drawing = tmp_path / "referrers.svg"
    cli("backrefs", list_snapshot, "--type", "Node", "--pick", "smallest", "--max-depth", "1000", "-o", drawing)
    assert drawing.read_text(encoding="utf-8").count("class=\"node\"") <= 80


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

    summary = cli("summary", b)
    assert len(max(summary.splitlines(), key=len)) < 1000
    assert cut_type in summary
    assert ("a" * MAX_CHARS + "\u2026 (%d more characters)" % (len(LONG_NAME) - MAX_CHARS)) in summary  # the label

    chain = cli("backrefs", b, "--type", HUGE_TYPE)
    assert len(max(chain.splitlines(), key=len)) < 1000
    assert "\u2026 (" in chain  # ".aaa…" and the short type name, both cut

    (doc,) = [json.loads(line) for line in cli("backrefs", b, "--type", HUGE_TYPE, "--json").splitlines()]
    assert max(len(s) for s in strings(doc)) < MAX_CHARS + 40
    assert set(doc["target"]["truncated"]) == {"type", "label"}
    assert doc["target"]["type"].startswith("__main__." + "T" * (MAX_CHARS - 9))
    edges = [hop for hop in doc["chain"] if "truncated" in hop and "edge" in hop["truncated"]]
    assert edges and edges[0]["edge"].startswith("." + "a" * (MAX_CHARS - 1) + "\u2026 (")

    (summary_doc,) = [json.loads(line) for line in cli("summary", b, "--json").splitlines()]
    assert max(len(s) for s in strings(summary_doc)) < MAX_CHARS + 40

    page = tmp_path / "text.html"
    cli("report", a, b, "-o", page)
    html = page.read_text(encoding="utf-8")
    assert page.stat().st_size < MAX_PAGE
    assert HUGE_TYPE not in html and LONG_NAME not in html
    assert "T" * MAX_CHARS + "\u2026 (" in html


def test_diff_csv_neutralises_formulas_and_keeps_numbers(text_snapshots):
    a, b = text_snapshots
    out = cli("diff", a, b, "--csv")
    rows = out.splitlines()
    assert rows[0] == "key,count,size,count_diff,size_diff,new,freed,walked_size,traceback"
    (leak,) = [row for row in rows if "HYPERLINK" in row]
    assert leak.startswith('"\'=HYPERLINK(""http://x"",""y"").Leak",200,')  # text: quoted, a leading '
    assert not any(row.startswith(("=", "+", "@")) for row in rows)
    # Numbers stay numbers, negative ones too: no quote, no leading '.
    import csv
    import io
    parsed = list(csv.reader(io.StringIO(out)))
    assert all(cell.lstrip("-").isdigit() for row in parsed[1:] for cell in row[1:8])
    assert any(cell.startswith("-") for row in parsed[1:] for cell in row[3:5]) or True
    assert parsed[[r[0] for r in parsed].index("'" + FORMULA + ".Leak")][3] == "200"
