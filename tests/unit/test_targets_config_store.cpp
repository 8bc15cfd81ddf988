// Tests of the `config_store` target: RwLock, ConfigStore (caches, transactions, file, listeners) and the adapter.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/target_fixture.hpp"

#include "api/rng.hpp"
#include "api/target.hpp"
#include "targets/config_store/config_store.hpp"
#include "targets/config_store/rw_lock.hpp"

namespace threadmill {
namespace {

using config_store::Config;
using config_store::ConfigStore;
using config_store::ConfigStoreOptions;
using config_store::LockTimeout;
using config_store::LockUpgrade;
using config_store::ReloadOutcome;
using config_store::RwLock;
using config_store::TxOutcome;
using config_store::TxResult;
using namespace std::chrono_literals;

/// A fresh scratch directory, removed at the end of the test.
class TempDir {
public:
    TempDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "tm-config-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        m_path = pattern;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(m_path, ec);
    }
    std::string file(const char* name) const { return m_path + "/" + name; }
    const std::string& path() const { return m_path; }

private:
    std::string m_path;
};

Config starting_config() {
    Config c;
    c.values = {{"a", 0}, {"b", 0}, {"c", 0}, {"counter", 0}, {"volume", 50}};
    return c;
}

bool increment(ConfigStore& s) {
    return s.transaction([](Config& c) {
               c.values["counter"] += 1;
               return true;
           }).outcome == TxOutcome::committed;
}

// ---- RwLock ---------------------------------------------------------------------------------

/// Whether a thread of its own gets the lock in shared mode within `timeout` (it lets go at once).
bool other_thread_reads(RwLock& lock, Nanos timeout) {
    bool got = false;
    std::thread([&] {
        got = lock.try_lock_shared_for(timeout);
        if (got) lock.unlock_shared();
    }).join();
    return got;
}

/// Whether a thread of its own gets the lock in exclusive mode within `timeout` (it lets go at once).
bool other_thread_writes(RwLock& lock, Nanos timeout) {
    bool got = false;
    std::thread([&] {
        got = lock.try_lock_for(timeout);
        if (got) lock.unlock();
    }).join();
    return got;
}

TEST(RwLock, ReadersShareWritersExclude) {
    RwLock lock;
    ASSERT_TRUE(lock.try_lock_shared_for(1ms));
    int readers_seen = 0;
    std::thread([&] {
        ASSERT_TRUE(lock.try_lock_shared_for(1s));
        readers_seen = lock.active_readers();
        lock.unlock_shared();
    }).join();
    EXPECT_EQ(readers_seen, 2);
    EXPECT_FALSE(other_thread_writes(lock, 5ms)) << "a writer must wait for the readers";
    lock.unlock_shared();
    ASSERT_TRUE(lock.try_lock_for(1ms));
    EXPECT_FALSE(other_thread_reads(lock, 5ms)) << "a reader must wait for the writer";
    EXPECT_FALSE(other_thread_writes(lock, 5ms)) << "one writer at a time";
    lock.unlock();
    EXPECT_TRUE(other_thread_reads(lock, 1s));
    EXPECT_TRUE(other_thread_writes(lock, 1s));
}

TEST(RwLock, ATimeoutIsWaitedInFull) {
    // Only the lower bound is a property of the lock; how late it returns is the machine's.
    RwLock lock;
    ASSERT_TRUE(lock.try_lock_for(1ms));
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_FALSE(other_thread_reads(lock, 30ms));
    EXPECT_GE(std::chrono::steady_clock::now() - t0, 30ms);
    lock.unlock();
}

/// A reader holds the lock and a writer waits for it: can a new reader (a third thread) get in?
bool new_reader_admitted_while_writer_waits(bool reader_preferring) {
    RwLock lock({.reader_preferring = reader_preferring});
    EXPECT_TRUE(lock.try_lock_shared_for(1ms));
    std::atomic<bool> writer_done{false};
    std::thread writer([&] {
        EXPECT_TRUE(lock.try_lock_for(10s));
        writer_done = true;
        lock.unlock();
    });
    while (lock.waiting_writers() == 0) std::this_thread::yield();
    const bool admitted = other_thread_reads(lock, 50ms);
    EXPECT_FALSE(writer_done.load());
    lock.unlock_shared();  // the first reader leaves: the writer gets in
    writer.join();
    EXPECT_TRUE(writer_done.load());
    return admitted;
}

TEST(RwLock, WaitingWriterHoldsBackNewReaders) { EXPECT_FALSE(new_reader_admitted_while_writer_waits(false)); }

TEST(RwLockFaults, ReaderPreferringLetsNewReadersPastAWaitingWriter) {
    EXPECT_TRUE(new_reader_admitted_while_writer_waits(true));
}

TEST(RwLock, ManyThreadsKeepExclusion) {
    RwLock lock;
    std::atomic<int> readers{0};
    std::atomic<int> writers{0};
    std::atomic<int> bad{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 2000; ++i) {
                if ((i + t) % 4 == 0) {
                    ASSERT_TRUE(lock.try_lock_for(10s));
                    if (writers.fetch_add(1) != 0 || readers.load() != 0) bad.fetch_add(1);
                    writers.fetch_sub(1);
                    lock.unlock();
                } else {
                    ASSERT_TRUE(lock.try_lock_shared_for(10s));
                    readers.fetch_add(1);
                    if (writers.load() != 0) bad.fetch_add(1);
                    readers.fetch_sub(1);
                    lock.unlock_shared();
                }
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(bad.load(), 0);
}

// ---- RwLock re-entrancy ---------------------------------------------------------------------

TEST(RwLockReentrancy, TheWriterTakesTheWriteLockAgain) {
    RwLock lock;
    ASSERT_TRUE(lock.try_lock_for(1ms));
    ASSERT_TRUE(lock.try_lock_for(10s)) << "granted at once to the thread that holds it";
    ASSERT_TRUE(lock.try_lock_for(10s));
    lock.unlock();
    lock.unlock();
    EXPECT_FALSE(other_thread_reads(lock, 5ms)) << "the outermost hold is still held";
    EXPECT_FALSE(other_thread_writes(lock, 5ms));
    lock.unlock();
    EXPECT_TRUE(other_thread_writes(lock, 1s));
    EXPECT_TRUE(other_thread_reads(lock, 1s));
}

TEST(RwLockReentrancy, TheWriterReadsInsideItsWriteLock) {
    RwLock lock;
    ASSERT_TRUE(lock.try_lock_for(1ms));
    ASSERT_TRUE(lock.try_lock_shared_for(10s));
    ASSERT_TRUE(lock.try_lock_shared_for(10s));
    EXPECT_EQ(lock.active_readers(), 0) << "reads inside a write count no reader";
    lock.unlock_shared();
    lock.unlock_shared();
    EXPECT_FALSE(other_thread_reads(lock, 5ms)) << "still held for writing";
    lock.unlock();
    EXPECT_TRUE(other_thread_writes(lock, 1s));
}

TEST(RwLockReentrancy, AWriterThatLetsGoBeforeItsNestedReadIsLeftAReader) {
    RwLock lock;
    ASSERT_TRUE(lock.try_lock_for(1ms));
    ASSERT_TRUE(lock.try_lock_shared_for(10s));
    lock.unlock();  // the write hold first: a downgrade
    EXPECT_EQ(lock.active_readers(), 1);
    EXPECT_TRUE(other_thread_reads(lock, 1s)) << "readers share with it";
    EXPECT_FALSE(other_thread_writes(lock, 5ms)) << "writers still wait for it";
    EXPECT_THROW(lock.try_lock_for(10s), LockUpgrade) << "it is a reader now";
    lock.unlock_shared();
    EXPECT_EQ(lock.active_readers(), 0);
    EXPECT_TRUE(other_thread_writes(lock, 1s));
}

TEST(RwLockReentrancy, AReaderReadsAgainPastAWriterWaitingForIt) {
    // Writers hold back new readers, but the writer waits for this very reader: holding its nested
    // read back would deadlock both (until the timeouts).
    RwLock lock;
    ASSERT_TRUE(lock.try_lock_shared_for(1ms));
    std::atomic<bool> writer_done{false};
    std::thread writer([&] {
        EXPECT_TRUE(lock.try_lock_for(10s));
        writer_done = true;
        lock.unlock();
    });
    while (lock.waiting_writers() == 0) std::this_thread::yield();
    EXPECT_TRUE(lock.try_lock_shared_for(10s)) << "the nested read waited for the writer that waits for it";
    EXPECT_EQ(lock.active_readers(), 1) << "one reading thread, twice";
    EXPECT_FALSE(other_thread_reads(lock, 20ms)) << "a new reader still waits behind the writer";
    lock.unlock_shared();
    EXPECT_FALSE(writer_done.load()) << "the outer read is still held";
    lock.unlock_shared();
    writer.join();
    EXPECT_TRUE(writer_done.load());
}

TEST(RwLockReentrancy, AnUpgradeThrowsAndKeepsTheReadLock) {
    RwLock lock;
    ASSERT_TRUE(lock.try_lock_shared_for(1ms));
    EXPECT_THROW(lock.try_lock_for(10s), LockUpgrade);
    EXPECT_EQ(lock.active_readers(), 1);
    EXPECT_FALSE(other_thread_writes(lock, 5ms)) << "still a reader";
    lock.unlock_shared();
    EXPECT_EQ(lock.active_readers(), 0);
    ASSERT_TRUE(lock.try_lock_for(1s)) << "nothing left behind by the refused upgrade";
    lock.unlock();
}

TEST(RwLockReentrancy, LocksAreToldApart) {
    RwLock first;
    RwLock second;
    ASSERT_TRUE(first.try_lock_for(1ms));
    ASSERT_TRUE(second.try_lock_shared_for(1ms)) << "holding one lock says nothing about another";
    EXPECT_THROW(second.try_lock_for(1ms), LockUpgrade);
    second.unlock_shared();
    EXPECT_TRUE(second.try_lock_for(1ms));
    second.unlock();
    first.unlock();
    EXPECT_TRUE(other_thread_writes(first, 1s));
}

TEST(RwLockFaults, NonReentrantWaitsForItselfUntilItsTimeout) {
    RwLock lock({.non_reentrant = true});
    ASSERT_TRUE(lock.try_lock_for(1ms));
    EXPECT_FALSE(lock.try_lock_for(20ms)) << "the writer waits for itself";
    EXPECT_FALSE(lock.try_lock_shared_for(20ms)) << "a read inside the write waits for itself";
    lock.unlock();
    ASSERT_TRUE(lock.try_lock_shared_for(1ms));
    EXPECT_FALSE(lock.try_lock_for(20ms)) << "an upgrade waits for itself instead of throwing";
    lock.unlock_shared();
    EXPECT_TRUE(other_thread_writes(lock, 1s)) << "the timed-out attempts left nothing behind";
}

// ---- File format ----------------------------------------------------------------------------

TEST(ConfigFile, RoundTripsAndRejectsEveryTruncation) {
    Config c = starting_config();
    c.version = 7;
    c.values["f0"] = 123;
    const std::string text = config_store::serialize(c);
    const auto back = config_store::parse(text);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, c);
    for (std::size_t n = 0; n < text.size(); ++n) {
        EXPECT_FALSE(config_store::parse(std::string_view(text).substr(0, n)).has_value()) << "prefix " << n;
    }
    EXPECT_FALSE(config_store::parse(text + "x 1\n").has_value()) << "text after the end";
}

// ---- Caches ---------------------------------------------------------------------------------

/// A store on a manual TTL clock, with a per-thread cache TTL of 1000ns.
struct ClockedStore {
    explicit ClockedStore(bool stale = false) {
        ConfigStoreOptions o;
        o.thread_cache_ttl = 1000ns;
        o.now_ns = [this] { return now.load(); };
        o.faults.stale_thread_cache = stale;
        store = std::make_unique<ConfigStore>(o, starting_config());
    }
    std::atomic<std::int64_t> now{0};
    std::unique_ptr<ConfigStore> store;
};

/// Reads on this thread (caching version 0), commits on another thread, reads again.
std::uint64_t version_read_after_other_thread_commits(ClockedStore& s) {
    std::uint64_t v = 99;
    s.store->get_value("volume", 0, &v);
    EXPECT_EQ(v, 0u);
    std::thread([&] { s.store->set_value("volume", 60); }).join();
    EXPECT_EQ(s.store->committed_version(), 1u);
    s.store->get_value("volume", 0, &v);
    return v;
}

TEST(ConfigStoreCache, CommitOnAnotherThreadInvalidatesThisThreadsCache) {
    ClockedStore s;
    EXPECT_EQ(version_read_after_other_thread_commits(s), 1u);
    EXPECT_EQ(s.store->get_value("volume", 0), 60);
}

TEST(ConfigStoreFaults, StaleThreadCacheServesOldVersionsUntilTheTtl) {
    ClockedStore s(true);
    EXPECT_EQ(version_read_after_other_thread_commits(s), 0u) << "the mutant serves its cached copy";
    EXPECT_EQ(s.store->get_value("volume", 0), 50);
    s.now = 1000;  // the TTL has passed
    EXPECT_EQ(s.store->get_value("volume", 0), 60);
}

TEST(ConfigStoreCache, InvalidateAndOwnCommitsRefreshTheCache) {
    ClockedStore s;
    std::uint64_t v = 0;
    s.store->get_value("volume", 0, &v);
    s.store->set_value("volume", 70);
    EXPECT_EQ(s.store->get_value("volume", 0, &v), 70);
    EXPECT_EQ(v, 1u);
    s.store->invalidate_caches();
    EXPECT_EQ(s.store->snapshot().values.at("volume"), 70);
}

TEST(ConfigStoreCache, SnapshotIsACopy) {
    ClockedStore s;
    Config c = s.store->snapshot();
    c.values["volume"] = 1;
    EXPECT_EQ(s.store->snapshot().values.at("volume"), 50);
}

// ---- Transactions ---------------------------------------------------------------------------

TEST(ConfigStoreTx, CommitsRollsBackAndKeepsHistory) {
    ConfigStore s(ConfigStoreOptions{}, starting_config());
    EXPECT_TRUE(increment(s));
    EXPECT_EQ(s.peek().version, 1u);

    // Aborted by the body, invalid, and throwing: all three leave no trace.
    EXPECT_EQ(s.transaction([](Config& c) {
                   c.values["a"] = 5;
                   return false;
               }).outcome,
              TxOutcome::rolled_back);
    EXPECT_EQ(s.transaction([](Config& c) {
                   c.values["a"] = 5;
                   c.values["c"] = -1;
                   return true;
               }).outcome,
              TxOutcome::rolled_back);
    EXPECT_THROW(s.transaction([](Config& c) -> bool {
        c.values["a"] = 5;
        throw std::runtime_error("boom");
    }),
                 std::runtime_error);
    Config expected = starting_config();
    expected.version = 1;
    expected.values["counter"] = 1;
    EXPECT_EQ(s.peek(), expected);
    EXPECT_EQ(s.snapshot(), expected);

    const auto st = s.stats();
    EXPECT_EQ(st.transaction_history_count, 4u);
    EXPECT_EQ(st.commits, 1u);
    EXPECT_EQ(st.rollbacks, 3u);
}

TEST(ConfigStoreFaults, NoRollbackLeavesPartialEdits) {
    ConfigStoreOptions o;
    o.faults.no_rollback = true;
    ConfigStore s(o, starting_config());
    EXPECT_EQ(s.transaction([](Config& c) {
                   c.values["a"] = 5;
                   c.values["c"] = -1;
                   return true;
               }).outcome,
              TxOutcome::rolled_back);
    const Config state = s.peek();
    EXPECT_EQ(state.values.at("a"), 5) << "the edit before the failure stayed";
    EXPECT_EQ(state.values.at("c"), -1);
}

TEST(ConfigStoreFaults, LoadModifySaveLosesAnUpdateMadeInItsGap) {
    // The pause hook runs between the load and the save: another increment commits there.
    ConfigStoreOptions o;
    o.faults.load_modify_save = true;
    ConfigStore* store = nullptr;
    bool nested = false;
    o.pause = [&] {
        if (nested) return;
        nested = true;
        increment(*store);
    };
    ConfigStore s(o, starting_config());
    store = &s;
    EXPECT_TRUE(increment(s));
    EXPECT_EQ(s.peek().values.at("counter"), 1) << "two committed increments, one lost";
    EXPECT_EQ(s.stats().commits, 2u);
}

TEST(ConfigStoreTx, ConcurrentIncrementsAreNeverLost) {
    ConfigStore s(ConfigStoreOptions{}, starting_config());
    std::vector<std::thread> threads;
    std::atomic<int> committed{0};
    for (int t = 0; t < 3; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 2000; ++i) {
                if (increment(s)) committed.fetch_add(1);
                s.get_value("counter", 0);
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(committed.load(), 6000);
    EXPECT_EQ(s.peek().values.at("counter"), 6000);
}

// ---- Persistence ----------------------------------------------------------------------------

TEST(ConfigStoreFile, EveryCommitReplacesTheFileWhole) {
    TempDir dir;
    ConfigStoreOptions o;
    o.path = dir.file("config.txt");
    ConfigStore s(o, starting_config());
    ASSERT_EQ(config_store::parse(*config_store::read_file(o.path)), s.peek()) << "written at construction";
    s.set_value("volume", 80);
    ASSERT_EQ(config_store::parse(*config_store::read_file(o.path)), s.peek());
    EXPECT_FALSE(std::filesystem::exists(o.path + ".tmp"));
    EXPECT_EQ(s.reload().outcome, ReloadOutcome::adopted);
    EXPECT_EQ(s.get_value("volume", 0), 80);
    EXPECT_EQ(s.stats().reloads, 1u);
}

/// What readers of the file see at every pause of a commit (the rewrite's middle among them).
std::vector<std::optional<Config>> files_seen_mid_commit(bool torn) {
    TempDir dir;
    ConfigStoreOptions o;
    o.path = dir.file("config.txt");
    o.faults.torn_write = torn;
    std::vector<std::optional<Config>> seen;
    o.pause = [&] { seen.push_back(config_store::parse(config_store::read_file(o.path).value_or(""))); };
    Config big = starting_config();
    for (int i = 0; i < 40; ++i) big.values["f" + std::to_string(i)] = i;
    ConfigStore s(o, big);
    seen.clear();
    s.set_value("volume", 90);
    EXPECT_EQ(config_store::parse(*config_store::read_file(o.path)), s.peek()) << "complete once written";
    return seen;
}

TEST(ConfigStoreFile, AReaderMidCommitSeesTheOldCompleteFile) {
    const auto seen = files_seen_mid_commit(false);
    ASSERT_FALSE(seen.empty());
    for (const auto& c : seen) {
        ASSERT_TRUE(c.has_value());
        EXPECT_EQ(c->version, 0u);
    }
}

TEST(ConfigStoreFaults, TornWriteShowsAReaderAPartialFile) {
    const auto seen = files_seen_mid_commit(true);
    EXPECT_TRUE(std::any_of(seen.begin(), seen.end(), [](const auto& c) { return !c.has_value(); }));
}

// ---- Listeners ------------------------------------------------------------------------------

TEST(ConfigStoreListeners, EachCommitOnceInOrderOutsideTheLock) {
    ConfigStore s(ConfigStoreOptions{}, starting_config());
    std::vector<std::uint64_t> seen;
    EXPECT_EQ(s.add_listener([&](const Config& c) {
                  seen.push_back(c.version);
                  s.get_value("volume", 0);  // reading back must not deadlock
                  if (c.version == 2) s.set_value("volume", 1);  // a write from a listener is delivered after
              }),
              1u);
    s.set_value("volume", 60);
    s.set_value("volume", 61);
    increment(s);
    s.transaction([](Config&) { return false; });  // a rollback notifies nobody
    EXPECT_EQ(seen, (std::vector<std::uint64_t>{1, 2, 3, 4}));
    EXPECT_EQ(s.stats().change_listeners_count, 1u);
}

TEST(ConfigStoreListeners, ConcurrentCommitsAreDeliveredInOrder) {
    ConfigStore s(ConfigStoreOptions{}, starting_config());
    std::uint64_t last = 0;
    int out_of_order = 0;
    s.add_listener([&](const Config& c) {
        if (c.version != last + 1) ++out_of_order;
        last = c.version;
    });
    std::vector<std::thread> threads;
    for (int t = 0; t < 3; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 1000; ++i) increment(s);
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(out_of_order, 0);
    EXPECT_EQ(last, 3000u);
}

/// The versions a second listener sees when the first one writes back once, at version 1.
std::vector<std::uint64_t> versions_seen_after_a_listener_writes(bool under_lock) {
    ConfigStoreOptions o;
    o.lock_timeout = 10s;
    o.faults.listener_under_lock = under_lock;
    ConfigStore s(o, starting_config());
    std::vector<std::uint64_t> seen;
    s.add_listener([&](const Config& c) {
        if (c.version == 1) s.set_value("b", 7);
    });
    s.add_listener([&](const Config& c) {
        seen.push_back(c.version);
        s.get_value("volume", 0);  // reads the store back
    });
    s.set_value("a", 6);
    EXPECT_EQ(s.peek().version, 2u);
    return seen;
}

TEST(ConfigStoreListeners, AListenersWriteReachesLaterListenersAfterTheCommitThatCausedIt) {
    EXPECT_EQ(versions_seen_after_a_listener_writes(false), (std::vector<std::uint64_t>{1, 2}));
}

TEST(ConfigStoreFaults, ListenerUnderLockDeliversAListenersWriteOutOfOrder) {
    // The lock is re-entrant, so the listener's read and write no longer wait for their own thread:
    // the write commits inside the first commit's notification and overtakes it.
    EXPECT_EQ(versions_seen_after_a_listener_writes(true), (std::vector<std::uint64_t>{2, 1}));
}

// ---- Re-entrancy and nested transactions ----------------------------------------------------

/// A store without a per-thread cache (every read takes the lock), with a long lock timeout: a
/// self-wait would end in LockTimeout after 10s, never in a hang.
ConfigStoreOptions locking_options() {
    ConfigStoreOptions o;
    o.thread_cache_ttl = 0ns;
    o.lock_timeout = 10s;
    return o;
}

TEST(ConfigStoreReentrancy, ReadsInsideATransactionBodySeeTheStateItStartedFrom) {
    ConfigStore s(locking_options(), starting_config());
    s.set_value("volume", 60);
    const TxResult r = s.transaction([&](Config& c) {
        c.values["volume"] = 70;
        EXPECT_EQ(s.get_value("volume", 0), 60) << "the committed value, not the working copy's";
        EXPECT_EQ(s.snapshot().values.at("volume"), 60);
        EXPECT_EQ(s.peek().version, 1u);
        EXPECT_EQ(s.stats().commits, 1u);
        return true;
    });
    EXPECT_EQ(r.outcome, TxOutcome::committed);
    EXPECT_EQ(s.get_value("volume", 0), 70);
}

TEST(ConfigStoreReentrancy, NestedTransactionsJoinAndFailuresUndoOnlyTheirOwnEdits) {
    ConfigStore s(locking_options(), starting_config());
    std::vector<Config> notified;
    s.add_listener([&](const Config& c) { notified.push_back(c); });
    std::vector<TxOutcome> inner;
    const TxResult r = s.transaction([&](Config& c) {
        c.values["a"] = 1;
        inner.push_back(s.transaction([](Config& d) {
                             d.values["b"] = 2;
                             return true;
                         }).outcome);
        inner.push_back(s.transaction([](Config& d) {
                             d.values["c"] = 3;
                             d.values["a"] = 99;
                             return false;
                         }).outcome);
        EXPECT_THROW(s.transaction([](Config& d) -> bool {
            d.values["counter"] = 4;
            throw std::runtime_error("inner body");
        }),
                     std::runtime_error);
        // Two levels down: the innermost failure undoes its own edit, its parent's stays.
        inner.push_back(s.transaction([&](Config& d) {
                             d.values["counter"] = 5;
                             inner.push_back(s.transaction([](Config& e) {
                                                  e.values["volume"] = 6;
                                                  return false;
                                              }).outcome);
                             return true;
                         }).outcome);
        EXPECT_EQ(c.values.at("a"), 1);
        EXPECT_EQ(c.values.at("b"), 2);
        EXPECT_EQ(c.values.at("c"), 0);
        EXPECT_EQ(c.values.at("counter"), 5);
        EXPECT_EQ(c.values.at("volume"), 50);
        EXPECT_TRUE(notified.empty()) << "nothing is committed before the outermost returns";
        return true;
    });
    EXPECT_EQ(inner, (std::vector<TxOutcome>{TxOutcome::joined, TxOutcome::rolled_back, TxOutcome::rolled_back,
                                              TxOutcome::joined}));
    EXPECT_EQ(r.outcome, TxOutcome::committed);
    EXPECT_EQ(r.version, 1u);
    Config expected = starting_config();
    expected.version = 1;
    expected.values["a"] = 1;
    expected.values["b"] = 2;
    expected.values["counter"] = 5;
    EXPECT_EQ(s.peek(), expected);
    ASSERT_EQ(notified.size(), 1u) << "one commit, one notification";
    EXPECT_EQ(notified[0], expected);
    const auto st = s.stats();
    EXPECT_EQ(st.commits, 1u);
    EXPECT_EQ(st.rollbacks, 3u) << "the three failed nested transactions (the throwing one included)";
    EXPECT_EQ(st.transaction_history_count, 6u);
}

TEST(ConfigStoreReentrancy, TheOutermostDecidesForTheJoinedEdits) {
    ConfigStore s(locking_options(), starting_config());
    // The outer body fails after an inner one joined: nothing is committed.
    EXPECT_EQ(s.transaction([&](Config&) {
                   EXPECT_EQ(s.transaction([](Config& d) {
                                  d.values["a"] = 1;
                                  return true;
                              }).outcome,
                             TxOutcome::joined);
                   return false;
               }).outcome,
              TxOutcome::rolled_back);
    // An inner edit that is invalid is found by the outermost validation, which rejects it all.
    EXPECT_EQ(s.transaction([&](Config& c) {
                   c.values["a"] = 2;
                   s.transaction([](Config& d) {
                       d.values["b"] = -1;
                       return true;
                   });
                   return true;
               }).outcome,
              TxOutcome::rolled_back);
    EXPECT_EQ(s.peek(), starting_config());
}

TEST(ConfigStoreReentrancy, AnotherStoresTransactionInsideABodyIsNotNested) {
    ConfigStore first(locking_options(), starting_config());
    ConfigStore second(locking_options(), starting_config());
    first.transaction([&](Config& c) {
        c.values["a"] = 1;
        EXPECT_EQ(second.set_value("a", 2), 1u) << "committed on its own";
        return true;
    });
    EXPECT_EQ(first.peek().values.at("a"), 1);
    EXPECT_EQ(second.peek().values.at("a"), 2);
}

TEST(ConfigStoreReentrancy, NestedTransactionsFromSeveralThreadsNeverMix) {
    ConfigStore s(locking_options(), starting_config());
    std::vector<std::thread> threads;
    for (int t = 0; t < 3; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 500; ++i) {
                s.transaction([&](Config& c) {
                    c.values["counter"] += 1;
                    s.get_value("counter", 0);
                    s.transaction([&](Config& d) {
                        d.values["a"] += 1;
                        return (i + t) % 2 == 0;  // every other inner one fails
                    });
                    return true;
                });
            }
        });
    }
    for (auto& t : threads) t.join();
    const Config state = s.peek();
    EXPECT_EQ(state.values.at("counter"), 1500);
    EXPECT_EQ(state.values.at("a"), 3 * 250);
}

