// Sanitizer fixture (TSan): two races, one matched by a suppression file (race:bump_suppressed), one reported.
#include <chrono>
#include <thread>

int g_hidden = 0;
int g_shown = 0;

__attribute__((noinline)) void bump_suppressed() { g_hidden = g_hidden + 1; }
__attribute__((noinline)) void bump_reported() { g_shown = g_shown + 1; }

// Two unsynchronized threads run `bump`; the pause only fixes which access TSan sees first.
void race_on(void (*bump)()) {
    std::thread first(bump);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::thread second(bump);
    second.join();
    first.join();
}

int main() {
    race_on(bump_suppressed);
    race_on(bump_reported);
}
