// The install test's own target: a counter behind a mutex, built against the installed target API only.
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "api/target.hpp"

namespace {

using namespace threadmill;

enum Variant : int { k_safe, k_forgetful };
enum OpIndex : int { k_add, k_read };
enum Inv : int { k_total };

class Counter final : public TargetInstance {
public:
    explicit Counter(const TargetConfig& c) : m_variant(c.variant) {}

    void run(const Op& op, ThreadContext&) override {
        std::lock_guard lock(m_mutex);
        if (op.index == k_add) {
            ++m_adds;
            if (m_variant != k_forgetful) ++m_value;  // the mutant forgets every add
        } else {
            m_last_read = m_value;
        }
    }

    void check(InvariantSink& sink, CheckPoint) override {
        std::lock_guard lock(m_mutex);
        if (m_value != m_adds)
            sink.fail(k_total, "value " + std::to_string(m_value) + " after " + std::to_string(m_adds) + " adds");
    }

private:
    int m_variant;
    std::mutex m_mutex;
    std::uint64_t m_value = 0;
    std::uint64_t m_adds = 0;
    std::uint64_t m_last_read = 0;
};

TargetSpec make_counter() {
    TargetSpec s;
    s.info.name = "install_counter";
    s.info.description = "a counter behind a mutex (threadmill's install test)";
    s.info.variants = {{"safe", "counts every add", ""},
                       {"forgetful", "never counts an add", "invariant:total"}};
    s.info.ops = {{"add", "adds one"}, {"read", "reads the value"}};
    s.info.invariants = {{"total", "the value equals the number of adds"}};
    s.create = [](const TargetConfig& c) { return std::make_unique<Counter>(c); };
    return s;
}

TM_REGISTER_TARGET(make_counter);

}  // namespace
