// Detection mechanisms: the words an `[expect]` entry may use, and how a detection matches one.
#include "model/mechanism.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "model/finding_kinds.hpp"
#include "model/text.hpp"

namespace threadmill {

const std::vector<MechanismInfo>& mechanisms() {
    static const std::vector<MechanismInfo> list = {
        {"pass", "nothing is detected (the default for safe variants)", MechanismOrigin::verdict},
        {"any", "the job runs and its result is recorded, but not gated", MechanismOrigin::verdict},
        {"invariant", "any invariant of the target is broken", MechanismOrigin::harness},
        {"invariant:<name>", "the named invariant is broken", MechanismOrigin::harness},
        {"exception", "an operation threw an exception", MechanismOrigin::harness},
        {"crash", "the worker died on a signal (segfault, abort, ...), a sanitizer reported a deadly signal, "
                  "or the worker exited abnormally", MechanismOrigin::harness},
        {"timeout", "the job did not finish within its timeout (a hang or livelock)", MechanismOrigin::harness},
        {"linearizability", "the job's history is not linearizable against its model ([check] linearizability)",
         MechanismOrigin::harness},
        {"outcome", "a lockstep round ended in a result the scenario's [[outcome]] table grades forbidden (or that no "
                    "entry matches)", MechanismOrigin::harness},
        {"slo", "a latency or throughput budget of [slo] was exceeded (plain flavor only)", MechanismOrigin::latency},
        {"race", "ThreadSanitizer reported a data race (tsan flavor)", MechanismOrigin::finding},
        {"deadlock", "ThreadSanitizer reported a lock-order inversion, or the job hung", MechanismOrigin::finding},
        {"memory", "AddressSanitizer reported any memory error (asan flavor)", MechanismOrigin::finding},
        {"memory:<kind>", "AddressSanitizer reported this kind, e.g. memory:heap-use-after-free", MechanismOrigin::finding},
        {"leak", "LeakSanitizer reported a leak (asan flavor)", MechanismOrigin::finding},
        {"ub", "UndefinedBehaviorSanitizer reported any check (asan flavor)", MechanismOrigin::finding},
        {"ub:<check>", "UndefinedBehaviorSanitizer reported this check, as its SUMMARY names it, e.g. ub:signed-integer-overflow, ub:invalid-shift-exponent", MechanismOrigin::finding},
        {"thread-leak", "ThreadSanitizer reported a thread leak", MechanismOrigin::finding},
        {"signal-unsafe", "ThreadSanitizer reported a signal-unsafe call inside a signal handler", MechanismOrigin::finding},
        {"mutex-misuse", "ThreadSanitizer reported a mutex misuse (destroy while locked, bad unlock, ...)", MechanismOrigin::finding},
        {"unrecognized", "a sanitizer report threadmill could not classify (kept whole)", MechanismOrigin::finding},
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

namespace {

/// The row of mechanisms() that `word` is: its name, or a `family:<...>` row for `family:x`.
const MechanismInfo* mechanism_row(std::string_view word) {
    for (const auto& m : mechanisms()) {
        const auto open = m.name.find('<');
        if (open == std::string_view::npos ? word == m.name : word.starts_with(m.name.substr(0, open))) return &m;
    }
    return nullptr;
}

/// Whether a finding of table row `row` can be one that `word` accepts. The row's mechanism may
/// leave a part open (`memory:{kind_name}`, `ub:{check}`): it is filled with each name the tool
/// reports the kind under, or, for a row that lists none, with the part `word` itself names.
bool finding_may_match(std::string_view word, const FindingKindInfo& row) {
    if (row.mechanism.find('{') == std::string_view::npos) return mechanism_matches(word, row.mechanism);
    std::vector<std::string> checks;
    for (const auto name : report_names(row)) checks.emplace_back(name);
    if (checks.empty()) {
        const auto colon = word.find(':');
        checks.emplace_back(colon == std::string_view::npos ? std::string_view("any") : word.substr(colon + 1));
    }
    return std::any_of(checks.begin(), checks.end(), [&](const std::string& check) {
        return mechanism_matches(word, fill_in(row.mechanism, kind_name_of(row.kind, check), check));
    });
}

/// The flavors in which `word` can be detected, in table order.
std::vector<std::string> flavors_detecting(std::string_view word) {
    std::vector<std::string> out;
    for (const auto& row : all_flavors()) {
        if (detectable_in(word, row.flavor)) out.emplace_back(row.name);
    }
    return out;
}

}  // namespace

bool detectable_in(std::string_view word, Flavor f) {
    const MechanismInfo* m = mechanism_row(word);
    if (m == nullptr) return true;  // not a mechanism: check_mechanism reports it
    switch (m->origin) {
        case MechanismOrigin::verdict:
        case MechanismOrigin::harness: return true;
        case MechanismOrigin::latency: return judges_latency(f);
        case MechanismOrigin::finding: break;
    }
    // A detection of the driver's own may meet it too: a hang meets `deadlock`.
    for (const auto& h : mechanisms()) {
        if (h.origin == MechanismOrigin::harness && h.name.find('<') == std::string_view::npos &&
            mechanism_matches(word, h.name))
            return true;
    }
    const auto tools = runtimes(f);
    for (const auto& row : all_finding_kinds()) {
        // A kind with no tool may come from any runtime; a flavor without runtimes reports none.
        const bool reported = row.tool.empty() ? !tools.empty()
                                               : std::any_of(tools.begin(), tools.end(),
                                                             [&](const Runtime& r) { return r.tool == row.tool; });
        if (reported && finding_may_match(word, row)) return true;
    }
    return false;
}

std::optional<std::string> never_met_in(const std::vector<std::string>& words, Flavor f) {
    if (std::any_of(words.begin(), words.end(), [&](const std::string& w) { return detectable_in(w, f); }))
        return std::nullopt;
    std::vector<std::string> reasons;
    for (const auto& w : words) {
        const auto where = flavors_detecting(w);
        reasons.push_back(where.empty() ? fmt::format("'{}' is detected in no flavor", w)
                                        : fmt::format("'{}' is detected only in {}", w, fmt::join(where, ", ")));
    }
    return fmt::format("{}", fmt::join(reasons, "; "));
}

bool mechanism_matches(std::string_view word, std::string_view mechanism) {
    if (word == mechanism) return true;
    if (word == "deadlock" && mechanism == "timeout") return true;  // a deadlock may only show as a hang
    // A family word matches every member: `invariant` matches `invariant:exactly_once`.
    return mechanism.size() > word.size() && mechanism.starts_with(word) && mechanism[word.size()] == ':';
}

}  // namespace threadmill
