// A check's result as JSON: what `threadmill check-history --json` prints and the plain worker's
// check mode (`threadmill-worker --check-history`) writes for the driver (docs/check-history.md).
#pragma once

#include <chrono>
#include <string_view>

#include <nlohmann/json.hpp>

#include "check/history.hpp"
#include "check/linearizability.hpp"
#include "check/models.hpp"

namespace threadmill {

/// The result of checking `history` (read from `file`, as it is to be named) against `model`, which
/// took `elapsed`: the fields of docs/check-history.md's `--json` table.
nlohmann::json check_result_json(std::string_view file, const History& history, const Model& model,
                                 const LinResult& result, std::chrono::nanoseconds elapsed);

/// Throws the ModelError of the earliest op (in the history's order) that does not fit `model`, so
/// that a misfit is reported whatever the verdict of the partitions before it.
void check_ops_fit(const History& history, const Model& model);

}  // namespace threadmill
