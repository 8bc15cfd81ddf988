// The loader's workload: [keys] (key distribution), [sync] (how threads meet) and [[group]].
#include <algorithm>
#include <limits>
#include <utility>

#include <fmt/format.h>

#include "model/text.hpp"
#include "scenario/loader_state.hpp"

namespace threadmill::loader_detail {

void Loader::read_keys() {
    const auto* t = section("keys");
    if (t == nullptr) return;
    check_keys(*t, k_keys_keys, "", " in [keys]");
    auto& keys = m_scenario.keys;
    if (const auto* n = t->get("count")) {
        if (auto v = read_integer(*n, "keys.count", 1, static_cast<std::int64_t>(k_max_key_count))) {
            keys.count = static_cast<std::uint64_t>(*v);
        }
    }
    bool distribution_ok = true;
    if (const auto* n = t->get("distribution")) {
        const auto d = read_choice(*n, "keys.distribution", k_distributions);
        distribution_ok = d.has_value();
        if (d == "uniform") keys.distribution = KeyDistribution::uniform;
        else if (d == "zipf") keys.distribution = KeyDistribution::zipf;
        else if (d == "sequential") keys.distribution = KeyDistribution::sequential;
    }
    if (const auto* n = t->get("zipf_theta")) {
        if (auto v = read_number(*n, "keys.zipf_theta", 0, true, k_max_zipf_theta)) keys.zipf_theta = *v;
        if (distribution_ok && keys.distribution != KeyDistribution::zipf) {
            error(*key_of(*t, "zipf_theta"), "keys.zipf_theta is only used with distribution = \"zipf\"");
        }
    }
}

void Loader::read_sync() {
    const auto* t = section("sync");
    if (t == nullptr) return;
    check_keys(*t, k_sync_keys, "", " in [sync]");
    auto& sync = m_scenario.sync;
    bool mode_ok = true;
    if (const auto* n = t->get("mode")) {
        const auto mode = read_choice(*n, "sync.mode", k_sync_modes);
        mode_ok = mode.has_value();
        if (mode == "rounds") sync.mode = SyncMode::rounds;
        if (mode == "lockstep") {
            sync.mode = SyncMode::lockstep;
            if (m_target != nullptr && !m_target->has_arbiter) {
                error(*n, fmt::format("target '{}' has no arbiter, so it cannot run sync.mode = \"lockstep\": its adapter "
                                      "declares none (.arbiter(fn): what each round ended in, for [[outcome]] to grade)",
                                      m_target->name));
            }
        }
    }
    m_sync_broken = !mode_ok;
    const auto rounds_only = [&](std::string_view key) {
        if (!mode_ok || sync.mode == SyncMode::rounds) return;
        if (sync.mode == SyncMode::lockstep && key == "ops_per_round") {
            error(*key_of(*t, key), "sync.ops_per_round does not apply to mode = \"lockstep\": every thread runs "
                                    "exactly one operation per round");
        } else if (sync.mode == SyncMode::lockstep) {
            error(*key_of(*t, key), fmt::format("sync.{} is only used with mode = \"rounds\"; in lockstep the "
                                                "invariants are checked at the end",
                                                key));
        } else {
            error(*key_of(*t, key), fmt::format("sync.{} is only used with mode = \"rounds\"", key));
        }
    };
    if (const auto* n = t->get("ops_per_round")) {
        if (auto v = read_integer(*n, "sync.ops_per_round", 1, k_max_ops_per_round)) {
            sync.ops_per_round = static_cast<std::uint32_t>(*v);
        }
        rounds_only("ops_per_round");
    }
    if (const auto* n = t->get("checkpoint")) {
        const auto* s = n->as_string();
        const auto* i = n->as_integer();
        const std::string expected = "\"every\", \"end\" or a number of rounds";
        if (s != nullptr && s->get() == "every") {
            sync.checkpoint_every = 1;
        } else if (s != nullptr && s->get() == "end") {
            sync.checkpoint_every = 0;
        } else if (s != nullptr) {
            error(*n, fmt::format("sync.checkpoint must be {}, got '{}'{}", expected, s->get(),
                                  did_you_mean(s->get(), {"every", "end"})));
        } else if (i != nullptr) {
            if (i->get() < 1 || i->get() > k_max_checkpoint) {
                error(*n, fmt::format("sync.checkpoint must be {} between 1 and {}, got {}", expected,
                                      k_max_checkpoint, i->get()));
            } else {
                sync.checkpoint_every = static_cast<std::uint32_t>(i->get());
            }
        } else {
            type_error(*n, "sync.checkpoint", expected);
        }
        rounds_only("checkpoint");
    }
    if (const auto* n = t->get("start_barrier")) {
        if (const auto v = read_boolean(*n, "sync.start_barrier")) sync.start_barrier = *v;
        if (mode_ok && sync.mode != SyncMode::start)
            error(*n, "sync.start_barrier is only used with mode = \"start\": rounds and lockstep are barriers");
    }
}

void Loader::read_groups() {
    const auto* n = m_root->get("group");
    if (n == nullptr) {
        missing("group", "at least one [[group]] of threads");
        return;
    }
    const auto* groups = n->as_array();
    if (groups == nullptr || !groups->is_array_of_tables()) {
        type_error(*n, "group", "an array of tables, written [[group]]");
        return;
    }
    if (groups->empty()) {
        error(*n, "group must not be empty; a scenario needs at least one [[group]] of threads");
        return;
    }
    int total = 0;
    const toml::node* total_exceeded_at = nullptr;
    int index = 0;
    for (const auto& element : *groups) {
        ++index;
        const auto& t = *element.as_table();
        GroupSpec group;
        group.where = loc(t);
        std::string label = fmt::format("group #{}", index);
        if (const auto* name = t.get("name")) {
            if (auto s = read_string(*name, fmt::format("{}: name", label))) {
                if (!is_identifier(*s)) {
                    error(*name, fmt::format("{}: name must use only letters, digits, '.', '_' and '-', got '{}'",
                                             label, *s));
                } else if (std::any_of(m_scenario.groups.begin(), m_scenario.groups.end(),
                                       [&](const GroupSpec& g) { return g.name == *s; })) {
                    error(*name, fmt::format("group '{}' is defined twice; group names must be unique", *s));
                } else {
                    label = fmt::format("group '{}'", *s);
                }
                group.name = *s;
            }
        } else {
            error(t, fmt::format("{}: missing required key 'name'", label));
        }
        check_keys(t, k_group_keys, label + ": ", "");
        if (const auto* threads = t.get("threads")) {
            if (auto v = read_integer(*threads, label + ": threads", 1, k_max_threads)) {
                group.threads = static_cast<int>(*v);
            }
        }
        total += group.threads;
        if (total > k_max_threads && total_exceeded_at == nullptr) {
            total_exceeded_at = t.get("threads") != nullptr ? t.get("threads") : &element;
        }
        if (const auto* mix = t.get("mix")) {
            read_mix(*mix, label, group);
        } else {
            error(t, fmt::format("{}: missing required key 'mix' (the operations and their weights, "
                                 "such as mix = {{ get = 3, set = 1 }})",
                                 label));
        }
        m_scenario.groups.push_back(std::move(group));
    }
    if (total_exceeded_at != nullptr) {
        error(*total_exceeded_at,
              fmt::format("the groups have {} threads in total; at most {} are allowed", total, k_max_threads));
    }
}

void Loader::read_mix(const toml::node& n, const std::string& label, GroupSpec& group) {
    const auto* t = n.as_table();
    if (t == nullptr) {
        type_error(n, label + ": mix", "a table of operation weights, such as { get = 3, set = 1 }");
        return;
    }
    if (t->empty()) {
        error(n, fmt::format("{}: mix is empty; give at least one operation, such as {{ get = 1 }}", label));
        return;
    }
    const Names ops = m_target != nullptr ? names_of(m_target->ops) : Names{};
    for (const auto& [k, v] : in_file_order(*t)) {
        const std::string_view op = k->str();
        int index = -1;
        if (m_target != nullptr) {
            index = m_target->op_index(op);
            if (index < 0) {
                error(*k, fmt::format("unknown operation '{}' in {} mix{}", op, label, suggestion(op, ops)));
            }
        }
        const auto weight = read_number(*v, fmt::format("{}: weight of '{}'", label, op), 0, true,
                                        std::numeric_limits<double>::max());
        if (index >= 0 && weight) group.mix.push_back({index, *weight});
    }
}

}  // namespace threadmill::loader_detail
