// The linearizability check of a job's history (check/ does the search, here for a built-in model
// and in the target's plain worker for its own model; this file turns its answer into a job's
// result and detections).
#include "driver/history_check.hpp"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <functional>
#include <limits>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "check/history_jsonl.hpp"
#include "check/linearizability.hpp"
#include "check/models.hpp"
#include "driver/model_worker.hpp"
#include "model/text.hpp"

namespace threadmill {
namespace {

using nlohmann::json;
/// An op's description, by its index in the history: the model's (Model::describe), or as the
/// target's plain worker gave it.
using Describe = std::function<std::string(std::size_t)>;

/// The most operations of a failing partition a result keeps for its reports.
constexpr std::size_t k_max_window = 160;
/// Operations of the longest linearizable prefix shown before the failure.
constexpr std::size_t k_prefix_tail = 24;

std::vector<std::string> model_names() {
    std::vector<std::string> names;
    for (const auto& m : builtin_models()) names.emplace_back(m.name);
    return names;
}

LinOp lin_op(const History& h, const Describe& describe, std::size_t i) {
    const Operation& op = h[i];
    LinOp out;
    out.line = static_cast<std::size_t>(op.source_line);
    out.process = op.process;
    out.text = describe(i);
    out.call = op.call;
    if (!op.is_info()) out.ret = op.ret;
    out.info = op.is_info();
    return out;
}

/// The part of a failing partition its reports show: the unplaced ops, the last ops of the
/// longest prefix, and every op overlapping the time span between them; the whole partition
/// when it is small.
std::vector<LinOp> failure_window(const History& h, const Describe& describe, const LinResult& r) {
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
        LinOp op = lin_op(h, describe, i);
        op.unplaced = unplaced[i];
        op.order = order[i];
        if (op.order >= 0 && static_cast<std::size_t>(op.order) < r.prefix_states.size())
            op.state = r.prefix_states[static_cast<std::size_t>(op.order)];
        out.push_back(std::move(op));
    }
    return out;
}

/// One line for the detection: where it failed and the first op that cannot be placed.
std::string failure_detail(const History& h, std::string_view model, const Describe& describe, const LinResult& r) {
    std::string where = r.key ? fmt::format("key \"{}\"", *r.key) : std::string("the operations without a key");
    std::string detail = fmt::format("the history is not linearizable against model '{}': {} ({} operations)",
                                     model, where, r.partition_ops.size());
    if (!r.diagnosed) return detail;
    detail += fmt::format("; the longest linearizable prefix found has {} operations", r.longest_prefix.size());
    if (!r.unplaced.empty()) {
        const Operation& op = h[r.unplaced.front()];
        detail += fmt::format(", after which {} (thread {}, history line {}) cannot take effect",
                              describe(r.unplaced.front()), op.process, op.source_line);
        if (r.unplaced.size() > 1) detail += fmt::format(", nor {} more", r.unplaced.size() - 1);
    }
    return detail;
}

/// Records a check's answer in `out` (and a `linearizability` detection in `job` when it is not
/// linearizable). `partition_size`: the size of the partition that failed or ran out.
void record(JobResult& job, LinearizabilityResult& out, std::string_view model, const History& h, const LinResult& r,
            std::size_t partition_size, const Describe& describe) {
    out.verdict = std::string(to_string(r.verdict));
    if (r.verdict == LinVerdict::unknown) out.unknown_reason = std::string(to_string(r.unknown_reason));
    out.partitions = r.partitions;
    out.partitions_decided = r.partitions_decided;
    out.steps = r.steps;
    out.peak_memory_bytes = r.peak_memory_bytes;
    if (r.verdict == LinVerdict::linearizable) return;
    out.key = r.key;
    out.partition_ops = partition_size;
    if (r.verdict == LinVerdict::not_linearizable) {
        out.prefix_length = r.longest_prefix.size();
        out.diagnosis_complete = r.diagnosis_complete;
        out.initial_state = r.initial_state;
        out.window = failure_window(h, describe, r);
        job.detections.push_back({"linearizability", failure_detail(h, model, describe, r)});
    }
}

/// A check's answer as check_result_json() wrote it, made again into what record() takes: the
/// failing partition's ops as a history of their own (op i is partition_ops[i]), a LinResult over
/// it and the ops' descriptions. Throws (nlohmann's exceptions, std::out_of_range) when malformed.
struct Answer {
    History history;
    LinResult result;
    std::size_t partition_size = 0;
    std::vector<std::string> descriptions;
    double seconds = 0;
};

LinVerdict verdict_from(const std::string& words) {
    if (const auto v = verdict_named(words)) return *v;
    throw std::out_of_range(fmt::format("an unknown verdict '{}'", words));
}

Answer answer_from(const json& j) {
    Answer a;
    LinResult& r = a.result;
    r.verdict = verdict_from(j.at("verdict").get<std::string>());
    if (r.verdict == LinVerdict::unknown) {
        r.unknown_reason = j.at("unknown_reason") == to_string(UnknownReason::memory_limit) ? UnknownReason::memory_limit
                                                                                           : UnknownReason::time_limit;
    }
    r.partitions = j.at("partitions").get<std::size_t>();
    r.partitions_decided = j.at("partitions_decided").get<std::size_t>();
    r.steps = j.at("steps").get<std::uint64_t>();
    r.peak_memo_entries = j.at("peak_memo_entries").get<std::size_t>();
    r.peak_memory_bytes = j.at("peak_memory_bytes").get<std::size_t>();
    a.seconds = j.at("elapsed_ms").get<double>() / 1000;
    if (r.verdict == LinVerdict::linearizable) return a;
    if (!j.at("key").is_null()) r.key = j.at("key").get<std::string>();
    if (r.verdict == LinVerdict::unknown) {
        a.partition_size = j.at("partition_size").get<std::size_t>();
        return a;
    }
    for (const json& o : j.at("partition_ops")) {
        Operation op;
        op.source_line = o.at("line").get<int>();
        op.process = o.at("process").get<int>();
        op.op = o.at("op").get<std::string>();
        if (!o.at("key").is_null()) op.key = o.at("key").get<std::string>();
        op.input = o.at("input");
        op.output = o.at("output");
        op.call = o.at("call").get<std::int64_t>();
        op.status = o.at("status") == to_string(OpStatus::info) ? OpStatus::info : OpStatus::ok;
        op.ret = op.is_info() ? k_never_returned : o.at("return").get<std::int64_t>();
        r.partition_ops.push_back(a.history.size());
        a.history.push_back(std::move(op));
        a.descriptions.push_back(o.at("description").get<std::string>());
    }
    a.partition_size = a.history.size();
    const auto index = [&](const json& v) {
        const auto i = v.get<std::size_t>();
        if (i >= a.history.size()) throw std::out_of_range(fmt::format("op {} of a partition of {}", i, a.history.size()));
        return i;
    };
    r.diagnosed = j.at("diagnosed").get<bool>();
    r.diagnosis_complete = j.at("diagnosis_complete").get<bool>();
    if (r.diagnosed) r.initial_state = j.at("initial_state").get<std::string>();
    for (const json& p : j.at("longest_prefix")) {
        r.longest_prefix.push_back(index(p.at("op")));
        r.prefix_states.push_back(p.at("state").get<std::string>());
    }
    for (const json& u : j.at("unplaced")) r.unplaced.push_back(index(u));
    return a;
}

CheckOptions check_options(const Scenario& scenario) {
    CheckOptions options;
    options.time_limit = scenario.check.time_limit;
    options.diagnosis_time_limit = std::min<std::chrono::nanoseconds>(scenario.check.time_limit, std::chrono::seconds(5));
    return options;
}

std::vector<std::string> names_for(const TargetInfo* target) {
    auto names = model_names();
    if (target != nullptr && target->own_model) names.push_back(target->model);
    return names;
}

}  // namespace

