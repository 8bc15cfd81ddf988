// Sanitizer fixture (TSan): a race between an atomic store on one thread and a plain load on another.
#include <pthread.h>

#include <chrono>
#include <thread>

int g_ready = 0;
volatile int g_seen = 0;

__attribute__((noinline)) void publish_ready() { __atomic_store_n(&g_ready, 1, __ATOMIC_RELEASE); }

__attribute__((noinline)) int peek_ready() { return g_ready; }

void publisher_main() {
    pthread_setname_np(pthread_self(), "publisher");
    publish_ready();
}

void observer_main() {
    pthread_setname_np(pthread_self(), "observer");
    g_seen = peek_ready();
}

int main() {
    std::thread publisher(publisher_main);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::thread observer(observer_main);
    observer.join();
    publisher.join();
}
