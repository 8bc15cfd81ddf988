// Sanitizer fixture (UBSan): a shift by more than the width of int.
__attribute__((noinline)) int scale(int v, int by) { return v << by; }

int main(int argc, char**) { return scale(1, argc + 39) == 0 ? 1 : 0; }
