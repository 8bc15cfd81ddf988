// The fair, re-entrant read-write lock of the config store (see rw_lock.hpp).
#include "targets/config_store/rw_lock.hpp"

#include <atomic>
#include <vector>

namespace threadmill::config_store {
namespace {

std::atomic<std::uint64_t> g_next_lock_id{1};

/// One lock this thread holds, and how many times in each mode.
struct Hold {
    std::uint64_t lock = 0;
    int writes = 0;  ///< write holds
    int reads = 0;   ///< read holds: nested in the write holds, or the thread's own read lock
};

/// This thread's holds, one entry per lock it holds (rarely more than one or two). Only this
/// thread reads or writes it, so it needs no synchronization.
thread_local std::vector<Hold> t_holds;

/// This thread's entry for the lock with key `lock`, or nullptr; key 0 is never recorded.
Hold* find_hold(std::uint64_t lock) {
    if (lock == 0) return nullptr;
    for (Hold& h : t_holds) {
        if (h.lock == lock) return &h;
    }
    return nullptr;
}

void record_hold(std::uint64_t lock, int writes, int reads) {
    if (lock != 0) t_holds.push_back({lock, writes, reads});
}

void forget_hold(const Hold* hold) { t_holds.erase(t_holds.begin() + (hold - t_holds.data())); }

}  // namespace

RwLock::RwLock(RwLockFaults faults)
    : m_faults(faults), m_id(g_next_lock_id.fetch_add(1, std::memory_order_relaxed)) {}

std::uint64_t RwLock::hold_key() const {
    // The mutant keeps no record: a thread that holds the lock asks for it as any other would.
    return m_faults.non_reentrant ? 0 : m_id;
}

bool RwLock::try_lock_shared_for(std::chrono::nanoseconds timeout) {
    if (Hold* h = find_hold(hold_key())) {
        ++h->reads;  // inside already, in either mode: there is nobody to wait for but itself
        return true;
    }
    if (!acquire_shared(timeout)) return false;
    record_hold(hold_key(), 0, 1);
    return true;
}

void RwLock::unlock_shared() {
    if (Hold* h = find_hold(hold_key())) {
        --h->reads;
        if (h->reads > 0 || h->writes > 0) return;  // still held by this thread
        forget_hold(h);
    }
    release_shared();
}

bool RwLock::try_lock_for(std::chrono::nanoseconds timeout) {
    if (Hold* h = find_hold(hold_key())) {
        if (h->writes == 0) {
            throw LockUpgrade("config store: a thread holding the read lock asked for the write lock (an upgrade)");
        }
        ++h->writes;
        return true;
    }
    if (!acquire_exclusive(timeout)) return false;
    record_hold(hold_key(), 1, 0);
    return true;
}

void RwLock::unlock() {
    if (Hold* h = find_hold(hold_key())) {
        --h->writes;
        if (h->writes > 0) return;
        if (h->reads > 0) {
            downgrade();  // its nested reads outlive its write holds
            return;
        }
        forget_hold(h);
    }
    release_exclusive();
}

bool RwLock::acquire_shared(std::chrono::nanoseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    std::unique_lock lock(m_mutex);
    const std::uint64_t releases_at_entry = m_write_releases;
    const bool ok = m_readers_cv.wait_until(lock, deadline, [&] {
        if (m_writer) return false;
        if (m_faults.reader_preferring) return true;
        // Waiting writers go first, except over readers that already waited through a writer.
        return m_waiting_writers == 0 || m_write_releases != releases_at_entry;
    });
    if (!ok) return false;
    ++m_active_readers;
    return true;
}

void RwLock::release_shared() {
    std::lock_guard lock(m_mutex);
    if (--m_active_readers == 0 && m_waiting_writers > 0) m_writers_cv.notify_one();
}

bool RwLock::acquire_exclusive(std::chrono::nanoseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    std::unique_lock lock(m_mutex);
    ++m_waiting_writers;
    const bool ok = m_writers_cv.wait_until(lock, deadline, [&] { return !m_writer && m_active_readers == 0; });
    --m_waiting_writers;
    if (!ok) {
        // Readers held back for this writer may go now.
        if (m_waiting_writers == 0) m_readers_cv.notify_all();
        // A wake-up this writer took may have been meant for another one.
        if (m_waiting_writers > 0 && !m_writer && m_active_readers == 0) m_writers_cv.notify_one();
        return false;
    }
    m_writer = true;
    return true;
}

void RwLock::release_exclusive() {
    std::lock_guard lock(m_mutex);
    m_writer = false;
    ++m_write_releases;
    m_readers_cv.notify_all();
    if (m_waiting_writers > 0) m_writers_cv.notify_one();
}

void RwLock::downgrade() {
    std::lock_guard lock(m_mutex);
    m_writer = false;
    ++m_active_readers;
    ++m_write_releases;  // readers held back for a waiting writer may share with it now
    m_readers_cv.notify_all();
}

int RwLock::active_readers() const {
    std::lock_guard lock(m_mutex);
    return m_active_readers;
}

int RwLock::waiting_writers() const {
    std::lock_guard lock(m_mutex);
    return m_waiting_writers;
}

}  // namespace threadmill::config_store
