// The sanitizer report parser: TSan/ASan/LSan/UBSan output into findings (plain data).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "model/finding.hpp"

namespace threadmill {

/// Which frames are the code under test: not the harness, not the standard library or libc,
/// not a sanitizer runtime or interceptor.
struct FrameFilter {
    /// A frame whose file or module contains one of these is not user code: the harness's own
    /// folders (under the source tree it was built from), the standard library, libc and the
    /// sanitizer runtimes.
    std::vector<std::string> non_user = {
        TM_SOURCE_DIR "/api/", TM_SOURCE_DIR "/model/", TM_SOURCE_DIR "/scenario/", TM_SOURCE_DIR "/worker/",
        TM_SOURCE_DIR "/driver/", TM_SOURCE_DIR "/sanitizers/", TM_SOURCE_DIR "/reports/", TM_SOURCE_DIR "/cli/",
        "/usr/include/", "/usr/lib/", "/lib/x86_64-linux-gnu/", "sanitizer_common", "/tsan/", "/asan/", "/ubsan/",
        "/lsan/", "libstdc++", "libc.so", "libtsan", "libasan", "libubsan", "liblsan", "/bits/", "googletest",
        "gtest"};
    bool is_user(const Frame& f) const;
};

/// Splits sanitizer output (a log_path file, or a worker's stderr) into findings, in order.
/// Text between reports is ignored; a report the parser does not understand becomes one
/// `unrecognized` finding holding its raw text.
std::vector<Finding> parse_sanitizer_output(std::string_view text, const FrameFilter& filter = {});

/// The suppression tables found in sanitizer output.
std::vector<SuppressionUse> parse_suppression_uses(std::string_view text);

}  // namespace threadmill
