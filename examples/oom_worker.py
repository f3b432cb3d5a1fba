"""A job worker that runs until the kernel kills it: the "death by assassination" of an
out-of-memory crash, for heapdiff's RSS trigger to catch in the act.

    HEAPDIFF_TRIGGERS="rss=50%,dir=/var/tmp/heap" python examples/oom_worker.py [JOBS]

Handles JOBS jobs (default: forever), as fast as it can. Each job renders a ~64 KiB
report; the report is stored in a module-level "recently seen" map that was meant to keep
the last 100 jobs but never evicts (its cleanup compares a job id with a count). It takes
no snapshot itself: run it under a memory limit with dump triggers installed (see the
README, "Catch an OOM in production").
"""
import sys

RECENT = {}      # job id -> JobResult: "the last 100 jobs"
RECENT_MAX = 100


class JobResult:
    def __init__(self, job_id, report):
        self.job_id = job_id
        self.report = report


def render(job_id):
    rows = ["%08d,item-%d,%s" % (job_id, i, "x" * 40) for i in range(1200)]
    return "\n".join(rows).encode()  # ~64 KiB


def remember(result):
    RECENT[result.job_id] = result
    if len(RECENT) > RECENT_MAX:
        RECENT.pop(result.job_id - len(RECENT), None)  # BUG: meant the oldest id, misses it


def main():
    jobs = int(sys.argv[1]) if len(sys.argv) > 1 else None
    job_id = 0
    while jobs is None or job_id < jobs:
        remember(JobResult(job_id, render(job_id)))
        job_id += 1
    print("handled %d jobs, %d remembered" % (job_id, len(RECENT)))


if __name__ == "__main__":
    main()
