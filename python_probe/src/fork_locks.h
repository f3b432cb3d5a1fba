// The locks a forked dump's child could find held by a thread that does not exist in the
// child. Only one matters to the walk: tracemalloc's tables lock (3.12+), which raw-domain
// allocations take without the GIL, and every traced allocation takes on 3.12+. The GIL
// itself is held by the forking thread, and every other lock the walk touches is taken only
// under the GIL (docs/PROBE.md, "Forked dumps").
#pragma once

#ifdef __cplusplus
extern "C" {
#endif

// Takes tracemalloc's tables lock, waiting at most `seconds`. 1: taken (release it in both
// processes after fork), 0: another thread held it all that time, -1: nothing to take
// (not tracing, or before 3.12, where the lock is private to _tracemalloc.c and is held
// without the GIL only for a raw free).
int heapdiff_tm_lock_for_fork(double seconds);
void heapdiff_tm_unlock_after_fork(void);
// The same in the child, where the only thread is the one that took it (3.14+: without
// waking waiters, who were the parent's threads).
void heapdiff_tm_unlock_in_child(void);
// In a child whose tables lock was held by a thread that is gone: tracemalloc's
// allocators taken out and tracing marked off (tables left as they were, never read), so
// that neither an allocation nor the walk waits for a lock nobody will release.
void heapdiff_tm_forget_in_child(void);
// Tests: hold the tables lock for `seconds` from the calling thread (GIL released by the
// caller). Returns 0 where there is no lock to hold (see above).
int heapdiff_tm_hold_lock(double seconds);

#ifdef __cplusplus
}
#endif
