// The text form of a comparison of two runs.
#include "reports/compare_text.hpp"

#include <fmt/format.h>

#include "model/scenario.hpp"
#include "model/units.hpp"

namespace threadmill {
namespace {

std::string value_text(const MetricChange& m, double v) {
    return m.metric == "throughput" ? format_rate(v) : format_duration_ns(v);
}

/// "+4.2%", or "×20.4" once the figure more than doubled (or halved, for throughput).
std::string worse_text(const MetricChange& m) {
    if (m.worse_by >= 999.0) return fmt::format("×{:.0f}", 1 + m.worse_by);
    if (m.worse_by >= 1.0) return fmt::format("×{:.3g}", 1 + m.worse_by);
    return fmt::format("{:+.1f}%", 100 * m.worse_by);
}

std::string noise_text(const MetricChange& m) {
    if (m.base_samples < 2 || m.next_samples < 2) return "n/a";
    return fmt::format("{:.0f}%", 100 * std::max(m.base_spread, m.next_spread));
}

}  // namespace

std::string format_comparison(const Comparison& c, const CompareOptions& o, bool color) {
    auto paint = [&](const std::string& s, const char* ansi) {
        return color ? fmt::format("{}{}\033[0m", ansi, s) : s;
    };
    std::string out;
    std::string group;
    for (const auto& op : c.ops) {
        const std::string variant =
            op.base_variant == op.new_variant ? op.new_variant : fmt::format("{} → {}", op.base_variant, op.new_variant);
        const std::string g = fmt::format("{} · {} · {}", op.scenario, variant, op.flavor);
        if (g != group) {
            out += fmt::format("\n{}\n  {:<20} {:<10} {:>10} {:>10} {:>9} {:>7}\n", paint(g, "\033[1m"), "op", "metric",
                               "base", "new", "worse by", "noise");
            group = g;
        }
        for (const auto& m : op.metrics) {
            std::string status;
            if (m.regression) {
                status = paint("REGRESSION", "\033[31m");
            } else if (m.improvement) {
                status = paint("improved", "\033[32m");
            } else if (m.within_noise && std::abs(m.worse_by) > o.tolerance) {
                status = "within noise";
            }
            out += fmt::format("  {:<20} {:<10} {:>10} {:>10} {:>9} {:>7}  {}\n", op.op,
                               m.metric == "p999" ? "p99.9" : m.metric, value_text(m, m.base), value_text(m, m.next),
                               worse_text(m), noise_text(m), status);
        }
    }
    if (!c.only_in_base.empty()) {
        out += fmt::format("\nonly in the base run ({}): {}\n", c.only_in_base.size(), fmt::join(c.only_in_base, ", "));
    }
    if (!c.only_in_new.empty()) {
        out += fmt::format("\nonly in the new run ({}): {}\n", c.only_in_new.size(), fmt::join(c.only_in_new, ", "));
    }
    if (c.single_samples) {
        out += "\nnote: some figures have one sample a side, so their noise is unknown; "
               "run with --repeat N (or several seeds) to measure it\n";
    }
    out += fmt::format("\n{} operation{} compared, tolerance {:g}%: ", c.ops.size(), c.ops.size() == 1 ? "" : "s",
                       100 * o.tolerance);
    if (c.ops.empty()) {
        out += "nothing in common to compare\n";
    } else if (c.regressions > 0) {
        out += paint(fmt::format("{} regression{}", c.regressions, c.regressions == 1 ? "" : "s"), "\033[31m") + "\n";
    } else {
        out += fmt::format("no regression{}\n",
                           c.improvements > 0 ? fmt::format(" ({} improvement{})", c.improvements,
                                                            c.improvements == 1 ? "" : "s")
                                              : "");
    }
    return out;
}

}  // namespace threadmill
