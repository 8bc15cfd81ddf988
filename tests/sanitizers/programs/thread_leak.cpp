// Sanitizer fixture (TSan): a joinable thread that finishes and is never joined.
#include <pthread.h>
#include <unistd.h>

void* idle_worker(void*) { return nullptr; }

__attribute__((noinline)) void start_worker() {
    pthread_t worker;
    pthread_create(&worker, nullptr, idle_worker, nullptr);
}

int main() {
    start_worker();
    usleep(100 * 1000);  // let the worker finish, so it is a finished-but-unjoined thread at exit
    return 0;
}
