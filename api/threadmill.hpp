// The target API: an adapter class around a concurrent component, and a fluent declaration that
// binds its operations, invariants and lifecycle hooks by name.
//
//     struct MapAdapter {
//         explicit MapAdapter(const threadmill::Setup& setup) : racy(setup.variant() == "racy") {}
//         void put(threadmill::Call& call) { map.put(call.key(), call.arg()); }
//         void size_fits(threadmill::Check& check) { if (map.size() > cap) check.fail("too big"); }
//         ...
//     };
//     THREADMILL_TARGET(threadmill::target<MapAdapter>("my_map")
//                           .describe("my concurrent map")
//                           .variant("safe", "the real thing")
//                           .mutant("racy", "race", "put without the lock")
//                           .op("put", &MapAdapter::put, "put(key, arg)").args(threadmill::uniform(0, 99))
//                           .invariant("size_fits", &MapAdapter::size_fits, "size() <= capacity"));
//
// Lifecycle of one job: the adapter is constructed from a Setup (setup), every worker thread calls
// operations, in lockstep the `arbiter` observes each round's result, `reset` runs between rounds
// with no operation in flight, `teardown` runs once after
// the last operation, then the invariants are checked a last time and the adapter is destroyed.
// Ideas from jcstress (actors and an arbiter), Lincheck (operations by annotation) and Google
// Benchmark (fluent registration); see docs/writing-a-target.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "api/rng.hpp"
#include "api/target.hpp"

namespace threadmill {

namespace detail {
struct OpTable;
}

/// What an adapter's constructor sees: the job's variant, parameters and shape.
class Setup {
public:
    Setup(const TargetInfo& info, const TargetConfig& config);
    /// The variant under test, by name (as in the scenario's `variants`).
    const std::string& variant() const;
    const Params& params() const { return *m_config.params; }
    /// Worker threads of the job, over all groups.
    int threads() const { return m_config.thread_count; }
    /// The scenario's key count: every `Call::key()` is below it.
    std::uint64_t keys() const { return m_config.key_count; }
    /// The job's seed: derive anything random the adapter builds from it, so that a seed replays.
    std::uint64_t seed() const { return m_config.seed; }
    /// A scratch folder of this job the adapter may write files to (empty in some unit tests).
    const std::string& work_dir() const { return m_config.work_dir; }

private:
    const TargetInfo& m_info;
    const TargetConfig& m_config;
};

/// One operation call on one worker thread.
///
/// Thread indices: threads are numbered 0..threads()-1 over the scenario's `[[group]]` tables in
/// file order, each group's threads consecutive (group 0 gets 0..n0-1, group 1 the next n1, ...).
/// The same scenario always gives a thread the same index, group and operation sequence.
class Call {
public:
    Call(const Op& op, ThreadContext& ctx, const detail::OpTable& table) : m_op(op), m_ctx(ctx), m_table(table) {}

    /// The key drawn from the scenario's `[keys]` distribution, in [0, keys).
    std::uint64_t key() const { return m_op.key; }
    /// The operation's argument: drawn by its `.args(...)` generator, else uniform in [0, 2^63).
    std::int64_t arg() const;
    /// The 64 random bits the argument is drawn from (for adapters that draw several values).
    std::uint64_t bits() const { return m_op.arg; }
    int thread() const { return m_ctx.thread_index; }
    int threads() const { return m_ctx.thread_count; }
    int group() const { return m_ctx.group_index; }
    /// This thread's own random stream (values and choices inside an operation), seeded per job.
    Rng& rng() { return m_ctx.rng; }
    /// Between a check and the act that depends on it: widens the race window when the scenario
    /// asks for `[chaos]` (a seeded yield or short delay), does nothing otherwise.
    void chaos_point() { m_ctx.chaos_point(); }
    /// Whether this operation should inject its fault: true with the scenario's `[faults] rate`
    /// (default 0: never), seeded, so a seed replays the same decisions; each call is one draw. An
    /// adapter turns a yes into a failure of the code it hands the component (a callback, handler
    /// or transaction body that throws), to show the component survives it. The job counts the yeses.
    bool fault() { return m_ctx.fault(); }
    /// Records that invariant `name` did not hold, as seen inside this operation ("online"):
    /// lock-free, merged at the next quiescent point. `name` must be declared with `.invariant`.
    void violate(std::string_view name, std::string detail);

