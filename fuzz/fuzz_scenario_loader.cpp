// libFuzzer target: any bytes, read as scenario TOML, through the loader `validate` uses.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "api/target.hpp"
#include "model/catalog_json.hpp"
#include "scenario/loader.hpp"

namespace {

/// The built-in targets' catalog as the driver sees it: through the worker's `--describe` JSON.
const threadmill::Catalog& built_in_catalog() {
    static const threadmill::Catalog k_catalog =
        threadmill::catalog_from_json(threadmill::catalog_to_json(threadmill::Registry::instance().catalog()));
    return k_catalog;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        (void)threadmill::parse_scenario(text, "fuzz.toml", built_in_catalog());
    } catch (const threadmill::ScenarioError&) {
        // An invalid scenario is an expected answer; any other exception escapes and is a crash.
    }
    return 0;
}
