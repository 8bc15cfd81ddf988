// pyWATS's MemoryQueue in C++: work items with a status machine, dispatched exactly once.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

namespace threadmill::cache {

/// The life of a queue item: pending -> processing -> completed | failed, and failed -> pending
/// to retry. No other transition is legal (nor staying in the same status).
enum class ItemStatus : std::uint8_t { pending, processing, completed, failed };
inline constexpr std::size_t k_item_status_count = 4;

std::string_view to_string(ItemStatus s);

/// Whether an item may move from `from` to `to`.
constexpr bool is_legal_transition(ItemStatus from, ItemStatus to) {
    switch (from) {
        case ItemStatus::pending: return to == ItemStatus::processing;
        case ItemStatus::processing: return to == ItemStatus::completed || to == ItemStatus::failed;
        case ItemStatus::completed: return false;
        case ItemStatus::failed: return to == ItemStatus::pending;
    }
    return false;
}

/// A copy of a queued item. Changing a copy changes nothing in the queue until update() is
/// called with it (the document's Pitfall #1).
struct QueueItem {
    std::uint64_t id = 0;
    std::uint64_t payload = 0;
    ItemStatus status = ItemStatus::pending;

    void mark_completed() { status = ItemStatus::completed; }
    void mark_failed() { status = ItemStatus::failed; }
    void mark_pending() { status = ItemStatus::pending; }
};

/// Deliberate defects, for the target's mutants. The default is the correct queue.
struct MemoryQueueFaults {
    /// get_next() finds the oldest pending item in one critical section and claims it in
    /// another, without checking again that it is still pending (`double_dispatch`).
    bool split_claim = false;
};

/// A FIFO of work items, safe to call from any thread: every operation runs under one
/// std::recursive_mutex (pyWATS uses a threading.RLock) and hands out copies, never references.
/// Items keep their status until remove()d, so size() counts finished items too. Ids start at
/// 1 and increase; "oldest" means the smallest id.
class MemoryQueue {
public:
    /// `max_size` bounds size() (0: unbounded).
    explicit MemoryQueue(std::size_t max_size = 0, MemoryQueueFaults faults = {});
    MemoryQueue(const MemoryQueue&) = delete;
    MemoryQueue& operator=(const MemoryQueue&) = delete;

    /// Appends a pending item; its id, or nullopt when the queue holds max_size items.
    std::optional<std::uint64_t> add(std::uint64_t payload);
    /// Claims the oldest pending item: marks it processing and returns a copy of it; nullopt
    /// when nothing is pending. Each pending item is handed to exactly one caller.
    /// `between_check_and_claim` runs where a split implementation would release the lock
    /// (a chaos point); the correct queue never releases it there and never calls it, since
    /// running foreign code under a recursive lock would let it re-enter the queue mid-claim.
    std::optional<QueueItem> get_next(const std::function<void()>& between_check_and_claim = {});
    /// Stores `item`'s status and payload in the queued item with the same id, if the status
    /// change is a legal transition; false (and nothing changed) if it is not, or if no item
    /// has that id.
    bool update(const QueueItem& item);
    /// Removes the item `id` whatever its status; false if there is none.
    bool remove(std::uint64_t id);
    /// A copy of the item `id`.
    std::optional<QueueItem> find(std::uint64_t id) const;
    bool contains(std::uint64_t id) const { return find(id).has_value(); }

    std::size_t size() const;
    std::size_t max_size() const { return m_max_size; }
    /// Items per status, indexed by ItemStatus. Consistent with size() within one call only.
    std::array<std::uint64_t, k_item_status_count> count_by_status() const;
    /// Every item, oldest first: iterate over this copy instead of holding the lock.
    std::vector<QueueItem> snapshot() const;

    /// Checks the bookkeeping (status counters and the pending index agree with the items);
    /// a description of the first inconsistency, or nullopt.
    std::optional<std::string> check_structure() const;

private:
    void set_status(QueueItem& item, ItemStatus to);

    const std::size_t m_max_size;
    const MemoryQueueFaults m_faults;
    mutable std::recursive_mutex m_mutex;
    std::map<std::uint64_t, QueueItem> m_items;  ///< by id, so oldest first
    std::set<std::uint64_t> m_pending;           ///< ids of the pending items
    std::array<std::uint64_t, k_item_status_count> m_counts{};
    std::uint64_t m_next_id = 1;
};

}  // namespace threadmill::cache

/// Formats an ItemStatus as its name.
template <>
struct fmt::formatter<threadmill::cache::ItemStatus> : fmt::formatter<std::string_view> {
    auto format(threadmill::cache::ItemStatus s, fmt::format_context& ctx) const {
        return fmt::formatter<std::string_view>::format(threadmill::cache::to_string(s), ctx);
    }
};
