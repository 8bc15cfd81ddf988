// Job outcomes: the words a job ends in (ok, caught, MISSED, UNEXPECTED, ERROR), as one table
// (model/outcomes.def), and the one function that decides a job's outcome.
#pragma once

#include <array>
#include <optional>
#include <span>
#include <string_view>

#include "model/result.hpp"

namespace threadmill {

enum class Outcome {
#define TM_OUTCOME(name, word, label, colour, fails_gate, help) name,
#include "model/outcomes.def"
#undef TM_OUTCOME
};

/// One row of the outcome table.
struct OutcomeInfo {
    Outcome outcome;
    std::string_view name;    ///< as JSON and CSS write it: "ok", "caught", "missed", ...
    std::string_view word;    ///< as reports print it: "ok", "caught", "MISSED", "UNEXPECTED", "ERROR"
    std::string_view label;   ///< the word with its qualifier: "caught (expected)"
    std::string_view colour;  ///< what the colour means: "green" (as expected) or "red" (needs a person)
    bool fails_gate;          ///< a job with this outcome makes the run exit 1
    std::string_view help;
};

inline constexpr std::size_t k_outcome_count = 0
#define TM_OUTCOME(name, word, label, colour, fails_gate, help) +1
#include "model/outcomes.def"
#undef TM_OUTCOME
    ;

/// Every outcome, in table order (the order summaries count them in).
std::span<const OutcomeInfo> all_outcomes();
const OutcomeInfo& info(Outcome o);
std::optional<Outcome> parse_outcome(std::string_view name);

/// The outcome of a graded job (verdict, expected, expectation_met): ERROR when the harness
/// could not judge it; else, when the expectation was met, `ok` if nothing was detected and
/// `caught` if something was (this includes a job not gated by `expect = "any"`); else MISSED
/// when nothing was detected (a mutant not caught) and UNEXPECTED when something was (a safe
/// variant with a detection, a mutant caught by another mechanism).
Outcome outcome_of(const JobResult& job);

/// Whether a job needs a person: its outcome fails the gate.
inline bool is_miss(const JobResult& job) { return info(outcome_of(job)).fails_gate; }

/// Jobs counted by outcome, indexed by the enum's value.
using OutcomeCounts = std::array<int, k_outcome_count>;

}  // namespace threadmill
