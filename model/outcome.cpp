// Job outcomes: the table of model/outcomes.def and the rule that gives a job its outcome.
#include "model/outcome.hpp"


namespace threadmill {
namespace {

constexpr OutcomeInfo k_outcomes[] = {
#define TM_OUTCOME(name, word, label, colour, fails_gate, help) \
    {Outcome::name, #name, word, label, colour, fails_gate, help},
#include "model/outcomes.def"
#undef TM_OUTCOME
};

static_assert(std::size(k_outcomes) == k_outcome_count);
constexpr bool rows_in_enum_order() {
    for (std::size_t i = 0; i < std::size(k_outcomes); ++i) {
        if (static_cast<std::size_t>(k_outcomes[i].outcome) != i) return false;
    }
    return true;
}
static_assert(rows_in_enum_order());

}  // namespace

std::span<const OutcomeInfo> all_outcomes() { return k_outcomes; }

const OutcomeInfo& info(Outcome o) { return k_outcomes[static_cast<std::size_t>(o)]; }

std::optional<Outcome> parse_outcome(std::string_view name) {
    for (const auto& row : k_outcomes) {
        if (row.name == name) return row.outcome;
    }
    return std::nullopt;
}

Outcome outcome_of(const JobResult& job) {
    switch (job.verdict) {
        case Verdict::error: return Outcome::error;
        case Verdict::pass: return job.expectation_met ? Outcome::ok : Outcome::missed;
        case Verdict::fail: return job.expectation_met ? Outcome::caught : Outcome::unexpected;
    }
    return Outcome::error;
}

}  // namespace threadmill
