// Sequential specifications for the linearizability checker: the Model interface and the
// built-in models (register, kv, queue, set, counter).
//
// Built-in models and the JSON shapes they expect. An op's `key` names the object it acts on:
// ops on different keys are independent (every built-in model partitions by key; an op without
// a key acts on the one unnamed object). An input the op does not use is ignored, and so is
// the output of an op that returns nothing. For an `info` op the output is always ignored.
// Values are compared as JSON text (1 and 1.0 differ). A wrong shape is a ModelError.
//
//   register  read: output the value (null before any write)  write: input v  cas: input
//             [expected, new], output true (swapped) or false. Starts null, or at the initial
//             value given to make_register_model.
//   kv        key required; strings only. get: output the value (null reads as "", the value
//             of an absent key)  put: input v  append: input v (concatenated)  delete: makes
//             the value "". Every key starts as "".
//   queue     FIFO. enqueue: input v (not null)  dequeue: output the front value, or null when
//             empty.
//   set       add: input v, output bool "was absent"  remove: input v, output bool "was
//             present"  contains: input v, output bool.
//   counter   add: input n (64-bit integer, wraps)  read: output n. Starts at 0.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "check/history.hpp"

namespace threadmill {

/// A model state as the checker sees it: a canonical 64-bit value, so that two states are
/// equal exactly when their ids are, and the checker hashes and compares states as integers.
/// A model packs a small state into it (a value, a bit set of up to 64 members, a counter)
/// or interns a larger one (a queue's contents, a string) in a SequenceTable, whose hash and
/// equality are those of the full state. Ids are only meaningful within one ModelSession.
using StateId = std::uint64_t;

/// An op with a shape its model cannot use (unknown op name, input or output of the wrong
/// type, missing key). what() names the op by index, line and process.
class ModelError : public std::runtime_error {
public:
    ModelError(std::size_t op_index, const Operation& op, std::string_view model, const std::string& message);
    std::size_t op_index() const { return m_op_index; }  ///< index into the history

private:
    std::size_t m_op_index;
};

/// One independent part of a history (P-compositionality: Horn and Kroening, "Faster
/// linearizability checking via P-compositionality", FORTE 2015): the history is linearizable
/// exactly when each partition is.
struct Partition {
    std::optional<std::string> key;  ///< the key its ops share; nullopt for ops without one
    std::vector<std::size_t> ops;    ///< indices into the history, ascending
};

/// A model compiled for one partition's ops: the sequential object the checker runs ops
/// against. Not thread-safe; one per check of a partition. May grow (interned states) while the
/// checker runs, which memory_bytes() reports.
class ModelSession {
public:
    virtual ~ModelSession() = default;

    /// The state before any op.
    virtual StateId initial() = 0;

    /// Appends to `next` every state the object may be in after op `op` (an index into the
    /// ops given to Model::start) takes effect in `state` and returns its recorded output;
    /// appends nothing when that output is impossible in `state`. For an `info` op the output
    /// is ignored. A deterministic model appends at most one state; the checker explores
    /// every state appended. Never throws for ops that start() accepted.
    virtual void step(StateId state, std::uint32_t op, std::vector<StateId>& next) = 0;

    /// True when op `op` never changes the state: in every state step() appends that same state
    /// or nothing (a read; a compare-and-set that failed; a dequeue that found the queue empty).
    /// The checker then takes it as soon as it may and its output fits, and tries nothing else
    /// there, which loses no linearization (check/linearizability.cpp, the read-only rule). False
    /// (the default) is always correct, only slower.
    virtual bool read_only(std::uint32_t op) const {
        (void)op;
        return false;
    }

    /// The state as short text for reports: "3", "\"ab\"", "[1, 2]", "{1, 4}".
    virtual std::string describe_state(StateId state) const = 0;

    /// Bytes held for interned states and values (counted against the checker's memory limit).
    virtual std::size_t memory_bytes() const { return 0; }
};

/// A sequential specification. Implementations are immutable after construction and may be
/// shared between threads; all per-check state lives in the ModelSession.
class Model {
public:
    virtual ~Model() = default;

    /// The model's name ("register", "kv", ...).
    virtual std::string_view name() const = 0;

    /// Splits a history into independent partitions. The default groups ops by key (ops
    /// without a key form one partition), partitions ordered by first op. Every op is in
    /// exactly one partition; an empty history has none.
    virtual std::vector<Partition> partition(const History& history) const;

    /// One op as text for reports: "cas(x, [1,4]) -> true", "write(3)", "dequeue() -> ?" (info).
    virtual std::string describe(const Operation& op) const;

