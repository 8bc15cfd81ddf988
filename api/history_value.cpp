// HistoryValue: JSON values written without a JSON library (what a target records) and read back
// (what a target's own sequential model reads), with the small scanner both need.
#include <cctype>
#include <charconv>
#include <cstddef>
#include <stdexcept>
#include <system_error>
#include <string>
#include <string_view>

#include "api/target.hpp"

namespace threadmill {
namespace {

constexpr std::size_t k_max_depth = 256;  ///< nesting a value may have (the scanner recurses)

std::string shown(std::string_view text) {
    constexpr std::size_t k_max = 60;
    return text.size() <= k_max ? std::string(text) : std::string(text.substr(0, k_max)) + "...";
}

/// Checks JSON text (RFC 8259) and finds where each value ends.
class Scanner {
public:
    explicit Scanner(std::string_view text) : m_text(text) {}

    /// Skips the value at the current position (after whitespace); returns where it started.
    std::size_t value(std::size_t depth = 0) {
        space();
        const std::size_t start = m_at;
        if (depth > k_max_depth) fail("nested too deeply");
        if (m_at >= m_text.size()) fail("a value is missing");
        switch (m_text[m_at]) {
            case '"': string(); break;
            case '[': sequence(']', depth); break;
            case '{': sequence('}', depth); break;
            case 't': word("true"); break;
            case 'f': word("false"); break;
            case 'n': word("null"); break;
            default: number(); break;
        }
        return start;
    }
    void space() {
        while (m_at < m_text.size() && (m_text[m_at] == ' ' || m_text[m_at] == '\t' || m_text[m_at] == '\n' || m_text[m_at] == '\r'))
            ++m_at;
    }
    bool at_end() const { return m_at >= m_text.size(); }
    bool take(char c) {
        space();
        if (m_at < m_text.size() && m_text[m_at] == c) {
            ++m_at;
            return true;
        }
        return false;
    }
    std::size_t position() const { return m_at; }
    [[noreturn]] void fail(std::string_view what) const {
        throw std::invalid_argument("not a JSON value (" + std::string(what) + " at offset " + std::to_string(m_at) +
                                    "): " + shown(m_text));
    }

private:
    void word(std::string_view w) {
        if (m_text.substr(m_at, w.size()) != w) fail("an unknown word");
        m_at += w.size();
    }
    void digits() {
        const std::size_t from = m_at;
        while (m_at < m_text.size() && m_text[m_at] >= '0' && m_text[m_at] <= '9') ++m_at;
        if (m_at == from) fail("a digit is missing");
    }
    void number() {
        if (m_text[m_at] == '-') ++m_at;
        if (m_at < m_text.size() && m_text[m_at] == '0') {
            ++m_at;
        } else {
            digits();
        }
        if (m_at < m_text.size() && m_text[m_at] == '.') {
            ++m_at;
            digits();
        }
        if (m_at < m_text.size() && (m_text[m_at] == 'e' || m_text[m_at] == 'E')) {
            ++m_at;
            if (m_at < m_text.size() && (m_text[m_at] == '+' || m_text[m_at] == '-')) ++m_at;
            digits();
        }
    }
    void string() {
        ++m_at;  // the opening quote
        while (m_at < m_text.size() && m_text[m_at] != '"') {
            const auto c = static_cast<unsigned char>(m_text[m_at]);
            if (c < 0x20) fail("a control character in a string");
            if (c == '\\') {
                ++m_at;
                if (m_at >= m_text.size()) break;
                const char e = m_text[m_at];
                if (e == 'u') {
                    for (int k = 0; k < 4; ++k) {
                        ++m_at;
                        if (m_at >= m_text.size() || !std::isxdigit(static_cast<unsigned char>(m_text[m_at])))
                            fail("a bad \\u escape");
                    }
                } else if (std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos) {
                    fail("a bad escape");
                }
            }
            ++m_at;
        }
        if (m_at >= m_text.size()) fail("a string is not closed");
        ++m_at;
    }
    void sequence(char close, std::size_t depth) {
        ++m_at;
        if (take(close)) return;
        for (;;) {
            if (close == '}') {
                space();
                if (m_at >= m_text.size() || m_text[m_at] != '"') fail("an object key is missing");
                string();
                if (!take(':')) fail("':' is missing");
            }
            value(depth + 1);
            if (take(close)) return;
            if (!take(',')) fail(close == ']' ? "',' or ']' is missing" : "',' or '}' is missing");
        }
    }

    std::string_view m_text;
    std::size_t m_at = 0;
};

unsigned hex_value(char c) {
    if (c >= '0' && c <= '9') return static_cast<unsigned>(c - '0');
    if (c >= 'a' && c <= 'f') return static_cast<unsigned>(c - 'a' + 10);
    return static_cast<unsigned>(c - 'A' + 10);
}

void append_utf8(std::string& out, unsigned code) {
    if (code < 0x80) {
        out += static_cast<char>(code);
    } else if (code < 0x800) {
        out += static_cast<char>(0xC0 | (code >> 6));
        out += static_cast<char>(0x80 | (code & 0x3F));
    } else if (code < 0x10000) {
        out += static_cast<char>(0xE0 | (code >> 12));
        out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (code & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (code >> 18));
        out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (code & 0x3F));
    }
}

[[noreturn]] void wrong_type(std::string_view expected, const std::string& json) {
    throw std::invalid_argument("expected " + std::string(expected) + ", got " + shown(json));
}

}  // namespace