    /// Whether this job records a history for the linearizability check (`[check]
    /// linearizability = true`). invoke(), ok() and info() do nothing when it does not; test it
    /// first where building the values costs something.
    bool recording() const { return m_ctx.recording(); }
    /// Records this operation in the job's history as the model operation `op.op` on object
    /// `op.key` with input `op.input`: `call.invoke({.op = "put", .key = key, .input = value})`.
    /// Its call and return times are the harness's, taken around the whole operation. Then say
    /// how it ended: ok(output) once it returned, or info() when its effect is unknown (a
    /// timeout, a failure after the request may have applied). An operation that throws after
    /// invoke() is `info`; one that returns without either is ok with no output. An operation
    /// may invoke several model operations one after the other; ok() and info() answer the last.
    void invoke(const HistoryOp& op) { m_ctx.history_invoke(op); }
    /// The operation invoked last completed with `output` (nothing: an operation with no result).
    void ok(const HistoryValue& output = nullptr) { m_ctx.history_return(output, true); }
    /// The outcome of the operation invoked last is unknown: it may or may not have taken
    /// effect, and the check leaves it open to the end of the history.
    void info() { m_ctx.history_return(nullptr, false); }

private:
    const Op& m_op;
    ThreadContext& m_ctx;
    const detail::OpTable& m_table;
};

/// The Call of the operation this thread is running, or nullptr outside one: for code inside a
/// component that cannot take a Call parameter (a pause hook that is a chaos point, a simulated
/// network drawing from the thread's stream). Set by the harness around every operation.
Call* current_call();

namespace detail {
/// Makes `call` this thread's current_call() until the scope ends.
class CurrentCallScope {
public:
    explicit CurrentCallScope(Call& call);
    ~CurrentCallScope();
    CurrentCallScope(const CurrentCallScope&) = delete;
    CurrentCallScope& operator=(const CurrentCallScope&) = delete;
};
}  // namespace detail

/// One invariant check at a quiescent point (no operation in flight on any thread).
class Check {
public:
    Check(InvariantSink& sink, int index, CheckPoint when) : m_sink(sink), m_index(index), m_when(when) {}
    /// Records a violation; the detail says what was seen (the first few are kept).
    void fail(std::string detail) { m_sink.fail(m_index, std::move(detail)); }
    /// True at the last check of the job, after `teardown`.
    bool is_final() const { return m_when == CheckPoint::final; }

private:
    InvariantSink& m_sink;
    int m_index;
    CheckPoint m_when;
};

/// One value per worker thread, each on its own cache line: what a thread records without a lock
/// and an invariant reads at a quiescent point. Index it with the Call (the calling thread's slot).
template <typename T>
class PerThread {
    // 64: the cache line of the x86-64 and most AArch64 cores (std::hardware_destructive_
    // interference_size is not stable across compiler versions, so g++ warns in headers).
    struct alignas(64) Slot {
        T value{};
    };

public:
    explicit PerThread(int threads) : m_slots(static_cast<std::size_t>(threads > 0 ? threads : 1)) {}
    explicit PerThread(const Setup& setup) : PerThread(setup.threads()) {}

    T& operator[](const Call& call) { return m_slots.at(static_cast<std::size_t>(call.thread())).value; }
    T& at(int thread) { return m_slots.at(static_cast<std::size_t>(thread)).value; }
    const T& at(int thread) const { return m_slots.at(static_cast<std::size_t>(thread)).value; }
    int size() const { return static_cast<int>(m_slots.size()); }

