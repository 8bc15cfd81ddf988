// The engine's side of the target API: the catalog a worker reports and the instance interface the
// runner drives. Targets are written with api/threadmill.hpp, which builds these from names.
#pragma once

#include <atomic>
#include <charconv>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "api/rng.hpp"

namespace threadmill {

using Nanos = std::chrono::nanoseconds;

// ---- What a target declares (plain data: the catalog) ---------------------------------------

enum class ParamType { integer, number, boolean, duration, string };

/// A parameter value; the alternative always matches the ParamSpec's type.
using ParamValue = std::variant<std::int64_t, double, bool, Nanos, std::string>;

/// One `[params]` key a target accepts. `min`/`max` bound integer and number values, and
/// duration values in nanoseconds; `choices` lists the allowed string values (empty: any).
struct ParamSpec {
    std::string name;
    ParamType type = ParamType::integer;
    ParamValue default_value = std::int64_t{0};
    std::string help;
    double min = std::numeric_limits<double>::lowest();
    double max = std::numeric_limits<double>::max();
    std::vector<std::string> choices;
};

/// Shorthands for declaring parameters: `integer_param("capacity", 1024, 1, 1 << 24, "...")`.
ParamSpec integer_param(std::string name, std::int64_t default_value, std::int64_t min, std::int64_t max,
                        std::string help);
ParamSpec number_param(std::string name, double default_value, double min, double max, std::string help);
ParamSpec duration_param(std::string name, Nanos default_value, Nanos min, Nanos max, std::string help);
ParamSpec boolean_param(std::string name, bool default_value, std::string help);
ParamSpec string_param(std::string name, std::string default_value, std::vector<std::string> choices,
                       std::string help);

struct OpSpec {
    OpSpec() = default;
    OpSpec(std::string n, std::string h) : name(std::move(n)), help(std::move(h)) {}
    std::string name;
    std::string help;
    std::string args;  ///< how its argument is drawn, when the target says (e.g. "uniform in [1, 100]")
};

/// One implementation of the target's contract. `safe` variants have an empty `caught_by`;
/// mutants name the mechanism that must catch them (`invariant:<name>`, `crash`, `race`, ...).
struct VariantSpec {
    std::string name;
    std::string help;
    std::string caught_by;
    bool is_safe() const { return caught_by.empty(); }
};

struct InvariantSpec {
    std::string name;
    std::string help;
};

/// Everything the driver needs to know of a target without running it.
struct TargetInfo {
    std::string name;
    std::string description;
    std::string seed;  ///< the seed document it reproduces (file name under shared/seeds/)
    std::string model;  ///< the sequential model its history records follow ("" when it records none)
    bool own_model = false;  ///< `model` is the target's own (SequentialModel), not a built-in one
    std::string model_help;  ///< the own model's help
    std::vector<VariantSpec> variants;
    std::vector<OpSpec> ops;
    std::vector<ParamSpec> params;
    std::vector<InvariantSpec> invariants;
    bool has_arbiter = false;  ///< declares `.arbiter`: it can run `[sync] mode = "lockstep"` scenarios
    std::string arbiter_help;  ///< what the arbiter observes

    int variant_index(std::string_view n) const;  ///< -1 when unknown
    int op_index(std::string_view n) const;
    int invariant_index(std::string_view n) const;
    const ParamSpec* param(std::string_view n) const;
};

/// All targets a worker executable holds.
struct Catalog {
    std::vector<TargetInfo> targets;
    const TargetInfo* find(std::string_view name) const;
};

// ---- What a target implements ------------------------------------------------------------

/// Validated parameter values for one job: every declared parameter is present.
class Params {
public:
    std::map<std::string, ParamValue, std::less<>> values;

    std::int64_t integer(std::string_view name) const;
    double number(std::string_view name) const;
    bool boolean(std::string_view name) const;
    Nanos duration(std::string_view name) const;
    const std::string& string(std::string_view name) const;