    /// Compiles the ops history[ops[i]] of one partition (as partition() made it: the built-in
    /// models treat them as acting on one object) into a session whose op i is history[ops[i]].
    /// Throws ModelError for the first op whose shape the model cannot use.
    virtual std::unique_ptr<ModelSession> start(const History& history, std::span<const std::size_t> ops) const = 0;
};

/// One row of the built-in model table.
struct ModelInfo {
    std::string_view name;
    std::string_view help;  ///< the ops and the JSON shapes they expect
    std::unique_ptr<Model> (*make)();
};

/// Every built-in model, in table order.
std::span<const ModelInfo> builtin_models();

/// A new built-in model named `name` (with its defaults), or nullptr when there is none.
std::unique_ptr<Model> make_model(std::string_view name);

/// The register model starting at `initial` (null by default).
std::unique_ptr<Model> make_register_model(nlohmann::json initial = nullptr);

/// Interns sequences of integers (queue contents, strings, wide bit sets) as dense ids 0, 1,
/// 2, ..., so that a model's state can be one StateId. intern() allocates only when it adds a
/// sequence (amortized doubling); a lookup of a known sequence allocates nothing.
template <typename T>
class SequenceTable {
    static_assert(std::is_integral_v<T>, "SequenceTable holds integers");

public:
    SequenceTable() : m_slots(64, 0) { m_offsets.push_back(0); }

    /// The id of `seq`, added when new. `seq` may point into this table (get()'s result).
    std::uint32_t intern(std::span<const T> seq) {
        const std::uint64_t h = hash(seq);
        const std::size_t mask = m_slots.size() - 1;
        for (std::size_t i = h & mask;; i = (i + 1) & mask) {
            const std::uint32_t slot = m_slots[i];
            if (slot == 0) break;
            const std::uint32_t id = slot - 1;
            if (m_hashes[id] == h && equal(get(id), seq)) return id;
        }
        // New: copy it in (growing geometrically, re-deriving `seq` if it points into m_items).
        const T* data = seq.data();
        const bool inside = !m_items.empty() && !std::less<const T*>()(data, m_items.data()) &&
                            std::less<const T*>()(data, m_items.data() + m_items.size());
        const std::size_t offset = inside ? static_cast<std::size_t>(data - m_items.data()) : 0;
        if (m_items.size() + seq.size() > m_items.capacity()) {
            m_items.reserve(std::max(m_items.capacity() * 2, m_items.size() + seq.size()));
            if (inside) data = m_items.data() + offset;
        }
        for (std::size_t k = 0; k < seq.size(); ++k) m_items.push_back(data[k]);
        const auto id = static_cast<std::uint32_t>(m_hashes.size());
        m_offsets.push_back(m_items.size());
        m_hashes.push_back(h);
        if ((m_hashes.size()) * 4 > m_slots.size() * 3) {
            rehash(m_slots.size() * 2);
        } else {
            insert_slot(id, h);
        }
        return id;
    }

    /// The sequence with id `id` (valid until the next intern()).
    std::span<const T> get(std::uint32_t id) const {
        return {m_items.data() + m_offsets[id], static_cast<std::size_t>(m_offsets[id + 1] - m_offsets[id])};
    }

    std::size_t size() const { return m_hashes.size(); }  ///< sequences interned

    /// Bytes held (capacities, not sizes).
    std::size_t memory_bytes() const {
        return m_items.capacity() * sizeof(T) + m_offsets.capacity() * sizeof(std::uint64_t) +
               m_hashes.capacity() * sizeof(std::uint64_t) + m_slots.capacity() * sizeof(std::uint32_t);
    }

private:
    // Eight bytes at a time: a multiply and two shifts per word.
    static std::uint64_t hash(std::span<const T> seq) {
        const auto* bytes = reinterpret_cast<const unsigned char*>(seq.data());
        std::size_t left = seq.size_bytes();
        std::uint64_t h = 0x9e3779b97f4a7c15ULL ^ left;
        const auto absorb = [&h](std::uint64_t w) {
            h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
            h ^= h >> 29;
        };
        for (; left >= 8; left -= 8, bytes += 8) {
            std::uint64_t w;
            std::memcpy(&w, bytes, 8);
            absorb(w);
        }
        if (left > 0) {
            std::uint64_t w = 0;
            std::memcpy(&w, bytes, left);
            absorb(w ^ (std::uint64_t{left} << 59));
        }
        h *= 0x94d049bb133111ebULL;
        return h ^ (h >> 31);
    }
    static bool equal(std::span<const T> a, std::span<const T> b) {
        return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size_bytes()) == 0);
    }
    void insert_slot(std::uint32_t id, std::uint64_t h) {
        const std::size_t mask = m_slots.size() - 1;
        std::size_t i = h & mask;
        while (m_slots[i] != 0) i = (i + 1) & mask;
        m_slots[i] = id + 1;
    }
    void rehash(std::size_t capacity) {
        m_slots.assign(capacity, 0);
        for (std::uint32_t id = 0; id < m_hashes.size(); ++id) insert_slot(id, m_hashes[id]);
    }

    std::vector<T> m_items;                // every sequence, back to back
    std::vector<std::uint64_t> m_offsets;  // sequence id's items are [m_offsets[id], m_offsets[id + 1])
    std::vector<std::uint64_t> m_hashes;   // per id
    std::vector<std::uint32_t> m_slots;    // open addressing, linear probing: id + 1, 0 = empty
};

}  // namespace threadmill
