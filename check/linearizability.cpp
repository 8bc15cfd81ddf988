// The linearizability checker. The search is Wing and Gong's ("Testing and verifying
// concurrent objects", JPDC 1993) over a doubly linked list of call and return events, with
// Lowe's memoization of (linearized set, state) configurations ("Testing for linearizability",
// Concurrency and Computation: Practice and Experience 29(4), 2017: the WGL algorithm):
//
//   walk the list from its head; at a call event, try to linearize its op in the current
//   state: if the model accepts it and (linearized ∪ {op}, new state) was never seen, record
//   it, push a frame, lift the op's call and return out of the list and restart from the
//   head; otherwise go on to the next event. At a return event the op that returned was not
//   linearized in time: undo the last linearized op (pop, unlift) and go on after its call.
//   Success when every ok op is linearized; failure when a return is met with nothing to undo.
//
// An info op has no return event: it is never forced and may stay unlinearized, which is the
// same as taking effect after everything else (Jepsen's convention). A nondeterministic model
// gives several states for one step; the frame keeps the untried ones, and backtracking tries
// them before undoing the op.
//
// The read-only rule: an op that never changes the state (ModelSession::read_only: a read, a
// failed compare-and-set), a candidate whose output fits the current state, is linearized at
// once and nothing else is tried in that configuration (the argument is at run_loop). Reads
// concurrent with each other then cost a step each, not a branch each; a configuration is
// linearizable exactly when the one after such an op is, so nothing is lost.
//
// Info ops get one refinement of Lowe's memo: a configuration is also pruned when an explored
// one has the same state and ok ops but fewer info ops linearized (see MemoTable).
//
// The linearized set is a bit set with an incremental Zobrist hash (Zobrist, "A new hashing
// method with application for game playing", 1970), so a memo lookup is a probe plus a compare
// of the set's words per record of the key found.
// The hot loop allocates only when the memo table or the model's interned states grow.
#include "check/linearizability.hpp"

#include <algorithm>
#include <limits>
#include <memory>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

