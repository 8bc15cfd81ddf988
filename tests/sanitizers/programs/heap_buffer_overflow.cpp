// Sanitizer fixture (ASan): a write one element past the end of a new[] array.
__attribute__((noinline)) int* make_slots() { return new int[4]; }
__attribute__((noinline)) void fill_slot(int* slots, int i) { slots[i] = 7; }

int main(int argc, char**) {
    int* slots = make_slots();
    fill_slot(slots, argc + 3);  // index 4 of 4
    delete[] slots;
    return 0;
}