    /// The declared defaults of every parameter of `info`.
    static Params defaults(const TargetInfo& info);
};

/// One operation to run, drawn by the harness from the thread's plan stream: the same seed
/// gives every thread the same sequence of ops, keys and args, whatever the target does.
struct Op {
    int index = 0;          ///< into TargetInfo::ops
    std::uint64_t key = 0;  ///< from the scenario's key distribution, in [0, keys.count)
    std::uint64_t arg = 0;  ///< a uniformly random 64-bit value the op may use as it likes
};

/// A violation of an invariant seen while ops run (an "online" check), kept per thread.
struct Violation {
    int invariant = 0;
    std::string detail;
};

/// A JSON value for a history record, built without a JSON library: null, a boolean, an integer,
/// a string, or an array of these (`HistoryValue::array({1, 4})`). Holds its JSON text.
class HistoryValue {
public:
    HistoryValue() : m_json("null") {}
    HistoryValue(std::nullptr_t) : m_json("null") {}  // NOLINT(google-explicit-constructor): a value converts
    HistoryValue(bool b) : m_json(b ? "true" : "false") {}  // NOLINT(google-explicit-constructor)
    template <std::integral T>
        requires(!std::same_as<T, bool>)
    HistoryValue(T v) : m_json(std::to_string(v)) {}  // NOLINT(google-explicit-constructor)
    HistoryValue(std::string_view s);                  // NOLINT(google-explicit-constructor)
    HistoryValue(const char* s) : HistoryValue(std::string_view(s)) {}  // NOLINT(google-explicit-constructor)
    HistoryValue(const std::string& s) : HistoryValue(std::string_view(s)) {}  // NOLINT(google-explicit-constructor)
    /// `[a,b,...]`.
    static HistoryValue array(std::initializer_list<HistoryValue> items);
    /// `[a,b,...]` of a sequence built at run time (a model's state: a stack's contents).
    static HistoryValue array_of(const std::vector<HistoryValue>& items);
    /// The value whose JSON text is `text` (any JSON value: objects and numbers with a fraction
    /// too). Throws std::invalid_argument naming what is wrong when `text` is not one JSON value.
    static HistoryValue parse(std::string_view text);
    /// The value as JSON text. The constructors write it as nlohmann::json's dump() does (no
    /// spaces; `\n`, `\u001f`), the form the checker hands a model, so equal values have equal text.
    const std::string& json() const { return m_json; }

    // Reading a value (a sequential model's step reads its state, input and output). Each `as_`
    // throws std::invalid_argument ("expected an integer, got \"a\"") for a value of another type:
    // thrown from a model's step, that is an error naming the operation, never a crash.
    bool is_null() const { return m_json == "null"; }
    bool is_bool() const { return m_json == "true" || m_json == "false"; }
    /// An integer: digits with an optional `-`, no fraction or exponent, within 64 bits.
    bool is_int() const;
    bool is_string() const { return !m_json.empty() && m_json.front() == '"'; }
    bool is_array() const { return !m_json.empty() && m_json.front() == '['; }
    bool as_bool() const;
    std::int64_t as_int() const;
    /// The string, its escapes decoded (UTF-8).
    std::string as_string() const;
    /// The items of an array, in order.
    std::vector<HistoryValue> items() const;

    /// Equal JSON text.
    friend bool operator==(const HistoryValue& a, const HistoryValue& b) { return a.m_json == b.m_json; }

private:
    static HistoryValue joined(const HistoryValue* items, std::size_t count);  // array() and array_of()

