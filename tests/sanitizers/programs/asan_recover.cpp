// Sanitizer fixture (ASan, -fsanitize-recover=address, halt_on_error=0): two errors in one run.
#include <stdlib.h>

__attribute__((noinline)) void overflow_write(char* p, int n) { p[n] = 'x'; }
__attribute__((noinline)) char stale_read(const char* p) { return p[0]; }

int main(int argc, char**) {
    char* p = static_cast<char*>(malloc(8));
    overflow_write(p, argc + 7);  // index 8 of 8
    free(p);
    return stale_read(p) == 'x' ? 1 : 0;
}
