// JSON Lines histories: a strict line-by-line parser and the matching writer.
#include "check/history_jsonl.hpp"

#include <array>
#include <iterator>
#include <limits>
#include <utility>

#include <fmt/format.h>

namespace threadmill {
namespace {

using nlohmann::json;

constexpr std::array<std::string_view, 8> k_fields = {"process", "op",   "key",    "input",
                                                      "output",  "call", "return", "status"};

/// A thrown message without a location; the line loop adds it.
struct LineError {
    std::string message;
};

[[noreturn]] void fail(std::string message) { throw LineError{std::move(message)}; }

std::string_view trim_blanks(std::string_view s) {
    const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    while (!s.empty() && blank(s.front())) s.remove_prefix(1);
    while (!s.empty() && blank(s.back())) s.remove_suffix(1);
    return s;
}

/// nlohmann's parse error without its "[json.exception...]" tag and its line (always 1 here).
std::string json_error_text(const json::parse_error& e) {
    std::string_view text = e.what();
    if (const auto tag = text.find("] "); tag != std::string_view::npos) text.remove_prefix(tag + 2);
    constexpr std::string_view k_line_one = "parse error at line 1, ";
    if (text.substr(0, k_line_one.size()) == k_line_one) text.remove_prefix(k_line_one.size());
    return std::string(text);
}

const json* field(const json& line, std::string_view name) {
    const auto it = line.find(name);
    return it == line.end() ? nullptr : &*it;
}

const json& required(const json& line, std::string_view name, std::string_view why = {}) {
    const json* value = field(line, name);
    if (value == nullptr) fail(fmt::format("missing field '{}'{}", name, why));
    return *value;
}

std::int64_t integer(const json& value, std::string_view name) {
    if (value.is_number_unsigned()) {
        const auto v = value.get<std::uint64_t>();
        if (v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
            fail(fmt::format("field '{}' is out of range: {} (a signed 64-bit integer)", name, v));
        }
        return static_cast<std::int64_t>(v);
    }
    if (value.is_number_integer()) return value.get<std::int64_t>();
    fail(fmt::format("field '{}' must be an integer, got {} {}", name, value.type_name(), value.dump()));
}

std::string string_field(const json& value, std::string_view name) {
    if (!value.is_string()) {
        fail(fmt::format("field '{}' must be a string, got {} {}", name, value.type_name(), value.dump()));
    }
    return value.get<std::string>();
}

Operation parse_line(std::string_view text, int line_number) {
    json line;
    try {
        line = json::parse(text);
    } catch (const json::parse_error& e) {
        fail(fmt::format("not valid JSON: {}", json_error_text(e)));
    }
    if (!line.is_object()) fail(fmt::format("expected a JSON object, got {}", line.type_name()));
    for (const auto& [name, value] : line.items()) {
        bool known = false;
        for (const std::string_view f : k_fields) known = known || name == f;
        if (!known) {
            fail(fmt::format("unknown field '{}' (the fields are process, op, key, input, output, call, return, "
                             "status)",
                             name));
        }
    }

    Operation op;
    op.source_line = line_number;
    const std::string status_name = string_field(required(line, "status"), "status");
    const auto status = parse_op_status(status_name);
    if (!status) fail(fmt::format("unknown status '{}' (expected \"ok\" or \"info\")", status_name));
    op.status = *status;

    const std::int64_t process = integer(required(line, "process"), "process");
    if (process < std::numeric_limits<int>::min() || process > std::numeric_limits<int>::max()) {
        fail(fmt::format("field 'process' is out of range: {}", process));
    }
    op.process = static_cast<int>(process);
    op.op = string_field(required(line, "op"), "op");
    if (op.op.empty()) fail("field 'op' must not be empty");
    if (const json* key = field(line, "key"); key != nullptr && !key->is_null()) op.key = string_field(*key, "key");
    op.input = required(line, "input", " (use null for an op without input)");
    op.call = integer(required(line, "call"), "call");

    const bool ok = op.status == OpStatus::ok;
    const json* ret = field(line, "return");
    if (ok && (ret == nullptr || ret->is_null())) fail("missing field 'return' (required when status is \"ok\")");
    if (ret != nullptr && !ret->is_null()) {
        const std::int64_t r = integer(*ret, "return");
        if (r < op.call) fail(fmt::format("'return' ({}) is before 'call' ({})", r, op.call));
        op.ret = r;
    }
    if (ok) {
        op.output = required(line, "output", " (required when status is \"ok\"; use null for no output)");
    } else {
        op.ret = k_never_returned;  // open to the end; a recorded return and output are ignored
    }
    return op;
}

}  // namespace

HistoryParseError::HistoryParseError(std::string source, int line, std::string message)
    : std::runtime_error(source.empty() ? fmt::format("line {}: {}", line, message)
                                        : fmt::format("{}:{}: error: {}", source, line, message)),
      m_source(std::move(source)),
      m_line(line),
      m_message(std::move(message)) {}

History parse_history_jsonl(std::string_view text, std::string_view source) {
    History history;
    int line_number = 0;
    while (!text.empty()) {
        ++line_number;
        const std::size_t end = text.find('\n');
        const std::string_view line = text.substr(0, end);
        text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
        const std::string_view content = trim_blanks(line);
        if (content.empty()) continue;
        try {
            history.push_back(parse_line(content, line_number));
        } catch (const LineError& e) {
            throw HistoryParseError(std::string(source), line_number, e.message);
        }
    }
    return history;
}

History read_history_jsonl(std::istream& in, std::string_view source) {
    const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    return parse_history_jsonl(text, source);
}

std::string to_jsonl(const Operation& op) {
    std::string out = fmt::format(R"({{"process": {}, "op": {})", op.process, json(op.op).dump());
    if (op.key) out += fmt::format(R"(, "key": {})", json(*op.key).dump());
    out += fmt::format(R"(, "input": {})", op.input.dump());
    if (!op.is_info()) out += fmt::format(R"(, "output": {})", op.output.dump());
    out += fmt::format(R"(, "call": {})", op.call);
    if (!op.is_info()) out += fmt::format(R"(, "return": {})", op.ret);
    out += fmt::format(R"(, "status": "{}"}})", to_string(op.status));
    return out;
}

std::string to_jsonl(const History& history) {
    std::string out;
    for (const Operation& op : history) {
        out += to_jsonl(op);
        out += '\n';
    }
    return out;
}

}  // namespace threadmill
