// The `max_register` target: a register per key that keeps the largest value written, with a
// sequential model of its own (no built-in model describes it), so that tests can run the check of
// a target's own model end to end: `last_write` keeps the last value instead and is caught by
// `linearizability`; `model_throws` and `model_crashes` record ops the model refuses or dies on.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "api/threadmill.hpp"

namespace {

using threadmill::Call;
using threadmill::HistoryValue;
using threadmill::ModelOp;

/// The sequential specification: write(n) keeps max(state, n); read() returns the state. One
/// register per key, 0 before any write.
std::vector<HistoryValue> max_register_step(const HistoryValue& state, const ModelOp& op) {
    if (op.op == "write") return {std::max(state.as_int(), op.input.as_int())};
    if (op.op == "read") {
        if (op.known && op.output.as_int() != state.as_int()) return {};
        return {state};
    }
    if (op.op == "crash_the_model") std::abort();  // model_crashes: the check's worker dies
    throw std::invalid_argument("unknown op '" + op.op + "' (this model has write and read)");
}

class MaxRegister {
public:
    explicit MaxRegister(const threadmill::Setup& setup)
        : m_variant(setup.variant()), m_values(static_cast<std::size_t>(setup.keys())) {}

    void write(Call& call) {
        const std::int64_t value = call.arg();
        const std::string key = "k" + std::to_string(call.key());
        call.invoke({.op = "write", .key = key, .input = value});
        std::atomic<std::int64_t>& slot = m_values[call.key()];
        if (m_variant == "last_write") {
            slot.store(value);  // the bug: a smaller value replaces a larger one
        } else {
            std::int64_t seen = slot.load();
            while (seen < value && !slot.compare_exchange_weak(seen, value)) {
            }
        }
        call.ok();
    }

    void read(Call& call) {
        const std::string key = "k" + std::to_string(call.key());
        if (m_variant == "model_throws" || m_variant == "model_crashes") {
            call.invoke({.op = m_variant == "model_throws" ? "peek" : "crash_the_model", .key = key});
            call.ok();
            return;
        }
        call.invoke({.op = "read", .key = key});
        call.ok(m_values[call.key()].load());
    }

private:
    std::string m_variant;
    std::vector<std::atomic<std::int64_t>> m_values;
};

THREADMILL_TARGET(threadmill::target<MaxRegister>("max_register")
                      .describe("a register per key keeping the largest value written, with a model of its own")
                      .model(threadmill::SequentialModel{
                          .name = "max_register",
                          .help = "write: input n (an integer); read: output the largest n written to the key, 0 "
                                  "before any",
                          .initial = 0,
                          .step = max_register_step})
                      .variant("safe", "write is a compare-and-swap loop that keeps the larger value")
                      .mutant("last_write", "linearizability", "write stores its value even when it is smaller")
                      .variant("model_throws", "misbehaves on purpose: records 'peek', which the model refuses")
                      .variant("model_crashes", "misbehaves on purpose: records an op on which the model aborts")
                      .op("write", &MaxRegister::write, "write(key, n)")
                      .args(threadmill::uniform(1, 1000))
                      .op("read", &MaxRegister::read, "read(key)"));

}  // namespace
