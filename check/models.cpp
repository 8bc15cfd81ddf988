// The built-in sequential models: register, kv, queue, set and counter, each compiling a
// partition's ops into small integers so that a step is a few compares and, at most, one
// interned-sequence lookup.
#include "check/models.hpp"

#include <array>
#include <limits>
#include <map>
#include <unordered_map>
#include <utility>

#include <fmt/format.h>

namespace threadmill {
namespace {

using nlohmann::json;

/// One op of a built-in model: its name and whether it uses an input and returns an output.
struct OpSpec {
    std::string_view name;
    bool has_input;
    bool has_output;
};

/// JSON values of one session as dense ids, compared as their JSON text.
class ValueTable {
public:
    std::uint32_t intern(const json& v) {
        const auto [it, added] = m_ids.try_emplace(v.dump(), static_cast<std::uint32_t>(m_values.size()));
        if (added) {
            m_values.push_back(v);
            m_bytes += it->first.size() * 2 + 96;  // text + json node + map node, roughly
        }
        return it->second;
    }
    const json& value(std::uint32_t id) const { return m_values[id]; }
    std::size_t size() const { return m_values.size(); }
    std::size_t memory_bytes() const { return m_bytes; }

private:
    std::unordered_map<std::string, std::uint32_t> m_ids;
    std::vector<json> m_values;
    std::size_t m_bytes = 0;
};

/// A direct-mapped cache of deterministic transitions (state, op) -> state, for steps that
/// build and intern a new sequence (kv append, queue enqueue and dequeue): the search repeats
/// the same transitions while it backtracks, and a hit skips hashing the whole sequence.
/// States and ops are below 2^32 (interned ids, op indices); a collision just overwrites.
class TransitionCache {
public:
    explicit TransitionCache(std::size_t ops) {
        std::size_t n = 64;
        while (n < ops * 16 && n < (std::size_t{1} << 15)) n *= 2;
        m_entries.assign(n, Entry{});
    }
    const StateId* find(StateId state, std::uint32_t op) const {
        const Entry& e = m_entries[slot(key(state, op))];
        return e.key == key(state, op) ? &e.next : nullptr;
    }
    void put(StateId state, std::uint32_t op, StateId next) { m_entries[slot(key(state, op))] = {key(state, op), next}; }
    std::size_t memory_bytes() const { return m_entries.capacity() * sizeof(Entry); }

private:
    struct Entry {
        std::uint64_t key = ~std::uint64_t{0};
        StateId next = 0;
    };
    static std::uint64_t key(StateId state, std::uint32_t op) { return state << 32 | op; }
    std::size_t slot(std::uint64_t k) const {
        k *= 0x9e3779b97f4a7c15ULL;
        return static_cast<std::size_t>(k >> 32) & (m_entries.size() - 1);
    }
    std::vector<Entry> m_entries;
};

std::string shape_of(const json& v) { return fmt::format("{} {}", v.type_name(), v.dump()); }

/// What every built-in model shares: a name, a table of ops, error messages and describe().
class BuiltinModel : public Model {
public:
    BuiltinModel(std::string_view name, std::span<const OpSpec> ops, bool key_required)
        : m_name(name), m_ops(ops), m_key_required(key_required) {}

    std::string_view name() const override { return m_name; }

    std::string describe(const Operation& op) const override {
        const OpSpec* spec = find(op.op);
        const bool input = spec ? spec->has_input : !op.input.is_null();
        const bool output = spec ? spec->has_output : !op.output.is_null();
        std::string out = op.op + '(';
        if (op.key) out += *op.key;
        if (op.key && input) out += ", ";
        if (input) out += op.input.dump();
        out += ')';
        if (op.is_info()) {
            out += output ? " -> ?" : " (info)";
        } else if (output) {
            out += " -> " + op.output.dump();
        }
        return out;
    }

protected:
    /// The op's index in the table; throws ModelError for an unknown name or a missing key.
    std::uint8_t kind_of(std::size_t index, const Operation& op) const {
        if (m_key_required && !op.key) fail(index, op, "this op needs a key");
        if (const OpSpec* spec = find(op.op)) return static_cast<std::uint8_t>(spec - m_ops.data());
        std::string names;
        for (const OpSpec& s : m_ops) names += fmt::format("{}{}", names.empty() ? "" : ", ", s.name);
        fail(index, op, fmt::format("unknown op '{}' (this model has {})", op.op, names));
    }

