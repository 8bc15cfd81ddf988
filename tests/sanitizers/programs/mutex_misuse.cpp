// Sanitizer fixture (TSan): a locked pthread mutex destroyed, and an unlocked one unlocked.
#include <pthread.h>

pthread_mutex_t g_never_locked = PTHREAD_MUTEX_INITIALIZER;

__attribute__((noinline)) void destroy_while_locked() {
    pthread_mutex_t m;
    pthread_mutex_init(&m, nullptr);
    pthread_mutex_lock(&m);
    pthread_mutex_destroy(&m);
}

__attribute__((noinline)) void unlock_unlocked() { pthread_mutex_unlock(&g_never_locked); }

int main() {
    destroy_while_locked();
    unlock_unlocked();
    return 0;
}
