// Operation histories: what each process called, with what, what came back, and when.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace threadmill {

/// How an operation ended.
enum class OpStatus {
    ok,    ///< it returned, and its output is what it returned
    info,  ///< outcome unknown (timeout, crash): it may or may not have taken effect
};

/// "ok" or "info".
std::string_view to_string(OpStatus s);
/// The status named `name`, or nullopt.
std::optional<OpStatus> parse_op_status(std::string_view name);

/// The return time of an `info` operation: it stays open to the end of the history.
inline constexpr std::int64_t k_never_returned = std::numeric_limits<std::int64_t>::max();

/// One operation of a history. Times are on one clock; at equal times a call comes before a
/// return (operations that touch are concurrent).
struct Operation {
    int process = 0;                 ///< who called it; the checker orders by time only
    std::string op;                  ///< operation name as the model knows it: "read", "cas", ...
    std::optional<std::string> key;  ///< the object it acts on; ops on different keys are independent when the model partitions by key
    nlohmann::json input;            ///< null when the operation takes none
    nlohmann::json output;           ///< null for `info` (ignored) and for ops that return nothing
    std::int64_t call = 0;
    std::int64_t ret = 0;            ///< >= call; k_never_returned for `info`
    OpStatus status = OpStatus::ok;
    int source_line = 0;             ///< 1-based line of the JSON Lines file it came from, 0 otherwise

    /// Whether its outcome is unknown.
    bool is_info() const { return status == OpStatus::info; }
};

/// Operations in no particular order (the checker sorts by time).
using History = std::vector<Operation>;

/// The largest number of operations open at one instant (an `info` op stays open to the end),
/// calls counted before returns at equal times. 0 for an empty history.
std::size_t max_concurrency(const History& history);

}  // namespace threadmill

/// Formats an OpStatus as its name.
template <>
struct fmt::formatter<threadmill::OpStatus> : fmt::formatter<std::string_view> {
    auto format(threadmill::OpStatus s, fmt::format_context& ctx) const {
        return fmt::formatter<std::string_view>::format(threadmill::to_string(s), ctx);
    }
};
