// Small text helpers: the one home of trimming, case, search, "did you mean" and source paths.
#include "model/text.hpp"

#include <algorithm>
#include <cctype>
#include <numeric>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace threadmill {

std::string_view trim(std::string_view s) {
    const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    while (!s.empty() && blank(s.front())) s.remove_prefix(1);
    while (!s.empty() && blank(s.back())) s.remove_suffix(1);
    return s;
}

std::string to_lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string to_upper(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

bool contains(std::string_view s, std::string_view part) { return s.find(part) != std::string_view::npos; }

bool contains(const std::vector<std::string>& names, std::string_view name) {
    return std::find(names.begin(), names.end(), name) != names.end();
}

std::uint64_t fnv1a(std::string_view s) {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (const char c : s) {
        h ^= static_cast<unsigned char>(c);
        h *= 0x100000001b3ULL;
    }
    return h;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
    std::iota(prev.begin(), prev.end(), std::size_t{0});
    for (std::size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t subst = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, subst});
        }
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

std::string closest_match(std::string_view word, const std::vector<std::string>& candidates) {
    std::string best;
    std::size_t best_distance = std::max<std::size_t>(2, word.size() / 3) + 1;
    for (const auto& c : candidates) {
        const std::size_t d = edit_distance(word, c);
        if (d < best_distance) {
            best_distance = d;
            best = c;
        }
    }
    return best;
}

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
    const std::string best = closest_match(word, candidates);
    return best.empty() ? std::string{} : fmt::format("; did you mean '{}'?", best);
}

std::string source_relative(const std::string& file, std::string_view source_root) {
    if (source_root.empty()) return file;
    std::string root(source_root);
    if (root.back() != '/') root += '/';
    return file.starts_with(root) ? file.substr(root.size()) : file;
}

std::string suggestion(std::string_view word, const std::vector<std::string>& candidates) {
    std::string dym = did_you_mean(word, candidates);
    if (!dym.empty() || candidates.empty()) return dym;
    return fmt::format(" (one of: {})", fmt::join(candidates, ", "));
}

// "std::foo<int>::bar(int) const [clone .cold]" -> "bar": the name without scope, template arguments,
// parameters or clone suffix. gcc's own symbolizer prints inlined functions this way ("operator()" where
// clang prints "main::$_0::operator()() const"), so fingerprints compare the bare names.
std::string bare_function_name(std::string_view fn) {
    fn = trim(fn);
    if (const auto plus = fn.rfind("+0x"); plus != std::string_view::npos && plus > 0) fn = fn.substr(0, plus);
    while (fn.ends_with(']')) {
        const auto open = fn.rfind(" [clone ");
        if (open == std::string_view::npos) break;
        fn = trim(fn.substr(0, open));
    }
    for (bool changed = true; changed;) {
        changed = false;
        for (const std::string_view q : {" const", " volatile", " &&", " &", "&&", "&"}) {
            if (fn.ends_with(q)) {
                fn = trim(fn.substr(0, fn.size() - q.size()));
                changed = true;
            }
        }
    }
    // Strips one balanced (open..close) group at the end.
    const auto strip_group = [&](char open, char close) {
        if (!fn.ends_with(close)) return false;
        int depth = 0;
        for (std::size_t i = fn.size(); i-- > 0;) {
            if (fn[i] == close) ++depth;
            if (fn[i] == open && --depth == 0) {
                // "operator()" is a name, not a parameter list.
                if (i == 0 || fn.substr(0, i).ends_with("operator")) return false;
                fn = fn.substr(0, i);
                return true;
            }
        }
        return false;
    };
    strip_group('(', ')');
    if (!fn.ends_with("operator>") && !fn.ends_with("operator>>") && !fn.ends_with("operator->") &&
        !fn.ends_with("operator>=")) {
        strip_group('<', '>');
    }
    // The last "::" outside brackets starts the unqualified name.
    int depth = 0;
    std::size_t start = 0;
    for (std::size_t i = 0; i + 1 < fn.size(); ++i) {
        const char c = fn[i];
        if (c == '(' || c == '<' || c == '{' || c == '[') ++depth;
        if (c == ')' || c == '>' || c == '}' || c == ']') --depth;
        if (depth == 0 && c == ':' && fn[i + 1] == ':') start = i + 2;
    }
    auto name = fn.substr(start);
    // A return type ("void std::__invoke_impl<...>") precedes the name; "operator new" keeps its space.
    if (const auto op = name.find("operator"); op != std::string_view::npos) {
        name = name.substr(op);
    } else if (const auto sp = name.rfind(' '); sp != std::string_view::npos) {
        name = name.substr(sp + 1);
    }
    return std::string(trim(name));
}

}  // namespace threadmill
