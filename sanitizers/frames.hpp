// Sanitizer parser internals: one stack frame line, and which frames belong to a runtime or to libc.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "model/finding.hpp"

namespace threadmill::sanitizers_detail {

/// The frame of a "#N ..." line: ASan, LSan and UBSan print "#0 0x55d0c1 in function(args) /path/f.cpp:12:5
/// (binary+0x1234) (BuildId: ...)", TSan "#0 function(args) /path/f.cpp:12:5 (binary+0x1234)". nullopt for any
/// other line. `user` is left false.
std::optional<Frame> parse_frame(std::string_view line);

/// Fills `f`'s file, line and column from "path:line:col", "path:line" or "path" ("<null>" and "<unknown>" leave
/// them unset).
void parse_location(std::string_view loc, Frame& f);

/// The last component of a path.
std::string_view basename_of(std::string_view path);

/// Whether the frame is in a sanitizer runtime or one of its interceptors.
bool is_runtime_frame(const Frame& f);

}  // namespace threadmill::sanitizers_detail