    [[noreturn]] void fail(std::size_t index, const Operation& op, const std::string& message) const {
        throw ModelError(index, op, m_name, message);
    }

private:
    const OpSpec* find(std::string_view name) const {
        for (const OpSpec& s : m_ops) {
            if (s.name == name) return &s;
        }
        return nullptr;
    }

    std::string_view m_name;
    std::span<const OpSpec> m_ops;
    bool m_key_required;
};

/// The fields every compiled op carries.
struct CompiledOp {
    std::uint8_t kind = 0;
    bool info = false;
    bool flag = false;     // a boolean output (cas, set ops)
    std::uint32_t a = 0;   // value / string id (input, or output for reads)
    std::uint32_t b = 0;   // cas: the new value's id
    std::uint64_t n = 0;   // counter: the amount or the value read
};

constexpr std::uint32_t k_no_value = std::numeric_limits<std::uint32_t>::max();

// ---- register -------------------------------------------------------------------------------

enum RegisterOp : std::uint8_t { reg_read, reg_write, reg_cas };
constexpr std::array<OpSpec, 3> k_register_ops = {{{"read", false, true}, {"write", true, false}, {"cas", true, true}}};

class RegisterSession : public ModelSession {
public:
    RegisterSession(ValueTable values, std::uint32_t initial, std::vector<CompiledOp> ops)
        : m_values(std::move(values)), m_initial(initial), m_ops(std::move(ops)) {}

    StateId initial() override { return m_initial; }

    void step(StateId state, std::uint32_t index, std::vector<StateId>& next) override {
        const CompiledOp& op = m_ops[index];
        switch (static_cast<RegisterOp>(op.kind)) {
            case reg_read:
                if (op.info || state == op.a) next.push_back(state);
                return;
            case reg_write: next.push_back(op.a); return;
            case reg_cas: {
                const bool match = state == op.a;
                if (op.info || match == op.flag) next.push_back(match ? op.b : state);
                return;
            }
        }
    }

    bool read_only(std::uint32_t index) const override {
        const CompiledOp& op = m_ops[index];
        return op.kind == reg_read || (op.kind == reg_cas && !op.info && !op.flag);  // a cas that failed
    }
    std::string describe_state(StateId state) const override {
        return m_values.value(static_cast<std::uint32_t>(state)).dump();
    }
    std::size_t memory_bytes() const override { return m_values.memory_bytes() + m_ops.capacity() * sizeof(CompiledOp); }

private:
    ValueTable m_values;
    std::uint32_t m_initial;
    std::vector<CompiledOp> m_ops;
};

class RegisterModel : public BuiltinModel {
public:
    explicit RegisterModel(json initial) : BuiltinModel("register", k_register_ops, false), m_initial(std::move(initial)) {}

    std::unique_ptr<ModelSession> start(const History& history, std::span<const std::size_t> ops) const override {
        ValueTable values;
        const std::uint32_t initial = values.intern(m_initial);
        std::vector<CompiledOp> compiled;
        compiled.reserve(ops.size());
        for (const std::size_t index : ops) {
            const Operation& op = history[index];
            CompiledOp c;
            c.kind = kind_of(index, op);
            c.info = op.is_info();
            switch (static_cast<RegisterOp>(c.kind)) {
                case reg_read:
                    if (!c.info) c.a = values.intern(op.output);
                    break;
                case reg_write: c.a = values.intern(op.input); break;
                case reg_cas:
                    if (!op.input.is_array() || op.input.size() != 2) {
                        fail(index, op, fmt::format("cas input must be [expected, new], got {}", shape_of(op.input)));
                    }
                    if (!c.info && !op.output.is_boolean()) {
                        fail(index, op, fmt::format("cas output must be true or false, got {}", shape_of(op.output)));
                    }
                    c.a = values.intern(op.input[0]);
                    c.b = values.intern(op.input[1]);
                    c.flag = !c.info && op.output.get<bool>();
                    break;
            }
            compiled.push_back(c);
        }
        return std::make_unique<RegisterSession>(std::move(values), initial, std::move(compiled));
    }

private:
    json m_initial;
};

// ---- kv -------------------------------------------------------------------------------------

enum KvOp : std::uint8_t { kv_get, kv_put, kv_append, kv_delete };
constexpr std::array<OpSpec, 4> k_kv_ops = {
    {{"get", false, true}, {"put", true, false}, {"append", true, false}, {"delete", false, false}}};

class KvSession : public ModelSession {
public:
    explicit KvSession(SequenceTable<char> strings, std::vector<CompiledOp> ops)
        : m_strings(std::move(strings)), m_ops(std::move(ops)), m_cache(m_ops.size()) {}

