// Target registry, parameter access, invariant sinks and the chaos points of ThreadContext.
#include "api/target.hpp"

#include <limits>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "api/threadmill.hpp"

namespace threadmill {
namespace {

template <typename Vec>
int index_by_name(const Vec& items, std::string_view name) {
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (items[i].name == name) return static_cast<int>(i);
    }
    return -1;
}

[[noreturn]] void die(const std::string& message) {
    std::fprintf(stderr, "threadmill: internal error: %s\n", message.c_str());
    std::abort();
}

template <typename T>
const T& param_as(const Params& params, std::string_view name) {
    auto it = params.values.find(name);
    if (it == params.values.end()) die(fmt::format("parameter '{}' is not declared", name));
    if (!std::holds_alternative<T>(it->second)) die(fmt::format("parameter '{}' read as the wrong type", name));
    return std::get<T>(it->second);
}

}  // namespace

namespace {

ParamSpec make_param(std::string name, ParamType type, ParamValue default_value, double min, double max,
                     std::string help) {
    ParamSpec p;
    p.name = std::move(name);
    p.type = type;
    p.default_value = std::move(default_value);
    p.min = min;
    p.max = max;
    p.help = std::move(help);
    return p;
}

}  // namespace

ParamSpec integer_param(std::string name, std::int64_t default_value, std::int64_t min, std::int64_t max,
                        std::string help) {
    return make_param(std::move(name), ParamType::integer, default_value, static_cast<double>(min),
                      static_cast<double>(max), std::move(help));
}

ParamSpec number_param(std::string name, double default_value, double min, double max, std::string help) {
    return make_param(std::move(name), ParamType::number, default_value, min, max, std::move(help));
}

ParamSpec duration_param(std::string name, Nanos default_value, Nanos min, Nanos max, std::string help) {
    return make_param(std::move(name), ParamType::duration, default_value, static_cast<double>(min.count()),
                      static_cast<double>(max.count()), std::move(help));
}

ParamSpec boolean_param(std::string name, bool default_value, std::string help) {
    ParamSpec p;
    p.name = std::move(name);
    p.type = ParamType::boolean;
    p.default_value = default_value;
    p.help = std::move(help);
    return p;
}

ParamSpec string_param(std::string name, std::string default_value, std::vector<std::string> choices,
                       std::string help) {
    ParamSpec p;
    p.name = std::move(name);
    p.type = ParamType::string;
    p.default_value = std::move(default_value);
    p.choices = std::move(choices);
    p.help = std::move(help);
    return p;
}

int TargetInfo::variant_index(std::string_view n) const { return index_by_name(variants, n); }
int TargetInfo::op_index(std::string_view n) const { return index_by_name(ops, n); }
int TargetInfo::invariant_index(std::string_view n) const { return index_by_name(invariants, n); }
const ParamSpec* TargetInfo::param(std::string_view n) const {
    int i = index_by_name(params, n);
    return i < 0 ? nullptr : &params[static_cast<std::size_t>(i)];
}

const TargetInfo* Catalog::find(std::string_view name) const {
    int i = index_by_name(targets, name);
    return i < 0 ? nullptr : &targets[static_cast<std::size_t>(i)];
}

std::int64_t Params::integer(std::string_view name) const { return param_as<std::int64_t>(*this, name); }
double Params::number(std::string_view name) const { return param_as<double>(*this, name); }
bool Params::boolean(std::string_view name) const { return param_as<bool>(*this, name); }
Nanos Params::duration(std::string_view name) const { return param_as<Nanos>(*this, name); }
const std::string& Params::string(std::string_view name) const { return param_as<std::string>(*this, name); }

Params Params::defaults(const TargetInfo& info) {
    Params p;
    for (const auto& spec : info.params) p.values.emplace(spec.name, spec.default_value);
    return p;
}

namespace {

/// The uniform strategy's yield and delay, inlined into chaos() so that the default path costs
/// what it did before strategies existed, plus one test of m_schedule.
[[gnu::always_inline]] inline void uniform_noise(ThreadContext& c) {
    if (c.m_yield_probability > 0 && c.m_chaos_rng.chance(c.m_yield_probability)) std::this_thread::yield();
    if (c.m_delay_probability > 0 && c.m_chaos_rng.chance(c.m_delay_probability)) {
        const auto span = static_cast<std::uint64_t>((c.m_delay_max - c.m_delay_min).count());
        const auto extra = span == 0 ? 0 : c.m_chaos_rng.below(span + 1);
        const auto until = std::chrono::steady_clock::now() + c.m_delay_min + Nanos(extra);
        // Busy-wait: sleeping would round short delays up to the scheduler's tick.
        while (std::chrono::steady_clock::now() < until) {
        }
    }
}

}  // namespace

