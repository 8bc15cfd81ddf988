// The plain worker's check mode: the target's own model (api's SequentialModel) adapted to check/,
// run on a history file, its result written as check-history's JSON. Linked into the plain worker only.
#include "worker_main/check_mode.hpp"

#include <chrono>
#include <fstream>
#include <iostream>
#include <stdexcept>

#include <fmt/format.h>

#include "api/target.hpp"
#include "check/history_jsonl.hpp"
#include "check/linearizability.hpp"
#include "check/result_json.hpp"
#include "check/user_model.hpp"
#include "model/paths.hpp"
#include "model/text.hpp"
#include "model/units.hpp"

namespace threadmill {
namespace {

constexpr int k_exit_usage = k_check_exit_rejected;  // check-history's: a usage error too
constexpr int k_exit_internal = 3;

int usage(const std::string& message) {
    std::cerr << "threadmill-worker: error: " << message << "\n";
    return k_exit_usage;
}

}  // namespace

int run_check_mode(const CheckModeOptions& o) {
    const TargetSpec* target = Registry::instance().find(o.target);
    if (target == nullptr) {
        std::vector<std::string> names;
        for (const auto& t : Registry::instance().all()) names.push_back(t.info.name);
        return usage(fmt::format("--target: this worker holds no target '{}'{}", o.target, did_you_mean(o.target, names)));
    }
    if (target->model == nullptr) {
        return usage(target->info.model.empty()
                         ? fmt::format("target '{}' has no sequential model of its own", o.target)
                         : fmt::format("target '{}' has no sequential model of its own: it follows the built-in model "
                                       "'{}' (threadmill check-history --model {})",
                                       o.target, target->info.model, target->info.model));
    }
    CheckOptions options;
    if (!o.time_limit.empty()) {
        const auto d = parse_duration(o.time_limit, false);
        if (!d) return usage(fmt::format("--time-limit: '{}' is not a duration greater than 0", o.time_limit));
        options.time_limit = *d;
    }
    if (!o.diagnosis_time_limit.empty()) {
        const auto d = parse_duration(o.diagnosis_time_limit, true);
        if (!d) return usage(fmt::format("--diagnosis-time-limit: '{}' is not a duration", o.diagnosis_time_limit));
        options.diagnosis_time_limit = *d;
    }
    if (o.memory_limit_mib > 0) options.memory_limit_bytes = static_cast<std::size_t>(o.memory_limit_mib) << 20;

    const std::string shown = o.name.empty() ? o.history : o.name;
    const auto model = make_user_model(*target->model);
    History history;
    try {
        std::ifstream in(o.history, std::ios::binary);
        if (!in) return usage(fmt::format("cannot read {}", o.history));
        history = read_history_jsonl(in, shown);
        check_ops_fit(history, *model);
    } catch (const HistoryParseError& e) {
        std::cerr << e.what() << "\n";
        return k_exit_usage;
    } catch (const ModelError& e) {
        std::cerr << fmt::format("{}:{}: error: {}\n", shown, history[e.op_index()].source_line, e.what());
        return k_exit_usage;
    }

    const auto start = std::chrono::steady_clock::now();
    LinResult result;
    try {
        result = check_linearizability(history, *model, options);
    } catch (const ModelError& e) {  // the model's step threw in a state other than the initial one
        std::cerr << fmt::format("{}:{}: error: {}\n", shown, history[e.op_index()].source_line, e.what());
        return k_exit_usage;
    } catch (const std::invalid_argument& e) {
        std::cerr << fmt::format("{}: error: {}\n", shown, e.what());
        return k_exit_usage;
    }
    const auto elapsed = std::chrono::steady_clock::now() - start;
    const std::string text = check_result_json(shown, history, *model, result, elapsed).dump(1) + "\n";
    if (o.result.empty()) {
        std::cout << text << std::flush;
    } else {
        try {
            write_file_atomically(o.result, text);
        } catch (const WriteError& e) {
            std::cerr << "threadmill-worker: error: " << e.what() << "\n";
            return k_exit_internal;
        }
    }
    return check_exit_status(result.verdict);
}

}  // namespace threadmill