namespace threadmill {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::uint64_t k_check_every = 4096;  // steps between reads of the clock

std::uint64_t mix64(std::uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/// The memo table: the configurations (linearized set, state) already explored.
///
/// A configuration is also covered by one with the same state, the same ok ops linearized and
/// a subset of its info ops linearized: an info op still pending may stay pending forever, so
/// whatever completes the larger one completes the smaller one too (the same remaining ok ops,
/// the same state, no extra real-time constraint, since info ops have no return). So the hash
/// covers the state and the ok ops only; each key (slot) holds a chain of records whose info
/// sets are pairwise incomparable: a lookup succeeds when one covers the query, and adding a
/// record unlinks those it covers. Without info ops every chain has one record and this is
/// exactly Lowe's memo; with them it keeps the search from exploring every subset of the open
/// info ops.
///
/// Records are words [state, next record + 1, bits...] in one array (unlinked ones are not
/// reused); slots are open addressing with linear probing over the distinct keys.
class MemoTable {
public:
    enum class Insert { added, present, full };

    /// `ok_mask` has a bit set for each ok op (its words are the bit sets' words).
    MemoTable(std::vector<std::uint64_t> ok_mask, std::size_t budget_bytes)
        : m_words(ok_mask.size()), m_stride(ok_mask.size() + 2), m_budget(budget_bytes), m_ok_mask(std::move(ok_mask)) {
        m_slots.assign(k_initial_slots, Slot{});
        m_records.reserve(k_initial_slots / 2 * m_stride);
    }

    /// Adds the configuration unless a record covers it; `full` when growing would pass the budget.
    Insert insert(std::uint64_t hash, const std::uint64_t* bits, std::uint64_t state) {
        const std::size_t mask = m_slots.size() - 1;
        std::size_t i = hash & mask;
        for (; m_slots[i].head != 0; i = (i + 1) & mask) {
            if (m_slots[i].hash != hash) continue;
            std::uint64_t* link = &m_slots[i].head;
            while (*link != 0) {
                std::uint64_t* record = &m_records[(*link - 1) * m_stride];
                if (record[0] == state) {
                    if (covers(record + 2, bits)) return Insert::present;
                    if (covers(bits, record + 2)) {  // the new record will cover it
                        *link = record[1];
                        continue;
                    }
                }
                link = &record[1];
            }
            return add_record(bits, state, i);
        }
        if ((m_keys + 1) * 4 > m_slots.size() * 3) {
            if (!fits(m_slots.size() * 2, m_records.capacity())) return Insert::full;
            grow_slots();
            i = find_empty(hash);
        }
        m_slots[i].hash = hash;
        const Insert r = add_record(bits, state, i);
        if (r == Insert::added) ++m_keys;
        return r;
    }

    std::size_t entries() const { return m_count; }
    std::size_t memory_bytes() const { return bytes_for(m_slots.size(), m_records.capacity()); }
    /// The bytes the table may grow to (what the rest of the search leaves of the limit).
    void set_budget(std::size_t bytes) { m_budget = bytes; }

private:
    struct Slot {
        std::uint64_t hash = 0;
        std::uint64_t head = 0;  // first record + 1; 0 = empty slot
    };
    static constexpr std::size_t k_initial_slots = 1024;

    /// Whether a configuration with linearized set `stored` covers one with `query`: every
    /// op of `stored` is in `query`, and every ok op of `query` is in `stored`.
    bool covers(const std::uint64_t* stored, const std::uint64_t* query) const {
        for (std::size_t w = 0; w < m_words; ++w) {
            if (((stored[w] & ~query[w]) | (query[w] & ~stored[w] & m_ok_mask[w])) != 0) return false;
        }
        return true;
    }

    static std::size_t bytes_for(std::size_t slots, std::size_t record_words) {
        return slots * sizeof(Slot) + record_words * sizeof(std::uint64_t);
    }
    bool fits(std::size_t slots, std::size_t record_words) const { return bytes_for(slots, record_words) <= m_budget; }

    std::size_t find_empty(std::uint64_t hash) const {
        const std::size_t mask = m_slots.size() - 1;
        std::size_t i = hash & mask;
        while (m_slots[i].head != 0) i = (i + 1) & mask;
        return i;
    }

    /// Prepends a record to slot i's chain.
    Insert add_record(const std::uint64_t* bits, std::uint64_t state, std::size_t slot) {
        if (m_count >= std::numeric_limits<std::uint32_t>::max() - 1) return Insert::full;
        if (m_records.size() + m_stride > m_records.capacity()) {
            const std::size_t want = std::max(m_records.capacity() * 2, m_records.size() + m_stride);
            if (!fits(m_slots.size(), want)) return Insert::full;
            m_records.reserve(want);
        }
        m_records.push_back(state);
        m_records.push_back(m_slots[slot].head);
        m_records.insert(m_records.end(), bits, bits + m_words);
        m_slots[slot].head = ++m_count;
        return Insert::added;
    }

    void grow_slots() {
        std::vector<Slot> old(m_slots.size() * 2, Slot{});
        old.swap(m_slots);
        for (const Slot& s : old) {
            if (s.head != 0) m_slots[find_empty(s.hash)] = s;
        }
    }

    std::size_t m_words;
    std::size_t m_stride;
    std::size_t m_budget;
    std::size_t m_count = 0;  // records added
    std::size_t m_keys = 0;   // slots in use
    std::vector<std::uint64_t> m_ok_mask;
    std::vector<Slot> m_slots;
    std::vector<std::uint64_t> m_records;
};

enum class SearchOutcome { linearizable, not_linearizable, time_limit, memory_limit };

/// One search over one partition's ops (indices local to the partition).
class Search {
public:
    Search(const History& history, std::span<const std::size_t> ops, ModelSession& session, std::size_t memory_limit,
           bool read_only_rule)
        : m_session(session),
          m_read_only_rule(read_only_rule),
          m_words((ops.size() + 63) / 64),
          m_memory_limit(memory_limit),
          m_memo(ok_mask(history, ops), memory_limit) {
        build_list(history, ops);
        if (m_read_only_rule) {
            m_read_only.resize(ops.size());
            for (std::uint32_t i = 0; i < ops.size(); ++i) {
                m_read_only[i] = !history[ops[i]].is_info() && session.read_only(i);
                m_any_read_only = m_any_read_only || m_read_only[i] != 0;
            }
        }
        m_bits.assign(m_words, 0);
        // Info ops hash as 0: the memo hashes the ok ops only (see MemoTable).
        m_zobrist.resize(ops.size());
        std::uint64_t seed = 0x6a09e667f3bcc908ULL;
        for (std::size_t i = 0; i < ops.size(); ++i) {
            const std::uint64_t z = splitmix(seed);
            m_zobrist[i] = history[ops[i]].is_info() ? 0 : z;
        }
        m_stack.reserve(ops.size());
        m_alternatives.reserve(64);
        m_next.reserve(16);
    }

    /// Runs the search until it decides or `deadline` passes. With Track, it also keeps the
    /// deepest configuration reached (best_*).
    template <bool Track>
    SearchOutcome run(Clock::time_point deadline);

    std::uint64_t steps() const { return m_steps + m_forced_steps; }
    std::size_t memo_entries() const { return m_memo.entries(); }
    std::size_t peak_bytes() const { return m_peak_bytes; }

    std::vector<std::uint32_t> best_ops;           // linearized ops of the deepest configuration
    std::vector<StateId> best_states;              // the state after each
    std::vector<std::uint32_t> best_candidates;    // ok ops that had to come next there

private:
    struct Node {
        std::uint32_t prev = 0;
        std::uint32_t next = 0;
        std::uint32_t match = 0;  // call: its return node (0 for info); return: its call node
        std::uint32_t op = 0;
        bool call = false;
        bool info = false;
    };
    struct Frame {
        std::uint32_t node;       // the call node of the op linearized
        std::uint32_t alt_begin;  // untried states for it: m_alternatives[alt_next, alt_end)
        std::uint32_t alt_next;
        std::uint32_t alt_end;
        StateId before;           // the state before it
        bool forced;              // taken by the read-only rule: when it fails, so does the configuration before it
    };

    static std::uint64_t splitmix(std::uint64_t& s) { return mix64(s += 0x9e3779b97f4a7c15ULL); }

    static std::vector<std::uint64_t> ok_mask(const History& history, std::span<const std::size_t> ops) {
        std::vector<std::uint64_t> mask((ops.size() + 63) / 64, 0);
        for (std::size_t i = 0; i < ops.size(); ++i) {
            if (!history[ops[i]].is_info()) mask[i / 64] |= std::uint64_t{1} << (i % 64);
        }
        return mask;
    }

    void build_list(const History& history, std::span<const std::size_t> ops) {
        struct Event {
            std::int64_t time;
            bool ret;  // calls before returns at equal times
            std::uint32_t op;
        };
        std::vector<Event> events;
        events.reserve(ops.size() * 2);
        for (std::uint32_t i = 0; i < ops.size(); ++i) {
            const Operation& op = history[ops[i]];
            events.push_back({op.call, false, i});
            if (!op.is_info()) {
                events.push_back({op.ret, true, i});
                ++m_ok_ops;
            }
        }
        std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
            if (a.time != b.time) return a.time < b.time;
            if (a.ret != b.ret) return !a.ret;
            return a.op < b.op;
        });
        // Node 0 is the head sentinel, node events.size() + 1 the tail sentinel.
        m_tail = static_cast<std::uint32_t>(events.size() + 1);
        m_nodes.assign(events.size() + 2, Node{});
        std::vector<std::uint32_t> call_node(ops.size(), 0);
        for (std::uint32_t k = 0; k < events.size(); ++k) {
            Node& n = m_nodes[k + 1];
            n.prev = k;
            n.next = k + 2;
            n.op = events[k].op;
            n.call = !events[k].ret;
            n.info = history[ops[n.op]].is_info();
            if (n.call) {
                call_node[n.op] = k + 1;
            } else {
                n.match = call_node[n.op];
                m_nodes[n.match].match = k + 1;
            }
        }
        m_nodes[0].next = 1;
        m_nodes[m_tail].prev = m_tail - 1;
    }

