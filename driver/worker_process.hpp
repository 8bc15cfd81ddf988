// One worker process: started in its own process group with its output in a log file,
// waited for with a time limit, killed with its whole group; what it left behind, read back.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "model/units.hpp"

namespace threadmill {

/// Starts `argv` in its own process group with stdout+stderr to `log` and the given extra
/// environment, pinned to `cpus` when not empty (sched_setaffinity; its threads inherit it).
/// The worker is killed when the thread that started it ends (PR_SET_PDEATHSIG): the driver's
/// threads outlive their workers. Everything the child needs is made before fork, so a driver
/// with several threads can spawn safely. Throws std::runtime_error when the log cannot be
/// created or fork fails.
pid_t spawn_worker(const std::vector<std::string>& argv, const std::filesystem::path& log,
                   const std::vector<std::pair<std::string, std::string>>& env, const std::vector<int>& cpus = {});

enum class Ending { exited, timed_out, stopped };

struct WaitResult {
    Ending ending = Ending::exited;
    int status = 0;  ///< as from waitpid
    double seconds = 0;
};

/// Waits for `pid`, polling every 2 ms. At `timeout` it calls `before_kill` (to look at the hung
/// worker), then kills the worker's process group; when `stop` becomes true it kills it at once.
/// `on_poll`, when given, runs at every poll while the worker lives (to watch its files).
WaitResult wait_worker(pid_t pid, Nanos timeout, const std::atomic<bool>& stop, const std::function<void()>& before_kill,
                       const std::function<void()>& on_poll = {});

/// gdb's backtraces of every thread of `pid` (also written to `out`), or a line saying why
/// there are none.
std::string gdb_backtraces(pid_t pid, const std::filesystem::path& out);

/// The last `max_bytes` of a file, from a line start ("..." first when cut); "" when unreadable.
std::string read_tail(const std::filesystem::path& path, std::size_t max_bytes);

/// Everything the sanitizer runtimes wrote in a job folder: their log files, then the
/// worker's own output.
std::string sanitizer_text(const std::filesystem::path& dir);

/// "SIGSEGV (Segmentation fault)".
std::string signal_name(int sig);

}  // namespace threadmill
