// Sanitizer fixture (ASan): the same malloc block freed twice.
#include <stdlib.h>

__attribute__((noinline)) char* make_buffer() { return static_cast<char*>(malloc(16)); }
__attribute__((noinline)) void release_buffer(char* p) { free(p); }
__attribute__((noinline)) void release_again(char* p) { free(p); }

int main() {
    char* p = make_buffer();
    release_buffer(p);
    release_again(p);
    return 0;
}
