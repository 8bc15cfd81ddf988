// The SARIF 2.1.0 report: the run's distinct sanitizer bugs, for code scanning.
#include "reports/sarif.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "model/bugs.hpp"
#include "model/outcome.hpp"
#include "model/finding_kinds.hpp"

namespace threadmill {
namespace {

using Json = nlohmann::ordered_json;

constexpr std::string_view k_schema_uri =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
constexpr std::string_view k_source_root_id = "SRCROOT";

/// What a rule says about a kind of finding (its row of model/finding_kinds.def, filled in).
struct RuleText {
    std::string short_description;
    std::string help;
    std::string level;     ///< SARIF level: error or warning
    std::string category;  ///< a tag: concurrency, memory, undefined-behavior, sanitizer
};

RuleText rule_text(const Finding& f) {
    const FindingKindInfo& row = info(f.kind);
    return {fill_in(row.short_description, f.kind_name, f.check), fill_in(row.help, f.kind_name, f.check),
            std::string(row.level), std::string(row.category)};
}

/// `text` as a URI path: every byte but unreserved characters, sub-delimiters, '@' and '/'
/// percent-encoded (':' too, so a relative path never reads as a scheme).
std::string uri_escape(std::string_view text) {
    static constexpr std::string_view k_kept = "-._~!$&'()*+,;=@/";
    std::string out;
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if ((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') ||
            k_kept.find(c) != std::string_view::npos) {
            out += c;
        } else {
            out += fmt::format("%{:02X}", u);
        }
    }
    return out;
}

Json artifact_location(const std::string& file, const std::string& source_root) {
    const std::string relative = source_relative(file, source_root);
    if (!source_root.empty() && relative != file)
        return Json{{"uri", uri_escape(relative)}, {"uriBaseId", k_source_root_id}};
    if (file.starts_with('/')) return Json{{"uri", "file://" + uri_escape(file)}};
    return Json{{"uri", uri_escape(file)}};  // a relative path from the build (../src/libsanitizer/...)
}

/// A SARIF location for a stack frame: its file and line, and its function as a logical location.
Json location_of(const Frame& frame, const std::string& source_root, const std::string& message = "") {
    Json location = Json::object();
    if (!frame.file.empty()) {
        Json physical{{"artifactLocation", artifact_location(frame.file, source_root)}};
        if (frame.line > 0) {
            physical["region"] = Json{{"startLine", frame.line}};
            if (frame.column > 0) physical["region"]["startColumn"] = frame.column;
        }
        location["physicalLocation"] = std::move(physical);
    }
    if (!frame.function.empty()) location["logicalLocations"] = Json::array({{{"name", frame.function}, {"kind", "function"}}});
    if (!message.empty()) location["message"] = Json{{"text", message}};
    return location;
}

/// The finding's location: its first user frame, else the first frame with a source file.
const Frame* primary_frame(const Finding& f) {
    if (f.user_frame) return &*f.user_frame;
    for (const auto& a : f.accesses) {
        for (const auto& fr : a.stack.frames) {
            if (!fr.file.empty()) return &fr;
        }
    }
    for (const auto& b : f.blocks) {
        for (const auto& fr : b.frames) {
            if (!fr.file.empty()) return &fr;
        }
    }
    return nullptr;
}

/// `title` without its addresses (" at 0x7b04...", " on address 0x...", " 0x...") and thread ids
/// (" (tid=123, running)"): they differ from run to run. A plain scan, not <regex>: GCC 12 warns
/// inside libstdc++'s regex compiler under -fsanitize=address.
std::string without_addresses(std::string_view title) {
    const auto hex = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; };
    const auto digit = [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; };
    std::string out;
    std::size_t i = 0;
    while (i < title.size()) {
        const std::string_view rest = title.substr(i);
        std::size_t skip = 0;
        for (const std::string_view prefix : {" at 0x", " on address 0x", " 0x"}) {
            if (rest.starts_with(prefix) && rest.size() > prefix.size() && hex(rest[prefix.size()])) {
                skip = prefix.size();
                while (skip < rest.size() && hex(rest[skip])) ++skip;
                break;
            }
        }
        if (skip == 0 && rest.starts_with(" (tid=") && rest.size() > 6 && digit(rest[6])) {
            if (const auto close = rest.find(')'); close != std::string_view::npos) skip = close + 1;
        }
        if (skip == 0) out += title[i++];
        i += skip;
    }
    return out;
}

/// A stack title without addresses, thread ids or the trailing "here:".
std::string clean_title(const std::string& raw) {
    std::string title = without_addresses(raw);
    while (!title.empty() && (title.back() == ':' || title.back() == ' ')) title.pop_back();
    if (title.ends_with(" here")) title.resize(title.size() - 5);
    return title;
}

std::string thread_label(const std::string& thread) {
    if (thread.size() > 1 && thread[0] == 'T' && std::isdigit(static_cast<unsigned char>(thread[1])))
        return "thread " + thread;
    return thread.empty() ? std::string("an unknown thread") : thread;
}

/// "read of size 8 by thread T1 'reader' holding M12".
std::string describe(const Access& a) {
    std::string text = a.kind.empty() ? "access" : a.kind;
    if (a.atomic) text = "atomic " + text;
    if (a.size > 0) text += fmt::format(" of size {}", a.size);
    text += " by " + thread_label(a.thread);
    if (!a.thread_name.empty()) text += fmt::format(" '{}'", a.thread_name);
    if (!a.mutexes.empty()) text += fmt::format(" holding {}", fmt::join(a.mutexes, ", "));
    return text;
}

/// The frames a thread flow shows for one stack, oldest call first: the user frames, or the
/// first frames when none is the user's.
std::vector<const Frame*> flow_frames(const StackBlock& stack) {
    std::vector<const Frame*> frames;
    for (const auto& fr : stack.frames) {
        if (fr.user) frames.push_back(&fr);
    }
    if (frames.empty()) {
        for (std::size_t k = 0; k < std::min<std::size_t>(3, stack.frames.size()); ++k) frames.push_back(&stack.frames[k]);
    }
    std::reverse(frames.begin(), frames.end());
    return frames;
}

/// Appends one thread flow location per frame of `stack`; the last (where the thread was) gets
/// `message` and `kind`.
void append_steps(Json& locations, const StackBlock& stack, const std::string& source_root, const std::string& message,
                  const std::string& kind) {
    const auto frames = flow_frames(stack);
    for (std::size_t k = 0; k < frames.size(); ++k) {
        const bool last = k + 1 == frames.size();
        Json step{{"location", location_of(*frames[k], source_root, last ? message : "")}};
        if (frames[k]->file.empty() && !frames[k]->module.empty()) step["module"] = frames[k]->module;
        if (last) step["kinds"] = Json::array({kind});
        locations.push_back(std::move(step));
    }
}

Json race_flows(const Finding& f, const std::string& source_root) {
    Json flows = Json::array();
    for (std::size_t i = 0; i < f.accesses.size(); ++i) {
        const Access& a = f.accesses[i];
        Json locations = Json::array();
        append_steps(locations, a.stack, source_root, describe(a), "memory");
        if (locations.empty()) continue;  // a report cut short before this stack
        flows.push_back(Json{{"id", a.thread.empty() ? fmt::format("thread {}", i + 1) : a.thread},
                             {"message", {{"text", describe(a)}}},
                             {"locations", std::move(locations)}});
    }
    return flows;
}

/// One thread flow per thread of the cycle: where it took a mutex ("previously acquired by the
/// same thread"), then where it took the next one while holding it.
Json lock_cycle_flows(const Finding& f, const std::string& source_root) {
    struct Flow {
        std::string thread;
        std::vector<const StackBlock*> steps;
    };
    std::vector<Flow> cycle;
    for (const auto& b : f.blocks) {
        // "Mutex M1 acquired here while holding mutex M0 in thread T1:" (or "in main thread:")
        const auto in = b.title.rfind(" in ");
        if (b.title.find(" while holding ") != std::string::npos && in != std::string::npos) {
            std::string thread = b.title.substr(in + 4);
            while (!thread.empty() && (thread.back() == ':' || thread.back() == ' ')) thread.pop_back();
            if (thread.starts_with("thread ")) thread.erase(0, 7);
            cycle.push_back({thread, {&b}});
        } else if (b.title.find("by the same thread") != std::string::npos && !cycle.empty()) {
            cycle.back().steps.insert(cycle.back().steps.begin(), &b);
        }
    }
    Json flows = Json::array();
    for (std::size_t i = 0; i < cycle.size(); ++i) {
        Json locations = Json::array();
        for (const StackBlock* step : cycle[i].steps) append_steps(locations, *step, source_root, clean_title(step->title), "acquire");
        if (locations.empty()) continue;
        const std::string id = cycle[i].thread.empty() ? fmt::format("thread {}", i + 1) : cycle[i].thread;
        flows.push_back(Json{{"id", id},
                             {"message", {{"text", fmt::format("{} takes the mutexes in this order", thread_label(id))}}},
                             {"locations", std::move(locations)}});
    }
    return flows;
}

std::string result_message(const DistinctBug& bug, const std::string& source_root) {
    const Finding& f = *bug.first;
    std::string text = fmt::format("{}: {}", f.tool, f.kind_name);
    if (f.user_frame) {
        text += fmt::format(" at {}", frame_where(*f.user_frame, source_root));
    } else if (!f.summary.empty()) {
        text += fmt::format(" ({})", f.summary);
    }
    text += ".";
    if (!f.accesses.empty()) {
        std::vector<std::string> accesses;
        for (const auto& a : f.accesses) accesses.push_back(describe(a));
        text += fmt::format(" {}: {}.", f.accesses.size() > 1 ? "Accesses" : "Access", fmt::join(accesses, "; "));
    }
    if (info(f.kind).flow == CodeFlow::lock_cycle && !f.mutexes.empty())
        text += fmt::format(" Mutexes: {}.", fmt::join(f.mutexes, ", "));
    if (bug.kinds.size() > 1) text += fmt::format(" Also reported here as {}.", fmt::join(bug.kinds.begin() + 1, bug.kinds.end(), ", "));
    text += fmt::format(" Reported {} time{} by {} job{}, first by {}", bug.reports, bug.reports == 1 ? "" : "s",
                        bug.jobs.size(), bug.jobs.size() == 1 ? "" : "s", job_title(*bug.first_job));
    text += bug.fingerprints.size() > 1 ? fmt::format(", with {} different stacks.", bug.fingerprints.size()) : ".";
    return text;
}

Json result_of(const DistinctBug& bug, int rule_index, const std::string& source_root) {
    const Finding& f = *bug.first;
    Json result{{"ruleId", f.kind_name},
                {"ruleIndex", rule_index},
                {"level", rule_text(f).level},
                {"message", {{"text", result_message(bug, source_root)}}}};
    if (const Frame* where = primary_frame(f)) result["locations"] = Json::array({location_of(*where, source_root)});

    Json flows = Json::array();
    switch (info(f.kind).flow) {
        case CodeFlow::none: break;
        case CodeFlow::accesses: flows = race_flows(f, source_root); break;
        case CodeFlow::lock_cycle: flows = lock_cycle_flows(f, source_root); break;
    }
    if (!flows.empty()) {
        std::vector<std::string> threads;
        for (const auto& flow : flows) threads.push_back(thread_label(flow["id"].get<std::string>()));
        result["codeFlows"] = Json::array(
            {{{"message", {{"text", fmt::format("{} between {}", f.kind_name, fmt::join(threads, " and "))}}},
              {"threadFlows", std::move(flows)}}});
    }

    // Where the memory was allocated or freed, where a mutex was created: each stack other than
    // thread creation that reaches the user's code (a lock cycle's stacks are its code flow).
    Json related = Json::array();
    if (info(f.kind).flow != CodeFlow::lock_cycle) {
        for (const auto& b : f.blocks) {
            if (b.title.starts_with("Thread ")) continue;
            const auto user = std::find_if(b.frames.begin(), b.frames.end(), [](const Frame& fr) { return fr.user; });
            if (user == b.frames.end()) continue;
            Json location{{"id", static_cast<int>(related.size())}};
            location.update(location_of(*user, source_root, clean_title(b.title)));
            related.push_back(std::move(location));
        }
    }
    if (!related.empty()) result["relatedLocations"] = std::move(related);

    result["partialFingerprints"] = Json{{k_sarif_fingerprint_key, bug_id(bug.key)}};
    result["occurrenceCount"] = std::max(bug.reports, 1);

    Json jobs = Json::array();
    for (const JobResult* j : bug.jobs) {
        Json job{{"scenario", j->scenario}, {"variant", j->variant}, {"flavor", j->flavor}, {"seed", j->seed}};
        if (j->repeat > 0) job["repeat"] = j->repeat + 1;
        job["outcome"] = info(outcome_of(*j)).name;
        job["replay"] = j->replay;
        jobs.push_back(std::move(job));
    }
    Json properties{{"tool", f.tool},          {"mechanism", mechanism_of(f)},       {"kinds", bug.kinds},
                    {"reports", bug.reports},  {"fingerprints", bug.fingerprints},  {"jobs", std::move(jobs)}};
    if (f.truncated) properties["truncated"] = true;
    result["properties"] = std::move(properties);
    return result;
}

Json rule_of(const Finding& f) {
    const RuleText text = rule_text(f);
    return Json{{"id", f.kind_name},
                {"shortDescription", {{"text", text.short_description}}},
                {"help", {{"text", text.help}}},
                {"defaultConfiguration", {{"level", text.level}}},
                {"properties", {{"tags", Json::array({text.category, f.tool})}, {"precision", "high"}}}};
}

constexpr std::string_view k_timeout_rule = "timeout";

Json timeout_rule() {
    return Json{{"id", k_timeout_rule},
                {"shortDescription", {{"text", "A job did not finish within its timeout (a hang, deadlock or livelock)"}}},
                {"help", {{"text", "The worker was stopped at its timeout; gdb's backtraces show where each thread was. "
                                   "The location is the first frame in the code under test of the first such thread; "
                                   "each thread flow is one thread's frames in that code."}}},
                {"defaultConfiguration", {{"level", "error"}}},
                {"properties", {{"tags", Json::array({"concurrency", "threadmill"})}, {"precision", "medium"}}}};
}

/// A timed-out job that needs a person and whose backtraces reach the code under test: located at the first
/// thread's first user frame, one thread flow per such thread. nullopt for any other job.
std::optional<Json> timeout_result(const JobResult& j, int rule_index, const std::string& source_root) {
    if (!j.timed_out || !is_miss(j)) return std::nullopt;
    const Frame* where = nullptr;
    Json flows = Json::array();
    std::vector<std::string> places;
    for (const auto& t : j.hang_stacks) {
        const Frame* first = first_user_frame(t);
        if (first == nullptr) continue;
        if (where == nullptr) where = first;
        // Like a bug's key: function and file base name, no line and no checkout path.
        const auto slash = first->file.rfind('/');
        places.push_back(fmt::format("{}@{}", bare_function_name(first->function),
                                     slash == std::string::npos ? first->file : first->file.substr(slash + 1)));
        const std::string title = hang_thread_title(t);
        Json locations = Json::array();
        append_steps(locations, StackBlock{title, t.frames}, source_root, "blocked here", "wait");
        flows.push_back(Json{{"id", title}, {"message", {{"text", title + " at the timeout"}}}, {"locations", std::move(locations)}});
    }
    if (where == nullptr) return std::nullopt;
    std::string detail;
    for (const auto& d : j.detections) {
        if (d.mechanism == "timeout") detail = d.detail;
    }
    std::sort(places.begin(), places.end());
    Json result{{"ruleId", k_timeout_rule},
                {"ruleIndex", rule_index},
                {"level", "error"},
                {"message", {{"text", fmt::format("{}: {}.", job_title(j), detail.empty() ? "timed out" : detail)}}},
                {"locations", Json::array({location_of(*where, source_root)})},
                {"codeFlows", Json::array({{{"message", {{"text", "the threads in the code under test at the timeout"}}},
                                            {"threadFlows", std::move(flows)}}})},
                {"partialFingerprints",
                 Json{{k_sarif_fingerprint_key, bug_id(fmt::format("timeout|{}", fmt::join(places, "|")))}}}};
    Json job{{"scenario", j.scenario}, {"variant", j.variant}, {"flavor", j.flavor}, {"seed", j.seed}};
    if (j.repeat > 0) job["repeat"] = j.repeat + 1;
    job["outcome"] = info(outcome_of(j)).name;
    job["replay"] = j.replay;
    result["properties"] = Json{{"mechanism", "timeout"}, {"jobs", Json::array({std::move(job)})}};
    return result;
}

Json invocation_of(const ReportInput& in) {
    const RunContext& c = in.context;
    const RunSummary& s = in.summary;
    Json invocation{{"executionSuccessful", !s.interrupted && s.error == 0}};
    if (!c.command_line.empty()) invocation["commandLine"] = c.command_line;
    if (!c.start_time.empty()) invocation["startTimeUtc"] = c.start_time;
    if (!c.host.empty()) invocation["machine"] = c.host;
    Json notifications = Json::array();
    for (const auto& j : in.jobs) {
        if (j.verdict != Verdict::error) continue;
        notifications.push_back(
            Json{{"level", "error"}, {"message", {{"text", fmt::format("{}: ERROR: {}", job_title(j), j.expectation_detail)}}}});
    }
    if (!notifications.empty()) invocation["toolExecutionNotifications"] = std::move(notifications);
    Json flavors = Json::array();
    for (const auto& [name, flags] : c.flavors) flavors.push_back(Json{{"name", name}, {"flags", flags}});
    Json properties{{"compiler", c.compiler},           {"buildType", c.build_type}, {"compilerFlags", c.compiler_flags},
                    {"flavors", std::move(flavors)},    {"seeds", c.seeds},          {"repeat", c.repeat},
                    {"jobs", s.ran},                    {"planned", s.planned},      {"expectationsMet", s.met},
                    {"expectationsMissed", s.missed},   {"interrupted", s.interrupted}};
    Json outcomes = Json::object();
    for (const auto& o : all_outcomes()) outcomes[std::string(o.name)] = s.count(o.outcome);
    properties["outcomes"] = std::move(outcomes);
    if (!c.merged_from.empty()) properties["mergedFrom"] = c.merged_from;
    if (!c.workers.empty()) {  // the builds of the code under test, one per worker executable
        Json workers = Json::array();
        for (const auto& w : c.workers) {
            Json worker{{"path", w.path}, {"flavor", w.flavor}, {"variantBuild", w.variant_build}};
            if (w.build)
                worker["build"] = Json{{"compiler", w.build->compiler}, {"compileFlags", w.build->compile_flags},
                                       {"buildType", w.build->build_type}};
            workers.push_back(std::move(worker));
        }
        properties["workers"] = std::move(workers);
    }
    invocation["properties"] = std::move(properties);
    return invocation;
}

}  // namespace

