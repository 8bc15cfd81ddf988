// `threadmill check-history`: whether a recorded history (JSON Lines) is linearizable with respect to a
// built-in model, with the failing partition diagnosed.
#include "cli/cmd_check_history.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
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

/// The ExitCode of a verdict.
ExitCode exit_code_of(LinVerdict v) {
    switch (v) {
        case LinVerdict::linearizable: return ExitCode::ok;
        case LinVerdict::not_linearizable: return ExitCode::failed;
        case LinVerdict::unknown: return ExitCode::unknown;
    }
    return ExitCode::internal;
}

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

/// Throws the ModelError of the earliest op (in the history's order) that does not fit `model`, so
/// that a misfit is reported whatever the verdict of the partitions before it.
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

std::string plural(std::size_t n, std::string_view word) { return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s"); }

std::string format_bytes(std::size_t bytes) {
    if (bytes >= (std::size_t{1} << 20)) return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1 << 20));
    if (bytes >= (std::size_t{1} << 10)) return fmt::format("{:.1f} KiB", static_cast<double>(bytes) / (1 << 10));
    return fmt::format("{} B", bytes);
}

std::string key_text(const std::optional<std::string>& key) {
    return key ? fmt::format("partition '{}'", *key) : std::string("the partition of ops without a key");
}

std::string time_text(std::int64_t t) { return t == k_never_returned ? "-" : fmt::format("{}", t); }

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

/// Where history op `op` sits in the failing partition's ops.
std::size_t position_in(const LinResult& r, std::size_t op) {
    return static_cast<std::size_t>(std::lower_bound(r.partition_ops.begin(), r.partition_ops.end(), op) -
                                    r.partition_ops.begin());
}

struct Checked {
    std::string shown;  ///< the file as named in output
    const History& history;
    const Model& model;
    const CheckOptions& options;
    const LinResult& result;
    std::chrono::nanoseconds elapsed;
};

std::string failing_partition_text(const Checked& c) {
    const LinResult& r = c.result;
    std::string text = fmt::format("{}: {}, no order of them is legal and consistent with real time\n",
                                   key_text(r.key), plural(r.partition_ops.size(), "op"));
    std::vector<std::string> leads{"  "};
    std::vector<std::vector<std::string>> rows{{"line", "process", "call", "return", "op"}};
    for (const std::size_t i : r.partition_ops) {
        const Operation& op = c.history[i];
        const bool unplaced = std::find(r.unplaced.begin(), r.unplaced.end(), i) != r.unplaced.end();
        leads.push_back(unplaced ? fmt::format("{} ", k_unplaced_mark) : "  ");
        rows.push_back({fmt::format("{}", op.source_line), fmt::format("{}", op.process), time_text(op.call),
                        time_text(op.is_info() ? k_never_returned : op.ret), c.model.describe(op)});
    }
    text += columns(leads, rows);
    if (!r.diagnosed) return text + "no diagnosis (--diagnosis-time-limit 0s)\n";

    text += r.diagnosis_complete
                ? "longest linearizable prefix"
                : "longest linearizable prefix found before the diagnosis ran out of time or memory (there may be longer)";
    if (r.longest_prefix.empty()) {
        text += fmt::format(": none, no op can come first, from the initial state {}\n", r.initial_state);
    } else {
        text += fmt::format(": {} of the {}, from the initial state {}\n", r.longest_prefix.size(),
                            plural(r.partition_ops.size(), "op"), r.initial_state);
        std::vector<std::string> prefix_leads{"  "};
        std::vector<std::vector<std::string>> prefix_rows{{"#", "line", "op", "state after"}};
        for (std::size_t k = 0; k < r.longest_prefix.size(); ++k) {
            const Operation& op = c.history[r.longest_prefix[k]];
            prefix_leads.push_back("  ");
            prefix_rows.push_back({fmt::format("{}", k + 1), fmt::format("{}", op.source_line), c.model.describe(op),
                                   r.prefix_states[k]});
        }
        // The op column is left-aligned too: pad it here, columns() aligns only the last one left.
        std::size_t op_width = 0;
        for (const auto& row : prefix_rows) op_width = std::max(op_width, row[2].size());
        for (auto& row : prefix_rows) row[2] += std::string(op_width - row[2].size(), ' ');
        text += columns(prefix_leads, prefix_rows);
    }
    if (r.unplaced.empty()) return text;
    text += fmt::format("could not be placed after it (marked {} above): one of these had to come next, and none can\n",
                        k_unplaced_mark);
    for (const std::size_t i : r.unplaced) {
        const Operation& op = c.history[i];
        text += fmt::format("  {} line {}, process {}, [{}, {}]: {}\n", k_unplaced_mark, op.source_line, op.process,
                            time_text(op.call), time_text(op.is_info() ? k_never_returned : op.ret), c.model.describe(op));
    }
    return text;
}