    void unlink(std::uint32_t x) {
        const Node& n = m_nodes[x];
        m_nodes[n.prev].next = n.next;
        m_nodes[n.next].prev = n.prev;
    }
    void relink(std::uint32_t x) {
        const Node& n = m_nodes[x];
        m_nodes[n.prev].next = x;
        m_nodes[n.next].prev = x;
    }
    // Dancing links (Knuth, "Dancing links", 2000): undone in the reverse order of lifting.
    void lift(std::uint32_t call) {
        unlink(call);
        if (const std::uint32_t r = m_nodes[call].match) unlink(r);
    }
    void unlift(std::uint32_t call) {
        if (const std::uint32_t r = m_nodes[call].match) relink(r);
        relink(call);
    }

    void flip(std::uint32_t op) {
        m_bits[op / 64] ^= std::uint64_t{1} << (op % 64);
        m_bits_hash ^= m_zobrist[op];
    }
    std::uint64_t key_hash(StateId state) const { return mix64(m_bits_hash ^ mix64(state + 0x2545f4914f6cdd1dULL)); }

    std::size_t bytes_held() const {
        return m_memo.memory_bytes() + m_session.memory_bytes() + m_stack.capacity() * sizeof(Frame) +
               m_alternatives.capacity() * sizeof(StateId) + m_nodes.capacity() * sizeof(Node);
    }

