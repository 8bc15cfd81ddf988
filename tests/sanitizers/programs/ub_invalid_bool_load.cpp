// Sanitizer fixture (UBSan): a load of a bool whose byte is neither 0 nor 1.
#include <cstring>

__attribute__((noinline)) bool read_flag(const bool* flag) { return *flag; }

int main(int argc, char**) {
    bool flag;
    const unsigned char byte = static_cast<unsigned char>(argc + 1);  // 2
    std::memcpy(&flag, &byte, 1);
    return read_flag(&flag) ? 0 : 1;
}
