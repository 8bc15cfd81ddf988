// Sanitizer fixture (TSan): two mutexes taken in opposite orders on two threads (run one after the other).
#include <mutex>
#include <thread>

std::mutex g_accounts;
std::mutex g_audit;

__attribute__((noinline)) void lock_accounts_then_audit() {
    std::lock_guard<std::mutex> first(g_accounts);
    std::lock_guard<std::mutex> second(g_audit);
}

__attribute__((noinline)) void lock_audit_then_accounts() {
    std::lock_guard<std::mutex> first(g_audit);
    std::lock_guard<std::mutex> second(g_accounts);
}

int main() {
    std::thread forward(lock_accounts_then_audit);
    forward.join();
    std::thread backward(lock_audit_then_accounts);
    backward.join();
}