void ThreadContext::chaos() {
    if (m_schedule != nullptr) {
        m_schedule->at_point(*this);
        return;
    }
    uniform_noise(*this);
}

void ThreadContext::noise() { uniform_noise(*this); }

void ThreadContext::chaos_point() { chaos(); }

bool ThreadContext::fault() {
    if (m_fault_probability <= 0 || !m_fault_rng.chance(m_fault_probability)) return false;
    ++m_faults;
    return true;
}

void ThreadHistory::end_op(std::int64_t call, std::int64_t ret, bool threw) {
    if (overflow) {
        records.resize(op_first);
        if (!cut) {
            cut = true;
            cut_at = call;
        }
        return;
    }
    for (std::size_t i = op_first; i < records.size(); ++i) {
        auto& r = records[i];
        r.call = call;
        r.ret = ret;
        if (r.status == Status::open) r.status = threw ? Status::info : Status::ok;
    }
}

void ThreadContext::history_invoke(const HistoryOp& op) {
    if (m_history == nullptr) return;
    ThreadHistory& h = *m_history;
    if (!h.cut && h.records.size() >= h.granted) {
        const std::int64_t left = h.budget->fetch_sub(ThreadHistory::k_grant, std::memory_order_relaxed);
        if (left > 0) h.granted += static_cast<std::size_t>(std::min(left, ThreadHistory::k_grant));
    }
    if (h.cut || h.records.size() >= h.granted) {
        h.overflow = true;
        return;
    }
    ThreadHistory::Record r;
    r.text = static_cast<std::uint32_t>(h.text.size());
    h.text += op.op;
    r.op_len = static_cast<std::uint32_t>(op.op.size());
    if (op.key) {
        r.has_key = true;
        h.text += *op.key;
        r.key_len = static_cast<std::uint32_t>(op.key->size());
    }
    h.text += op.input.json();
    r.input_len = static_cast<std::uint32_t>(op.input.json().size());
    h.records.push_back(r);
}

void ThreadContext::history_return(const HistoryValue& output, bool known) {
    if (m_history == nullptr) return;
    ThreadHistory& h = *m_history;
    if (h.overflow || h.records.size() == h.op_first) return;  // refused, or no invoke yet
    auto& r = h.records.back();
    if (r.status != ThreadHistory::Status::open) return;  // the first answer stands
    if (!known) {
        r.status = ThreadHistory::Status::info;
        return;
    }
    r.status = ThreadHistory::Status::ok;
    r.output = static_cast<std::uint32_t>(h.text.size());
    h.text += output.json();
    r.output_len = static_cast<std::uint32_t>(output.json().size());
}

void ThreadContext::violate(int invariant, std::string detail) {
    const auto i = static_cast<std::size_t>(invariant);
    if (i >= m_violation_counts.size()) die(fmt::format("violate(): no invariant #{}", invariant));
    if (m_violation_counts[i]++ < InvariantSink::k_max_details) {
        m_violations.push_back({invariant, std::move(detail)});
    }
}

InvariantSink::InvariantSink(std::size_t invariant_count) : entries(invariant_count) {}

void InvariantSink::fail(int index, std::string detail) {
    const auto i = static_cast<std::size_t>(index);
    if (i >= entries.size()) die(fmt::format("InvariantSink::fail(): no invariant #{}", index));
    auto& e = entries[i];
    ++e.violations;
    if (e.details.size() < k_max_details) e.details.push_back(std::move(detail));
}

void InvariantSink::count_check() {
    for (auto& e : entries) ++e.checks;
}

Registry& Registry::instance() {
    static Registry registry;
    return registry;
}

