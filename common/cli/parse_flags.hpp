// How every executable reads its flags, so that they all answer alike: --help prints the
// help and exits 0; a bad flag is one line, "<program>: <what> (see --help)", and exit
// code 2. And one spelling of --log-level. Header-only, like the rest of common/cli, so
// that each executable's CLI11 setup stays in its main.cpp.
#pragma once

#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <optional>
#include <string>

namespace p2pls::cli {

// Parses argv into `app`. nullopt: go on; otherwise the exit code to end with now.
inline std::optional<int> parse_flags(CLI::App& app, int argc, char** argv, const char* program) {
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::fprintf(stderr, "%s: %s (see --help)\n", program, e.what());
        return 2;
    }
    return std::nullopt;
}

// Sets spdlog's level from --log-level (trace, debug, info, warn, error, critical, off);
// false, after one line on stderr, when the name is none of them.
inline bool set_log_level(const std::string& name, const char* program) {
    const auto level = spdlog::level::from_str(name);
    if (level == spdlog::level::off && name != "off") {
        std::fprintf(stderr, "%s: unknown log level \"%s\"\n", program, name.c_str());
        return false;
    }
    spdlog::set_level(level);
    return true;
}

}  // namespace p2pls::cli
