# SPDX-License-Identifier: Apache-2.0
# Test code (not the code under test) is not optimised: the libraries it drives keep the
# build's optimisation, the tests wait on servers and fakes rather than on the CPU, and
# their executables compile in about two thirds of the time of -O1.
function(acmed_test_code_flags tgt)
  target_compile_options(${tgt} PRIVATE $<$<CONFIG:RelWithDebInfo,Release>:-O0>)
endfunction()

# The command-line layer (argument parsing and output: nothing hot) is not optimised in the
# development build (RelWithDebInfo, scripts/build.sh), where it is the largest share of
# the compile time. Release builds and the Debian package optimise it like the rest.
function(acmed_cli_code_flags tgt)
  target_compile_options(${tgt} PRIVATE $<$<CONFIG:RelWithDebInfo>:-O0>)
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
  # Catch2, nlohmann/json and the standard headers are parsed once for all the test
  # executables: the first one declares the precompiled header and the others reuse it
  # (the same compiler flags; their own definitions, such as Boost.Asio's, are not in it).
  get_property(pch_owner GLOBAL PROPERTY ACMED_TEST_PCH_OWNER)
  if(pch_owner)
    target_precompile_headers(${tgt} REUSE_FROM ${pch_owner})
  else()
    target_precompile_headers(${tgt} PRIVATE <catch2/catch.hpp> <nlohmann/json.hpp> <string> <vector> <map>
                              <memory> <optional> <functional> <chrono>)
    set_property(GLOBAL PROPERTY ACMED_TEST_PCH_OWNER ${tgt})
  endif()
  catch_discover_tests(${tgt} TEST_PREFIX "${A_NAME}." PROPERTIES LABELS "unit;${A_LABELS}")
endfunction()
