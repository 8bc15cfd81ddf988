// Tests of the outcome table and rule (model/outcome.cpp): the words a job ends in.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "model/outcome.hpp"

namespace threadmill {
namespace {

JobResult graded(Verdict verdict, bool met, std::vector<std::string> expected) {
    JobResult j;
    j.verdict = verdict;
    j.expectation_met = met;
    j.expected = std::move(expected);
    if (verdict != Verdict::pass) j.detections = {{verdict == Verdict::error ? "error" : "crash", ""}};
    return j;
}

TEST(ModelOutcome, EachJobEndsInOneWord) {
    EXPECT_EQ(outcome_of(graded(Verdict::pass, true, {"pass"})), Outcome::ok);
    EXPECT_EQ(outcome_of(graded(Verdict::fail, true, {"crash"})), Outcome::caught);
    EXPECT_EQ(outcome_of(graded(Verdict::pass, false, {"crash"})), Outcome::missed);
    EXPECT_EQ(outcome_of(graded(Verdict::fail, false, {"pass"})), Outcome::unexpected);     // a safe variant caught
    EXPECT_EQ(outcome_of(graded(Verdict::fail, false, {"timeout"})), Outcome::unexpected);  // caught by another
    EXPECT_EQ(outcome_of(graded(Verdict::error, false, {"pass"})), Outcome::error);
    // Not gated (expect = "any"): whatever happened meets the expectation.
    EXPECT_EQ(outcome_of(graded(Verdict::pass, true, {"any"})), Outcome::ok);
    EXPECT_EQ(outcome_of(graded(Verdict::fail, true, {"any"})), Outcome::caught);
}

TEST(ModelOutcome, TheTableSaysWhatFailsTheGate) {
    std::set<std::string> failing;
    for (const auto& o : all_outcomes()) {
        if (o.fails_gate) failing.insert(std::string(o.word));
        EXPECT_EQ(parse_outcome(o.name), o.outcome);
        EXPECT_EQ(&info(o.outcome), &o);
        EXPECT_TRUE(o.colour == "green" || o.colour == "red") << o.name;
        EXPECT_EQ(o.colour == "red", o.fails_gate) << o.name;
    }
    EXPECT_EQ(failing, (std::set<std::string>{"MISSED", "UNEXPECTED", "ERROR"}));
    EXPECT_EQ(info(Outcome::caught).label, "caught (expected)");
    EXPECT_FALSE(parse_outcome("FAIL"));
    EXPECT_TRUE(is_miss(graded(Verdict::pass, false, {"race"})));
    EXPECT_FALSE(is_miss(graded(Verdict::fail, true, {"race"})));
}

}  // namespace
}  // namespace threadmill
