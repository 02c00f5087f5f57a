// Catch2's main, in its own TU so editing the tests does not recompile it.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
