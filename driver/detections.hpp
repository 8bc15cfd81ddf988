// Detections: what caught a job (invariants, exceptions, sanitizer findings, latency budgets),
// from what the worker measured and the supervisor saw.
#pragma once

#include "model/result.hpp"
#include "model/scenario.hpp"

namespace threadmill {

/// Turns a measurement's broken invariants and operation exceptions into detections.
void detect_from_measurement(JobResult& job);

/// Turns a job's findings into detections (one per distinct fingerprint).
void detect_from_findings(JobResult& job);

/// Judges the [slo] budgets of a job whose flavor judges latency, against `baseline` (the
/// safe variant's measurement of the same scenario, seed and flavor) for relative budgets;
/// adds `slo` detections (and `error` when a budget cannot be judged).
void judge_budgets(JobResult& job, const Scenario& scenario, const Measurement* baseline, bool job_is_safe);

}  // namespace threadmill
