// Where an installed threadmill keeps its files, found from the driver executable's own folder.
#include "driver/install_layout.hpp"

namespace threadmill {
namespace fs = std::filesystem;

InstallLayout install_layout(const fs::path& driver_dir, std::string_view share_from_bin,
                             std::string_view headers_from_bin) {
    const fs::path share = driver_dir / fs::path(share_from_bin);
    // lexically_normal() keeps a trailing separator as an empty last element; parent_path() of "a/b/" is "a/b".
    auto normal = [](const fs::path& p) {
        fs::path n = p.lexically_normal();
        return n.has_filename() ? n : n.parent_path();
    };
    return {normal(share / "sanitizers"), normal(share / "scenarios"), normal(driver_dir / fs::path(headers_from_bin))};
}

FrameFilter frame_filter_with_headers(const fs::path& headers) {
    FrameFilter filter;
    if (!headers.empty()) {
        std::string folder = headers.lexically_normal().string();
        if (!folder.ends_with('/')) folder += '/';
        filter.non_user.push_back(std::move(folder));
    }
    return filter;
}

}  // namespace threadmill
