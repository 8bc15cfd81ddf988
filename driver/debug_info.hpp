// Whether a worker executable carries line information: a small reader of ELF64 section names, no dependency.
#pragma once

#include <string>

namespace threadmill {

/// What `line_info_of()` found in an executable.
enum class LineInfo {
    present,     ///< it has a line table (.debug_line, or the compressed .zdebug_line)
    absent,      ///< an ELF64 file without one: built without -g, or stripped
    unreadable,  ///< not a readable little-endian ELF64 file (the detail says why)
};

/// The answer of `line_info_of()`.
struct LineInfoCheck {
    LineInfo state = LineInfo::unreadable;
    std::string detail;  ///< why the file could not be read ("" otherwise)
};

/// Reads the section headers of the ELF64 file at `path` and looks for a line table by section name.
/// Never throws: a missing, short or foreign file is `unreadable` with the reason.
LineInfoCheck line_info_of(const std::string& path);

}  // namespace threadmill
