// libFuzzer target: any bytes, saved as a results.jsonl file, read back leniently and strictly.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include <unistd.h>

#include "driver/results_file.hpp"

namespace {

/// One temporary file per process, rewritten for each input and removed at exit.
const std::string& scratch_path() {
    static const std::string k_path = [] {
        const char* dir = std::getenv("TMPDIR");
        std::string pattern = std::string(dir != nullptr && *dir != '\0' ? dir : "/tmp") + "/tm-fuzz-results-XXXXXX";
        const int fd = ::mkstemp(pattern.data());
        if (fd < 0) std::abort();
        ::close(fd);
        std::atexit([] { std::remove(scratch_path().c_str()); });
        return pattern;
    }();
    return k_path;
}

void write_input(const std::uint8_t* data, std::size_t size) {
    std::FILE* f = std::fopen(scratch_path().c_str(), "wb");
    if (f == nullptr) std::abort();
    if (size != 0 && std::fwrite(data, 1, size, f) != size) std::abort();
    if (std::fclose(f) != 0) std::abort();
}

/// std::runtime_error (the documented failure) is an answer; any other exception escapes.
void read(bool strict) {
    try {
        (void)threadmill::read_results_file(scratch_path(), strict);
    } catch (const std::runtime_error&) {
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    write_input(data, size);
    read(false);
    read(true);
    return 0;
}
