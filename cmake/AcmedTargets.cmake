# Test code (not the code under test) is built at -O1 in optimised builds: the libraries it
# drives keep their -O2, and the test executables compile in about two thirds of the time.
# (src/cli uses it too: argument parsing and output, nothing hot.)
function(acmed_test_code_flags tgt)
  target_compile_options(${tgt} PRIVATE $<$<CONFIG:RelWithDebInfo,Release>:-O1>)
endfunction()

# acmed_library(NAME n SRCS ... [DEPS public...] [PRIVATE_DEPS ...] [INCLUDE_DIRS dirs...])
# Declares library acmed_<n> with ALIAS acmed::<n>. All targets share warnings and sanitizers.
function(acmed_library)
  cmake_parse_arguments(A "" "NAME" "SRCS;DEPS;PRIVATE_DEPS;INCLUDE_DIRS" ${ARGN})
  set(tgt acmed_${A_NAME})
  add_library(${tgt} STATIC ${A_SRCS})
  add_library(acmed::${A_NAME} ALIAS ${tgt})
  target_compile_features(${tgt} PUBLIC cxx_std_20)
  target_include_directories(${tgt} PUBLIC "${PROJECT_SOURCE_DIR}/include" ${A_INCLUDE_DIRS})
  target_link_libraries(${tgt} PUBLIC ${A_DEPS} PRIVATE ${A_PRIVATE_DEPS} acmed::warnings acmed::sanitizers)
  set_target_properties(${tgt} PROPERTIES POSITION_INDEPENDENT_CODE ON)
endfunction()

# acmed_test(NAME n SRCS ... DEPS ...) builds a Catch2 executable and registers its cases with ctest.
function(acmed_test)
  cmake_parse_arguments(A "" "NAME" "SRCS;DEPS;LABELS" ${ARGN})
  set(tgt test_${A_NAME})
  add_executable(${tgt} ${A_SRCS})
  target_link_libraries(${tgt} PRIVATE acmed_catch_main ${A_DEPS} acmed::warnings acmed::sanitizers)
  acmed_test_code_flags(${tgt})
  # Catch2 (and nlohmann/json where the test links it) parsed once per test executable.
  set(pch <catch2/catch.hpp> <string> <vector> <map> <memory> <optional> <functional> <chrono>)
  if("nlohmann_json::nlohmann_json" IN_LIST A_DEPS)
    list(APPEND pch <nlohmann/json.hpp>)
  endif()
  target_precompile_headers(${tgt} PRIVATE ${pch})
  catch_discover_tests(${tgt} TEST_PREFIX "${A_NAME}." PROPERTIES LABELS "unit;${A_LABELS}")
endfunction()
