// The `config_store` target: SpotiPi's ThreadSafeConfigManager (RW lock, caches, file, transactions).
#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "api/target.hpp"
#include "api/target_tables.hpp"
#include "targets/config_store/config_store.hpp"

namespace threadmill::config_store {
namespace {

// Each enum lists its catalog entries in declaration order; the tables below are checked
// against it at compile time.

enum class Variant { safe, load_modify_save, stale_thread_cache, torn_write, no_rollback, reader_preferring,
                     listener_under_lock };

enum class OpKind { get, set, increment, multi_field, read_fields, failing_tx, reload, invalidate, stats };

enum class Inv {
    no_lost_updates,
    fields_equal,
    rollback_leaves_no_trace,
    versions_monotonic,
    no_stale_read,
    file_intact,
    listeners_in_order,
};

constexpr std::array<CatalogRow<Variant>, 7> k_variants{{
    {Variant::safe, "safe",
     "the documented design: fair RW lock with timeouts, per-thread and global caches invalidated by every commit, "
     "atomic file replace, all-or-nothing transactions, listeners after the commit outside the lock"},
    {Variant::load_modify_save, "load_modify_save",
     "transactions are load_config(), modify, save_config(): the load and the save are separate critical sections",
     "invariant:no_lost_updates"},
    {Variant::stale_thread_cache, "stale_thread_cache",
     "a commit clears only the committing thread's cache: other threads read their cached copy until its TTL ends",
     "invariant:no_stale_read"},
    {Variant::torn_write, "torn_write", "the file is truncated and rewritten in place, a line at a time",
     "invariant:file_intact"},
    {Variant::no_rollback, "no_rollback",
     "transactions edit the live configuration: a failed validation leaves the edits made before it",
     "invariant:rollback_leaves_no_trace"},
    {Variant::reader_preferring, "reader_preferring",
     "the RW lock admits readers past waiting writers: overlapping readers starve writers", "slo"},
    {Variant::listener_under_lock, "listener_under_lock",
     "listeners are called inside the write lock; the listener reads the store back: it waits for itself forever",
     "deadlock"},
}};

constexpr std::array<CatalogRow<OpKind>, 9> k_ops{{
    {OpKind::get, "get", "get_value(\"k<key>\"); checks freshness and that the version never goes backwards"},
    {OpKind::set, "set", "set_value(\"k<key>\", arg): a one-value transaction"},
    {OpKind::increment, "increment", "transaction: counter += 1 (read-modify-write)"},
    {OpKind::multi_field, "multi_field", "transaction: a = b = c = arg (several fields kept equal)"},
    {OpKind::read_fields, "read_fields",
     "snapshot(): a deep copy; checks a == b == c, no failed transaction's trace, freshness, version order"},
    {OpKind::failing_tx, "failing_tx",
     "transaction that sets a and b, marks failed_tx, sets c = -1 and fails validation: must roll back"},
    {OpKind::reload, "reload",
     "re-reads the file without the store's lock (as another process would): it must parse; if current it is adopted"},
    {OpKind::invalidate, "invalidate", "invalidate_caches(): drops the global cache and every thread's cache"},
    {OpKind::stats, "stats", "stats(): transaction history count and listener count"},
}};

constexpr std::array<CatalogRow<Inv>, 7> k_invariants{{
    {Inv::no_lost_updates, "no_lost_updates",
     "quiescent: the counter equals the number of increment transactions that committed"},
    {Inv::fields_equal, "fields_equal", "online and quiescent: no snapshot ever shows a, b and c unequal"},
    {Inv::rollback_leaves_no_trace, "rollback_leaves_no_trace",
     "online and quiescent: no snapshot or state holds a negative value or the failed_tx marker of a rolled-back "
     "transaction"},
    {Inv::versions_monotonic, "versions_monotonic", "online: the version each thread reads never goes backwards"},
    {Inv::no_stale_read, "no_stale_read",
     "online: a read returns at least the version committed before it started (every cache invalidated)"},
    {Inv::file_intact, "file_intact",
     "online: the file always parses (reload); quiescent: it holds exactly the last committed state"},
    {Inv::listeners_in_order, "listeners_in_order",
     "listeners see every commit exactly once, in commit order; quiescent: the last one seen is the last commit"},
}};

static_assert(in_kind_order(k_variants) && in_kind_order(k_ops) && in_kind_order(k_invariants));
static_assert(k_variants.back().kind == Variant::listener_under_lock && k_ops.back().kind == OpKind::stats &&
              k_invariants.back().kind == Inv::listeners_in_order);

constexpr int index_of(Inv i) { return static_cast<int>(i); }

/// The marker a failing transaction writes before its validation fails.
constexpr std::string_view k_failed_marker = "failed_tx";
constexpr std::int64_t k_value_span = 1'000'000;

/// The worker thread's context while it runs an op, so that the store's pause hook can reach it.
thread_local ThreadContext* t_ctx = nullptr;

ConfigStoreFaults faults_of(Variant v) {
    ConfigStoreFaults f;
    f.load_modify_save = v == Variant::load_modify_save;
    f.stale_thread_cache = v == Variant::stale_thread_cache;
    f.torn_write = v == Variant::torn_write;
    f.no_rollback = v == Variant::no_rollback;
    f.reader_preferring = v == Variant::reader_preferring;
    f.listener_under_lock = v == Variant::listener_under_lock;
    return f;
}

Config initial_config(std::int64_t filler_fields) {
    Config c;
    for (const char* name : {"counter", "a", "b", "c"}) c.values.emplace(name, 0);
    c.values.emplace("volume", 50);
    for (std::int64_t i = 0; i < filler_fields; ++i) c.values.emplace(fmt::format("f{:04}", i), i);
    return c;
}

ConfigStoreOptions options_of(const TargetConfig& config) {
    ConfigStoreOptions o;
    if (config.params->boolean("persist") && !config.work_dir.empty()) o.path = config.work_dir + "/config.txt";
    o.thread_cache_ttl = config.params->duration("thread_cache_ttl");
    o.lock_timeout = config.params->duration("lock_timeout");
    o.fsync = config.params->boolean("fsync");
    o.read_hold = config.params->duration("read_hold");
    o.pause = [] {
        if (t_ctx != nullptr) t_ctx->chaos_point();
    };
    o.faults = faults_of(static_cast<Variant>(config.variant));
    return o;
}

class ConfigStoreTarget final : public TargetInstance {
public:
    explicit ConfigStoreTarget(const TargetConfig& config)
        : m_store(options_of(config), initial_config(config.params->integer("filler_fields"))),
          m_threads(static_cast<std::size_t>(std::max(config.thread_count, 1))) {
        // A component that reacts to config changes: it checks the order and reads the store back.
        m_store.add_listener([this](const Config& committed) { on_commit(committed); });
    }

