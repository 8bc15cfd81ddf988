// Text that several reports print the same way: a budget's figure and use, a frame's location.
#include "reports/report_text.hpp"

#include <fmt/format.h>

#include "model/text.hpp"
#include "model/units.hpp"

namespace threadmill {

double budget_use(const BudgetResult& b) {
    if (b.unit == "ops/s") return b.value > 0 ? b.limit / b.value : 1e9;
    return b.limit > 0 ? b.value / b.limit : 0;
}

std::string budget_figure(double value, const std::string& unit) {
    if (unit == "ns") return format_duration_ns(value);
    return fmt::format("{:.3g} ops/s", value);
}

std::string frame_location(const Frame& f, const std::string& source_root) {
    if (f.file.empty()) return f.module;
    return fmt::format("{}:{}{}", source_relative(f.file, source_root), f.line,
                       f.column > 0 ? fmt::format(":{}", f.column) : "");
}

std::string incomplete_run_text(const RunSummary& s) {
    return fmt::format("incomplete run ({} job{} of {} planned)", s.ran, s.ran == 1 ? "" : "s", s.planned);
}

std::string unrecorded_text(const RunSummary& s) {
    if (s.unrecorded.empty()) return {};
    std::string jobs;
    for (const int i : s.unrecorded) jobs += fmt::format("{}{}", jobs.empty() ? "" : ", ", i);
    const bool one = s.unrecorded.size() == 1;
    return fmt::format("unrecorded: job{} {} ran but {} not in {} (the line could not be written)", one ? "" : "s", jobs,
                       one ? "is" : "are", s.results_path.empty() ? "results.jsonl" : s.results_path);
}

}  // namespace threadmill
