// The one way a command prints JSON: a document built with nlohmann::json, written as
// one line. Every --json output and the HTML report's embedded data go through here.
#pragma once

#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "heapdiff/printable_text.h"

namespace heapdiff::cli {

using Json = nlohmann::json;

// One line of JSON that any parser accepts and that puts no control character on a
// terminal: non-ASCII is written as \u escapes, and bytes that are not UTF-8 (heap text
// is cut at a byte limit) become U+FFFD instead of an exception.
//
// Every string value longer than `max_chars` characters is shortened as printable()
// shortens text ("… (N more characters)", report_bounds.h), and the object holding it
// gets "truncated": the names of its fields that were (docs/JSON.md, "Conventions").
// Written whole: the fields of heapdiff's own sentences and the caller's paths
// ("message", "warnings", "notes", "next", "snapshots", "search", "findings", "unreferenced_search"),
// and with kWholeText a whole document (exports, files another program reads back).
std::string json_text(const Json& document, std::size_t max_chars = kMaxShownChars);

// json_text() and a newline on `out` (stdout unless told).
void print_json(const Json& document, std::FILE* out = stdout, std::size_t max_chars = kMaxShownChars);

}  // namespace heapdiff::cli
