// Flavors: the table of model/flavors.def and what each flavor means to the harness.
#include "model/flavor.hpp"

#include <algorithm>
#include <stdexcept>

namespace threadmill {
namespace {

constexpr FlavorInfo k_flavors[] = {
#define TM_FLAVOR(name, flags, help) {Flavor::name, #name, flags, help},
#include "model/flavors.def"
#undef TM_FLAVOR
};

constexpr Runtime k_tsan{"tsan", "ThreadSanitizer"};
constexpr Runtime k_asan{"asan", "AddressSanitizer"};
constexpr Runtime k_ubsan{"ubsan", "UndefinedBehaviorSanitizer"};
constexpr Runtime k_lsan{"lsan", "LeakSanitizer"};
constexpr Runtime k_tsan_runtimes[] = {k_tsan};
constexpr Runtime k_asan_runtimes[] = {k_asan, k_ubsan, k_lsan};

}  // namespace

std::span<const FlavorInfo> all_flavors() { return k_flavors; }

const FlavorInfo& info(Flavor f) { return k_flavors[static_cast<std::size_t>(f)]; }

std::optional<Flavor> parse_flavor(std::string_view name) {
    for (const auto& row : k_flavors) {
        if (row.name == name) return row.flavor;
    }
    return std::nullopt;
}

std::vector<std::string> flavor_names() {
    std::vector<std::string> names;
    for (const auto& row : k_flavors) names.emplace_back(row.name);
    return names;
}

Flavor flavor_of(std::string_view name) {
    if (const auto f = parse_flavor(name)) return *f;
    throw std::logic_error("unknown flavor '" + std::string(name) + "' reached past validation");
}

std::string worker_executable(Flavor f) {
    const FlavorInfo& row = info(f);
    return row.flags.empty() ? std::string("threadmill-worker") : "threadmill-worker-" + std::string(row.name);
}

bool judges_latency(Flavor f) {
    switch (f) {
        case Flavor::plain: return true;
        case Flavor::tsan:
        case Flavor::asan: return false;
    }
    return false;
}

std::span<const Runtime> runtimes(Flavor f) {
    switch (f) {
        case Flavor::plain: return {};
        case Flavor::tsan: return k_tsan_runtimes;
        case Flavor::asan: return k_asan_runtimes;
    }
    return {};
}

std::vector<Runtime> all_runtimes() {
    std::vector<Runtime> out;
    for (const auto& row : k_flavors) {
        for (const auto& r : runtimes(row.flavor)) {
            if (std::none_of(out.begin(), out.end(), [&](const Runtime& x) { return x.name == r.name; })) out.push_back(r);
        }
    }
    return out;
}

}  // namespace threadmill
