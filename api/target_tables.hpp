// Compile-time catalog tables for targets: one row per enum value, checked to be in enum order.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

#include "api/target.hpp"

namespace threadmill {

/// One catalog entry (variant, operation or invariant) keyed by the target's own enum.
/// `caught_by` is used by variant rows only (empty for a safe variant).
template <typename Kind>
struct CatalogRow {
    Kind kind;
    std::string_view name;
    std::string_view help;
    std::string_view caught_by = {};
};

/// True when row i describes enum value i for every row: `static_assert` it on each table so
/// that the enum used in `run()` and the names the driver sees cannot drift apart.
template <typename Kind, std::size_t N>
constexpr bool in_kind_order(const std::array<CatalogRow<Kind>, N>& table) {
    for (std::size_t i = 0; i < N; ++i) {
        if (static_cast<std::size_t>(table[i].kind) != i) return false;
    }
    return true;
}

/// Fills `info.variants`, `info.ops` and `info.invariants` from the three tables.
template <typename V, std::size_t NV, typename O, std::size_t NO, typename I, std::size_t NI>
void fill_catalog(TargetInfo& info, const std::array<CatalogRow<V>, NV>& variants,
                  const std::array<CatalogRow<O>, NO>& ops, const std::array<CatalogRow<I>, NI>& invariants) {
    for (const auto& v : variants) {
        info.variants.push_back({std::string(v.name), std::string(v.help), std::string(v.caught_by)});
    }
    for (const auto& o : ops) info.ops.emplace_back(std::string(o.name), std::string(o.help));
    for (const auto& i : invariants) info.invariants.push_back({std::string(i.name), std::string(i.help)});
}

}  // namespace threadmill
