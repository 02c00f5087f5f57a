// SPDX-License-Identifier: Apache-2.0
// Must NOT compile: the dns-persist-01 solver's include path has no DNS writer header.
// (tests/boundaries: boundaries.dns_persist_cannot_include_writer)
#include "acmed/dns01/record_writer.hpp"
#include "acmed/solvers/dns_persist01.hpp"

int main() { return 0; }
