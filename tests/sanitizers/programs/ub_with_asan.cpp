// Sanitizer fixture (-fsanitize=address,undefined): an integer overflow, then a heap overflow, in one run.
#include <climits>
#include <cstdlib>

__attribute__((noinline)) int add_weights(int a, int b) { return a + b; }
__attribute__((noinline)) void poke(char* p, int i) { p[i] = 1; }

int main(int argc, char**) {
    const int total = add_weights(INT_MAX, argc);
    char* p = static_cast<char*>(malloc(4));
    poke(p, argc + 3);  // index 4 of 4
    free(p);
    return total < 0 ? 1 : 0;
}
