#include "raw_file.h"

#include <zstd.h>

#include <stdexcept>

#include "heapdiff/bytes.h"

namespace heapdiff::test {

std::uint32_t fnv1a32(const std::uint8_t* data, std::size_t n) {
    std::uint32_t h = 2166136261u;
    for (std::size_t i = 0; i < n; ++i) {
        h ^= data[i];
        h *= 16777619u;
    }
    return h;
}

Bytes zstd_frame(const Bytes& raw) {
    ZSTD_CCtx* cctx = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 1);
    Bytes out(ZSTD_compressBound(raw.size()));
    std::size_t n = ZSTD_compress2(cctx, out.data(), out.size(), raw.data(), raw.size());
    ZSTD_freeCCtx(cctx);
    if (ZSTD_isError(n)) throw std::runtime_error(ZSTD_getErrorName(n));
    out.resize(n);
    return out;
}

Bytes file_header(std::uint16_t major, std::uint16_t minor, std::uint32_t header_size) {
    ByteWriter w;
    w.raw(format::kMagic, sizeof format::kMagic);
    w.fixed16(major);
    w.fixed16(minor);
    w.fixed32(header_size);
    return w.buffer();
}

Bytes section_header(std::uint32_t tag, std::uint32_t flags, std::uint64_t stored, std::uint64_t raw) {
    ByteWriter w;
    w.fixed32(tag);
    w.fixed32(flags);
    w.fixed64(stored);
    w.fixed64(raw);
    w.fixed32(fnv1a32(w.buffer().data(), w.size()));
    return w.buffer();
}

Bytes encode_section(const RawSection& s) {
    Bytes frame = zstd_frame(s.payload);
    Bytes out = section_header(s.tag, s.flags, frame.size(), s.payload.size());
    out.insert(out.end(), frame.begin(), frame.end());
    return out;
}

Bytes encode(const RawFile& f) {
    Bytes out = file_header(f.major, f.minor, f.header_size);
    out.resize(out.size() + (f.header_size > format::kHeaderSize ? f.header_size - format::kHeaderSize : 0));
    for (const RawSection& s : f.sections) {
        Bytes b = encode_section(s);
        out.insert(out.end(), b.begin(), b.end());
    }
    return out;
}

std::vector<SectionSpan> section_spans(const Bytes& file) {
    ByteReader header(file.data(), file.size(), "test header");
    header.raw(sizeof format::kMagic);
    header.fixed16();
    header.fixed16();
    std::size_t at = header.fixed32();
    std::vector<SectionSpan> spans;
    while (at < file.size()) {
        ByteReader r(file.data() + at, file.size() - at, "test section");
        SectionSpan s;
        s.header_offset = at;
        s.tag = r.fixed32();
        s.flags = r.fixed32();
        s.stored_size = r.fixed64();
        s.raw_size = r.fixed64();
        r.fixed32();
        s.payload_offset = at + format::kSectionHeaderSize;
        r.raw(static_cast<std::size_t>(s.stored_size));
        at = s.payload_offset + static_cast<std::size_t>(s.stored_size);
        spans.push_back(s);
    }
    return spans;
}

RawFile decode(const Bytes& file) {
    RawFile f;
    ByteReader header(file.data(), file.size(), "test header");
    header.raw(sizeof format::kMagic);
    f.major = header.fixed16();
    f.minor = header.fixed16();
    f.header_size = header.fixed32();
    for (const SectionSpan& span : section_spans(file)) {
        RawSection s;
        s.tag = span.tag;
        s.flags = span.flags;
        s.payload.resize(static_cast<std::size_t>(span.raw_size));
        std::size_t n = ZSTD_decompress(s.payload.data(), s.payload.size(), file.data() + span.payload_offset,
                                        static_cast<std::size_t>(span.stored_size));
        if (ZSTD_isError(n) || n != s.payload.size()) throw std::runtime_error("test decode: bad zstd frame");
        f.sections.push_back(std::move(s));
    }
    return f;
}

std::size_t find_section(const RawFile& f, std::uint32_t tag, std::size_t n) {
    for (std::size_t i = 0; i < f.sections.size(); ++i)
        if (f.sections[i].tag == tag && n-- == 0) return i;
    throw std::runtime_error("test: no section " + tag_text(tag));
}

Bytes end_payload(std::uint64_t objects, std::uint64_t edges, std::uint64_t sections) {
    ByteWriter w;
    w.varint(objects);
    w.varint(edges);
    w.varint(sections);
    return w.buffer();
}

void fix_end(RawFile& f) {
    std::uint64_t objects = 0, edges = 0, sections = 0;
    for (const RawSection& s : f.sections) {
        if (s.tag == format::kEnd) continue;
        ++sections;
        if ((s.tag != format::kObjects && s.tag != format::kEdges) || s.payload.empty()) continue;
        ByteReader r(s.payload.data(), s.payload.size(), "test count");
        (s.tag == format::kObjects ? objects : edges) += r.varint();
    }
    f.sections[find_section(f, format::kEnd)].payload = end_payload(objects, edges, sections);
}

std::string tag_text(std::uint32_t tag) {
    std::string s;
    for (int i = 0; i < 4; ++i) s += static_cast<char>(tag >> (8 * i));
    return s;
}

}  // namespace heapdiff::test
