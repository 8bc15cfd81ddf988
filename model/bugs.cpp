// Distinct bugs (reports grouped by the place in the user's code they point at) and job titles, shared by the
// summary and the reports.
#include "model/bugs.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

namespace threadmill {
namespace {

std::string_view base_name(std::string_view path) {
    const auto slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

void add_once(std::vector<std::string>& list, const std::string& s) {
    if (std::find(list.begin(), list.end(), s) == list.end()) list.push_back(s);
}

}  // namespace

std::string bug_family(const Finding& f) {
    std::string mechanism = mechanism_of(f);
    return mechanism.substr(0, mechanism.find(':'));
}

const Frame* bug_location(const Finding& f) {
    if (f.kind == FindingKind::data_race) {
        const Access* unlocked = nullptr;
        int unlocked_count = 0;
        for (const auto& a : f.accesses) {
            if (!a.mutexes.empty()) continue;
            unlocked = &a;
            ++unlocked_count;
        }
        if (unlocked_count == 1 && f.accesses.size() > 1) {
            const auto& frames = unlocked->stack.frames;
            const auto it = std::find_if(frames.begin(), frames.end(), [](const Frame& fr) { return fr.user; });
            if (it != frames.end()) return &*it;
        }
    }
    return f.user_frame ? &*f.user_frame : nullptr;
}

std::string bug_key(const Finding& f) {
    const std::string family = bug_family(f);
    const Frame* at = bug_location(f);
    if (at == nullptr) return fmt::format("{}|{}", family, f.fingerprint);
    const Frame& u = *at;
    const std::string function = bare_function_name(u.function);
    std::string_view where = u.file;
    std::string module;
    if (where.empty()) {
        module = u.module.substr(0, u.module.rfind("+0x"));
        where = module;
    }
    if (function.empty()) return fmt::format("{}|{}:{}", family, base_name(where), u.line);
    return fmt::format("{}|{}|{}", family, base_name(where), function);
}

std::string bug_id(std::string_view key) { return fmt::format("{:016x}", fnv1a(key)); }

std::vector<DistinctBug> distinct_bugs(std::span<const JobResult> jobs) {
    std::vector<DistinctBug> bugs;
    std::map<std::string, std::size_t> at;
    for (const auto& job : jobs) {
        for (const auto& f : job.findings) {
            std::string key = bug_key(f);
            auto [it, fresh] = at.emplace(key, bugs.size());
            if (fresh) bugs.push_back({std::move(key), &f, bug_location(f), &job, 0, {}, {}, {}});
            DistinctBug& b = bugs[it->second];
            ++b.reports;
            if (b.jobs.empty() || b.jobs.back() != &job) b.jobs.push_back(&job);
            add_once(b.kinds, f.kind_name);
            add_once(b.fingerprints, f.fingerprint);
        }
    }
    return bugs;
}

std::string job_title(const JobResult& j) {
    return fmt::format("{} · {} · {} · seed {}{}", j.scenario, j.variant, j.flavor, j.seed,
                       j.repeat > 0 ? fmt::format(" · repeat {}", j.repeat + 1) : "");
}

}  // namespace threadmill
