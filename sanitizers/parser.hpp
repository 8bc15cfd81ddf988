// The sanitizer report parser: TSan/ASan/LSan/UBSan output into findings (plain data).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "model/finding.hpp"

namespace threadmill {

/// Which frames are the code under test: every frame except threadmill's own runtime, the standard library
/// (libstdc++, libc++, glibc, the compiler's own headers) and the sanitizer runtimes. Installed libraries
/// (`/usr/include/tbb/...`, `/usr/local/include/...`, a project's third-party folder) are the user's.
struct FrameFilter {
    /// A frame whose file (or, without a file, module) contains one of these is threadmill's own: the harness's
    /// folders under the source tree it was built from. A caller may add more (a folder to fold away).
    std::vector<std::string> non_user = {TM_SOURCE_DIR "/api/",     TM_SOURCE_DIR "/model/",
                                         TM_SOURCE_DIR "/scenario/", TM_SOURCE_DIR "/worker/",
                                         TM_SOURCE_DIR "/driver/",  TM_SOURCE_DIR "/sanitizers/",
                                         TM_SOURCE_DIR "/reports/", TM_SOURCE_DIR "/cli/",
                                         TM_SOURCE_DIR "/worker_main/", TM_SOURCE_DIR "/check/"};
    /// False for a frame with neither function nor file, a sanitizer runtime or interceptor frame, a
    /// standard-library frame (see `is_standard_library_frame`) and a frame matching `non_user`.
    bool is_user(const Frame& f) const;
};

/// Splits sanitizer output (a log_path file, or a worker's stderr) into findings, in order.
/// Text between reports is ignored; a report the parser does not understand becomes one
/// `unrecognized` finding holding its raw text.
std::vector<Finding> parse_sanitizer_output(std::string_view text, const FrameFilter& filter = {});

/// The suppression tables found in sanitizer output.
std::vector<SuppressionUse> parse_suppression_uses(std::string_view text);

}  // namespace threadmill
