// Output paths: whether a folder can really take a new file; checked, whole writes.
#include "model/paths.hpp"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <utility>

#include <fmt/format.h>

namespace threadmill {
namespace fs = std::filesystem;

WriteError::WriteError(std::string path, int error)
    : std::runtime_error(fmt::format("cannot write {}: {}", path, std::strerror(error))),
      m_path(std::move(path)),
      m_reason(std::strerror(error)) {}

std::optional<std::string> check_writable_folder(const std::string& folder, std::size_t bytes) {
    const fs::path dir = folder.empty() ? fs::path(".") : fs::path(folder);
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return fmt::format("cannot create folder {}: {}", dir.string(), ec.message());
    if (!fs::is_directory(dir, ec)) return fmt::format("{} is not a folder", dir.string());
    const fs::path probe = dir / fmt::format(".threadmill-write-check-{}", ::getpid());
    const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return fmt::format("cannot write in folder {}: {}", dir.string(), std::strerror(errno));
    const int err = bytes > 0 ? write_all(fd, std::string(bytes, '\0')) : 0;
    ::close(fd);
    ::unlink(probe.c_str());
    if (err != 0) return fmt::format("cannot write in folder {}: {}", dir.string(), std::strerror(err));
    return std::nullopt;
}

std::optional<std::uint64_t> free_space(const std::string& folder) {
    struct statvfs st {};
    if (::statvfs(folder.empty() ? "." : folder.c_str(), &st) != 0) return std::nullopt;
    return static_cast<std::uint64_t>(st.f_bavail) * st.f_frsize;
}

int write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        const ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return 0;
}

void write_file_atomically(const std::string& path, std::string_view text) {
    const std::string tmp = path + ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw WriteError(tmp, errno);
    int err = write_all(fd, text);
    // close() is where a network file system reports a failed write.
    if (::close(fd) != 0 && err == 0) err = errno;
    if (err == 0 && std::rename(tmp.c_str(), path.c_str()) != 0) {
        const int rename_err = errno;
        ::unlink(tmp.c_str());
        throw WriteError(path, rename_err);
    }
    if (err != 0) {
        ::unlink(tmp.c_str());
        throw WriteError(tmp, err);
    }
}

}  // namespace threadmill
