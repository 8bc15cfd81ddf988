// Where an installed threadmill keeps its files, found from the driver executable's own folder.
#pragma once

#include <filesystem>
#include <string_view>

#include "sanitizers/parser.hpp"

namespace threadmill {

/// The folders of an install (`cmake --install`, the .deb) whose driver is <prefix>/bin/threadmill. Every path is
/// derived from the driver's folder, so an install moved or extracted elsewhere (`dpkg -x pkg.deb root`) works.
struct InstallLayout {
    std::filesystem::path sanitizers;  ///< <prefix>/share/threadmill/sanitizers: the suppression files
    std::filesystem::path scenarios;   ///< <prefix>/share/threadmill/scenarios: the built-in scenarios
    std::filesystem::path headers;     ///< <prefix>/include/threadmill: the target API a user's worker includes
};

/// The layout of an install whose driver lies in `driver_dir`, given the install's relative paths from its bin
/// folder to share/threadmill ("../share/threadmill") and to the headers ("../include/threadmill"). Lexically
/// normal; says nothing of whether the folders exist.
InstallLayout install_layout(const std::filesystem::path& driver_dir, std::string_view share_from_bin,
                             std::string_view headers_from_bin);

/// The default frame filter (threadmill's folders in the source tree it was built from) plus, when `headers` is
/// not empty, that folder of installed headers: a frame in <prefix>/include/threadmill/api/... is threadmill's own,
/// not the user's, though the user's worker compiled it.
FrameFilter frame_filter_with_headers(const std::filesystem::path& headers);

}  // namespace threadmill
