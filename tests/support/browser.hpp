// Headless Chromium driven over the DevTools protocol on a pipe, for checking HTML reports:
// every uncaught exception, console.error/assert call and browser-side error (a load blocked by
// the Content-Security-Policy, a failed load) is an error of the page. Used by the HTML report's
// tests and by tests/tools/html_check.cpp (ci/check-reports.sh). No package beyond chromium.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace threadmill::testing {

namespace fs = std::filesystem;
using nlohmann::json;

inline std::string chromium_binary() {
    if (const char* env = std::getenv("THREADMILL_CHROMIUM"); env && *env) return env;
    return "/usr/bin/chromium";
}


inline std::vector<unsigned char> base64_decode(const std::string& text) {
    std::vector<unsigned char> out;
    unsigned value = 0;
    int bits = 0;
    for (const char c : text) {
        int d;
        if (c >= 'A' && c <= 'Z') d = c - 'A';
        else if (c >= 'a' && c <= 'z') d = c - 'a' + 26;
        else if (c >= '0' && c <= '9') d = c - '0' + 52;
        else if (c == '+') d = 62;
        else if (c == '/') d = 63;
        else continue;  // '=' padding
        value = (value << 6) | static_cast<unsigned>(d);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<unsigned char>((value >> bits) & 0xff));
        }
    }
    return out;
}

class Browser {
public:
    using Clock = std::chrono::steady_clock;

    /// Starts Chromium, opens a page (a 1280 px wide window) and attaches to it. Throws when
    /// Chromium is missing or does not answer within the deadline.
    /// `dir` holds the browser's profile (removed again) and `<name>.chromium.log`.
    Browser(const fs::path& dir, const std::string& name, std::chrono::seconds budget = std::chrono::seconds(20))
        : m_deadline(Clock::now() + budget) {
        const std::string binary = chromium_binary();
        if (::access(binary.c_str(), X_OK) != 0)
            throw std::runtime_error(fmt::format("{} not found: the browser test needs Chromium (Debian package "
                                                 "`chromium`, installed by ci/setup.sh); set THREADMILL_CHROMIUM to use another",
                                                 binary));
        fs::create_directories(dir);
        m_profile = dir / fmt::format("profile-{}", ::getpid());
        m_log = dir / (name + ".chromium.log");
        const std::vector<std::string> args = {binary, "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
                                               "--user-data-dir=" + m_profile.string(), "--no-first-run",
                                               "--no-default-browser-check", "--disable-extensions", "--hide-scrollbars",
                                               "--mute-audio", "--disable-background-networking", "--window-size=1280,900",
                                               "about:blank"};
        std::vector<char*> argv;
        for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);

        int sv[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) throw std::runtime_error("socketpair failed");
        const int log = ::open(m_log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        m_pid = ::fork();
        if (m_pid == 0) {
            ::setpgid(0, 0);
            const int end = ::fcntl(sv[1], F_DUPFD, 10);  // above 3 and 4, then onto both
            ::dup2(end, 3);
            ::dup2(end, 4);
            ::close(end);
            const int null = ::open("/dev/null", O_RDONLY);
            ::dup2(null, 0);
            if (log >= 0) {
                ::dup2(log, 1);
                ::dup2(log, 2);
            }
            ::execv(binary.c_str(), argv.data());
            ::_exit(127);
        }
        ::close(sv[1]);
        if (log >= 0) ::close(log);
        m_socket = sv[0];
        if (m_pid < 0) throw std::runtime_error("fork failed");
        ::setpgid(m_pid, m_pid);  // also from here, so that the group exists before any kill

        const json target = call("Target.createTarget", {{"url", "about:blank"}});
        m_session = call("Target.attachToTarget", {{"targetId", target.at("targetId")}, {"flatten", true}}).at("sessionId");
        call("Runtime.enable", json::object(), m_session);
        call("Log.enable", json::object(), m_session);
        call("Page.enable", json::object(), m_session);
        call("Emulation.setDeviceMetricsOverride",
             {{"width", 1280}, {"height", 900}, {"deviceScaleFactor", 1}, {"mobile", false}}, m_session);
    }

    ~Browser() {
        if (m_socket >= 0) {
            try {
                send("Browser.close", json::object(), "");
            } catch (...) {
            }
        }
        if (m_pid > 0) {
            // A second to close by itself, then the whole process group (it is ours alone).
            const auto until = Clock::now() + std::chrono::seconds(1);
            int status = 0;
            while (::waitpid(m_pid, &status, WNOHANG) == 0) {
                if (Clock::now() > until) {
                    ::kill(-m_pid, SIGKILL);
                    ::waitpid(m_pid, &status, 0);
                    break;
                }
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
            }
        }
        if (m_socket >= 0) ::close(m_socket);
        std::error_code ec;
        fs::remove_all(m_profile, ec);
    }

    Browser(const Browser&) = delete;
    Browser& operator=(const Browser&) = delete;

    /// Loads `url`, waits for its load event and lets timers started on load run for a moment.
    void open(const std::string& url) {
        call("Page.navigate", {{"url", url}}, m_session);
        wait_for("Page.loadEventFired");
        settle();
    }

