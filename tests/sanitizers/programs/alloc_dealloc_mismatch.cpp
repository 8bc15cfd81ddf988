// Sanitizer fixture (ASan): memory from new[] released with scalar delete.
__attribute__((noinline)) int* make_array() { return new int[4]; }
__attribute__((noinline)) void drop_scalar(int* p) { delete p; }

int main() {
    drop_scalar(make_array());
    return 0;
}