bool Registry::add(TargetSpec spec) {
    const auto& info = spec.info;
    if (find(info.name) != nullptr) die(fmt::format("target '{}' registered twice", info.name));
    // Any mix of safe variants and mutants, in any order: a target whose only variant is under
    // test (a variant build of a header being fixed, say) need not declare a safe one.
    if (info.variants.empty()) die(fmt::format("target '{}' declares no variant", info.name));
    if (info.ops.empty()) die(fmt::format("target '{}' declares no operation", info.name));
    if (!spec.create) die(fmt::format("target '{}' has no create function", info.name));
    if (info.own_model != (spec.model != nullptr) || (spec.model && (spec.model->name != info.model || !spec.model->step)))
        die(fmt::format("target '{}': its own model and its catalog's model disagree", info.name));
    for (const auto& p : info.params) {
        const bool ok = std::visit(
            [&](const auto& v) {
                using T = std::decay_t<decltype(v)>;
                switch (p.type) {
                    case ParamType::integer: return std::is_same_v<T, std::int64_t>;
                    case ParamType::number: return std::is_same_v<T, double>;
                    case ParamType::boolean: return std::is_same_v<T, bool>;
                    case ParamType::duration: return std::is_same_v<T, Nanos>;
                    case ParamType::string: return std::is_same_v<T, std::string>;
                }
                return false;
            },
            p.default_value);
        if (!ok) die(fmt::format("target '{}': parameter '{}' has a default of another type", info.name, p.name));
    }
    m_targets.push_back(std::move(spec));
    return true;
}

const TargetSpec* Registry::find(std::string_view name) const {
    for (const auto& t : m_targets) {
        if (t.info.name == name) return &t;
    }
    return nullptr;
}

Catalog Registry::catalog() const {
    Catalog c;
    for (const auto& t : m_targets) c.targets.push_back(t.info);
    return c;
}

// ---- api/threadmill.hpp ---------------------------------------------------------------------

Setup::Setup(const TargetInfo& info, const TargetConfig& config) : m_info(info), m_config(config) {
    if (config.variant < 0 || static_cast<std::size_t>(config.variant) >= info.variants.size())
        die(fmt::format("target '{}' has no variant #{}", info.name, config.variant));
}

const std::string& Setup::variant() const { return m_info.variants[static_cast<std::size_t>(m_config.variant)].name; }

std::int64_t Call::arg() const {
    const auto& gen = m_table.args[static_cast<std::size_t>(m_op.index)];
    if (!gen.draw) return static_cast<std::int64_t>(m_op.arg >> 1);
    Rng rng(m_op.arg);
    return gen.draw(rng);
}

void Call::violate(std::string_view name, std::string detail) {
    const auto& names = m_table.invariant_names;
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (names[i] == name) {
            m_ctx.violate(static_cast<int>(i), std::move(detail));
            return;
        }
    }
    die(fmt::format("Call::violate(\"{}\"): no invariant of that name is declared with .invariant()", name));
}

namespace {
thread_local Call* t_current_call = nullptr;
}  // namespace

Call* current_call() { return t_current_call; }

detail::CurrentCallScope::CurrentCallScope(Call& call) { t_current_call = &call; }
detail::CurrentCallScope::~CurrentCallScope() { t_current_call = nullptr; }

ArgGenerator uniform(std::int64_t lo, std::int64_t hi) {
    if (lo > hi) die(fmt::format("uniform({}, {}): the low end is above the high end", lo, hi));
    // hi - lo + 1 values; computed unsigned, where the full int64 range wraps to 0.
    const std::uint64_t count = static_cast<std::uint64_t>(hi) - static_cast<std::uint64_t>(lo) + 1;
    return {[lo, count](Rng& rng) {
                const std::uint64_t offset = count == 0 ? rng.next() : rng.below(count);
                return static_cast<std::int64_t>(static_cast<std::uint64_t>(lo) + offset);
            },
            fmt::format("uniform in [{}, {}]", lo, hi)};
}

ArgGenerator one_of(std::initializer_list<std::int64_t> values) {
    if (values.size() == 0) die("one_of(): no value to choose from");
    std::vector<std::int64_t> v(values);
    return {[v](Rng& rng) { return v[rng.below(v.size())]; }, fmt::format("one of {{{}}}", fmt::join(v, ", "))};
}

ArgGenerator generator(std::function<std::int64_t(Rng&)> draw, std::string describe) {
    if (!draw) die("generator(): an empty function");
    return {std::move(draw), std::move(describe)};
}

namespace detail {

void declaration_error(std::string_view target, const std::string& message) {
    die(fmt::format("target '{}': {}", target, message));
}

void check_name(std::string_view target, std::string_view what, std::string_view name) {
    const bool ok = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
               c == '.';
    });
    if (!ok) {
        declaration_error(target, fmt::format("{} name '{}': use letters, digits, '_', '-' and '.'", what, name));
    }
}

}  // namespace detail
}  // namespace threadmill
