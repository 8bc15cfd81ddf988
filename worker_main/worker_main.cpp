// threadmill-worker: runs exactly one job (scenario x variant x seed) in this process and
// writes its measurement as JSON; `--describe` prints the catalog of targets it holds; the plain
// worker's `--check-history` checks a history against a target's own sequential model.
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "model/catalog_json.hpp"
#include "model/worker_build.hpp"
#include "model/paths.hpp"
#include "scenario/overrides.hpp"
#include "worker/runner.hpp"
#include "model/scenario.hpp"
#include "model/worker_protocol.hpp"
#include "scenario/loader.hpp"
// The check mode links the checker (check/), which is plain code: only the plain worker has it
// (CMakeLists.txt defines TM_WORKER_CHECK_MODE=1 there), so a sanitizer worker holds no
// uninstrumented harness code.
#if TM_WORKER_CHECK_MODE
#include "worker_main/check_mode.hpp"
#endif

using namespace threadmill;

/// The build of this executable: key/value pairs from the source threadmill_add_worker()
/// generates for it (cmake/threadmill_add_worker.cmake). Weak: a worker linked by hand, without
/// that source, still runs and reports no build.
extern "C" const char* const threadmill_worker_build[] __attribute__((weak));

namespace {
/// The check mode's options (its other one is --result).
struct CheckModeArgs {
    std::string target, name, time_limit, diagnosis_time_limit;
    std::uint64_t memory_limit_mib = 0;
};
}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"threadmill-worker: runs one threadmill job in this process. The threadmill driver starts it; "
                 "run it by hand to debug a single job under gdb or rr."};
    bool describe = false;
    std::string scenario_path, variant, result_path, activity_path, work_dir, duration_text, history_path;
    std::uint64_t seed = 0;
    std::optional<std::uint64_t> iterations;
    app.add_flag("--describe", describe, "print the catalog of targets (JSON) and exit");
    app.add_option("--scenario", scenario_path, "the scenario file")->check(CLI::ExistingFile);
    app.add_option("--variant", variant, "the target variant to run");
    app.add_option("--seed", seed, "the job's seed");
    app.add_option("--duration", duration_text, "override the scenario's duration (e.g. 200ms)");
    app.add_option("--iterations", iterations, "override: ops per thread");
    std::vector<std::string> set_texts;
    app.add_option("--set", set_texts, "override a scenario key, KEY=VALUE (repeatable), as `threadmill run --set`");
    app.add_option("--result", result_path, "write the result JSON here (default: stdout)");
    app.add_option("--activity", activity_path, "publish per-thread activity in this file");
    app.add_option("--work-dir", work_dir, "scratch directory for the target");
    app.add_option("--history", history_path,
                   "with [check] linearizability: write the job's history here (JSON Lines, as threadmill "
                   "check-history reads it; default: history.jsonl beside --result, none without --result)");
    std::string check_history;
    CheckModeArgs check;
    app.add_option("--check-history", check_history,
                   "plain worker only: check this history (JSON Lines) against --target's own sequential model and "
                   "write the result as `threadmill check-history --json` does (exit 0 linearizable, 1 not, 4 "
                   "unknown, 2 the history does not fit)");
    app.add_option("--target", check.target, "with --check-history: the target whose model to use");
    app.add_option("--name", check.name, "with --check-history: how the result names the file");
    app.add_option("--time-limit", check.time_limit, "with --check-history: the check's time limit (default 10s)");
    app.add_option("--diagnosis-time-limit", check.diagnosis_time_limit,
                   "with --check-history: the diagnosis's time limit (default 5s; 0s: none)");
    app.add_option("--memory-limit-mib", check.memory_limit_mib,
                   "with --check-history: memory one partition's search may hold (default 512)");
    CLI11_PARSE(app, argc, argv);
    if (!check_history.empty()) {
#if TM_WORKER_CHECK_MODE
        return run_check_mode({check_history, check.target, check.name, result_path, check.time_limit,
                               check.diagnosis_time_limit, check.memory_limit_mib});
#else
        std::cerr << "threadmill-worker: error: --check-history runs in the plain worker (threadmill-worker) only: "
                     "a sanitizer worker holds no checker\n";
        return k_worker_exit_usage;
#endif
    }
    // Past a file-size limit (RLIMIT_FSIZE) a write fails with EFBIG, which the worker reports,
    // instead of killing it with a signal that would look like a crash of the target.
    std::signal(SIGXFSZ, SIG_IGN);

    try {
        const Catalog catalog = Registry::instance().catalog();
        if (describe) {
            nlohmann::json j = catalog_to_json(catalog);
            if (threadmill_worker_build != nullptr) j["build"] = worker_build_from_table(threadmill_worker_build);
            std::cout << j.dump(1) << "\n";
            return 0;
        }
        if (scenario_path.empty() || variant.empty()) {
            std::cerr << "threadmill-worker: error: --scenario and --variant are required (or --describe)\n";
            return k_worker_exit_usage;
        }
        std::vector<KeyOverride> sets;
        for (const auto& text : set_texts) sets.push_back(parse_key_override(text));
        Scenario sc = load_scenario(scenario_path, catalog, sets);
        RunLengthOverride o;
        if (!duration_text.empty()) {
            o.duration = parse_duration(duration_text);
            if (!o.duration) {
                std::cerr << fmt::format("threadmill-worker: error: bad --duration '{}'\n", duration_text);
                return k_worker_exit_usage;
            }
        }
        o.iterations = iterations;
        apply_override(sc, o);
        const TargetSpec* target = Registry::instance().find(sc.target);
        if (target == nullptr) {  // the loader already checked it against the same catalog
            std::cerr << "threadmill-worker: internal error: target vanished\n";
            return k_worker_exit_internal;
        }
        if (work_dir.empty()) work_dir = std::filesystem::temp_directory_path().string();
        // Run by hand with a result file: the history goes beside it, as the driver would put it.
        if (history_path.empty() && sc.check.linearizability && !result_path.empty())
            history_path = (std::filesystem::path(result_path).parent_path() / "history.jsonl").string();
        RunnerOptions options{work_dir, activity_path, true, history_path};
        const Measurement m = run_job(sc, *target, variant, seed, options);
        const std::string text = nlohmann::json(m).dump();
        if (result_path.empty()) {
            std::cout << text << "\n";
        } else {
            // Write then rename: the driver never reads half a result.
            write_file_atomically(result_path, text + "\n");
        }
        return 0;
    } catch (const WriteError& e) {
        std::cerr << k_worker_write_error << e.path() << ": " << e.reason() << "\n";
        return k_worker_exit_output;
    } catch (const ScenarioError& e) {
        std::cerr << e.what() << "\n";
        return k_worker_exit_scenario;
    } catch (const std::exception& e) {
        std::cerr << "threadmill-worker: internal error: " << e.what() << "\n";
        return k_worker_exit_internal;
    }
}
