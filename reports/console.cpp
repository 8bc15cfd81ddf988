// The console reporter: one line per job with its outcome as it ends; the details of the jobs that
// need a person (or of every job with -v); the summary and the replay lines of the misses.
#include "reports/console.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "model/scenario.hpp"
#include "model/bugs.hpp"
#include "model/outcome.hpp"
#include "model/text.hpp"
#include "model/units.hpp"
#include "reports/report_text.hpp"

namespace threadmill {
namespace {

constexpr const char* k_red = "\033[31m";
constexpr const char* k_green = "\033[32m";
constexpr const char* k_yellow = "\033[33m";
constexpr const char* k_bold = "\033[1m";
constexpr const char* k_dim = "\033[2m";

/// The colour of an outcome, by what its row says it means.
const char* outcome_colour(Outcome o) { return info(o).colour == "green" ? k_green : k_red; }

/// An invariant the job exercised: checked at least once, or violated. The worker lists only the
/// invariants the scenario selects (`[check] invariants`); one never checked (the job ended
/// before its first checkpoint) says nothing and is left out.
bool exercised(const InvariantResult& inv) { return inv.checks > 0 || inv.violations > 0 || !inv.held; }

std::string frame_text(const Frame& f, const std::string& root) {
    return fmt::format("#{} {} {}", f.index, f.function.empty() ? "??" : f.function, frame_location(f, root));
}

/// User frames in full; the harness, standard library and runtime folded into a count.
/// Blocks other than accesses (thread creation, ...) with no user frame print their title only.
void print_stack(std::FILE* out, const StackBlock& b, const std::string& indent, bool is_access,
                 const std::string& root) {
    bool any_user = false;
    for (const auto& f : b.frames) any_user |= f.user;
    if (!is_access && !any_user) {
        fmt::print(out, "{}{}{}\n", indent, b.title,
                   b.frames.empty() ? "" : fmt::format(" ({} frames, none in the code under test)", b.frames.size()));
        return;
    }
    fmt::print(out, "{}{}\n", indent, b.title);
    int folded = 0;
    int shown = 0;
    for (const auto& f : b.frames) {
        const bool show = any_user ? f.user : shown < 3;
        if (!show || shown >= 4) {
            ++folded;
            continue;
        }
        fmt::print(out, "{}  {}\n", indent, frame_text(f, root));
        ++shown;
    }
    if (folded > 0) fmt::print(out, "{}  (+{} frame{} in the harness, the standard library or the runtime)\n", indent,
                               folded, folded == 1 ? "" : "s");
}

/// A grade as the outcome table prints it: a forbidden result seen is in capitals and red.
std::string grade_text(const GradedOutcome& o) {
    switch (o.grade) {
        case OutcomeGrade::acceptable:
        case OutcomeGrade::interesting: return std::string(to_string(o.grade));
        case OutcomeGrade::forbidden: return o.count > 0 ? "FORBIDDEN" : std::string(to_string(o.grade));
    }
    return "?";
}

const char* grade_colour(const GradedOutcome& o) {
    switch (o.grade) {
        case OutcomeGrade::acceptable: return k_green;
        case OutcomeGrade::interesting: return k_yellow;
        case OutcomeGrade::forbidden: return o.count > 0 ? k_red : k_dim;
    }
    return k_dim;
}

/// "ns::Cache::set(unsigned long, int) const" -> "ns::Cache::set": a function named on one line.
std::string without_parameters(std::string_view fn) {
    int depth = 0;
    for (std::size_t i = 0; i < fn.size(); ++i) {
        if (fn[i] == '<') ++depth;
        if (fn[i] == '>') --depth;
        if (fn[i] == '(' && depth == 0 && !fn.substr(0, i).ends_with("operator")) return std::string(fn.substr(0, i));
    }
    return std::string(fn);
}

}  // namespace

std::string format_clock(double seconds) {
    const auto total = static_cast<long long>(seconds < 0 ? 0 : seconds + 0.5);
    const long long h = total / 3600, m = total / 60 % 60, sec = total % 60;
    return h > 0 ? fmt::format("{}:{:02}:{:02}", h, m, sec) : fmt::format("{}:{:02}", m, sec);
}

std::string group_thousands(std::uint64_t n) {
    std::string digits = std::to_string(n);
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return out;
}

ConsoleReporter::ConsoleReporter(std::FILE* out, std::string source_root, bool verbose)
    : m_out(out),
      m_source_root(std::move(source_root)),
      m_verbose(verbose),
      m_tty(::isatty(::fileno(out)) != 0),
      m_color(m_tty && std::getenv("NO_COLOR") == nullptr) {}

std::string ConsoleReporter::paint(const std::string& text, const char* ansi) const {
    return m_color ? fmt::format("{}{}\033[0m", ansi, text) : text;
}

void ConsoleReporter::run_started(const RunContext& c, int planned) {
    m_start = std::chrono::steady_clock::now();
    m_done = 0;
    m_missed = 0;
    m_bugs.clear();
    m_group = Group{};
    fmt::print(m_out, "threadmill {} · {} job{} · {} · {} CPUs\n", c.tool_version, planned, planned == 1 ? "" : "s",
               c.host, c.cpu_count);
    std::fflush(m_out);
}

std::string ConsoleReporter::status_line(const std::string& running) const {
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count();
    return fmt::format("{} elapsed{}{}", format_clock(elapsed),
                       m_done > 0 ? fmt::format(" · ETA {}", format_clock(elapsed / m_done * m_planned_left)) : "",
                       m_missed > 0 ? " · " + paint(fmt::format("{} missed", m_missed), k_red) : "") +
           (running.empty() ? "" : " · " + running);
}

void ConsoleReporter::job_started(int index, int planned, const std::string& what) {
    if (!m_tty) return;
    m_planned_left = planned - m_done;
    fmt::print(m_out, "\r\033[K{} {}", paint(fmt::format("[{}/{}]", index, planned), k_bold), status_line(what));
    std::fflush(m_out);
    m_status_shown = true;
}

void ConsoleReporter::print_tables(const JobResult& r) {
    if (r.measurement) {
        const auto& m = *r.measurement;
        fmt::print(m_out, "  {:<18} {:>12} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}\n", "op", "count", "p50", "p90", "p99",
                   "p99.9", "max", "ops/s");
        for (const auto& op : m.ops) {
            fmt::print(m_out, "  {:<18} {:>12} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}\n", op.name, group_thousands(op.count),
                       format_duration(Nanos(op.p50)), format_duration(Nanos(op.p90)), format_duration(Nanos(op.p99)),
                       format_duration(Nanos(op.p999)), format_duration(Nanos(op.max)), format_count_rate(op.throughput));
        }
        fmt::print(m_out, "  {:<18} {:>12} {:>59}   {} thread{}, {:.3f}s{}{}\n", "total", group_thousands(m.total_ops),
                   format_count_rate(m.throughput), m.threads, m.threads == 1 ? "" : "s", m.wall_seconds,
                   m.rounds > 0 ? fmt::format(", {} rounds", m.rounds) : "",
                   m.faults_injected > 0 ? fmt::format(", {} faults injected", group_thousands(m.faults_injected)) : "");
        if (std::any_of(m.invariants.begin(), m.invariants.end(), exercised)) fmt::print(m_out, "  invariants\n");
        for (const auto& inv : m.invariants) {
            if (!exercised(inv)) continue;
            if (inv.held) {
                fmt::print(m_out, "    {}  {:<28} {} check{}\n", paint("held  ", k_green), inv.name, inv.checks,
                           inv.checks == 1 ? "" : "s");
            } else {
                fmt::print(m_out, "    {}  {:<28} {} violation{}\n", paint("BROKEN", k_red), inv.name, inv.violations,
                           inv.violations == 1 ? "" : "s");
                for (const auto& d : inv.details) fmt::print(m_out, "              {}\n", d);
            }
        }
    }
    if (r.linearizability) {
        const auto& l = *r.linearizability;
        const bool failed = l.verdict == "not linearizable";
        const bool held = l.verdict == "linearizable";
        fmt::print(m_out, "  history: {} operations against model {}: {}{}{}\n", group_thousands(l.ops), l.model,
                   paint(held ? l.verdict : to_upper(l.verdict), held ? k_green : failed ? k_red : k_yellow),
                   l.verdict == "unknown" ? fmt::format(" (the {} ran out; neither a pass nor a catch)", l.unknown_reason)
                                          : "",
                   r.measurement && r.measurement->history && r.measurement->history->cut
                       ? fmt::format(" (cut at {:.3f}s by history_limit)", r.measurement->history->cut_at_seconds)
                       : "");
    }
    print_outcomes(r);
}

void ConsoleReporter::print_outcomes(const JobResult& r) {
    if (r.outcomes.empty()) return;
    std::size_t width = 6;
    for (const auto& o : r.outcomes) width = std::max(width, o.result.size());
    fmt::print(m_out, "  outcomes{}\n", r.measurement ? fmt::format(" of {} lockstep rounds", group_thousands(r.measurement->rounds)) : "");
    fmt::print(m_out, "    {:<{}}  {:>12}  {:>7}  {:<11}  {}\n", "result", width, "count", "freq", "grade", "description");
    for (const auto& o : r.outcomes) {
        // Padded before painting, so colour codes do not shift the columns.
        const std::string grade = fmt::format("{:<11}", grade_text(o));
        const bool seen_forbidden = o.grade == OutcomeGrade::forbidden && o.count > 0;
        fmt::print(m_out, "  {} {:<{}}  {:>12}  {:>7}  {}  {}\n", seen_forbidden ? paint("!", k_red) : " ", o.result, width,
                   group_thousands(o.count), format_percent(o.frequency), paint(grade, grade_colour(o)), o.desc);
    }
}

void ConsoleReporter::print_detections(const JobResult& r) {
    int listed = 0;
    int unlisted = 0;
    for (const auto& d : r.detections) {
        if (d.mechanism.starts_with("invariant:")) continue;  // shown above
        if (listed++ >= 8) {
            ++unlisted;
            continue;
        }
        fmt::print(m_out, "  {} {}\n", paint(d.mechanism, k_yellow), d.detail);
    }
    if (unlisted > 0) fmt::print(m_out, "  (+{} more; every detection is in results.jsonl)\n", unlisted);
}

void ConsoleReporter::print_detection_timing(const JobResult& r) {
    if (r.detections.empty()) return;
    std::string line = r.first_detection ? "first detection: " + first_detection_text(r) : "first detection: not timed";
    if (r.ops_run) line += fmt::format("; {} ops run", group_thousands(*r.ops_run));
    if (const auto rate = r.detections_per_million_ops())
        line += fmt::format(", {} detection events ({:.3g} per million ops)", group_thousands(r.detection_events), *rate);
    fmt::print(m_out, "  {}\n", line);
}

void ConsoleReporter::print_rates(const RunSummary& s) {
    if (!has_repeated_jobs(s)) return;
    // A long run lists only what the statistics have something to say about: mutants not caught
    // in every job and safe variants flagged in any; the rest are counted.
    std::vector<const DetectionRate*> shown;
    int quiet = 0;
    for (const auto& d : s.detection_rates) {
        if (d.jobs < 2) continue;
        if (s.detection_rates.size() <= k_max_rates_listed || d.notable()) shown.push_back(&d);
        else ++quiet;
    }
    fmt::print(m_out, "detection rates ({:.0f}% Wilson intervals; runs for a {:.0f}% chance of a detection):\n",
               k_detection_confidence * 100, k_detection_goal * 100);
    for (const DetectionRate* d : shown) {
        const bool safe = d->safe();
        std::vector<std::string> parts{fmt::format("{} {}", safe ? "flagged" : "detected", rate_text(*d))};
        if (d->zero_bound) parts.push_back("rate " + rate_bound_text(*d));
        if (const auto goal = rate_goal_text(*d); !goal.empty() && !(safe && d->detected == 0)) parts.push_back(goal);
        if (const auto first = rate_first_text(*d); !first.empty()) parts.push_back("first detection " + first);
        fmt::print(m_out, "  {} · {} · {}: {}\n", d->scenario, d->variant, d->flavor, fmt::join(parts, "; "));
    }
    if (quiet > 0)
        fmt::print(m_out, "  ({} more: mutants caught in every job, safe variants never flagged; every rate is in the JSON and HTML reports)\n",
                   quiet);
}

void ConsoleReporter::print_findings(const JobResult& r, bool only_new) {
    std::vector<std::string> shown;
    int folded_findings = 0;
    for (const auto& f : r.findings) {
        std::string key = bug_key(f);  // one bug: the same kind family at the same user location
        if (std::find(shown.begin(), shown.end(), key) != shown.end()) continue;
        const bool seen = std::find(m_bugs.begin(), m_bugs.end(), key) != m_bugs.end();
        if (!seen) m_bugs.push_back(key);
        if (only_new && seen) continue;
        shown.push_back(std::move(key));
        const std::string where =
            f.user_frame ? fmt::format("{} at {}", f.kind_name, frame_where(*f.user_frame, m_source_root)) : f.summary;
        if (only_new) {
            // A new bug in a job that did what was expected: its place, not its stacks.
            std::string place = f.summary;
            if (f.user_frame) {
                Frame frame = *f.user_frame;
                frame.function = without_parameters(frame.function);
                place = fmt::format("{} at {}", f.kind_name, frame_where(frame, m_source_root));
            }
            m_group.new_bugs.push_back(fmt::format("  {} {}: {} [{}]", paint("new bug", k_yellow), f.tool, place, r.variant));
            continue;
        }
        if (shown.size() > 3) {
            ++folded_findings;
            continue;
        }
        fmt::print(m_out, "  {} {}: {} [{} · {} · {} · seed {}]{}\n", paint("FINDING", k_red), f.tool, f.kind_name,
                   r.scenario, r.variant, r.flavor, r.seed, f.truncated ? " (report cut short)" : "");
        for (const auto& a : f.accesses) print_stack(m_out, a.stack, "    ", true, m_source_root);
        for (const auto& b : f.blocks) print_stack(m_out, b, "    ", false, m_source_root);
        const bool location_shown = std::any_of(f.blocks.begin(), f.blocks.end(),
                                                [&](const StackBlock& b) { return b.title == f.location; });
        if (!f.location.empty() && !location_shown) fmt::print(m_out, "    {}\n", f.location);
        fmt::print(m_out, "    SUMMARY: {}\n", where);
    }
    if (folded_findings > 0)
        fmt::print(m_out, "  (+{} more distinct finding{} with stacks in results.jsonl)\n", folded_findings,
                   folded_findings == 1 ? "" : "s");
    if (!only_new && r.findings_dropped > 0)
        fmt::print(m_out, "  ({} more sanitizer reports not kept)\n", r.findings_dropped);
}

void ConsoleReporter::print_process(const JobResult& r) {
    // Each thread that was in the code under test at the timeout, with its user frames; the others are counted.
    int without_user = 0;
    bool header = false;
    for (const auto& t : r.hang_stacks) {
        if (first_user_frame(t) == nullptr) {
            ++without_user;
            continue;
        }
        if (!header) fmt::print(m_out, "  threads in the code under test at the timeout (gdb):\n");
        header = true;
        print_stack(m_out, StackBlock{hang_thread_title(t), t.frames}, "    ", false, m_source_root);
    }
    if (header && without_user > 0)
        fmt::print(m_out, "    (+{} thread{} in the harness, the standard library or the runtime only)\n", without_user,
                   without_user == 1 ? "" : "s");
    if (!r.backtraces.empty()) {
        fmt::print(m_out, "  backtraces at the timeout: {}\n",
                   r.backtraces.starts_with("(") ? r.backtraces : "see backtraces.txt in the job's folder");
    }
    if (!r.last_activity.empty() || (!r.measurement && !r.worker_log.empty() && r.findings.empty())) {
        if (!r.worker_log.empty()) {
            fmt::print(m_out, "  worker output (tail):\n");
            std::size_t start = 0;
            while (start < r.worker_log.size()) {
                auto end = r.worker_log.find('\n', start);
                if (end == std::string::npos) end = r.worker_log.size();
                fmt::print(m_out, "    | {}\n", std::string_view(r.worker_log).substr(start, end - start));
                start = end + 1;
            }
        }
    }
}

void ConsoleReporter::flush_group() {
    if (m_group.parts.empty()) return;
    const std::string range = m_group.first == m_group.last ? fmt::format("[{}/{}]", m_group.first, m_group.planned)
                                                            : fmt::format("[{}-{}/{}]", m_group.first, m_group.last, m_group.planned);
    fmt::print(m_out, "{} {} · {:.2f}s · {}\n", paint(range, k_dim), m_group.what, m_group.elapsed, fmt::join(m_group.parts, " · "));
    for (const auto& line : m_group.new_bugs) fmt::print(m_out, "{}\n", line);
    m_group = Group{};
}

void ConsoleReporter::job_finished(const JobResult& r, int planned) {
    if (m_status_shown) fmt::print(m_out, "\r\033[K");
    m_status_shown = false;
    ++m_done;
    const Outcome outcome = outcome_of(r);
    const OutcomeInfo& word = info(outcome);
    if (word.fails_gate) ++m_missed;
    const std::string reason = outcome_reason(r);
    const std::string repeat = r.repeat > 0 ? fmt::format(" #{}", r.repeat + 1) : "";
    if (!m_verbose && !word.fails_gate) {
        // A job that did what was expected joins its group's line.
        const std::string key = fmt::format("{}\n{}\n{}\n{}", r.scenario, r.flavor, r.seed, r.repeat);
        if (key != m_group.key) {
            flush_group();
            m_group.key = key;
            m_group.what = fmt::format("{} · {} · seed {}{}", paint(r.scenario, k_bold), r.flavor, r.seed, repeat);
            m_group.first = r.index;
        }
        m_group.last = r.index;
        m_group.planned = planned;
        m_group.elapsed += r.elapsed_seconds;
        const std::string when = r.detections.empty() ? "" : first_detection_when(r);
        m_group.parts.push_back(fmt::format("{} {}{}{}", r.variant, paint(std::string(word.label), outcome_colour(outcome)),
                                            reason.empty()           ? ""
                                            : reason.starts_with("by ") ? " " + reason
                                                                        : ", " + reason,
                                            when.empty() ? "" : " " + when));
        print_findings(r, true);  // a distinct bug not seen earlier in the run: one line
        for (const auto& o : r.outcomes) {
            if (o.grade != OutcomeGrade::interesting || o.count == 0) continue;
            m_group.new_bugs.push_back(fmt::format("  {} '{}' in {} of {} rounds{}{} [{}]", paint("interesting", k_yellow),
                                                   o.result, group_thousands(o.count),
                                                   r.measurement ? group_thousands(r.measurement->rounds) : "?",
                                                   o.desc.empty() ? "" : ": ", o.desc, r.variant));
        }
        std::fflush(m_out);
        return;
    }
    flush_group();
    fmt::print(m_out, "\n{} {} · {} · {} · seed {}{} · {} · {:.2f}s{}\n", paint(fmt::format("[{}/{}]", r.index, planned), k_dim),
               paint(r.scenario, k_bold), r.variant, r.flavor, r.seed, repeat,
               paint(std::string(word.label), outcome_colour(outcome)), r.elapsed_seconds,
               reason.empty() || word.fails_gate ? "" : " · " + reason);
    print_tables(r);
    print_detections(r);
    print_detection_timing(r);
    print_findings(r, false);
    print_process(r);
    if (word.fails_gate) fmt::print(m_out, "  {}: {}\n", paint(std::string(word.word), k_red), reason);
    if (const auto confirmed = confirmation_text(r); !confirmed.empty()) fmt::print(m_out, "  {}\n", confirmed);
    std::fflush(m_out);
}

void ConsoleReporter::run_finished(const std::vector<JobResult>& results, const RunSummary& s) {
    flush_group();
    fmt::print(m_out, "\n{}", paint("threadmill: ", k_bold));
    if (s.interrupted) fmt::print(m_out, "{} ", paint(fmt::format("interrupted after {} of {} jobs;", s.ran, s.planned), k_red));
    if (s.incomplete) fmt::print(m_out, "{} ", paint(incomplete_run_text(s) + ";", k_red));
    std::vector<std::string> counts;
    for (const auto& o : all_outcomes()) {
        const int n = s.count(o.outcome);
        const std::string text = fmt::format("{} {}", n, o.label);
        counts.push_back(n > 0 ? paint(text, outcome_colour(o.outcome)) : text);
    }
    const int misses = s.count(Outcome::missed) + s.count(Outcome::unexpected) + s.count(Outcome::error);
    fmt::print(m_out, "{} job{} in {:.1f}s: {}\n", s.ran, s.ran == 1 ? "" : "s", s.elapsed_seconds, fmt::join(counts, ", "));
    fmt::print(m_out, "{}\n", misses == 0 ? paint("every job did what its scenario expects", k_green)
                                            : paint(fmt::format("{} job{} need{} a look", misses, misses == 1 ? "" : "s",
                                                                misses == 1 ? "s" : ""),
                                                    k_red));
    if (s.findings > 0) {
        fmt::print(m_out, "sanitizer findings: {} report{}, {} distinct bug{}\n", s.findings, s.findings == 1 ? "" : "s",
                   s.distinct_bugs, s.distinct_bugs == 1 ? "" : "s");
    }
    for (const auto& u : s.suppressions) {
        fmt::print(m_out, "suppression {} {} matched {} time{}\n", u.tool, u.pattern, u.count, u.count == 1 ? "" : "s");
    }
    for (const auto& line : stale_suppression_lines(s, m_source_root)) fmt::print(m_out, "{}\n", paint(line, k_yellow));
    print_rates(s);
    bool header = false;
    for (const auto& r : results) {
        if (!is_miss(r)) continue;
        if (!header) fmt::print(m_out, "replay the jobs that need a look:\n");
        header = true;
        const Outcome o = outcome_of(r);
        const auto confirmed = confirmation_text(r);
        fmt::print(m_out, "  {}   # {}{}\n", r.replay, paint(std::string(info(o).word), outcome_colour(o)),
                   confirmed.empty() ? "" : "; " + confirmed);
    }
    if (!s.unrecorded.empty()) fmt::print(m_out, "{}\n", paint(unrecorded_text(s), k_red));
    if (!s.results_path.empty()) fmt::print(m_out, "results: {}\n", s.results_path);
    std::fflush(m_out);
}

}  // namespace threadmill
