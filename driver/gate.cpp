// The gate: the exit-code table and the code a finished run earns.
#include "driver/gate.hpp"

#include <fmt/format.h>

namespace threadmill {
namespace {

/// One row of the exit-code table: a code and what it means, in increasing order.
struct ExitCodeInfo {
    ExitCode code;
    std::string_view meaning;
};

constexpr ExitCodeInfo k_exit_codes[] = {
    {ExitCode::ok, "every job met its expectation"},
    {ExitCode::failed, "at least one job missed its expectation, or the run is incomplete"},
    {ExitCode::usage, "usage or scenario error (nothing ran)"},
    {ExitCode::internal, "internal error"},
    {ExitCode::unknown, "check-history only: unknown, its time or memory limit ran out before it decided"},
    {ExitCode::no_jobs, "no job ran (an empty plan or results file never passes)"},
    {ExitCode::interrupted, "interrupted (finished jobs are saved)"},
};

}  // namespace

std::string exit_code_help() {
    std::string text = "Exit codes:";
    for (const auto& row : k_exit_codes) {
        text += fmt::format("{} {} {}", &row == k_exit_codes ? "" : ";", exit_status(row.code), row.meaning);
    }
    return text + ".";
}

ExitCode gate(const RunSummary& summary, int regressions, bool outputs_failed) {
    if (summary.interrupted) return ExitCode::interrupted;
    if (outputs_failed) return ExitCode::internal;
    if (summary.ran == 0) return ExitCode::no_jobs;
    if (summary.missed > 0 || summary.incomplete || regressions > 0) return ExitCode::failed;
    return ExitCode::ok;
}

}  // namespace threadmill
