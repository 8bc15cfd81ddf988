// `threadmill check-history`: whether a recorded history (JSON Lines) is linearizable with respect to a
// built-in model or a target's own (run by the target's plain worker), with the failing partition diagnosed.
#include "cli/cmd_check_history.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "check/history.hpp"
#include "check/history_jsonl.hpp"
#include "check/linearizability.hpp"
#include "check/models.hpp"
#include "check/result_json.hpp"
#include "driver/describe.hpp"
#include "driver/model_worker.hpp"
#include "driver/supervisor.hpp"
#include "model/text.hpp"
#include "model/units.hpp"

namespace threadmill::cli {
namespace {

using nlohmann::json;

/// The mark of an op that could not be placed after the longest linearizable prefix.
constexpr std::string_view k_unplaced_mark = "✗";

std::vector<std::string> model_names() {
    std::vector<std::string> names;
    for (const ModelInfo& m : builtin_models()) names.emplace_back(m.name);
    return names;
}

std::string joined(const std::vector<std::string>& words) {
    std::string text;
    for (const auto& w : words) text += (text.empty() ? "" : ", ") + w;
    return text;
}

/// Each model with its ops and the JSON shapes they expect (--list-models, --model help).
std::string models_help() {
    std::size_t width = 0;
    for (const ModelInfo& m : builtin_models()) width = std::max(width, m.name.size());
    std::string text = "Models (--model NAME). An op's \"key\" names the object it acts on: ops on different keys are "
                       "checked apart.\n";
    for (const ModelInfo& m : builtin_models()) text += fmt::format("  {:<{}}  {}\n", m.name, width, m.help);
    text += "Inputs an op does not use are ignored; values are compared as JSON text (1 and 1.0 differ); an info op's "
            "output is ignored.\nThe file format, with examples: docs/check-history.md\n";
    return text;
}

// check-history's exit statuses are the gate table's rows of the same meaning.
static_assert(check_exit_status(LinVerdict::linearizable) == exit_status(ExitCode::ok));
static_assert(check_exit_status(LinVerdict::not_linearizable) == exit_status(ExitCode::failed));
static_assert(check_exit_status(LinVerdict::unknown) == exit_status(ExitCode::unknown));
static_assert(k_check_exit_rejected == exit_status(ExitCode::usage));

/// A duration option: `text` as parse_duration reads it, `fallback` when empty.
std::chrono::nanoseconds duration_option(std::string_view name, const std::string& text, bool allow_zero,
                                         std::chrono::nanoseconds fallback) {
    if (text.empty()) return fallback;
    if (const auto d = parse_duration(text, allow_zero)) return *d;
    if (parse_duration(text, true))
        throw CliError(ExitCode::usage, fmt::format("{}: must be greater than 0, got '{}'", name, text));
    throw CliError(ExitCode::usage, fmt::format("{}: '{}' is not a duration (like 500ms or 10s)", name, text));
}

CheckOptions check_options(const CheckHistoryOptions& o) {
    CheckOptions options;
    options.time_limit = duration_option("--time-limit", o.time_limit, false, options.time_limit);
    options.diagnosis_time_limit =
        duration_option("--diagnosis-time-limit", o.diagnosis_time_limit, true, options.diagnosis_time_limit);
    if (o.memory_limit_mib > 0) options.memory_limit_bytes = static_cast<std::size_t>(o.memory_limit_mib) << 20;
    return options;
}

std::unique_ptr<Model> chosen_model(const CheckHistoryOptions& o) {
    const auto names = model_names();
    if (o.model.empty())
        throw CliError(ExitCode::usage, fmt::format("--model is required (one of: {}; --list-models describes them)",
                                                    joined(names)));
    auto model = make_model(o.model);
    if (!model)
        throw CliError(ExitCode::usage, fmt::format("--model: unknown model '{}' (one of: {}){}", o.model, joined(names),
                                                    did_you_mean(o.model, names)));
    if (o.initial.empty()) return model;
    if (o.model != "register")
        throw CliError(ExitCode::usage, fmt::format("--initial applies to --model register only, not {}", o.model));
    json initial;
    try {
        initial = json::parse(o.initial);
    } catch (const json::exception&) {
        throw CliError(ExitCode::usage, fmt::format("--initial: '{}' is not a JSON value (a string needs its quotes: "
                                                    "--initial '\"a\"')",
                                                    o.initial));
    }
    return make_register_model(std::move(initial));
}

/// The history in `file` ("-": stdin), named `shown` in errors. A malformed line throws HistoryParseError.
History read_history(const std::string& file, const std::string& shown) {
    if (file == "-") return read_history_jsonl(std::cin, shown);
    std::error_code ec;
    if (std::filesystem::is_directory(file, ec)) throw CliError(ExitCode::usage, fmt::format("{} is a folder, not a history", file));
    std::ifstream in(file, std::ios::binary);
    if (!in) throw CliError(ExitCode::usage, fmt::format("cannot read {}: {}", file, std::strerror(errno)));
    return read_history_jsonl(in, shown);
}

std::string plural(std::size_t n, std::string_view word) { return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s"); }

std::string format_bytes(std::size_t bytes) {
    if (bytes >= (std::size_t{1} << 20)) return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1 << 20));
    if (bytes >= (std::size_t{1} << 10)) return fmt::format("{:.1f} KiB", static_cast<double>(bytes) / (1 << 10));
    return fmt::format("{} B", bytes);
}

std::string key_text(const std::optional<std::string>& key) {
    return key ? fmt::format("partition '{}'", *key) : std::string("the partition of ops without a key");
}


/// Rows of cells printed as columns (each row indented by its own lead), the last column left-aligned
/// and every other right-aligned.
std::string columns(const std::vector<std::string>& leads, const std::vector<std::vector<std::string>>& rows) {
    std::vector<std::size_t> width;
    for (const auto& row : rows) {
        width.resize(std::max(width.size(), row.size()), 0);
        for (std::size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
    }
    std::string text;
    for (std::size_t r = 0; r < rows.size(); ++r) {
        text += leads[r];
        for (std::size_t c = 0; c < rows[r].size(); ++c) {
            if (c + 1 == rows[r].size()) {
                text += rows[r][c];
            } else {
                text += fmt::format("{:>{}}  ", rows[r][c], width[c]);
            }
        }
        text += '\n';
    }
    return text;
}

/// What the text is made from: the result as check_result_json() makes it (here, or in a target's
/// plain worker), and the limits it ran with.
struct Checked {
    const json& result;
    const CheckOptions& options;
};

std::string line_text(const json& op) { return fmt::format("{}", op.at("line").get<long long>()); }
std::string return_text(const json& op) {
    return op.at("return").is_null() ? "-" : fmt::format("{}", op.at("return").get<std::int64_t>());
}
std::string key_of(const json& r) {
    return key_text(r.at("key").is_null() ? std::nullopt : std::optional<std::string>(r.at("key").get<std::string>()));
}

std::string failing_partition_text(const Checked& c) {
    const json& r = c.result;
    const json& ops = r.at("partition_ops");
    std::vector<bool> unplaced(ops.size(), false);
    for (const auto& i : r.at("unplaced")) unplaced.at(i.get<std::size_t>()) = true;
    std::string text = fmt::format("{}: {}, no order of them is legal and consistent with real time\n", key_of(r),
                                   plural(ops.size(), "op"));
    std::vector<std::string> leads{"  "};
    std::vector<std::vector<std::string>> rows{{"line", "process", "call", "return", "op"}};
    for (std::size_t i = 0; i < ops.size(); ++i) {
        const json& op = ops[i];
        leads.push_back(unplaced[i] ? fmt::format("{} ", k_unplaced_mark) : "  ");
        rows.push_back({line_text(op), fmt::format("{}", op.at("process").get<int>()),
                        fmt::format("{}", op.at("call").get<std::int64_t>()), return_text(op),
                        op.at("description").get<std::string>()});
    }
    text += columns(leads, rows);
    if (!r.at("diagnosed").get<bool>()) return text + "no diagnosis (--diagnosis-time-limit 0s)\n";

    text += r.at("diagnosis_complete").get<bool>()
                ? "longest linearizable prefix"
                : "longest linearizable prefix found before the diagnosis ran out of time or memory (there may be longer)";
    const json& prefix = r.at("longest_prefix");
    const std::string initial = r.at("initial_state").get<std::string>();
    if (prefix.empty()) {
        text += fmt::format(": none, no op can come first, from the initial state {}\n", initial);
    } else {
        text += fmt::format(": {} of the {}, from the initial state {}\n", prefix.size(), plural(ops.size(), "op"), initial);
        std::vector<std::string> prefix_leads{"  "};
        std::vector<std::vector<std::string>> prefix_rows{{"#", "line", "op", "state after"}};
        for (std::size_t k = 0; k < prefix.size(); ++k) {
            const json& op = ops.at(prefix[k].at("op").get<std::size_t>());
            prefix_leads.push_back("  ");
            prefix_rows.push_back({fmt::format("{}", k + 1), line_text(op), op.at("description").get<std::string>(),
                                   prefix[k].at("state").get<std::string>()});
        }
        // The op column is left-aligned too: pad it here, columns() aligns only the last one left.
        std::size_t op_width = 0;
        for (const auto& row : prefix_rows) op_width = std::max(op_width, row[2].size());
        for (auto& row : prefix_rows) row[2] += std::string(op_width - row[2].size(), ' ');
        text += columns(prefix_leads, prefix_rows);
    }
    if (r.at("unplaced").empty()) return text;
    text += fmt::format("could not be placed after it (marked {} above): one of these had to come next, and none can\n",
                        k_unplaced_mark);
    for (const auto& i : r.at("unplaced")) {
        const json& op = ops.at(i.get<std::size_t>());
        text += fmt::format("  {} line {}, process {}, [{}, {}]: {}\n", k_unplaced_mark, line_text(op),
                            op.at("process").get<int>(), op.at("call").get<std::int64_t>(), return_text(op),
                            op.at("description").get<std::string>());
    }
    return text;
}

std::string unknown_text(const Checked& c) {
    const json& r = c.result;
    std::string limit;
    std::string raise;
    if (r.at("unknown_reason") == to_string(UnknownReason::time_limit)) {
        limit = fmt::format("the time limit ({})", format_duration(c.options.time_limit));
        raise = "--time-limit";
    } else {
        limit = fmt::format("the memory limit ({} per partition)", format_bytes(c.options.memory_limit_bytes));
        raise = "--memory-limit-mib";
    }
    const auto partitions = r.at("partitions").get<std::size_t>();
    const auto decided = r.at("partitions_decided").get<std::size_t>();
    std::string text = fmt::format("{} ran out in {} ({}); ", limit, key_of(r),
                                   plural(r.at("partition_size").get<std::size_t>(), "op"));
    if (decided == 0) {
        text += fmt::format("none of the {} was decided\n", plural(partitions, "partition"));
    } else {
        text += fmt::format("{} of the {} {} decided, and {} linearizable\n", decided, plural(partitions, "partition"),
                            decided == 1 ? "was" : "were", decided == 1 ? "it is" : "each is");
    }
    return text + fmt::format("raise {} to decide it\n", raise);
}

std::string result_text(const Checked& c) {
    const json& r = c.result;
    const auto elapsed = std::chrono::nanoseconds(std::llround(r.at("elapsed_ms").get<double>() * 1e6));
    const std::string verdict = r.at("verdict").get<std::string>();
    std::string text = fmt::format("{}: {} ({}: {} in {}, {} decided; {}, peak {}, {})\n", r.at("file").get<std::string>(),
                                   verdict, r.at("model").get<std::string>(), plural(r.at("ops").get<std::size_t>(), "op"),
                                   plural(r.at("partitions").get<std::size_t>(), "partition"),
                                   r.at("partitions_decided").get<std::size_t>(), plural(r.at("steps").get<std::uint64_t>(), "step"),
                                   format_bytes(r.at("peak_memory_bytes").get<std::size_t>()), format_duration(elapsed));
    if (verdict == to_string(LinVerdict::not_linearizable)) text += failing_partition_text(c);
    if (verdict == to_string(LinVerdict::unknown)) text += unknown_text(c);
    return text;
}

/// The ExitCode of a verdict's words.
ExitCode exit_code_of(const json& result) {
    const std::string words = result.at("verdict").get<std::string>();
    const auto verdict = verdict_named(words);
    if (!verdict) throw CliError(ExitCode::internal, fmt::format("a check result with the verdict '{}'", words));
    return static_cast<ExitCode>(check_exit_status(*verdict));
}

}  // namespace

void setup_check_history(CLI::App& app, CheckHistoryOptions& o) {
    const CheckOptions defaults;
    app.add_option("FILE", o.file, "the history: JSON Lines, one operation per line ('-' reads stdin)");
    app.add_option("--model,-m", o.model,
                   fmt::format("the sequential specification to check against: {} ('help' lists them with their "
                               "JSON shapes)",
                               joined(model_names())));
    app.add_flag("--list-models", o.list_models, "print each model's ops and the JSON shapes they expect, then exit");
    app.add_flag("--json", o.json, "print the result as one JSON object");
    app.add_option("--time-limit", o.time_limit,
                   fmt::format("give up ('unknown', exit 4) after this long over all partitions (like 500ms, 10s; "
                               "default {})",
                               format_duration(defaults.time_limit)));
    app.add_option("--diagnosis-time-limit", o.diagnosis_time_limit,
                   fmt::format("time for finding the longest linearizable prefix of a failing partition, after the "
                               "check (0s: no diagnosis; default {})",
                               format_duration(defaults.diagnosis_time_limit)));
    app.add_option("--memory-limit-mib", o.memory_limit_mib,
                   fmt::format("memory one partition's search may hold, in MiB; past it the result is 'unknown' "
                               "(default {})",
                               defaults.memory_limit_bytes >> 20))
        ->check(whole_number(1, std::uint64_t{1} << 30));
    app.add_option("--initial", o.initial, "with --model register: its initial value, as JSON (default null)");
    app.add_option("--target", o.target,
                   "use this target's model (default for --model): its own, which its plain worker checks, or the "
                   "built-in one it declares; the worker is the plain one in --worker-dir unless --worker names it");
    app.add_option("--worker", o.worker, "with --target: the plain worker executable holding the target");
    app.footer(
        "FILE holds one operation per line (JSON Lines):\n"
        "  {\"process\": 3, \"op\": \"cas\", \"key\": \"x\", \"input\": [1, 4], \"output\": true, \"call\": 120, "
        "\"return\": 135, \"status\": \"ok\"}\n"
        "process: an integer; op: an op of the model; key: optional, ops on different keys are checked apart;\n"
        "input and output: JSON as the model expects (--list-models); call and return: integers on one clock;\n"
        "status: \"ok\", or \"info\" when the outcome is unknown (it may have taken effect or not; return and\n"
        "output may then be left out). Reference and examples: docs/check-history.md.\n"
        "A target's own model (--target T): its plain worker checks the history (threadmill-worker --check-history).\n"
        "Exit codes: 0 linearizable; 1 not linearizable (the failing partition is printed); 2 usage error, an\n"
        "unreadable file, a malformed line or an op that does not fit the model (FILE:LINE is named); 3 internal\n"
        "error, or a target's worker that cannot be asked or fails; 4 unknown: the time or memory limit ran out\n"
        "before the check decided.");
}

namespace {

/// Prints a check's result (check_result_json's fields) as asked and returns its exit code.
ExitCode print_result(const CheckHistoryOptions& o, const json& result, const CheckOptions& options) {
    if (o.json) {
        fmt::print("{}\n", result.dump(2));
    } else {
        fmt::print("{}", result_text(Checked{result, options}));
    }
    std::fflush(stdout);
    return exit_code_of(result);
}

/// A folder of its own under the temporary folder, removed with this object.
class ScratchFolder {
public:
    ScratchFolder() {
        std::string pattern = (std::filesystem::temp_directory_path() / "threadmill-check-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr)
            throw CliError(ExitCode::internal, fmt::format("cannot make a folder like {}: {}", pattern, std::strerror(errno)));
        m_path = pattern;
    }
    ~ScratchFolder() {
        std::error_code ec;
        std::filesystem::remove_all(m_path, ec);
    }
    ScratchFolder(const ScratchFolder&) = delete;
    ScratchFolder& operator=(const ScratchFolder&) = delete;
    const std::filesystem::path& path() const { return m_path; }

private:
    std::filesystem::path m_path;
};

/// Checks the history against `target`'s own model, in its plain worker `worker`.
ExitCode check_in_worker(const CheckHistoryOptions& o, const std::string& worker, const TargetInfo& target,
                         const CheckOptions& options, const std::string& shown) {
    if (!o.initial.empty())
        throw CliError(ExitCode::usage, fmt::format("--initial applies to --model register only, not {}", target.model));
    ScratchFolder scratch;
    std::filesystem::path file = o.file;
    if (o.file == "-") {  // the worker reads a file: stdin is copied into one
        file = scratch.path() / "stdin.jsonl";
        std::ofstream out(file, std::ios::binary);
        out << std::cin.rdbuf();
        if (!out) throw CliError(ExitCode::internal, fmt::format("cannot write {}", file.string()));
    } else {
        std::error_code ec;
        if (std::filesystem::is_directory(file, ec))
            throw CliError(ExitCode::usage, fmt::format("{} is a folder, not a history", o.file));
        if (!std::ifstream(file)) throw CliError(ExitCode::usage, fmt::format("cannot read {}: {}", o.file, std::strerror(errno)));
        file = std::filesystem::absolute(file);
    }
    ModelWorkerRequest request;
    request.worker = worker;
    request.target = target.name;
    request.history = file;
    request.shown = shown;
    request.time_limit = options.time_limit;
    request.diagnosis_time_limit = options.diagnosis_time_limit;
    request.memory_limit_mib = static_cast<std::size_t>(o.memory_limit_mib);
    request.scratch = scratch.path();
    const ModelWorkerAnswer answer = run_model_worker(request);
    switch (answer.status) {
        case ModelWorkerAnswer::Status::checked: break;
        case ModelWorkerAnswer::Status::rejected: fmt::print(stderr, "{}\n", answer.message); return ExitCode::usage;
        case ModelWorkerAnswer::Status::failed:
            throw CliError(ExitCode::internal, fmt::format("the model of target '{}' could not check {}: {}", target.name,
                                                           shown, answer.message));
    }
    try {
        return print_result(o, answer.result, options);
    } catch (const json::exception& e) {
        throw CliError(ExitCode::internal, fmt::format("{} --check-history answered a malformed result ({})", worker, e.what()));
    }
}

}  // namespace

ExitCode run_check_history(const CheckHistoryOptions& o, const GlobalOptions& global) {
    if (o.list_models || o.model == "help") {
        fmt::print("{}", models_help());
        return ExitCode::ok;
    }
    if (!o.worker.empty() && o.target.empty())
        throw CliError(ExitCode::usage, "--worker names the worker holding --target: give --target too");
    CheckHistoryOptions chosen = o;
    if (!o.target.empty()) {
        // The target's model: its own (checked by its plain worker, the only place its code is), or
        // the built-in one it declares; --model may name a built-in model instead.
        const std::string worker = o.worker.empty() ? worker_path(resolve_worker_dir(global), "plain") : o.worker;
        Catalog catalog;
        try {
            catalog = describe_worker(worker);
        } catch (const std::exception& e) {
            throw CliError(ExitCode::internal, e.what());
        }
        const TargetInfo* target = catalog.find(o.target);
        if (target == nullptr) {
            std::vector<std::string> names;
            for (const auto& t : catalog.targets) names.push_back(t.name);
            throw CliError(ExitCode::usage, fmt::format("--target: {} holds no target '{}'{} (it has: {})", worker, o.target,
                                                        did_you_mean(o.target, names), joined(names)));
        }
        if (chosen.model.empty()) chosen.model = target->model;
        if (chosen.model.empty())
            throw CliError(ExitCode::usage,
                           fmt::format("target '{}' declares no model: name one with --model ({})", o.target, joined(model_names())));
        if (target->own_model && chosen.model == target->model) {
            const CheckOptions options = check_options(o);
            if (o.file.empty()) throw CliError(ExitCode::usage, "no history file given (FILE, or '-' for stdin)");
            return check_in_worker(o, worker, *target, options, o.file == "-" ? "<stdin>" : o.file);
        }
    }
    const auto model = chosen_model(chosen);
    const CheckOptions options = check_options(o);
    if (o.file.empty()) throw CliError(ExitCode::usage, "no history file given (FILE, or '-' for stdin)");
    const std::string shown = o.file == "-" ? "<stdin>" : o.file;

    History history;
    try {
        history = read_history(o.file, shown);
        check_ops_fit(history, *model);
    } catch (const HistoryParseError& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return ExitCode::usage;
    } catch (const ModelError& e) {
        fmt::print(stderr, "{}:{}: error: {}\n", shown, history[e.op_index()].source_line, e.what());
        return ExitCode::usage;
    }

    const auto start = std::chrono::steady_clock::now();
    const LinResult result = check_linearizability(history, *model, options);
    return print_result(o, check_result_json(shown, history, *model, result, std::chrono::steady_clock::now() - start),
                        options);
}

}  // namespace threadmill::cli
