// Sanitizer fixture (LSan): two leaks, one matched by a suppression file (leak:leak_known), one reported.
#include <stdlib.h>

void* volatile g_last = nullptr;

__attribute__((noinline)) void leak_known() {
    g_last = malloc(48);
    g_last = nullptr;
}

__attribute__((noinline)) void leak_unknown() {
    g_last = malloc(24);
    g_last = nullptr;
}

int main() {
    leak_known();
    leak_unknown();
    return 0;
}
