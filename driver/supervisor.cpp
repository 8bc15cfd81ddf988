// The supervisor: one worker process per job; crashes, hangs and results become JobResults.
#include "driver/supervisor.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "driver/verdict.hpp"
#include "model/activity.hpp"
#include "model/flavor.hpp"
#include "model/text.hpp"
#include "model/units.hpp"
#include "model/worker_protocol.hpp"
#include "sanitizers/environment.hpp"
#include "sanitizers/parser.hpp"

namespace threadmill {
namespace fs = std::filesystem;
namespace {

using Clock = std::chrono::steady_clock;

std::string read_tail(const fs::path& path, std::size_t max_bytes) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return {};
    in.seekg(0, std::ios::end);
    const auto size = static_cast<std::size_t>(in.tellg());
    const std::size_t start = size > max_bytes ? size - max_bytes : 0;
    in.seekg(static_cast<std::streamoff>(start));
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (start > 0) {
        const auto nl = text.find('\n');
        text = "...\n" + (nl == std::string::npos ? text : text.substr(nl + 1));
    }
    return text;
}

std::string safe_name(const std::string& s) {
    std::string out;
    for (char c : s) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.') ? c : '_';
    return out;
}

std::string signal_name(int sig) {
    const char* abbrev = sigabbrev_np(sig);
    const char* desc = strsignal(sig);
    return fmt::format("SIG{} ({})", abbrev ? abbrev : "?", desc ? desc : "?");
}

/// Starts the worker in its own process group with stdout+stderr to `log`.
pid_t spawn_worker(const std::vector<std::string>& argv, const fs::path& log,
                   const std::vector<std::pair<std::string, std::string>>& env) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw std::runtime_error(fmt::format("cannot create {}: {}", log.string(), std::strerror(errno)));
    const pid_t pid = ::fork();
    if (pid < 0) {
        ::close(fd);
        throw std::runtime_error(fmt::format("fork failed: {}", std::strerror(errno)));
    }
    if (pid == 0) {
        ::setpgid(0, 0);
        ::dup2(fd, STDOUT_FILENO);
        ::dup2(fd, STDERR_FILENO);
        const int devnull = ::open("/dev/null", O_RDONLY);
        if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
        ::signal(SIGINT, SIG_DFL);
        ::signal(SIGTERM, SIG_DFL);
        for (const auto& [name, value] : env) ::setenv(name.c_str(), value.c_str(), 1);
        ::execv(args[0], args.data());
        const std::string msg = fmt::format("threadmill: cannot execute {}: {}\n", args[0], std::strerror(errno));
        [[maybe_unused]] auto n = ::write(STDERR_FILENO, msg.data(), msg.size());
        ::_exit(127);
    }
    ::setpgid(pid, pid);  // also from the parent, so a kill never misses the group
    ::close(fd);
    return pid;
}

/// Everything the sanitizer runtimes wrote: their log files (log_path=<dir>/sanitizer gives
/// sanitizer.<pid>), then the worker's own output, where a runtime writes when it has no log.
std::string sanitizer_text(const fs::path& dir) {
    std::vector<fs::path> logs;
    for (const auto& e : fs::directory_iterator(dir)) {
        if (e.path().filename().string().starts_with("sanitizer.")) logs.push_back(e.path());
    }
    std::sort(logs.begin(), logs.end());
    std::string text;
    // One file may end mid-line (a worker killed mid-report): never glue the next one onto it.
    for (const auto& p : logs) text += read_tail(p, std::size_t{64} << 20) + "\n";
    text += read_tail(dir / "worker.log", std::size_t{64} << 20);
    return text;
}

/// gdb's backtraces of every thread of `pid`, or a line saying why there are none.
std::string gdb_backtraces(pid_t pid, const fs::path& out) {
    if (::access("/usr/bin/gdb", X_OK) != 0) return "(no backtraces: gdb is not installed)";
    const std::string cmd = fmt::format(
        "timeout 30 /usr/bin/gdb -p {} -batch -nx -q -ex 'set pagination off' -ex 'thread apply all bt' >'{}' 2>&1",
        pid, out.string());
    const int status = std::system(cmd.c_str());
    std::string text = read_tail(out, 64 * 1024);
    if (status != 0 && text.find("Thread ") == std::string::npos) return "(gdb could not attach: " + text + ")";
    return text;
}

enum class Ending { exited, timed_out, stopped };

struct WaitResult {
    Ending ending = Ending::exited;
    int status = 0;
    double seconds = 0;
};

