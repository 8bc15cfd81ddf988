// Tests of model/finding_kinds and model/mechanism together: every finding kind's mechanism is a
// word `[expect]` accepts, so a row that brings a new mechanism also documents it.
#include <gtest/gtest.h>

#include "model/finding_kinds.hpp"
#include "model/mechanism.hpp"

using namespace threadmill;

TEST(FindingKinds, EveryMechanismIsAnExpectWord) {
    TargetInfo target;
    target.name = "any";
    for (const auto& row : all_finding_kinds()) {
        // A kind whose kind_name comes from the report itself takes the first name its tool gives it.
        const auto names = report_names(row);
        const std::string check = names.empty() ? "signed-integer-overflow" : std::string(names.front());
        const std::string kind_name = kind_name_of(row.kind, check);
        const std::string mechanism = fill_in(row.mechanism, kind_name, check);
        EXPECT_FALSE(check_mechanism(mechanism, target).has_value())
            << "finding kind " << row.name << " is caught by '" << mechanism
            << "', which [expect] does not accept: add it to mechanisms() in model/mechanism.cpp";
    }
}

TEST(FindingKinds, JsonNamesRoundTrip) {
    for (const auto& row : all_finding_kinds()) {
        const auto parsed = parse_finding_kind(to_string(row.kind));
        ASSERT_TRUE(parsed.has_value()) << row.name;
        EXPECT_EQ(*parsed, row.kind);
    }
    EXPECT_FALSE(parse_finding_kind("no_such_kind").has_value());
}
