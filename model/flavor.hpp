// Flavors: the builds a job can run in (plain, tsan, asan), as one table (model/flavors.def).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace threadmill {

enum class Flavor {
#define TM_FLAVOR(name, flags, help) name,
#include "model/flavors.def"
#undef TM_FLAVOR
};

/// One row of the flavor table.
struct FlavorInfo {
    Flavor flavor;
    std::string_view name;   ///< as scenarios, the command line and results.jsonl write it
    std::string_view flags;  ///< extra compiler and linker flags of its worker ("" for plain)
    std::string_view help;
};

/// Every flavor, in table order (the first is the default of a scenario that names none).
std::span<const FlavorInfo> all_flavors();
const FlavorInfo& info(Flavor f);
std::optional<Flavor> parse_flavor(std::string_view name);
/// The names of every flavor, in table order (for validation and "did you mean").
std::vector<std::string> flavor_names();

/// The flavor of a name already validated (a loaded scenario, a planned job). Throws
/// std::logic_error on an unknown name: that is a bug of the caller, not of the user.
Flavor flavor_of(std::string_view name);

/// The worker executable of a flavor: threadmill-worker for the flavor without extra flags,
/// threadmill-worker-<name> for the others (CMakeLists.txt builds them under these names).
std::string worker_executable(Flavor f);

/// Whether jobs of this flavor measure latency that `[slo]` budgets may judge (only an
/// uninstrumented build does).
bool judges_latency(Flavor f);

/// The sanitizer runtimes a flavor's worker carries, by the short name that names their
/// suppression file (`<name>.supp`) and their `[sanitizers]` key: "tsan", "asan", "ubsan", "lsan".
struct Runtime {
    std::string_view name;
    std::string_view tool;         ///< as the runtime names itself: "ThreadSanitizer", ...
};
std::span<const Runtime> runtimes(Flavor f);

/// Every runtime of every flavor, each once, in table order.
std::vector<Runtime> all_runtimes();

}  // namespace threadmill
