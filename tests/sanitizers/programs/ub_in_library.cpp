// UBSan inside the standard library: one misplaced std::vector, reports in several libstdc++ frames, all
// reached from one function of the program: one bug at one place in the user's code.
#include <new>
#include <vector>

alignas(16) unsigned char storage[sizeof(std::vector<int>) + 1];

int fill_list(int n) {
    auto* list = new (storage + 1) std::vector<int>();  // misaligned: every use is undefined
    list->push_back(n);
    return static_cast<int>(list->size());
}

int main() { return fill_list(1) == 1 ? 0 : 1; }
