# The Debian package of the installed threadmill (`cpack -G DEB` in a build folder; docs/ARCHITECTURE.md
# "What is installed"): threadmill_<version>_<arch>.deb, installing to /usr what `cmake --install` installs.

set(TM_PACKAGE_MAINTAINER "threadmill maintainers <maintainers@users.noreply.b-seed-a93dd36f.example>"
    CACHE STRING "The Maintainer field of the Debian package (cpack -G DEB)")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME threadmill)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "${TM_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "stress harness for concurrent C++ code under ThreadSanitizer and AddressSanitizer")
# Every path in the package is found relative to the driver (bin/threadmill) or to the CMake package, so
# the prefix is only where apt puts it.
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # threadmill_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# The extended description (CPack writes the summary above it, on the Description line).
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
"threadmill runs TOML scenarios of barrier-synchronized threads against a
concurrent component, once per flavor (plain, ThreadSanitizer,
AddressSanitizer+UBSan), and gates on each scenario's expectations.
.
This package holds the driver (threadmill), the built-in workers of every
flavor, the worker runtime libraries of every flavor, the target API
headers, the CMake package (find_package(threadmill) and
threadmill_add_worker() to build a worker for one's own code), the
sanitizer suppression files and the built-in scenarios.")
# The binaries keep their debug information: a sanitizer finding is only as good as its file:line.
set(CPACK_STRIP_FILES OFF)

# Depends: what a user's project needs to build a worker against the package (the compiler, whose
# libstdc++ and sanitizer runtimes come with it, and the dependencies threadmillConfig.cmake finds), plus,
# computed by dpkg-shlibdeps when it is there, the shared libraries the driver and workers load. Without
# dpkg-shlibdeps the -dev packages below pull in those libraries all the same. fmt and toml++ are
# compiled libraries: the runtime libraries were built against one major version of their headers.
set(TM_DEB_DEPENDS g++ nlohmann-json3-dev libcli11-dev)
foreach(dep IN ITEMS "libfmt-dev;fmt" "libtomlplusplus-dev;tomlplusplus")
  list(GET dep 0 deb_name)
  list(GET dep 1 cmake_name)
  if(DEFINED ${cmake_name}_VERSION AND ${cmake_name}_VERSION MATCHES "^([0-9]+)")
    math(EXPR next_major "${CMAKE_MATCH_1} + 1")
    list(APPEND TM_DEB_DEPENDS "${deb_name} (>= ${${cmake_name}_VERSION})" "${deb_name} (<< ${next_major})")
  else()
    list(APPEND TM_DEB_DEPENDS ${deb_name})
  endif()
endforeach()
list(JOIN TM_DEB_DEPENDS ", " CPACK_DEBIAN_PACKAGE_DEPENDS)
find_program(TM_DPKG_SHLIBDEPS dpkg-shlibdeps)
if(TM_DPKG_SHLIBDEPS)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
endif()
# cmake to build a worker with threadmill_add_worker(); gdb for the backtraces of a hung worker.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "cmake (>= 3.25), gdb")
# llvm-symbolizer: sanitizer stacks with inlined frames (`threadmill doctor` checks for it).
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "llvm")

include(CPack)
