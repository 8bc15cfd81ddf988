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
    // A user frame without a line is the worker's build, not the code: say so rather than print ":0".
    if (f.user && !has_line_info(f))
        return fmt::format("{}{}({})", f.file.empty() ? f.module : source_relative(f.file, source_root),
                           f.file.empty() && f.module.empty() ? "" : " ", k_no_line_info);
    if (f.file.empty()) return f.module;
    return fmt::format("{}:{}{}", source_relative(f.file, source_root), f.line,
                       f.column > 0 ? fmt::format(":{}", f.column) : "");
}

}  // namespace threadmill
