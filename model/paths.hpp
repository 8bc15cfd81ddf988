// Output paths: whether a folder can really take a new file, checked before anything runs, and
// writes that report a full disk or a file-size limit instead of leaving a file cut short.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace threadmill {

/// A file the harness must write could not be written. The message names the path and the OS
/// error ("cannot write out/results.jsonl: No space left on device"): a harness error (exit 3),
/// never a finding about the target.
class WriteError : public std::runtime_error {
public:
    /// `error` is an errno value.
    WriteError(std::string path, int error);
    const std::string& path() const { return m_path; }
    /// The OS error in words (strerror).
    const std::string& reason() const { return m_reason; }

private:
    std::string m_path;
    std::string m_reason;
};

/// Below this much free space in `--out`, `run` warns before the first job (a run of the
/// built-in scenarios writes a few MiB; sanitizer logs and backtraces can write much more).
inline constexpr std::uint64_t k_low_free_space = std::uint64_t{64} << 20;

/// Creates `folder` (and its parents) when missing, then creates a probe file in it holding
/// `bytes` bytes and removes it: nullopt when that worked, else the reason in words (with the
/// OS error). A permission check alone would pass for root on a read-only or virtual file
/// system, and an empty probe still fits on a full one.
std::optional<std::string> check_writable_folder(const std::string& folder, std::size_t bytes = 0);

/// Bytes an unprivileged process may still write on the file system holding `folder`, or
/// nullopt when it cannot be asked (statvfs failed).
std::optional<std::uint64_t> free_space(const std::string& folder);

/// Writes all of `data` to `fd`, retrying short writes: 0, or the errno of the write that failed.
int write_all(int fd, std::string_view data);

/// Writes `text` to `path` through `<path>.tmp`, renamed into place once it is whole, so that a
/// reader never sees half a file. Throws WriteError naming the path and the OS error; the
/// temporary file is removed then.
void write_file_atomically(const std::string& path, std::string_view text);

}  // namespace threadmill
