// The gate: the exit codes of threadmill, as one table, and the code a finished run earns.
#pragma once

#include <string>
#include <string_view>

#include "model/summary.hpp"

namespace threadmill {

/// threadmill's exit codes: the contract with a CI pipeline (README, every `--help`).
enum class ExitCode {
    ok = 0,            ///< every job met its expectation
    failed = 1,        ///< at least one job missed its expectation (or a latency regression, or
                       ///< `report` of a saved run that did not finish)
    usage = 2,         ///< usage or scenario error: nothing ran
    internal = 3,      ///< the harness itself failed (including writing results or reports)
    unknown = 4,       ///< `check-history` only: its time or memory limit ran out before it decided
    no_jobs = 5,       ///< no job ran: an empty plan or an empty results file never passes
    interrupted = 130  ///< Ctrl-C: finished jobs are saved
};

/// The exit status of a code.
constexpr int exit_status(ExitCode c) { return static_cast<int>(c); }

/// The help text that documents the exit codes (the footer of every subcommand's --help).
std::string exit_code_help();

/// The code a finished (or interrupted) run earns: interrupted, else internal when an output
/// could not be written, else no_jobs when no job ran, else failed when a job missed its
/// expectation, the run is incomplete or a figure regressed against a baseline, else ok.
ExitCode gate(const RunSummary& summary, int regressions, bool outputs_failed);

}  // namespace threadmill
