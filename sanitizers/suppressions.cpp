// Sanitizer parser: the suppression tables ("Matched N suppressions", "Suppressions used") in sanitizer output.
#include <cstdint>
#include <string>

#include <fmt/format.h>

#include "model/text.hpp"
#include "sanitizers/lines.hpp"
#include "sanitizers/parser.hpp"

namespace threadmill {

using namespace sanitizers_detail;

std::vector<SuppressionUse> parse_suppression_uses(std::string_view text) {
    const auto lines = split_lines(text);
    std::vector<SuppressionUse> out;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const auto t = strip_pid(trim(lines[i].text));
        // TSan: "ThreadSanitizer: Matched 2 suppressions (pid=1):" then "<count> <type>:<pattern>" rows.
        if (const auto tool = sanitizer_word(t); !tool.empty() && t.substr(tool.size()).starts_with(": Matched ")) {
            for (std::size_t j = i + 1; j < lines.size(); ++j) {
                const auto row = trim(lines[j].text);
                const auto sp = row.find(' ');
                if (sp == std::string_view::npos || !all_digits(row.substr(0, sp)) || !contains(row, ":")) break;
                out.push_back({std::string(tool), std::string(trim(row.substr(sp + 1))),
                               static_cast<std::uint64_t>(to_int(row.substr(0, sp)))});
                i = j;
            }
            continue;
        }
        // LSan: "Suppressions used:", a "count bytes template" header, then rows, then a dashed line.
        if (t == "Suppressions used:") {
            for (std::size_t j = i + 1; j < lines.size(); ++j) {
                const auto row = trim(lines[j].text);
                if (row.starts_with("count")) continue;
                const auto a = row.find(' ');
                if (a == std::string_view::npos || !all_digits(row.substr(0, a))) break;
                const auto after_count = trim(row.substr(a));
                const auto b = after_count.find(' ');
                if (b == std::string_view::npos || !all_digits(after_count.substr(0, b))) break;
                out.push_back({"LeakSanitizer", fmt::format("leak:{}", trim(after_count.substr(b))),
                               static_cast<std::uint64_t>(to_int(row.substr(0, a)))});
                i = j;
            }
        }
    }
    return out;
}

}  // namespace threadmill
