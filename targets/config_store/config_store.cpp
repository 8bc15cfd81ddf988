// The config store (see config_store.hpp): caches, transactions, atomic persistence, listeners.
#include "targets/config_store/config_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <utility>

#include <fmt/format.h>

namespace threadmill::config_store {
namespace {

constexpr std::string_view k_header = "threadmill-config 1";
constexpr std::size_t k_history_kept = 64;

std::atomic<std::uint64_t> g_next_store_id{1};

/// One thread's cached read of one store (threading.local in the document).
struct ThreadCacheEntry {
    std::uint64_t store_id = 0;
    std::uint64_t generation = 0;
    std::int64_t expires_ns = 0;
    std::shared_ptr<const Config> config;
};

/// This thread's cache entries, one per store it read recently.
thread_local std::vector<ThreadCacheEntry> t_cache;
constexpr std::size_t k_thread_cache_stores = 8;

ThreadCacheEntry* find_entry(std::uint64_t store_id) {
    for (auto& e : t_cache) {
        if (e.store_id == store_id) return &e;
    }
    return nullptr;
}

/// A transaction whose body is running on this thread: its store and its working copy.
struct OpenTransaction {
    std::uint64_t store_id = 0;
    Config* draft = nullptr;
};

/// This thread's open transactions, innermost last (a body may run another store's transaction).
thread_local std::vector<OpenTransaction> t_open_transactions;

/// The working copy of this thread's innermost open transaction on store `store_id`, or nullptr.
Config* open_draft(std::uint64_t store_id) {
    for (auto it = t_open_transactions.rbegin(); it != t_open_transactions.rend(); ++it) {
        if (it->store_id == store_id) return it->draft;
    }
    return nullptr;
}

/// Registers a working copy as this thread's open transaction for as long as it lives.
class OpenTransactionScope {
public:
    OpenTransactionScope(std::uint64_t store_id, Config& draft) { t_open_transactions.push_back({store_id, &draft}); }
    ~OpenTransactionScope() { t_open_transactions.pop_back(); }
    OpenTransactionScope(const OpenTransactionScope&) = delete;
    OpenTransactionScope& operator=(const OpenTransactionScope&) = delete;
};

bool parse_int(std::string_view text, std::int64_t& out) {
    if (text.empty()) return false;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc{} && end == text.data() + text.size();
}

void write_all(int fd, std::string_view data, const std::string& path) {
    while (!data.empty()) {
        const ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            throw std::system_error(errno, std::generic_category(), "write " + path);
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
}

/// RAII for the two lock modes; both throw LockTimeout when the lock does not come in time.
class SharedLock {
public:
    SharedLock(RwLock& lock, Nanos timeout) : m_lock(lock) {
        if (!m_lock.try_lock_shared_for(timeout)) {
            throw LockTimeout(fmt::format("config store: no read lock within {}ns", timeout.count()));
        }
    }
    ~SharedLock() { m_lock.unlock_shared(); }
    SharedLock(const SharedLock&) = delete;
    SharedLock& operator=(const SharedLock&) = delete;

private:
    RwLock& m_lock;
};

class ExclusiveLock {
public:
    ExclusiveLock(RwLock& lock, Nanos timeout) : m_lock(lock) {
        if (!m_lock.try_lock_for(timeout)) {
            throw LockTimeout(fmt::format("config store: no write lock within {}ns", timeout.count()));
        }
    }
    ~ExclusiveLock() { m_lock.unlock(); }
    ExclusiveLock(const ExclusiveLock&) = delete;
    ExclusiveLock& operator=(const ExclusiveLock&) = delete;

private:
    RwLock& m_lock;
};

}  // namespace

std::int64_t Config::value_or(std::string_view key, std::int64_t fallback) const {
    const auto it = values.find(key);
    return it == values.end() ? fallback : it->second;
}

bool is_valid(const Config& config) {
    for (const auto& [name, value] : config.values) {
        if (value < 0) return false;
    }
    return true;
}

std::string serialize(const Config& config) {
    std::string out = fmt::format("{}\nversion {}\n", k_header, config.version);
    for (const auto& [name, value] : config.values) out += fmt::format("{} {}\n", name, value);
    out += fmt::format("end {} {}\n", config.version, config.values.size());
    return out;
}

std::optional<Config> parse(std::string_view text) {
    Config config;
    std::size_t line_no = 0;
    bool ended = false;
    while (!text.empty()) {
        const auto nl = text.find('\n');
        if (nl == std::string_view::npos || ended) return std::nullopt;  // a line cut short, or text after the end
        const std::string_view line = text.substr(0, nl);
        text.remove_prefix(nl + 1);
        if (line_no++ == 0) {
            if (line != k_header) return std::nullopt;
            continue;
        }
        const auto sp = line.find(' ');
        if (sp == std::string_view::npos) return std::nullopt;
        const std::string_view name = line.substr(0, sp);
        const std::string_view rest = line.substr(sp + 1);
        if (line_no == 2) {
            std::int64_t v = 0;
            if (name != "version" || !parse_int(rest, v) || v < 0) return std::nullopt;
            config.version = static_cast<std::uint64_t>(v);
            continue;
        }
        if (name == "end") {
            const auto sp2 = rest.find(' ');
            std::int64_t version = 0;
            std::int64_t count = 0;
            if (sp2 == std::string_view::npos || !parse_int(rest.substr(0, sp2), version) ||
                !parse_int(rest.substr(sp2 + 1), count)) {
                return std::nullopt;
            }
            if (static_cast<std::uint64_t>(version) != config.version ||
                static_cast<std::size_t>(count) != config.values.size()) {
                return std::nullopt;
            }
            ended = true;
            continue;
        }
        std::int64_t value = 0;
        if (line_no == 2 || !parse_int(rest, value)) return std::nullopt;
        if (!config.values.emplace(std::string(name), value).second) return std::nullopt;
    }
    if (!ended) return std::nullopt;
    return config;
}

std::optional<std::string> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream text;
    text << in.rdbuf();
    return std::move(text).str();
}

ConfigStore::ConfigStore(ConfigStoreOptions options, Config initial)
    : m_options(std::move(options)),
      m_id(g_next_store_id.fetch_add(1, std::memory_order_relaxed)),
      m_lock(RwLockFaults{.reader_preferring = m_options.faults.reader_preferring,
                          .non_reentrant = m_options.faults.non_reentrant_lock}),
      m_state(std::move(initial)) {
    m_committed_version.store(m_state.version, std::memory_order_release);
    if (!m_options.path.empty()) persist(m_state);
}

ConfigStore::~ConfigStore() {
    if (ThreadCacheEntry* e = find_entry(m_id)) *e = ThreadCacheEntry{};
}

std::int64_t ConfigStore::now_ns() const {
    if (m_options.now_ns) return m_options.now_ns();
    return std::chrono::duration_cast<Nanos>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void ConfigStore::pause() const {
    if (m_options.pause) m_options.pause();
}

std::shared_ptr<const Config> ConfigStore::cached() {
    if (m_options.thread_cache_ttl <= Nanos::zero()) return nullptr;
    ThreadCacheEntry* e = find_entry(m_id);
    if (e == nullptr || !e->config) return nullptr;
    if (now_ns() >= e->expires_ns) return nullptr;
    // The mutant trusts the TTL alone: only the committing thread's own cache was cleared.
    if (!m_options.faults.stale_thread_cache &&
        e->generation != m_generation.load(std::memory_order_acquire)) {
        return nullptr;
    }
    return e->config;
}

ConfigStore::CachedRead ConfigStore::load_global(Config* copy) {
    if (copy != nullptr && m_options.faults.copy_after_unlock) {
        CachedRead read;
        const Config* live = nullptr;
        {
            SharedLock lock(m_lock, m_options.lock_timeout);
            {
                std::lock_guard g(m_global_mutex);
                if (!m_global) m_global = std::make_shared<const Config>(m_state);
                read.config = m_global;
            }
            read.generation = m_generation.load(std::memory_order_acquire);
            live = &m_state;  // a reference into the guarded state...
        }
        pause();
        *copy = *live;  // ...copied after the lock is gone, while a commit may replace it
        return read;
    }
    SharedLock lock(m_lock, m_options.lock_timeout);
    CachedRead read;
    {
        std::lock_guard g(m_global_mutex);
        if (!m_global) m_global = std::make_shared<const Config>(m_state);
        read.config = m_global;
    }
    read.generation = m_generation.load(std::memory_order_acquire);
    if (copy != nullptr) {
        *copy = *read.config;  // the deep copy, made while no writer can commit
        if (m_options.read_hold > Nanos::zero()) {
            const auto until = std::chrono::steady_clock::now() + m_options.read_hold;
            while (std::chrono::steady_clock::now() < until) {
            }
        }
    }
    return read;
}

void ConfigStore::remember(const CachedRead& read) {
    if (m_options.thread_cache_ttl <= Nanos::zero()) return;
    ThreadCacheEntry* e = find_entry(m_id);
    if (e == nullptr) {
        if (t_cache.size() >= k_thread_cache_stores) t_cache.erase(t_cache.begin());
        e = &t_cache.emplace_back();
        e->store_id = m_id;
    }
    e->generation = read.generation;
    e->expires_ns = now_ns() + m_options.thread_cache_ttl.count();
    e->config = read.config;
}

void ConfigStore::forget_own_cache() {
    if (ThreadCacheEntry* e = find_entry(m_id)) e->config.reset();
}

Config ConfigStore::snapshot() {
    if (auto c = cached()) return *c;
    Config copy;
    remember(load_global(&copy));
    return copy;
}

std::int64_t ConfigStore::get_value(std::string_view key, std::int64_t fallback, std::uint64_t* version) {
    auto c = cached();
    if (!c) {
        const CachedRead read = load_global(nullptr);
        remember(read);
        c = read.config;
    }
    if (version != nullptr) *version = c->version;
    return c->value_or(key, fallback);
}

std::uint64_t ConfigStore::set_value(std::string_view key, std::int64_t value) {
    const TxResult r = transaction([&](Config& c) {
        c.values.insert_or_assign(std::string(key), value);
        return true;
    });
    return r.version;
}

TxResult ConfigStore::transaction(const std::function<bool(Config&)>& body) {
    if (Config* draft = open_draft(m_id)) return transaction_nested(*draft, body);
    TxResult r = m_options.faults.load_modify_save ? transaction_load_modify_save(body) : transaction_safe(body);
    deliver_pending();
    return r;
}

TxResult ConfigStore::transaction_safe(const std::function<bool(Config&)>& body) {
    if (m_options.faults.unlock_by_hand) {
        if (!m_lock.try_lock_for(m_options.lock_timeout))
            throw LockTimeout(fmt::format("config store: no write lock within {}ns", m_options.lock_timeout.count()));
        const std::uint64_t seen = m_state.version;
        Config draft = m_state;
        const bool ok = run_body(draft, body);  // a throw leaves here, and the lock stays held
        if (!ok || !is_valid(draft)) {
            record(TxOutcome::rolled_back, seen);
            m_lock.unlock();
            return {TxOutcome::rolled_back, seen};
        }
        commit_locked(std::move(draft));
        const std::uint64_t version = m_state.version;
        m_lock.unlock();
        return {TxOutcome::committed, version};
    }
    ExclusiveLock lock(m_lock, m_options.lock_timeout);
    const std::uint64_t seen = m_state.version;
    if (m_options.faults.no_rollback) {
        // The mutant edits the live state: whatever `body` did before failing stays.
        bool ok = false;
        try {
            ok = run_body(m_state, body);
        } catch (...) {
            record(TxOutcome::rolled_back, seen);
            throw;
        }
        pause();
        if (!ok || !is_valid(m_state)) {
            record(TxOutcome::rolled_back, seen);
            return {TxOutcome::rolled_back, seen};
        }
        commit_locked(m_state);
        return {TxOutcome::committed, m_state.version};
    }
    Config draft = m_state;  // the snapshot the body works on
    bool ok = false;
    try {
        ok = run_body(draft, body);
    } catch (...) {
        record(TxOutcome::rolled_back, seen);
        throw;
    }
    pause();
    if (!ok || !is_valid(draft)) {
        record(TxOutcome::rolled_back, seen);
        return {TxOutcome::rolled_back, seen};
    }
    commit_locked(std::move(draft));
    return {TxOutcome::committed, m_state.version};
}

TxResult ConfigStore::transaction_nested(Config& draft, const std::function<bool(Config&)>& body) {
    // This thread holds the write lock already (its enclosing transaction's): granted at once.
    ExclusiveLock lock(m_lock, m_options.lock_timeout);
    const std::uint64_t seen = draft.version;
    Config savepoint = draft;
    bool ok = false;
    try {
        ok = run_body(draft, body);
    } catch (...) {
        draft = std::move(savepoint);  // only this body's edits are undone
        record(TxOutcome::rolled_back, seen);
        throw;
    }
    if (!ok) {
        draft = std::move(savepoint);
        record(TxOutcome::rolled_back, seen);
        return {TxOutcome::rolled_back, seen};
    }
    record(TxOutcome::joined, seen);  // validated, persisted and notified with the outermost
    return {TxOutcome::joined, seen};
}

bool ConfigStore::run_body(Config& draft, const std::function<bool(Config&)>& body) {
    OpenTransactionScope open(m_id, draft);
    return body(draft);
}

TxResult ConfigStore::transaction_load_modify_save(const std::function<bool(Config&)>& body) {
    // config = load_config(); config[...] = ...; save_config(config): three separate steps.
    Config draft = snapshot();
    const std::uint64_t seen = draft.version;
    const bool ok = run_body(draft, body);
    pause();
    ExclusiveLock lock(m_lock, m_options.lock_timeout);
    if (!ok || !is_valid(draft)) {
        record(TxOutcome::rolled_back, seen);
        return {TxOutcome::rolled_back, seen};
    }
    commit_locked(std::move(draft));  // overwrites whatever was committed since the load
    return {TxOutcome::committed, m_state.version};
}

void ConfigStore::commit_locked(Config next) {
    next.version = m_state.version + 1;
    persist(next);  // throws before anything changed if the file cannot be written
    m_state = std::move(next);
    auto committed = std::make_shared<const Config>(m_state);
    {
        std::lock_guard g(m_global_mutex);
        m_global = committed;  // write-through: the global cache holds the new state
    }
    if (m_options.faults.stale_thread_cache) {
        forget_own_cache();  // threading.local: only this thread's cache is cleared
    } else {
        m_generation.fetch_add(1, std::memory_order_acq_rel);
    }
    m_committed_version.store(m_state.version, std::memory_order_release);
    ++m_commits;
    record(TxOutcome::committed, m_state.version);
    if (m_options.faults.listener_under_lock) {
        std::vector<std::shared_ptr<const Listener>> listeners;
        {
            std::lock_guard g(m_listeners_mutex);
            listeners = m_listeners;
        }
        for (const auto& l : listeners) (*l)(*committed);  // still holding the write lock
        return;
    }
    std::lock_guard g(m_pending_mutex);
    m_pending.push_back(std::move(committed));
}

void ConfigStore::record(TxOutcome outcome, std::uint64_t version) {
    if (outcome == TxOutcome::rolled_back) ++m_rollbacks;
    ++m_history_count;
    m_history.push_back({version, outcome});
    if (m_history.size() > k_history_kept) m_history.pop_front();
}

void ConfigStore::deliver_pending() {
    std::unique_lock lock(m_pending_mutex);
    if (m_delivering) return;  // the thread delivering now delivers ours too, in order
    m_delivering = true;
    while (!m_pending.empty()) {
        std::shared_ptr<const Config> next = std::move(m_pending.front());
        m_pending.pop_front();
        lock.unlock();
        std::vector<std::shared_ptr<const Listener>> listeners;
        {
            std::lock_guard g(m_listeners_mutex);
            listeners = m_listeners;
        }
        try {
            for (const auto& l : listeners) (*l)(*next);
        } catch (...) {
            lock.lock();
            m_delivering = false;
            throw;
        }
        lock.lock();
    }
    m_delivering = false;
}

void ConfigStore::persist(const Config& config) {
    if (m_options.path.empty()) return;
    const std::string text = serialize(config);
    if (m_options.faults.torn_write) {
        write_file_in_place(text);
    } else {
        write_file_atomically(text);
    }
}

void ConfigStore::write_file_atomically(const std::string& text) {
    const std::string tmp = m_options.path + ".tmp";  // one writer at a time: under the write lock
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "open " + tmp);
    try {
        write_all(fd, text, tmp);
        if (m_options.fsync && ::fsync(fd) != 0) throw std::system_error(errno, std::generic_category(), "fsync " + tmp);
    } catch (...) {
        ::close(fd);
        ::unlink(tmp.c_str());
        throw;
    }
    if (::close(fd) != 0) throw std::system_error(errno, std::generic_category(), "close " + tmp);
    pause();
    if (::rename(tmp.c_str(), m_options.path.c_str()) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        throw std::system_error(err, std::generic_category(), "rename " + tmp);
    }
}

void ConfigStore::write_file_in_place(const std::string& text) {
    // json.dump(config, open(path, "w")): truncate, then stream the text a line at a time.
    const int fd = ::open(m_options.path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "open " + m_options.path);
    std::string_view rest = text;
    const std::size_t half = text.size() / 2;
    bool paused = false;
    try {
        while (!rest.empty()) {
            const auto nl = rest.find('\n');
            const std::size_t n = nl == std::string_view::npos ? rest.size() : nl + 1;
            write_all(fd, rest.substr(0, n), m_options.path);
            rest.remove_prefix(n);
            if (!paused && text.size() - rest.size() >= half) {
                paused = true;
                pause();
            }
        }
    } catch (...) {
        ::close(fd);
        throw;
    }
    ::close(fd);
}

ReloadResult ConfigStore::reload() {
    if (m_options.path.empty()) return {ReloadOutcome::no_file, {}};
    const auto text = read_file(m_options.path);  // no store lock: the file is shared with the world
    if (!text) return {ReloadOutcome::no_file, {}};
    auto parsed = parse(*text);
    if (!parsed) {
        const auto cut = text->find_last_of('\n', text->size() > 1 ? text->size() - 2 : 0);
        return {ReloadOutcome::unparsable,
                fmt::format("{} bytes, last line '{}'", text->size(),
                            cut == std::string::npos ? *text : text->substr(cut + 1, 40))};
    }
    ExclusiveLock lock(m_lock, m_options.lock_timeout);
    if (parsed->version < m_state.version) return {ReloadOutcome::stale, {}};
    if (parsed->version > m_state.version || parsed->values != m_state.values) {
        return {ReloadOutcome::mismatch,
                fmt::format("file version {} ({} values), state version {} ({} values)", parsed->version,
                            parsed->values.size(), m_state.version, m_state.values.size())};
    }
    ++m_reloads;
    {
        std::lock_guard g(m_global_mutex);
        m_global = std::make_shared<const Config>(std::move(*parsed));
    }
    m_generation.fetch_add(1, std::memory_order_acq_rel);
    return {ReloadOutcome::adopted, {}};
}

void ConfigStore::invalidate_caches() {
    {
        std::lock_guard g(m_global_mutex);
        m_global.reset();
    }
    m_generation.fetch_add(1, std::memory_order_acq_rel);
}

std::size_t ConfigStore::add_listener(Listener listener) {
    std::lock_guard g(m_listeners_mutex);
    m_listeners.push_back(std::make_shared<const Listener>(std::move(listener)));
    return m_listeners.size();
}

ConfigStats ConfigStore::stats() {
    ConfigStats s;
    {
        std::lock_guard g(m_listeners_mutex);
        s.change_listeners_count = m_listeners.size();
    }
    SharedLock lock(m_lock, m_options.lock_timeout);
    s.transaction_history_count = m_history_count;
    s.commits = m_commits;
    s.rollbacks = m_rollbacks;
    s.reloads = m_reloads;
    s.version = m_state.version;
    return s;
}

Config ConfigStore::peek() {
    SharedLock lock(m_lock, m_options.lock_timeout);
    return m_state;
}

}  // namespace threadmill::config_store
