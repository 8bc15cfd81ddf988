// A target's instance driven by hand in a unit test: one instance of a variant with its default
// parameters (plus overrides), a ThreadContext per simulated thread, ops run by name, and the
// invariant violations counted the way the runner counts them (quiescent plus online).
#pragma once

#include <barrier>
#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "api/rng.hpp"
#include "api/target.hpp"

namespace threadmill::testing {

/// The registered target `name` (throws when this test binary does not hold it).
inline const TargetSpec& registered_target(const std::string& name) {
    const TargetSpec* spec = Registry::instance().find(name);
    if (spec == nullptr) throw std::runtime_error("the " + name + " target is not registered");
    return *spec;
}

class TargetFixture {
public:
    TargetFixture(const TargetSpec& spec, const std::string& variant, int threads,
                  const std::map<std::string, ParamValue>& overrides, std::uint64_t key_count,
                  std::string work_dir = {})
        : info(spec.info), params(Params::defaults(info)) {
        for (const auto& [name, value] : overrides) params.values[name] = value;
        TargetConfig config;
        config.variant = info.variant_index(variant);
        if (config.variant < 0) throw std::runtime_error("no variant " + variant);
        config.params = &params;
        config.thread_count = threads;
        config.key_count = key_count;
        config.work_dir = std::move(work_dir);
        instance = spec.create(config);
        for (int t = 0; t < threads; ++t) {
            ThreadContext ctx;
            ctx.thread_index = t;
            ctx.thread_count = threads;
            ctx.rng = Rng(100 + static_cast<std::uint64_t>(t));
            ctx.m_chaos_rng = Rng(200 + static_cast<std::uint64_t>(t));
            ctx.m_violation_counts.assign(info.invariants.size(), 0);
            contexts.push_back(std::move(ctx));
        }
    }

    Op op(std::string_view name, std::uint64_t key = 0, std::uint64_t arg = 0) const {
        const int index = info.op_index(name);
        if (index < 0) throw std::runtime_error("no op " + std::string(name));
        return Op{index, key, arg};
    }
    void run(std::string_view name, std::uint64_t key = 0, std::uint64_t arg = 0, int thread = 0) {
        instance->run(op(name, key, arg), contexts[static_cast<std::size_t>(thread)]);
    }
    /// Quiescent checks, into `sink`.
    void check(InvariantSink& sink, CheckPoint when = CheckPoint::quiescent) {
        instance->check(sink, when);
        sink.count_check();
    }
    /// Violations of invariant `name`, quiescent (from `sink`) plus online (from every thread).
    std::uint64_t violations(const InvariantSink& sink, std::string_view name) const {
        const auto i = static_cast<std::size_t>(info.invariant_index(name));
        std::uint64_t n = sink.entries.at(i).violations;
        for (const auto& ctx : contexts) n += ctx.m_violation_counts.at(i);
        return n;
    }
    /// Every op of the target, in catalog order.
    std::vector<std::string> op_names() const {
        std::vector<std::string> names;
        for (const auto& o : info.ops) names.push_back(o.name);
        return names;
    }

    /// Every context on its own thread for `rounds` rounds of 64 ops drawn from `ops` (keys below
    /// `keys`, each thread's draws seeded by its index), chaos yields at `yield_probability`, the
    /// quiescent checks at each round's barrier, then the final check.
    void stress(InvariantSink& sink, int rounds, const std::vector<std::string>& ops, std::uint64_t keys,
                double yield_probability) {
        const int threads = static_cast<int>(contexts.size());
        std::barrier sync(threads, [&]() noexcept { check(sink); });
        std::vector<std::thread> workers;
        for (int t = 0; t < threads; ++t) {
            workers.emplace_back([&, t] {
                auto& ctx = contexts[static_cast<std::size_t>(t)];
                ctx.m_yield_probability = yield_probability;
                Rng plan(1000 + static_cast<std::uint64_t>(t));
                for (int r = 0; r < rounds; ++r) {
                    for (int i = 0; i < 64; ++i) {
                        const auto& name = ops[plan.below(ops.size())];
                        const std::uint64_t key = plan.below(keys);
                        ctx.chaos();
                        instance->run(op(name, key, plan.next()), ctx);
                    }
                    sync.arrive_and_wait();
                }
            });
        }
        for (auto& w : workers) w.join();
        check(sink, CheckPoint::final);
    }

    /// Fails the test once for each invariant with a violation, with every detail.
    void expect_all_held(const InvariantSink& sink) const {
        for (const auto& inv : info.invariants) {
            EXPECT_EQ(violations(sink, inv.name), 0u) << inv.name << "\n" << details(sink);
        }
    }

    /// Every violation's detail, "invariant: detail" a line, for failure messages.
    std::string details(const InvariantSink& sink) const {
        std::string out;
        for (std::size_t i = 0; i < sink.entries.size(); ++i) {
            for (const auto& d : sink.entries[i].details) out += info.invariants[i].name + ": " + d + "\n";
        }
        for (const auto& ctx : contexts) {
            for (const auto& v : ctx.m_violations) {
                out += info.invariants[static_cast<std::size_t>(v.invariant)].name + ": " + v.detail + "\n";
            }
        }
        return out;
    }

    const TargetInfo& info;
    Params params;
    std::unique_ptr<TargetInstance> instance;
    std::vector<ThreadContext> contexts;
};

}  // namespace threadmill::testing