    StateId initial() override { return m_empty; }

    void step(StateId state, std::uint32_t index, std::vector<StateId>& next) override {
        const CompiledOp& op = m_ops[index];
        switch (static_cast<KvOp>(op.kind)) {
            case kv_get:
                if (op.info || state == op.a) next.push_back(state);
                return;
            case kv_put: next.push_back(op.a); return;
            case kv_append: {
                if (const StateId* known = m_cache.find(state, index)) {
                    next.push_back(*known);
                    return;
                }
                const auto old = m_strings.get(static_cast<std::uint32_t>(state));
                const auto tail = m_strings.get(op.a);
                m_scratch.assign(old.begin(), old.end());
                m_scratch.insert(m_scratch.end(), tail.begin(), tail.end());
                const StateId result = m_strings.intern(m_scratch);
                m_cache.put(state, index, result);
                next.push_back(result);
                return;
            }
            case kv_delete: next.push_back(m_empty); return;
        }
    }

    bool read_only(std::uint32_t index) const override { return m_ops[index].kind == kv_get; }

    std::string describe_state(StateId state) const override {
        const auto s = m_strings.get(static_cast<std::uint32_t>(state));
        return json(std::string(s.begin(), s.end())).dump();
    }
    std::size_t memory_bytes() const override {
        return m_strings.memory_bytes() + m_scratch.capacity() + m_ops.capacity() * sizeof(CompiledOp) +
               m_cache.memory_bytes();
    }

private:
    SequenceTable<char> m_strings;  // id 0 is ""
    std::vector<CompiledOp> m_ops;
    TransitionCache m_cache;
    std::vector<char> m_scratch;
    StateId m_empty = 0;
};

class KvModel : public BuiltinModel {
public:
    KvModel() : BuiltinModel("kv", k_kv_ops, true) {}

    std::unique_ptr<ModelSession> start(const History& history, std::span<const std::size_t> ops) const override {
        SequenceTable<char> strings;
        strings.intern(std::span<const char>());  // id 0: ""
        const auto intern = [&](const std::string& s) { return strings.intern(std::span<const char>(s.data(), s.size())); };
        std::vector<CompiledOp> compiled;
        compiled.reserve(ops.size());
        for (const std::size_t index : ops) {
            const Operation& op = history[index];
            CompiledOp c;
            c.kind = kind_of(index, op);
            c.info = op.is_info();
            switch (static_cast<KvOp>(c.kind)) {
                case kv_get:
                    if (c.info) break;
                    if (!op.output.is_string() && !op.output.is_null()) {
                        fail(index, op, fmt::format("get output must be a string (or null for an absent key), got {}",
                                                    shape_of(op.output)));
                    }
                    c.a = op.output.is_null() ? 0 : intern(op.output.get_ref<const std::string&>());
                    break;
                case kv_put:
                case kv_append:
                    if (!op.input.is_string()) {
                        fail(index, op, fmt::format("{} input must be a string, got {}", op.op, shape_of(op.input)));
                    }
                    c.a = intern(op.input.get_ref<const std::string&>());
                    break;
                case kv_delete: break;
            }
            compiled.push_back(c);
        }
        return std::make_unique<KvSession>(std::move(strings), std::move(compiled));
    }
};

// ---- queue ----------------------------------------------------------------------------------

enum QueueOp : std::uint8_t { q_enqueue, q_dequeue };
constexpr std::array<OpSpec, 2> k_queue_ops = {{{"enqueue", true, false}, {"dequeue", false, true}}};

class QueueSession : public ModelSession {
public:
    QueueSession(ValueTable values, std::vector<CompiledOp> ops)
        : m_values(std::move(values)), m_ops(std::move(ops)), m_cache(m_ops.size()) {
        m_queues.intern(std::span<const std::uint32_t>());  // id 0: empty
    }

