// Sanitizer fixture (TSan and ASan builds): a write through a null pointer.
int* volatile g_target = nullptr;

__attribute__((noinline)) void store_answer(int* p) { *p = 42; }

int main() {
    store_answer(g_target);
    return 0;
}
