"""A functional "test suite" that leaks one in-memory database per failing test.

    python examples/db_error_log/run_suite.py [TESTS] [OUT_DIR]

Runs TESTS tests (default 16), each against a fresh DB of 1 to 3 pages of 64 KiB. Every
fourth test requests a user that does not exist: the application logs the error and answers
500, and the test checks for that 500. Then it writes
OUT_DIR/suite.hds (OUT_DIR defaults to "out"). Each logged error keeps its request's DB alive:

    heapdiff backrefs OUT_DIR/suite.hds --type DB

answers: module errorlog -> its dict -> ['_temp_logs'] -> list[3] -> dict['tb']
-> traceback tb_frame -> frame handle_request, local 'db' -> DB.
"""
import argparse
import os

import app
import errorlog
import heapdiff

PATHS = ["/", "/users/7", "/about", "/users/404"]  # the last one fails: no such user


def run_test(n):
    path = PATHS[n % len(PATHS)]
    status, _ = app.handle_request(path, pages=1 + n % 3)  # fixtures of 1 to 3 pages
    assert status == (500 if path == "/users/404" else 200), (path, status)
    # The tear-down should call errorlog._clear() here; it does not.


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tests", nargs="?", type=int, default=16, help="how many tests to run")
    parser.add_argument("out_dir", nargs="?", default="out", help="where suite.hds goes")
    args = parser.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)

    for n in range(args.tests):
        run_test(n)
    path = heapdiff.dump(os.path.join(args.out_dir, "suite.hds"), label="after %d tests" % args.tests)
    print("ran %d tests, %d errors logged, wrote %s" % (args.tests, len(errorlog._temp_logs), path))


if __name__ == "__main__":
    main()
