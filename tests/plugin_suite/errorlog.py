"""The application's error log (the test-suite story): every error keeps its traceback, and
with it the frame of the request that failed and that frame's database."""

_temp_logs = []


def report(exc_info):
    exc_type, value, tb = exc_info
    _temp_logs.append({"type": exc_type.__name__, "value": value, "tb": tb})