    void run(const Op& op, ThreadContext& ctx) override {
        t_ctx = &ctx;
        struct Reset {
            ~Reset() { t_ctx = nullptr; }
        } reset;
        PerThread& me = local(ctx);
        switch (static_cast<OpKind>(op.index)) {
            case OpKind::get: {
                const std::uint64_t floor = m_store.committed_version();
                std::uint64_t version = 0;
                me.sink += static_cast<std::uint64_t>(m_store.get_value(key_name(op.key), 0, &version));
                check_read(ctx, me, "get", version, floor);
                return;
            }
            case OpKind::set:
                m_store.set_value(key_name(op.key), static_cast<std::int64_t>(op.arg % k_value_span));
                return;
            case OpKind::increment: {
                const TxResult r = m_store.transaction([](Config& c) {
                    c.values["counter"] += 1;
                    return true;
                });
                if (r.outcome == TxOutcome::committed) m_increments.fetch_add(1, std::memory_order_relaxed);
                return;
            }
            case OpKind::multi_field: {
                const auto v = static_cast<std::int64_t>(op.arg % k_value_span);
                m_store.transaction([v](Config& c) {
                    c.values["a"] = v;
                    c.values["b"] = v;
                    c.values["c"] = v;
                    return true;
                });
                return;
            }
            case OpKind::read_fields: {
                const std::uint64_t floor = m_store.committed_version();
                const Config c = m_store.snapshot();
                check_read(ctx, me, "read_fields", c.version, floor);
                if (const auto problem = fields_problem(c)) {
                    ctx.violate(index_of(Inv::fields_equal), fmt::format("read_fields: {}", *problem));
                }
                if (const auto problem = trace_problem(c)) {
                    ctx.violate(index_of(Inv::rollback_leaves_no_trace), fmt::format("read_fields: {}", *problem));
                }
                me.sink += c.version;
                return;
            }
            case OpKind::failing_tx: {
                const auto v = static_cast<std::int64_t>(op.arg % k_value_span);
                const TxResult r = m_store.transaction([&ctx, v](Config& c) {
                    c.values["a"] = v;
                    c.values["b"] = v;
                    c.values.insert_or_assign(std::string(k_failed_marker), 1);
                    ctx.chaos_point();
                    c.values["c"] = -1;  // invalid: validation fails
                    return true;
                });
                if (r.outcome == TxOutcome::committed) {
                    ctx.violate(index_of(Inv::rollback_leaves_no_trace),
                                fmt::format("failing_tx committed version {} despite a negative value", r.version));
                }
                return;
            }
            case OpKind::reload: {
                const ReloadResult r = m_store.reload();
                if (r.outcome == ReloadOutcome::unparsable) {
                    ctx.violate(index_of(Inv::file_intact), fmt::format("reload: the file does not parse: {}", r.detail));
                } else if (r.outcome == ReloadOutcome::mismatch) {
                    ctx.violate(index_of(Inv::file_intact), fmt::format("reload: file and state differ: {}", r.detail));
                } else if (r.outcome == ReloadOutcome::no_file && !m_store.path().empty()) {
                    ctx.violate(index_of(Inv::file_intact), "reload: the file is missing");
                }
                return;
            }
            case OpKind::invalidate: m_store.invalidate_caches(); return;
            case OpKind::stats: {
                const ConfigStats s = m_store.stats();
                me.sink += s.transaction_history_count + s.change_listeners_count;
                return;
            }
        }
    }

