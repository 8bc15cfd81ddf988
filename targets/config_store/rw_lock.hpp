// A fair read-write lock with acquisition timeouts: many readers or one writer, writers not starved.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <stdexcept>

namespace threadmill::config_store {

/// Multiple readers or one writer, built from one mutex and two condition variables.
///  - Fair to writers: once a writer waits, new readers wait too (unless they have already
///    waited through a writer's release, so that readers are not starved either), and the
///    writer gets the lock as soon as the readers inside leave.
///  - Every acquisition takes a timeout and says whether it got the lock.
///  - Not recursive: a thread that holds it in any mode and asks again waits for itself.
/// `reader_preferring` is the `reader_preferring` mutant: readers ignore waiting writers, so a
/// steady flow of overlapping readers keeps a writer out indefinitely.
class RwLock {
public:
    using Clock = std::chrono::steady_clock;

    explicit RwLock(bool reader_preferring = false) : m_reader_preferring(reader_preferring) {}
    RwLock(const RwLock&) = delete;
    RwLock& operator=(const RwLock&) = delete;

    /// Shared (read) mode; false when `timeout` passed first.
    bool try_lock_shared_for(std::chrono::nanoseconds timeout);
    void unlock_shared();
    /// Exclusive (write) mode; false when `timeout` passed first.
    bool try_lock_for(std::chrono::nanoseconds timeout);
    void unlock();

    /// Readers inside and writers waiting, for tests (a racy glance unless quiescent).
    int active_readers() const;
    int waiting_writers() const;

private:
    mutable std::mutex m_mutex;
    std::condition_variable m_readers_cv;
    std::condition_variable m_writers_cv;
    int m_active_readers = 0;
    int m_waiting_writers = 0;
    bool m_writer = false;
    std::uint64_t m_write_releases = 0;  ///< bumped at each writer's unlock
    const bool m_reader_preferring;
};

/// Thrown when a config store operation cannot get its lock within the store's lock timeout.
struct LockTimeout : std::runtime_error {
    using std::runtime_error::runtime_error;
};

}  // namespace threadmill::config_store
