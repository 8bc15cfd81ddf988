// Sanitizer fixture (ASan): a read one element past the end of a local array.
__attribute__((noinline)) int sum_window(int base, int end) {
    int window[4];
    for (int i = 0; i < 4; ++i) window[i] = base + i;
    int sum = 0;
    for (int i = 0; i <= end; ++i) sum += window[i];
    return sum;
}

int main(int argc, char**) { return sum_window(argc, argc + 3) == 0 ? 1 : 0; }
