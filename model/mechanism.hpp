// Detection mechanisms: the words an `[expect]` entry may use, and how a detection matches one.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/target.hpp"

namespace threadmill {

/// Every mechanism name an `[expect]` entry may use, with what it means (for docs and --help).
struct MechanismInfo {
    std::string_view name;
    std::string_view meaning;
};
const std::vector<MechanismInfo>& mechanisms();

/// The AddressSanitizer error kinds `memory:<kind>` may name: the names of every finding kind whose
/// mechanism is memory:<kind>, in table order (model/finding_kinds.def).
const std::vector<std::string>& memory_kinds();

/// Checks one `[expect]` word against the mechanisms and the target's invariants: nullopt when
/// valid, else the error message (with a "did you mean" where a name is close).
std::optional<std::string> check_mechanism(std::string_view word, const TargetInfo& target);

/// Does detection `mechanism` (e.g. `invariant:exactly_once`) satisfy expectation word `word`
/// (e.g. `invariant` or `invariant:exactly_once`)?
bool mechanism_matches(std::string_view word, std::string_view mechanism);

}  // namespace threadmill