    std::string m_json;
};

/// One operation as a target records it for the linearizability check: the sequential model's
/// operation name, the object it acts on (`key`; omitted: the model's one unnamed object) and
/// its input. Written with designated initializers: `{.op = "put", .key = "k3", .input = 7}`.
struct HistoryOp {
    std::string_view op{};
    std::optional<std::string_view> key{};  ///< leave out for the model's one unnamed object
    HistoryValue input{};                   ///< leave out for none (null)
};

/// One operation of a history as a target's own sequential model sees it (SequentialModel::step).
/// Values are as the checker read them from the history file, in dump() form.
struct ModelOp {
    std::string op;                  ///< the operation's name, as recorded (`Call::invoke`'s `.op`)
    std::optional<std::string> key;  ///< the object it acts on; nullopt when recorded without one
    HistoryValue input;              ///< null when it takes none
    HistoryValue output;             ///< what it returned (null: nothing, or not known)
    bool known = true;               ///< false for an `info` op: it may or may not have taken effect, and
                                     ///< its output is unknown, so any output is possible
};

/// A sequential specification of a target's own (`TargetBuilder::model(SequentialModel)`), for
/// components no built-in model describes. States are HistoryValues: the checker keeps each
/// distinct state once, by its JSON text, so keep them canonical (a set as a sorted array).
///
///     threadmill::SequentialModel{
///         .name = "max_register",
///         .help = "write: input n; read: output the largest n written (0 before any)",
///         .initial = 0,
///         .step = [](const threadmill::HistoryValue& state, const threadmill::ModelOp& op)
///                     -> std::vector<threadmill::HistoryValue> {
///             if (op.op == "write") return {std::max(state.as_int(), op.input.as_int())};
///             if (op.op == "read") return op.known && op.output != state ? std::vector<threadmill::HistoryValue>{}
///                                                                        : std::vector{state};
///             throw std::invalid_argument("unknown op '" + op.op + "' (this model has write, read)");
///         }}
///
/// The model runs in the plain worker executable (`threadmill-worker --check-history`), started by the
/// driver after a job, never inside a job and never in a sanitizer worker.
struct SequentialModel {
    std::string name;  ///< what `[check] model` and `check-history --model` call it: letters, digits, `_`, `-`, `.`
    std::string help;  ///< its ops and the JSON shapes they expect (shown by `threadmill list`)
    HistoryValue initial;  ///< the state before any operation (of every key, when `by_key`)
    /// The states the object may be in after `op` takes effect in `state` and returns its recorded
    /// output: none when that output is impossible in `state`, several when the op may do one of
    /// several things. For an op that is not `known` accept every output. A pure function of its
    /// arguments (the checker calls it once per state and op, from one thread). Throw (any
    /// std::exception) for an op whose shape is wrong (an unknown name, an input of the wrong type):
    /// the check then stops with an error naming the op and its line, as for a built-in model.
    std::function<std::vector<HistoryValue>(const HistoryValue& state, const ModelOp& op)> step;
    /// Ops on different keys act on different objects and are checked apart (faster); false: every
    /// op acts on one object, whatever its key.
    bool by_key = true;
};

/// One thread's history: the operations it recorded, in its own order, with their JSON text in
/// one buffer (no allocation per operation once the buffers have grown). Only its thread writes it.
struct ThreadHistory {
    enum class Status : std::uint8_t { open, ok, info };
    struct Record {
        std::int64_t call = 0;  ///< nanoseconds since the job started
        std::int64_t ret = 0;
        std::uint32_t text = 0;  ///< offset in `text` of op, key and input, in that order
        std::uint32_t op_len = 0, key_len = 0, input_len = 0;
        std::uint32_t output = 0, output_len = 0;  ///< offset and length of the output; 0 length: none
        bool has_key = false;
        Status status = Status::open;
    };
    std::vector<Record> records;
    std::string text;
    /// The job's records left to hand out, shared by its threads; a thread takes k_grant at a
    /// time (one atomic operation per k_grant records), so a fast thread keeps more than a slow one.
    std::atomic<std::int64_t>* budget = nullptr;
    static constexpr std::int64_t k_grant = 256;
    std::size_t granted = 0;  ///< records this thread may keep so far
    bool cut = false;         ///< the budget ran out: `cut_at` is the call time of its first unrecorded op
    std::int64_t cut_at = 0;
    std::size_t op_first = 0;  ///< the first record of the operation in flight
    bool overflow = false;     ///< the operation in flight was refused a record (limit)

