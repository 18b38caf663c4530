// Small file and HTTP helpers of the testbed (blocking, bounded).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace p2pls::experiments {

// The whole file, or its last `max_bytes` bytes; nullopt if it cannot be read.
std::optional<std::string> read_tail(const std::string& path, std::size_t max_bytes);
// Writes through a temp file and rename, so a reader never sees half a file.
bool write_file(const std::string& path, const std::string& text);
// The last non-empty line of a log file (for error messages), "" if none.
std::string last_log_line(const std::string& path);
// A port number written by a --port-file flag; nullopt until the file is complete.
std::optional<std::uint16_t> read_port_file(const std::string& path);

// GET http://host:port/path (host: an IPv4 address) with a timeout; the status code or
// nullopt.
std::optional<int> http_get_status(const std::string& host, std::uint16_t port,
                                   const std::string& path, std::chrono::milliseconds timeout);
// The same over HTTPS (libcurl), the server's certificate verified against `ca_file`.
std::optional<int> https_get_status(const std::string& host, std::uint16_t port,
                                    const std::string& path, const std::string& ca_file,
                                    std::chrono::milliseconds timeout);

}  // namespace p2pls::experiments
