#include "experiments/process/files.hpp"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "common/posix/atomic_file.hpp"
#include "common/posix/fd.hpp"

namespace p2pls::experiments {

std::optional<std::string> read_tail(const std::string& path, std::size_t max_bytes) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return std::nullopt;
    }
    in.seekg(0, std::ios::end);
    const auto size = static_cast<std::size_t>(std::max<std::streamoff>(0, in.tellg()));
    const std::size_t take = std::min(size, max_bytes);
    in.seekg(static_cast<std::streamoff>(size - take));
    std::string text(take, '\0');
    in.read(text.data(), static_cast<std::streamsize>(take));
    text.resize(static_cast<std::size_t>(std::max<std::streamsize>(0, in.gcount())));
    if (take < size) {
        // Drop the partial first line.
        const auto nl = text.find('\n');
        text = nl == std::string::npos ? std::string() : text.substr(nl + 1);
    }
    return text;
}

bool write_file(const std::string& path, const std::string& text) {
    return posix::write_file_atomically(path, text).has_value();
}

std::string last_log_line(const std::string& path) {
    const auto text = read_tail(path, 4096);
    if (!text) {
        return "";
    }
    std::istringstream in(*text);
    std::string line;
    std::string last;
    while (std::getline(in, line)) {
        if (line.find_first_not_of(" \t\r") != std::string::npos) {
            last = line;
        }
    }
    return last;
}

std::optional<std::uint16_t> read_port_file(const std::string& path) {
    const auto text = read_tail(path, 64);
    if (!text || text->empty() || text->back() != '\n') {
        return std::nullopt;
    }
    unsigned port = 0;
    if (std::sscanf(text->c_str(), "%u", &port) != 1 || port == 0 || port > 65535) {
        return std::nullopt;
    }
    return static_cast<std::uint16_t>(port);
}

namespace {

using posix::Fd;

bool wait_fd(int fd, short events, std::chrono::steady_clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
        return false;
    }
    pollfd p{.fd = fd, .events = events, .revents = 0};
    return ::poll(&p, 1, static_cast<int>(left.count())) == 1;
}

}  // namespace

std::optional<int> http_get_status(const std::string& host, std::uint16_t port,
                                   const std::string& path, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (fd.get() < 0) {
        return std::nullopt;
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
        return std::nullopt;
    }
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
        if (errno != EINPROGRESS || !wait_fd(fd.get(), POLLOUT, deadline)) {
            return std::nullopt;
        }
        int err = 0;
        socklen_t len = sizeof err;
        if (getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
            return std::nullopt;
        }
    }
    const std::string request =
        "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n";
    std::size_t sent = 0;
    while (sent < request.size()) {
        const auto n = ::send(fd.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
        if (n > 0) {
            sent += static_cast<std::size_t>(n);
        } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            if (!wait_fd(fd.get(), POLLOUT, deadline)) {
                return std::nullopt;
            }
        } else {
            return std::nullopt;
        }
    }
    std::string head;
    char buf[512];
    while (head.find("\r\n") == std::string::npos && head.size() < 4096) {
        if (!wait_fd(fd.get(), POLLIN, deadline)) {
            return std::nullopt;
        }
        const auto n = ::recv(fd.get(), buf, sizeof buf, 0);
        if (n <= 0) {
            if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
                continue;
            }
            break;
        }
        head.append(buf, static_cast<std::size_t>(n));
    }
    int status = 0;
    if (std::sscanf(head.c_str(), "HTTP/1.%*d %d", &status) != 1) {
        return std::nullopt;
    }
    return status;
}

std::optional<int> https_get_status(const std::string& host, std::uint16_t port,
                                    const std::string& path, const std::string& ca_file,
                                    std::chrono::milliseconds timeout) {
    CURL* curl = curl_easy_init();
    if (curl == nullptr) {
        return std::nullopt;
    }
    const std::string url = "https://" + host + ":" + std::to_string(port) + path;
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_CAINFO, ca_file.c_str());
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
    curl_easy_setopt(
        curl, CURLOPT_WRITEFUNCTION,
        +[](char*, std::size_t size, std::size_t n, void*) { return size * n; });
    std::optional<int> status;
    if (curl_easy_perform(curl) == CURLE_OK) {
        long code = 0;
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
        status = static_cast<int>(code);
    }
    curl_easy_cleanup(curl);
    return status;
}

}  // namespace p2pls::experiments
