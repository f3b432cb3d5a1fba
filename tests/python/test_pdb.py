"""A real leak hunt at the pdb prompt: `python -m pdb` on examples/db_error_log/run_suite.py,
driven through its standard input, as README's walkthrough does it."""

import os
import re
import subprocess
import sys

EXAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples")
SUITE_DIR = os.path.join(EXAMPLES, "db_error_log")


def test_leak_hunt_at_the_pdb_prompt(tmp_path):
    png = tmp_path / "db-chain.png"
    commands = [
        "break run_suite.py:40",  # the loop body: before the first test
        "continue",
        "import heapdiff",
        "heapdiff.show_growth(limit=3)",  # the baseline
        "clear 1",
        "break run_suite.py:41",  # after the 16 tests
        "continue",
        # From 3.14 more kinds of object grow by 4 or more between the two breakpoints (pdb
        # and the interpreter keep more cells, weakrefs and bound builtins), and bytearray's
        # +4 ranks 11th: show a few more rows there.
        "heapdiff.show_growth(%s)" % ("limit=15" if sys.version_info >= (3, 14) else ""),
        "p heapdiff.count('DB')",
        "answer = heapdiff.why_alive(heapdiff.by_type('DB')[-1])",
        "answer.show(%r)" % str(png),
        "p [type(o).__name__ for o in answer.chain.objects]",
        "quit",
    ]
    r = subprocess.run([sys.executable, "-m", "pdb", "run_suite.py", "16", str(tmp_path)], cwd=SUITE_DIR,
                       input="\n".join(commands) + "\n", stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True, timeout=120)
    out = r.stdout
    assert "(Pdb)" in out and "Traceback" not in out, out
    growth = out[out.index("run_suite.py(41)main()"):]
    # 16 tests, every fourth fails: errorlog keeps 4 DBs, each with its page cache.
    assert re.search(r"^DB +4 +\+4$", growth, re.M), out
    assert re.search(r"^bytearray +\d+ +\+4$", growth, re.M), out
    assert re.search(r"^\(Pdb\) 4$", out, re.M), out
    chain = re.search(r"shortest chain from a module, 6 references:\n((?:.*\n){7})", out)
    assert chain, out
    lines = chain.group(1).splitlines()
    assert re.match(r"^ +module errorlog +0x[0-9a-f]+$", lines[0])
    assert [line.split()[1] for line in lines[1:]] == ["__dict__", "['_temp_logs']", "[3]", "['tb']", "tb_frame",
                                                       "local"]
    assert re.match(r"^  -> local 'db' +DB +0x", lines[-1])
    assert "['module', 'dict', 'list', 'dict', 'traceback', 'frame', 'DB']" in out
    assert "drew 7 objects into %s" % png in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
