// The install test's variant-build target: one adapter around my::Box, whose header comes in two versions (include-buggy/, include-fixed/).
#include <atomic>
#include <cstdint>

#include "api/threadmill.hpp"
#include "my_box.hpp"

namespace {

using threadmill::Call;

/// The same code in every build: which my_box.hpp it sees is what the variant build chooses.
class BoxAdapter {
public:
    void add(Call&) { m_box.add(); }
    void read(Call&) { m_reads.fetch_add(m_box.value() > 0 ? 1 : 0, std::memory_order_relaxed); }

private:
    my::Box m_box;
    std::atomic<std::uint64_t> m_reads{0};  // keeps the reads from being optimized away
};

// The mutant comes first: a target need not lead with a safe variant.
THREADMILL_TARGET(
    threadmill::target<BoxAdapter>("install_box")
        .describe("a tally before and after a fix of its header (threadmill's install test of variant builds)")
        .mutant("buggy", "race", "include-buggy/my_box.hpp: add() without the lock")
        .variant("fixed", "include-fixed/my_box.hpp: add() under the lock")
        .op("add", &BoxAdapter::add, "adds one")
        .op("read", &BoxAdapter::read, "reads the value"));

}  // namespace
