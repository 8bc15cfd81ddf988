// Schedule strategies at chaos points, as one table: what `[chaos] strategy` may name, what each
// portfolio slice does, and the names a job's Measurement::schedule records (worker/schedule.hpp
// runs them).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/units.hpp"

namespace threadmill {

enum class Strategy : std::uint8_t { uniform, pct, portfolio, spread, none };

/// One row of the strategy table. The worker reads the flags, so a new kind that only combines
/// existing mechanisms is one row.
struct StrategyInfo {
    Strategy strategy;
    std::string_view name;  ///< as `[chaos] strategy` and Measurement::schedule write it
    bool selectable;        ///< a scenario may name it in `[chaos] strategy`
    bool in_portfolio;      ///< one of the portfolio's slices (in table order before the seeded shuffle)
    bool noise;             ///< its chaos points apply `[chaos] yield` and `delay`
    bool pct;               ///< its chaos points follow PCT priorities
    bool spread;            ///< in a portfolio: threads leave each barrier and the slice's start spread apart
    std::string_view help;
};

inline constexpr StrategyInfo k_strategies[] = {
    {Strategy::uniform, "uniform", true, true, true, false, false,
     "the default: seeded yields and delays at chaos points (yield, delay, delay_probability)"},
    {Strategy::pct, "pct", true, true, true, true, false,
     "PCT: seeded thread priorities, the highest runs, pct_depth - 1 seeded change points (plus yield and delay)"},
    {Strategy::portfolio, "portfolio", true, false, false, false, false,
     "the job's budget in equal slices for uniform, pct, uniform+spread and none, in a seeded order"},
    {Strategy::spread, "uniform+spread", false, true, true, false, true,
     "a portfolio slice: uniform, and threads start start_spread apart (default 50us)"},
    {Strategy::none, "none", false, true, false, false, false, "a portfolio slice: no yields, delays or priorities"},
};

/// How many slices a portfolio has: the rows with `in_portfolio`.
inline constexpr int k_portfolio_slices = 4;
static_assert([] {
    int n = 0;
    for (const auto& row : k_strategies) n += row.in_portfolio ? 1 : 0;
    return n;
}() == k_portfolio_slices);

/// Largest `[chaos] pct_depth` (PCT's bug depth d: d - 1 change points per epoch).
inline constexpr int k_max_pct_depth = 16;
inline constexpr int k_default_pct_depth = 3;
/// The spread of a portfolio's uniform+spread slice when the scenario sets no start_spread.
inline constexpr Nanos k_portfolio_spread = std::chrono::microseconds(50);

inline const StrategyInfo& info(Strategy s) {
    for (const auto& row : k_strategies) {
        if (row.strategy == s) return row;
    }
    return k_strategies[0];  // unreachable: every enumerator has its row
}

inline std::optional<Strategy> parse_strategy(std::string_view name) {
    for (const auto& row : k_strategies) {
        if (row.name == name) return row.strategy;
    }
    return std::nullopt;
}

/// The names a scenario may write in `[chaos] strategy`, in table order.
inline std::vector<std::string> selectable_strategy_names() {
    std::vector<std::string> out;
    for (const auto& row : k_strategies) {
        if (row.selectable) out.emplace_back(row.name);
    }
    return out;
}

}  // namespace threadmill