    /// Calls `f(value)` for every thread's value, thread 0 first.
    template <typename F>
    void for_each(F&& f) {
        for (auto& s : m_slots) f(s.value);
    }
    template <typename F>
    void for_each(F&& f) const {
        for (const auto& s : m_slots) f(s.value);
    }

private:
    std::vector<Slot> m_slots;
};

/// Draws an operation's argument from the operation's own random bits, so that a seed replays it.
struct ArgGenerator {
    std::function<std::int64_t(Rng&)> draw;
    std::string describe;  ///< shown by `threadmill list`, e.g. "uniform in [1, 100]"
};

/// Uniform in [lo, hi] (both included).
ArgGenerator uniform(std::int64_t lo, std::int64_t hi);
/// One of `values`, each equally likely.
ArgGenerator one_of(std::initializer_list<std::int64_t> values);
/// `draw(rng)` of your own; `describe` says what it draws.
ArgGenerator generator(std::function<std::int64_t(Rng&)> draw, std::string describe);

namespace detail {

/// The operations' argument generators and the invariants' names, shared by every job's Calls.
struct OpTable {
    std::vector<ArgGenerator> args;            ///< per operation; `draw` empty: no generator
    std::vector<std::string> invariant_names;  ///< for Call::violate
};

[[noreturn]] void declaration_error(std::string_view target, const std::string& message);
void check_name(std::string_view target, std::string_view what, std::string_view name);

}  // namespace detail

/// The fluent declaration of a target whose adapter is `Adapter`. Each adapter instance serves
/// one job. Build it with `target<Adapter>("name")`, register it with THREADMILL_TARGET.
template <typename Adapter>
class TargetBuilder {
public:
    using OpFn = std::function<void(Adapter&, Call&)>;
    using InvariantFn = std::function<void(Adapter&, Check&)>;
    using HookFn = std::function<void(Adapter&)>;
    using ArbiterFn = std::function<void(Adapter&, RoundOutcome&)>;

    explicit TargetBuilder(std::string name) : m_table(std::make_shared<detail::OpTable>()) {
        detail::check_name(name, "target", name);
        m_info.name = std::move(name);
    }

    /// One line: what the component is (shown by `threadmill list`).
    TargetBuilder& describe(std::string text) {
        m_info.description = std::move(text);
        return *this;
    }
    /// The design document the target reproduces, if any.
    TargetBuilder& source_document(std::string file) {
        m_info.seed = std::move(file);
        return *this;
    }
    /// The sequential model the operations' history records follow (Call::invoke): a built-in
    /// model of `threadmill check-history --list-models` (register, kv, queue, set, counter), or
    /// the target's own (the overload below).
    /// A scenario with `[check] linearizability = true` checks the job's history against it
    /// unless it names another (`[check] model`).
    TargetBuilder& model(std::string name) {
        m_info.model = std::move(name);
        m_info.own_model = false;
        m_info.model_help.clear();
        m_model.reset();
        return *this;
    }
    /// A sequential model of the target's own (see SequentialModel), for a component no built-in
    /// model describes: the default `[check] model` of its scenarios, checked by the plain worker.
    TargetBuilder& model(SequentialModel own) {
        detail::check_name(m_info.name, "model", own.name);
        if (!own.step) detail::declaration_error(m_info.name, "model '" + own.name + "' has no step function");
        m_info.model = own.name;
        m_info.own_model = true;
        m_info.model_help = own.help;
        m_model = std::make_shared<const SequentialModel>(std::move(own));
        return *this;
    }

    /// A correct implementation: every expectation of a scenario holds on it. A target that
    /// declares no variant has one, `default`.
    TargetBuilder& variant(std::string name, std::string help) { return add_variant(std::move(name), std::move(help), {}); }
    /// A broken implementation ("mutant") and the mechanism that must catch it: `race`, `crash`,
    /// `timeout`, `exception`, `memory`, `memory:<kind>`, `invariant:<name>`, ... (see
    /// docs/scenario-format.md, "expect"). A target may have mutants only.
    TargetBuilder& mutant(std::string name, std::string caught_by, std::string help) {
        if (caught_by.empty()) detail::declaration_error(m_info.name, "mutant '" + name + "' names no mechanism");
        return add_variant(std::move(name), std::move(help), std::move(caught_by));
    }

    /// A `[params]` key the scenario may set (integer_param, duration_param, ...).
    TargetBuilder& param(ParamSpec spec) {
        detail::check_name(m_info.name, "parameter", spec.name);
        if (m_info.param(spec.name) != nullptr) duplicate("parameter", spec.name);
        m_info.params.push_back(std::move(spec));
        return *this;
    }

