"""A Celery app for the server tests: the filesystem broker (no server to run), a task that
allocates and keeps a bounded cache, the prefork pool."""

import collections
import os
import sys

from celery import Celery

BROKER_DIR = os.environ["HEAPDIFF_TEST_BROKER_DIR"]
app = Celery("heapdiff_test", broker="filesystem://", backend=None)
app.conf.update(
    # Every folder of the filesystem transport in the test's directory: the control
    # folder defaults to ./control, which would be written into the checkout.
    broker_transport_options={"data_folder_in": BROKER_DIR, "data_folder_out": BROKER_DIR,
                              "control_folder": os.path.join(BROKER_DIR, "control")},
    worker_hijack_root_logger=False,
    broker_connection_retry_on_startup=True,
)
_cache = collections.OrderedDict()


@app.task
def work(n):
    _cache[n] = [{"n": i} for i in range(20)]
    while len(_cache) > 2000:
        _cache.popitem(last=False)
    sys.stdout.write("task %d done in %d\n" % (n, os.getpid()))
    sys.stdout.flush()
    return os.getpid()
