// Sanitizer parser internals: the body of a report (stacks, accesses, threads, mutexes).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/finding.hpp"

namespace threadmill::sanitizers_detail {

/// Walks a report's lines after its headline, filing each stack with the line above it: an access line's
/// stack into the finding's accesses, any other stack into its blocks, the headline's own into main_stack.
/// Also fills the finding's summary, location and the mutexes of a lock-order cycle.
class BodyParser {
public:
    explicit BodyParser(Finding& f) : m_f(f) {}

    /// The next line is the first after the headline: a stack right under it is main_stack.
    void start_after_headline() { m_title = TitleKind::headline; }
    void feed(std::string_view line);
    /// Files what is still open; call once, after the last line.
    void finish();

    /// The stack right under the headline: where a memory error or signal happened, the call a TSan
    /// report is about, or a UBSan error's stack. The caller files it as an access or a block.
    std::optional<StackBlock> main_stack;
    /// "read" or "write", from "The signal is caused by a WRITE memory access."
    std::string signal_access;

private:
    enum class TitleKind { none, headline, text, access };

    void finish_stack();
    void flush_access();

    Finding& m_f;
    bool m_in_stack = false;
    std::vector<Frame> m_frames;
    TitleKind m_title = TitleKind::none;
    std::string m_title_text;
    std::optional<Access> m_access;
};

/// The thread a block title names, with its name when it has one: {"T2", "reader"} from "Thread T2 'reader'
/// (tid=...) created by ..." (TSan) or "Thread T2 (reader) created by T0 here:" (ASan).
std::optional<std::pair<std::string, std::string>> thread_title(std::string_view title);

/// A "Thread T.. created ..." or "Mutex M.. created ..." block.
bool is_creation_block(const StackBlock& b);

/// Every stack of a finding, the ones that say where the bug is first (accesses, then the other stacks),
/// the thread and mutex creation stacks last.
std::vector<const StackBlock*> stacks_by_relevance(const Finding& f);

/// The thread of a headline: "T0" from "(pc 0x... bp 0x... sp 0x... T0)" or "in thread T0"; "" when none.
std::string headline_thread(std::string_view rest);

/// Adds the mutex names ("M12") of a line to `out`, each once.
void collect_mutexes(std::string_view s, std::vector<std::string>& out);

/// Adds the threads a title line is about ("by thread T1", "in thread T2", "Thread T3 ...", "main thread") to
/// `out`, each once; not the threads that created them.
void collect_threads(std::string_view s, std::vector<std::string>& out);

/// Appends `s` to `v` unless it is empty or already there.
void add_unique(std::vector<std::string>& v, std::string s);

}  // namespace threadmill::sanitizers_detail
