// The text form of a comparison of two runs.
#include "reports/compare_text.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "model/units.hpp"

namespace threadmill {
namespace {

struct Figure {
    const OpComparison* op;
    const MetricChange* m;
};

std::string value_text(const MetricChange& m, double v) {
    return m.higher_is_better ? format_rate(v) : format_duration_ns(v);
}

std::string metric_name(const MetricChange& m) { return m.metric == "p999" ? "p99.9" : m.metric; }

std::string plural(std::size_t n, const char* word) { return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s"); }

/// How far the figure moved, as a factor >= 1 (for sorting by size).
double factor(const MetricChange& m) {
    if (m.base <= 0 || m.next <= 0) return m.base == m.next ? 1.0 : HUGE_VAL;
    return std::max(m.next / m.base, m.base / m.next);
}

std::string group_text(const OpComparison& op) {
    const std::string variant =
        op.base_variant == op.new_variant ? op.new_variant : fmt::format("{} → {}", op.base_variant, op.new_variant);
    return fmt::format("{} · {} · {}", op.scenario, variant, op.flavor);
}

std::string samples_text(const MetricChange& m) {
    return m.base_samples == m.next_samples ? fmt::format("{} a side", m.base_samples)
                                            : fmt::format("{} vs {}", m.base_samples, m.next_samples);
}

std::string probability_text(const MetricChange& m, double v) {
    if (m.judgement == Judgement::not_judged || m.tolerance_only) return "-";
    return v < 0.001 ? "<0.001" : fmt::format("{:.3f}", v);
}

std::string verdict_text(const MetricChange& m, const CompareOptions& o) {
    switch (m.judgement) {
        case Judgement::regression: return m.tolerance_only ? "REGRESSION (tolerance only)" : "REGRESSION";
        case Judgement::improvement: return "improved";
        case Judgement::unchanged:
            if (m.q_value >= o.alpha && (m.worse_beyond_tolerance || m.better_beyond_tolerance)) return "noise (not significant)";
            if (m.q_value < o.alpha) return "within tolerance";
            return "unchanged";
        case Judgement::not_judged: return "not judged (too few samples)";
    }
    return "";
}

/// "  scenario · variant · flavor  op p99: 1.20ms → 150ms, 125× slower (p=0.008, q=0.016, 5 a side)"
std::string figure_line(const Figure& f) {
    const MetricChange& m = *f.m;
    std::string stats = m.tolerance_only ? fmt::format("tolerance only, {}", samples_text(m))
                                         : fmt::format("p={}, q={}, {}", probability_text(m, m.p_value),
                                                       probability_text(m, m.q_value), samples_text(m));
    return fmt::format("  {}  {} {}: {} → {}, {} ({})\n", group_text(*f.op), f.op->op, metric_name(m),
                       value_text(m, m.base), value_text(m, m.next), change_text(m), stats);
}

std::string folded_list(const std::vector<std::string>& names, bool all) {
    const std::size_t shown = all ? names.size() : std::min<std::size_t>(names.size(), 5);
    std::vector<std::string> head(names.begin(), names.begin() + static_cast<std::ptrdiff_t>(shown));
    std::string out = fmt::format("{}", fmt::join(head, ", "));
    if (shown < names.size()) out += fmt::format(" … and {} more (use --all)", names.size() - shown);
    return out;
}

}  // namespace

std::string change_text(const MetricChange& m) {
    const char* up = m.higher_is_better ? "higher" : "slower";
    const char* down = m.higher_is_better ? "lower" : "faster";
    if (m.base == m.next) return "no change";
    if (m.base <= 0) return fmt::format("{} (was 0)", up);
    if (m.next <= 0) return fmt::format("{} (now 0)", down);
    const bool grew = m.next > m.base;
    const double ratio = grew ? m.next / m.base : m.base / m.next;
    if (ratio >= 100) return fmt::format("{:.0f}× {}", ratio, grew ? up : down);
    if (ratio >= 2) return fmt::format("{:.3g}× {}", ratio, grew ? up : down);
    return fmt::format("{:.1f}% {}", 100 * std::abs(m.next - m.base) / m.base, grew ? up : down);
}

std::string format_comparison(const Comparison& c, const CompareOptions& o, bool color, bool all) {
    auto paint = [&](const std::string& s, const char* ansi) {
        return color ? fmt::format("{}{}\033[0m", ansi, s) : s;
    };
    std::string out;
    std::vector<Figure> regressions, improvements;
    std::string group;
    for (const auto& op : c.ops) {
        const std::string g = group_text(op);
        if (all && g != group) {
            out += fmt::format("\n{}\n  {:<20} {:<10} {:>10} {:>10} {:>16} {:>7} {:>7} {:>9}\n", paint(g, "\033[1m"),
                               "op", "metric", "base", "new", "change", "p", "q", "samples");
            group = g;
        }
        for (const auto& m : op.metrics) {
            if (m.judgement == Judgement::regression) regressions.push_back({&op, &m});
            if (m.judgement == Judgement::improvement) improvements.push_back({&op, &m});
            if (!all) continue;
            std::string verdict = verdict_text(m, o);
            if (m.judgement == Judgement::regression) verdict = paint(verdict, "\033[31m");
            if (m.judgement == Judgement::improvement) verdict = paint(verdict, "\033[32m");
            out += fmt::format("  {:<20} {:<10} {:>10} {:>10} {:>16} {:>7} {:>7} {:>9}  {}\n", op.op, metric_name(m),
                               value_text(m, m.base), value_text(m, m.next), change_text(m),
                               probability_text(m, m.p_value), probability_text(m, m.q_value), samples_text(m),
                               verdict);
        }
    }
    const auto by_size = [](const Figure& x, const Figure& y) { return factor(*x.m) > factor(*y.m); };
    std::stable_sort(regressions.begin(), regressions.end(), by_size);
    std::stable_sort(improvements.begin(), improvements.end(), by_size);
    auto list = [&](const std::vector<Figure>& figures, const std::string& title, const char* ansi) {
        if (figures.empty()) return;
        out += fmt::format("\n{}, largest first:\n", paint(title, ansi));
        const std::size_t shown = all ? figures.size() : std::min(figures.size(), k_compare_list_limit);
        for (std::size_t i = 0; i < shown; ++i) out += figure_line(figures[i]);
        if (shown < figures.size()) out += fmt::format("  … and {} more (use --all)\n", figures.size() - shown);
    };
    list(regressions, plural(regressions.size(), "regression"), "\033[31m");
    list(improvements, plural(improvements.size(), "improvement"), "\033[32m");

    if (!c.only_in_base.empty()) {
        out += fmt::format("\nonly in the base run ({}): {}\n", c.only_in_base.size(), folded_list(c.only_in_base, all));
    }
    if (!c.only_in_new.empty()) {
        out += fmt::format("\nonly in the new run ({}): {}\n", c.only_in_new.size(), folded_list(c.only_in_new, all));
    }
    if (c.not_judged > 0) {
        const std::string fewest = c.fewest_base_samples == c.fewest_next_samples
                                       ? fmt::format("{} per side", plural(static_cast<std::size_t>(c.fewest_base_samples), "sample"))
                                       : fmt::format("{} and {} samples", c.fewest_base_samples, c.fewest_next_samples);
        out += fmt::format(
            "\nnote: {} not judged, {}: use --repeat {} or more (samples are seeds × repeats; the test at "
            "alpha {:g} cannot find any difference with fewer than {} a side)\n",
            plural(static_cast<std::size_t>(c.not_judged), "figure"), fewest, c.samples_needed + 1, o.alpha,
            c.samples_needed);
    }
    if (c.judged > 1 && c.fewest_judged_samples < c.lone_samples_needed) {
        out += fmt::format(
            "\nnote: among {} judged figures, one that changed alone is found only with {} samples a side "
            "(these have as few as {}); a change that moves several figures is found with fewer\n",
            c.judged, c.lone_samples_needed, c.fewest_judged_samples);
    }
    if (c.ops.empty()) {
        out += "\nnothing in common to compare\n";
        return out;
    }
    std::string counts = fmt::format("{}, {}, {} unchanged, {} not judged (too few samples)",
                                     plural(static_cast<std::size_t>(c.regressions), "regression"),
                                     plural(static_cast<std::size_t>(c.improvements), "improvement"), c.unchanged,
                                     c.not_judged);
    if (c.regressions > 0) counts = paint(counts, "\033[31m");
    out += fmt::format("\n{} compared, {}: {} · tolerance {:g}% (tails {:g}%), alpha {:g}\n",
                       plural(c.ops.size(), "operation"), plural(static_cast<std::size_t>(c.figures), "figure"), counts,
                       100 * o.tolerance, 100 * o.tail_tolerance, o.alpha);
    return out;
}

}  // namespace threadmill