WaitResult wait_worker(pid_t pid, Nanos timeout, const std::atomic<bool>& stop,
                       const std::function<void()>& before_kill) {
    const auto start = Clock::now();
    const auto deadline = start + timeout;
    WaitResult r;
    for (;;) {
        int status = 0;
        const pid_t done = ::waitpid(pid, &status, WNOHANG);
        if (done == pid) {
            r.status = status;
            break;
        }
        if (done < 0 && errno != EINTR) throw std::runtime_error(fmt::format("waitpid failed: {}", std::strerror(errno)));
        const bool timed_out = Clock::now() >= deadline;
        if (timed_out || stop.load()) {
            r.ending = timed_out ? Ending::timed_out : Ending::stopped;
            if (timed_out) before_kill();
            ::kill(-pid, SIGKILL);
            ::kill(pid, SIGKILL);
            while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
            }
            r.status = status;
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    return r;
}

double statistic_of(const OpStats& s, const std::string& stat) {
    if (stat == "p50") return static_cast<double>(s.p50);
    if (stat == "p90") return static_cast<double>(s.p90);
    if (stat == "p99") return static_cast<double>(s.p99);
    if (stat == "p999") return static_cast<double>(s.p999);
    if (stat == "max") return static_cast<double>(s.max);
    if (stat == "mean") return s.mean;
    if (stat == "throughput") return s.throughput;
    return 0;
}

const OpStats* find_op(const Measurement& m, const std::string& name) {
    for (const auto& op : m.ops) {
        if (op.name == name) return &op;
    }
    return nullptr;
}

/// The figure a budget looks at, or nullopt when the measurement does not have it.
std::optional<double> figure(const Measurement& m, const SloBudget& b) {
    if (b.op.empty()) return m.throughput;
    const OpStats* op = find_op(m, b.op);
    if (op == nullptr || op->count == 0) return std::nullopt;
    return statistic_of(*op, b.statistic);
}

std::string format_figure(const SloBudget& b, double v) {
    return b.is_throughput() ? format_rate(v) : format_duration_ns(v);
}

}  // namespace

std::string worker_path(const std::string& worker_dir, const std::string& flavor) {
    return (fs::path(worker_dir) / worker_executable(flavor_of(flavor))).string();
}

void detect_from_findings(JobResult& job) {
    std::vector<std::string> seen;
    for (const auto& f : job.findings) {
        if (std::find(seen.begin(), seen.end(), f.fingerprint) != seen.end()) continue;
        seen.push_back(f.fingerprint);
        std::string where;
        if (f.user_frame) {
            where = fmt::format(" at {}:{}{}", source_relative(f.user_frame->file), f.user_frame->line,
                                f.user_frame->function.empty() ? "" : " in " + f.user_frame->function);
        }
        job.detections.push_back({mechanism_of(f), fmt::format("{}: {}{}", f.tool, f.kind_name, where)});
    }
}

std::string replay_command(const Job& job, const SupervisorOptions& options) {
    std::string cmd = fmt::format("{} run {} --variant {} --flavor {} --seed {}", options.replay_program,
                                  job.scenario->path, job.variant, job.flavor, job.seed);
    if (options.run_length.duration) cmd += " --duration " + format_duration(*options.run_length.duration);
    if (options.run_length.iterations) cmd += fmt::format(" --iterations {}", *options.run_length.iterations);
    return cmd;
}

void detect_from_measurement(JobResult& job) {
    if (!job.measurement) return;
    for (const auto& inv : job.measurement->invariants) {
        if (inv.held) continue;
        job.detections.push_back({"invariant:" + inv.name,
                                  fmt::format("{} violation{}{}{}", inv.violations, inv.violations == 1 ? "" : "s",
                                              inv.details.empty() ? "" : ": ", inv.details.empty() ? "" : inv.details.front())});
    }
    for (const auto& op : job.measurement->ops) {
        if (op.exceptions == 0) continue;
        job.detections.push_back({"exception", fmt::format("'{}' threw {} time{}: {}", op.name, op.exceptions,
                                                           op.exceptions == 1 ? "" : "s", op.first_exception)});
    }
}