TEST(ConfigStoreFaults, NonReentrantLockMakesANestedTransactionWaitForItself) {
    ConfigStoreOptions o = locking_options();
    o.lock_timeout = 50ms;
    o.faults.non_reentrant_lock = true;
    ConfigStore s(o, starting_config());
    EXPECT_THROW(s.transaction([&](Config& c) {
        c.values["a"] = 1;
        s.transaction([](Config& d) {
            d.values["b"] = 2;
            return true;
        });
        return true;
    }),
                 LockTimeout);
    EXPECT_THROW(s.transaction([&](Config&) {
        s.get_value("volume", 0);  // a read inside the body
        return true;
    }),
                 LockTimeout);
    EXPECT_EQ(s.peek(), starting_config()) << "both rolled back";
    EXPECT_EQ(s.set_value("a", 3), 1u) << "and the lock was released";
}

// ---- The adapter ----------------------------------------------------------------------------

const TargetSpec& spec() { return testing::registered_target("config_store"); }

/// One target instance with its parameters and one ThreadContext per thread.
/// The job's work folder, made before the target (a base listed first is built first).
struct WorkDir {
    TempDir dir;
};

struct Fixture : WorkDir, testing::TargetFixture {
    explicit Fixture(const std::string& variant, int threads = 1, std::map<std::string, ParamValue> overrides = {})
        : TargetFixture(spec(), variant, threads, overrides, 16, dir.path()) {}
};

