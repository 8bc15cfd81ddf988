// Sanitizer parser: what kind of finding a report is, from the words of its headline and SUMMARY.
#include "sanitizers/classify.hpp"

#include <algorithm>
#include <utility>

#include "model/text.hpp"
#include "sanitizers/lines.hpp"

namespace threadmill::sanitizers_detail {

FindingKind tsan_kind(std::string_view type) {
    return kind_called("ThreadSanitizer", type).value_or(FindingKind::unrecognized);
}

std::optional<std::string> deadly_signal_name(std::string_view rest) {
    const auto on = rest.find(" on unknown address");
    if (on == std::string_view::npos || on == 0) return std::nullopt;
    const auto sig = rest.substr(0, on);
    if (!std::all_of(sig.begin(), sig.end(), [](char c) { return (c >= 'A' && c <= 'Z') || c == ' '; }))
        return std::nullopt;
    return std::string(sig);
}

std::string asan_error_name(std::string_view rest, std::string_view summary) {
    if (const auto colon = summary.find(": "); colon != std::string_view::npos) {
        auto word = summary.substr(colon + 2);
        word = word.substr(0, word.find(' '));
        if (is_error_name(word)) return std::string(word);
    }
    static constexpr std::pair<std::string_view, std::string_view> k_phrases[] = {
        {"attempting double-free", "double-free"},
        {"attempting free on address which was not malloc", "bad-free"},
        {"requested allocation size", "allocation-size-too-big"},
        {"calloc parameters overflow", "calloc-overflow"},
        {"allocator is out of memory", "out-of-memory"},
        {"stack-overflow", "stack-overflow"},
    };
    for (const auto& [phrase, name] : k_phrases) {
        if (rest.starts_with(phrase)) return std::string(name);
    }
    auto word = rest.substr(0, rest.find_first_of(" :"));
    return is_error_name(word) ? std::string(word) : std::string{};
}

FindingKind asan_kind(std::string_view name) {
    return kind_called("AddressSanitizer", name).value_or(FindingKind::other_memory_error);
}

// The UBSan check (its SUMMARY name, as with report_error_type=1) from the message of a runtime error,
// for runtimes that print no SUMMARY or only "undefined-behavior".
std::string ub_check_from_message(std::string_view msg) {
    const auto has = [&](std::string_view s) { return contains(msg, s); };
    const auto starts = [&](std::string_view s) { return msg.starts_with(s); };
    if (starts("signed integer overflow")) return "signed-integer-overflow";
    if (starts("unsigned integer overflow")) return "unsigned-integer-overflow";
    if (starts("negation of")) return has("type 'unsigned") ? "unsigned-integer-overflow" : "signed-integer-overflow";
    if (starts("division of") && has("by -1")) return "signed-integer-overflow";
    if (starts("division by zero")) return "integer-divide-by-zero";
    if (starts("shift exponent")) return "invalid-shift-exponent";
    if (starts("left shift of")) return "invalid-shift-base";
    if (starts("index ") && has("out of bounds")) return "out-of-bounds-index";
    if (starts("load of value")) return has("bool'") ? "invalid-bool-load" : "invalid-enum-load";
    if (has("misaligned address")) return "misaligned-pointer-use";
    if (has("null pointer passed as argument")) return "invalid-null-argument";
    if (has("null pointer returned from function")) return "invalid-null-return";
    if (starts("applying non-zero offset to non-null pointer")) return "nullptr-after-nonzero-offset";
    if (starts("applying non-zero offset")) return "nullptr-with-nonzero-offset";
    if (starts("applying zero offset")) return "nullptr-with-offset";
    if (has("null pointer")) return "null-pointer-use";
    if (has("with insufficient space for an object")) return "insufficient-object-size";
    if (has("which does not point to an object of type")) return "dynamic-type-mismatch";
    if (starts("pointer index expression") || starts("addition of unsigned offset") ||
        starts("subtraction of unsigned offset"))
        return "pointer-overflow";
    if (starts("execution reached an unreachable program point")) return "unreachable-call";
    if (starts("execution reached the end of a value-returning function")) return "missing-return";
    if (starts("variable length array bound")) return "non-positive-vla-index";
    if (has("is outside the range of representable values")) return "float-cast-overflow";
    if (starts("call to function") && has("through pointer to incorrect function type"))
        return "function-type-mismatch";
    if (starts("implicit conversion")) return "implicit-conversion";
    if (starts("passing zero to")) return "invalid-builtin-use";
    if (starts("assumption of")) return "alignment-assumption";
    if (starts("control flow integrity check")) return "cfi-bad-type";
    return "undefined-behavior";
}

}  // namespace threadmill::sanitizers_detail