void judge_budgets(JobResult& job, const Scenario& scenario, const Measurement* baseline, bool job_is_safe) {
    if (!job.measurement || !judges_latency(flavor_of(job.flavor))) return;
    for (const auto& b : scenario.slo) {
        if (b.relative > 0 && job_is_safe) continue;  // a budget relative to itself says nothing
        const auto value = figure(*job.measurement, b);
        if (!value) {
            job.detections.push_back({"error", fmt::format("budget {} = {} cannot be judged: operation '{}' did not run",
                                                           b.key, b.text, b.op)});
            continue;
        }
        double limit = b.absolute;
        std::string limit_text = b.text;
        if (b.relative > 0) {
            const auto base = baseline ? figure(*baseline, b) : std::nullopt;
            if (!base) {
                job.detections.push_back({"error", fmt::format("budget {} = {} cannot be judged: the safe variant's "
                                                               "figure is missing (did its job fail to run?)",
                                                               b.key, b.text)});
                continue;
            }
            limit = b.relative * *base;
            limit_text = fmt::format("{} = {}", b.text, format_figure(b, limit));
        }
        const bool over = b.is_throughput() ? *value < limit : *value > limit;
        job.budgets.push_back({b.key, b.text, b.is_throughput() ? "ops/s" : "ns", limit, *value, !over});
        if (over) {
            job.detections.push_back({"slo", fmt::format("{} = {} {} budget {}", b.key, format_figure(b, *value),
                                                         b.is_throughput() ? "<" : ">", limit_text)});
        }
    }
}

