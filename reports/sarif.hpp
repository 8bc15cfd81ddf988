// The SARIF 2.1.0 report: the run's distinct sanitizer bugs, for code scanning.
#pragma once

#include <string>
#include <string_view>

#include "reports/reporter.hpp"

namespace threadmill {

/// The partialFingerprints key under which each result carries its bug's identifier (`bug_id()`: the kind
/// family, the user file's base name and the function, hashed), so that code scanning counts the same bug
/// once across runs, wherever the tree is checked out and however its lines move.
inline constexpr std::string_view k_sarif_fingerprint_key = "threadmillBug/v1";

/// A SARIF 2.1.0 log with one run: one rule per finding kind seen (id = the kind's name, such as
/// "data-race"), one result per distinct bug (model/bugs.hpp: a kind family at a place in the user's
/// code; its rule is its first report's kind) located at its first user frame,
/// relative to `settings.source_root` (uriBaseId SRCROOT) when the file lies under it, else as
/// an absolute file:// URI. A data race has a code flow with one thread flow per access; a
/// lock-order inversion one thread flow per thread of the cycle. Each result's properties list
/// its kinds, its full fingerprints and the jobs (scenario, variant, flavor, seed, replay) that reported it; the invocation carries
/// the run's command line, build and seeds. Deterministic for the same input.
std::string render_sarif(const ReportInput& input);

}  // namespace threadmill
