// Whether the cyclic garbage collector is in the middle of a collection: a dump from a
// __del__, a weakref callback or a gc.callbacks function runs inside one. The collector
// has then moved the objects it is finalising out of its generation lists into a list of
// its own, so a walk of the generation lists alone would leave them out. No public API
// tells; the flag is read from the collector's state (3.8: the runtime, 3.9+: the
// interpreter), compiled as C against the exact version's internal headers.
#pragma once

#ifdef __cplusplus
extern "C" {
#endif

int heapdiff_gc_collecting(void);

#ifdef __cplusplus
}
#endif
