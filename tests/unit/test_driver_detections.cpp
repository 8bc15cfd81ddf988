// Tests of driver/detections: lockstep results graded against a scenario's [[outcome]] entries.
#include "driver/detections.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "driver/verdict.hpp"
#include "model/outcome.hpp"

namespace threadmill {
namespace {

Scenario lockstep(std::vector<OutcomeRule> rules) {
    Scenario s;
    s.name = "litmus";
    s.sync.mode = SyncMode::lockstep;
    s.outcomes = std::move(rules);
    return s;
}

JobResult job_with(std::vector<ObservedResult> results, std::uint64_t uncounted = 0) {
    JobResult j;
    j.measurement = Measurement{};
    for (const auto& r : results) j.measurement->rounds += r.count;
    j.measurement->rounds += uncounted;
    j.measurement->outcomes = std::move(results);
    j.measurement->outcomes_uncounted = uncounted;
    return j;
}

const GradedOutcome* row(const JobResult& j, const std::string& result) {
    for (const auto& o : j.outcomes) {
        if (o.result == result) return &o;
    }
    return nullptr;
}

std::vector<std::string> mechanisms(const JobResult& j) {
    std::vector<std::string> out;
    for (const auto& d : j.detections) out.push_back(d.mechanism);
    return out;
}

TEST(GradeOutcomes, AResultNoEntryMatchesIsForbiddenAndCaughtByOutcome) {
    const Scenario s = lockstep({{"2", OutcomeGrade::acceptable, "both visible", {}}});
    JobResult j = job_with({{"2", 90}, {"1", 10}});
    grade_outcomes(j, s);
    ASSERT_EQ(j.outcomes.size(), 2u);
    EXPECT_EQ(j.outcomes[0].result, "2");  // most frequent first
    EXPECT_EQ(j.outcomes[0].grade, OutcomeGrade::acceptable);
    EXPECT_EQ(j.outcomes[0].desc, "both visible");
    EXPECT_DOUBLE_EQ(j.outcomes[0].frequency, 0.9);
    EXPECT_EQ(j.outcomes[1].grade, OutcomeGrade::forbidden);
    EXPECT_EQ(j.outcomes[1].desc, "matches no [[outcome]] entry");
    EXPECT_DOUBLE_EQ(j.outcomes[1].frequency, 0.1);
    ASSERT_EQ(mechanisms(j), std::vector<std::string>{"outcome"});
    EXPECT_EQ(j.detections[0].detail, "forbidden result '1' in 10 of 100 rounds (10.0%): matches no [[outcome]] entry");
}

TEST(GradeOutcomes, TheFirstMatchingEntryWinsAndStarMatchesAnyRun) {
    const Scenario s = lockstep({{"1, *", OutcomeGrade::interesting, "first seen 1", {}},
                                 {"*, 1", OutcomeGrade::forbidden, "second is 1", {}},
                                 {"*", OutcomeGrade::acceptable, "the rest", {}}});
    JobResult j = job_with({{"1, 1", 5}, {"0, 1", 3}, {"0, 0", 2}, {"10, 1", 1}});
    grade_outcomes(j, s);
    EXPECT_EQ(row(j, "1, 1")->grade, OutcomeGrade::interesting);  // also matches "*, 1", but later
    EXPECT_EQ(row(j, "0, 1")->grade, OutcomeGrade::forbidden);
    EXPECT_EQ(row(j, "10, 1")->grade, OutcomeGrade::forbidden);  // "1, *" does not match "10, 1"
    EXPECT_EQ(row(j, "0, 0")->grade, OutcomeGrade::acceptable);
    EXPECT_EQ(row(j, "0, 0")->desc, "the rest");
    EXPECT_EQ(j.outcomes.size(), 4u);  // patterns with '*' add no unseen rows
    EXPECT_EQ(mechanisms(j), (std::vector<std::string>{"outcome", "outcome"}));  // one per forbidden result seen
}

TEST(GradeOutcomes, ExactEntriesNeverSeenAreListedWithCountZeroAndCatchNothing) {
    const Scenario s = lockstep({{"2", OutcomeGrade::acceptable, "both", {}},
                                 {"1", OutcomeGrade::forbidden, "lost one", {}},
                                 {"3", OutcomeGrade::interesting, "", {}}});
    JobResult j = job_with({{"2", 40}});
    grade_outcomes(j, s);
    ASSERT_EQ(j.outcomes.size(), 3u);
    EXPECT_EQ(j.outcomes[1].result, "1");
    EXPECT_EQ(j.outcomes[1].count, 0u);
    EXPECT_EQ(j.outcomes[1].grade, OutcomeGrade::forbidden);
    EXPECT_EQ(j.outcomes[2].result, "3");
    EXPECT_TRUE(j.detections.empty());
}

TEST(GradeOutcomes, InterestingIsReportedButNeverAFailure) {
    const Scenario s = lockstep({{"1, 1", OutcomeGrade::acceptable, "", {}}, {"0, 1", OutcomeGrade::interesting, "rare", {}}});
    JobResult j = job_with({{"1, 1", 7}, {"0, 1", 3}});
    grade_outcomes(j, s);
    EXPECT_EQ(row(j, "0, 1")->grade, OutcomeGrade::interesting);
    EXPECT_TRUE(j.detections.empty());
    grade(j, Expectation{{"pass"}, {}});
    EXPECT_EQ(outcome_of(j), Outcome::ok);
}

TEST(GradeOutcomes, AForbiddenResultMakesASafeVariantUnexpectedAndCatchesAMutant) {
    const Scenario s = lockstep({{"2", OutcomeGrade::acceptable, "", {}}});
    JobResult safe = job_with({{"2", 99}, {"1", 1}});
    grade_outcomes(safe, s);
    grade(safe, Expectation{{"pass"}, {}});
    EXPECT_EQ(outcome_of(safe), Outcome::unexpected);
    JobResult mutant = job_with({{"2", 99}, {"1", 1}});
    grade_outcomes(mutant, s);
    grade(mutant, Expectation{{"outcome"}, {}});
    EXPECT_EQ(outcome_of(mutant), Outcome::caught);
    JobResult missed = job_with({{"2", 100}});
    grade_outcomes(missed, s);
    grade(missed, Expectation{{"outcome"}, {}});
    EXPECT_EQ(outcome_of(missed), Outcome::missed);
}

TEST(GradeOutcomes, UncountedResultsAreAnErrorAndOtherModesAreLeftAlone) {
    const Scenario s = lockstep({{"*", OutcomeGrade::acceptable, "", {}}});
    JobResult j = job_with({{"1", 5}}, 3);
    grade_outcomes(j, s);
    EXPECT_EQ(mechanisms(j), std::vector<std::string>{"error"});
    EXPECT_DOUBLE_EQ(j.outcomes[0].frequency, 5.0 / 8.0);

    Scenario rounds = s;
    rounds.sync.mode = SyncMode::rounds;
    JobResult r = job_with({{"1", 5}});
    grade_outcomes(r, rounds);
    EXPECT_TRUE(r.outcomes.empty());
    EXPECT_TRUE(r.detections.empty());
    JobResult silent = job_with({});  // rounds run, no result counted: a worker that does not know lockstep
    silent.measurement->rounds = 50;
    grade_outcomes(silent, s);
    EXPECT_EQ(mechanisms(silent), std::vector<std::string>{"error"});
    JobResult crashed;  // no measurement: nothing to grade
    grade_outcomes(crashed, s);
    EXPECT_TRUE(crashed.outcomes.empty());
}

}  // namespace
}  // namespace threadmill
