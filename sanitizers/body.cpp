// Sanitizer parser: the body of a report (stacks, accesses, threads, mutexes).
#include "sanitizers/body.hpp"

#include <algorithm>

#include "model/text.hpp"
#include "sanitizers/frames.hpp"
#include "sanitizers/lines.hpp"

namespace threadmill::sanitizers_detail {
namespace {

// "Read of size 4 at 0x... by thread T2 (mutexes: write M0):" (TSan) or
// "READ of size 4 at 0x... thread T1 (worker)" (ASan).
std::optional<Access> parse_access_line(std::string_view line) {
    auto s = trim(line);
    const auto of_size = s.find(" of size ");
    if (of_size == std::string_view::npos) return std::nullopt;
    Access a;
    std::string head = to_lower(s.substr(0, of_size));
    if (head.starts_with("previous ")) head.erase(0, 9);
    if (head.starts_with("atomic ")) {
        a.atomic = true;
        head.erase(0, 7);
    }
    if (head != "read" && head != "write") return std::nullopt;
    a.kind = head;
    auto rest = s.substr(of_size + 9);
    const auto num_end = rest.find(' ');
    if (!all_digits(rest.substr(0, num_end))) return std::nullopt;
    a.size = to_int(rest.substr(0, num_end));
    if (const auto by = rest.find(" by "); by != std::string_view::npos) {  // TSan
        auto who = rest.substr(by + 4);
        if (who.starts_with("main thread")) {
            a.thread = "main thread";
        } else if (who.starts_with("thread ")) {
            who = who.substr(7);
            a.thread = std::string(who.substr(0, who.find_first_of(" :")));
        }
        if (const auto m = rest.find("(mutexes: "); m != std::string_view::npos) {
            auto list = rest.substr(m + 10);
            list = list.substr(0, list.find(')'));
            for (std::size_t pos = 0; pos < list.size();) {
                const auto comma = std::min(list.find(',', pos), list.size());
                auto item = trim(list.substr(pos, comma - pos));
                if (const auto sp = item.rfind(' '); sp != std::string_view::npos) item = item.substr(sp + 1);
                if (!item.empty()) a.mutexes.emplace_back(item);
                pos = comma + 1;
            }
        }
    } else if (const auto th = rest.find(" thread "); th != std::string_view::npos) {  // ASan
        auto who = trim(rest.substr(th + 8));
        a.thread = std::string(who.substr(0, who.find(' ')));
        if (const auto open = who.find(" ("); open != std::string_view::npos && who.ends_with(')'))
            a.thread_name = std::string(who.substr(open + 2, who.size() - open - 3));
    }
    return a;
}

bool is_asan_location(std::string_view t) {
    return (t.starts_with("0x") || t.starts_with("Address 0x")) && contains(t, " is located ");
}

}  // namespace

void BodyParser::feed(std::string_view line) {
    if (auto frame = parse_frame(line)) {
        if (!m_in_stack) {
            m_in_stack = true;
            m_frames.clear();
        }
        m_frames.push_back(std::move(*frame));
        return;
    }
    if (m_in_stack) finish_stack();
    const auto t = trim(line);
    if (t.empty()) {
        flush_access();
        m_title = TitleKind::none;
        return;
    }
    if (t.starts_with("SUMMARY: ")) {
        flush_access();
        m_f.summary = std::string(t.substr(9));
        m_title = TitleKind::none;
        return;
    }
    if (pid_prefix_size(t) > 0) {
        // The runtime's notes ("==1==The signal is caused by a WRITE memory access.") keep the title.
        const auto note = strip_pid(t);
        if (note.starts_with("The signal is caused by a ")) {
            const auto what = to_lower(note.substr(26, note.find(' ', 26) - 26));
            if (what == "read" || what == "write") signal_access = what;
        }
        return;
    }
    if (auto access = parse_access_line(t)) {
        flush_access();
        access->stack.title = std::string(t);
        m_access = std::move(*access);
        m_title = TitleKind::access;
        return;
    }
    flush_access();
    if (m_f.location.empty() && (t.starts_with("Location is ") || is_asan_location(t)))
        m_f.location = std::string(t);
    if (t.starts_with("Cycle in lock order graph:")) collect_mutexes(t, m_f.mutexes);
    m_title = TitleKind::text;
    m_title_text = std::string(t);
}

void BodyParser::finish() {
    if (m_in_stack) finish_stack();
    flush_access();
}

void BodyParser::finish_stack() {
    m_in_stack = false;
    switch (m_title) {
        case TitleKind::access:
            m_access->stack.frames = std::move(m_frames);
            m_f.accesses.push_back(std::move(*m_access));
            m_access.reset();
            break;
        case TitleKind::headline: main_stack = StackBlock{m_f.headline, std::move(m_frames)}; break;
        case TitleKind::text: m_f.blocks.push_back({m_title_text, std::move(m_frames)}); break;
        case TitleKind::none: m_f.blocks.push_back({"", std::move(m_frames)}); break;
    }
    m_frames.clear();
    m_title = TitleKind::none;
}

// An access line with no stack under it ("[failed to restore the stack]") is still an access.
void BodyParser::flush_access() {
    if (m_access) {
        m_f.accesses.push_back(std::move(*m_access));
        m_access.reset();
    }
}

std::optional<std::pair<std::string, std::string>> thread_title(std::string_view title) {
    if (!title.starts_with("Thread T")) return std::nullopt;
    auto rest = title.substr(7);
    std::size_t i = 1;
    while (i < rest.size() && is_digit(rest[i])) ++i;
    std::pair<std::string, std::string> out{std::string(rest.substr(0, i)), {}};
    rest = rest.substr(i);
    if (rest.starts_with(" '")) {
        const auto close = rest.find("' ", 2);
        if (close != std::string_view::npos) out.second = std::string(rest.substr(2, close - 2));
    } else if (rest.starts_with(" (") && !rest.starts_with(" (tid=")) {
        const auto close = rest.find(") created");
        if (close != std::string_view::npos) out.second = std::string(rest.substr(2, close - 2));
    }
    return out;
}

bool is_creation_block(const StackBlock& b) {
    return (b.title.starts_with("Thread T") || b.title.starts_with("Mutex M")) && contains(b.title, " created ");
}

void add_unique(std::vector<std::string>& v, std::string s) {
    if (!s.empty() && std::find(v.begin(), v.end(), s) == v.end()) v.push_back(std::move(s));
}

void collect_mutexes(std::string_view s, std::vector<std::string>& out) {
    for (std::size_t i = 0; i + 1 < s.size(); ++i) {
        if (s[i] != 'M' || !is_digit(s[i + 1]) || (i > 0 && is_alnum(s[i - 1]))) continue;
        std::size_t j = i + 1;
        while (j < s.size() && is_digit(s[j])) ++j;
        if (j < s.size() && is_alnum(s[j])) continue;
        add_unique(out, std::string(s.substr(i, j - i)));
    }
}

void collect_threads(std::string_view s, std::vector<std::string>& out) {
    if (const auto created = s.find(" created by "); created != std::string_view::npos) s = s.substr(0, created);
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s.substr(i).starts_with("main thread")) {
            add_unique(out, "main thread");
            continue;
        }
        if (s[i] != 'T' || i + 1 >= s.size() || !is_digit(s[i + 1])) continue;
        const auto before = s.substr(0, i);
        if (!before.ends_with("thread ") && !before.ends_with("Thread ")) continue;
        std::size_t j = i + 1;
        while (j < s.size() && is_digit(s[j])) ++j;
        add_unique(out, std::string(s.substr(i, j - i)));
    }
}

std::string headline_thread(std::string_view rest) {
    if (const auto in = rest.find(" in thread "); in != std::string_view::npos) {
        auto who = rest.substr(in + 11);
        return std::string(who.substr(0, who.find_first_of(" :")));
    }
    if (rest.ends_with(')')) {
        const auto sp = rest.rfind(' ');
        const auto tok = rest.substr(sp + 1, rest.size() - sp - 2);
        if (tok.size() > 1 && tok[0] == 'T' && all_digits(tok.substr(1))) return std::string(tok);
    }
    return {};
}

std::vector<const StackBlock*> stacks_by_relevance(const Finding& f) {
    std::vector<const StackBlock*> out;
    for (const auto& a : f.accesses) out.push_back(&a.stack);
    for (const auto& b : f.blocks) {
        if (!is_creation_block(b)) out.push_back(&b);
    }
    for (const auto& b : f.blocks) {
        if (is_creation_block(b)) out.push_back(&b);
    }
    return out;
}

}  // namespace threadmill::sanitizers_detail
