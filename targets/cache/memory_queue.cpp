// MemoryQueue: claiming, status transitions and the bookkeeping self-check.
#include "targets/cache/memory_queue.hpp"

#include <fmt/format.h>

namespace threadmill::cache {
namespace {

std::size_t slot(ItemStatus s) { return static_cast<std::size_t>(s); }

}  // namespace

std::string_view to_string(ItemStatus s) {
    switch (s) {
        case ItemStatus::pending: return "pending";
        case ItemStatus::processing: return "processing";
        case ItemStatus::completed: return "completed";
        case ItemStatus::failed: return "failed";
    }
    return "?";
}

MemoryQueue::MemoryQueue(std::size_t max_size, MemoryQueueFaults faults) : m_max_size(max_size), m_faults(faults) {}

std::optional<std::uint64_t> MemoryQueue::add(std::uint64_t payload) {
    const std::lock_guard guard(m_mutex);
    if (m_max_size != 0 && m_items.size() >= m_max_size) return std::nullopt;
    const std::uint64_t id = m_next_id++;
    m_items.emplace_hint(m_items.end(), id, QueueItem{id, payload, ItemStatus::pending});
    m_pending.insert(m_pending.end(), id);
    ++m_counts[slot(ItemStatus::pending)];
    return id;
}

std::optional<QueueItem> MemoryQueue::get_next(const std::function<void()>& between_check_and_claim) {
    std::unique_lock guard(m_mutex);
    if (m_pending.empty()) return std::nullopt;
    const std::uint64_t id = *m_pending.begin();
    if (m_faults.split_claim) {
        // The defect: the claim below no longer belongs to the check above.
        guard.unlock();
        if (between_check_and_claim) between_check_and_claim();
        guard.lock();
    }
    const auto it = m_items.find(id);
    if (it == m_items.end()) return std::nullopt;  // removed meanwhile: only with split_claim
    set_status(it->second, ItemStatus::processing);
    return it->second;
}

bool MemoryQueue::update(const QueueItem& item) {
    const std::lock_guard guard(m_mutex);
    const auto it = m_items.find(item.id);
    if (it == m_items.end() || !is_legal_transition(it->second.status, item.status)) return false;
    set_status(it->second, item.status);
    it->second.payload = item.payload;
    return true;
}

bool MemoryQueue::remove(std::uint64_t id) {
    const std::lock_guard guard(m_mutex);
    const auto it = m_items.find(id);
    if (it == m_items.end()) return false;
    if (it->second.status == ItemStatus::pending) m_pending.erase(id);
    --m_counts[slot(it->second.status)];
    m_items.erase(it);
    return true;
}

std::optional<QueueItem> MemoryQueue::find(std::uint64_t id) const {
    const std::lock_guard guard(m_mutex);
    const auto it = m_items.find(id);
    if (it == m_items.end()) return std::nullopt;
    return it->second;
}

std::size_t MemoryQueue::size() const {
    const std::lock_guard guard(m_mutex);
    return m_items.size();
}

std::array<std::uint64_t, k_item_status_count> MemoryQueue::count_by_status() const {
    const std::lock_guard guard(m_mutex);
    return m_counts;
}

std::vector<QueueItem> MemoryQueue::snapshot() const {
    const std::lock_guard guard(m_mutex);
    std::vector<QueueItem> items;
    items.reserve(m_items.size());
    for (const auto& [id, item] : m_items) items.push_back(item);
    return items;
}

std::optional<std::string> MemoryQueue::check_structure() const {
    const std::lock_guard guard(m_mutex);
    std::array<std::uint64_t, k_item_status_count> recount{};
    for (const auto& [id, item] : m_items) {
        if (item.id != id) return fmt::format("the item stored under id {} says it is item {}", id, item.id);
        if (slot(item.status) >= k_item_status_count) return fmt::format("item {} has no valid status", id);
        ++recount[slot(item.status)];
        if ((item.status == ItemStatus::pending) != m_pending.contains(id)) {
            return fmt::format("item {} is {} but {} the pending index", id, item.status,
                               m_pending.contains(id) ? "in" : "missing from");
        }
    }
    if (m_pending.size() != recount[slot(ItemStatus::pending)]) {
        return fmt::format("the pending index lists {} ids for {} pending items", m_pending.size(),
                           recount[slot(ItemStatus::pending)]);
    }
    for (std::size_t s = 0; s < k_item_status_count; ++s) {
        if (recount[s] != m_counts[s]) {
            return fmt::format("the {} counter says {} but {} items are {}", static_cast<ItemStatus>(s), m_counts[s],
                               recount[s], static_cast<ItemStatus>(s));
        }
    }
    return std::nullopt;
}

void MemoryQueue::set_status(QueueItem& item, ItemStatus to) {
    const ItemStatus from = item.status;
    --m_counts[slot(from)];
    ++m_counts[slot(to)];
    if (from == ItemStatus::pending) m_pending.erase(item.id);
    if (to == ItemStatus::pending) m_pending.insert(item.id);
    item.status = to;
}

}  // namespace threadmill::cache
