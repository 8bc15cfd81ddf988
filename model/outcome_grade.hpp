// Graded outcomes of lockstep rounds: the grades a scenario's [[outcome]] entries give a result,
// as one table, and how an entry's pattern matches a result.
#pragma once

#include <optional>
#include <span>
#include <string_view>

namespace threadmill {

/// How a lockstep result is judged (`[[outcome]] grade`).
enum class OutcomeGrade {
    acceptable,   ///< a result the component may give
    interesting,  ///< allowed, but worth a look (reported, never a failure)
    forbidden,    ///< a result the component must never give: the `outcome` mechanism catches it
};

/// One row of the grade table.
struct OutcomeGradeInfo {
    OutcomeGrade grade;
    std::string_view name;  ///< as the scenario, JSON and CSS write it: "acceptable", ...
    std::string_view help;
};

/// Every grade, in table order.
std::span<const OutcomeGradeInfo> all_outcome_grades();
std::string_view to_string(OutcomeGrade g);
std::optional<OutcomeGrade> parse_outcome_grade(std::string_view name);

/// Whether an `[[outcome]] match` pattern matches a result: `*` matches any run of characters
/// (none included); every other character matches only itself. A pattern without `*` is the
/// exact result ("1, 2").
bool outcome_pattern_matches(std::string_view pattern, std::string_view result);

}  // namespace threadmill
