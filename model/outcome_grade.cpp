// Graded outcomes of lockstep rounds: the grade table and the `*` pattern of [[outcome]] entries.
#include "model/outcome_grade.hpp"

#include <iterator>

namespace threadmill {
namespace {

constexpr OutcomeGradeInfo k_grades[] = {
    {OutcomeGrade::acceptable, "acceptable", "a result the component may give"},
    {OutcomeGrade::interesting, "interesting", "allowed, but worth a look: reported, never a failure"},
    {OutcomeGrade::forbidden, "forbidden",
     "a result the component must never give: seen once, the job is caught by `outcome`"},
};

constexpr bool rows_in_enum_order() {
    for (std::size_t i = 0; i < std::size(k_grades); ++i) {
        if (static_cast<std::size_t>(k_grades[i].grade) != i) return false;
    }
    return true;
}
static_assert(rows_in_enum_order());

}  // namespace

std::span<const OutcomeGradeInfo> all_outcome_grades() { return k_grades; }

std::string_view to_string(OutcomeGrade g) { return k_grades[static_cast<std::size_t>(g)].name; }

std::optional<OutcomeGrade> parse_outcome_grade(std::string_view name) {
    for (const auto& row : k_grades) {
        if (row.name == name) return row.grade;
    }
    return std::nullopt;
}

bool outcome_pattern_matches(std::string_view pattern, std::string_view result) {
    // Greedy glob with one backtrack point: the last `*` seen and where its run ends.
    std::size_t p = 0, r = 0;
    std::size_t star = std::string_view::npos, resume = 0;
    while (r < result.size()) {
        if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            resume = r;
        } else if (p < pattern.size() && pattern[p] == result[r]) {
            ++p;
            ++r;
        } else if (star != std::string_view::npos) {
            p = star + 1;
            r = ++resume;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*') ++p;
    return p == pattern.size();
}

}  // namespace threadmill
