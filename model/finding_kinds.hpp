// Finding kinds: what a sanitizer finding is about, as one table (model/finding_kinds.def).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace threadmill {

/// What a report is about: one value per row of model/finding_kinds.def, in its order, `unrecognized`
/// last. A `switch` over it has no `default:`, so code that forgets a kind does not compile quietly.
enum class FindingKind {
#define TM_FINDING_KIND(id, tool, kind_name, mechanism, names, flow, level, category, short_description, help) id,
#include "model/finding_kinds.def"
#undef TM_FINDING_KIND
};

/// How a report shows a finding across threads (SARIF code flows).
enum class CodeFlow {
    none,
    accesses,    ///< one flow per access: the thread's stack down to the access
    lock_cycle,  ///< one flow per thread of the cycle: where it took one mutex and then the next
};

/// One row of the finding-kind table. The text columns may hold {kind_name} and {check}, filled in per
/// finding by fill_in() (kind_name itself only {check}).
struct FindingKindInfo {
    FindingKind kind;
    std::string_view name;       ///< the stable JSON name: the enum value's own name
    std::string_view tool;       ///< the runtime that reports it ("ThreadSanitizer", ...), "" when any may
    std::string_view kind_name;  ///< Finding::kind_name, also the SARIF rule id
    std::string_view mechanism;  ///< the `[expect]` mechanism
    std::string_view names;      ///< what its tool calls it, '|'-separated (see the .def file)
    CodeFlow flow;
    std::string_view level;      ///< SARIF level: "error" or "warning"
    std::string_view category;   ///< SARIF tag: concurrency, memory, undefined-behavior, sanitizer
    std::string_view short_description;
    std::string_view help;
};

/// Every kind, in table order.
std::span<const FindingKindInfo> all_finding_kinds();
const FindingKindInfo& info(FindingKind k);

/// The stable JSON name of a kind ("data_race").
std::string_view to_string(FindingKind k);
/// The kind of a stable JSON name; nullopt for any other text.
std::optional<FindingKind> parse_finding_kind(std::string_view name);

/// The patterns of a row's names column, in order, as written.
std::vector<std::string_view> report_names(const FindingKindInfo& row);

/// The first kind, in table order, that `tool` reports under the name `called` (see the names column);
/// nullopt when none matches.
std::optional<FindingKind> kind_called(std::string_view tool, std::string_view called);

/// A text column of the table with {kind_name} and {check} replaced by these values.
std::string fill_in(std::string_view column, std::string_view kind_name, std::string_view check);

/// The kind_name of a finding of kind `k` with check `check` ("data-race", "ub:signed-integer-overflow").
std::string kind_name_of(FindingKind k, std::string_view check);

}  // namespace threadmill
