// Asking a worker executable which targets it holds and how it was built (`threadmill-worker --describe`).
#pragma once

#include <optional>
#include <string>

#include "api/target.hpp"
#include "model/worker_build.hpp"

namespace threadmill {

/// What a worker says of itself: its catalog and, when threadmill_add_worker() built it, its build.
struct WorkerDescription {
    Catalog catalog;
    std::optional<WorkerBuild> build;
};

/// Runs `<worker> --describe` and parses its answer. Throws std::runtime_error naming the
/// worker when it cannot be run or its answer is not a catalog.
WorkerDescription describe_worker_build(const std::string& worker);
/// describe_worker_build(worker).catalog.
Catalog describe_worker(const std::string& worker);
}  // namespace threadmill
