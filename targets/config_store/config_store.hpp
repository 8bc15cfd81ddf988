// SpotiPi's ThreadSafeConfigManager in C++: RW lock, two cache levels, atomic file, transactions, listeners.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "targets/config_store/rw_lock.hpp"

namespace threadmill::config_store {

using Nanos = std::chrono::nanoseconds;

/// One committed configuration: named integer values and the number of commits that made it.
struct Config {
    std::uint64_t version = 0;
    std::map<std::string, std::int64_t, std::less<>> values;

    std::int64_t value_or(std::string_view key, std::int64_t fallback) const;
    bool operator==(const Config&) const = default;
};

/// A configuration is valid when no value is negative (what a failing transaction breaks).
bool is_valid(const Config& config);

/// The file format: a header line, `version N`, one `name value` line per value, then
/// `end N count`. parse() accepts exactly what serialize() writes and nothing shorter.
std::string serialize(const Config& config);
std::optional<Config> parse(std::string_view text);
/// The whole content of `path`, or nothing when it cannot be opened.
std::optional<std::string> read_file(const std::string& path);

/// Deliberate defects, for the target's mutants. The default is the correct store; each flag is
/// checked at the one place where the defect lives.
struct ConfigStoreFaults {
    bool load_modify_save = false;     ///< transactions load a snapshot, run unlocked, then save it whole
    bool stale_thread_cache = false;   ///< a commit clears only the committing thread's cache
    bool torn_write = false;           ///< the file is rewritten in place, in pieces
    bool no_rollback = false;          ///< transactions edit the live state; a failure leaves its edits
    bool reader_preferring = false;    ///< the RW lock lets readers in past waiting writers
    bool listener_under_lock = false;  ///< listeners are called inside the write lock
    /// snapshot() takes a reference to the live state under the read lock and makes its deep copy
    /// after releasing it (SpotiPi's pitfall: a reference into guarded state used outside the lock).
    bool copy_after_unlock = false;
    /// Transactions take and release the write lock by hand (lock.acquire() ... lock.release()),
    /// without a guard: a body that throws leaves with the lock held (pyWATS: "might not run if an
    /// exception occurs"), and every later operation of another thread waits for it until its lock
    /// timeout (the leaking thread's own are granted: the lock is re-entrant).
    bool unlock_by_hand = false;
    /// The RW lock is not re-entrant (RwLockFaults::non_reentrant): a nested transaction, or a read
    /// from inside a transaction body, waits for the write lock its own thread holds until the lock
    /// timeout, and throws LockTimeout.
    bool non_reentrant_lock = false;
};

struct ConfigStoreOptions {
    std::string path;                                     ///< the config file; empty: no persistence
    Nanos thread_cache_ttl = std::chrono::seconds(1);     ///< per-thread cache lifetime; 0: no per-thread cache
    Nanos lock_timeout = std::chrono::seconds(5);         ///< longest wait for the RW lock before LockTimeout
    bool fsync = false;                                   ///< fsync the temporary file before the rename
    Nanos read_hold{0};  ///< snapshot() busy-works this long under the read lock (a slow deep copy)
    std::function<std::int64_t()> now_ns;                 ///< the TTL clock; empty: steady_clock
    std::function<void()> pause;                          ///< called inside race windows (chaos); may be empty
    ConfigStoreFaults faults;
};

/// How a transaction() call ended.
enum class TxOutcome {
    committed,    ///< its edits are the new committed configuration
    rolled_back,  ///< its edits are undone (for a nested transaction: only its own)
    joined,       ///< a nested transaction whose edits stay in the enclosing one's working copy
};

struct TxResult {
    TxOutcome outcome = TxOutcome::rolled_back;
    std::uint64_t version = 0;  ///< the committed version, or the version the transaction saw
};

enum class ReloadOutcome { no_file, unparsable, stale, adopted, mismatch };

struct ReloadResult {
    ReloadOutcome outcome = ReloadOutcome::no_file;
    std::string detail;  ///< what was wrong, for unparsable and mismatch
};

/// What /api/thread-safety/status reports.
struct ConfigStats {
    std::uint64_t transaction_history_count = 0;  ///< transactions ever finished (committed, rolled back or joined)
    std::size_t change_listeners_count = 0;
    std::uint64_t commits = 0;
    std::uint64_t rollbacks = 0;  ///< rolled back, nested ones (savepoints) included
    std::uint64_t reloads = 0;
    std::uint64_t version = 0;
};

/// Called with each committed configuration, once per commit, in commit order, outside the lock.
/// A listener may read the store; a write from a listener is delivered after it returns.
using Listener = std::function<void(const Config&)>;

/// The thread-safe configuration manager of the SpotiPi document.
///  - Reads go through a per-thread cache (TTL `thread_cache_ttl`), then a global cache under the
///    read lock; both are invalidated by every commit (a generation number covers every thread's
///    cache), so a read never misses a commit that completed before it started. Reads return copies.
///  - Writes are transactions: a snapshot is modified under the write lock, validated, persisted
///    (temporary file, flush, rename) and swapped in all-or-nothing; a failed validation or an
///    exception leaves no trace.
///  - Listeners are notified after the commit, outside the lock, each commit once and in order.
///  - The lock is re-entrant: a read or a transaction from inside a transaction body, on the same
///    thread, is granted at once; such a transaction is nested in the enclosing one (transaction()).
class ConfigStore {
public:
    /// Starts from `initial` (its version is kept) and writes it to the file if there is one.
    explicit ConfigStore(ConfigStoreOptions options, Config initial = {});
    ~ConfigStore();
    ConfigStore(const ConfigStore&) = delete;
    ConfigStore& operator=(const ConfigStore&) = delete;

