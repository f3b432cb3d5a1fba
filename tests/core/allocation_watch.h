// Records the largest single allocation made through operator new while it is alive.
// The test binary replaces the global operator new to feed it; the tests use it to show
// that a lying count or size in a file never turns into a huge allocation.
#pragma once

#include <cstddef>

namespace heapdiff::test {

class AllocationWatch {
public:
    AllocationWatch();
    std::size_t largest() const;
};

}  // namespace heapdiff::test
