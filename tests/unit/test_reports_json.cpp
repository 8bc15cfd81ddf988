// Tests of the JSON report (reports/json.cpp): the recorded run, whole and unchanged.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "reports/json.hpp"
#include "tests/support/golden.hpp"

namespace threadmill {
namespace {

// The JSON report is the result model itself, so rather than a golden copy of a megabyte of
// histograms, the test reads it back and compares it with the fixture, field for field.
TEST(ReportJson, HoldsTheRunUnchanged) {
    const testing::Fixture f;
    const std::string text = render_json(f.input("out/run.json"));
    ASSERT_FALSE(text.empty());
    EXPECT_EQ(text.back(), '\n');
    const auto doc = nlohmann::json::parse(text);
    EXPECT_EQ(doc.at("context"), nlohmann::json(f.run.context));
    ASSERT_EQ(doc.at("jobs").size(), f.run.jobs.size());
    for (std::size_t i = 0; i < f.run.jobs.size(); ++i) EXPECT_EQ(doc["jobs"][i], nlohmann::json(f.run.jobs[i])) << i;
    const auto& s = doc.at("summary");
    EXPECT_EQ(s.at("ran"), f.summary.ran);
    EXPECT_EQ(s.at("met"), f.summary.met);
    EXPECT_EQ(s.at("missed"), 1);
    EXPECT_EQ(s.at("distinct_bugs"), 2);
    EXPECT_EQ(s.at("results_path"), "out/results.jsonl");
}

TEST(ReportJson, ALockstepJobCarriesItsGradedOutcomes) {
    testing::Fixture f;
    f.run.jobs[4].outcomes = {{"2", 99, 0.99, OutcomeGrade::acceptable, "both"},
                              {"1", 1, 0.01, OutcomeGrade::forbidden, "one lost"}};
    const auto doc = nlohmann::json::parse(render_json(f.input("out/run.json")));
    const auto& outcomes = doc.at("jobs").at(4).at("outcomes");
    ASSERT_EQ(outcomes.size(), 2u);
    EXPECT_EQ(outcomes[1], nlohmann::json::parse(R"({"result":"1","count":1,"frequency":0.01,"grade":"forbidden",)"
                                                 R"("desc":"one lost"})"));
    EXPECT_FALSE(doc.at("jobs").at(3).contains("outcomes"));  // only lockstep jobs have the key
}

TEST(ReportJson, Deterministic) {
    const testing::Fixture f;
    EXPECT_EQ(render_json(f.input("a.json")), render_json(f.input("b.json")));
}

}  // namespace
}  // namespace threadmill
