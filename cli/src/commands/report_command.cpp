// heapdiff report A [B C ...] -o report.html: the incident report, one self-contained
// HTML page (graph/incident_report.h computes; html_report.cpp renders).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>

#include "commands/commands.h"
#include "commands/count_option.h"
#include "render/format_text.h"
#include "heapdiff/error.h"
#include "heapdiff/incident_report.h"
#include "heapdiff/object_text.h"
#include "heapdiff/pending_file.h"
#include "heapdiff/printable_text.h"
#include "render/html_report.h"
#include "commands/phase_timer.h"

namespace heapdiff::cli {
namespace {

struct ReportOptions {
    std::vector<std::string> paths;
    std::string output;
    IncidentOptions incident;
};

bool ends_with(const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

void run(const ReportOptions& o) {
    if (!ends_with(o.output, ".html") && !ends_with(o.output, ".htm"))
        throw usage_error("-o " + o.output + ": the report is a web page, name it .html");
    PendingFile file(o.output);  // an unwritable place fails before the work
    PhaseTimer timer;
    IncidentReport report = build_incident_report(o.paths, o.incident);
    timer.done("analysis");
    const std::string page = html_report(report);
    timer.done("page");
    if (std::fwrite(page.data(), 1, page.size(), file.get()) != page.size())
        throw Error("cannot write " + o.output);
    file.commit();
    std::printf("wrote %s (%s): %zu snapshot%s, %zu suspect%s\n", printable(o.output).c_str(), human_size(page.size()).c_str(),
                report.points.size(), report.points.size() == 1 ? "" : "s", report.suspects.found.suspects.size(),
                report.suspects.found.suspects.size() == 1 ? "" : "s");
}

}  // namespace

void set_report_command(CLI::App& app) {
    auto o = std::make_shared<ReportOptions>();
    CLI::App* cmd = app.add_subcommand(
        "report", "One self-contained HTML page about an incident: trend, suspects with their chains, types, "
                  "allocation sites, biggest retainers, cyclic trash and orphans");
    cmd->add_option("snapshots", o->paths, "Snapshot files, oldest first (one, or two and more for the trend)")->required();
    cmd->add_option("-o,--output", o->output, "The page to write, FILE.html")->required();
    add_count_option(cmd, "--rows", o->incident.rows, "Rows kept in each table (0: all)")->capture_default_str();
    add_count_option(cmd, "--suspects", o->incident.suspects, "Suspects shown (0: all)")->capture_default_str();
    cmd->callback([o] {
        ReportOptions options = *o;
        if (options.incident.rows == 0) options.incident.rows = SIZE_MAX;
        run(options);
    });
}

}  // namespace heapdiff::cli
