# SPDX-License-Identifier: Apache-2.0
# acmed::sanitizers: flags every acmed target and test takes.
#   ACMED_SANITIZE=ON  AddressSanitizer + UBSan (any UB report aborts the test)
#   ACMED_FUZZ=ON      libFuzzer coverage instrumentation (clang only) and the tests/fuzz targets
add_library(acmed_sanitizers INTERFACE)
add_library(acmed::sanitizers ALIAS acmed_sanitizers)
if(ACMED_SANITIZE)
  # -fno-sanitize=vptr: the vptr check probes memory through a pipe; with every
  # descriptor in use (the accept-loop tests do that on purpose) the probe fails and each
  # Boost error_code is reported as a bad object. The other UBSan checks stay on.
  target_compile_options(acmed_sanitizers INTERFACE -fsanitize=address,undefined -fno-sanitize=vptr
                                                    -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  target_link_options(acmed_sanitizers INTERFACE -fsanitize=address,undefined)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    # clang 14's -fsanitize=function cannot compile coroutines ("Cannot represent a
    # difference across sections"); every other UBSan check stays on.
    target_compile_options(acmed_sanitizers INTERFACE -fno-sanitize=function)
  endif()
endif()
if(ACMED_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "ACMED_FUZZ needs clang's libFuzzer: configure with CXX=clang++ (Debian: clang, libclang-rt-*-dev)")
  endif()
  target_compile_options(acmed_sanitizers INTERFACE -fsanitize=fuzzer-no-link)
  target_link_options(acmed_sanitizers INTERFACE -fsanitize=fuzzer-no-link)
endif()

