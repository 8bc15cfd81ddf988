// Output paths: whether a folder can really take a new file, checked before anything runs.
#pragma once

#include <optional>
#include <string>

namespace threadmill {

/// Creates `folder` (and its parents) when missing, then creates and removes a probe file in
/// it: nullopt when a file can be written there, else the reason in words (with the OS error).
/// A permission check alone would pass for root on a read-only or virtual file system.
std::optional<std::string> check_writable_folder(const std::string& folder);

}  // namespace threadmill
