// Sanitizer fixture (ASan): a read one element past the end of a global array.
int g_table[4] = {1, 2, 3, 4};

__attribute__((noinline)) int lookup(int i) { return g_table[i]; }

int main(int argc, char**) { return lookup(argc + 3) == 0 ? 1 : 0; }