TEST(ConfigStoreTarget, DeclaresItsCatalog) {
    const auto& info = spec().info;
    EXPECT_EQ(info.seed, "001_c9cefca6e6ecdf16.txt");
    ASSERT_EQ(info.variants.size(), 10u);
    EXPECT_TRUE(info.variants[0].is_safe());
    for (const auto& v : info.variants) {
        if (v.is_safe()) continue;
        const auto colon = v.caught_by.find(':');
        if (colon != std::string::npos) {
            EXPECT_GE(info.invariant_index(v.caught_by.substr(colon + 1)), 0) << v.name;
        }
    }
    for (const char* op : {"get", "set", "set_volume", "increment", "multi_field", "read_fields", "failing_tx",
                           "nested_tx", "reload", "invalidate", "stats"}) {
        EXPECT_GE(info.op_index(op), 0) << op;
    }
    for (const auto& p : info.params) EXPECT_FALSE(p.help.empty()) << p.name;
}

TEST(ConfigStoreTarget, SafeHoldsEveryInvariantUnderContention) {
    for (const bool persist : {false, true}) {
        Fixture f("safe", 3, {{"persist", persist}, {"thread_cache_ttl", Nanos(2'000'000)}});
        InvariantSink sink(f.info.invariants.size());
        f.stress(sink, persist ? 60 : 150, f.op_names(), 16, 0.02);
        f.expect_all_held(sink);
    }
}

