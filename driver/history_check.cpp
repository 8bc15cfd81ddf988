// The linearizability check of a job's history (check/ does the search; this file turns its
// answer into a job's result and detections).
#include "driver/history_check.hpp"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <limits>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "check/history_jsonl.hpp"
#include "check/linearizability.hpp"
#include "check/models.hpp"
#include "model/text.hpp"

namespace threadmill {
namespace {

/// The most operations of a failing partition a result keeps for its reports.
constexpr std::size_t k_max_window = 160;
/// Operations of the longest linearizable prefix shown before the failure.
constexpr std::size_t k_prefix_tail = 24;

std::vector<std::string> model_names() {
    std::vector<std::string> names;
    for (const auto& m : builtin_models()) names.emplace_back(m.name);
    return names;
}

LinOp lin_op(const History& h, const Model& model, std::size_t i) {
    const Operation& op = h[i];
    LinOp out;
    out.line = static_cast<std::size_t>(op.source_line);
    out.process = op.process;
    out.text = model.describe(op);
    out.call = op.call;
    if (!op.is_info()) out.ret = op.ret;
    out.info = op.is_info();
    return out;
}

/// The part of a failing partition its reports show: the unplaced ops, the last ops of the
/// longest prefix, and every op overlapping the time span between them; the whole partition
/// when it is small.
std::vector<LinOp> failure_window(const History& h, const Model& model, const LinResult& r) {
    std::vector<int> order(h.size(), -1);
    for (std::size_t k = 0; k < r.longest_prefix.size(); ++k) order[r.longest_prefix[k]] = static_cast<int>(k);
    std::vector<bool> unplaced(h.size(), false);
    for (const std::size_t i : r.unplaced) unplaced[i] = true;

    std::vector<std::size_t> chosen;
    if (r.partition_ops.size() <= k_max_window) {
        chosen = r.partition_ops;
    } else {
        std::int64_t lo = std::numeric_limits<std::int64_t>::max();
        std::int64_t hi = std::numeric_limits<std::int64_t>::min();
        const auto span = [&](std::size_t i) {
            lo = std::min(lo, h[i].call);
            hi = std::max(hi, h[i].is_info() ? h[i].call : h[i].ret);
        };
        for (const std::size_t i : r.unplaced) span(i);
        const std::size_t n = r.longest_prefix.size();
        for (std::size_t k = n > k_prefix_tail ? n - k_prefix_tail : 0; k < n; ++k) span(r.longest_prefix[k]);
        for (const std::size_t i : r.partition_ops) {
            const std::int64_t ret = h[i].is_info() ? std::numeric_limits<std::int64_t>::max() : h[i].ret;
            if (unplaced[i] || (h[i].call <= hi && ret >= lo)) chosen.push_back(i);
        }
        // Too many still (a long stretch of concurrency): keep the unplaced and those nearest them.
        if (chosen.size() > k_max_window) {
            const std::int64_t centre = r.unplaced.empty() ? hi : h[r.unplaced.front()].call;
            std::stable_sort(chosen.begin(), chosen.end(), [&](std::size_t a, std::size_t b) {
                if (unplaced[a] != unplaced[b]) return static_cast<bool>(unplaced[a]);
                const auto da = h[a].call > centre ? h[a].call - centre : centre - h[a].call;
                const auto db = h[b].call > centre ? h[b].call - centre : centre - h[b].call;
                return da < db;
            });
            chosen.resize(k_max_window);
            std::sort(chosen.begin(), chosen.end(), [&](std::size_t a, std::size_t b) { return h[a].call < h[b].call; });
        }
    }
    std::vector<LinOp> out;
    out.reserve(chosen.size());
    for (const std::size_t i : chosen) {
        LinOp op = lin_op(h, model, i);
        op.unplaced = unplaced[i];
        op.order = order[i];
        if (op.order >= 0 && static_cast<std::size_t>(op.order) < r.prefix_states.size())
            op.state = r.prefix_states[static_cast<std::size_t>(op.order)];
        out.push_back(std::move(op));
    }
    return out;
}

/// One line for the detection: where it failed and the first op that cannot be placed.
std::string failure_detail(const History& h, const Model& model, const LinResult& r) {
    std::string where = r.key ? fmt::format("key \"{}\"", *r.key) : std::string("the operations without a key");
    std::string detail = fmt::format("the history is not linearizable against model '{}': {} ({} operations)",
                                     model.name(), where, r.partition_ops.size());
    if (!r.diagnosed) return detail;
    detail += fmt::format("; the longest linearizable prefix found has {} operations", r.longest_prefix.size());
    if (!r.unplaced.empty()) {
        const Operation& op = h[r.unplaced.front()];
        detail += fmt::format(", after which {} (thread {}, history line {}) cannot take effect",
                              model.describe(op), op.process, op.source_line);
        if (r.unplaced.size() > 1) detail += fmt::format(", nor {} more", r.unplaced.size() - 1);
    }
    return detail;
}

}  // namespace

std::string check_model_problem(const Scenario& scenario) {
    if (!scenario.check.linearizability || make_model(scenario.check.model) != nullptr) return {};
    const auto names = model_names();
    return fmt::format("{}: check.model '{}' is not a built-in model{} (one of: {})", scenario.path,
                       scenario.check.model, did_you_mean(scenario.check.model, names), fmt::join(names, ", "));
}

void check_job_history(JobResult& job, const std::filesystem::path& job_dir, const Scenario& scenario) {
    if (!scenario.check.linearizability || !job.measurement || !job.measurement->history) return;
    const HistoryRecording& recording = *job.measurement->history;
    LinearizabilityResult& out = job.linearizability.emplace();
    out.model = scenario.check.model;
    out.ops = recording.ops;
    const auto fail = [&](std::string why) {
        out.verdict = "error";
        out.error = why;
        job.detections.push_back({"error", fmt::format("the history could not be checked: {}", why)});
    };
    const auto model = make_model(scenario.check.model);
    if (model == nullptr) return fail(fmt::format("no model named '{}'", scenario.check.model));

    const auto path = job_dir / recording.file;
    History history;
    try {
        std::ifstream in(path);
        if (!in) return fail(fmt::format("cannot read {}", path.string()));
        history = read_history_jsonl(in, recording.file);
    } catch (const HistoryParseError& e) {
        return fail(e.what());
    }
    CheckOptions options;
    options.time_limit = scenario.check.time_limit;
    options.diagnosis_time_limit = std::min<std::chrono::nanoseconds>(scenario.check.time_limit, std::chrono::seconds(5));
    const auto started = std::chrono::steady_clock::now();
    LinResult r;
    try {
        r = check_linearizability(history, *model, options);
    } catch (const ModelError& e) {
        return fail(e.what());
    } catch (const std::invalid_argument& e) {
        return fail(e.what());
    }
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    out.verdict = std::string(to_string(r.verdict));
    if (r.verdict == LinVerdict::unknown) out.unknown_reason = std::string(to_string(r.unknown_reason));
    out.partitions = r.partitions;
    out.partitions_decided = r.partitions_decided;
    out.steps = r.steps;
    out.peak_memory_bytes = r.peak_memory_bytes;
    if (r.verdict == LinVerdict::linearizable) return;
    out.key = r.key;
    out.partition_ops = r.partition_ops.size();
    if (r.verdict == LinVerdict::not_linearizable) {
        out.prefix_length = r.longest_prefix.size();
        out.diagnosis_complete = r.diagnosis_complete;
        out.initial_state = r.initial_state;
        out.window = failure_window(history, *model, r);
        job.detections.push_back({"linearizability", failure_detail(history, *model, r)});
    }
}

}  // namespace threadmill