    /// An operation: `fn(adapter, call)`, a member function `void Adapter::f(Call&)` or any
    /// callable taking (Adapter&, Call&). Called concurrently from every worker thread.
    template <typename F>
    TargetBuilder& op(std::string name, F fn, std::string help) {
        detail::check_name(m_info.name, "operation", name);
        if (m_info.op_index(name) >= 0) duplicate("operation", name);
        m_info.ops.emplace_back(std::move(name), std::move(help));
        m_ops.push_back(OpFn(std::move(fn)));
        m_table->args.emplace_back();
        return *this;
    }
    /// The argument generator of the operation declared last (`Call::arg()` draws from it).
    TargetBuilder& args(ArgGenerator gen) {
        if (m_ops.empty()) detail::declaration_error(m_info.name, ".args() before any .op()");
        if (!gen.draw) detail::declaration_error(m_info.name, ".args() with an empty generator");
        m_info.ops.back().args = gen.describe;
        m_table->args.back() = std::move(gen);
        return *this;
    }

    /// An invariant checked at every quiescent point the scenario asks for and at the end:
    /// `fn(adapter, check)`, e.g. `void Adapter::f(Check&)`. No operation runs meanwhile.
    template <typename F>
    TargetBuilder& invariant(std::string name, F fn, std::string help) {
        add_invariant(std::move(name), std::move(help));
        m_invariants.push_back(InvariantFn(std::move(fn)));
        return *this;
    }
    /// An invariant seen only inside operations (`Call::violate(name, ...)`), never at a
    /// quiescent point.
    TargetBuilder& invariant(std::string name, std::string help) {
        add_invariant(std::move(name), std::move(help));
        m_invariants.emplace_back();
        return *this;
    }

    /// Runs between two rounds (sync.mode = "rounds" or "lockstep"), after that boundary's checks
    /// or arbiter, with no operation in flight: puts the component back for the next round's
    /// operations. In lockstep it runs after every round but the last, so keep it cheap.
    template <typename F>
    TargetBuilder& reset(F fn) {
        m_reset = HookFn(std::move(fn));
        return *this;
    }
    /// Observes the result of each lockstep round (sync.mode = "lockstep": every thread ran one
    /// operation) with no operation in flight, before `reset`: `fn(adapter, out)`, e.g.
    /// `void Adapter::f(RoundOutcome& out) { out.add(x).add(y); }`. The scenario's `[[outcome]]`
    /// table grades the text ("1, 2"). A target without one cannot run lockstep scenarios.
    template <typename F>
    TargetBuilder& arbiter(F fn, std::string help = {}) {
        m_arbiter = ArbiterFn(std::move(fn));
        m_info.has_arbiter = true;
        m_info.arbiter_help = std::move(help);
        return *this;
    }
    /// Runs once after the last operation, before the final checks: stop, drain, join. Where
    /// destruction races live (thread pools, timers), the hang watchdog and the sanitizers
    /// watch this and the adapter's destructor like any operation.
    template <typename F>
    TargetBuilder& teardown(F fn) {
        m_teardown = HookFn(std::move(fn));
        return *this;
    }

    /// The registered form (what THREADMILL_TARGET stores).
    operator TargetSpec() const {  // NOLINT(google-explicit-constructor): the fluent chain converts once
        if (m_info.ops.empty()) detail::declaration_error(m_info.name, "no operation declared (.op)");
        TargetSpec spec;
        spec.info = m_info;
        spec.model = m_model;
        if (spec.info.variants.empty()) spec.info.variants.push_back({"default", "the component as built", ""});
        spec.create = [shared = std::make_shared<const Shared>(
                           Shared{spec.info, m_ops, m_invariants, m_reset, m_teardown, m_arbiter, m_table})](
                          const TargetConfig& config) -> std::unique_ptr<TargetInstance> {
            return std::make_unique<Instance>(shared, config);
        };
        return spec;
    }

private:
    struct Shared {
        TargetInfo info;
        std::vector<OpFn> ops;
        std::vector<InvariantFn> invariants;  ///< empty function: online only
        HookFn reset;
        HookFn teardown;
        ArbiterFn arbiter;
        std::shared_ptr<const detail::OpTable> table;
    };

