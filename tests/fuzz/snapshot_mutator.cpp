// A structure-aware mutator for fuzz_reader. Byte-level mutation alone almost never gets
// past the checksums (FNV-1a on each section header, zstd's on each payload), so most
// mutations here take the snapshot apart, change the *decompressed* payload of one
// section or the order and flags of sections, and put it back together with every
// checksum right (and, usually, the END counts updated). That sends the fuzzer into the
// table decoders and the cross-reference checks, where the interesting bugs live. EDGE
// sections can also be split and merged (a chunk's edges may span any number of them),
// and moved across the OBJS sections that claim them.
#include <cstdint>
#include <cstring>
#include <random>
#include <stdexcept>
#include <vector>

#include "heapdiff/bytes.h"
#include "heapdiff/error.h"
#include "raw_file.h"

extern "C" std::size_t LLVMFuzzerMutate(std::uint8_t* data, std::size_t size, std::size_t max_size);

namespace {

using namespace heapdiff;
using namespace heapdiff::test;

constexpr std::uint64_t kMaxPayload = 1u << 20;  // keep decoding in the mutator cheap

bool parse(const std::uint8_t* data, std::size_t size, RawFile& out) {
    try {
        Bytes bytes(data, data + size);
        for (const SectionSpan& s : section_spans(bytes))
            if (s.raw_size > kMaxPayload) return false;
        out = decode(bytes);
        return true;
    } catch (const std::exception&) {  // heapdiff::Error or the test helpers' runtime_error
        return false;
    }
}

void mutate_payload(Bytes& payload, std::size_t max_growth) {
    std::size_t size = payload.size();
    payload.resize(size + max_growth);
    if (size == 0) payload[size++] = 0;  // LLVMFuzzerMutate needs a byte to start from
    payload.resize(LLVMFuzzerMutate(payload.data(), size, payload.size()));
}

// Reads the varint at `at` without throwing; returns its end.
std::size_t varint_at(const Bytes& b, std::size_t at, std::uint64_t& value) {
    value = 0;
    for (int shift = 0; at < b.size() && shift < 64; shift += 7) {
        std::uint8_t byte = b[at++];
        value |= static_cast<std::uint64_t>(byte & 0x7F) << shift;
        if (!(byte & 0x80)) break;
    }
    return at;
}

// Replaces the varint starting at a random byte with a value at some limit. Counts, ids
// and sums at their limits are where decoders go wrong, and byte mutations rarely build
// a 10-byte varint. One choice is "minus the next varint, plus a little": two adjacent
// counts that wrap around when added.
void replace_varint(Bytes& payload, std::minstd_rand& rng) {
    if (payload.empty()) return;
    static const std::uint64_t kLimits[] = {0, 1, 2, 3, 0x7F, 0x80, 0xFFFFFFFFull, 0x100000000ull,
                                            format::kMaxSectionRaw, 1ull << 62, (1ull << 63) - 1, 1ull << 63, ~0ull};
    std::size_t at = rng() % payload.size();
    std::uint64_t old_value, next_value;
    std::size_t end = varint_at(payload, at, old_value);
    varint_at(payload, end, next_value);
    std::uint64_t v;
    switch (rng() % 3) {
        case 0: v = kLimits[rng() % std::size(kLimits)]; break;
        case 1: v = old_value + (rng() % 5) - 2; break;
        default: v = 0 - next_value + (rng() % 3); break;
    }
    ByteWriter w;
    w.varint(v);
    payload.erase(payload.begin() + static_cast<std::ptrdiff_t>(at), payload.begin() + static_cast<std::ptrdiff_t>(end));
    payload.insert(payload.begin() + static_cast<std::ptrdiff_t>(at), w.buffer().begin(), w.buffer().end());
}

// An EDGE payload taken apart: count, targets (deltas within the section), kinds, args.
struct Edges {
    std::vector<std::uint64_t> target, arg;
    std::vector<std::uint8_t> kind;
};

bool parse_edges(const Bytes& payload, Edges& out) {
    try {
        ByteReader r(payload.data(), payload.size(), "mutator");
        std::uint64_t n = r.count(3);
        std::uint64_t previous = 0;
        for (std::uint64_t i = 0; i < n; ++i) out.target.push_back(r.delta(previous));
        for (std::uint64_t i = 0; i < n; ++i) out.kind.push_back(r.u8());
        for (std::uint64_t i = 0; i < n; ++i) out.arg.push_back(r.varint());
        return r.at_end();
    } catch (const Error&) {
        return false;
    }
}

Bytes edges_payload(const Edges& e, std::size_t begin, std::size_t end) {
    ByteWriter w;
    w.varint(end - begin);
    std::uint64_t previous = 0;
    for (std::size_t i = begin; i < end; ++i) w.delta(e.target[i], previous);
    for (std::size_t i = begin; i < end; ++i) w.u8(e.kind[i]);
    for (std::size_t i = begin; i < end; ++i) w.varint(e.arg[i]);
    return w.buffer();
}

// Splits a valid EDGE section in two at a random edge, re-encoding the targets so that
// each part still decodes on its own: the same edges, now spanning two sections (and
// often an object's edges split between them), which a reader must load unchanged.
void split_edges(std::vector<RawSection>& sections, std::size_t i, std::minstd_rand& rng) {
    Edges e;
    if (sections[i].tag != format::kEdges || !parse_edges(sections[i].payload, e)) return;
    std::size_t at = rng() % (e.target.size() + 1);
    RawSection second = sections[i];
    sections[i].payload = edges_payload(e, 0, at);
    second.payload = edges_payload(e, at, e.target.size());
    sections.insert(sections.begin() + static_cast<std::ptrdiff_t>(i) + 1, std::move(second));
}

// The reverse: two adjacent EDGE sections into one.
void merge_edges(std::vector<RawSection>& sections, std::size_t i) {
    Edges a, b;
    if (i + 1 >= sections.size() || sections[i].tag != format::kEdges || sections[i + 1].tag != format::kEdges ||
        !parse_edges(sections[i].payload, a) || !parse_edges(sections[i + 1].payload, b))
        return;
    a.target.insert(a.target.end(), b.target.begin(), b.target.end());
    a.kind.insert(a.kind.end(), b.kind.begin(), b.kind.end());
    a.arg.insert(a.arg.end(), b.arg.begin(), b.arg.end());
    sections[i].payload = edges_payload(a, 0, a.target.size());
    sections.erase(sections.begin() + static_cast<std::ptrdiff_t>(i) + 1);
}

const std::uint32_t kTags[] = {format::kStrings, format::kTypes,  format::kObjects,
                               format::kEdges,   format::kTracebacks, format::kTraceStats,
                               format::kRoots,   format::kFacts,  format::kEnd,
                               format::tag("ZZZZ")};

void mutate_structure(RawFile& f, std::minstd_rand& rng) {
    auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
    auto& sections = f.sections;
    switch (rng() % 12) {
        case 0:
            if (!sections.empty()) sections.erase(sections.begin() + static_cast<std::ptrdiff_t>(pick(sections.size())));
            break;
        case 1:
            if (!sections.empty()) {
                RawSection copy = sections[pick(sections.size())];
                sections.insert(sections.begin() + static_cast<std::ptrdiff_t>(pick(sections.size() + 1)), copy);
            }
            break;
        case 2:
            if (sections.size() >= 2) std::swap(sections[pick(sections.size())], sections[pick(sections.size())]);
            break;
        case 3:
            if (!sections.empty()) sections[pick(sections.size())].flags ^= 1u << (rng() % 32);
            break;
        case 4:
            if (!sections.empty()) sections[pick(sections.size())].tag = kTags[pick(std::size(kTags))];
            break;
        case 5:
            f.minor = static_cast<std::uint16_t>(rng());
            break;
        case 6:
            f.major = static_cast<std::uint16_t>(rng() % 3);
            break;
        case 7:
            f.header_size = static_cast<std::uint32_t>(format::kHeaderSize + rng() % 3 * 8);
            break;
        case 8:
            if (!sections.empty()) split_edges(sections, pick(sections.size()), rng);
            break;
        case 9:
            if (!sections.empty()) merge_edges(sections, pick(sections.size()));
            break;
        default:
            if (sections.size() >= 2) {  // move one section elsewhere
                std::size_t from = pick(sections.size());
                RawSection moved = sections[from];
                sections.erase(sections.begin() + static_cast<std::ptrdiff_t>(from));
                sections.insert(sections.begin() + static_cast<std::ptrdiff_t>(pick(sections.size() + 1)), moved);
            }
            break;
    }
}

}  // namespace

extern "C" std::size_t LLVMFuzzerCustomMutator(std::uint8_t* data, std::size_t size, std::size_t max_size,
                                               unsigned int seed) {
    std::minstd_rand rng(seed);
    RawFile f;
    if (rng() % 5 == 0 || !parse(data, size, f) || f.sections.empty()) return LLVMFuzzerMutate(data, size, max_size);

    if (rng() % 4 == 0) {
        mutate_structure(f, rng);
    } else {
        RawSection& s = f.sections[rng() % f.sections.size()];
        if (rng() % 3 == 0)
            replace_varint(s.payload, rng);
        else
            mutate_payload(s.payload, 16 + s.payload.size() / 4);
    }
    if (rng() % 8 != 0) {
        try {
            fix_end(f);  // so a change is judged on its own, not only by the END counts
        } catch (const std::exception&) {
        }
    }
    Bytes out = encode(f);
    if (out.size() > max_size) return LLVMFuzzerMutate(data, size, max_size);
    std::memcpy(data, out.data(), out.size());
    return out.size();
}
