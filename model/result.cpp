// JSON form of the result model (results.jsonl, the worker's result file) and its summaries.
#include "model/result.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <stdexcept>
#include <thread>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include "model/flavor.hpp"
#include "model/json_util.hpp"
#include "model/outcome.hpp"

namespace threadmill {

using nlohmann::json;

const char* to_string(Verdict v) {
    switch (v) {
        case Verdict::pass: return "pass";
        case Verdict::fail: return "fail";
        case Verdict::error: return "error";
    }
    return "?";
}

namespace {

Verdict verdict_from(const std::string& s) {
    if (s == "pass") return Verdict::pass;
    if (s == "fail") return Verdict::fail;
    if (s == "error") return Verdict::error;
    throw std::runtime_error(fmt::format("unknown verdict '{}'", s));
}

}  // namespace

void to_json(json& j, const OpStats& v) {
    json buckets = json::array();
    for (const auto& [idx, count] : v.histogram.sparse()) buckets.push_back({idx, count});
    j = json{{"name", v.name},   {"count", v.count}, {"p50", v.p50},   {"p90", v.p90},
             {"p99", v.p99},     {"p999", v.p999},   {"min", v.min},   {"max", v.max},
             {"mean", v.mean},   {"throughput", v.throughput},         {"exceptions", v.exceptions},
             {"first_exception", v.first_exception},
             {"histogram", {{"buckets", buckets}, {"sum", v.histogram.sum()}}}};
}

void from_json(const json& j, OpStats& v) {
    j.at("name").get_to(v.name);
    j.at("count").get_to(v.count);
    get_opt(j, "p50", v.p50);
    get_opt(j, "p90", v.p90);
    get_opt(j, "p99", v.p99);
    get_opt(j, "p999", v.p999);
    get_opt(j, "min", v.min);
    get_opt(j, "max", v.max);
    get_opt(j, "mean", v.mean);
    get_opt(j, "throughput", v.throughput);
    get_opt(j, "exceptions", v.exceptions);
    get_opt(j, "first_exception", v.first_exception);
    if (auto it = j.find("histogram"); it != j.end()) {
        std::vector<std::pair<std::uint32_t, std::uint64_t>> buckets;
        for (const auto& b : it->at("buckets")) buckets.emplace_back(b.at(0).get<std::uint32_t>(), b.at(1).get<std::uint64_t>());
        v.histogram = Histogram::from_sparse(buckets, v.min, v.max, it->value("sum", 0.0));
    }
}

void to_json(json& j, const InvariantResult& v) {
    j = json{{"name", v.name}, {"held", v.held}, {"checks", v.checks}, {"violations", v.violations}, {"details", v.details}};
}
void from_json(const json& j, InvariantResult& v) {
    j.at("name").get_to(v.name);
    j.at("held").get_to(v.held);
    get_opt(j, "checks", v.checks);
    get_opt(j, "violations", v.violations);
    get_opt(j, "details", v.details);
}

void to_json(json& j, const ThreadActivity& v) {
    j = json{{"thread", v.thread}, {"group", v.group}, {"op", v.op}, {"in_op", v.in_op}, {"ops_done", v.ops_done}};
}
void from_json(const json& j, ThreadActivity& v) {
    j.at("thread").get_to(v.thread);
    get_opt(j, "group", v.group);
    get_opt(j, "op", v.op);
    get_opt(j, "in_op", v.in_op);
    get_opt(j, "ops_done", v.ops_done);
}

const Frame* first_user_frame(const HangThread& t) {
    const auto it = std::find_if(t.frames.begin(), t.frames.end(), [](const Frame& f) { return f.user; });
    return it == t.frames.end() ? nullptr : &*it;
}

std::string hang_thread_title(const HangThread& t) {
    return t.name.empty() ? fmt::format("thread {}", t.thread) : fmt::format("thread {} \"{}\"", t.thread, t.name);
}

std::vector<std::string> describe_hang(const std::vector<HangThread>& threads, std::string_view source_root) {
    std::vector<std::string> lines;
    for (const auto& t : threads) {
        const Frame* f = first_user_frame(t);
        if (f == nullptr) continue;
        const std::string function = f->function.empty() ? std::string("??") : f->function;
        std::string where;
        if (has_line_info(*f)) {
            where = fmt::format(" at {}:{}", source_relative(f->file, source_root), f->line);
        } else if (!f->file.empty() || !f->module.empty()) {
            where = " in " + (f->file.empty() ? f->module : source_relative(f->file, source_root));
        }
        lines.push_back(fmt::format("{} blocked in {}{}", hang_thread_title(t), function, where));
    }
    return lines;
}

void to_json(json& j, const HangThread& v) {
    j = json{{"thread", v.thread}, {"lwp", v.lwp}, {"name", v.name}, {"frames", v.frames}};
}
void from_json(const json& j, HangThread& v) {
    j.at("thread").get_to(v.thread);
    get_opt(j, "lwp", v.lwp);
    get_opt(j, "name", v.name);
    get_opt(j, "frames", v.frames);
}

void to_json(json& j, const HistoryRecording& v) {
    j = json{{"file", v.file}, {"ops", v.ops}, {"cut", v.cut}};
    if (v.cut) {
        j["cut_at_seconds"] = v.cut_at_seconds;
        j["open_at_cut"] = v.open_at_cut;
    }
}
void from_json(const json& j, HistoryRecording& v) {
    j.at("file").get_to(v.file);
    j.at("ops").get_to(v.ops);
    get_opt(j, "cut", v.cut);
    get_opt(j, "cut_at_seconds", v.cut_at_seconds);
    get_opt(j, "open_at_cut", v.open_at_cut);
}

void to_json(json& j, const LinOp& v) {
    j = json{{"line", v.line}, {"process", v.process}, {"text", v.text}, {"call", v.call}};
    if (v.ret) j["return"] = *v.ret;
    if (v.info) j["info"] = true;
    if (v.unplaced) j["unplaced"] = true;
    if (v.order >= 0) {
        j["order"] = v.order;
        j["state"] = v.state;
    }
}
void from_json(const json& j, LinOp& v) {
    get_opt(j, "line", v.line);
    get_opt(j, "process", v.process);
    get_opt(j, "text", v.text);
    get_opt(j, "call", v.call);
    if (auto it = j.find("return"); it != j.end() && !it->is_null()) v.ret = it->get<std::int64_t>();
    get_opt(j, "info", v.info);
    get_opt(j, "unplaced", v.unplaced);
    get_opt(j, "order", v.order);
    get_opt(j, "state", v.state);
}

void to_json(json& j, const LinearizabilityResult& v) {
    j = json{{"model", v.model},
             {"verdict", v.verdict},
             {"ops", v.ops},
             {"partitions", v.partitions},
             {"partitions_decided", v.partitions_decided},
             {"seconds", v.seconds},
             {"steps", v.steps},
             {"peak_memory_bytes", v.peak_memory_bytes}};
    if (!v.unknown_reason.empty()) j["unknown_reason"] = v.unknown_reason;
    if (!v.error.empty()) j["error"] = v.error;
    if (!v.window.empty() || v.partition_ops > 0) {
        j["key"] = v.key ? json(*v.key) : json(nullptr);
        j["partition_ops"] = v.partition_ops;
        j["window"] = v.window;
        j["prefix_length"] = v.prefix_length;
        j["diagnosis_complete"] = v.diagnosis_complete;
        j["initial_state"] = v.initial_state;
    }
}
void from_json(const json& j, LinearizabilityResult& v) {
    get_opt(j, "model", v.model);
    j.at("verdict").get_to(v.verdict);
    get_opt(j, "unknown_reason", v.unknown_reason);
    get_opt(j, "error", v.error);
    get_opt(j, "ops", v.ops);
    get_opt(j, "partitions", v.partitions);
    get_opt(j, "partitions_decided", v.partitions_decided);
    get_opt(j, "seconds", v.seconds);
    get_opt(j, "steps", v.steps);
    get_opt(j, "peak_memory_bytes", v.peak_memory_bytes);
    if (auto it = j.find("key"); it != j.end() && !it->is_null()) v.key = it->get<std::string>();
    get_opt(j, "partition_ops", v.partition_ops);
    get_opt(j, "window", v.window);
    get_opt(j, "prefix_length", v.prefix_length);
    get_opt(j, "diagnosis_complete", v.diagnosis_complete);
    get_opt(j, "initial_state", v.initial_state);
}

void to_json(json& j, const ObservedResult& v) { j = json{{"result", v.result}, {"count", v.count}}; }
void from_json(const json& j, ObservedResult& v) {
    j.at("result").get_to(v.result);
    j.at("count").get_to(v.count);
}

void to_json(json& j, const GradedOutcome& v) {
    j = json{{"result", v.result}, {"count", v.count}, {"frequency", v.frequency}, {"grade", to_string(v.grade)},
             {"desc", v.desc}};
}
void from_json(const json& j, GradedOutcome& v) {
    j.at("result").get_to(v.result);
    j.at("count").get_to(v.count);
    get_opt(j, "frequency", v.frequency);
    const std::string grade = j.at("grade").get<std::string>();
    const auto g = parse_outcome_grade(grade);
    if (!g) throw std::runtime_error(fmt::format("unknown outcome grade '{}'", grade));
    v.grade = *g;
    get_opt(j, "desc", v.desc);
}

const StrategySlice* slice_at(const std::vector<StrategySlice>& schedule, double seconds) {
    const StrategySlice* at = schedule.empty() ? nullptr : &schedule.front();
    for (const auto& s : schedule) {
        if (s.start_seconds <= seconds) at = &s;
    }
    return at;
}

void to_json(json& j, const StrategySlice& v) {
    j = json{{"strategy", v.strategy}, {"start_seconds", v.start_seconds}, {"start_ops", v.start_ops}};
}
void from_json(const json& j, StrategySlice& v) {
    j.at("strategy").get_to(v.strategy);
    get_opt(j, "start_seconds", v.start_seconds);
    get_opt(j, "start_ops", v.start_ops);
}

void to_json(json& j, const Measurement& v) {
    j = json{{"wall_seconds", v.wall_seconds}, {"total_ops", v.total_ops}, {"throughput", v.throughput},
             {"rounds", v.rounds}, {"threads", v.threads}, {"ops", v.ops}, {"invariants", v.invariants}};
    if (v.faults_injected != 0) j["faults_injected"] = v.faults_injected;
    if (v.history) j["history"] = *v.history;
    // Lockstep only: files of other jobs (and older files) read the same without them.
    if (!v.outcomes.empty()) j["outcomes"] = v.outcomes;
    if (v.outcomes_uncounted != 0) j["outcomes_uncounted"] = v.outcomes_uncounted;
    if (!v.schedule.empty()) j["schedule"] = v.schedule;
    if (!v.cpus.empty()) j["cpus"] = v.cpus;
}
void from_json(const json& j, Measurement& v) {
    j.at("wall_seconds").get_to(v.wall_seconds);
    j.at("total_ops").get_to(v.total_ops);
    get_opt(j, "throughput", v.throughput);
    get_opt(j, "rounds", v.rounds);
    get_opt(j, "threads", v.threads);
    get_opt(j, "faults_injected", v.faults_injected);
    get_opt(j, "ops", v.ops);
    get_opt(j, "invariants", v.invariants);
    if (auto it = j.find("history"); it != j.end() && !it->is_null()) v.history = it->get<HistoryRecording>();
    get_opt(j, "outcomes", v.outcomes);
    get_opt(j, "outcomes_uncounted", v.outcomes_uncounted);
    get_opt(j, "schedule", v.schedule);
    get_opt(j, "cpus", v.cpus);
}

void to_json(json& j, const Detection& v) { j = json{{"mechanism", v.mechanism}, {"detail", v.detail}}; }
void from_json(const json& j, Detection& v) {
    j.at("mechanism").get_to(v.mechanism);
    get_opt(j, "detail", v.detail);
}

void to_json(json& j, const BudgetResult& v) {
    j = json{{"key", v.key}, {"budget", v.budget}, {"unit", v.unit}, {"limit", v.limit}, {"value", v.value}, {"met", v.met}};
}
void from_json(const json& j, BudgetResult& v) {
    j.at("key").get_to(v.key);
    get_opt(j, "budget", v.budget);
    get_opt(j, "unit", v.unit);
    get_opt(j, "limit", v.limit);
    get_opt(j, "value", v.value);
    get_opt(j, "met", v.met);
}

std::optional<double> JobResult::detections_per_million_ops() const {
    if (!ops_run || *ops_run == 0) return std::nullopt;
    return static_cast<double>(detection_events) * 1e6 / static_cast<double>(*ops_run);
}

void to_json(json& j, const FirstDetection& v) {
    j = json{{"mechanism", v.mechanism}, {"seconds", v.seconds}, {"ops", v.ops ? json(*v.ops) : json(nullptr)}};
    if (!v.strategy.empty()) j["strategy"] = v.strategy;
}
void from_json(const json& j, FirstDetection& v) {
    j.at("mechanism").get_to(v.mechanism);
    j.at("seconds").get_to(v.seconds);
    if (auto it = j.find("ops"); it != j.end() && !it->is_null()) v.ops = it->get<std::uint64_t>();
    get_opt(j, "strategy", v.strategy);
}

void to_json(json& j, const Confirmation& v) {
    j = json{{"runs", v.runs}, {"reproduced", v.reproduced}, {"outcomes", v.outcomes}};
}
void from_json(const json& j, Confirmation& v) {
    j.at("runs").get_to(v.runs);
    j.at("reproduced").get_to(v.reproduced);
    get_opt(j, "outcomes", v.outcomes);
}

void to_json(json& j, const JobResult& v) {
    j = json{{"type", "job"},
             {"index", v.index},
             {"scenario", v.scenario},
             {"scenario_path", v.scenario_path},
             {"target", v.target},
             {"variant", v.variant},
             {"flavor", v.flavor},
             {"seed", v.seed},
             {"repeat", v.repeat},
             {"replay", v.replay},
             {"job_dir", v.job_dir},
             {"verdict", to_string(v.verdict)},
             {"outcome", info(outcome_of(v)).name},
             {"expected", v.expected},
             {"expectation_met", v.expectation_met},
             {"expectation_detail", v.expectation_detail},
             {"budgets", v.budgets},
             {"detections", v.detections},
             {"exit_code", v.exit_code},
             {"signal", v.signal},
             {"timed_out", v.timed_out},
             {"elapsed_seconds", v.elapsed_seconds},
             {"last_activity", v.last_activity},
             {"backtraces", v.backtraces},
             {"findings", v.findings},
             {"findings_dropped", v.findings_dropped},
             {"suppressions", v.suppressions},
             {"worker_log", v.worker_log},
             {"measurement", v.measurement ? json(*v.measurement) : json(nullptr)}};
    // Written only when there is something: files without it (older ones, jobs that did not hang) read the same.
    if (!v.hang_stacks.empty()) j["hang_stacks"] = v.hang_stacks;
    if (!v.outcomes.empty()) j["outcomes"] = v.outcomes;
    if (!v.suppression_files.empty()) j["suppression_files"] = v.suppression_files;
    if (v.linearizability) j["linearizability"] = *v.linearizability;
    if (v.first_detection) j["first_detection"] = *v.first_detection;
    if (v.ops_run) j["ops_run"] = *v.ops_run;
    if (v.detection_events != 0) j["detection_events"] = v.detection_events;
    if (v.confirmation) j["confirmation"] = *v.confirmation;
    if (v.started_seconds != 0) j["started_seconds"] = v.started_seconds;
    if (!v.cpus.empty()) j["cpus"] = v.cpus;
    // Derived (never read back): for readers of the file that do not divide.
    if (const auto rate = v.detections_per_million_ops()) j["detections_per_million_ops"] = *rate;
}

void from_json(const json& j, JobResult& v) {
    j.at("index").get_to(v.index);
    j.at("scenario").get_to(v.scenario);
    get_opt(j, "scenario_path", v.scenario_path);
    j.at("target").get_to(v.target);
    j.at("variant").get_to(v.variant);
    j.at("flavor").get_to(v.flavor);
    j.at("seed").get_to(v.seed);
    get_opt(j, "repeat", v.repeat);
    get_opt(j, "replay", v.replay);
    get_opt(j, "job_dir", v.job_dir);
    v.verdict = verdict_from(j.at("verdict").get<std::string>());
    get_opt(j, "expected", v.expected);
    get_opt(j, "expectation_met", v.expectation_met);
    get_opt(j, "expectation_detail", v.expectation_detail);
    get_opt(j, "budgets", v.budgets);
    get_opt(j, "outcomes", v.outcomes);
    get_opt(j, "detections", v.detections);
    get_opt(j, "exit_code", v.exit_code);
    get_opt(j, "signal", v.signal);
    get_opt(j, "timed_out", v.timed_out);
    get_opt(j, "elapsed_seconds", v.elapsed_seconds);
    get_opt(j, "started_seconds", v.started_seconds);
    get_opt(j, "cpus", v.cpus);
    get_opt(j, "last_activity", v.last_activity);
    get_opt(j, "backtraces", v.backtraces);
    get_opt(j, "hang_stacks", v.hang_stacks);
    get_opt(j, "findings", v.findings);
    get_opt(j, "findings_dropped", v.findings_dropped);
    get_opt(j, "suppressions", v.suppressions);
    get_opt(j, "suppression_files", v.suppression_files);
    get_opt(j, "worker_log", v.worker_log);
    if (auto it = j.find("measurement"); it != j.end() && !it->is_null()) v.measurement = it->get<Measurement>();
    if (auto it = j.find("linearizability"); it != j.end() && !it->is_null())
        v.linearizability = it->get<LinearizabilityResult>();
    if (auto it = j.find("first_detection"); it != j.end() && !it->is_null()) v.first_detection = it->get<FirstDetection>();
    if (auto it = j.find("ops_run"); it != j.end() && !it->is_null()) v.ops_run = it->get<std::uint64_t>();
    get_opt(j, "detection_events", v.detection_events);
    if (auto it = j.find("confirmation"); it != j.end() && !it->is_null()) v.confirmation = it->get<Confirmation>();
}

void to_json(json& j, const RunContext& v) {
    json flavors = json::array();
    for (const auto& [name, flags] : v.flavors) flavors.push_back({{"name", name}, {"flags", flags}});
    j = json{{"type", "run"},
             {"tool_version", v.tool_version},
             {"schema_version", v.schema_version},
             {"compiler", v.compiler},
             {"build_type", v.build_type},
             {"compiler_flags", v.compiler_flags},
             {"flavors", flavors},
             {"seeds", v.seeds},
             {"repeat", v.repeat},
             {"command_line", v.command_line},
             {"host", v.host},
             {"cpu_count", v.cpu_count},
             {"start_time", v.start_time},
             {"planned", v.planned}};
    j["workers"] = v.workers;
    if (!v.merged_from.empty()) j["merged_from"] = v.merged_from;
    if (!v.working_directory.empty()) j["working_directory"] = v.working_directory;
    if (!v.duration_override.empty()) j["duration_override"] = v.duration_override;
    if (v.iterations_override) j["iterations_override"] = *v.iterations_override;
    if (!v.key_overrides.empty()) j["key_overrides"] = v.key_overrides;
    if (v.jobs_side_by_side != 1) j["jobs_side_by_side"] = v.jobs_side_by_side;
    if (!v.time_budget.empty()) {
        j["time_budget"] = v.time_budget;
        j["duration_scale"] = v.duration_scale;
    }
    if (v.shard.count > 0)
        j["shard"] = json{{"index", v.shard.index}, {"count", v.shard.count}, {"plan_jobs", v.shard.plan_jobs}, {"plan", v.shard.plan}};
}
void from_json(const json& j, RunContext& v) {
    get_opt(j, "tool_version", v.tool_version);
    get_opt(j, "schema_version", v.schema_version);
    get_opt(j, "compiler", v.compiler);
    get_opt(j, "build_type", v.build_type);
    get_opt(j, "compiler_flags", v.compiler_flags);
    if (auto it = j.find("flavors"); it != j.end() && it->is_array()) {
        for (const auto& f : *it) v.flavors.emplace_back(f.at("name").get<std::string>(), f.value("flags", ""));
    }
    get_opt(j, "seeds", v.seeds);
    get_opt(j, "repeat", v.repeat);
    get_opt(j, "command_line", v.command_line);
    get_opt(j, "host", v.host);
    get_opt(j, "cpu_count", v.cpu_count);
    get_opt(j, "start_time", v.start_time);
    get_opt(j, "planned", v.planned);
    get_opt(j, "merged_from", v.merged_from);
    get_opt(j, "workers", v.workers);
    get_opt(j, "working_directory", v.working_directory);
    get_opt(j, "duration_override", v.duration_override);
    if (auto it = j.find("iterations_override"); it != j.end() && !it->is_null()) v.iterations_override = it->get<std::uint64_t>();
    get_opt(j, "key_overrides", v.key_overrides);
    get_opt(j, "jobs_side_by_side", v.jobs_side_by_side);
    get_opt(j, "time_budget", v.time_budget);
    get_opt(j, "duration_scale", v.duration_scale);
    if (auto it = j.find("shard"); it != j.end() && it->is_object()) {
        get_opt(*it, "index", v.shard.index);
        get_opt(*it, "count", v.shard.count);
        get_opt(*it, "plan_jobs", v.shard.plan_jobs);
        get_opt(*it, "plan", v.shard.plan);
    }
}

void to_json(json& j, const RunEnd& v) {
    j = json{{"type", "run_end"},         {"planned", v.planned}, {"ran", v.ran},
             {"interrupted", v.interrupted}, {"error", v.error},   {"elapsed_seconds", v.elapsed_seconds},
             {"end_time", v.end_time}};
    if (v.fail_fast) j["fail_fast"] = true;
}
void from_json(const json& j, RunEnd& v) {
    j.at("planned").get_to(v.planned);
    j.at("ran").get_to(v.ran);
    get_opt(j, "interrupted", v.interrupted);
    get_opt(j, "error", v.error);
    get_opt(j, "elapsed_seconds", v.elapsed_seconds);
    get_opt(j, "end_time", v.end_time);
    get_opt(j, "fail_fast", v.fail_fast);
}

void summarize(OpStats& s, double wall_seconds) {
    const auto& h = s.histogram;
    s.count = h.count();
    s.p50 = h.percentile(0.50);
    s.p90 = h.percentile(0.90);
    s.p99 = h.percentile(0.99);
    s.p999 = h.percentile(0.999);
    s.min = h.min();
    s.max = h.max();
    s.mean = h.mean();
    s.throughput = wall_seconds > 0 ? static_cast<double>(s.count) / wall_seconds : 0;
}

std::string flavor_flags(const std::string& flavor) {
    const auto f = parse_flavor(flavor);
    return f ? std::string(info(*f).flags) : std::string{};
}

RunContext current_context(const std::string& command_line) {
    RunContext c;
    c.tool_version = TM_VERSION;
#if defined(__clang__)
    c.compiler = fmt::format("clang {}.{}.{}", __clang_major__, __clang_minor__, __clang_patchlevel__);
#elif defined(__GNUC__)
    c.compiler = fmt::format("g++ {}.{}.{}", __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__);
#endif
#ifdef NDEBUG
    c.build_type = "optimized";
#else
    c.build_type = "debug";
#endif
    c.compiler_flags = TM_CXX_FLAGS;
    c.command_line = command_line;
    char host[256] = {};
    if (gethostname(host, sizeof host - 1) == 0) c.host = host;
    c.cpu_count = std::thread::hardware_concurrency();
    c.start_time = utc_now();
    return c;
}

std::string utc_now() {
    const std::time_t now = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&now, &utc);
    return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", utc);
}

}  // namespace threadmill
