// A target's own sequential model adapted to the checker: the model's step is called at most once
// per (state, op), its states kept once each by their canonical JSON text.
#include "check/user_model.hpp"

#include <algorithm>
#include <exception>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace threadmill {
namespace {

using nlohmann::json;

ModelOp model_op(const Operation& op) {
    ModelOp m;
    m.op = op.op;
    m.key = op.key;
    m.input = HistoryValue::parse(op.input.dump());
    m.known = !op.is_info();
    if (m.known) m.output = HistoryValue::parse(op.output.dump());
    return m;
}

class UserSession : public ModelSession {
public:
    UserSession(const SequentialModel& model, const History& history, std::span<const std::size_t> ops)
        : m_model(model), m_history(history), m_indices(ops.begin(), ops.end()) {
        m_ops.reserve(ops.size());
        for (const std::size_t i : ops) m_ops.push_back(model_op(history[i]));
        m_bytes = m_ops.capacity() * sizeof(ModelOp);
    }

    StateId initial() override { return intern(m_model.initial, std::nullopt); }

    void step(StateId state, std::uint32_t op, std::vector<StateId>& next) override {
        const std::uint64_t key = state << 32 | op;
        if (const auto it = m_transitions.find(key); it != m_transitions.end()) {
            next.insert(next.end(), m_next.begin() + it->second.first, m_next.begin() + it->second.second);
            return;
        }
        const auto begin = static_cast<std::uint32_t>(m_next.size());
        for (const HistoryValue& v : call_step(static_cast<std::uint32_t>(state), op)) {
            const StateId id = intern(v, op);
            // A state offered twice is explored once.
            if (std::find(m_next.begin() + begin, m_next.end(), id) == m_next.end()) m_next.push_back(id);
        }
        const auto end = static_cast<std::uint32_t>(m_next.size());
        m_transitions.emplace(key, std::make_pair(begin, end));
        m_bytes += sizeof(StateId) * (end - begin) + 48;  // the entry and its map node, roughly
        next.insert(next.end(), m_next.begin() + begin, m_next.begin() + end);
    }

    std::string describe_state(StateId state) const override { return m_states[static_cast<std::size_t>(state)].json(); }
    std::size_t memory_bytes() const override { return m_bytes; }

    /// The model's step of op `op` in the initial state (start() does it for every op, to find a
    /// shape the model refuses before the search; the search reuses the transition).
    void probe(std::uint32_t op) {
        m_probed.clear();
        step(initial(), op, m_probed);
    }

private:
    std::vector<HistoryValue> call_step(std::uint32_t state, std::uint32_t op) {
        try {
            return m_model.step(m_states[state], m_ops[op]);
        } catch (const std::exception& e) {
            fail(op, fmt::format("the model's step threw in state {}: {}", m_states[state].json(), e.what()));
        } catch (...) {
            fail(op, fmt::format("the model's step threw an exception not derived from std::exception in state {}",
                                 m_states[state].json()));
        }
    }

    /// The id of state `v` in its canonical text (what nlohmann's dump() writes), added when new.
    StateId intern(const HistoryValue& v, std::optional<std::uint32_t> op) {
        std::string text;
        try {
            text = json::parse(v.json()).dump();
        } catch (const json::exception& e) {
            const std::string what = fmt::format("the model's {} is not JSON ({}): {}", op ? "step returned a state that"
                                                                                            : "initial state", e.what(), v.json());
            if (op) fail(*op, what);
            throw ModelError(m_indices.empty() ? 0 : m_indices.front(),
                             m_indices.empty() ? Operation{} : m_history[m_indices.front()], m_model.name, what);
        }
        const auto [it, added] = m_ids.try_emplace(std::move(text), static_cast<StateId>(m_states.size()));
        if (added) {
            m_states.push_back(HistoryValue::parse(it->first));
            m_bytes += it->first.size() * 2 + 96;  // the text twice, a map node and a vector slot, roughly
        }
        return it->second;
    }

    [[noreturn]] void fail(std::uint32_t op, const std::string& message) const {
        throw ModelError(m_indices[op], m_history[m_indices[op]], m_model.name, message);
    }

    const SequentialModel& m_model;
    const History& m_history;
    std::vector<std::size_t> m_indices;  // op i of the session is history[m_indices[i]]
    std::vector<ModelOp> m_ops;
    std::unordered_map<std::string, StateId> m_ids;
    std::vector<HistoryValue> m_states;  // by id
    // (state << 32 | op) -> [begin, end) in m_next: every transition once, so the model's step runs
    // once per state and op however often the search backtracks through it.
    std::unordered_map<std::uint64_t, std::pair<std::uint32_t, std::uint32_t>> m_transitions;
    std::vector<StateId> m_next;
    std::vector<StateId> m_probed;
    std::size_t m_bytes = 0;
};

class UserModel : public Model {
public:
    explicit UserModel(const SequentialModel& model) : m_model(model) {}

    std::string_view name() const override { return m_model.name; }

    std::vector<Partition> partition(const History& history) const override {
        if (m_model.by_key) return Model::partition(history);
        if (history.empty()) return {};
        Partition all;
        all.ops.resize(history.size());
        for (std::size_t i = 0; i < history.size(); ++i) all.ops[i] = i;
        return {std::move(all)};
    }

    std::unique_ptr<ModelSession> start(const History& history, std::span<const std::size_t> ops) const override {
        auto session = std::make_unique<UserSession>(m_model, history, ops);
        for (std::uint32_t i = 0; i < ops.size(); ++i) session->probe(i);
        return session;
    }

private:
    const SequentialModel& m_model;
};

}  // namespace

std::unique_ptr<Model> make_user_model(const SequentialModel& model) { return std::make_unique<UserModel>(model); }

}  // namespace threadmill
