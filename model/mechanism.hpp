// Detection mechanisms: the words an `[expect]` entry may use, and how a detection matches one.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/target.hpp"
#include "model/flavor.hpp"

namespace threadmill {

/// What produces the detections a mechanism word matches, and so in which flavors it can be met.
enum class MechanismOrigin {
    verdict,  ///< `pass`, `any`: about the verdict, not a detection; every flavor
    harness,  ///< the driver's own detections (invariants, exceptions, lockstep outcomes, crashes, hangs); every flavor
    latency,  ///< `[slo]` budgets: only flavors that judge latency (judges_latency)
    finding,  ///< a sanitizer finding: only flavors whose runtimes include the tool of its finding
              ///< kind (the tool column of model/finding_kinds.def)
};

/// Every mechanism name an `[expect]` entry may use, with what it means (for docs and --help).
struct MechanismInfo {
    std::string_view name;
    std::string_view meaning;
    MechanismOrigin origin;
};
const std::vector<MechanismInfo>& mechanisms();

/// The AddressSanitizer error kinds `memory:<kind>` may name: the names of every finding kind whose
/// mechanism is memory:<kind>, in table order (model/finding_kinds.def).
const std::vector<std::string>& memory_kinds();

/// Checks one `[expect]` word against the mechanisms and the target's invariants: nullopt when
/// valid, else the error message (with a "did you mean" where a name is close).
std::optional<std::string> check_mechanism(std::string_view word, const TargetInfo& target);

/// Whether a job of flavor `f` can ever produce a detection that expectation word `word` (a valid
/// one, see check_mechanism) accepts; always true for `pass` and `any`. `deadlock` counts as
/// detectable everywhere, since a hang (`timeout`) meets it.
bool detectable_in(std::string_view word, Flavor f);

/// Why an expectation made of `words` can never be met by a job of flavor `f`, such as
/// "'race' is detected only in tsan", or nullopt when at least one word can be met there.
std::optional<std::string> never_met_in(const std::vector<std::string>& words, Flavor f);

/// Does detection `mechanism` (e.g. `invariant:exactly_once`) satisfy expectation word `word`
/// (e.g. `invariant` or `invariant:exactly_once`)?
bool mechanism_matches(std::string_view word, std::string_view mechanism);

}  // namespace threadmill