    void settle() { eval("new Promise(function (r) { setTimeout(r, 300); })"); }

    /// The value of a JavaScript expression (promises awaited). Throws when it throws.
    json eval(const std::string& expression) {
        const json r = call("Runtime.evaluate", {{"expression", expression}, {"returnByValue", true}, {"awaitPromise", true}},
                            m_session);
        if (r.contains("exceptionDetails")) throw std::runtime_error("evaluate threw: " + r["exceptionDetails"].dump());
        return r.at("result").value("value", json());
    }

    /// A PNG of the page region (x, y, w, h), beyond the window if need be.
    void screenshot(const fs::path& png, double x, double y, double w, double h) {
        const json r = call("Page.captureScreenshot",
                            {{"format", "png"},
                             {"captureBeyondViewport", true},
                             {"clip", {{"x", x}, {"y", y}, {"width", w}, {"height", h}, {"scale", 1}}}},
                            m_session);
        const auto bytes = base64_decode(r.at("data").get<std::string>());
        std::ofstream(png, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                                   static_cast<std::streamsize>(bytes.size()));
    }

    /// Errors the page caused since the last call.
    std::vector<std::string> take_errors() { return std::exchange(m_errors, {}); }
    const fs::path& log_path() const { return m_log; }

private:
    int send(const std::string& method, const json& params, const std::string& session) {
        json message = {{"id", m_next_id}, {"method", method}, {"params", params}};
        if (!session.empty()) message["sessionId"] = session;
        std::string text = message.dump();
        text.push_back('\0');
        for (std::size_t done = 0; done < text.size();) {
            const ssize_t n = ::send(m_socket, text.data() + done, text.size() - done, MSG_NOSIGNAL);
            if (n <= 0) throw std::runtime_error(fmt::format("chromium closed the pipe (see {})", m_log.string()));
            done += static_cast<std::size_t>(n);
        }
        return m_next_id++;
    }

    json call(const std::string& method, const json& params, const std::string& session = "") {
        const int id = send(method, params, session);
        for (;;) {
            json m = next_message(method);
            if (!m.contains("id")) {
                observe(m);
                continue;
            }
            if (m["id"] != id) continue;
            if (m.contains("error")) throw std::runtime_error(fmt::format("{} failed: {}", method, m["error"].dump()));
            return m.value("result", json::object());
        }
    }

    void wait_for(const std::string& event) {
        for (;;) {
            json m = next_message(event);
            if (!m.contains("id")) {
                observe(m);
                if (m.value("method", "") == event) return;
            }
        }
    }

    /// The next message, or an exception when the deadline passes or the browser goes away.
    json next_message(const std::string& waiting_for) {
        for (;;) {
            if (const auto nul = m_buffer.find('\0'); nul != std::string::npos) {
                json m = json::parse(m_buffer.substr(0, nul));
                m_buffer.erase(0, nul + 1);
                return m;
            }
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(m_deadline - Clock::now()).count();
            if (left <= 0)
                throw std::runtime_error(fmt::format("chromium: no answer to {} within the time limit (log: {})", waiting_for,
                                                     m_log.string()));
            pollfd p{m_socket, POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
            char chunk[65536];
            const ssize_t n = ::recv(m_socket, chunk, sizeof chunk, 0);
            if (n <= 0)
                throw std::runtime_error(fmt::format("chromium exited while waiting for {} (log: {})", waiting_for,
                                                     m_log.string()));
            m_buffer.append(chunk, static_cast<std::size_t>(n));
        }
    }

    /// Records what counts as an error of the page.
    void observe(const json& m) {
        const std::string method = m.value("method", "");
        const json params = m.value("params", json::object());
        if (method == "Runtime.exceptionThrown") {
            const json& d = params.at("exceptionDetails");
            const std::string what = d.contains("exception") ? d["exception"].value("description", d.value("text", ""))
                                                             : d.value("text", "");
            m_errors.push_back(fmt::format("uncaught exception: {} ({}:{})", what, d.value("url", ""), d.value("lineNumber", 0) + 1));
        } else if (method == "Runtime.consoleAPICalled") {
            const std::string type = params.value("type", "");
            if (type != "error" && type != "assert") return;
            std::string text;
            for (const auto& a : params.value("args", json::array())) {
                text += text.empty() ? "" : " ";
                text += a.contains("value") ? (a["value"].is_string() ? a["value"].get<std::string>() : a["value"].dump())
                                            : a.value("description", a.value("type", ""));
            }
            m_errors.push_back(fmt::format("console.{}: {}", type, text));
        } else if (method == "Log.entryAdded") {
            const json& e = params.at("entry");
            if (e.value("level", "") == "error")
                m_errors.push_back(fmt::format("browser {} error: {} {}", e.value("source", ""), e.value("text", ""), e.value("url", "")));
        }
    }

    Clock::time_point m_deadline;
    fs::path m_profile, m_log;
    pid_t m_pid = -1;
    int m_socket = -1;
    int m_next_id = 1;
    std::string m_buffer;
    std::string m_session;
    std::vector<std::string> m_errors;
};

inline std::string file_url(const fs::path& p) { return "file://" + fs::absolute(p).string(); }

}  // namespace threadmill::testing
