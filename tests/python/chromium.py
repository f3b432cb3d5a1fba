"""Debian's Chromium, headless, for the tests that look at what heapdiff writes for a
browser: `heapdiff report`'s page (test_report.py) and the Chrome heap snapshot export,
loaded by DevTools' own heap snapshot code (test_export.py). Not a test module."""

import json
import os
import select
import shutil
import subprocess
import time


def browser():
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    assert found, "no chromium: scripts/setup.sh --tests installs Debian's chromium"
    return found


HEADLESS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]


def run_browser(page, *args):
    """Headless Chromium on a file:// URL; its console messages go to stderr (CONSOLE lines)."""
    command = [browser(), *HEADLESS, "--user-data-dir=" + str(page.parent / "profile"),
               "--enable-logging=stderr", "--v=0", *args, page.as_uri()]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


class Page:
    """One page of headless Chromium, driven over the DevTools protocol on a pipe
    (--remote-debugging-pipe: NUL-separated JSON on fds 3 and 4, so no websocket library).
    open(url) loads a page; evaluate() runs an expression in it and returns its value.
    DevTools' own front end is such a page too: devtools://devtools/bundled/devtools_app.html,
    shipped inside Chromium."""

    DEVTOOLS = "devtools://devtools/bundled/devtools_app.html"

    def __init__(self, profile_dir, timeout=120):
        self.timeout = timeout
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()

        def give_pipes():  # in the child: the protocol's fds are 3 (it reads) and 4 (it writes)
            r, w = os.dup(to_chrome_r), os.dup(from_chrome_w)
            os.dup2(r, 3)
            os.dup2(w, 4)

        self._process = subprocess.Popen(
            [browser(), *HEADLESS, "--remote-debugging-pipe", "--user-data-dir=" + str(profile_dir), "about:blank"],
            close_fds=False, preexec_fn=give_pipes, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buffer, self._next_id = b"", 0
        target = self._call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self._session = self._call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        self._call("Page.enable")

    def open(self, url):
        self._call("Page.navigate", {"url": url})
        deadline = time.monotonic() + self.timeout
        while self.evaluate("location.href + ' ' + document.readyState") != url + " complete":
            assert time.monotonic() < deadline, url + " did not load"
            time.sleep(0.1)
        return self

    def _call(self, method, params=None):
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if getattr(self, "_session", None):
            message["sessionId"] = self._session
        os.write(self._to_chrome, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            while b"\0" not in self._buffer:
                left = deadline - time.monotonic()
                assert left > 0 and select.select([self._from_chrome], [], [], left)[0], "no answer to " + method
                chunk = os.read(self._from_chrome, 1 << 20)
                assert chunk, "chromium closed the protocol pipe"
                self._buffer += chunk
            line, self._buffer = self._buffer.split(b"\0", 1)
            answer = json.loads(line)
            if answer.get("id") == self._next_id:
                assert "error" not in answer, answer["error"]
                return answer["result"]

    def evaluate(self, expression):
        result = self._call("Runtime.evaluate", {"expression": expression, "awaitPromise": True, "returnByValue": True})
        assert "exceptionDetails" not in result, result["exceptionDetails"].get("exception", result["exceptionDetails"])
        return result["result"].get("value")

    def close(self):
        self._process.kill()
        self._process.wait()
        os.close(self._to_chrome)
        os.close(self._from_chrome)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
