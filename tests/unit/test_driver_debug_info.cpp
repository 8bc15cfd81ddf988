// Tests of driver/debug_info: the ELF64 section reader that tells whether a worker has line information.
#include <gtest/gtest.h>

#include <elf.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "driver/debug_info.hpp"

namespace threadmill {
namespace {
namespace fs = std::filesystem;

fs::path temp_file(const std::string& name) {
    return fs::temp_directory_path() / fmt::format("tm-debug-info-{}-{}", ::getpid(), name);
}

/// A minimal ELF64 file: a header, the section name table, and one section header per name (plus the null
/// section and the name table's own).
void write_elf(const fs::path& path, const std::vector<std::string>& section_names, Elf64_Word type = SHT_PROGBITS) {
    std::string names(1, '\0');
    std::vector<Elf64_Word> offsets;
    for (const auto& n : section_names) {
        offsets.push_back(static_cast<Elf64_Word>(names.size()));
        names += n;
        names += '\0';
    }
    const Elf64_Word table_name = static_cast<Elf64_Word>(names.size());
    names += ".shstrtab";
    names += '\0';

    Elf64_Ehdr h{};
    std::memcpy(h.e_ident, ELFMAG, SELFMAG);
    h.e_ident[EI_CLASS] = ELFCLASS64;
    h.e_ident[EI_DATA] = ELFDATA2LSB;
    h.e_ident[EI_VERSION] = EV_CURRENT;
    h.e_type = ET_EXEC;
    h.e_machine = EM_X86_64;
    h.e_version = EV_CURRENT;
    h.e_ehsize = sizeof(Elf64_Ehdr);
    h.e_shentsize = sizeof(Elf64_Shdr);
    const std::uint64_t names_at = sizeof(Elf64_Ehdr);
    h.e_shoff = names_at + names.size();
    h.e_shnum = static_cast<Elf64_Half>(section_names.size() + 2);
    h.e_shstrndx = static_cast<Elf64_Half>(section_names.size() + 1);

    std::vector<Elf64_Shdr> sections(h.e_shnum);
    for (std::size_t i = 0; i < section_names.size(); ++i) {
        sections[i + 1].sh_name = offsets[i];
        sections[i + 1].sh_type = type;
        sections[i + 1].sh_offset = names_at;  // any bytes will do: only the headers are read
        sections[i + 1].sh_size = 4;
    }
    Elf64_Shdr& table = sections.back();
    table.sh_name = table_name;
    table.sh_type = SHT_STRTAB;
    table.sh_offset = names_at;
    table.sh_size = names.size();

    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(&h), sizeof h);
    out.write(names.data(), static_cast<std::streamsize>(names.size()));
    out.write(reinterpret_cast<const char*>(sections.data()), static_cast<std::streamsize>(sections.size() * sizeof(Elf64_Shdr)));
}

TEST(DebugInfo, ALineTableIsFound) {
    const auto p = temp_file("with");
    write_elf(p, {".text", ".debug_info", ".debug_line"});
    EXPECT_EQ(line_info_of(p.string()).state, LineInfo::present);
    write_elf(p, {".text", ".zdebug_line"});
    EXPECT_EQ(line_info_of(p.string()).state, LineInfo::present);
    fs::remove(p);
}

TEST(DebugInfo, NoLineTableIsAbsent) {
    const auto p = temp_file("without");
    write_elf(p, {".text", ".data", ".debug_line_str", ".symtab"});
    EXPECT_EQ(line_info_of(p.string()).state, LineInfo::absent);
    // A line table emptied by stripping into a separate debug file holds no lines.
    write_elf(p, {".debug_line"}, SHT_NOBITS);
    EXPECT_EQ(line_info_of(p.string()).state, LineInfo::absent);
    fs::remove(p);
}

TEST(DebugInfo, ForeignShortOrMissingFilesAreUnreadableWithAReason) {
    const auto p = temp_file("foreign");
    {
        std::ofstream out(p);
        out << "#!/bin/sh\necho not an executable of ours\n";
    }
    auto check = line_info_of(p.string());
    EXPECT_EQ(check.state, LineInfo::unreadable);
    EXPECT_NE(check.detail.find("not an ELF file"), std::string::npos) << check.detail;

    // Section headers said to lie past the end of the file.
    write_elf(p, {".debug_line"});
    fs::resize_file(p, sizeof(Elf64_Ehdr) + 8);
    check = line_info_of(p.string());
    EXPECT_EQ(check.state, LineInfo::unreadable);
    EXPECT_NE(check.detail.find("past the end"), std::string::npos) << check.detail;
    fs::remove(p);

    check = line_info_of(p.string());
    EXPECT_EQ(check.state, LineInfo::unreadable);
    EXPECT_NE(check.detail.find("cannot open"), std::string::npos) << check.detail;
}

// The real thing: this test program, built with -g by the test build types, and a copy stripped of its debug
// sections the way a Release build or `objcopy --strip-debug` leaves it.
TEST(DebugInfo, AStrippedCopyOfARealExecutableHasNoLines) {
    const std::string self = fs::read_symlink("/proc/self/exe").string();
    if (line_info_of(self).state != LineInfo::present) GTEST_SKIP() << "the tests were built without -g";
    if (std::system("command -v objcopy >/dev/null 2>&1") != 0) GTEST_SKIP() << "no objcopy (binutils)";
    const auto stripped = temp_file("stripped");
    ASSERT_EQ(std::system(fmt::format("objcopy --strip-debug '{}' '{}'", self, stripped.string()).c_str()), 0);
    EXPECT_EQ(line_info_of(stripped.string()).state, LineInfo::absent);
    fs::remove(stripped);
}

}  // namespace
}  // namespace threadmill