std::string unknown_text(const Checked& c) {
    const LinResult& r = c.result;
    std::string limit;
    std::string raise;
    switch (r.unknown_reason) {
        case UnknownReason::time_limit:
            limit = fmt::format("the time limit ({})", format_duration(c.options.time_limit));
            raise = "--time-limit";
            break;
        case UnknownReason::memory_limit:
            limit = fmt::format("the memory limit ({} per partition)", format_bytes(c.options.memory_limit_bytes));
            raise = "--memory-limit-mib";
            break;
        case UnknownReason::none: break;
    }
    std::string text = fmt::format("{} ran out in {} ({}); ", limit, key_text(r.key), plural(r.partition_ops.size(), "op"));
    if (r.partitions_decided == 0) {
        text += fmt::format("none of the {} was decided\n", plural(r.partitions, "partition"));
    } else {
        text += fmt::format("{} of the {} {} decided, and {} linearizable\n", r.partitions_decided,
                            plural(r.partitions, "partition"), r.partitions_decided == 1 ? "was" : "were",
                            r.partitions_decided == 1 ? "it is" : "each is");
    }
    return text + fmt::format("raise {} to decide it\n", raise);
}

std::string result_text(const Checked& c) {
    const LinResult& r = c.result;
    std::string text = fmt::format("{}: {} ({}: {} in {}, {} decided; {}, peak {}, {})\n", c.shown, r.verdict,
                                   c.model.name(), plural(c.history.size(), "op"), plural(r.partitions, "partition"),
                                   r.partitions_decided, plural(r.steps, "step"), format_bytes(r.peak_memory_bytes),
                                   format_duration(c.elapsed));
    switch (r.verdict) {
        case LinVerdict::linearizable: break;
        case LinVerdict::not_linearizable: text += failing_partition_text(c); break;
        case LinVerdict::unknown: text += unknown_text(c); break;
    }
    return text;
}

json op_json(const Checked& c, std::size_t i) {
    const Operation& op = c.history[i];
    return {{"line", op.source_line},
            {"process", op.process},
            {"op", op.op},
            {"key", op.key ? json(*op.key) : json(nullptr)},
            {"input", op.input},
            {"output", op.is_info() ? json(nullptr) : op.output},
            {"call", op.call},
            {"return", op.is_info() ? json(nullptr) : json(op.ret)},
            {"status", to_string(op.status)},
            {"description", c.model.describe(op)}};
}

json result_json(const Checked& c) {
    const LinResult& r = c.result;
    json j = {{"file", c.shown},
              {"model", c.model.name()},
              {"verdict", to_string(r.verdict)},
              {"unknown_reason", r.verdict == LinVerdict::unknown ? json(to_string(r.unknown_reason)) : json(nullptr)},
              {"ops", c.history.size()},
              {"partitions", r.partitions},
              {"partitions_decided", r.partitions_decided},
              {"steps", r.steps},
              {"peak_memo_entries", r.peak_memo_entries},
              {"peak_memory_bytes", r.peak_memory_bytes},
              {"elapsed_ms", std::chrono::duration<double, std::milli>(c.elapsed).count()}};
    switch (r.verdict) {
        case LinVerdict::linearizable: break;
        case LinVerdict::unknown:
            j["key"] = r.key ? json(*r.key) : json(nullptr);
            j["partition_size"] = r.partition_ops.size();
            break;
        case LinVerdict::not_linearizable: {
            j["key"] = r.key ? json(*r.key) : json(nullptr);
            json ops = json::array();
            for (const std::size_t i : r.partition_ops) ops.push_back(op_json(c, i));
            j["partition_ops"] = std::move(ops);
            j["diagnosed"] = r.diagnosed;
            j["diagnosis_complete"] = r.diagnosis_complete;
            j["initial_state"] = r.diagnosed ? json(r.initial_state) : json(nullptr);
            json prefix = json::array();
            for (std::size_t k = 0; k < r.longest_prefix.size(); ++k) {
                prefix.push_back({{"op", position_in(r, r.longest_prefix[k])},
                                  {"line", c.history[r.longest_prefix[k]].source_line},
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
    app.footer(
        "FILE holds one operation per line (JSON Lines):\n"
        "  {\"process\": 3, \"op\": \"cas\", \"key\": \"x\", \"input\": [1, 4], \"output\": true, \"call\": 120, "
        "\"return\": 135, \"status\": \"ok\"}\n"
        "process: an integer; op: an op of the model; key: optional, ops on different keys are checked apart;\n"
        "input and output: JSON as the model expects (--list-models); call and return: integers on one clock;\n"
        "status: \"ok\", or \"info\" when the outcome is unknown (it may have taken effect or not; return and\n"
        "output may then be left out). Reference and examples: docs/check-history.md.\n"
        "Exit codes: 0 linearizable; 1 not linearizable (the failing partition is printed); 2 usage error, an\n"
        "unreadable file, a malformed line or an op that does not fit the model (FILE:LINE is named); 3 internal\n"
        "error; 4 unknown: the time or memory limit ran out before the check decided.");
}

ExitCode run_check_history(const CheckHistoryOptions& o) {
    if (o.list_models || o.model == "help") {
        fmt::print("{}", models_help());
        return ExitCode::ok;
    }
    const auto model = chosen_model(o);
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
    const Checked checked{shown, history, *model, options, result, std::chrono::steady_clock::now() - start};
    if (o.json) {
        fmt::print("{}\n", result_json(checked).dump(2));
    } else {
        fmt::print("{}", result_text(checked));
    }
    std::fflush(stdout);
    return exit_code_of(result.verdict);
}

}  // namespace threadmill::cli
