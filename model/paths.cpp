// Output paths: whether a folder can really take a new file.
#include "model/paths.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include <fmt/format.h>

namespace threadmill {
namespace fs = std::filesystem;

std::optional<std::string> check_writable_folder(const std::string& folder) {
    const fs::path dir = folder.empty() ? fs::path(".") : fs::path(folder);
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return fmt::format("cannot create folder {}: {}", dir.string(), ec.message());
    if (!fs::is_directory(dir, ec)) return fmt::format("{} is not a folder", dir.string());
    const fs::path probe = dir / fmt::format(".threadmill-write-check-{}", ::getpid());
    const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return fmt::format("cannot write in folder {}: {}", dir.string(), std::strerror(errno));
    ::close(fd);
    ::unlink(probe.c_str());
    return std::nullopt;
}

}  // namespace threadmill
