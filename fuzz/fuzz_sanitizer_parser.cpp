// libFuzzer target: any bytes, read as sanitizer or gdb output, through the report, suppression and backtrace parsers.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sanitizers/gdb_backtraces.hpp"
#include "sanitizers/parser.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    // No parser may throw: whatever a runtime or gdb wrote, a killed worker cut short included.
    (void)threadmill::parse_sanitizer_output(text);
    (void)threadmill::parse_suppression_uses(text);
    (void)threadmill::parse_gdb_backtraces(text);
    return 0;
}