RunOutcome run_jobs(const std::vector<Job>& jobs, const Catalog& catalog, const SupervisorOptions& options,
                    const RunContext& context, const std::atomic<bool>& stop) {
    const fs::path out(options.out_dir);
    fs::create_directories(out);
    fs::remove_all(out / "jobs");  // only what this run writes; never the user's other files
    fs::create_directories(out / "jobs");

    for (const auto& job : jobs) {
        const std::string w = worker_path(options.worker_dir, job.flavor);
        if (::access(w.c_str(), X_OK) != 0)
            throw std::runtime_error(fmt::format(
                "the {} worker is missing: {}; build it with `cmake --preset default && cmake --build --preset default`{}",
                job.flavor, w, runtimes(flavor_of(job.flavor)).empty() ? "" : " (CMake option TM_SANITIZER_FLAVORS=ON, the default)"));
    }

    const fs::path results_path = out / "results.jsonl";
    std::ofstream results(results_path, std::ios::trunc);
    if (!results) throw std::runtime_error(fmt::format("cannot write {}", results_path.string()));
    results << nlohmann::json(context).dump() << "\n" << std::flush;

    RunOutcome outcome;
    // Safe measurements of (scenario, seed, flavor, repeat), for relative budgets.
    std::map<std::tuple<const Scenario*, std::uint64_t, std::string, int>, Measurement> baselines;

    for (const auto& job : jobs) {
        if (stop.load()) {
            outcome.interrupted = true;
            break;
        }
        if (options.on_job_start) options.on_job_start(job);
        const Scenario& sc = *job.scenario;
        const TargetInfo* target = catalog.find(sc.target);
        const std::string dir_name =
            fmt::format("{:04}-{}-{}-{}-{}{}", job.index, safe_name(sc.name), safe_name(job.variant), job.flavor,
                        job.seed, job.repeat > 0 ? fmt::format("-r{}", job.repeat + 1) : "");
        const fs::path dir = out / "jobs" / dir_name;
        fs::create_directories(dir / "work");

        std::vector<std::string> argv = {worker_path(options.worker_dir, job.flavor),
                                         "--scenario", sc.path,
                                         "--variant", job.variant,
                                         "--seed", std::to_string(job.seed),
                                         "--result", (dir / "result.json").string(),
                                         "--activity", (dir / "activity.bin").string(),
                                         "--work-dir", (dir / "work").string()};
        if (options.run_length.duration) {
            argv.push_back("--duration");
            argv.push_back(fmt::format("{}ns", options.run_length.duration->count()));
        }
        if (options.run_length.iterations) {
            argv.push_back("--iterations");
            argv.push_back(std::to_string(*options.run_length.iterations));
        }

        JobResult r;
        r.index = job.index;
        r.scenario = sc.name;
        r.scenario_path = sc.path;
        r.target = sc.target;
        r.variant = job.variant;
        r.flavor = job.flavor;
        r.seed = job.seed;
        r.repeat = job.repeat;
        r.job_dir = "jobs/" + dir_name;
        r.replay = replay_command(job, options);

        const pid_t pid = spawn_worker(argv, dir / "worker.log",
                                       sanitizer_environment(job.flavor, dir.string(), options.sanitizer_dir, sc));
        const WaitResult w = wait_worker(pid, sc.timeout, stop, [&] {
            r.last_activity = read_activity((dir / "activity.bin").string(), sc, *target);
            if (options.hang_backtraces) r.backtraces = gdb_backtraces(pid, dir / "backtraces.txt");
        });
        if (w.ending == Ending::stopped) {
            outcome.interrupted = true;
            break;
        }
        r.elapsed_seconds = w.seconds;
        r.worker_log = read_tail(dir / "worker.log", 4096);
        if (WIFEXITED(w.status)) r.exit_code = WEXITSTATUS(w.status);
        if (WIFSIGNALED(w.status)) r.signal = WTERMSIG(w.status);

        // The worker writes its result only when it has run to the end, whatever its status.
        if (fs::exists(dir / "result.json")) {
            try {
                std::ifstream in(dir / "result.json");
                r.measurement = nlohmann::json::parse(in).get<Measurement>();
            } catch (const std::exception& e) {
                // The file is written whole (then renamed), so garbage in it came from a worker
                // whose memory the target corrupted: the target's doing, not the harness's.
                r.detections.push_back({"crash", fmt::format("the worker wrote a corrupt result: {}", e.what())});
            }
        }
        if (!runtimes(flavor_of(job.flavor)).empty()) {
            const std::string text = sanitizer_text(dir);
            auto findings = parse_sanitizer_output(text);
            if (findings.size() > k_max_findings) {
                r.findings_dropped = findings.size() - k_max_findings;
                findings.resize(k_max_findings);
            }
            r.findings = std::move(findings);
            r.suppressions = parse_suppression_uses(text);
        }

        if (w.ending == Ending::timed_out) {
            r.timed_out = true;
            r.signal = 0;
            std::string threads;
            for (const auto& a : r.last_activity) {
                threads += fmt::format("; thread {} ({}) {} '{}' after {} ops", a.thread, a.group,
                                       a.in_op ? "in" : "last ran", a.op, a.ops_done);
            }
            r.detections.push_back({"timeout", fmt::format("no result after {}{}", format_duration(sc.timeout), threads)});
        } else if (r.signal != 0) {
            r.detections.push_back({"crash", fmt::format("worker killed by {}", signal_name(r.signal))});
        } else if (r.exit_code == k_worker_exit_ok) {
            if (!r.measurement) r.detections.push_back({"error", "the worker exited 0 without writing its result"});
        } else if (r.exit_code == k_worker_exit_sanitizer && !runtimes(flavor_of(job.flavor)).empty()) {
            // Reports explain it; a halted worker without one is a crash nobody explained.
            if (r.findings.empty()) {
                r.detections.push_back({"crash", fmt::format("worker exited with status {} but no sanitizer report was "
                                                             "found",
                                                             r.exit_code)});
            }
        } else if (r.exit_code == k_worker_exit_usage || r.exit_code == k_worker_exit_scenario ||
                   r.exit_code == k_worker_exit_internal || r.exit_code == 127) {
            r.detections.push_back({"error", fmt::format("the worker could not run the job (exit status {})", r.exit_code)});
        } else {
            // A sanitizer runtime turns a deadly signal into its own report and an exit status.
            std::string why;
            if (const auto at = r.worker_log.find("ERROR: "); at != std::string::npos) {
                const auto end = r.worker_log.find('\n', at);
                why = ": " + r.worker_log.substr(at + 7, end == std::string::npos ? std::string::npos : end - at - 7);
            }
            r.detections.push_back({"crash", fmt::format("worker exited with status {}{}", r.exit_code, why)});
        }
        detect_from_findings(r);
        detect_from_measurement(r);
        const int vi = target->variant_index(job.variant);
        const bool is_safe = vi >= 0 && target->variants[static_cast<std::size_t>(vi)].is_safe();
        const auto key = std::make_tuple(&sc, job.seed, job.flavor, job.repeat);
        if (is_safe && r.measurement && !baselines.count(key)) baselines.emplace(key, *r.measurement);
        const auto base = baselines.find(key);
        judge_budgets(r, sc, base == baselines.end() ? nullptr : &base->second, is_safe);

        const Expectation* e = sc.expectation(job.variant, job.flavor);
        if (e == nullptr) {
            throw std::logic_error(fmt::format("no expectation for {} / {} (the loader should have refused it)",
                                               job.variant, job.flavor));
        }
        grade(r, *e);
        results << nlohmann::json(r).dump() << "\n" << std::flush;
        if (options.on_job_end) options.on_job_end(r);
        outcome.results.push_back(std::move(r));
    }
    return outcome;
}

}  // namespace threadmill
