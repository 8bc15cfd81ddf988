// The activity board: shared-memory publication of what each worker thread is doing.
#include "model/activity.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

#include "model/paths.hpp"

namespace threadmill {
namespace {

constexpr std::uint64_t k_magic = 0x7468726561646d31ULL;  // "threadm1"

struct alignas(64) BoardHeader {
    std::uint64_t magic;
    std::uint32_t threads;
};

std::size_t board_size(int threads) { return sizeof(BoardHeader) + sizeof(ActivitySlot) * static_cast<std::size_t>(threads); }

}  // namespace

ActivityBoard::ActivityBoard(const std::string& path, int threads) : m_size(board_size(threads)) {
    int fd = -1;
    int flags = MAP_SHARED;
    if (path.empty()) {
        flags = MAP_PRIVATE | MAP_ANONYMOUS;
    } else {
        fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) throw WriteError(path, errno);
        // Blocks allocated now, not on the first store into the mapping: a file system without
        // room for them fails here with an error instead of killing a thread with SIGBUS later.
        if (const int err = ::posix_fallocate(fd, 0, static_cast<off_t>(m_size)); err != 0) {
            ::close(fd);
            throw WriteError(path, err);
        }
    }
    m_map = ::mmap(nullptr, m_size, PROT_READ | PROT_WRITE, flags, fd, 0);
    const int map_err = errno;
    if (fd >= 0) ::close(fd);
    if (m_map == MAP_FAILED) throw std::runtime_error(fmt::format("cannot map activity file {}: {}", path, std::strerror(map_err)));
    auto* header = new (m_map) BoardHeader{};
    m_slots = reinterpret_cast<ActivitySlot*>(static_cast<char*>(m_map) + sizeof(BoardHeader));
    for (int i = 0; i < threads; ++i) new (&m_slots[i]) ActivitySlot{};
    header->threads = static_cast<std::uint32_t>(threads);
    header->magic = k_magic;
}

ActivityBoard::~ActivityBoard() {
    if (m_map != nullptr && m_map != MAP_FAILED) ::munmap(m_map, m_size);
}

std::vector<ThreadActivity> read_activity(const std::string& path, const Scenario& scenario,
                                          const TargetInfo& target) {
    std::vector<ThreadActivity> out;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return out;
    struct stat st {};
    const int threads = scenario.thread_count();
    if (::fstat(fd, &st) != 0 || static_cast<std::size_t>(st.st_size) < board_size(threads)) {
        ::close(fd);
        return out;
    }
    void* map = ::mmap(nullptr, board_size(threads), PROT_READ, MAP_SHARED, fd, 0);
    ::close(fd);
    if (map == MAP_FAILED) return out;
    const auto* header = static_cast<const BoardHeader*>(map);
    if (header->magic == k_magic && header->threads == static_cast<std::uint32_t>(threads)) {
        const auto* slots = reinterpret_cast<const ActivitySlot*>(static_cast<const char*>(map) + sizeof(BoardHeader));
        int t = 0;
        for (const auto& g : scenario.groups) {
            for (int i = 0; i < g.threads; ++i, ++t) {
                ThreadActivity a;
                a.thread = t;
                a.group = g.name;
                const int op = slots[t].op.load(std::memory_order_relaxed);
                a.op = op >= 0 && static_cast<std::size_t>(op) < target.ops.size() ? target.ops[static_cast<std::size_t>(op)].name : "";
                a.in_op = slots[t].in_op.load(std::memory_order_relaxed) != 0;
                a.ops_done = slots[t].ops_done.load(std::memory_order_relaxed);
                out.push_back(std::move(a));
            }
        }
    }
    ::munmap(map, board_size(threads));
    return out;
}

}  // namespace threadmill
