// The reader's fuzz findings (tests/core/fuzz_regressions, kept as found by bench/fuzz/run.sh,
// which also replays them as seeds): each input must load, or be refused with one line,
// without a large allocation. The fuzz target also holds them to FORMAT.md's heap bound
// (it counts malloc through ASan, which this binary does not have).
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "allocation_watch.h"
#include "fixtures.h"

namespace {

using namespace heapdiff;
using namespace heapdiff::test;

Bytes read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// What each finding was, and the refusal it gets now.
const std::map<std::string, std::string> kExpected = {
    // A STRS frame whose header claims far more content than its section's raw_size and a
    // window of 2^27: the row-count peek streamed it before its content size was checked,
    // and zstd made a 151 MB window buffer for a 522-byte file. The content size is now
    // checked first, which bounds the peek's buffer by raw_size.
    {"stream-window-522.bin", "corrupted: section STRS is not a valid compressed block"},
    {"stream-window-364.bin", "corrupted: section STRS is not a valid compressed block"},
};

}  // namespace

TEST_CASE("the fuzz findings load or are refused with one line, without a large allocation") {
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(HEAPDIFF_FUZZ_REGRESSIONS))
        if (entry.is_regular_file()) files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    REQUIRE(files.size() >= kExpected.size());
    for (const std::filesystem::path& path : files) {
        const std::string name = path.filename().string();
        CAPTURE(name);
        const Bytes bytes = read_file(path);
        REQUIRE(!bytes.empty());
        for (LoadOptions options : {LoadOptions{}, LoadOptions{false, false}}) {
            AllocationWatch watch;
            const std::string message = load_error(bytes, options);  // one line, or "" if it loads
            CAPTURE(message);
            CHECK(watch.largest() < (std::size_t{16} << 20));
            auto expected = kExpected.find(name);
            if (expected != kExpected.end()) CHECK(message.find(expected->second) != std::string::npos);
        }
    }
}
