// The gdb backtrace parser: `thread apply all bt` output of a hung worker into per-thread stacks.
#pragma once

#include <string_view>
#include <vector>

#include "model/result.hpp"
#include "sanitizers/parser.hpp"

namespace threadmill {

/// Splits gdb's `thread apply all bt` output into one HangThread per "Thread N (...):" header, in the order gdb
/// printed them, each frame marked `user` by `filter`. Frames are read from "#k  0x... in func (args) at file:line",
/// "#k  func (args) at file:line" and "#k  0x... in func () from /lib/..."; other lines (gdb's own messages, a
/// text cut at its start) are ignored. Empty when the text has no thread header (gdb missing or not attached).
std::vector<HangThread> parse_gdb_backtraces(std::string_view text, const FrameFilter& filter = {});

}  // namespace threadmill
