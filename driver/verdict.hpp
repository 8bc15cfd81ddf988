// Detection mechanisms, expectations and verdicts: how a job's findings become a gate result.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/result.hpp"
#include "model/mechanism.hpp"
#include "model/scenario.hpp"

namespace threadmill {

/// Sets verdict, expected, expectation_met and expectation_detail from the job's detections.
void grade(JobResult& job, const Expectation& expectation);

}  // namespace threadmill
