// Asking a worker executable which targets it holds (`threadmill-worker --describe`).
#pragma once

#include <string>

#include "api/target.hpp"

namespace threadmill {

/// Runs `<worker> --describe` and parses its catalog. Throws std::runtime_error naming the
/// worker when it cannot be run or its answer is not a catalog.
Catalog describe_worker(const std::string& worker);
}  // namespace threadmill