    /// The runner, before each operation.
    void begin_op() {
        op_first = records.size();
        overflow = false;
    }
    /// The runner, after each operation: stamps the operation's records with its call and
    /// return times (nanoseconds since the job started); `threw`: each still open is `info`.
    /// An operation refused a record is dropped whole, and recording stops from its call on.
    void end_op(std::int64_t call, std::int64_t ret, bool threw);
};

class ThreadContext;

/// A schedule strategy other than the default (`[chaos] strategy`, worker/schedule.hpp), installed
/// by the harness; a target never implements or calls it.
class ChaosSchedule {
public:
    /// At every chaos point of the thread of `ctx`, instead of ThreadContext::noise().
    virtual void at_point(ThreadContext& ctx) = 0;

protected:
    ~ChaosSchedule() = default;
};

/// Per worker thread; only its own thread touches it while a round runs.
class ThreadContext {
public:
    int thread_index = 0;  ///< 0..thread_count-1 over all groups
    int group_index = 0;
    int thread_count = 1;
    Rng rng{1};  ///< the target's own random stream (values, choices inside an op)

    /// Call between a check and the act that depends on it: widens race windows with a
    /// seeded yield or short delay when the scenario's `[chaos]` asks for it.
    void chaos_point();

    /// Record that an invariant did not hold, as seen inside an operation. Cheap and
    /// lock-free: kept in this thread's buffer and merged at the next quiescent point.
    void violate(int invariant, std::string detail);

    /// Whether to inject a fault now: true with the scenario's `[faults] rate` (never when it is 0),
    /// drawn from this thread's own fault stream, so a seed replays the same decisions.
    bool fault();

    /// Whether this job records a history (`[check] linearizability = true`).
    bool recording() const { return m_history != nullptr; }
    /// History: the current operation is `op` (see Call::invoke). Does nothing when not recording.
    void history_invoke(const HistoryOp& op);
    /// History: the current operation completed with `output`, or its outcome is unknown
    /// (`known` false). Does nothing when not recording or before history_invoke.
    void history_return(const HistoryValue& output, bool known);

    // Harness-owned state, public for the runner.
    ThreadHistory* m_history = nullptr;  ///< set by the runner when the job records a history
    std::vector<Violation> m_violations;
    std::vector<std::uint64_t> m_violation_counts;  ///< per invariant, including unkept details
    Rng m_chaos_rng{1};
    double m_yield_probability = 0;
    double m_delay_probability = 0;
    Nanos m_delay_min{0};
    Nanos m_delay_max{0};
    Rng m_fault_rng{1};
    double m_fault_probability = 0;
    std::uint64_t m_faults = 0;  ///< how often fault() said yes
    /// nullptr for the default strategy (uniform): then a chaos point is noise() alone.
    ChaosSchedule* m_schedule = nullptr;
    void chaos();  ///< the same decision, used by the runner around operations
    void noise();  ///< the seeded yield and delay of `[chaos]` (the uniform strategy's whole work)
};

enum class CheckPoint { quiescent, final };

/// Collects invariant results at a quiescent point, where no worker thread runs.
class InvariantSink {
public:
    explicit InvariantSink(std::size_t invariant_count);
    /// Records a violation of invariant `index` (keeps the first few details).
    void fail(int index, std::string detail);
    /// Bumps the check count of every invariant (called by the runner per checkpoint).
    void count_check();

