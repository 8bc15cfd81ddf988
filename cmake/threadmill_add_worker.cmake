# threadmill_add_worker(): builds a user's worker executable in every flavor, from inside threadmill's tree or from an installed package.
#
# The caller sets THREADMILL_FLAVORS (the flavors whose runtime exists, plain first) and provides
# one target per flavor, threadmill::worker_main (plain) and threadmill::worker_main_<flavor>: the
# worker runtime and its main(), carrying that flavor's compile and link flags as usage
# requirements. In threadmill's own build they are aliases of tm_worker_main[_<flavor>]; in an
# installed package they are the exported targets (threadmillTargets.cmake).
include_guard(GLOBAL)

# threadmill_add_worker(<name> SOURCES <file>... [FLAVORS <flavor>...] [OUTPUT_DIRECTORY <dir>]
#                       [SUPPRESSIONS <file>])
# Builds threadmill-worker (plain) and threadmill-worker-<flavor> from SOURCES plus the flavor's
# runtime, all in OUTPUT_DIRECTORY (default: ${CMAKE_CURRENT_BINARY_DIR}/<name>), which is what
# `threadmill --worker-dir` expects. FLAVORS defaults to every flavor in THREADMILL_FLAVORS; a
# flavor that is not there is an error. The plain executable is target <name>, each other flavor
# <name>-<flavor>; building <name> builds them all. Link your component to each target with
# threadmill_worker_link(<name> <libraries>...), or to the list in <name>_TARGETS. SUPPRESSIONS
# is the project's sanitizer suppression file (docs/scenario-format.md#suppression-files), copied
# into OUTPUT_DIRECTORY as threadmill-suppressions.txt, where `threadmill run` finds it; install
# it next to the worker executables too.
function(threadmill_add_worker name)
  cmake_parse_arguments(arg "" "OUTPUT_DIRECTORY;SUPPRESSIONS" "SOURCES;FLAVORS" ${ARGN})
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "threadmill_add_worker(${name}): unexpected arguments '${arg_UNPARSED_ARGUMENTS}' "
                        "(usage: threadmill_add_worker(<name> SOURCES <file>... [FLAVORS <flavor>...]))")
  endif()
  if(NOT arg_SOURCES)
    message(FATAL_ERROR "threadmill_add_worker(${name}): SOURCES is required (the files registering your targets)")
  endif()
  if(NOT arg_FLAVORS)
    set(arg_FLAVORS ${THREADMILL_FLAVORS})
  endif()
  if(NOT arg_OUTPUT_DIRECTORY)
    set(arg_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/${name})
  endif()
  if(arg_SUPPRESSIONS)
    get_filename_component(suppressions "${arg_SUPPRESSIONS}" ABSOLUTE BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR})
    if(NOT EXISTS "${suppressions}")
      message(FATAL_ERROR "threadmill_add_worker(${name}): SUPPRESSIONS ${suppressions} does not exist")
    endif()
    configure_file("${suppressions}" "${arg_OUTPUT_DIRECTORY}/threadmill-suppressions.txt" COPYONLY)
  endif()
  set(targets "")
  foreach(flavor IN LISTS arg_FLAVORS)
    if(NOT flavor IN_LIST THREADMILL_FLAVORS)
      message(FATAL_ERROR "threadmill_add_worker(${name}): the flavor '${flavor}' is not in this threadmill "
                          "(it has: ${THREADMILL_FLAVORS}); build threadmill with TM_SANITIZER_FLAVORS=ON")
    endif()
    if(flavor STREQUAL "plain")
      set(target ${name})
      set(runtime threadmill::worker_main)
      set(output threadmill-worker)
    else()
      set(target ${name}-${flavor})
      set(runtime threadmill::worker_main_${flavor})
      set(output threadmill-worker-${flavor})
    endif()
    add_executable(${target} ${arg_SOURCES})
    target_link_libraries(${target} PRIVATE ${runtime})
    set_target_properties(${target} PROPERTIES OUTPUT_NAME ${output} RUNTIME_OUTPUT_DIRECTORY ${arg_OUTPUT_DIRECTORY})
    list(APPEND targets ${target})
  endforeach()
  # Building <name> builds every flavor: a plain executable depends on the others, or <name> is a
  # target of its own when plain is not among the flavors.
  if(NOT "plain" IN_LIST arg_FLAVORS)
    add_custom_target(${name} ALL)
  endif()
  foreach(target IN LISTS targets)
    if(NOT target STREQUAL name)
      add_dependencies(${name} ${target})
    endif()
  endforeach()
  set_property(GLOBAL PROPERTY THREADMILL_WORKER_TARGETS_${name} ${targets})
  set(${name}_TARGETS ${targets} PARENT_SCOPE)
endfunction()

# threadmill_worker_link(<name> <item>...): target_link_libraries(PRIVATE) on every flavor of a
# worker made by threadmill_add_worker (a library linked into a sanitizer worker is only checked
# where it is compiled with that flavor's flags: build such a library per flavor yourself).
function(threadmill_worker_link name)
  get_property(targets GLOBAL PROPERTY THREADMILL_WORKER_TARGETS_${name})
  if(NOT targets)
    message(FATAL_ERROR "threadmill_worker_link(${name}): no worker of that name (threadmill_add_worker first)")
  endif()
  foreach(target IN LISTS targets)
    target_link_libraries(${target} PRIVATE ${ARGN})
  endforeach()
endfunction()
