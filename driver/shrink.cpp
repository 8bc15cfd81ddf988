// Scenario reductions for `threadmill shrink`: groups, threads, mixes, keys and run length.
#include "driver/shrink.hpp"

#include <algorithm>
#include <sstream>

#include <fmt/format.h>

#include "model/units.hpp"

namespace threadmill {
namespace {

namespace fs = std::filesystem;

constexpr std::int64_t k_default_key_count = 1024;  // the loader's default for [keys] count

/// Smaller values of a positive count, boldest first: the floor, half, one fewer (distinct, below `v`).
std::vector<std::int64_t> smaller_counts(std::int64_t v, std::int64_t floor, bool one_fewer) {
    std::vector<std::int64_t> out;
    const auto add = [&](std::int64_t x) {
        if (x >= floor && x < v && std::find(out.begin(), out.end(), x) == out.end()) out.push_back(x);
    };
    add(floor);
    add(v / 2);
    if (one_fewer) add(v - 1);
    return out;
}

toml::array* groups_of(toml::table& t) { return t["group"].as_array(); }

std::string group_name(const toml::table& g, std::size_t i) {
    if (const auto name = g["name"].value<std::string>()) return *name;
    return fmt::format("#{}", i + 1);
}

}  // namespace

std::vector<Reduction> scenario_reductions(const toml::table& scenario) {
    std::vector<Reduction> out;
    const auto variant = [&](std::string what, auto&& change) {
        Reduction r{std::move(what), scenario, "", "", ""};
        change(r.scenario);
        out.push_back(std::move(r));
    };
    // A value lowered: "<subject> <from> -> <to>".
    const auto lowered = [&](std::string subject, std::string from, std::string to, auto&& change) {
        variant(fmt::format("{} {} -> {}", subject, from, to), change);
        out.back().subject = std::move(subject);
        out.back().from = std::move(from);
        out.back().to = std::move(to);
    };

    const toml::array* groups = scenario["group"].as_array();
    const std::size_t group_count = groups != nullptr ? groups->size() : 0;
    for (std::size_t i = 0; i < group_count && group_count > 1; ++i) {
        const auto* g = groups->get_as<toml::table>(i);
        if (g == nullptr) continue;
        variant(fmt::format("group '{}'", group_name(*g, i)), [i](toml::table& t) { groups_of(t)->erase(groups_of(t)->begin() + static_cast<std::ptrdiff_t>(i)); });
    }
    for (std::size_t i = 0; i < group_count; ++i) {
        const auto* g = groups->get_as<toml::table>(i);
        if (g == nullptr) continue;
        const std::int64_t threads = (*g)["threads"].value<std::int64_t>().value_or(1);
        for (const std::int64_t n : smaller_counts(threads, 1, true)) {
            lowered(fmt::format("threads of '{}'", group_name(*g, i)), std::to_string(threads), std::to_string(n), [i, n](toml::table& t) {
                groups_of(t)->get_as<toml::table>(i)->insert_or_assign("threads", n);
            });
        }
        const auto* mix = (*g)["mix"].as_table();
        if (mix == nullptr || mix->size() < 2) continue;
        for (const auto& [op, weight] : *mix) {
            const std::string name(op.str());
            variant(fmt::format("operation '{}' from the mix of '{}'", name, group_name(*g, i)), [i, name](toml::table& t) {
                groups_of(t)->get_as<toml::table>(i)->get_as<toml::table>("mix")->erase(name);
            });
        }
    }

    const std::int64_t keys = scenario["keys"]["count"].value<std::int64_t>().value_or(k_default_key_count);
    for (const std::int64_t n : smaller_counts(keys, 1, false)) {
        lowered("keys", std::to_string(keys), std::to_string(n), [n](toml::table& t) {
            if (!t["keys"].is_table()) t.insert_or_assign("keys", toml::table{});
            t["keys"].as_table()->insert_or_assign("count", n);
        });
    }

    if (const auto iterations = scenario["iterations"].value<std::int64_t>()) {
        for (const std::int64_t n : smaller_counts(*iterations, 1, false))
            lowered("iterations", std::to_string(*iterations), std::to_string(n), [n](toml::table& t) { t.insert_or_assign("iterations", n); });
    } else if (const auto text = scenario["duration"].value<std::string>()) {
        if (const auto d = parse_duration(*text)) {
            for (const std::int64_t ns : smaller_counts(d->count(), k_min_shrink_duration_ns, false)) {
                const std::string shorter = format_duration(Nanos(ns));
                lowered("duration", *text, shorter, [shorter](toml::table& t) { t.insert_or_assign("duration", shorter); });
            }
        }
    }
    return out;
}

void pin_scenario(toml::table& t, const std::string& variant, const std::string& flavor, std::uint64_t seed,
                  const fs::path& folder) {
    t.insert_or_assign("variants", toml::array{variant});
    t.insert_or_assign("flavors", toml::array{flavor});
    t.insert_or_assign("seed", static_cast<std::int64_t>(seed));
    const auto absolute = [&](const std::string& p) { return fs::path(p).is_absolute() ? p : (folder / p).lexically_normal().string(); };
    if (const auto worker = t["worker"].value<std::string>()) t.insert_or_assign("worker", absolute(*worker));
    if (auto* sanitizers = t["sanitizers"].as_table()) {
        if (const auto one = (*sanitizers)["suppressions"].value<std::string>()) {
            sanitizers->insert_or_assign("suppressions", absolute(*one));
        } else if (auto* many = (*sanitizers)["suppressions"].as_array()) {
            toml::array absolute_paths;
            for (const auto& node : *many) {
                if (const auto p = node.value<std::string>()) absolute_paths.push_back(absolute(*p));
                else absolute_paths.push_back(node);
            }
            sanitizers->insert_or_assign("suppressions", std::move(absolute_paths));
        }
    }
}

std::string scenario_text(const toml::table& scenario) {
    std::ostringstream out;
    out << toml::toml_formatter(scenario) << '\n';
    return out.str();
}

}  // namespace threadmill
