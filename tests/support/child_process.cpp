#include "tests/support/child_process.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace p2pls::testing {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// How often the waits look again; short next to every deadline the tests use.
constexpr auto kPoll = 10ms;

int exit_code_of(int status) {
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Ours with `changes` applied. Built before fork(): the child of a threaded test binary may
// only make async-signal-safe calls, and setenv() allocates.
std::vector<std::string> child_environment(const std::vector<std::string>& changes) {
    std::vector<std::string> env;
    for (char** e = environ; *e != nullptr; ++e) {
        env.emplace_back(*e);
    }
    for (const auto& change : changes) {
        const auto eq = change.find('=');
        const std::string prefix = change.substr(0, eq) + "=";
        std::erase_if(env, [&](const std::string& e) { return e.starts_with(prefix); });
        if (eq != std::string::npos && eq + 1 < change.size()) {
            env.push_back(change);
        }
    }
    return env;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
    std::vector<char*> out;
    for (auto& s : strings) {
        out.push_back(s.data());
    }
    out.push_back(nullptr);
    return out;
}

// Where one stream goes: a named file (kept) or an anonymous one (gone with the fd).
int open_sink(const std::filesystem::path& path, const char* name) {
    if (path.empty()) {
        return ::memfd_create(name, MFD_CLOEXEC);
    }
    return ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
}

// pread leaves the offset the child writes at alone.
std::string read_sink(int fd) {
    std::string out;
    if (fd < 0) {
        return out;
    }
    char buf[65536];
    off_t at = 0;
    ssize_t n = 0;
    while ((n = ::pread(fd, buf, sizeof buf, at)) > 0) {
        out.append(buf, static_cast<std::size_t>(n));
        at += n;
    }
    return out;
}

void close_fd(int& fd) {
    if (fd >= 0) {
        ::close(fd);
        fd = -1;
    }
}

}  // namespace

bool have_program(const std::string& name) {
    const char* path = std::getenv("PATH");
    std::string_view dirs = path != nullptr ? path : "";
    while (!dirs.empty()) {
        const auto colon = dirs.find(':');
        const std::filesystem::path dir{std::string(dirs.substr(0, colon))};
        if (!dir.empty() && access((dir / name).c_str(), X_OK) == 0) {
            return true;
        }
        dirs = colon == std::string_view::npos ? std::string_view{} : dirs.substr(colon + 1);
    }
    return false;
}

std::string bin_path(std::string_view name) {
    const char* dir = std::getenv("P2PLS_BIN_DIR");
    return std::string(dir != nullptr ? dir : ".") + "/" + std::string(name);
}

ChildProcess& Processes::spawn(const std::string& exe, std::vector<std::string> args,
                               std::vector<std::string> env) {
    const auto log = dir_ / (exe + std::to_string(children_.size()) + ".log");
    args.insert(args.begin(), bin_path(exe));
    children_.push_back(std::make_unique<ChildProcess>(
        std::move(args), ChildOptions{.env = std::move(env), .log_file = log}));
    return *children_.back();
}

TempDir::TempDir(std::string_view prefix) {
    std::string pattern =
        (std::filesystem::temp_directory_path() / (std::string(prefix) + "-XXXXXX")).string();
    if (::mkdtemp(pattern.data()) == nullptr) {
        throw std::runtime_error("mkdtemp failed: " + std::string(std::strerror(errno)));
    }
    path_ = pattern;
}

TempDir::~TempDir() {
    if (keep_) {
        return;
    }
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
}

std::uint16_t unused_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
}

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (!done()) {
        if (Clock::now() >= deadline) {
            return done();
        }
        std::this_thread::sleep_for(kPoll);
    }
    return true;
}

ChildProcess::ChildProcess(std::vector<std::string> argv, ChildOptions options) {
    if (argv.empty()) {
        throw std::invalid_argument("ChildProcess: empty argv");
    }
    out_fd_ = open_sink(options.log_file, "child-output");
    if (options.separate_stderr) {
        err_fd_ = open_sink({}, "child-errors");
    }
    // Closed by a successful exec; otherwise the child writes errno into it first.
    int report[2];
    if (out_fd_ < 0 || (options.separate_stderr && err_fd_ < 0) || ::pipe2(report, O_CLOEXEC)) {
        release();
        throw std::runtime_error("ChildProcess: " + std::string(std::strerror(errno)));
    }
    auto env = child_environment(options.env);
    const auto c_argv = c_strings(argv);
    const auto c_env = c_strings(env);
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) {  // the test died before prctl took effect
            ::_exit(127);
        }
        ::dup2(out_fd_, STDOUT_FILENO);
        ::dup2(err_fd_ >= 0 ? err_fd_ : out_fd_, STDERR_FILENO);
        ::execvpe(c_argv[0], c_argv.data(), c_env.data());
        const int error = errno;
        (void)!::write(report[1], &error, sizeof error);
        ::_exit(127);
    }
    ::close(report[1]);
    if (pid_ < 0) {
        ::close(report[0]);
        return;
    }
    int error = 0;
    ssize_t n = 0;
    while ((n = ::read(report[0], &error, sizeof error)) < 0 && errno == EINTR) {
    }
    ::close(report[0]);
    started_ = n == 0;
    if (!started_) {
        int status = 0;
        ::waitpid(pid_, &status, 0);
        exit_code_ = exit_code_of(status);
        const std::string why = argv[0] + ": cannot run: " + std::strerror(error) + "\n";
        (void)!::pwrite(err_fd_ >= 0 ? err_fd_ : out_fd_, why.data(), why.size(), 0);
    }
}