    template <bool Track>
    SearchOutcome run_loop(Clock::time_point deadline);
    /// Keeps the configuration if it is the deepest so far.
    void capture(StateId state);
    static constexpr std::size_t k_no_depth = static_cast<std::size_t>(-1);

    ModelSession& m_session;
    bool m_read_only_rule;
    std::vector<std::uint8_t> m_read_only;  // per op: ok, and ModelSession::read_only (with the rule)
    bool m_any_read_only = false;
    std::size_t m_words;
    std::size_t m_memory_limit;
    std::uint32_t m_ok_ops = 0;
    std::uint32_t m_tail = 0;
    std::vector<Node> m_nodes;
    std::vector<std::uint64_t> m_bits;
    std::uint64_t m_bits_hash = 0;
    std::vector<std::uint64_t> m_zobrist;
    MemoTable m_memo;
    std::vector<Frame> m_stack;
    std::vector<StateId> m_alternatives;
    std::vector<StateId> m_next;
    std::uint64_t m_steps = 0;         // loop turns (the clock is read every k_check_every)
    std::uint64_t m_forced_steps = 0;  // ops taken by the read-only rule
    std::size_t m_peak_bytes = 0;
    std::size_t m_best_depth = k_no_depth;
};

void Search::capture(StateId state) {
    if (m_best_depth != k_no_depth && m_stack.size() <= m_best_depth) return;
    m_best_depth = m_stack.size();
    best_ops.clear();
    best_states.clear();
    for (std::size_t i = 0; i < m_stack.size(); ++i) {
        best_ops.push_back(m_nodes[m_stack[i].node].op);
        best_states.push_back(i + 1 < m_stack.size() ? m_stack[i + 1].before : state);
    }
    best_candidates.clear();
    for (std::uint32_t x = m_nodes[0].next; x != m_tail && m_nodes[x].call; x = m_nodes[x].next) {
        if (!m_nodes[x].info) best_candidates.push_back(m_nodes[x].op);
    }
}

template <bool Track>
SearchOutcome Search::run(Clock::time_point deadline) {
    const SearchOutcome outcome = run_loop<Track>(deadline);
    m_peak_bytes = std::max(m_peak_bytes, bytes_held());
    return outcome;
}

