// Sanitizer fixture (UBSan): an int division by zero (the division then traps with SIGFPE).
__attribute__((noinline)) int average(int total, int count) { return total / count; }

int main(int argc, char**) { return average(10, argc - 1); }
