"""heapdiff report A B C -o report.html: one self-contained page, loaded in a real browser
(Debian's chromium, headless). The heap it reports on is hostile: a type and a str value
whose text is a <script> element must show as text, never run. The page must load with no
console message at all (a script error or a blocked fetch would log one), its script must
have run (the tables' pagers are filled in), and it must hold the tables, the charts and
the suspect's chain drawn as SVG."""

import os
import re
import subprocess
import sys
import textwrap

import pytest
from chromium import run_browser

# Three snapshots of a process that leaks 300 objects of a type named like a script
# element between each, each holding a str that is one too, with tracemalloc on.
LEAKY_PROGRAM = textwrap.dedent(
    """
    import sys, tracemalloc
    import heapdiff
    tracemalloc.start(8)
    Hostile = type('<script>window.pwned = 1</script>', (), {})
    KEPT = []

    def grow():
        for k in range(300):
            item = Hostile()
            item.text = '<script>alert("str %d")</script>' % k
            KEPT.append(item)

    out = sys.argv[1]
    heapdiff.dump(out + '/one.hds', label='before')
    grow()
    heapdiff.dump(out + '/two.hds', label='after 300')
    grow()
    heapdiff.dump(out + '/three.hds', label='after 600')
    """
)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    program = out / "leaky.py"  # a file, so the page can show the allocating line
    program.write_text(LEAKY_PROGRAM)
    subprocess.run([sys.executable, str(program), str(out)], check=True, timeout=120)
    from conftest import cli_path

    page = out / "report.html"
    result = subprocess.run([cli_path(), "report", out / "one.hds", out / "two.hds", out / "three.hds", "-o", page],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert re.match(r"wrote .*report\.html \(.*\): 3 snapshots, \d+ suspects?\n$", result.stdout)
    return page


def test_the_page_is_self_contained_and_escapes_the_heap(report):
    html = report.read_text(encoding="utf-8")
    # One script, ours; the heap's <script> texts are there only escaped.
    assert html.count("<script") == 1
    assert "window.pwned" in html and "<script>window.pwned" not in html
    assert "&lt;script&gt;window.pwned = 1&lt;/script&gt;" in html
    assert "&lt;script&gt;alert(&quot;str " in html and '<script>alert("str' not in html
    # Nothing to fetch: no src attributes, no links out, and a policy that forbids it anyway.
    assert not re.search(r"\ssrc\s*=", html)
    assert not re.search(r"href\s*=\s*\"(?!#)", html)
    assert "Content-Security-Policy" in html and "default-src 'none'" in html


def test_chromium_loads_it_with_tables_charts_and_the_chain(report):
    result = run_browser(report, "--virtual-time-budget=5000", "--dump-dom")
    assert result.returncode == 0, result.stderr[-2000:]
    console = [line for line in result.stderr.splitlines() if ":CONSOLE" in line]
    assert console == []  # no script error, no blocked request, no warning
    dom = result.stdout
    assert "window.pwned" in dom and "<script>window.pwned" not in dom
    for table in ("snapshots", "types-table", "sites-table", "retainers-table"):
        assert 'id="%s"' % table in dom
    # The table script ran: every pager says how many rows and pages.
    pagers = re.findall(r'class="pager-info">(\d+) rows, page 1 of (\d+)<', dom)
    assert len(pagers) >= 3 and all(int(rows) > 0 for rows, _ in pagers)
    # Three charts of the trend, one of where the memory went (a bar per snapshot), and the
    # first suspect is the leak, its chain drawn by Graphviz.
    trend = dom[dom.index('id="trend"'):dom.index('id="memory"')]
    assert len(re.findall(r'<svg class="chart"', trend)) == 3
    memory = dom[dom.index('id="memory"'):dom.index('id="suspects"')]
    assert len(re.findall(r'<svg class="chart"', memory)) == 1
    assert "RSS by category" in memory and "Python objects" in memory
    first = dom[dom.index('id="suspect-1"'):]
    first = first[:first.index("</section>")]
    # (born after the first snapshot and alive in every later one: the first 300)
    assert re.search(r"#1 300 new __main__\.&lt;script&gt;window\.pwned = 1&lt;/script&gt;, retaining", first)
    assert '<div class="drawing"><svg' in first and 'class="node"' in first
    assert "KEPT" in first  # the holder's name
    assert "allocated at" in first and "item = Hostile()" in first  # the site with its source line
    # The suspect's object page: referrers, referents and what it retains, by type.
    link = re.search(r'href="#(obj-0x[0-9a-f]+)"', first).group(1)
    page = dom[dom.index('id="%s"' % link):]
    assert "<h4>referrers (" in page and "<h4>referents (" in page and "<h4>retains " in page


def test_chromium_screenshot(report):
    shot = report.parent / "report.png"
    result = run_browser(report, "--virtual-time-budget=5000", "--window-size=1280,1600", "--screenshot=" + str(shot))
    assert result.returncode == 0, result.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000  # a page with charts, not a blank one


def test_bad_inputs_get_one_line_and_no_page(tmp_path, run_cli, snap):
    good = snap("good").path
    page = tmp_path / "r.html"
    missing = run_cli("report", tmp_path / "missing.hds", "-o", page)
    assert missing.returncode == 3 and missing.stderr.count("\n") == 1 and "missing.hds" in missing.stderr
    not_html = run_cli("report", good, "-o", tmp_path / "r.txt")
    assert not_html.returncode == 2 and "name it .html" in not_html.stderr
    junk = tmp_path / "junk.hds"
    junk.write_bytes(b"not a snapshot at all")
    bad = run_cli("report", good, junk, "-o", page)
    assert bad.returncode == 3 and bad.stderr.count("\n") == 1
    # No page, and nothing half-written beside it.
    assert sorted(os.listdir(tmp_path)) == ["good.hds", "junk.hds"]


# Clicks and typing in the loaded page: the types table sorted by count (descending, then
# ascending on a second click), then filtered.
INTERACT = """
(() => {
  const table = document.getElementById("types-table");
  const box = table.parentNode;
  const visible = () => Array.from(table.tBodies[0].rows).filter(r => r.style.display !== "none");
  const counts = () => visible().map(r => Number(r.cells[1].getAttribute("data-v")));
  const result = {rows: table.tBodies[0].rows.length, shown: visible().length};
  table.tHead.rows[0].cells[1].click();
  result.descending = counts();
  table.tHead.rows[0].cells[1].click();
  result.ascending = counts();
  const filter = box.querySelector("input.filter");
  filter.value = "pwned";
  filter.dispatchEvent(new Event("input"));
  result.filtered = visible().map(r => r.cells[0].textContent);
  result.pager = box.querySelector(".pager-info").textContent;
  box.querySelector("button.next").click();
  return result;
})()
"""


def test_tables_sort_filter_and_page_in_the_browser(report, tmp_path):
    from chromium import Page

    with Page(tmp_path / "profile") as page:
        got = page.open(report.as_uri()).evaluate(INTERACT)
    assert got["rows"] > 50 and got["shown"] == 50  # a page of 50 rows of all of them
    assert len(got["descending"]) == 50 and got["descending"] == sorted(got["descending"], reverse=True)
    assert got["ascending"] == sorted(got["ascending"]) and got["ascending"][0] <= got["descending"][-1]
    assert got["filtered"] == ["__main__.<script>window.pwned = 1</script>"]  # the text, shown as text
    assert got["pager"] == "1 rows, page 1 of 1"
