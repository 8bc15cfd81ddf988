// Seeded history generation: a simulation of processes against reference sequential objects
// (written here independently of check/models.cpp, so the generator also tests the models).
#include "check/history_gen.hpp"

#include <algorithm>
#include <array>
#include <deque>
#include <map>
#include <set>
#include <stdexcept>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "api/rng.hpp"

namespace threadmill {
namespace {

using nlohmann::json;

enum class Kind { register_, kv, queue, set, counter };

Kind kind_of(const std::string& name) {
    if (name == "register") return Kind::register_;
    if (name == "kv") return Kind::kv;
    if (name == "queue") return Kind::queue;
    if (name == "set") return Kind::set;
    if (name == "counter") return Kind::counter;
    throw std::invalid_argument(fmt::format("generate_history: unknown model '{}'", name));
}

/// The reference objects: one of each per key, as plain containers of JSON values.
struct Objects {
    std::map<std::string, json> registers;
    std::map<std::string, std::string> strings;
    std::map<std::string, std::deque<json>> queues;
    std::map<std::string, std::set<std::int64_t>> sets;
    std::map<std::string, std::int64_t> counters;

    /// Applies `op` (name, key, input) and returns its output.
    json apply(Kind kind, const Operation& op) {
        const std::string key = op.key.value_or("");
        switch (kind) {
            case Kind::register_: {
                json& r = registers[key];
                if (op.op == "read") return r;
                if (op.op == "write") {
                    r = op.input;
                    return nullptr;
                }
                const bool swap = r == op.input[0];
                if (swap) r = op.input[1];
                return swap;
            }
            case Kind::kv: {
                std::string& s = strings[key];
                if (op.op == "get") return s;
                if (op.op == "put") s = op.input.get<std::string>();
                if (op.op == "append") s += op.input.get<std::string>();
                if (op.op == "delete") s.clear();
                return nullptr;
            }
            case Kind::queue: {
                auto& q = queues[key];
                if (op.op == "enqueue") {
                    q.push_back(op.input);
                    return nullptr;
                }
                if (q.empty()) return nullptr;
                json front = q.front();
                q.pop_front();
                return front;
            }
            case Kind::set: {
                auto& s = sets[key];
                const std::int64_t v = op.input.get<std::int64_t>();
                if (op.op == "add") return s.insert(v).second;
                if (op.op == "remove") return s.erase(v) == 1;
                return s.count(v) == 1;
            }
            case Kind::counter: {
                std::int64_t& c = counters[key];
                if (op.op == "add") {
                    c += op.input.get<std::int64_t>();
                    return nullptr;
                }
                return c;
            }
        }
        return nullptr;
    }
};

/// Draws the values ops write: from a small range, or each one new.
class Values {
public:
    Values(const GenOptions& o, Rng& rng) : m_options(o), m_rng(rng) {}

    /// A value to write for op number `op`.
    json write(int op) {
        const json v = m_options.unique_values
                           ? static_cast<std::int64_t>(op)
                           : static_cast<std::int64_t>(m_rng.below(static_cast<std::uint64_t>(m_options.values)));
        m_recent[m_written++ % m_recent.size()] = v;
        return v;
    }
    /// A string to put or append.
    json text(int op, int process) {
        if (m_options.unique_values) return fmt::format("{}.{};", process, op);
        return std::string(1, static_cast<char>('a' + m_rng.below(static_cast<std::uint64_t>(m_options.values))));
    }
    /// How many distinct values the range has.
    int range() const { return m_options.values; }
    /// A value a cas expects: from the range, or one of the last few written (null before any).
    json expected() {
        if (!m_options.unique_values) return static_cast<std::int64_t>(m_rng.below(static_cast<std::uint64_t>(m_options.values)));
        if (m_written == 0) return nullptr;
        return m_recent[m_rng.below(std::min<std::size_t>(m_written, m_recent.size()))];
    }

private:
    const GenOptions& m_options;
    Rng& m_rng;
    std::array<json, 8> m_recent;
    std::size_t m_written = 0;
};

/// A random op name with its input, by the model's mix.
std::pair<std::string, json> random_op(Kind kind, Rng& rng, Values& values, int op, int process) {
    const double u = rng.uniform01();
    switch (kind) {
        case Kind::register_:
            if (u < 0.4) return {"read", nullptr};
            if (u < 0.8) return {"write", values.write(op)};
            return {"cas", json::array({values.expected(), values.write(op)})};
        case Kind::kv:
            if (u < 0.4) return {"get", nullptr};
            if (u < 0.6) return {"put", values.text(op, process)};
            if (u < 0.9) return {"append", values.text(op, process)};
            return {"delete", nullptr};
        case Kind::queue:
            if (u < 0.5) return {"enqueue", values.write(op)};
            return {"dequeue", nullptr};
        case Kind::set: {
            const json v = static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(values.range())));
            if (u < 0.4) return {"add", v};
            if (u < 0.7) return {"remove", v};
            return {"contains", v};
        }
        case Kind::counter:
            if (u < 0.5) return {"add", json(static_cast<std::int64_t>(1 + rng.below(5)))};
            return {"read", nullptr};
    }
    return {"", nullptr};
}

