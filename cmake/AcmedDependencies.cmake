# SPDX-License-Identifier: Apache-2.0
# Every dependency comes from a Debian bookworm package; nothing is fetched at build time.
find_package(OpenSSL 3.0 REQUIRED)
find_package(Boost 1.74 REQUIRED)
find_package(nlohmann_json 3.11 REQUIRED)
find_package(spdlog 1.10 REQUIRED)
find_package(yaml-cpp 0.7 REQUIRED)
find_package(CLI11 2.1 REQUIRED)
find_package(tl-expected 1.0 REQUIRED)
find_package(Threads REQUIRED)
# PostgreSQL client (libpq-dev), for the fleet state store (src/storage/pg_store.cpp).
find_package(PostgreSQL 13 REQUIRED)
