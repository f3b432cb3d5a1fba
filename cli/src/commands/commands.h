// One set_<name>_command() per subcommand, each in its own file (micromamba's layout).
#pragma once

namespace CLI {
class App;
}

namespace heapdiff::cli {

void set_summary_command(CLI::App& app);
void set_diff_command(CLI::App& app);
void set_orphans_command(CLI::App& app);
void set_backrefs_command(CLI::App& app);
void set_refs_command(CLI::App& app);
void set_retained_command(CLI::App& app);
void set_top_command(CLI::App& app);
void set_garbage_command(CLI::App& app);
void set_attach_command(CLI::App& app);
void set_suspects_command(CLI::App& app);
void set_export_command(CLI::App& app);
void set_report_command(CLI::App& app);
void set_memory_command(CLI::App& app);

}  // namespace heapdiff::cli
