// Sanitizer fixture (TSan): a data race on a plain int, written under a mutex by one thread, read bare by another.
#include <pthread.h>

#include <chrono>
#include <mutex>
#include <thread>

int g_counter = 0;
std::mutex g_counter_lock;
volatile int g_seen = 0;

__attribute__((noinline)) void write_counter() {
    std::lock_guard<std::mutex> hold(g_counter_lock);
    g_counter = g_counter + 1;
}

__attribute__((noinline)) int read_counter() { return g_counter; }

void writer_main() {
    pthread_setname_np(pthread_self(), "writer");
    write_counter();
}

void reader_main() {
    pthread_setname_np(pthread_self(), "reader");
    g_seen = read_counter();
}

int main() {
    std::thread writer(writer_main);
    // No synchronization orders the reader after the writer; the pause only fixes which access TSan sees first.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::thread reader(reader_main);
    reader.join();
    writer.join();
}