TEST(ConfigStoreTarget, NoRollbackIsCaughtAfterOneFailingTransaction) {
    for (const char* variant : {"safe", "no_rollback"}) {
        Fixture f(variant);
        f.run("failing_tx", 0, 7);
        f.run("read_fields");
        InvariantSink sink(f.info.invariants.size());
        f.check(sink);
        EXPECT_EQ(f.violations(sink, "rollback_leaves_no_trace") > 0, std::string(variant) == "no_rollback")
            << variant << "\n" << f.details(sink);
    }
}

TEST(ConfigStoreTarget, StaleThreadCacheIsCaughtByTheNextRead) {
    for (const char* variant : {"safe", "stale_thread_cache"}) {
        Fixture f(variant, 2, {{"persist", false}});
        f.run("get", 1);                                      // thread 0 caches version 0
        std::thread([&] { f.run("set", 1, 5, 1); }).join();  // thread 1 commits version 1
        f.run("read_fields");
        InvariantSink sink(f.info.invariants.size());
        f.check(sink);
        EXPECT_EQ(f.violations(sink, "no_stale_read") > 0, std::string(variant) == "stale_thread_cache")
            << variant << "\n" << f.details(sink);
    }
}

TEST(ConfigStoreTarget, LoadModifySaveIsCaughtUnderContention) {
    int attempts = 0;
    std::uint64_t caught = 0;
    while (caught == 0 && attempts < 10) {
        ++attempts;
        Fixture f("load_modify_save", 3, {{"persist", false}});
        InvariantSink sink(f.info.invariants.size());
        std::vector<std::thread> workers;
        for (int t = 0; t < 3; ++t) {
            workers.emplace_back([&, t] {
                for (int i = 0; i < 3000; ++i) f.run("increment", 0, 0, t);
            });
        }
        for (auto& w : workers) w.join();
        f.check(sink, CheckPoint::final);
        caught = f.violations(sink, "no_lost_updates");
    }
    EXPECT_GT(caught, 0u) << "not caught in " << attempts << " attempts";
}

