// A check's result as JSON, shared by `threadmill check-history --json` and the plain worker's check mode.
#include "check/result_json.hpp"

#include <algorithm>
#include <optional>

namespace threadmill {
namespace {

using nlohmann::json;

/// Where history op `op` sits in the failing partition's ops.
std::size_t position_in(const LinResult& r, std::size_t op) {
    return static_cast<std::size_t>(std::lower_bound(r.partition_ops.begin(), r.partition_ops.end(), op) -
                                    r.partition_ops.begin());
}

json op_json(const History& history, const Model& model, std::size_t i) {
    const Operation& op = history[i];
    return {{"line", op.source_line},
            {"process", op.process},
            {"op", op.op},
            {"key", op.key ? json(*op.key) : json(nullptr)},
            {"input", op.input},
            {"output", op.is_info() ? json(nullptr) : op.output},
            {"call", op.call},
            {"return", op.is_info() ? json(nullptr) : json(op.ret)},
            {"status", to_string(op.status)},
            {"description", model.describe(op)}};
}

}  // namespace

json check_result_json(std::string_view file, const History& history, const Model& model, const LinResult& r,
                       std::chrono::nanoseconds elapsed) {
    json j = {{"file", file},
              {"model", model.name()},
              {"verdict", to_string(r.verdict)},
              {"unknown_reason", r.verdict == LinVerdict::unknown ? json(to_string(r.unknown_reason)) : json(nullptr)},
              {"ops", history.size()},
              {"partitions", r.partitions},
              {"partitions_decided", r.partitions_decided},
              {"steps", r.steps},
              {"peak_memo_entries", r.peak_memo_entries},
              {"peak_memory_bytes", r.peak_memory_bytes},
              {"elapsed_ms", std::chrono::duration<double, std::milli>(elapsed).count()}};
    switch (r.verdict) {
        case LinVerdict::linearizable: break;
        case LinVerdict::unknown:
            j["key"] = r.key ? json(*r.key) : json(nullptr);
            j["partition_size"] = r.partition_ops.size();
            break;
        case LinVerdict::not_linearizable: {
            j["key"] = r.key ? json(*r.key) : json(nullptr);
            json ops = json::array();
            for (const std::size_t i : r.partition_ops) ops.push_back(op_json(history, model, i));
            j["partition_ops"] = std::move(ops);
            j["diagnosed"] = r.diagnosed;
            j["diagnosis_complete"] = r.diagnosis_complete;
            j["initial_state"] = r.diagnosed ? json(r.initial_state) : json(nullptr);
            json prefix = json::array();
            for (std::size_t k = 0; k < r.longest_prefix.size(); ++k) {
                prefix.push_back({{"op", position_in(r, r.longest_prefix[k])},
                                  {"line", history[r.longest_prefix[k]].source_line},
                                  {"state", r.prefix_states[k]}});
            }
            j["longest_prefix"] = std::move(prefix);
            json unplaced = json::array();
            for (const std::size_t i : r.unplaced) unplaced.push_back(position_in(r, i));
            j["unplaced"] = std::move(unplaced);
            break;
        }
    }
    return j;
}

void check_ops_fit(const History& history, const Model& model) {
    std::optional<ModelError> first;
    for (const Partition& part : model.partition(history)) {
        try {
            model.start(history, part.ops);
        } catch (const ModelError& e) {
            if (!first || e.op_index() < first->op_index()) first = e;
        }
    }
    if (first) throw *first;
}

}  // namespace threadmill
