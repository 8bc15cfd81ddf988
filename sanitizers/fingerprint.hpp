// Sanitizer parser internals: a finding's fingerprint, the same for the same bug across jobs and seeds.
#pragma once

#include <string>

#include "model/finding.hpp"

namespace threadmill::sanitizers_detail {

/// 16 hex digits hashing the finding's kind name and the first few frames of each stack (the user's frames
/// when any stack has one), normalized to bare function names and file basenames; the order of the stacks
/// does not count. Needs the frames' `user` flags set.
std::string fingerprint_of(const Finding& f);

}  // namespace threadmill::sanitizers_detail