template <bool Track>
SearchOutcome Search::run_loop(Clock::time_point deadline) {
    StateId state = m_session.initial();
    std::uint32_t ok_left = m_ok_ops;
    if (ok_left == 0) return SearchOutcome::linearizable;
    if constexpr (Track) capture(state);
    std::uint32_t entry = m_nodes[0].next;
    bool fresh = true;  // a configuration just reached: the read-only rule runs first
    while (true) {
        if (++m_steps % k_check_every == 0) {
            const std::size_t held = bytes_held();
            m_peak_bytes = std::max(m_peak_bytes, held);
            if (held > m_memory_limit) return SearchOutcome::memory_limit;
            m_memo.set_budget(m_memory_limit - (held - m_memo.memory_bytes()));
            if (Clock::now() >= deadline) return SearchOutcome::time_limit;
        }
        bool failed = false;  // the current configuration cannot be completed
        if (fresh && m_any_read_only) {
            fresh = false;
            // The read-only rule. A candidate op r (called before any pending op returned) that
            // never changes the state and whose output fits the state now can be linearized now
            // without losing anything: in any completion that places r later, moving r first
            // keeps every other op's state (r changes none) and breaks no real-time order (no
            // pending op returned before r was called). So the configuration is linearizable
            // exactly when the one after r is, and nothing else is tried here. Concurrent reads
            // then cost one step each instead of a branch each.
            for (std::uint32_t x = m_nodes[0].next; x != m_tail && m_nodes[x].call;) {
                const Node& node = m_nodes[x];
                // An info op is left out (m_read_only is false for it): one that changes nothing
                // need never take effect, and the memo, keyed on the ok ops, could not tell the
                // configuration after it.
                if (m_read_only[node.op] == 0) {
                    x = node.next;
                    continue;
                }
                m_next.clear();
                m_session.step(state, node.op, m_next);
                if (m_next.empty()) {  // its output does not fit this state
                    x = node.next;
                    continue;
                }
                flip(node.op);
                const auto r = m_memo.insert(key_hash(state), m_bits.data(), state);
                if (r == MemoTable::Insert::full) return SearchOutcome::memory_limit;
                if (r != MemoTable::Insert::added) {  // seen, and failed: so does this configuration
                    flip(node.op);
                    failed = true;
                    break;
                }
                ++m_forced_steps;
                const auto at = static_cast<std::uint32_t>(m_alternatives.size());
                m_stack.push_back(Frame{x, at, at, at, state, true});
                lift(x);
                if (--ok_left == 0) return SearchOutcome::linearizable;
                if constexpr (Track) capture(state);
                x = m_nodes[0].next;
            }
            entry = m_nodes[0].next;
        }
        if (!failed) {
            if (entry == m_tail) return SearchOutcome::linearizable;  // only unforced info calls were left
            const Node& node = m_nodes[entry];
            if (node.call) {
                m_next.clear();
                m_session.step(state, node.op, m_next);
                flip(node.op);
                std::size_t k = 0;
                for (; k < m_next.size(); ++k) {
                    const auto r = m_memo.insert(key_hash(m_next[k]), m_bits.data(), m_next[k]);
                    if (r == MemoTable::Insert::added) break;
                    if (r == MemoTable::Insert::full) return SearchOutcome::memory_limit;
                }
                if (k == m_next.size()) {  // illegal here, or every resulting configuration already seen
                    flip(node.op);
                    entry = node.next;
                    continue;
                }
                Frame frame{entry, static_cast<std::uint32_t>(m_alternatives.size()), 0, 0, state, false};
                m_alternatives.insert(m_alternatives.end(), m_next.begin() + static_cast<std::ptrdiff_t>(k + 1),
                                      m_next.end());
                frame.alt_next = frame.alt_begin;
                frame.alt_end = static_cast<std::uint32_t>(m_alternatives.size());
                m_stack.push_back(frame);
                state = m_next[k];
                lift(entry);
                if (!node.info && --ok_left == 0) return SearchOutcome::linearizable;
                if constexpr (Track) capture(state);
                entry = m_nodes[0].next;
                fresh = true;
                continue;
            }
        }
        // A return (its op was not linearized in time), or a failed configuration: try the last
        // op's other states, else undo it; undoing a forced op fails the configuration before it too.
        bool moved = false;
        while (!moved) {
            if (m_stack.empty()) return SearchOutcome::not_linearizable;
            Frame& top = m_stack.back();
            while (top.alt_next < top.alt_end) {
                const StateId s = m_alternatives[top.alt_next++];
                const auto r = m_memo.insert(key_hash(s), m_bits.data(), s);
                if (r == MemoTable::Insert::full) return SearchOutcome::memory_limit;
                if (r == MemoTable::Insert::added) {
                    state = s;
                    moved = true;
                    break;
                }
            }
            if (moved) {
                if constexpr (Track) capture(state);
                entry = m_nodes[0].next;
                fresh = true;
                break;
            }
            const Node& undone = m_nodes[top.node];
            const bool forced = top.forced;
            state = top.before;
            unlift(top.node);
            flip(undone.op);
            if (!undone.info) ++ok_left;
            m_alternatives.resize(top.alt_begin);
            entry = undone.next;
            m_stack.pop_back();
            if (!forced) break;  // the configuration before it tries its next candidate
        }
    }
}

Clock::time_point deadline_after(Clock::time_point now, std::chrono::nanoseconds limit) {
    if (limit <= std::chrono::nanoseconds::zero()) return now;
    if (limit >= Clock::time_point::max() - now) return Clock::time_point::max();
    return now + std::chrono::duration_cast<Clock::duration>(limit);
}

