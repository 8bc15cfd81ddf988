// Unit tests of model/mechanism: in which flavors each [expect] word can be met.
#include "model/mechanism.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "model/flavor.hpp"

namespace threadmill {
namespace {

/// The flavors in which `word` can be met, by name.
std::vector<std::string> where(const std::string& word) {
    std::vector<std::string> out;
    for (const auto& row : all_flavors()) {
        if (detectable_in(word, row.flavor)) out.emplace_back(row.name);
    }
    return out;
}

using Names = std::vector<std::string>;

TEST(Mechanism, EveryWordCanBeMetInSomeFlavor) {
    for (const auto& m : mechanisms()) {
        std::string word(m.name);
        if (const auto open = word.find('<'); open != std::string::npos) word = word.substr(0, open) + "x";
        if (word == "memory:x") word = "memory:heap-use-after-free";
        EXPECT_FALSE(where(word).empty()) << word << " can be met in no flavor";
    }
}

TEST(Mechanism, SanitizerWordsNeedTheirToolAndBudgetsNeedLatency) {
    const Names every = flavor_names();
    EXPECT_EQ(where("pass"), every);
    EXPECT_EQ(where("any"), every);
    EXPECT_EQ(where("invariant:held"), every);
    EXPECT_EQ(where("crash"), every);
    EXPECT_EQ(where("deadlock"), every);  // a hang meets it anywhere
    EXPECT_EQ(where("race"), Names{"tsan"});
    EXPECT_EQ(where("mutex-misuse"), Names{"tsan"});
    EXPECT_EQ(where("memory"), Names{"asan"});
    EXPECT_EQ(where("memory:double-free"), Names{"asan"});
    EXPECT_EQ(where("leak"), Names{"asan"});
    EXPECT_EQ(where("ub:signed-integer-overflow"), Names{"asan"});
    EXPECT_EQ(where("unrecognized"), (Names{"tsan", "asan"}));
    EXPECT_EQ(where("slo"), Names{"plain"});
}

TEST(Mechanism, NeverMetSaysWhereEachWordCouldBe) {
    EXPECT_EQ(never_met_in({"race", "invariant"}, Flavor::plain), std::nullopt);
    EXPECT_EQ(never_met_in({"race", "slo"}, Flavor::asan),
              std::optional<std::string>("'race' is detected only in tsan; 'slo' is detected only in plain"));
}

}  // namespace
}  // namespace threadmill