    void check(InvariantSink& sink, CheckPoint) override {
        const Config state = m_store.peek();
        const auto increments = m_increments.load(std::memory_order_relaxed);
        const std::int64_t counter = state.value_or("counter", 0);
        if (counter != static_cast<std::int64_t>(increments)) {
            sink.fail(index_of(Inv::no_lost_updates),
                      fmt::format("counter is {} after {} committed increments ({} lost)", counter, increments,
                                  static_cast<std::int64_t>(increments) - counter));
        }
        if (const auto problem = fields_problem(state)) {
            sink.fail(index_of(Inv::fields_equal), fmt::format("state version {}: {}", state.version, *problem));
        }
        if (const auto problem = trace_problem(state)) {
            sink.fail(index_of(Inv::rollback_leaves_no_trace),
                      fmt::format("state version {}: {}", state.version, *problem));
        }
        check_file(sink, state);
        check_listeners(sink, state);
    }

private:
    /// What one worker thread records; only that thread touches it while ops run.
    struct alignas(64) PerThread {
        std::uint64_t last_version = 0;  ///< the newest version this thread has read
        std::uint64_t sink = 0;          ///< results folded in, so that no read is optimized away
    };

    PerThread& local(const ThreadContext& ctx) { return m_threads.at(static_cast<std::size_t>(ctx.thread_index)); }

    static std::string key_name(std::uint64_t key) { return fmt::format("k{}", key); }

    static void check_read(ThreadContext& ctx, PerThread& me, std::string_view what, std::uint64_t version,
                           std::uint64_t floor) {
        if (version < floor) {
            ctx.violate(index_of(Inv::no_stale_read),
                        fmt::format("{} on thread {} returned version {}, but version {} was committed before it "
                                    "started",
                                    what, ctx.thread_index, version, floor));
        }
        if (version < me.last_version) {
            ctx.violate(index_of(Inv::versions_monotonic),
                        fmt::format("{} on thread {} returned version {} after version {}", what, ctx.thread_index,
                                    version, me.last_version));
        }
        me.last_version = std::max(me.last_version, version);
    }

    static std::optional<std::string> fields_problem(const Config& c) {
        const auto a = c.value_or("a", 0);
        const auto b = c.value_or("b", 0);
        const auto cc = c.value_or("c", 0);
        if (a == b && b == cc) return std::nullopt;
        return fmt::format("version {} has a = {}, b = {}, c = {}", c.version, a, b, cc);
    }

