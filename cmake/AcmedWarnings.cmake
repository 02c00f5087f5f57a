# SPDX-License-Identifier: Apache-2.0
# Warnings are attached to targets through an INTERFACE library, never set globally.
add_library(acmed_warnings INTERFACE)
add_library(acmed::warnings ALIAS acmed_warnings)
target_compile_options(acmed_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
  -Woverloaded-virtual -Wnull-dereference -Wimplicit-fallthrough
  $<$<BOOL:${ACMED_WARNINGS_AS_ERRORS}>:-Werror>)
