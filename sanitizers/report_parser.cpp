// Sanitizer report parser: splits TSan/ASan/LSan/UBSan output into reports and assembles each into a Finding.
#include "sanitizers/parser.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/text.hpp"
#include "sanitizers/body.hpp"
#include "sanitizers/classify.hpp"
#include "sanitizers/fingerprint.hpp"
#include "sanitizers/frames.hpp"
#include "sanitizers/lines.hpp"
#include "sanitizers/report_bounds.hpp"

namespace threadmill {

using namespace sanitizers_detail;

namespace {

Finding build_finding(const std::vector<Line>& lines, std::size_t head, const Extent& ext, const Start& start,
                      const FrameFilter& filter) {
    Finding f;
    f.tool = std::string(start.tool);
    f.headline = std::string(strip_pid(trim(lines[head].text)));
    f.truncated = !ext.saw_summary && start.family != Family::ubsan && start.family != Family::fatal;

    bool main_is_access = false;
    std::string asan_rest;
    switch (start.family) {
        case Family::warning: {
            auto type = start.rest;
            if (const auto pid = type.rfind(" (pid="); pid != std::string_view::npos) type = type.substr(0, pid);
            if (f.tool == "ThreadSanitizer") {
                f.kind = tsan_kind(type);
                f.check = std::string(type);
            }
            break;
        }
        case Family::error:
            if (f.tool == "LeakSanitizer" && start.rest.starts_with("detected memory leaks")) {
                f.kind = FindingKind::memory_leak;
            } else if (auto sig = deadly_signal_name(start.rest)) {
                f.kind = FindingKind::deadly_signal;
                f.check = *sig;
                main_is_access = true;
            } else if (f.tool == "AddressSanitizer") {
                asan_rest = std::string(start.rest);  // named once the SUMMARY is known
                main_is_access = true;
            } else if (start.rest.starts_with("stack-overflow")) {
                f.kind = FindingKind::deadly_signal;
                f.check = "stack-overflow";
                main_is_access = true;
            }
            break;
        case Family::ubsan: {
            f.kind = FindingKind::undefined_behavior;
            const auto marker = f.headline.find(": runtime error: ");
            f.check = ub_check_from_message(std::string_view(f.headline).substr(marker + 17));
            break;
        }
        case Family::fatal: break;
    }

    BodyParser body(f);
    body.start_after_headline();
    for (std::size_t j = head + 1; j < ext.end; ++j) body.feed(lines[j].text);
    body.finish();

    if (!asan_rest.empty()) {
        const auto name = asan_error_name(asan_rest, f.summary);
        main_is_access = !name.empty();
        if (!name.empty()) {
            f.kind = asan_kind(name);
            f.check = name;
        }
    }
    if (body.main_stack) {
        // A memory error's or a signal's stack is the bad access; any other report's is its first block.
        if (main_is_access) {
            Access a;
            a.kind = body.signal_access;
            a.thread = headline_thread(start.rest);
            a.stack = std::move(*body.main_stack);
            f.accesses.insert(f.accesses.begin(), std::move(a));
        } else {
            f.blocks.insert(f.blocks.begin(), std::move(*body.main_stack));
        }
    }
    if (f.kind == FindingKind::undefined_behavior) {
        // SUMMARY names the check only with report_error_type=1; "undefined-behavior" otherwise.
        if (const auto colon = f.summary.find(": "); colon != std::string::npos) {
            auto word = std::string_view(f.summary).substr(colon + 2);
            word = word.substr(0, word.find(' '));
            if (is_error_name(word) && word != "undefined-behavior") f.check = std::string(word);
        }
    }
    if (f.kind == FindingKind::unrecognized) f.check.clear();
    f.kind_name = kind_name_of(f.kind, f.check);

    // Threads, their names, and mutexes.
    std::vector<std::pair<std::string, std::string>> names;
    for (const auto& b : f.blocks) {
        if (auto t = thread_title(b.title)) names.push_back(std::move(*t));
    }
    for (auto& a : f.accesses) {
        add_unique(f.threads, a.thread);
        for (const auto& m : a.mutexes) add_unique(f.mutexes, m);
        if (a.thread_name.empty()) {
            for (const auto& [id, name] : names) {
                if (id == a.thread) a.thread_name = name;
            }
        }
    }
    for (const auto& b : f.blocks) {
        collect_threads(b.title, f.threads);
        if (b.title.starts_with("Mutex M")) collect_mutexes(b.title, f.mutexes);
    }

    // User frames.
    for (auto& a : f.accesses) {
        for (auto& fr : a.stack.frames) fr.user = filter.is_user(fr);
    }
    for (auto& b : f.blocks) {
        for (auto& fr : b.frames) fr.user = filter.is_user(fr);
    }
    for (const auto* s : stacks_by_relevance(f)) {
        const auto it = std::find_if(s->frames.begin(), s->frames.end(), [](const Frame& fr) { return fr.user; });
        if (it != s->frames.end()) {
            f.user_frame = *it;
            break;
        }
    }
    if (!f.user_frame && start.family == Family::ubsan) {
        // Without print_stacktrace=1 the runtime error's own location is all there is.
        Frame fr;
        parse_location(std::string_view(f.headline).substr(0, f.headline.find(": runtime error: ")), fr);
        fr.user = !fr.file.empty() && filter.is_user(fr);
        if (fr.user) f.user_frame = fr;
    }
    f.fingerprint = fingerprint_of(f);
    return f;
}

}  // namespace

std::vector<Finding> parse_sanitizer_output(std::string_view text, const FrameFilter& filter) {
    const auto lines = split_lines(text);
    std::vector<Finding> out;
    std::size_t prev_end = 0;
    for (std::size_t i = 0; i < lines.size();) {
        const auto start = report_start(lines[i].text);
        if (!start) {
            ++i;
            continue;
        }
        const auto ext = find_end(lines, i, *start);
        std::size_t begin = i;
        while (begin > prev_end && (is_separator(lines[begin - 1].text) || is_deadly_banner(lines[begin - 1].text)))
            --begin;
        auto f = build_finding(lines, i, ext, *start, filter);
        const auto raw_end = lines[ext.end - 1].end;
        f.raw = std::string(text.substr(lines[begin].begin, raw_end - lines[begin].begin));
        // A report that runs to the end of a text cut inside a line was cut short, whatever it holds.
        if (ext.end == lines.size() && !text.ends_with('\n')) f.truncated = true;
        out.push_back(std::move(f));
        prev_end = ext.end;
        i = ext.end;
    }
    return out;
}

}  // namespace threadmill