void diagnose(const History& history, const Model& model, const Partition& part, const CheckOptions& options,
              LinResult& result) {
    const auto session = model.start(history, part.ops);
    Search search(history, part.ops, *session, options.memory_limit_bytes, options.read_only_rule);
    const SearchOutcome outcome = search.run<true>(deadline_after(Clock::now(), options.diagnosis_time_limit));
    result.diagnosed = true;
    result.diagnosis_complete = outcome == SearchOutcome::not_linearizable;
    result.initial_state = session->describe_state(session->initial());
    for (std::size_t i = 0; i < search.best_ops.size(); ++i) {
        result.longest_prefix.push_back(part.ops[search.best_ops[i]]);
        result.prefix_states.push_back(session->describe_state(search.best_states[i]));
    }
    for (const std::uint32_t op : search.best_candidates) result.unplaced.push_back(part.ops[op]);
}

/// The fast check of one partition; its search and session are gone when it returns (before
/// any diagnosis), so the two never hold memory at once.
SearchOutcome check_partition(const History& history, const Model& model, const Partition& part,
                              Clock::time_point deadline, const CheckOptions& options, LinResult& result) {
    const auto session = model.start(history, part.ops);
    Search search(history, part.ops, *session, options.memory_limit_bytes, options.read_only_rule);
    const SearchOutcome outcome = search.run<false>(deadline);
    result.steps += search.steps();
    result.peak_memo_entries = std::max(result.peak_memo_entries, search.memo_entries());
    result.peak_memory_bytes = std::max(result.peak_memory_bytes, search.peak_bytes());
    return outcome;
}

}  // namespace

std::string_view to_string(LinVerdict v) {
    switch (v) {
        case LinVerdict::linearizable: return "linearizable";
        case LinVerdict::not_linearizable: return "not linearizable";
        case LinVerdict::unknown: return "unknown";
    }
    return "?";
}

std::optional<LinVerdict> verdict_named(std::string_view words) {
    for (const LinVerdict v : {LinVerdict::linearizable, LinVerdict::not_linearizable, LinVerdict::unknown}) {
        if (words == to_string(v)) return v;
    }
    return std::nullopt;
}

std::string_view to_string(UnknownReason r) {
    switch (r) {
        case UnknownReason::none: return "none";
        case UnknownReason::time_limit: return "time limit";
        case UnknownReason::memory_limit: return "memory limit";
    }
    return "?";
}

LinResult check_linearizability(const History& history, const Model& model, const CheckOptions& options) {
    const Clock::time_point deadline = deadline_after(Clock::now(), options.time_limit);
    for (std::size_t i = 0; i < history.size(); ++i) {
        if (!history[i].is_info() && history[i].ret < history[i].call) {
            throw std::invalid_argument(fmt::format("check_linearizability: op {} returns ({}) before its call ({})", i,
                                                    history[i].ret, history[i].call));
        }
    }
    const std::vector<Partition> parts = model.partition(history);

    LinResult result;
    result.partitions = parts.size();
    for (const Partition& part : parts) {
        if (part.ops.size() >= std::numeric_limits<std::uint32_t>::max() / 2) {
            throw std::length_error("check_linearizability: a partition has too many ops");
        }
        const SearchOutcome outcome = check_partition(history, model, part, deadline, options, result);
        switch (outcome) {
            case SearchOutcome::linearizable: ++result.partitions_decided; break;
            case SearchOutcome::not_linearizable:
                ++result.partitions_decided;
                result.verdict = LinVerdict::not_linearizable;
                result.unknown_reason = UnknownReason::none;
                result.key = part.key;
                result.partition_ops = part.ops;
                if (options.diagnosis_time_limit > std::chrono::nanoseconds::zero()) {
                    diagnose(history, model, part, options, result);
                }
                return result;
            case SearchOutcome::time_limit:
            case SearchOutcome::memory_limit:
                if (result.verdict != LinVerdict::unknown) {
                    result.verdict = LinVerdict::unknown;
                    result.unknown_reason = outcome == SearchOutcome::time_limit ? UnknownReason::time_limit
                                                                                  : UnknownReason::memory_limit;
                    result.key = part.key;
                    result.partition_ops = part.ops;
                }
                break;
        }
        if (outcome == SearchOutcome::time_limit) break;  // no time left for the others
    }
    return result;
}

}  // namespace threadmill