bool uses_own_model(const Scenario& scenario, const TargetInfo& target) {
    return target.own_model && scenario.check.model == target.model;
}

std::string check_model_problem(const Scenario& scenario, const TargetInfo* target) {
    if (!scenario.check.linearizability) return {};
    if (target != nullptr && target->own_model && make_model(target->model) != nullptr) {
        return fmt::format("{}: target '{}' has a model of its own named '{}', like a built-in model: rename it "
                           "(SequentialModel::name) so that check.model says which one is meant",
                           scenario.path, target->name, target->model);
    }
    if (make_model(scenario.check.model) != nullptr || (target != nullptr && uses_own_model(scenario, *target))) return {};
    const auto names = names_for(target);
    return fmt::format("{}: check.model '{}' is neither a built-in model nor a model of target '{}'{} (one of: {})",
                       scenario.path, scenario.check.model, scenario.target,
                       did_you_mean(scenario.check.model, names), fmt::join(names, ", "));
}

void check_job_history(JobResult& job, const std::filesystem::path& job_dir, const Scenario& scenario,
                       const TargetInfo& target, const std::string& plain_worker, const std::atomic<bool>* stop) {
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
    const auto path = job_dir / recording.file;
    const CheckOptions options = check_options(scenario);

    if (uses_own_model(scenario, target)) {
        ModelWorkerRequest request;
        request.worker = plain_worker;
        request.target = target.name;
        request.history = path;
        request.shown = recording.file;
        request.time_limit = options.time_limit;
        request.diagnosis_time_limit = options.diagnosis_time_limit;
        request.scratch = job_dir;
        request.stop = stop;
        ModelWorkerAnswer answer;
        try {
            answer = run_model_worker(request);
        } catch (const std::exception& e) {
            return fail(fmt::format("the model of target '{}' could not be run: {}", target.name, e.what()));
        }
        switch (answer.status) {
            case ModelWorkerAnswer::Status::checked: break;
            case ModelWorkerAnswer::Status::rejected: return fail(answer.message);
            case ModelWorkerAnswer::Status::failed:
                return fail(fmt::format("the model of target '{}' could not check it: {}", target.name, answer.message));
        }
        Answer a;
        try {
            a = answer_from(answer.result);
        } catch (const std::exception& e) {
            return fail(fmt::format("{} --check-history answered a malformed result ({})", plain_worker, e.what()));
        }
        out.seconds = a.seconds;
        record(job, out, scenario.check.model, a.history, a.result, a.partition_size,
               [&](std::size_t i) { return a.descriptions[i]; });
        return;
    }

    const auto model = make_model(scenario.check.model);
    if (model == nullptr) return fail(fmt::format("no model named '{}'", scenario.check.model));
    History history;
    try {
        std::ifstream in(path);
        if (!in) return fail(fmt::format("cannot read {}", path.string()));
        history = read_history_jsonl(in, recording.file);
    } catch (const HistoryParseError& e) {
        return fail(e.what());
    }
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
    record(job, out, model->name(), history, r, r.partition_ops.size(),
           [&](std::size_t i) { return model->describe(history[i]); });
}

}  // namespace threadmill
