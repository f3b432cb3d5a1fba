"""A two-phase program whose tuned collector hoards cyclic trash (the gc seed's story).

    python examples/cyclic_trash.py [OUT_DIR] [--parts P] [--jobs J] [--job-size S] [--payload B]

The collector's thresholds are (30000, 5, 100000), as in the seed: collecting the oldest
generation would traverse the whole phase-1 model for nothing, so it effectively never runs.
Phase 1 builds a model of P parts (default 20,000) whose parent/children links are cycles;
it stays alive to the end. Phase 2 runs J jobs (default 200) of S tasks (default 5,000); each
Task and its TaskResult point at each other, and the Task carries a B-byte payload (default
1,024). When a job ends its tasks are dropped: only the collector can free those cycles, and
the tasks that happened to be alive during a generation-1 collection were moved to generation
2, where they now wait for a collection that never comes.

Halfway through, a developer's debugging collection with gc.DEBUG_SAVEALL keeps everything it
finds in gc.garbage instead of freeing it. TaskResult has a __del__ (it would release a
result handle). At the end the program writes, without collecting first,

    OUT_DIR/trash.hds       the dropped tasks the collector has not freed yet
    OUT_DIR/collected.hds   after gc.collect(): only what gc.garbage holds is left

and prints how many tasks each snapshot holds. `heapdiff garbage OUT_DIR/trash.hds` shows them.
"""
import argparse
import gc
import os

import heapdiff

gc.set_threshold(30000, 5, 100000)


class Part:
    """Phase 1: a node of the model, linked to its parent and its children (cycles)."""

    def __init__(self, name, parent=None):
        self.name = name
        self.parent = parent
        self.children = []
        if parent is not None:
            parent.children.append(self)


class Task:
    __slots__ = ("part", "payload", "result")
    created = 0

    def __init__(self, part, size):
        self.part = part
        self.payload = bytes(size)
        self.result = None
        Task.created += 1


class TaskResult:
    __slots__ = ("task", "ok")
    finalized = 0  # how many __del__ ran: results the collector (or refcounting) finished

    def __init__(self, task):
        self.task = task
        task.result = self  # the cycle: task.result.task is task

    def __del__(self):
        TaskResult.finalized += 1  # where a real result would release its handle


MODEL = []  # phase 1's parts, alive until the end


def build_model(parts):
    root = Part("root")
    MODEL.append(root)
    for i in range(1, parts):
        MODEL.append(Part("part-%d" % i, MODEL[(i - 1) // 8]))  # a tree, 8 children per part


def run_job(job, size, payload):
    tasks = [Task(MODEL[(job * size + i) % len(MODEL)], payload) for i in range(size)]
    for task in tasks:
        TaskResult(task).ok = True
    return sum(task.result.ok for task in tasks)  # then every task of the job is dropped


def not_collected():
    """Dropped tasks still in memory and not in gc.garbage: their TaskResult.__del__ has not
    run (a DEBUG_SAVEALL collection runs __del__ too, before it saves the objects)."""
    return Task.created - TaskResult.finalized


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", nargs="?", default="out", help="where the .hds snapshots go")
    parser.add_argument("--parts", type=int, default=20_000, help="phase 1: parts in the model")
    parser.add_argument("--jobs", type=int, default=200, help="phase 2: jobs")
    parser.add_argument("--job-size", type=int, default=5_000, help="phase 2: tasks per job")
    parser.add_argument("--payload", type=int, default=1024, help="bytes each task carries")
    args = parser.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)

    build_model(args.parts)
    for job in range(args.jobs):
        if job == args.jobs // 2:
            # The debugging collection: everything unreachable now stays in gc.garbage.
            gc.set_debug(gc.DEBUG_SAVEALL)
            gc.collect()
            gc.set_debug(0)
        run_job(job, args.job_size, args.payload)
    saved = sum(type(obj) is Task for obj in gc.garbage)
    print("phase 1: %d parts; phase 2: %d tasks, %d of them kept in gc.garbage by DEBUG_SAVEALL"
          % (len(MODEL), Task.created, saved))

    gc.disable()  # hold the collector still between counting and dumping (the dump pauses it too)
    pending = not_collected()
    path = heapdiff.dump(os.path.join(args.out_dir, "trash.hds"), label="end of phase 2")
    gc.enable()
    print("not collected: %d tasks; wrote %s" % (pending, path))

    gc.collect()
    path = heapdiff.dump(os.path.join(args.out_dir, "collected.hds"), label="after gc.collect()")
    print("after gc.collect(): %d tasks not collected; wrote %s" % (not_collected(), path))


if __name__ == "__main__":
    main()
