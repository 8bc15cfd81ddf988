// Command-line overrides of a scenario's run length, shared by the driver and the worker.
#include "scenario/overrides.hpp"

#include <stdexcept>

#include <fmt/format.h>

namespace threadmill {

void apply_override(Scenario& scenario, const RunLengthOverride& o) {
    if (o.duration) {
        if (*o.duration >= scenario.timeout) {
            throw std::invalid_argument(fmt::format("{}: --duration {} is not below the scenario's timeout of {}",
                                                    scenario.path, format_duration(*o.duration),
                                                    format_duration(scenario.timeout)));
        }
        scenario.duration = o.duration;
        scenario.iterations.reset();
    } else if (o.iterations) {
        scenario.iterations = o.iterations;
        scenario.duration.reset();
    }
}

KeyOverride parse_key_override(std::string_view text) {
    const auto eq = text.find('=');
    if (eq == std::string_view::npos || eq == 0)
        throw std::invalid_argument(fmt::format("--set '{}': write KEY=VALUE, such as chaos.strategy=pct", text));
    KeyOverride o{std::string(text.substr(0, eq)), std::string(text.substr(eq + 1))};
    std::size_t start = 0;
    for (;;) {
        const auto dot = o.key.find('.', start);
        const std::string_view part = std::string_view(o.key).substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        if (part.empty()) throw std::invalid_argument(fmt::format("--set '{}': the key '{}' has an empty part", text, o.key));
        if (dot == std::string::npos) break;
        start = dot + 1;
    }
    return o;
}

void apply_key_overrides(toml::table& root, const std::vector<KeyOverride>& overrides) {
    for (const auto& o : overrides) {
        // KEY= (nothing after the '=') removes the key, so a run can fall back to its default;
        // an empty string is written KEY="".
        const bool remove = o.value.empty();
        toml::table* table = &root;
        std::string_view rest = o.key;
        for (auto dot = rest.find('.'); dot != std::string_view::npos; dot = rest.find('.')) {
            const std::string part(rest.substr(0, dot));
            rest.remove_prefix(dot + 1);
            toml::node* next = table->get(part);
            if (next == nullptr && remove) {
                table = nullptr;  // nothing to remove
                break;
            }
            if (next == nullptr) next = &table->insert_or_assign(part, toml::table{}).first->second;
            if (!next->is_table())
                throw std::invalid_argument(fmt::format("--set {}: '{}' is not a table of the scenario (an array of tables, "
                                                        "like [[group]], cannot be set)",
                                                        o.text(), part));
            table = next->as_table();
        }
        if (remove) {
            if (table != nullptr) table->erase(std::string(rest));
            continue;
        }
        // The value as TOML when it reads as one, else the text as a string.
        toml::table parsed;
        try {
            parsed = toml::parse("value = " + o.value);
        } catch (const toml::parse_error&) {
            parsed = toml::table{{"value", o.value}};
        }
        const std::string last(rest);
        parsed.get("value")->visit([&](const auto& value) { table->insert_or_assign(last, value); });
    }
}

}  // namespace threadmill
