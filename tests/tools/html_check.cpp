// threadmill-html-check: opens an HTML report in headless Chromium and fails on any console
// error, uncaught exception or blocked load; optionally saves a screenshot of the top of the page.
// Usage: threadmill-html-check REPORT.html [SCREENSHOT.png]
#include <cstdio>
#include <exception>

#include "tests/support/browser.hpp"

int main(int argc, char** argv) {
    namespace fs = std::filesystem;
    if (argc < 2 || argc > 3) {
        std::fprintf(stderr, "usage: threadmill-html-check REPORT.html [SCREENSHOT.png]\n");
        return 2;
    }
    const fs::path page = argv[1];
    if (!fs::is_regular_file(page)) {
        std::fprintf(stderr, "threadmill-html-check: %s: no such file\n", argv[1]);
        return 2;
    }
    try {
        threadmill::testing::Browser browser(fs::temp_directory_path() / "threadmill-html-check", "check",
                                             std::chrono::seconds(60));
        browser.open(threadmill::testing::file_url(page));
        const auto rows = browser.eval("document.querySelectorAll('#jobs-table tbody tr').length");
        if (argc == 3) {
            const double height = browser.eval("document.documentElement.scrollHeight").get<double>();
            browser.screenshot(argv[2], 0, 0, 1280, height < 4000 ? height : 4000);
        }
        const auto errors = browser.take_errors();
        for (const auto& e : errors) std::fprintf(stderr, "  %s\n", e.c_str());
        std::printf("%s: %s rows in the jobs table, %zu browser error%s\n", argv[1], rows.dump().c_str(), errors.size(),
                    errors.size() == 1 ? "" : "s");
        return errors.empty() ? 0 : 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "threadmill-html-check: %s\n", e.what());
        return 2;
    }
}
