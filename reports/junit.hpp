// The JUnit XML report: one testsuite per scenario and one testcase per job, for CI test tabs.
#pragma once

#include <string>
#include <string_view>

#include "reports/reporter.hpp"

namespace threadmill {

/// A `<testsuites>` document (the Jenkins/Surefire JUnit schema, junit-10.xsd): one `<testsuite>`
/// per scenario, in order of first appearance, whose properties carry the seeds, flavors and
/// build; one `<testcase>` per job named "variant · flavor · seed N", classname
/// "target.scenario", time the worker's elapsed seconds. A missed expectation is a `<failure>`
/// (a mutant caught as expected passes); a job whose verdict is `error` is an `<error>`.
/// `<system-out>` holds the replay command, detections and findings; `<system-err>` the worker's
/// log. Every string is escaped for XML 1.0, so any worker output gives a well-formed document.
std::string render_junit(const ReportInput& input);

/// `text` as XML 1.0 character data (or, with `attribute`, an attribute value in double quotes):
/// markup characters escaped, invalid UTF-8 replaced by U+FFFD, and control characters that XML
/// cannot hold written as `\xHH`.
std::string xml_escape(std::string_view text, bool attribute = false);

}  // namespace threadmill
