// Detections: what caught a job (invariants, exceptions, lockstep outcomes, sanitizer findings, latency budgets),
// from what the worker measured and the supervisor saw.
#pragma once

#include "model/result.hpp"
#include "model/scenario.hpp"

namespace threadmill {

/// Turns a measurement's broken invariants and operation exceptions into detections.
void detect_from_measurement(JobResult& job);

/// Lockstep: grades every result the worker counted against the scenario's `[[outcome]]` entries
/// (the first entry that matches; none: forbidden) into JobResult::outcomes, most frequent first,
/// then the scenario's exact entries (no `*`) never seen, with count 0. Each forbidden result seen
/// is an `outcome` detection; results the worker could not count, or counts that do not add up to its
/// rounds, are an `error`.
void grade_outcomes(JobResult& job, const Scenario& scenario);

/// Turns a job's findings into detections (one per distinct fingerprint).
void detect_from_findings(JobResult& job);

/// Judges the [slo] budgets of a job whose flavor judges latency, against `baseline` (the
/// safe variant's measurement of the same scenario, seed and flavor) for relative budgets;
/// adds `slo` detections (and `error` when a budget cannot be judged).
void judge_budgets(JobResult& job, const Scenario& scenario, const Measurement* baseline, bool job_is_safe);

}  // namespace threadmill
