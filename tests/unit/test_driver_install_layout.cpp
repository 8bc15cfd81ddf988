// Tests for driver/install_layout: an install's folders found from the driver's own folder, and its headers'
// frames folded as threadmill's own.
#include "driver/install_layout.hpp"

#include <gtest/gtest.h>

#include "sanitizers/parser.hpp"

namespace threadmill {
namespace {

Frame frame(std::string function, std::string file) {
    Frame f;
    f.function = std::move(function);
    f.file = std::move(file);
    return f;
}

TEST(InstallLayout, FoldersAreFoundRelativeToTheDriver) {
    const InstallLayout usr = install_layout("/usr/bin", "../share/threadmill", "../include/threadmill");
    EXPECT_EQ(usr.sanitizers, "/usr/share/threadmill/sanitizers");
    EXPECT_EQ(usr.scenarios, "/usr/share/threadmill/scenarios");
    EXPECT_EQ(usr.headers, "/usr/include/threadmill");
    // The same package extracted under a scratch root (dpkg -x) keeps every path under that root.
    const InstallLayout moved = install_layout("/tmp/root/usr/bin", "../share/threadmill", "../include/threadmill");
    EXPECT_EQ(moved.sanitizers, "/tmp/root/usr/share/threadmill/sanitizers");
    EXPECT_EQ(moved.headers, "/tmp/root/usr/include/threadmill");
}

TEST(InstallLayout, OtherLayoutsAndSpellingsOfTheDriverFolder) {
    // A bin folder two levels deep (CMAKE_INSTALL_BINDIR=libexec/tm), a trailing slash, a folder spelled with "..".
    const InstallLayout deep = install_layout("/opt/tm/libexec/tm/", "../../share/threadmill", "../../include/threadmill");
    EXPECT_EQ(deep.scenarios, "/opt/tm/share/threadmill/scenarios");
    EXPECT_EQ(deep.headers, "/opt/tm/include/threadmill");
    const InstallLayout dotted = install_layout("/opt/x/../tm/bin", "../share/threadmill", "../include/threadmill");
    EXPECT_EQ(dotted.sanitizers, "/opt/tm/share/threadmill/sanitizers");
    // A relative driver folder stays relative (the caller passes what /proc/self/exe says, which is absolute).
    EXPECT_EQ(install_layout("bin", "../share/threadmill", "../include/threadmill").headers, "include/threadmill");
}

TEST(InstallLayout, InstalledHeadersAreThreadmillsOwnFrames) {
    const FrameFilter filter = frame_filter_with_headers("/tmp/root/usr/bin/../include/threadmill");
    // The default folders stay, the headers' folder is added once, normal and ending in '/'.
    EXPECT_EQ(filter.non_user.size(), FrameFilter{}.non_user.size() + 1);
    EXPECT_EQ(filter.non_user.back(), "/tmp/root/usr/include/threadmill/");
    EXPECT_FALSE(filter.is_user(frame("threadmill::PerThread<int>::get()", "/tmp/root/usr/include/threadmill/api/target.hpp")));
    EXPECT_FALSE(filter.is_user(frame("threadmill::Runner::run()", TM_SOURCE_DIR "/worker/runner.cpp")));
    // The user's own code, beside or below the install, is still the user's.
    EXPECT_TRUE(filter.is_user(frame("my::Counter::add()", "/tmp/root/usr/include/my_counter.hpp")));
    EXPECT_TRUE(filter.is_user(frame("f()", "/tmp/root/usr/include/threadmill-extras/x.hpp")));
    EXPECT_TRUE(filter.is_user(frame("f()", "/home/me/project/include/threadmill/api/target.hpp")));
    // Without an install the filter is the default one: installed headers elsewhere are not folded.
    EXPECT_EQ(frame_filter_with_headers("").non_user, FrameFilter{}.non_user);
    EXPECT_TRUE(FrameFilter{}.is_user(frame("f()", "/tmp/root/usr/include/threadmill/api/target.hpp")));
}

}  // namespace
}  // namespace threadmill
