// Sanitizer fixture (ASan, detect_stack_use_after_return=1): a write through a pointer to a returned frame's local.
int* volatile g_escaped = nullptr;

__attribute__((noinline)) void escape_local() {
    int local = 1;
    g_escaped = &local;
}

__attribute__((noinline)) void write_escaped() { *g_escaped = 2; }

int main() {
    escape_local();
    write_escaped();
    return 0;
}