    struct Entry {
        std::uint64_t checks = 0;
        std::uint64_t violations = 0;
        std::vector<std::string> details;
    };
    std::vector<Entry> entries;
    static constexpr std::size_t k_max_details = 5;
};

/// What a lockstep round ended in, as the target's arbiter saw it: a short tuple of small values,
/// printed comma-separated ("1, 2", "true, empty"). The scenario's `[[outcome]]` table grades the
/// text. The runner reuses one RoundOutcome for every round (cleared before each), so appending
/// allocates only until the buffer has grown to the longest result.
class RoundOutcome {
public:
    /// Appends a string (as written: keep ", " out of it, it separates the values).
    RoundOutcome& add(std::string_view text) {
        separate();
        m_text.append(text);
        return *this;
    }
    RoundOutcome& add(const char* text) { return add(std::string_view(text)); }
    /// Appends `true` or `false`.
    RoundOutcome& add(bool value) { return add(value ? std::string_view("true") : std::string_view("false")); }
    /// Appends one character.
    RoundOutcome& add(char c) { return add(std::string_view(&c, 1)); }
    /// Appends an integer in decimal.
    template <std::integral T>
        requires(!std::same_as<T, bool> && !std::same_as<T, char>)
    RoundOutcome& add(T value) {
        char digits[24];
        const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
        return add(std::string_view(digits, static_cast<std::size_t>(end - digits)));
    }
    /// The values so far, ", "-separated.
    const std::string& text() const { return m_text; }
    /// How many values were added.
    std::size_t size() const { return m_values; }
    /// Called by the harness before each round's arbiter.
    void clear() {
        m_text.clear();
        m_values = 0;
    }

private:
    void separate() {
        if (m_values++ > 0) m_text.append(", ");
    }
    std::string m_text;
    std::size_t m_values = 0;
};

/// What a job hands the target when it creates an instance.
struct TargetConfig {
    int variant = 0;
    const Params* params = nullptr;
    int thread_count = 1;
    std::uint64_t key_count = 1;
    std::uint64_t seed = 0;
    std::string work_dir;  ///< a per-job scratch directory the target may write to
};

/// One instance of a target for one job. `run` is called concurrently from every worker
/// thread; `check` only at quiescent points (no `run` in progress on any thread).
class TargetInstance {
public:
    virtual ~TargetInstance() = default;
    /// Runs one operation on the calling thread. An exception is recorded as a failure of the
    /// target (mechanism `exception`); it never stops the run.
    virtual void run(const Op& op, ThreadContext& ctx) = 0;
    /// Checks every invariant that can be checked now and reports violations to `sink`.
    /// At CheckPoint::final the target may first finish pending work (drain, join).
    virtual void check(InvariantSink& sink, CheckPoint when) = 0;
    /// Between two rounds, after that boundary's checks (rounds) or its arbiter (lockstep), with
    /// no `run` in progress.
    virtual void reset() {}
    /// Lockstep only: after each round, with no `run` in progress and before `reset`, appends what
    /// the round ended in to `out` (empty on entry). Only targets with `TargetInfo::has_arbiter`.
    virtual void arbitrate(RoundOutcome& out) { (void)out; }
};

/// A registered target: its catalog entry and how to make an instance.
struct TargetSpec {
    TargetInfo info;
    std::function<std::unique_ptr<TargetInstance>(const TargetConfig&)> create;
    /// The target's own sequential model (TargetInfo::own_model), or nullptr.
    std::shared_ptr<const SequentialModel> model;
};

/// The targets linked into this executable, in registration order.
class Registry {
public:
    static Registry& instance();
    /// Registers a target; aborts on a duplicate name or an inconsistent spec.
    bool add(TargetSpec spec);
    const TargetSpec* find(std::string_view name) const;
    const std::vector<TargetSpec>& all() const { return m_targets; }
    Catalog catalog() const;

private:
    std::vector<TargetSpec> m_targets;
};

}  // namespace threadmill

#define TM_CONCAT_INNER(a, b) a##b
#define TM_CONCAT(a, b) TM_CONCAT_INNER(a, b)
/// Registers a target at static-initialization time: `TM_REGISTER_TARGET(make_cache_spec);`
/// where the function returns a TargetSpec.
#define TM_REGISTER_TARGET(make_spec)                                                          \
    [[maybe_unused]] static const bool TM_CONCAT(tm_registered_, __LINE__) =                   \
        ::threadmill::Registry::instance().add(make_spec())
