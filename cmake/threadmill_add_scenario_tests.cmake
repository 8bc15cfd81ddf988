# threadmill_add_scenario_tests(): one CTest test per scenario file and flavor, each a `threadmill run` of a worker made by threadmill_add_worker().
#
# The caller provides the driver: THREADMILL_EXECUTABLE (the installed package's config sets it) or,
# in threadmill's own tree, the `threadmill` target.
include_guard(GLOBAL)

# threadmill_add_scenario_tests(WORKER <name> SCENARIOS <folder or file>... [FLAVORS <flavor>...]
#                               [DRIVER <path>] [ARGS <arg>...])
# For each scenario file (a folder stands for the *.toml files under it, searched at configure time)
# and each flavor the scenario declares in its top-level `flavors = [...]` (["plain"] when it has
# none) that is also in FLAVORS (default: the worker's flavors), registers the test `<scenario>.<flavor>`
# (<scenario>: the file's name without .toml) running
#   <driver> --worker-dir <worker folder> run <file> --flavor <flavor> --out <binary dir>/threadmill/<scenario>.<flavor> <ARGS>
# in ${CMAKE_CURRENT_BINARY_DIR}. The test passes when the run exits 0: every job met its [expect].
# Labels: `threadmill` and `threadmill-<flavor>`. Each test has its own output folder, so `ctest -j`
# runs them side by side. DRIVER defaults to THREADMILL_EXECUTABLE, else the `threadmill` target.
function(threadmill_add_scenario_tests)
  cmake_parse_arguments(arg "" "WORKER;DRIVER" "SCENARIOS;FLAVORS;ARGS" ${ARGN})
  set(usage "usage: threadmill_add_scenario_tests(WORKER <name> SCENARIOS <folder or file>... [FLAVORS <flavor>...] [DRIVER <path>] [ARGS <arg>...])")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "threadmill_add_scenario_tests: unexpected arguments '${arg_UNPARSED_ARGUMENTS}' (${usage})")
  endif()
  if(NOT arg_WORKER OR NOT arg_SCENARIOS)
    message(FATAL_ERROR "threadmill_add_scenario_tests: WORKER and SCENARIOS are required (${usage})")
  endif()
  get_property(worker_dir GLOBAL PROPERTY THREADMILL_WORKER_DIR_${arg_WORKER})
  get_property(worker_flavors GLOBAL PROPERTY THREADMILL_WORKER_FLAVORS_${arg_WORKER})
  if(NOT worker_dir)
    message(FATAL_ERROR "threadmill_add_scenario_tests: no worker '${arg_WORKER}' (make it with threadmill_add_worker first)")
  endif()
  if(NOT arg_FLAVORS)
    set(arg_FLAVORS ${worker_flavors})
  endif()
  foreach(flavor IN LISTS arg_FLAVORS)
    if(NOT flavor IN_LIST worker_flavors)
      message(FATAL_ERROR "threadmill_add_scenario_tests: the worker '${arg_WORKER}' has no flavor '${flavor}' (it has: ${worker_flavors})")
    endif()
  endforeach()
  if(arg_DRIVER)
    set(driver ${arg_DRIVER})
  elseif(THREADMILL_EXECUTABLE)
    set(driver ${THREADMILL_EXECUTABLE})
  elseif(TARGET threadmill)
    set(driver $<TARGET_FILE:threadmill>)
  else()
    message(FATAL_ERROR "threadmill_add_scenario_tests: no threadmill driver (find_package(threadmill) sets THREADMILL_EXECUTABLE; or give DRIVER)")
  endif()

  set(files "")
  foreach(path IN LISTS arg_SCENARIOS)
    get_filename_component(path "${path}" ABSOLUTE BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR})
    if(IS_DIRECTORY "${path}")
      file(GLOB_RECURSE found CONFIGURE_DEPENDS "${path}/*.toml")
      if(NOT found)
        message(FATAL_ERROR "threadmill_add_scenario_tests: the folder ${path} holds no *.toml scenario")
      endif()
      list(SORT found)
      list(APPEND files ${found})
    elseif(EXISTS "${path}")
      list(APPEND files "${path}")
    else()
      message(FATAL_ERROR "threadmill_add_scenario_tests: the scenario ${path} does not exist")
    endif()
  endforeach()

  foreach(file IN LISTS files)
    get_filename_component(scenario "${file}" NAME_WE)
    # The scenario's flavors, from its top-level `flavors = [...]` array, on one line or several
    # (the driver checks the file itself; ["plain"] when it has none).
    file(READ "${file}" text)
    string(REGEX REPLACE "#[^\n]*" "" text "\n${text}")  # comments out
    set(declared plain)
    if(text MATCHES "\n[ \t]*flavors[ \t]*=[ \t]*\\[([^]]*)\\]")
      string(REGEX MATCHALL "[A-Za-z0-9_-]+" declared "${CMAKE_MATCH_1}")
    endif()
    set(registered "")
    foreach(flavor IN LISTS declared)
      if(NOT flavor IN_LIST arg_FLAVORS)
        continue()
      endif()
      set(name ${scenario}.${flavor})
      if(TEST ${name})
        message(FATAL_ERROR "threadmill_add_scenario_tests: a test named ${name} exists already "
                            "(two scenario files named ${scenario}.toml? rename one)")
      endif()
      add_test(NAME ${name}
               COMMAND ${driver} --worker-dir ${worker_dir} run ${file} --flavor ${flavor}
                       --out ${CMAKE_CURRENT_BINARY_DIR}/threadmill/${name} ${arg_ARGS}
               WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
      set_tests_properties(${name} PROPERTIES LABELS "threadmill;threadmill-${flavor}")
      list(APPEND registered ${flavor})
    endforeach()
    if(NOT registered)
      message(STATUS "threadmill_add_scenario_tests: ${file}: none of its flavors (${declared}) is among ${arg_FLAVORS}: no test")
    endif()
  endforeach()
endfunction()
