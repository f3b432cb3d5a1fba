// printable(): the one escaping of heap text for every text output, and json_text(), the
// one writer of JSON (json_output.h), which keeps JSON as safe on a terminal.
#include <doctest/doctest.h>

#include "render/format_text.h"
#include "render/json_output.h"
#include "heapdiff/printable_text.h"

using namespace heapdiff;

namespace {

// No byte a terminal acts on, and well-formed UTF-8 throughout.
void check_safe(const std::string& text) {
    CAPTURE(text);
    for (std::size_t i = 0; i < text.size();) {
        Utf8Char c = utf8_char_at(text, i);
        REQUIRE(c.length > 0);
        CHECK_FALSE(needs_escape(c.code_point));
        i += c.length;
    }
}

}  // namespace

TEST_CASE("printable leaves ordinary text alone") {
    CHECK(printable("module errorlog") == "module errorlog");
    CHECK(printable("['caf\xC3\xA9'] \xE2\x82\xAC \xF0\x9F\x90\x8D") == "['caf\xC3\xA9'] \xE2\x82\xAC \xF0\x9F\x90\x8D");
    CHECK(printable("") == "");
}

TEST_CASE("printable escapes controls like Python's repr, so text stays one line") {
    CHECK(printable("evil\nmodule x -> fake\r\x1b[31mred") == "evil\\nmodule x -> fake\\r\\x1b[31mred");
    CHECK(printable("a\tb\\n") == "a\\tb\\\\n");  // a real backslash is doubled: no look-alikes
    CHECK(printable(std::string("nul\0del\x7f", 8)) == "nul\\x00del\\x7f");
    CHECK(printable("\xC2\x85" "next line \xC2\x9B" "31m") == "\\u0085next line \\u009b31m");  // C1 controls
    CHECK(printable("\xE2\x80\xA8\xE2\x80\xA9") == "\\u2028\\u2029");
    CHECK(printable("\xE2\x80\xAE" "cba \xE2\x81\xA6x\xE2\x81\xA9") == "\\u202ecba \\u2066x\\u2069");  // bidi
}

TEST_CASE("printable shows bytes that are not UTF-8 as bytes") {
    CHECK(printable("bad\xFF!") == "bad\\xff!");
    CHECK(printable("cut \xE2\x82") == "cut \\xe2\\x82");
    CHECK(printable("overlong \xC0\xAF") == "overlong \\xc0\\xaf");
    CHECK(printable("surrogate \xED\xA0\x80") == "surrogate \\xed\\xa0\\x80");
    CHECK(printable("too high \xF4\x90\x80\x80") == "too high \\xf4\\x90\\x80\\x80");
}

TEST_CASE("printable output is safe for every byte and every pair of bytes") {
    std::string all;
    for (int a = 0; a < 256; ++a) {
        check_safe(printable(std::string(1, static_cast<char>(a))));
        for (int b = 0; b < 256; ++b) {
            all = {static_cast<char>(a), static_cast<char>(b)};
            std::string p = printable(all);
            for (char c : p) REQUIRE((static_cast<unsigned char>(c) >= 0x20 && c != 0x7f));
        }
    }
}

TEST_CASE("json_text: ASCII out, escapes what JSON needs, bad UTF-8 as U+FFFD") {
    using cli::Json;
    using cli::json_text;
    CHECK(json_text(Json("say \"hi\"\\")) == "\"say \\\"hi\\\"\\\\\"");
    CHECK(json_text(Json("evil\nx\r\t\x1b[31m")) == "\"evil\\nx\\r\\t\\u001b[31m\"");
    CHECK(json_text(Json("\xC2\x85\xC2\x9B\xE2\x80\xA8\xE2\x80\xAE")) == "\"\\u0085\\u009b\\u2028\\u202e\"");
    CHECK(json_text(Json("caf\xC3\xA9")) == "\"caf\\u00e9\"");
    // Bytes that are not UTF-8 (a display value cut at a byte limit) become U+FFFD, so
    // every document parses, and no byte of it is a control character or non-ASCII.
    const std::string bad = json_text(Json("bad\xFF \xE2\x82"));
    CHECK(bad.rfind("\"bad\\ufffd ", 0) == 0);
    for (char c : bad) CHECK((c >= 0x20 && c < 0x7f));
}