ChildProcess::~ChildProcess() {
    stop();
    release();
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      started_(std::exchange(other.started_, false)),
      exit_code_(std::exchange(other.exit_code_, std::nullopt)),
      out_fd_(std::exchange(other.out_fd_, -1)),
      err_fd_(std::exchange(other.err_fd_, -1)) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
    if (this != &other) {
        stop();
        release();
        pid_ = std::exchange(other.pid_, -1);
        started_ = std::exchange(other.started_, false);
        exit_code_ = std::exchange(other.exit_code_, std::nullopt);
        out_fd_ = std::exchange(other.out_fd_, -1);
        err_fd_ = std::exchange(other.err_fd_, -1);
    }
    return *this;
}

void ChildProcess::release() noexcept {
    close_fd(out_fd_);
    close_fd(err_fd_);
}

bool ChildProcess::running() {
    if (pid_ <= 0 || exit_code_) {
        return false;
    }
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == 0) {
        return true;
    }
    exit_code_ = r == pid_ ? exit_code_of(status) : -1;
    return false;
}

std::optional<int> ChildProcess::wait(std::chrono::milliseconds timeout) {
    wait_until([this] { return !running(); }, timeout);
    return exit_code_;
}

void ChildProcess::signal(int sig) {
    if (running()) {
        ::kill(pid_, sig);
    }
}

int ChildProcess::stop(int sig, std::chrono::milliseconds grace) {
    if (running()) {
        ::kill(pid_, sig);
        ::kill(pid_, SIGCONT);  // a SIGSTOPped child acts on nothing until continued
        if (!wait(grace)) {
            ::kill(pid_, SIGKILL);
            int status = 0;
            exit_code_ = ::waitpid(pid_, &status, 0) == pid_ ? exit_code_of(status) : -1;
        }
    }
    return exit_code_.value_or(-1);
}

std::string ChildProcess::output() const {
    return read_sink(out_fd_);
}

std::string ChildProcess::error_output() const {
    return read_sink(err_fd_);
}

bool ChildProcess::wait_for_output(const std::function<bool(const std::string&)>& done,
                                   std::chrono::milliseconds timeout) {
    wait_until([&] { return !running() || done(output()); }, timeout);
    return done(output());
}

bool ChildProcess::wait_for_output(std::string_view text, std::chrono::milliseconds timeout) {
    return wait_for_output(
        [text](const std::string& out) { return out.find(text) != std::string::npos; }, timeout);
}

std::optional<std::uint16_t> ChildProcess::wait_for_port_file(const std::filesystem::path& file,
                                                              std::chrono::milliseconds timeout) {
    const auto read_port = [&]() -> std::optional<std::uint16_t> {
        std::ifstream in(file);
        unsigned port = 0;
        if (in >> port && port != 0 && port <= 65535) {
            return static_cast<std::uint16_t>(port);
        }
        return std::nullopt;
    };
    std::optional<std::uint16_t> port;
    wait_until(
        [&] {
            const bool ended = !running();
            port = read_port();
            return port || ended;
        },
        timeout);
    return port;
}

std::pair<int, std::string> run(std::vector<std::string> argv, std::chrono::milliseconds timeout,
                                ChildOptions options) {
    ChildProcess child(std::move(argv), std::move(options));
    const auto code = child.wait(timeout);
    if (!code) {
        child.stop(SIGKILL);
    }
    return {code.value_or(-1), child.output()};
}

ServerProcess::ServerProcess(std::string executable, std::filesystem::path port_file,
                             ChildOptions options)
    : executable_(std::move(executable)),
      port_file_(std::move(port_file)),
      options_(std::move(options)) {}

bool ServerProcess::start(std::vector<std::string> args, std::uint16_t port,
                          std::chrono::milliseconds timeout) {
    // A port file left by an earlier run would name the old port.
    std::error_code ignored;
    std::filesystem::remove(port_file_, ignored);
    args.insert(args.begin(), {executable_, "--listen", "127.0.0.1:" + std::to_string(port),
                               "--port-file", port_file_.string()});
    child_.reset();
    child_.emplace(std::move(args), options_);
    const auto bound = child_->wait_for_port_file(port_file_, timeout);
    port_ = bound.value_or(0);
    return bound.has_value();
}

int ServerProcess::stop(int sig, std::chrono::milliseconds grace) {
    return child_ ? child_->stop(sig, grace) : -1;
}

std::string ServerProcess::url() const {
    return "http://127.0.0.1:" + std::to_string(port_);
}

std::string ServerProcess::output() const {
    return child_ ? child_->output() : std::string();
}

}  // namespace p2pls::testing
