// Tests of api/target.cpp's Registry::add: which target declarations it accepts.
#include "api/target.hpp"

#include <gtest/gtest.h>

#include <memory>

namespace threadmill {
namespace {

TargetSpec spec_with(std::vector<VariantSpec> variants) {
    TargetSpec s;
    s.info.name = "t";
    s.info.variants = std::move(variants);
    s.info.ops = {{"op", "does nothing"}};
    s.create = [](const TargetConfig&) -> std::unique_ptr<TargetInstance> { return nullptr; };
    return s;
}

TEST(Registry, ATargetMayDeclareOnlyMutantsOrLeadWithOne) {
    Registry only_mutant;
    EXPECT_TRUE(only_mutant.add(spec_with({{"buggy", "the code under test", "race"}})));
    ASSERT_NE(only_mutant.find("t"), nullptr);
    EXPECT_FALSE(only_mutant.find("t")->info.variants.front().is_safe());

    Registry mutant_first;
    EXPECT_TRUE(mutant_first.add(spec_with({{"buggy", "before the fix", "race"}, {"fixed", "after it", ""}})));
    EXPECT_EQ(mutant_first.catalog().targets.at(0).variants.size(), 2u);
}

TEST(RegistryDeathTest, ATargetWithoutVariantsIsRefused) {
    Registry r;
    EXPECT_DEATH(r.add(spec_with({})), "target 't' declares no variant");
}

}  // namespace
}  // namespace threadmill
