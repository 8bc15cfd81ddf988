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

/// Whether the frame is in the standard library, which threadmill folds away like its own runtime:
/// - libstdc++ and libc++ headers: any path with `/include/c++/` (`/usr/include/c++/12/`, `/usr/include/c++/v1/`,
///   `/usr/lib/llvm-14/include/c++/v1/`) and `/usr/include/<triple>/c++/` (`x86_64-linux-gnu/c++/12/bits/`);
/// - the compiler's own headers: `/usr/lib/gcc/...`, `.../lib/clang/<ver>/include/`;
/// - glibc's headers: `/usr/include/[<triple>/]{bits,sys,gnu}/` and the C and POSIX headers at the top of
///   `/usr/include/` (`pthread.h`, `stdlib.h`, ...);
/// - glibc's, libstdc++'s, libc++'s and libgcc's own sources as their debug information names them
///   (`./nptl/pthread_mutex_lock.c`, `../sysdeps/unix/...`, `.../libstdc++-v3/src/...`);
/// - without a source file, the shared objects of those libraries (`libc.so.6`, `libstdc++.so.6`,
///   `libgcc_s.so.1`, `ld-linux-x86-64.so.2`, `libc++.so.1`, ...).
/// Every other path is not: `/usr/include/tbb/`, `/usr/include/boost/`, `/usr/local/include/`.
bool is_standard_library_frame(const Frame& f);

/// The path with "." and ".." resolved lexically ("/usr/bin/../lib/gcc/x/12/../../../../include/c++/12/mutex"
/// -> "/usr/include/c++/12/mutex").
std::string normalize_path(std::string_view path);

}  // namespace threadmill::sanitizers_detail
