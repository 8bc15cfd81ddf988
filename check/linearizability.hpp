// The linearizability checker: Wing and Gong's search with Lowe's memoization, per partition,
// bounded in time and memory, with a diagnosis of the first partition that fails.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "check/history.hpp"
#include "check/models.hpp"

namespace threadmill {

/// What the checker concluded.
enum class LinVerdict {
    linearizable,      ///< every partition has a legal sequential order consistent with real time
    not_linearizable,  ///< some partition has none (that partition is reported)
    unknown,           ///< the time or memory limit ran out first
};

/// "linearizable", "not linearizable", "unknown".
std::string_view to_string(LinVerdict v);

/// The verdict whose to_string() is `words`, or nullopt.
std::optional<LinVerdict> verdict_named(std::string_view words);

/// check-history's exit status for a verdict: 0, 1, or 4 for unknown. The command line and the
/// plain worker's check mode (`threadmill-worker --check-history`) exit with it, and the driver
/// reads the worker's exit by it.
constexpr int check_exit_status(LinVerdict v) {
    switch (v) {
        case LinVerdict::linearizable: return 0;
        case LinVerdict::not_linearizable: return 1;
        case LinVerdict::unknown: return 4;
    }
    return 3;
}
/// check-history's exit status for a history that cannot be read or does not fit the model.
inline constexpr int k_check_exit_rejected = 2;

/// Why a check gave `unknown`.
enum class UnknownReason { none, time_limit, memory_limit };

/// "none", "time limit", "memory limit".
std::string_view to_string(UnknownReason r);

/// Limits of one check. Neither limit can make the checker wrong: running out gives `unknown`.
struct CheckOptions {
    /// For the whole check (every partition), measured from the call. The clock is read every
    /// few thousand search steps, so the check returns shortly after it, not exactly at it.
    std::chrono::nanoseconds time_limit = std::chrono::seconds(10);
    /// For the diagnosis of a failing partition, which starts once the check has failed; zero
    /// skips the diagnosis.
    std::chrono::nanoseconds diagnosis_time_limit = std::chrono::seconds(5);
    /// Bytes the search of one partition may hold: memo table, stack and the model's
    /// interned states. Reaching it gives `unknown`. The memo table never grows past it; the
    /// model's states are counted at each clock read, so they may pass it by what they added
    /// since (at most one doubling of their tables).
    std::size_t memory_limit_bytes = std::size_t{512} << 20;
    /// The read-only rule (check/linearizability.cpp): off only to measure what it saves; the
    /// verdict is the same either way.
    bool read_only_rule = true;
};

/// The outcome of a check. Plain data: op numbers are indices into the checked history.
struct LinResult {
    LinVerdict verdict = LinVerdict::linearizable;
    UnknownReason unknown_reason = UnknownReason::none;  ///< set when verdict is unknown

    /// The partition that failed (not_linearizable) or that ran out of a limit first
    /// (unknown); unset when linearizable.
    std::optional<std::string> key;          ///< its key (nullopt: the ops without a key)
    std::vector<std::size_t> partition_ops;  ///< its ops, ascending

    /// The diagnosis of a failing partition (not_linearizable only, when diagnosis_time_limit
    /// > 0), computed after the check failed: the longest sequence of its ops found that is
    /// legal and consistent with real time, and the ok ops that had to come next (each was
    /// called before the earliest return of any op outside the prefix) and cannot follow it.
    bool diagnosed = false;                   ///< the diagnosis ran
    bool diagnosis_complete = false;          ///< it finished; false: the best found before its time or memory ran out
    std::vector<std::size_t> longest_prefix;  ///< in linearization order (may include info ops)
    std::string initial_state;                ///< the model's state before the prefix
    std::vector<std::string> prefix_states;   ///< the state after each op of longest_prefix
    std::vector<std::size_t> unplaced;        ///< ascending by call time

    std::size_t partitions = 0;           ///< how many partitions the history has
    std::size_t partitions_decided = 0;   ///< partitions found linearizable or not within the limits
    std::uint64_t steps = 0;              ///< search steps over all partitions (not the diagnosis)
    std::size_t peak_memo_entries = 0;    ///< the largest memo table of any partition
    std::size_t peak_memory_bytes = 0;    ///< the most bytes any one partition's search held
};

/// Checks that `history` is linearizable with respect to `model` (Herlihy and Wing,
/// "Linearizability: a correctness condition for concurrent objects", TOPLAS 1990), one
/// partition of model.partition() at a time, in order, stopping at the first that is not. An
/// `info` op may take effect at any point after its call, or never. Returns within about the time
/// limit (plus the diagnosis limit after a failure) and never holds more than about the
/// memory limit per partition. Throws ModelError when an op does not fit the model, and
/// std::invalid_argument for an ok op that returns before its call.
LinResult check_linearizability(const History& history, const Model& model, const CheckOptions& options = {});

}  // namespace threadmill

/// Formats a LinVerdict as its words.
template <>
struct fmt::formatter<threadmill::LinVerdict> : fmt::formatter<std::string_view> {
    auto format(threadmill::LinVerdict v, fmt::format_context& ctx) const {
        return fmt::formatter<std::string_view>::format(threadmill::to_string(v), ctx);
    }
};

/// Formats an UnknownReason as its words.
template <>
struct fmt::formatter<threadmill::UnknownReason> : fmt::formatter<std::string_view> {
    auto format(threadmill::UnknownReason r, fmt::format_context& ctx) const {
        return fmt::formatter<std::string_view>::format(threadmill::to_string(r), ctx);
    }
};