    static std::unique_ptr<Adapter> construct(const Setup& setup) {
        if constexpr (std::is_constructible_v<Adapter, const Setup&>) {
            return std::make_unique<Adapter>(setup);
        } else {
            static_assert(std::is_default_constructible_v<Adapter>,
                          "an adapter is constructible from `const threadmill::Setup&` or by default");
            return std::make_unique<Adapter>();
        }
    }

    class Instance final : public TargetInstance {
    public:
        Instance(std::shared_ptr<const Shared> shared, const TargetConfig& config)
            : m_shared(std::move(shared)), m_adapter(construct(Setup(m_shared->info, config))) {}

        void run(const Op& op, ThreadContext& ctx) override {
            Call call(op, ctx, *m_shared->table);
            const detail::CurrentCallScope current(call);
            m_shared->ops[static_cast<std::size_t>(op.index)](*m_adapter, call);
        }
        void check(InvariantSink& sink, CheckPoint when) override {
            if (when == CheckPoint::final && m_shared->teardown && !m_torn_down) {
                m_torn_down = true;
                m_shared->teardown(*m_adapter);
            }
            for (std::size_t i = 0; i < m_shared->invariants.size(); ++i) {
                if (!m_shared->invariants[i]) continue;
                Check c(sink, static_cast<int>(i), when);
                // A check that throws found the component unable to answer (a lock it cannot
                // take, a state it cannot read): that is a finding against this invariant, not
                // a harness failure.
                try {
                    m_shared->invariants[i](*m_adapter, c);
                } catch (const std::exception& e) {
                    c.fail(std::string("the check threw: ") + e.what());
                } catch (...) {
                    c.fail("the check threw an exception not derived from std::exception");
                }
            }
        }
        void reset() override {
            if (m_shared->reset) m_shared->reset(*m_adapter);
        }
        void arbitrate(RoundOutcome& out) override {
            if (m_shared->arbiter) m_shared->arbiter(*m_adapter, out);
        }

    private:
        std::shared_ptr<const Shared> m_shared;
        std::unique_ptr<Adapter> m_adapter;
        bool m_torn_down = false;
    };

    TargetBuilder& add_variant(std::string name, std::string help, std::string caught_by) {
        detail::check_name(m_info.name, "variant", name);
        if (m_info.variant_index(name) >= 0) duplicate("variant", name);
        m_info.variants.push_back({std::move(name), std::move(help), std::move(caught_by)});
        return *this;
    }
    void add_invariant(std::string name, std::string help) {
        detail::check_name(m_info.name, "invariant", name);
        if (m_info.invariant_index(name) >= 0) duplicate("invariant", name);
        m_table->invariant_names.push_back(name);
        m_info.invariants.push_back({std::move(name), std::move(help)});
    }
    [[noreturn]] void duplicate(std::string_view what, std::string_view name) const {
        detail::declaration_error(m_info.name, std::string(what) + " '" + std::string(name) + "' declared twice");
    }

    TargetInfo m_info;
    std::vector<OpFn> m_ops;
    std::vector<InvariantFn> m_invariants;
    HookFn m_reset;
    HookFn m_teardown;
    ArbiterFn m_arbiter;
    std::shared_ptr<detail::OpTable> m_table;
    std::shared_ptr<const SequentialModel> m_model;
};

/// Starts the declaration of a target named `name` (letters, digits, `_`, `-` and `.`, like every
/// name declared on it).
template <typename Adapter>
TargetBuilder<Adapter> target(std::string name) {
    return TargetBuilder<Adapter>(std::move(name));
}

}  // namespace threadmill

#define THREADMILL_CONCAT_INNER(a, b) a##b
#define THREADMILL_CONCAT(a, b) THREADMILL_CONCAT_INNER(a, b)
/// Registers a target when the worker starts:
/// `THREADMILL_TARGET(threadmill::target<MyAdapter>("name").op(...)...);`. A declaration
/// mistake (a name twice, no operation) stops the worker with a message naming the target.
#define THREADMILL_TARGET(...)                                                                     \
    [[maybe_unused]] static const bool THREADMILL_CONCAT(threadmill_target_, __LINE__) =          \
        ::threadmill::Registry::instance().add(static_cast<::threadmill::TargetSpec>(__VA_ARGS__))