bool has_output(Kind kind, const std::string& op) {
    switch (kind) {
        case Kind::register_: return op == "read" || op == "cas";
        case Kind::kv: return op == "get";
        case Kind::queue: return op == "dequeue";
        case Kind::set: return true;
        case Kind::counter: return op == "read";
    }
    return false;
}

/// A plausible wrong output for `op` (one that some other order might make legal).
json corrupt(Kind kind, const Operation& op, Rng& rng, int values) {
    const json& out = op.output;
    switch (kind) {
        case Kind::register_:
        case Kind::queue: {
            if (op.op == "cas") return !out.get<bool>();
            // Another value, or null; never the same.
            while (true) {
                const std::uint64_t pick = rng.below(static_cast<std::uint64_t>(values) + 1);
                json v = pick == static_cast<std::uint64_t>(values) ? json(nullptr) : json(static_cast<std::int64_t>(pick));
                if (v != out) return v;
            }
        }
        case Kind::kv: {
            std::string s = out.get<std::string>();
            if (!s.empty() && rng.chance(0.5)) {
                s.pop_back();
            } else {
                s += static_cast<char>('a' + rng.below(static_cast<std::uint64_t>(values)));
            }
            return s;
        }
        case Kind::set: return !out.get<bool>();
        case Kind::counter: {
            const auto delta = static_cast<std::int64_t>(1 + rng.below(3));
            return out.get<std::int64_t>() + (rng.chance(0.5) ? delta : -delta);
        }
    }
    return out;
}

}  // namespace

GeneratedHistory generate_history(const GenOptions& o) {
    const Kind kind = kind_of(o.model);
    if (o.processes < 1 || o.ops < 0 || o.keys < 1 || o.values < 1 || o.max_duration < 0 || o.max_gap < 1 ||
        !(o.info_rate >= 0 && o.info_rate <= 1)) {
        throw std::invalid_argument("generate_history: an option is out of range");
    }
    Rng rng(o.seed);

    // Intervals: the op goes to the process that is free first, which interleaves them.
    struct Proc {
        std::int64_t free_at;
        int id;
    };
    std::vector<Proc> procs;
    for (int p = 0; p < o.processes; ++p) {
        procs.push_back({static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(o.max_gap))), p});
    }
    int next_id = o.processes;
    Values values(o, rng);
    GeneratedHistory out;
    History& h = out.history;
    std::vector<std::int64_t> point;  // when each op takes effect
    std::vector<bool> applies;
    h.reserve(static_cast<std::size_t>(o.ops));
    for (int i = 0; i < o.ops; ++i) {
        const auto p = std::min_element(procs.begin(), procs.end(), [](const Proc& a, const Proc& b) {
            return a.free_at != b.free_at ? a.free_at < b.free_at : a.id < b.id;
        });
        Operation op;
        op.process = p->id;
        auto [name, input] = random_op(kind, rng, values, i, p->id);
        op.op = std::move(name);
        op.input = std::move(input);
        if (kind == Kind::kv || o.keys > 1) op.key = fmt::format("k{}", rng.below(static_cast<std::uint64_t>(o.keys)));
        const auto duration = static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(o.max_duration) + 1));
        op.call = p->free_at;
        op.ret = op.call + duration;
        point.push_back(op.call + static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(duration) + 1)));
        p->free_at = op.ret + 1 + static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(o.max_gap)));
        const bool info = rng.chance(o.info_rate);
        applies.push_back(!info || rng.chance(0.5));
        if (info) {
            op.status = OpStatus::info;
            p->id = next_id++;
        }
        h.push_back(std::move(op));
    }

    // Effects in order of their instants (ties in any order: both ops span the instant).
    std::vector<std::size_t> order(h.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return point[a] < point[b]; });
    Objects objects;
    for (const std::size_t i : order) {
        if (applies[i]) h[i].output = objects.apply(kind, h[i]);
    }
    for (Operation& op : h) {
        if (!op.is_info()) continue;
        op.output = nullptr;
        op.ret = k_never_returned;
    }
    if (o.break_history) {
        std::vector<std::size_t> candidates;
        for (std::size_t i = 0; i < h.size(); ++i) {
            if (!h[i].is_info() && has_output(kind, h[i].op)) candidates.push_back(i);
        }
        if (!candidates.empty()) {
            const std::size_t i = candidates[rng.below(candidates.size())];
            h[i].output = corrupt(kind, h[i], rng, o.values);
            out.corrupted = i;
        }
    }
    return out;
}

}  // namespace threadmill
