// One worker process: spawn, wait with a time limit, kill, and read what it left behind.
#include "driver/worker_process.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

namespace threadmill {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string read_tail(const fs::path& path, std::size_t max_bytes) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return {};
    in.seekg(0, std::ios::end);
    const auto size = static_cast<std::size_t>(in.tellg());
    const std::size_t start = size > max_bytes ? size - max_bytes : 0;
    in.seekg(static_cast<std::streamoff>(start));
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (start > 0) {
        const auto nl = text.find('\n');
        text = "...\n" + (nl == std::string::npos ? text : text.substr(nl + 1));
    }
    return text;
}

std::string signal_name(int sig) {
    const char* abbrev = sigabbrev_np(sig);
    const char* desc = strsignal(sig);
    return fmt::format("SIG{} ({})", abbrev ? abbrev : "?", desc ? desc : "?");
}

pid_t spawn_worker(const std::vector<std::string>& argv, const fs::path& log,
                   const std::vector<std::pair<std::string, std::string>>& env, const std::vector<int>& cpus) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    // The environment: the driver's, with `env` replacing or adding its names.
    std::vector<std::string> words;
    for (char** e = environ; *e != nullptr; ++e) {
        const std::string_view kv(*e);
        const auto name = kv.substr(0, kv.find('='));
        if (std::none_of(env.begin(), env.end(), [&](const auto& p) { return p.first == name; })) words.emplace_back(kv);
    }
    for (const auto& [name, value] : env) words.push_back(name + "=" + value);
    std::vector<char*> envp;
    for (auto& w : words) envp.push_back(w.data());
    envp.push_back(nullptr);
    cpu_set_t set;
    CPU_ZERO(&set);
    for (const int c : cpus) CPU_SET(c, &set);
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw std::runtime_error(fmt::format("cannot create {}: {}", log.string(), std::strerror(errno)));
    const int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    const pid_t driver = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) {
        ::close(fd);
        if (devnull >= 0) ::close(devnull);
        throw std::runtime_error(fmt::format("fork failed: {}", std::strerror(errno)));
    }
    if (pid == 0) {
        // Only async-signal-safe calls from here on: another thread of the driver may have held
        // a lock at the fork.
        // Die with the driver: a driver killed by SIGKILL leaves no worker running. If the driver
        // died before this took effect, the worker has been reparented already: give up.
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != driver) ::_exit(127);
        ::setpgid(0, 0);
        ::dup2(fd, STDOUT_FILENO);
        ::dup2(fd, STDERR_FILENO);
        if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
        ::signal(SIGINT, SIG_DFL);
        ::signal(SIGTERM, SIG_DFL);
        if (!cpus.empty() && ::sched_setaffinity(0, sizeof set, &set) != 0) {
            static const char msg[] = "threadmill: cannot pin the worker to its CPUs (sched_setaffinity failed)\n";
            [[maybe_unused]] auto n = ::write(STDERR_FILENO, msg, sizeof msg - 1);
            ::_exit(127);
        }
        ::execve(args[0], args.data(), envp.data());
        // strerrorname_np reads a constant table ("ENOENT"): no allocation, no locale.
        const char* why = strerrorname_np(errno);
        for (const char* part : {"threadmill: cannot execute ", static_cast<const char*>(args[0]), ": ", why ? why : "?", "\n"})
            [[maybe_unused]] auto n = ::write(STDERR_FILENO, part, std::strlen(part));
        ::_exit(127);
    }
    ::setpgid(pid, pid);  // also from the parent, so a kill never misses the group
    ::close(fd);
    if (devnull >= 0) ::close(devnull);
    return pid;
}

// log_path=<dir>/sanitizer gives sanitizer.<pid>; a runtime without a log writes to the worker's output.
std::string sanitizer_text(const fs::path& dir) {
    std::vector<fs::path> logs;
    for (const auto& e : fs::directory_iterator(dir)) {
        if (e.path().filename().string().starts_with("sanitizer.")) logs.push_back(e.path());
    }
    std::sort(logs.begin(), logs.end());
    std::string text;
    // One file may end mid-line (a worker killed mid-report): never glue the next one onto it.
    for (const auto& p : logs) text += read_tail(p, std::size_t{64} << 20) + "\n";
    text += read_tail(dir / "worker.log", std::size_t{64} << 20);
    return text;
}

std::string gdb_backtraces(pid_t pid, const fs::path& out) {
    if (::access("/usr/bin/gdb", X_OK) != 0) return "(no backtraces: gdb is not installed)";
    const std::string cmd = fmt::format(
        "timeout 30 /usr/bin/gdb -p {} -batch -nx -q -ex 'set pagination off' -ex 'thread apply all bt' >'{}' 2>&1",
        pid, out.string());
    const int status = std::system(cmd.c_str());
    std::string text = read_tail(out, 64 * 1024);
    if (status != 0 && text.find("Thread ") == std::string::npos) return "(gdb could not attach: " + text + ")";
    return text;
}

WaitResult wait_worker(pid_t pid, Nanos timeout, const std::atomic<bool>& stop,
                       const std::function<void()>& before_kill, const std::function<void()>& on_poll) {
    const auto start = Clock::now();
    const auto deadline = start + timeout;
    WaitResult r;
    for (;;) {
        int status = 0;
        const pid_t done = ::waitpid(pid, &status, WNOHANG);
        if (done == pid) {
            r.status = status;
            break;
        }
        if (done < 0 && errno != EINTR) throw std::runtime_error(fmt::format("waitpid failed: {}", std::strerror(errno)));
        const bool timed_out = Clock::now() >= deadline;
        if (timed_out || stop.load()) {
            r.ending = timed_out ? Ending::timed_out : Ending::stopped;
            if (timed_out) before_kill();
            ::kill(-pid, SIGKILL);
            ::kill(pid, SIGKILL);
            while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
            }
            r.status = status;
            break;
        }
        if (on_poll) on_poll();
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    return r;
}

}  // namespace threadmill
