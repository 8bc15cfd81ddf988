// A target's own sequential model runs only in its plain worker: the check of a history against it
// is `threadmill-worker --check-history` in a process of its own, bounded in time, its JSON read back.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

namespace threadmill {

/// One check of a history file against a target's own model, by that target's plain worker.
struct ModelWorkerRequest {
    std::string worker;                 ///< the plain worker executable holding the target
    std::string target;
    std::filesystem::path history;      ///< the history file (JSON Lines)
    std::string shown;                  ///< how the result names the file ("" : its path)
    std::chrono::nanoseconds time_limit = std::chrono::seconds(10);
    std::chrono::nanoseconds diagnosis_time_limit = std::chrono::seconds(5);
    std::size_t memory_limit_mib = 0;   ///< 0: the checker's default
    std::filesystem::path scratch;      ///< a folder for the answer (model-check.json) and the worker's output (model-check.log)
    const std::atomic<bool>* stop = nullptr;  ///< when it becomes true the worker is killed (Ctrl-C)
};

/// What came of it.
struct ModelWorkerAnswer {
    enum class Status {
        checked,   ///< `result` holds the check's result (check_result_json's fields)
        rejected,  ///< the history does not fit the model, or cannot be read: `message` says where (exit 2)
        failed,    ///< the worker crashed, hung, was stopped or answered something else: `message` says which
    };
    Status status = Status::failed;
    nlohmann::json result;
    std::string message;
};

/// Runs `<worker> --check-history <history> --target <target> --result <scratch>/model-check.json
/// --time-limit ... --diagnosis-time-limit ... [--memory-limit-mib N]`, waits for it at most the two
/// limits plus a margin (then kills it), and reads its answer. Never throws for what the worker
/// does; throws std::runtime_error only when it cannot be started (the scratch folder unwritable).
ModelWorkerAnswer run_model_worker(const ModelWorkerRequest& request);

}  // namespace threadmill
