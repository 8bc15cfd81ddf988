// Sanitizer fixture (TSan): malloc called inside a signal handler.
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

void* volatile g_sink = nullptr;

__attribute__((noinline)) void on_signal(int) {
    g_sink = malloc(32);
    free(g_sink);
}

int main() {
    signal(SIGUSR1, on_signal);
    pthread_kill(pthread_self(), SIGUSR1);
    return 0;
}
