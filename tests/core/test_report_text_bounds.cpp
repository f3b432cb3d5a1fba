// kMaxShownChars (report_bounds.h) at the two places every output goes through:
// printable() (text, HTML, drawings, CSV) and json_text() (every --json document), on a
// hand-made heap with a 300 KB type name and a 5,000-character str.
#include <doctest/doctest.h>

#include <string>

#include "heapdiff/object_text.h"
#include "heapdiff/printable_text.h"
#include "heapdiff/report_bounds.h"
#include "render/html_text.h"
#include "render/json_output.h"
#include "render/object_output.h"
#include "snapshot_builder.h"

using namespace heapdiff;
using cli::Json;

namespace {

const std::string kHugeType = "app." + std::string(300 * 1024, 'T');
const std::string kLongValue(5000, 'v');

Snapshot long_text_heap() {
    test::SnapshotBuilder b;
    TypeId huge = b.type(kHugeType, 0xf000, format::type_flag::kHeapType);
    TypeId str = b.type("builtins.str", 0xf100);
    b.object(0x100, huge, 48, 1);
    b.object(0x200, str, 5049, 1, 0, {}, kLongValue);
    return b.take();
}

std::string marker(std::size_t more) { return "\xE2\x80\xA6 (" + std::to_string(more) + " more characters)"; }

}  // namespace

TEST_CASE("shortened and printable: the first kMaxShownChars characters, then how many more") {
    CHECK(shortened(std::string(200, 'a')) == std::string(200, 'a'));
    CHECK(shortened(std::string(201, 'a')) == std::string(200, 'a') + marker(1));
    CHECK(printable(std::string(5000, 'a')) == std::string(200, 'a') + marker(4800));
    // Characters, not bytes: never inside a UTF-8 sequence; a bad byte counts as one.
    std::string euros;
    for (int k = 0; k < 300; ++k) euros += "\xE2\x82\xAC";
    CHECK(shortened(euros) == euros.substr(0, 600) + marker(100));
    CHECK(printable(std::string(300, '\xFF')).rfind(marker(100)) != std::string::npos);
    CHECK(text_chars(euros) == 300);
    // Escapes come out of the characters shown, after the cut: "\n" stays whole.
    CHECK(printable(std::string(199, 'a') + "\n" + std::string(50, 'b')) == std::string(199, 'a') + "\\n" + marker(50));
    CHECK(printable(std::string(300, 'a'), kWholeText) == std::string(300, 'a'));
    CHECK(printable(std::string(20, 'a'), 5) == "aaaaa" + marker(15));
}

TEST_CASE("a 300 KB type name and a 5,000-character label: shortened in text, HTML and JSON, JSON says so") {
    Snapshot s = long_text_heap();
    const std::string text = cli::object_text(s, 0);
    CHECK(text.size() < 400);
    CHECK(text.find(marker(kHugeType.size() - 4 - 200)) != std::string::npos);  // the short name: "TTT…"
    CHECK(cli::object_text(s, 1).find(marker(kLongValue.size() + 4 - 200)) != std::string::npos);  // "str " + value
    CHECK(cli::html_text(kHugeType).size() < 300);
    CHECK(cli::html_text(kHugeType).find(marker(kHugeType.size() - 200)) != std::string::npos);

    const Json type_row = Json::parse(cli::json_text(cli::object_json(s, 0)));
    CHECK(type_row["type"] == "app." + std::string(196, 'T') + marker(kHugeType.size() - 200));
    CHECK(type_row["truncated"] == Json::array({"label", "type"}));
    CHECK(type_row["address"] == "0x100");
    const Json str_row = Json::parse(cli::json_text(cli::object_json(s, 1)));
    CHECK(str_row["truncated"] == Json::array({"label"}));
    CHECK(str_row["label"].get<std::string>().size() < 250);
    // Nested objects and arrays too; a document with nothing long is as it was.
    const Json nested = Json::parse(cli::json_text({{"rows", {{{"name", kLongValue}}}}, {"list", {kLongValue}}}));
    CHECK(nested["rows"][0]["truncated"] == Json::array({"name"}));
    CHECK(nested["list"][0] == std::string(200, 'v') + marker(4800));
    CHECK(cli::json_text({{"type", "builtins.dict"}}) == "{\"type\":\"builtins.dict\"}");
    CHECK(cli::json_text(Json(kLongValue), kWholeText).size() == kLongValue.size() + 2);
    // heapdiff's own sentences and the caller's paths are written whole.
    const std::string sentence(300, 's');
    const Json whole = {{"notes", {sentence}}, {"warnings", {sentence}}, {"next", {sentence}},
                        {"snapshots", {sentence}}, {"search", sentence}, {"message", sentence}};
    CHECK(Json::parse(cli::json_text(whole)) == whole);
}