    StateId initial() override { return 0; }

    void step(StateId state, std::uint32_t index, std::vector<StateId>& next) override {
        const CompiledOp& op = m_ops[index];
        const auto queue = m_queues.get(static_cast<std::uint32_t>(state));
        if (op.kind == q_dequeue) {
            if (queue.empty()) {
                if (op.info || op.a == k_no_value) next.push_back(state);
                return;
            }
            if (!op.info && queue.front() != op.a) return;
        }
        if (const StateId* known = m_cache.find(state, index)) {
            next.push_back(*known);
            return;
        }
        StateId result = 0;
        switch (static_cast<QueueOp>(op.kind)) {
            case q_enqueue:
                m_scratch.assign(queue.begin(), queue.end());
                m_scratch.push_back(op.a);
                result = m_queues.intern(m_scratch);
                break;
            case q_dequeue: result = m_queues.intern(queue.subspan(1)); break;
        }
        m_cache.put(state, index, result);
        next.push_back(result);
    }

    bool read_only(std::uint32_t index) const override {
        const CompiledOp& op = m_ops[index];
        return op.kind == q_dequeue && !op.info && op.a == k_no_value;  // found the queue empty
    }

    std::string describe_state(StateId state) const override {
        std::string out = "[";
        for (const std::uint32_t v : m_queues.get(static_cast<std::uint32_t>(state))) {
            if (out.size() > 1) out += ", ";
            out += m_values.value(v).dump();
        }
        return out + "]";
    }
    std::size_t memory_bytes() const override {
        return m_values.memory_bytes() + m_queues.memory_bytes() + m_scratch.capacity() * sizeof(std::uint32_t) +
               m_ops.capacity() * sizeof(CompiledOp) + m_cache.memory_bytes();
    }

private:
    ValueTable m_values;
    std::vector<CompiledOp> m_ops;
    TransitionCache m_cache;
    SequenceTable<std::uint32_t> m_queues;
    std::vector<std::uint32_t> m_scratch;
};

class QueueModel : public BuiltinModel {
public:
    QueueModel() : BuiltinModel("queue", k_queue_ops, false) {}

    std::unique_ptr<ModelSession> start(const History& history, std::span<const std::size_t> ops) const override {
        ValueTable values;
        std::vector<CompiledOp> compiled;
        compiled.reserve(ops.size());
        for (const std::size_t index : ops) {
            const Operation& op = history[index];
            CompiledOp c;
            c.kind = kind_of(index, op);
            c.info = op.is_info();
            switch (static_cast<QueueOp>(c.kind)) {
                case q_enqueue:
                    if (op.input.is_null()) fail(index, op, "enqueue input must not be null (null is an empty dequeue)");
                    c.a = values.intern(op.input);
                    break;
                case q_dequeue: c.a = c.info || op.output.is_null() ? k_no_value : values.intern(op.output); break;
            }
            compiled.push_back(c);
        }
        return std::make_unique<QueueSession>(std::move(values), std::move(compiled));
    }
};

// ---- set ------------------------------------------------------------------------------------

enum SetOp : std::uint8_t { set_add, set_remove, set_contains };
constexpr std::array<OpSpec, 3> k_set_ops = {{{"add", true, true}, {"remove", true, true}, {"contains", true, true}}};

/// Members are bits over the session's distinct values: up to 64 values the state is the
/// bit set itself; beyond, the words are interned.
class SetSession : public ModelSession {
public:
    SetSession(ValueTable values, std::vector<CompiledOp> ops)
        : m_values(std::move(values)), m_ops(std::move(ops)), m_words((m_values.size() + 63) / 64) {
        if (m_words > 1) {
            m_scratch.assign(m_words, 0);
            m_sets.intern(m_scratch);  // id 0: the empty set
        }
    }

    StateId initial() override { return 0; }

