// The loader's run section: name, target, variants, flavors, seed, duration, iterations, timeout.
#include <algorithm>
#include <filesystem>
#include <limits>
#include <utility>

#include <fmt/format.h>

#include "model/flavor.hpp"
#include "model/suppressions.hpp"
#include "model/text.hpp"
#include "scenario/loader.hpp"
#include "scenario/loader_state.hpp"

namespace threadmill::loader_detail {

void Loader::read_header() {
    if (const auto* n = m_root->get("name")) {
        if (auto s = read_string(*n, "name")) {
            if (is_identifier(*s)) m_scenario.name = *s;
            else error(*n, fmt::format("name must use only letters, digits, '.', '_' and '-', got '{}'", *s));
        }
    } else {
        missing("name", "the scenario's name, such as name = \"cache-hot-keys\"");
    }
    if (const auto* n = m_root->get("description")) {
        if (auto s = read_string(*n, "description")) m_scenario.description = *s;
    }
    if (const auto* n = m_root->get("target")) {
        if (auto s = read_string(*n, "target")) {
            m_target = m_catalog.find(*s);
            if (m_target != nullptr) m_scenario.target = *s;
            else error(*n, fmt::format("unknown target '{}'{}", *s, suggestion(*s, names_of(m_catalog.targets))));
        }
    } else {
        missing("target", "the component to run, such as target = \"cache\"");
    }
    read_worker();
    read_variants();
    read_flavors();
    if (const auto* n = m_root->get("seed")) {
        if (auto v = read_integer(*n, "seed", 0, std::numeric_limits<std::int64_t>::max())) {
            m_scenario.seed = static_cast<std::uint64_t>(*v);
        }
    }
}

/// `worker = "folder"`: where the target's workers are, relative to the scenario's folder. The folder's
/// project suppression file (threadmill-suppressions.txt) applies to this scenario's sanitizer jobs.
/// Whether the folder holds a worker is the driver's question (it asks that worker for the catalog).
void Loader::read_worker() {
    const auto* n = m_root->get("worker");
    if (n == nullptr) return;
    const auto text = read_string(*n, "worker");
    if (!text) return;
    if (text->empty()) {
        error(*n, "worker must name a folder of worker executables (relative to the scenario's folder); leave it out "
                  "to run on the run's workers (--worker-dir)");
        return;
    }
    m_scenario.worker_dir = resolve_scenario_worker(path(), *text);
    const std::filesystem::path project = std::filesystem::path(m_scenario.worker_dir) / k_project_suppressions_file;
    std::error_code ec;
    if (!std::filesystem::exists(project, ec)) return;
    std::string why;
    const auto file = read_suppression_file(project.string(), why);
    if (!file) {
        error(*n, fmt::format("worker: cannot read the project suppression file {}: {}", project.string(), why));
        return;
    }
    auto parsed = parse_suppression_text(*file);
    for (auto& e : parsed.errors) error(SourceLoc{project.string(), e.line, 1}, std::move(e.message));
    if (parsed.errors.empty())
        m_scenario.suppressions.push_back({std::string(k_origin_project), project.string(), std::move(parsed.patterns)});
}

void Loader::read_variants() {
    const auto* n = m_root->get("variants");
    if (n == nullptr) {
        if (m_target != nullptr) m_scenario.variants = names_of(m_target->variants);
        return;
    }
    const std::size_t errors_before = error_count();
    if (auto list = read_string_array(*n, "variants")) {
        if (n->as_array()->empty()) {
            error(*n, "variants must not be empty; leave it out to run every variant of the target");
        }
        const Names names = m_target != nullptr ? names_of(m_target->variants) : Names{};
        for (const auto& [name, node] : *list) {
            if (contains(m_scenario.variants, name)) {
                error(*node, fmt::format("variant '{}' is listed twice", name));
            } else if (m_target != nullptr && m_target->variant_index(name) < 0) {
                error(*node, fmt::format("target '{}' has no variant '{}'{}", m_target->name, name,
                                         suggestion(name, names)));
            } else {
                m_scenario.variants.push_back(name);
            }
        }
    }
    m_variants_broken = error_count() != errors_before;
}

void Loader::read_flavors() {
    const auto* n = m_root->get("flavors");
    if (n == nullptr) {
        m_scenario.flavors = {std::string(all_flavors().front().name)};
        return;
    }
    const std::size_t errors_before = error_count();
    if (auto list = read_string_array(*n, "flavors")) {
        if (n->as_array()->empty()) {
            error(*n, "flavors must not be empty; leave it out to run the plain flavor");
        }
        for (const auto& [name, node] : *list) {
            if (contains(m_scenario.flavors, name)) {
                error(*node, fmt::format("flavor '{}' is listed twice", name));
            } else if (!parse_flavor(name)) {
                error(*node, fmt::format("unknown flavor '{}'{}", name, suggestion(name, flavor_names())));
            } else {
                m_scenario.flavors.push_back(name);
            }
        }
    }
    m_flavors_broken = error_count() != errors_before;
}

void Loader::read_run_length() {
    const auto* duration = m_root->get("duration");
    const auto* iterations = m_root->get("iterations");
    if (duration != nullptr && iterations != nullptr) {
        const auto& a = duration->source().begin;
        const auto& b = iterations->source().begin;
        const bool duration_later = std::pair(a.line, a.column) > std::pair(b.line, b.column);
        error(*key_of(*m_root, duration_later ? "duration" : "iterations"),
              "duration and iterations cannot both be set: a job runs for a time or for a number of "
              "operations per thread");
    }
    if (duration != nullptr) {
        m_scenario.duration = read_duration(*duration, "duration", Nanos(0), true, k_max_duration);
    } else if (iterations == nullptr) {
        m_scenario.duration = k_default_duration;
    }
    if (iterations != nullptr) {
        if (auto v = read_integer(*iterations, "iterations", 1, k_max_iterations)) {
            m_scenario.iterations = static_cast<std::uint64_t>(*v);
        }
    }
    // The default timeout leaves a long run room: 30s, or twice the duration if that is longer.
    m_scenario.timeout = k_default_timeout;
    if (m_scenario.duration) m_scenario.timeout = std::max(k_default_timeout, *m_scenario.duration * 2);
    if (const auto* n = m_root->get("timeout")) {
        if (auto t = read_duration(*n, "timeout", Nanos(0), true, k_max_timeout)) {
            m_scenario.timeout = *t;
            if (m_scenario.duration && *t <= *m_scenario.duration) {
                const std::string duration_text =
                    duration != nullptr
                        ? duration->as_string()->get()
                        : fmt::format("{}, the default",
                                      bound_duration(static_cast<double>(k_default_duration.count())));
                error(*n, fmt::format("timeout ({}) must be longer than duration ({})", n->as_string()->get(),
                                      duration_text));
            }
        }
    }
}

}  // namespace threadmill::loader_detail
