// Sanitizer fixture (UBSan): a signed int addition that overflows.
#include <climits>

__attribute__((noinline)) int add_weights(int a, int b) { return a + b; }

int main(int argc, char**) { return add_weights(INT_MAX, argc) < 0 ? 1 : 0; }