    void step(StateId state, std::uint32_t index, std::vector<StateId>& next) override {
        const CompiledOp& op = m_ops[index];
        const std::uint64_t bit = std::uint64_t{1} << (op.a % 64);
        std::uint64_t word = state;
        if (m_words > 1) {
            const auto set = m_sets.get(static_cast<std::uint32_t>(state));
            word = set[op.a / 64];
        }
        const bool present = (word & bit) != 0;
        std::uint64_t changed = word;
        switch (static_cast<SetOp>(op.kind)) {
            case set_add:
                if (!op.info && op.flag == present) return;  // output is "was absent"
                changed = word | bit;
                break;
            case set_remove:
                if (!op.info && op.flag != present) return;  // output is "was present"
                changed = word & ~bit;
                break;
            case set_contains:
                if (!op.info && op.flag != present) return;
                break;
        }
        if (changed == word) {
            next.push_back(state);
        } else if (m_words <= 1) {
            next.push_back(changed);
        } else {
            const auto set = m_sets.get(static_cast<std::uint32_t>(state));
            m_scratch.assign(set.begin(), set.end());
            m_scratch[op.a / 64] = changed;
            next.push_back(m_sets.intern(m_scratch));
        }
    }

    bool read_only(std::uint32_t index) const override {
        const CompiledOp& op = m_ops[index];
        if (op.kind == set_contains) return true;
        // An add that found it present, a remove that found it absent.
        return !op.info && ((op.kind == set_add && !op.flag) || (op.kind == set_remove && !op.flag));
    }

    std::string describe_state(StateId state) const override {
        std::string out = "{";
        for (std::uint32_t v = 0; v < m_values.size(); ++v) {
            const std::uint64_t word = m_words > 1 ? m_sets.get(static_cast<std::uint32_t>(state))[v / 64] : state;
            if ((word >> (v % 64) & 1) == 0) continue;
            if (out.size() > 1) out += ", ";
            out += m_values.value(v).dump();
        }
        return out + "}";
    }
    std::size_t memory_bytes() const override {
        return m_values.memory_bytes() + m_sets.memory_bytes() + m_ops.capacity() * sizeof(CompiledOp);
    }

private:
    ValueTable m_values;
    std::vector<CompiledOp> m_ops;
    std::size_t m_words;
    SequenceTable<std::uint64_t> m_sets;  // only when m_words > 1
    std::vector<std::uint64_t> m_scratch;
};

class SetModel : public BuiltinModel {
public:
    SetModel() : BuiltinModel("set", k_set_ops, false) {}

    std::unique_ptr<ModelSession> start(const History& history, std::span<const std::size_t> ops) const override {
        ValueTable values;
        std::vector<CompiledOp> compiled;
        compiled.reserve(ops.size());
        for (const std::size_t index : ops) {
            const Operation& op = history[index];
            CompiledOp c;
            c.kind = kind_of(index, op);
            c.info = op.is_info();
            if (!c.info && !op.output.is_boolean()) {
                fail(index, op, fmt::format("{} output must be true or false, got {}", op.op, shape_of(op.output)));
            }
            c.a = values.intern(op.input);
            c.flag = !c.info && op.output.get<bool>();
            compiled.push_back(c);
        }
        return std::make_unique<SetSession>(std::move(values), std::move(compiled));
    }
};

// ---- counter --------------------------------------------------------------------------------

enum CounterOp : std::uint8_t { counter_add, counter_read };
constexpr std::array<OpSpec, 2> k_counter_ops = {{{"add", true, false}, {"read", false, true}}};

class CounterSession : public ModelSession {
public:
    explicit CounterSession(std::vector<CompiledOp> ops) : m_ops(std::move(ops)) {}

    StateId initial() override { return 0; }

    void step(StateId state, std::uint32_t index, std::vector<StateId>& next) override {
        const CompiledOp& op = m_ops[index];
        switch (static_cast<CounterOp>(op.kind)) {
            case counter_add: next.push_back(state + op.n); return;  // wraps, as unsigned
            case counter_read:
                if (op.info || state == op.n) next.push_back(state);
                return;
        }
    }

    bool read_only(std::uint32_t index) const override { return m_ops[index].kind == counter_read; }