    /// A copy of the current configuration, from the caches when they are valid.
    Config snapshot();
    /// One value (`fallback` when absent); `version`, if given, receives the version it came from.
    std::int64_t get_value(std::string_view key, std::int64_t fallback, std::uint64_t* version = nullptr);
    /// Sets one value in its own transaction; returns the committed version.
    std::uint64_t set_value(std::string_view key, std::int64_t value);
    /// Runs `body` on a working copy of the configuration under the write lock; commits it if
    /// `body` returns true and the result is valid (validate, persist, notify listeners), else
    /// rolls back. An exception from `body` rolls back and is rethrown.
    ///  - A read from inside `body` (get_value(), snapshot(), stats(), peek()) is granted at once
    ///    (the lock is re-entrant) and sees the committed configuration the transaction started
    ///    from, not the working copy: no other commit can happen while `body` runs.
    ///  - A transaction() called from inside `body`, on the same thread and store, is nested: it
    ///    joins the enclosing transaction and its body edits the same working copy. If the inner
    ///    body returns false or throws, only the inner body's edits are undone (a savepoint) and
    ///    the enclosing body goes on (an exception is rethrown to it); otherwise the outcome is
    ///    `joined`. Nothing is validated, persisted or notified for a nested transaction: the
    ///    outermost transaction does that once, for every edit, and a failure there undoes them
    ///    all, the joined ones included. A transaction called from a listener is not nested.
    TxResult transaction(const std::function<bool(Config&)>& body);
    /// Re-reads the file (without the store's lock, as another process would); if it holds the
    /// current version, it becomes the global cache and every cache is invalidated.
    ReloadResult reload();
    /// Drops the global cache and every thread's cache.
    void invalidate_caches();
    /// Registers a listener; returns the number of listeners.
    std::size_t add_listener(Listener listener);
    ConfigStats stats();

    /// The last committed version, published before the committing call returns.
    std::uint64_t committed_version() const { return m_committed_version.load(std::memory_order_acquire); }
    /// The committed state itself, read under the lock without any cache (for checks).
    Config peek();
    const std::string& path() const { return m_options.path; }

private:
    struct CachedRead {
        std::shared_ptr<const Config> config;
        std::uint64_t generation = 0;
    };
    struct TxRecord {
        std::uint64_t version = 0;
        TxOutcome outcome = TxOutcome::rolled_back;
    };

    std::int64_t now_ns() const;
    void pause() const;
    /// From this thread's cache, if it is still valid.
    std::shared_ptr<const Config> cached();
    /// Under the read lock: the global cache (filled from the state if empty), and a deep copy of
    /// it in `copy` if asked for.
    CachedRead load_global(Config* copy);
    void remember(const CachedRead& read);
    void forget_own_cache();
    TxResult transaction_safe(const std::function<bool(Config&)>& body);
    /// A transaction() from inside the body of this thread's open transaction, whose working copy
    /// is `draft`: runs `body` on it with a savepoint.
    TxResult transaction_nested(Config& draft, const std::function<bool(Config&)>& body);
    /// Calls `body` on `draft` with `draft` registered as this thread's open transaction on this
    /// store, so that a transaction() from inside `body` joins it.
    bool run_body(Config& draft, const std::function<bool(Config&)>& body);
    TxResult transaction_load_modify_save(const std::function<bool(Config&)>& body);
    /// With the write lock held: persists `next`, makes it the state, invalidates the caches and
    /// queues (or, as the mutant, calls) the listeners.
    void commit_locked(Config next);
    void persist(const Config& config);
    void write_file_atomically(const std::string& text);
    void write_file_in_place(const std::string& text);
    void record(TxOutcome outcome, std::uint64_t version);
    void deliver_pending();

    const ConfigStoreOptions m_options;
    const std::uint64_t m_id;  ///< tells this store's entries apart in the per-thread caches
    RwLock m_lock;

    // Under m_lock.
    Config m_state;
    std::deque<TxRecord> m_history;
    std::uint64_t m_history_count = 0;
    std::uint64_t m_commits = 0;
    std::uint64_t m_rollbacks = 0;
    std::uint64_t m_reloads = 0;

    std::mutex m_global_mutex;
    std::shared_ptr<const Config> m_global;  ///< the global cache; under m_global_mutex

    std::atomic<std::uint64_t> m_generation{1};  ///< bumped by every invalidation
    std::atomic<std::uint64_t> m_committed_version{0};

    std::mutex m_listeners_mutex;
    std::vector<std::shared_ptr<const Listener>> m_listeners;

    std::mutex m_pending_mutex;
    std::deque<std::shared_ptr<const Config>> m_pending;  ///< commits not yet delivered, in order
    bool m_delivering = false;                            ///< a thread is delivering m_pending
};

}  // namespace threadmill::config_store
