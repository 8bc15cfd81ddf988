// Whether a worker executable carries line information: a small reader of ELF64 section names, no dependency.
#include "driver/debug_info.hpp"

#include <elf.h>

#include <bit>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <string_view>
#include <vector>

#include <fmt/format.h>

namespace threadmill {
namespace {

constexpr std::string_view k_line_sections[] = {".debug_line", ".zdebug_line"};
constexpr std::uint64_t k_max_section_names = 16u << 20;  ///< bytes of .shstrtab we are willing to read
constexpr std::uint64_t k_max_sections = 1u << 20;

LineInfoCheck unreadable(std::string why) { return {LineInfo::unreadable, std::move(why)}; }

/// Reads `size` bytes at `offset` into `out`; false when the file is shorter.
bool read_at(std::ifstream& in, std::uint64_t offset, void* out, std::size_t size) {
    in.clear();
    in.seekg(static_cast<std::streamoff>(offset));
    in.read(static_cast<char*>(out), static_cast<std::streamsize>(size));
    return in.gcount() == static_cast<std::streamsize>(size);
}

}  // namespace

LineInfoCheck line_info_of(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return unreadable(fmt::format("cannot open {}: {}", path, std::strerror(errno)));
    in.seekg(0, std::ios::end);
    const auto file_size = static_cast<std::uint64_t>(in.tellg());

    Elf64_Ehdr header{};
    if (!read_at(in, 0, &header, sizeof header) || std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0)
        return unreadable(fmt::format("{} is not an ELF file", path));
    if (header.e_ident[EI_CLASS] != ELFCLASS64 || header.e_ident[EI_DATA] != ELFDATA2LSB ||
        std::endian::native != std::endian::little)
        return unreadable(fmt::format("{} is not a little-endian ELF64 file", path));
    if (header.e_shoff == 0) return {LineInfo::absent, ""};  // no section headers at all
    if (header.e_shentsize != sizeof(Elf64_Shdr))
        return unreadable(fmt::format("{}: unexpected section header size {}", path, header.e_shentsize));

    // With 0xff00 sections or more, the count and the names' index live in section 0.
    Elf64_Shdr first{};
    if (!read_at(in, header.e_shoff, &first, sizeof first))
        return unreadable(fmt::format("{}: section headers past the end of the file", path));
    const std::uint64_t count = header.e_shnum != 0 ? header.e_shnum : first.sh_size;
    const std::uint64_t names_index = header.e_shstrndx != SHN_XINDEX ? header.e_shstrndx : first.sh_link;
    if (count > k_max_sections || header.e_shoff + count * sizeof(Elf64_Shdr) > file_size)
        return unreadable(fmt::format("{}: section headers past the end of the file", path));
    if (names_index >= count) return unreadable(fmt::format("{}: no section name table", path));

    std::vector<Elf64_Shdr> sections(count);
    if (!read_at(in, header.e_shoff, sections.data(), count * sizeof(Elf64_Shdr)))
        return unreadable(fmt::format("{}: cannot read the section headers", path));
    const Elf64_Shdr& table = sections[names_index];
    if (table.sh_size > k_max_section_names || table.sh_offset + table.sh_size > file_size)
        return unreadable(fmt::format("{}: the section name table lies past the end of the file", path));
    std::string names(table.sh_size, '\0');
    if (!read_at(in, table.sh_offset, names.data(), names.size()))
        return unreadable(fmt::format("{}: cannot read the section name table", path));

    for (const auto& s : sections) {
        if (s.sh_name >= names.size()) continue;
        const std::string_view name(names.c_str() + s.sh_name);  // the table is NUL-terminated or ends here
        for (const auto wanted : k_line_sections) {
            // A section emptied by stripping (SHT_NOBITS) holds no lines.
            if (name == wanted && s.sh_type != SHT_NOBITS && s.sh_size > 0) return {LineInfo::present, ""};
        }
    }
    return {LineInfo::absent, ""};
}

}  // namespace threadmill
