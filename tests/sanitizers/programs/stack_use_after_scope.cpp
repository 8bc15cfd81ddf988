// Sanitizer fixture (ASan): a write through a pointer to a local whose scope has ended.
int* volatile g_alias = nullptr;

__attribute__((noinline)) void touch(int* p) { *p = 3; }

__attribute__((noinline)) void use_after_scope() {
    {
        int scoped = 1;
        g_alias = &scoped;
    }
    touch(g_alias);
}

int main() {
    use_after_scope();
    return 0;
}
