// Running a target's own sequential model: the plain worker's check mode, supervised like a job.
#include "driver/model_worker.hpp"

#include <sys/wait.h>

#include <fstream>
#include <iterator>
#include <vector>

#include <fmt/format.h>

#include "check/linearizability.hpp"
#include "driver/worker_process.hpp"
#include "model/units.hpp"

namespace threadmill {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

/// Beyond the check's own limits: the worker's start, reading the history, writing the answer.
constexpr std::chrono::seconds k_margin{10};
/// The worker's output kept in a message.
constexpr std::size_t k_max_log = 2000;

std::string trimmed(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    return text;
}

}  // namespace

ModelWorkerAnswer run_model_worker(const ModelWorkerRequest& q) {
    ModelWorkerAnswer a;
    const fs::path answer = q.scratch / "model-check.json";
    const fs::path log = q.scratch / "model-check.log";
    std::error_code ec;
    fs::remove(answer, ec);
    std::vector<std::string> argv = {q.worker,
                                     "--check-history",
                                     q.history.string(),
                                     "--target",
                                     q.target,
                                     "--result",
                                     answer.string(),
                                     "--time-limit",
                                     format_duration(q.time_limit),
                                     "--diagnosis-time-limit",
                                     format_duration(q.diagnosis_time_limit)};
    if (!q.shown.empty()) argv.insert(argv.end(), {"--name", q.shown});
    if (q.memory_limit_mib > 0) argv.insert(argv.end(), {"--memory-limit-mib", std::to_string(q.memory_limit_mib)});

    if (!fs::is_regular_file(q.worker, ec)) {
        a.message = fmt::format("no worker executable at {} to run the model of target '{}'", q.worker, q.target);
        return a;
    }
    const std::atomic<bool> never{false};
    const pid_t pid = spawn_worker(argv, log, {});
    const WaitResult w = wait_worker(pid, q.time_limit + q.diagnosis_time_limit + k_margin, q.stop ? *q.stop : never, [] {});
    const std::string output = trimmed(read_tail(log, k_max_log));
    const auto said = [&](std::string what) {
        a.status = ModelWorkerAnswer::Status::failed;
        a.message = output.empty() ? what : fmt::format("{}: {}", what, output);
        return a;
    };
    switch (w.ending) {
        case Ending::exited: break;
        case Ending::timed_out:
            return said(fmt::format("{} --check-history gave no answer within {} (the check's limits and {} more); killed",
                                    q.worker, format_duration(q.time_limit + q.diagnosis_time_limit + k_margin),
                                    format_duration(k_margin)));
        case Ending::stopped: return said(fmt::format("{} --check-history was stopped", q.worker));
    }
    if (WIFSIGNALED(w.status))
        return said(fmt::format("{} --check-history was killed by {}", q.worker, signal_name(WTERMSIG(w.status))));
    const int code = WIFEXITED(w.status) ? WEXITSTATUS(w.status) : -1;
    if (code == k_check_exit_rejected) {
        a.status = ModelWorkerAnswer::Status::rejected;
        a.message = output.empty() ? fmt::format("{} --check-history refused the history (exit 2)", q.worker) : output;
        return a;
    }
    if (code != check_exit_status(LinVerdict::linearizable) && code != check_exit_status(LinVerdict::not_linearizable) &&
        code != check_exit_status(LinVerdict::unknown))
        return said(fmt::format("{} --check-history failed (exit {})", q.worker, code));
    std::ifstream in(answer);
    if (!in) return said(fmt::format("{} --check-history wrote no answer to {}", q.worker, answer.string()));
    try {
        a.result = json::parse(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
        if (!a.result.is_object() || !a.result.contains("verdict") || !a.result.at("verdict").is_string())
            return said(fmt::format("{} --check-history answered something other than a check result in {}", q.worker,
                                    answer.string()));
    } catch (const json::exception& e) {
        return said(fmt::format("{} --check-history answered with bad JSON in {} ({})", q.worker, answer.string(), e.what()));
    }
    a.status = ModelWorkerAnswer::Status::checked;
    return a;
}

}  // namespace threadmill
