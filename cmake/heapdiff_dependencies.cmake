# The libraries the analyzer (core, graph, cli) is built against. Included by the top-level
# CMakeLists.txt for a full build and, installed beside heapdiffConfig.cmake, by a build that
# imports the analyzer: one list, so both find the same packages the same way.
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
if(NOT TARGET PkgConfig::ZSTD)
  pkg_check_modules(ZSTD REQUIRED IMPORTED_TARGET libzstd)
endif()
if(NOT TARGET PkgConfig::GRAPHVIZ)
  pkg_check_modules(GRAPHVIZ REQUIRED IMPORTED_TARGET libgvc libcgraph)
endif()
if(POLICY CMP0167)
  cmake_policy(SET CMP0167 NEW)  # Boost's own BoostConfig.cmake, not CMake's FindBoost
endif()
find_package(Boost 1.74 REQUIRED CONFIG COMPONENTS graph)
find_package(CLI11 REQUIRED CONFIG)
find_package(nlohmann_json 3.10 REQUIRED CONFIG)  # cli/: every --json document
