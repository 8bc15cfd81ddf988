// `threadmill check-history`: whether a recorded history (JSON Lines) is linearizable with respect to a
// built-in model, with the failing partition diagnosed.
#pragma once

#include <cstdint>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/common.hpp"

namespace threadmill::cli {

struct CheckHistoryOptions {
    std::string file;                  ///< the history, or "-" for stdin
    std::string model;                 ///< a built-in model's name, or "help"
    bool list_models = false;          ///< print the models and their JSON shapes, check nothing
    bool json = false;                 ///< one JSON object on stdout instead of text
    std::string time_limit;            ///< a duration; empty: CheckOptions' default
    std::string diagnosis_time_limit;  ///< a duration (0s skips the diagnosis); empty: the default
    std::uint64_t memory_limit_mib = 0;  ///< per partition; 0: CheckOptions' default
    std::string initial;               ///< JSON text: the register model's initial value; empty: null
    std::string target;                ///< use this target's model (its own: checked by its plain worker)
    std::string worker;                ///< the plain worker holding `target`; empty: the one in --worker-dir
};

void setup_check_history(CLI::App& app, CheckHistoryOptions& options);
/// 0 linearizable, 1 not linearizable, 4 unknown (a limit ran out); 2 for a usage error, an
/// unreadable file, a malformed line or an op that does not fit the model; 3 when a target's worker
/// cannot be asked or its check fails (crash, hang, nonsense).
ExitCode run_check_history(const CheckHistoryOptions& options, const GlobalOptions& global);

}  // namespace threadmill::cli