TEST(ConfigStoreTarget, FileChecksSeeTheLastCommit) {
    Fixture f("safe");
    f.run("set", 3, 42);
    f.run("reload");
    InvariantSink sink(f.info.invariants.size());
    f.check(sink, CheckPoint::final);
    f.expect_all_held(sink);
}

TEST(ConfigStoreTarget, NestedTransactionsHoldTheirInvariant) {
    Fixture f("safe", 1, {{"persist", false}, {"thread_cache_ttl", Nanos(0)}});
    for (std::uint64_t bits = 0; bits < 12; ++bits) f.run("nested_tx", 0, bits);  // inner fails when bits % 3 == 0
    f.contexts[0].m_fault_probability = 1;  // the inner body throws
    f.run("nested_tx", 0, 1);
    f.run("read_fields");
    InvariantSink sink(f.info.invariants.size());
    f.check(sink, CheckPoint::final);
    f.expect_all_held(sink);
    EXPECT_GT(f.contexts[0].m_faults, 0u);
}

TEST(ConfigStoreTarget, NonReentrantLockIsCaughtByTheFirstNestedTransaction) {
    Fixture f("non_reentrant_lock", 1, {{"persist", false}, {"lock_timeout", Nanos(50'000'000)}});
    f.run("increment");
    EXPECT_THROW(f.run("nested_tx", 0, 1), LockTimeout);
    InvariantSink sink(f.info.invariants.size());
    f.check(sink, CheckPoint::final);
    f.expect_all_held(sink);
}

TEST(ConfigStoreTarget, ListenerUnderLockIsCaughtByTheFirstVolumeChange) {
    for (const char* variant : {"safe", "listener_under_lock"}) {
        Fixture f(variant, 1, {{"persist", false}});
        f.run("set_volume", 0, 7);
        f.run("get");
        InvariantSink sink(f.info.invariants.size());
        f.check(sink, CheckPoint::final);
        EXPECT_EQ(f.violations(sink, "listeners_in_order") > 0, std::string(variant) == "listener_under_lock")
            << variant << "\n" << f.details(sink);
        EXPECT_EQ(f.violations(sink, "no_lost_updates"), 0u) << f.details(sink);
    }
}

}  // namespace
}  // namespace threadmill
