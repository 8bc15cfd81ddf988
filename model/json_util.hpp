// Reading the optional fields of the model's JSON: an absent or null key keeps the default.
#pragma once

#include <nlohmann/json.hpp>

namespace threadmill {

/// Sets `out` from `j[key]` when the key is present and not null; leaves it unchanged otherwise.
template <typename T>
void get_opt(const nlohmann::json& j, const char* key, T& out) {
    if (auto it = j.find(key); it != j.end() && !it->is_null()) it->get_to(out);
}

}  // namespace threadmill
