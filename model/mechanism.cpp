// Detection mechanisms: the words an `[expect]` entry may use, and how a detection matches one.
#include "model/mechanism.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "model/finding_kinds.hpp"
#include "model/text.hpp"

namespace threadmill {

const std::vector<MechanismInfo>& mechanisms() {
    static const std::vector<MechanismInfo> list = {
        {"pass", "nothing is detected (the default for safe variants)"},
        {"any", "the job runs and its result is recorded, but not gated"},
        {"invariant", "any invariant of the target is broken"},
        {"invariant:<name>", "the named invariant is broken"},
        {"exception", "an operation threw an exception"},
        {"crash", "the worker died on a signal (segfault, abort, ...), a sanitizer reported a deadly signal, "
                  "or the worker exited abnormally"},
        {"timeout", "the job did not finish within its timeout (a hang or livelock)"},
        {"slo", "a latency or throughput budget of [slo] was exceeded (plain flavor only)"},
        {"race", "ThreadSanitizer reported a data race (tsan flavor)"},
        {"deadlock", "ThreadSanitizer reported a lock-order inversion, or the job hung"},
        {"memory", "AddressSanitizer reported any memory error (asan flavor)"},
        {"memory:<kind>", "AddressSanitizer reported this kind, e.g. memory:heap-use-after-free"},
        {"leak", "LeakSanitizer reported a leak (asan flavor)"},
        {"ub", "UndefinedBehaviorSanitizer reported any check (asan flavor)"},
        {"ub:<check>", "UndefinedBehaviorSanitizer reported this check, as its SUMMARY names it, e.g. ub:signed-integer-overflow, ub:invalid-shift-exponent"},
        {"thread-leak", "ThreadSanitizer reported a thread leak"},
        {"signal-unsafe", "ThreadSanitizer reported a signal-unsafe call inside a signal handler"},
        {"mutex-misuse", "ThreadSanitizer reported a mutex misuse (destroy while locked, bad unlock, ...)"},
        {"unrecognized", "a sanitizer report threadmill could not classify (kept whole)"},
    };
    return list;
}

const std::vector<std::string>& memory_kinds() {
    static const std::vector<std::string> kinds = [] {
        std::vector<std::string> out;
        for (const auto& row : all_finding_kinds()) {
            if (!row.mechanism.starts_with("memory:")) continue;
            for (const auto name : report_names(row)) out.emplace_back(name);
        }
        return out;
    }();
    return kinds;
}

std::optional<std::string> check_mechanism(std::string_view word, const TargetInfo& target) {
    if (word.starts_with("invariant:")) {
        const auto name = word.substr(std::string_view("invariant:").size());
        if (target.invariant_index(name) >= 0) return std::nullopt;
        std::vector<std::string> names;
        for (const auto& inv : target.invariants) names.push_back(inv.name);
        return fmt::format("target '{}' has no invariant '{}'{}", target.name, name, did_you_mean(name, names));
    }
    if (word.starts_with("memory:")) {
        const auto kind = word.substr(std::string_view("memory:").size());
        const auto& kinds = memory_kinds();
        if (std::find(kinds.begin(), kinds.end(), kind) != kinds.end()) return std::nullopt;
        return fmt::format("unknown memory error kind '{}'{}", kind, did_you_mean(kind, kinds));
    }
    if (word.starts_with("ub:")) {
        const auto check = word.substr(3);
        const bool ok = !check.empty() && std::all_of(check.begin(), check.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || c == '-';
        });
        if (ok) return std::nullopt;
        return fmt::format("'{}' is not a UndefinedBehaviorSanitizer check name (like ub:signed-integer-overflow)", word);
    }
    std::vector<std::string> names;
    std::vector<std::string> plain_names;
    for (const auto& m : mechanisms()) {
        if (m.name == word && m.name.find('<') == std::string_view::npos) return std::nullopt;
        names.emplace_back(m.name);
        if (m.name.find('<') == std::string_view::npos) plain_names.emplace_back(m.name);
    }
    return fmt::format("unknown mechanism '{}'{} (one of: {}, invariant:<name>, memory:<kind>, ub:<check>)", word,
                       did_you_mean(word, names), fmt::join(plain_names, ", "));
}

bool mechanism_matches(std::string_view word, std::string_view mechanism) {
    if (word == mechanism) return true;
    if (word == "deadlock" && mechanism == "timeout") return true;  // a deadlock may only show as a hang
    // A family word matches every member: `invariant` matches `invariant:exactly_once`.
    return mechanism.size() > word.size() && mechanism.starts_with(word) && mechanism[word.size()] == ':';
}

}  // namespace threadmill
