// The JUnit XML report: one testsuite per scenario and one testcase per job, for CI test tabs.
#pragma once

#include <string>
#include <string_view>

#include "reports/reporter.hpp"

namespace threadmill {

/// A `<testsuites>` document (the Jenkins/Surefire JUnit schema, junit-10.xsd): one `<testsuite>`
/// per scenario, in order of first appearance, whose properties carry the seeds, flavors and
/// build; one `<testcase>` per job named "variant · flavor" (with " #N" for the Nth job of the
/// same variant and flavor in the scenario: more seeds, `--repeat`), so a name is the same in
/// every run of the same command and CI history can follow it; classname "target.scenario",
/// time the worker's elapsed seconds. A job MISSED or UNEXPECTED is a `<failure>` (a mutant
/// caught as expected passes); an ERROR is an `<error>`; a job planned but not run (the run was
/// interrupted) is `<skipped/>`. `<system-out>` holds the seed, the replay command, the outcome,
/// detections and findings; `<system-err>` the worker's log. Every string is escaped for XML 1.0, so any worker output gives a well-formed document.
std::string render_junit(const ReportInput& input);

/// `text` as XML 1.0 character data (or, with `attribute`, an attribute value in double quotes):
/// markup characters escaped, invalid UTF-8 replaced by U+FFFD, and control characters that XML
/// cannot hold written as `\xHH`.
std::string xml_escape(std::string_view text, bool attribute = false);

}  // namespace threadmill
