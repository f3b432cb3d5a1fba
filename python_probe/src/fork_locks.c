/* Compiled as C with Py_BUILD_CORE (3.12+): tracemalloc's state lives in _PyRuntime. */
#include <patchlevel.h>

#if PY_VERSION_HEX >= 0x030C0000
#define Py_BUILD_CORE 1
#endif
#include <Python.h>

#include <time.h>

#if PY_VERSION_HEX >= 0x030C0000
#include <internal/pycore_runtime.h>
#include <internal/pycore_tracemalloc.h>
#endif

#include "fork_locks.h"

#if PY_VERSION_HEX >= 0x030C0000
#define HEAPDIFF_TM (_PyRuntime.tracemalloc)

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One attempt, never blocking. */
static int try_lock(void) {
#if PY_VERSION_HEX >= 0x030E0000
    /* 3.14+: a PyMutex in the state; bit 0 locked, bit 1 a thread parked on it
     * (cpython/pylock.h). Free with waiters parked is 2: taken as PyMutex_LockFast would,
     * keeping the parked bit, so that PyMutex_Unlock wakes them in the parent. */
    uint8_t bits = __atomic_load_n(&HEAPDIFF_TM.tables_lock._bits, __ATOMIC_RELAXED);
    if (bits & 1) return 0;
    return __atomic_compare_exchange_n(&HEAPDIFF_TM.tables_lock._bits, &bits, (uint8_t)(bits | 1), 0,
                                       __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
#else
    return HEAPDIFF_TM.tables_lock && PyThread_acquire_lock(HEAPDIFF_TM.tables_lock, 0) == PY_LOCK_ACQUIRED;
#endif
}

static void unlock(void) {
#if PY_VERSION_HEX >= 0x030E0000
    PyMutex_Unlock(&HEAPDIFF_TM.tables_lock);
#else
    PyThread_release_lock(HEAPDIFF_TM.tables_lock);
#endif
}

static int has_lock(void) {
#if PY_VERSION_HEX >= 0x030E0000
    return 1;
#else
    return HEAPDIFF_TM.tables_lock != NULL;
#endif
}
#endif

int heapdiff_tm_lock_for_fork(double seconds) {
#if PY_VERSION_HEX >= 0x030C0000
    if (!HEAPDIFF_TM.config.tracing || !has_lock()) return -1;
    const double deadline = now_seconds() + seconds;
    const struct timespec nap = {0, 50 * 1000};  /* a raw free holds it for microseconds */
    for (;;) {
        if (try_lock()) return 1;
        if (now_seconds() >= deadline) return 0;
        nanosleep(&nap, NULL);
    }
#else
    (void)seconds;
    return -1;
#endif
}

void heapdiff_tm_unlock_after_fork(void) {
#if PY_VERSION_HEX >= 0x030C0000
    unlock();
#endif
}

void heapdiff_tm_unlock_in_child(void) {
#if PY_VERSION_HEX >= 0x030E0000
    /* The child's only thread: PyMutex_Unlock would see the parked bit of a parent's waiter
     * (a thread that is not in the copy) and go into the parking lot, whose own locks that
     * thread may hold. Nobody is parked here, so the lock is simply made free. */
    __atomic_store_n(&HEAPDIFF_TM.tables_lock._bits, (uint8_t)0, __ATOMIC_RELEASE);
#elif PY_VERSION_HEX >= 0x030C0000
    unlock();
#endif
}

void heapdiff_tm_forget_in_child(void) {
#if PY_VERSION_HEX >= 0x030C0000
    /* What tracemalloc.stop() does first, without its frees and without the lock: the
     * allocators it wrapped are put back and tracing is off for the probe's checks. */
    PyMem_SetAllocator(PYMEM_DOMAIN_RAW, &HEAPDIFF_TM.allocators.raw);
    PyMem_SetAllocator(PYMEM_DOMAIN_MEM, &HEAPDIFF_TM.allocators.mem);
    PyMem_SetAllocator(PYMEM_DOMAIN_OBJ, &HEAPDIFF_TM.allocators.obj);
    HEAPDIFF_TM.config.tracing = 0;
#endif
}

int heapdiff_tm_hold_lock(double seconds) {
#if PY_VERSION_HEX >= 0x030C0000
    if (!has_lock()) return 0;
    if (heapdiff_tm_lock_for_fork(1.0) != 1) return 0;
    struct timespec ts;
    ts.tv_sec = (time_t)seconds;
    ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
    nanosleep(&ts, NULL);
    unlock();
    return 1;
#else
    (void)seconds;
    return 0;
#endif
}