std::string render_sarif(const ReportInput& in) {
    const std::string& root = in.settings.source_root;
    const auto bugs = distinct_bugs(in.jobs);

    Json rules = Json::array();
    std::vector<std::string> rule_ids;
    Json results = Json::array();
    for (const auto& bug : bugs) {
        const Finding& f = *bug.first;
        auto at = std::find(rule_ids.begin(), rule_ids.end(), f.kind_name);
        if (at == rule_ids.end()) {
            rules.push_back(rule_of(f));
            at = rule_ids.insert(rule_ids.end(), f.kind_name);
        }
        results.push_back(result_of(bug, static_cast<int>(at - rule_ids.begin()), root));
    }
    // Hangs that need a person, at the code the blocked threads were in.
    for (const auto& j : in.jobs) {
        const auto at = std::find(rule_ids.begin(), rule_ids.end(), k_timeout_rule);
        const int index = static_cast<int>(at - rule_ids.begin());
        auto result = timeout_result(j, index, root);
        if (!result) continue;
        if (at == rule_ids.end()) {
            rules.push_back(timeout_rule());
            rule_ids.emplace_back(k_timeout_rule);
        }
        results.push_back(std::move(*result));
    }

    Json driver{{"name", "threadmill"},
                {"fullName", fmt::format("threadmill {}", in.context.tool_version)},
                {"version", in.context.tool_version},
                {"rules", std::move(rules)}};
    Json run{{"tool", {{"driver", std::move(driver)}}}, {"invocations", Json::array({invocation_of(in)})}};
    if (!root.empty()) {
        std::string base = root.ends_with('/') ? root : root + "/";
        base = root.starts_with('/') ? "file://" + uri_escape(base) : uri_escape(base);
        run["originalUriBaseIds"] = Json{{k_source_root_id, {{"uri", base}}}};
    }
    run["results"] = std::move(results);

    const Json log{{"$schema", k_schema_uri}, {"version", "2.1.0"}, {"runs", Json::array({std::move(run)})}};
    return log.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

}  // namespace threadmill
