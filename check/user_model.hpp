// A target's own sequential model (api's SequentialModel) as a check/ Model: states interned by
// their JSON text as dense ids, transitions remembered, ops partitioned by key when it says so.
#pragma once

#include <memory>

#include "api/target.hpp"
#include "check/models.hpp"

namespace threadmill {

/// The checker's Model for `model`, which must outlive it. Its start() offers every op of a
/// partition once to the model's step in the initial state, so that an op whose shape the model
/// refuses (its step throws) is a ModelError before the search; a step that throws later, in
/// another state, is a ModelError out of check_linearizability. A state the step returns that is
/// not JSON is a ModelError too.
std::unique_ptr<Model> make_user_model(const SequentialModel& model);

}  // namespace threadmill
