// Sanitizer parser: a finding's fingerprint, the same for the same bug across jobs and seeds.
#include "sanitizers/fingerprint.hpp"

#include <algorithm>
#include <cstdint>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "model/text.hpp"
#include "sanitizers/body.hpp"
#include "sanitizers/frames.hpp"
#include "sanitizers/lines.hpp"

namespace threadmill::sanitizers_detail {
namespace {

constexpr std::size_t k_fingerprint_frames = 3;

// Addresses and numbers replaced by '#', so that text compares across runs.
std::string mask_numbers(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size();) {
        if (s[i] == '0' && i + 1 < s.size() && s[i + 1] == 'x') {
            i += 2;
            while (i < s.size() && is_hex(s[i])) ++i;
            out += '#';
        } else if (is_digit(s[i])) {
            while (i < s.size() && is_digit(s[i])) ++i;
            out += '#';
        } else {
            out += s[i++];
        }
    }
    return out;
}

std::string normalized_frame(const Frame& fr) {
    const auto name = bare_function_name(fr.function);
    std::string_view where = fr.file;
    std::string module;
    if (where.empty()) {
        module = fr.module.substr(0, fr.module.rfind("+0x"));
        where = module;
    }
    return fmt::format("{}@{}", name.empty() ? "?" : name, basename_of(where));
}

}  // namespace

std::string fingerprint_of(const Finding& f) {
    auto stacks = stacks_by_relevance(f);
    // The thread and mutex creation stacks count only when there is nothing else (a thread leak).
    const auto creation =
        std::find_if(stacks.begin(), stacks.end(), [](const StackBlock* b) { return is_creation_block(*b); });
    if (creation != stacks.begin()) stacks.erase(creation, stacks.end());
    const bool any_user = std::any_of(stacks.begin(), stacks.end(), [](const StackBlock* b) {
        return std::any_of(b->frames.begin(), b->frames.end(), [](const Frame& fr) { return fr.user; });
    });
    std::vector<std::string> signatures;
    for (const auto* b : stacks) {
        std::string sig;
        std::size_t taken = 0;
        for (const auto& fr : b->frames) {
            if (taken == k_fingerprint_frames) break;
            const bool take = any_user ? fr.user : !is_runtime_frame(fr) && !(fr.function.empty() && fr.file.empty());
            if (!take) continue;
            sig += normalized_frame(fr);
            sig += ';';
            ++taken;
        }
        if (!sig.empty()) signatures.push_back(std::move(sig));
    }
    // The same race is printed with either access first: the order of the stacks does not count.
    std::sort(signatures.begin(), signatures.end());
    signatures.erase(std::unique(signatures.begin(), signatures.end()), signatures.end());
    std::string key = f.kind_name;
    if (signatures.empty()) {
        key += '|';
        key += f.user_frame ? fmt::format("@{}", basename_of(f.user_frame->file)) : mask_numbers(f.headline);
    }
    for (const auto& s : signatures) {
        key += '|';
        key += s;
    }
    return fmt::format("{:016x}", fnv1a(key));
}

}  // namespace threadmill::sanitizers_detail