HistoryValue::HistoryValue(std::string_view s) {
    m_json.reserve(s.size() + 2);
    m_json += '"';
    for (const char c : s) {
        const auto u = static_cast<unsigned char>(c);
        switch (c) {
            case '"': m_json += "\\\""; break;
            case '\\': m_json += "\\\\"; break;
            case '\b': m_json += "\\b"; break;
            case '\f': m_json += "\\f"; break;
            case '\n': m_json += "\\n"; break;
            case '\r': m_json += "\\r"; break;
            case '\t': m_json += "\\t"; break;
            default:
                if (u < 0x20) {
                    static constexpr char hex[] = "0123456789abcdef";
                    m_json += "\\u00";
                    m_json += hex[u >> 4];
                    m_json += hex[u & 15];
                } else {
                    m_json += c;  // UTF-8 passes through; the reader checks it
                }
        }
    }
    m_json += '"';
}

HistoryValue HistoryValue::joined(const HistoryValue* items, std::size_t count) {
    HistoryValue v;
    v.m_json = "[";
    for (std::size_t i = 0; i < count; ++i) {
        if (i > 0) v.m_json += ',';
        v.m_json += items[i].m_json;
    }
    v.m_json += ']';
    return v;
}

HistoryValue HistoryValue::array(std::initializer_list<HistoryValue> items) { return joined(items.begin(), items.size()); }

HistoryValue HistoryValue::array_of(const std::vector<HistoryValue>& items) { return joined(items.data(), items.size()); }

HistoryValue HistoryValue::parse(std::string_view text) {
    Scanner scan(text);
    const std::size_t start = scan.value();
    const std::size_t end = scan.position();
    scan.space();
    if (!scan.at_end()) scan.fail("text after the value");
    HistoryValue v;
    v.m_json.assign(text.substr(start, end - start));
    return v;
}

bool HistoryValue::is_int() const {
    std::size_t i = m_json.starts_with('-') ? 1 : 0;
    if (i >= m_json.size()) return false;
    for (std::size_t k = i; k < m_json.size(); ++k) {
        if (m_json[k] < '0' || m_json[k] > '9') return false;
    }
    std::int64_t v = 0;
    const auto [end, ec] = std::from_chars(m_json.data(), m_json.data() + m_json.size(), v);
    return ec == std::errc() && end == m_json.data() + m_json.size();
}

bool HistoryValue::as_bool() const {
    if (!is_bool()) wrong_type("a boolean", m_json);
    return m_json == "true";
}

std::int64_t HistoryValue::as_int() const {
    if (!is_int()) wrong_type("an integer", m_json);
    std::int64_t v = 0;
    std::from_chars(m_json.data(), m_json.data() + m_json.size(), v);
    return v;
}

std::string HistoryValue::as_string() const {
    if (!is_string()) wrong_type("a string", m_json);
    std::string out;
    const std::string_view t(m_json);
    // Valid text (a constructor's or parse()'s): only the escapes need decoding.
    for (std::size_t i = 1; i + 1 < t.size(); ++i) {
        if (t[i] != '\\') {
            out += t[i];
            continue;
        }
        const char e = t[++i];
        switch (e) {
            case 'b': out += '\b'; break;
            case 'f': out += '\f'; break;
            case 'n': out += '\n'; break;
            case 'r': out += '\r'; break;
            case 't': out += '\t'; break;
            case 'u': {
                unsigned code = 0;
                for (int k = 0; k < 4; ++k) code = code * 16 + hex_value(t[++i]);
                // A surrogate pair: \ud83d\ude00 is one code point.
                if (code >= 0xD800 && code < 0xDC00 && i + 6 < t.size() && t[i + 1] == '\\' && t[i + 2] == 'u') {
                    unsigned low = 0;
                    for (int k = 0; k < 4; ++k) low = low * 16 + hex_value(t[i + 3 + static_cast<std::size_t>(k)]);
                    if (low >= 0xDC00 && low < 0xE000) {
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
                        i += 6;
                    }
                }
                append_utf8(out, code);
                break;
            }
            default: out += e; break;  // " \ /
        }
    }
    return out;
}

std::vector<HistoryValue> HistoryValue::items() const {
    if (!is_array()) wrong_type("an array", m_json);
    std::vector<HistoryValue> out;
    Scanner scan(m_json);
    scan.take('[');
    if (scan.take(']')) return out;
    for (;;) {
        const std::size_t start = scan.value(1);
        HistoryValue item;
        item.m_json = m_json.substr(start, scan.position() - start);
        out.push_back(std::move(item));
        if (scan.take(']')) return out;
        if (!scan.take(',')) scan.fail("',' or ']' is missing");
    }
}

}  // namespace threadmill
