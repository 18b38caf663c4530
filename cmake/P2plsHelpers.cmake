# Small helpers so that every library and test is declared the same way.

# Compiler flags shared by all our targets (not by generated protobuf code's warnings).
add_library(p2pls_flags INTERFACE)
target_compile_options(p2pls_flags INTERFACE -Wall -Wextra -Wpedantic -Wshadow
                       -Wold-style-cast -Wcast-align -Wunused
                       -Woverloaded-virtual -Wimplicit-fallthrough)
if(P2PLS_WARNINGS_AS_ERRORS)
    target_compile_options(p2pls_flags INTERFACE -Werror)
endif()
target_include_directories(p2pls_flags INTERFACE ${PROJECT_SOURCE_DIR})
if(P2PLS_SANITIZE)
    target_compile_options(p2pls_flags INTERFACE -fsanitize=address,undefined
                           -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
    target_link_options(p2pls_flags INTERFACE -fsanitize=address,undefined)
endif()
if(P2PLS_FUZZ)
    # Coverage instrumentation everywhere; only the fuzz_<name> executables link libFuzzer.
    target_compile_options(p2pls_flags INTERFACE -fsanitize=fuzzer-no-link)
endif()

# One build target per test label (tests-unit, tests-fuzz, ...), so that a build such as
# the sanitizer step in CI compiles only what the labels it runs need.
foreach(label unit sim integration media docs fuzz)
    add_custom_target(tests-${label})
endforeach()
if(P2PLS_FUZZ)
    add_custom_target(fuzzers)
endif()
# Every executable p2pls_add_executable declares (the roles' programs and tools).
add_custom_target(programs)

# p2pls_add_library(<name> ALIAS <ns::name> SOURCES ... [DEPS ...])
# One static library per core or adapter folder, with a namespaced alias.
function(p2pls_add_library name)
    cmake_parse_arguments(arg "" "ALIAS" "SOURCES;DEPS" ${ARGN})
    add_library(${name} STATIC ${arg_SOURCES})
    target_link_libraries(${name} PUBLIC p2pls_flags ${arg_DEPS})
    if(arg_ALIAS)
        add_library(${arg_ALIAS} ALIAS ${name})
    endif()
endfunction()

# p2pls_add_executable(<name> SOURCES ... [DEPS ...])
function(p2pls_add_executable name)
    cmake_parse_arguments(arg "" "" "SOURCES;DEPS" ${ARGN})
    add_executable(${name} ${arg_SOURCES})
    target_link_libraries(${name} PRIVATE p2pls_flags ${arg_DEPS})
    add_dependencies(programs ${name})
endfunction()

# A test's own code is compiled without optimisation in every build: it is a third of
# the release build's compile time at -O2 and needs none of the speed, while the code it
# tests, in the libraries and executables, keeps the build's flags (-O2 in release).
function(p2pls_quick_to_compile target)
    target_compile_options(${target} PRIVATE -O0)
endfunction()

# p2pls_add_test(<name> LABEL unit|sim|integration|media SOURCES ... [DEPS ...] [TIMEOUT s]
#                [RUN_SERIAL])
# One GoogleTest executable per component and layer; each test case becomes a ctest.
# RUN_SERIAL is for tests that measure a rate or run a swarm on a deadline, which a
# neighbour's load could fail under `ctest -j`; media and docs tests (encoders, browsers,
# whole demos) always run alone. CI runs the tests one at a time: most of them wait on
# live streams, and the sanitizer build takes that idle CPU (scripts/test.sh).
function(p2pls_add_test name)
    cmake_parse_arguments(arg "RUN_SERIAL" "LABEL;TIMEOUT" "SOURCES;DEPS" ${ARGN})
    if(arg_LABEL STREQUAL "media" OR arg_LABEL STREQUAL "docs")
        set(arg_RUN_SERIAL TRUE)
    endif()
    if(arg_RUN_SERIAL)
        set(serial RUN_SERIAL TRUE)
    else()
        set(serial)
    endif()
    add_executable(${name} ${arg_SOURCES})
    target_link_libraries(${name} PRIVATE p2pls_flags ${arg_DEPS} GTest::gtest GTest::gmock
                          GTest::gtest_main)
    p2pls_quick_to_compile(${name})
    if(NOT arg_TIMEOUT)
        set(arg_TIMEOUT 120)
    endif()
    add_dependencies(tests-${arg_LABEL} ${name})
    gtest_discover_tests(${name}
        PROPERTIES LABELS "${arg_LABEL}" TIMEOUT ${arg_TIMEOUT} ${serial}
        ENVIRONMENT "P2PLS_BIN_DIR=${PROJECT_BINARY_DIR}/bin"
        DISCOVERY_TIMEOUT 30)
endfunction()

# p2pls_add_fuzz_target(<name> SOURCES ... [DEPS ...])
# A libFuzzer target (tests/fuzz/<name>_fuzz.cpp) and its corpus, tests/fuzz/corpus/<name>/.
# Every build links the same sources with the replay driver and runs the corpus as the
# ctest fuzz.<name> (label fuzz); a P2PLS_FUZZ build (clang) also links fuzz_<name> with
# libFuzzer itself, for scripts/fuzz.sh.
function(p2pls_add_fuzz_target name)
    cmake_parse_arguments(arg "" "" "SOURCES;DEPS" ${ARGN})
    add_executable(fuzz_${name}_replay ${arg_SOURCES})
    target_link_libraries(fuzz_${name}_replay PRIVATE p2pls_flags ${arg_DEPS} p2pls_fuzz_replay_main)
    p2pls_quick_to_compile(fuzz_${name}_replay)
    add_dependencies(tests-fuzz fuzz_${name}_replay)
    add_test(NAME fuzz.${name} COMMAND fuzz_${name}_replay
             ${PROJECT_SOURCE_DIR}/tests/fuzz/corpus/${name})
    set_tests_properties(fuzz.${name} PROPERTIES LABELS fuzz TIMEOUT 300)
    if(P2PLS_FUZZ)
        add_executable(fuzz_${name} ${arg_SOURCES})
        target_link_libraries(fuzz_${name} PRIVATE p2pls_flags ${arg_DEPS})
        target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer)
        add_dependencies(fuzzers fuzz_${name})
    endif()
endfunction()

# Executables land in one folder so that integration tests and scripts find them.
set(CMAKE_RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin)