    static std::optional<std::string> trace_problem(const Config& c) {
        if (c.values.contains(k_failed_marker)) {
            return fmt::format("version {} holds the marker '{}' of a rolled-back transaction", c.version,
                               k_failed_marker);
        }
        for (const auto& [name, value] : c.values) {
            if (value < 0) return fmt::format("version {} holds {} = {}", c.version, name, value);
        }
        return std::nullopt;
    }

    void check_file(InvariantSink& sink, const Config& state) {
        if (m_store.path().empty()) return;
        const int inv = index_of(Inv::file_intact);
        const auto text = read_file(m_store.path());
        if (!text) {
            sink.fail(inv, fmt::format("{} is missing", m_store.path()));
            return;
        }
        const auto parsed = parse(*text);
        if (!parsed) {
            sink.fail(inv, fmt::format("the file does not parse ({} bytes)", text->size()));
        } else if (*parsed != state) {
            sink.fail(inv, fmt::format("the file holds version {} ({} values), the state version {} ({} values)",
                                       parsed->version, parsed->values.size(), state.version, state.values.size()));
        }
    }

    void check_listeners(InvariantSink& sink, const Config& state) {
        const int inv = index_of(Inv::listeners_in_order);
        std::lock_guard g(m_listener_mutex);
        for (const auto& p : m_listener_problems) sink.fail(inv, p);
        m_listener_problems.clear();
        if (const auto seen = m_last_notified.load(std::memory_order_relaxed); seen != state.version) {
            sink.fail(inv, fmt::format("listeners last saw version {}, the last commit is version {}", seen,
                                       state.version));
        }
    }

    void on_commit(const Config& committed) {
        const std::uint64_t last = m_last_notified.load(std::memory_order_relaxed);
        if (committed.version != last + 1) {
            std::lock_guard g(m_listener_mutex);
            m_listener_problems.push_back(
                fmt::format("a listener saw version {} right after version {}", committed.version, last));
        }
        m_last_notified.store(std::max(last, committed.version), std::memory_order_relaxed);
        // React to the change by reading the store back, as a component would.
        m_listener_sink.fetch_add(static_cast<std::uint64_t>(m_store.get_value("volume", 0)),
                                  std::memory_order_relaxed);
    }

    ConfigStore m_store;
    std::vector<PerThread> m_threads;
    std::atomic<std::uint64_t> m_increments{0};     ///< increment transactions that committed
    std::atomic<std::uint64_t> m_last_notified{0};  ///< listeners are called one at a time
    std::atomic<std::uint64_t> m_listener_sink{0};
    std::mutex m_listener_mutex;
    std::vector<std::string> m_listener_problems;  ///< under m_listener_mutex
};

TargetSpec make_config_store_spec() {
    TargetSpec spec;
    TargetInfo& info = spec.info;
    info.name = "config_store";
    info.description =
        "SpotiPi's thread-safe config manager: fair RW lock, per-thread and global caches, atomic file, "
        "transactions with rollback, change listeners";
    info.seed = "001_c9cefca6e6ecdf16.txt";
    fill_catalog(info, k_variants, k_ops, k_invariants);

    using namespace std::chrono_literals;
    info.params = {
        boolean_param("persist", true,
                      "write the config file in the job's work_dir at every commit (false: memory only)"),
        duration_param("thread_cache_ttl", 1s, 0ns, 1h,
                       "lifetime of a thread's cached copy (the document: 1s); 0ns: no per-thread cache"),
        duration_param("lock_timeout", 5s, 1ms, 1h,
                       "longest wait for the RW lock; past it the operation throws LockTimeout (an exception)"),
        integer_param("filler_fields", 8, 0, 4096,
                      "extra values in the config: the size of every snapshot copy and file write"),
        boolean_param("fsync", false, "fsync the temporary file before the rename (slow)"),
        duration_param("read_hold", 0ns, 0ns, 10ms,
                       "read_fields busy-works this long under the read lock after its copy (a slow deep copy)"),
    };

    spec.create = [](const TargetConfig& config) -> std::unique_ptr<TargetInstance> {
        return std::make_unique<ConfigStoreTarget>(config);
    };
    return spec;
}

}  // namespace

TM_REGISTER_TARGET(make_config_store_spec);

}  // namespace threadmill::config_store
