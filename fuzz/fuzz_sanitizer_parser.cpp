// libFuzzer target: any bytes, read as sanitizer output, through the report and suppression parsers.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sanitizers/parser.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    // Neither parser may throw: whatever a runtime wrote, a killed worker cut short included.
    (void)threadmill::parse_sanitizer_output(text);
    (void)threadmill::parse_suppression_uses(text);
    return 0;
}
