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

constexpr std::uint64_t k_magic = 0x7468726561646d32ULL;  // "threadm2"

}  // namespace

// Written once before the threads start (magic, threads), then by whichever thread detects first.
struct alignas(64) ActivityBoard::Header {
    std::uint64_t magic = 0;
    std::uint32_t threads = 0;
    std::atomic<std::int64_t> start_ns{0};  ///< 0: not started
    std::atomic<std::uint32_t> first{0};    ///< a WorkerDetection; set once, by compare-exchange
    std::atomic<std::int64_t> first_ns{0};
    std::atomic<std::uint64_t> first_ops{0};
    /// Set after first_ns and first_ops: a reader that sees it sees them (the writer's thread
    /// may be killed between the stores; then the reader reports no time, never a wrong one).
    std::atomic<std::uint32_t> first_complete{0};
};

namespace {

std::size_t board_size(int threads) {
    return sizeof(ActivityBoard::Header) + sizeof(ActivitySlot) * static_cast<std::size_t>(threads);
}

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
    auto* h = new (m_map) Header{};
    m_slots = reinterpret_cast<ActivitySlot*>(static_cast<char*>(m_map) + sizeof(Header));
    for (int i = 0; i < threads; ++i) new (&m_slots[i]) ActivitySlot{};
    m_threads = threads;
    h->threads = static_cast<std::uint32_t>(threads);
    h->magic = k_magic;
}

ActivityBoard::Header* ActivityBoard::header() const { return static_cast<Header*>(m_map); }

std::uint64_t ActivityBoard::ops_done() const {
    std::uint64_t n = 0;
    for (int i = 0; i < m_threads; ++i) n += m_slots[i].ops_done.load(std::memory_order_relaxed);
    return n;
}

void ActivityBoard::started(std::int64_t steady_ns) { header()->start_ns.store(steady_ns, std::memory_order_relaxed); }

void ActivityBoard::detected(WorkerDetection what, std::int64_t since_start_ns) {
    Header& h = *header();
    std::uint32_t none = 0;
    if (!h.first.compare_exchange_strong(none, static_cast<std::uint32_t>(what), std::memory_order_relaxed)) return;
    h.first_ns.store(since_start_ns, std::memory_order_relaxed);
    h.first_ops.store(ops_done(), std::memory_order_relaxed);
    h.first_complete.store(1, std::memory_order_release);
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
    const auto* header = static_cast<const ActivityBoard::Header*>(map);
    if (header->magic == k_magic && header->threads == static_cast<std::uint32_t>(threads)) {
        const auto* slots = reinterpret_cast<const ActivitySlot*>(static_cast<const char*>(map) + sizeof(ActivityBoard::Header));
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

BoardTiming read_board_timing(const std::string& path) {
    BoardTiming t;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return t;
    struct stat st {};
    if (::fstat(fd, &st) != 0 || static_cast<std::size_t>(st.st_size) < board_size(0)) {
        ::close(fd);
        return t;
    }
    const auto size = static_cast<std::size_t>(st.st_size);
    void* map = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
    ::close(fd);
    if (map == MAP_FAILED) return t;
    const auto* h = static_cast<const ActivityBoard::Header*>(map);
    if (h->magic == k_magic && board_size(static_cast<int>(h->threads)) <= size) {
        if (const auto start = h->start_ns.load(std::memory_order_relaxed); start != 0) t.start_ns = start;
        if (h->first_complete.load(std::memory_order_acquire) != 0) {
            t.first = static_cast<WorkerDetection>(h->first.load(std::memory_order_relaxed));
            t.first_ns = h->first_ns.load(std::memory_order_relaxed);
            t.first_ops = h->first_ops.load(std::memory_order_relaxed);
        }
        const auto* slots = reinterpret_cast<const ActivitySlot*>(static_cast<const char*>(map) + sizeof(ActivityBoard::Header));
        for (std::uint32_t i = 0; i < h->threads; ++i) t.ops_done += slots[i].ops_done.load(std::memory_order_relaxed);
    }
    ::munmap(map, size);
    return t;
}

}  // namespace threadmill
