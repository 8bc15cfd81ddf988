// Operation histories: status names and the concurrency of a history.
#include "check/history.hpp"

#include <algorithm>
#include <utility>

namespace threadmill {

std::string_view to_string(OpStatus s) {
    switch (s) {
        case OpStatus::ok: return "ok";
        case OpStatus::info: return "info";
    }
    return "?";
}

std::optional<OpStatus> parse_op_status(std::string_view name) {
    if (name == "ok") return OpStatus::ok;
    if (name == "info") return OpStatus::info;
    return std::nullopt;
}

std::size_t max_concurrency(const History& history) {
    // (time, +1 for a call / -1 for a return); at equal times calls sort first.
    std::vector<std::pair<std::int64_t, int>> events;
    events.reserve(history.size() * 2);
    for (const Operation& op : history) {
        events.emplace_back(op.call, 0);
        if (!op.is_info()) events.emplace_back(op.ret, 1);
    }
    std::sort(events.begin(), events.end());
    std::size_t open = 0;
    std::size_t most = 0;
    for (const auto& [time, kind] : events) {
        if (kind == 0) {
            most = std::max(most, ++open);
        } else {
            --open;
        }
    }
    return most;
}

}  // namespace threadmill