    std::string describe_state(StateId state) const override {
        return fmt::format("{}", static_cast<std::int64_t>(state));
    }
    std::size_t memory_bytes() const override { return m_ops.capacity() * sizeof(CompiledOp); }

private:
    std::vector<CompiledOp> m_ops;
};

class CounterModel : public BuiltinModel {
public:
    CounterModel() : BuiltinModel("counter", k_counter_ops, false) {}

    std::unique_ptr<ModelSession> start(const History& history, std::span<const std::size_t> ops) const override {
        std::vector<CompiledOp> compiled;
        compiled.reserve(ops.size());
        for (const std::size_t index : ops) {
            const Operation& op = history[index];
            CompiledOp c;
            c.kind = kind_of(index, op);
            c.info = op.is_info();
            const bool add = c.kind == counter_add;
            if (add || !c.info) {
                const json& v = add ? op.input : op.output;
                const bool fits = v.is_number_integer() &&
                                  (!v.is_number_unsigned() ||
                                   v.get<std::uint64_t>() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()));
                if (!fits) {
                    fail(index, op, fmt::format("{} {} must be a 64-bit integer, got {}", op.op, add ? "input" : "output",
                                                shape_of(v)));
                }
                c.n = static_cast<std::uint64_t>(v.get<std::int64_t>());
            }
            compiled.push_back(c);
        }
        return std::make_unique<CounterSession>(std::move(compiled));
    }
};

template <typename M>
std::unique_ptr<Model> make() {
    return std::make_unique<M>();
}

std::unique_ptr<Model> make_register() { return make_register_model(); }

constexpr std::array<ModelInfo, 5> k_models = {{
    {"register",
     "a single value (per key): read -> output the value (null before any write); write input v; "
     "cas input [expected, new] -> output true (swapped) or false",
     &make_register},
    {"kv",
     "string values per key (key required, every key starts as \"\"): get -> output the value (null reads as \"\"); "
     "put input v; append input v (concatenated); delete",
     &make<KvModel>},
    {"queue", "FIFO (per key): enqueue input v (not null); dequeue -> output the front value, or null when empty",
     &make<QueueModel>},
    {"set",
     "a set (per key): add input v -> output true if it was absent; remove input v -> output true if it was present; "
     "contains input v -> output bool",
     &make<SetModel>},
    {"counter", "an integer from 0 (per key): add input n; read -> output n", &make<CounterModel>},
}};

}  // namespace

ModelError::ModelError(std::size_t op_index, const Operation& op, std::string_view model, const std::string& message)
    : std::runtime_error(op.source_line > 0 ? fmt::format("op {} (line {}, process {}, '{}'): {}: {}", op_index,
                                                          op.source_line, op.process, op.op, model, message)
                                            : fmt::format("op {} (process {}, '{}'): {}: {}", op_index, op.process,
                                                          op.op, model, message)),
      m_op_index(op_index) {}

std::vector<Partition> Model::partition(const History& history) const {
    std::vector<Partition> parts;
    std::map<std::optional<std::string>, std::size_t> index_of;
    for (std::size_t i = 0; i < history.size(); ++i) {
        const auto [it, added] = index_of.try_emplace(history[i].key, parts.size());
        if (added) parts.push_back({history[i].key, {}});
        parts[it->second].ops.push_back(i);
    }
    return parts;
}

std::string Model::describe(const Operation& op) const {
    std::string out = op.op + '(';
    if (op.key) out += *op.key;
    if (op.key && !op.input.is_null()) out += ", ";
    if (!op.input.is_null()) out += op.input.dump();
    out += ')';
    if (op.is_info()) return out + " -> ?";
    if (!op.output.is_null()) out += " -> " + op.output.dump();
    return out;
}

std::span<const ModelInfo> builtin_models() { return k_models; }

std::unique_ptr<Model> make_model(std::string_view name) {
    for (const ModelInfo& m : k_models) {
        if (m.name == name) return m.make();
    }
    return nullptr;
}

std::unique_ptr<Model> make_register_model(nlohmann::json initial) {
    return std::make_unique<RegisterModel>(std::move(initial));
}

}  // namespace threadmill
