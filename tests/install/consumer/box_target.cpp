// The install test's variant-build target: one adapter around my::Box, whose header comes in two versions (include-buggy/, include-fixed/).
#include <atomic>
#include <cstdint>
#include <memory>

#include "api/target.hpp"
#include "my_box.hpp"

namespace {

using namespace threadmill;

enum OpIndex : int { k_add, k_read };

/// The same code in every build: which my_box.hpp it sees is what the variant build chooses.
class BoxTarget final : public TargetInstance {
public:
    explicit BoxTarget(const TargetConfig&) {}

    void run(const Op& op, ThreadContext&) override {
        if (op.index == k_add) {
            m_box.add();
        } else {
            m_reads.fetch_add(m_box.value() > 0 ? 1 : 0, std::memory_order_relaxed);
        }
    }

    void check(InvariantSink&, CheckPoint) override {}

private:
    my::Box m_box;
    std::atomic<std::uint64_t> m_reads{0};  // keeps the reads from being optimized away
};

TargetSpec make_box() {
    TargetSpec s;
    s.info.name = "install_box";
    s.info.description = "a tally before and after a fix of its header (threadmill's install test of variant builds)";
    // The mutant comes first: a target need not lead with a safe variant.
    s.info.variants = {{"buggy", "include-buggy/my_box.hpp: add() without the lock", "race"},
                       {"fixed", "include-fixed/my_box.hpp: add() under the lock", ""}};
    s.info.ops = {{"add", "adds one"}, {"read", "reads the value"}};
    s.create = [](const TargetConfig& c) { return std::make_unique<BoxTarget>(c); };
    return s;
}

TM_REGISTER_TARGET(make_box);

}  // namespace
