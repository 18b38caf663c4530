#include "process.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

namespace p2pls::player::test {

using namespace std::chrono_literals;

Process::Process(std::string program, std::vector<std::string> args, std::string output_path,
                 std::vector<std::string> env)
    : output_path_(std::move(output_path)) {
    const int fd = ::open(output_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_ = fork();
    if (pid_ == 0) {
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        for (const auto& e : env) {
            const auto eq = e.find('=');
            const auto name = e.substr(0, eq);
            const auto value = e.substr(eq + 1);
            if (value.empty()) {
                unsetenv(name.c_str());
            } else {
                setenv(name.c_str(), value.c_str(), 1);
            }
        }
        std::vector<char*> argv;
        argv.push_back(program.data());
        for (auto& a : args) {
            argv.push_back(a.data());
        }
        argv.push_back(nullptr);
        execv(program.c_str(), argv.data());
        _exit(127);
    }
    ::close(fd);
}

Process::~Process() {
    if (pid_ > 0 && !exit_code_) {
        terminate(3s);
    }
}

bool Process::running() {
    if (exit_code_) {
        return false;
    }
    int status = 0;
    const auto r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return false;
    }
    return r == 0;
}

std::optional<int> Process::wait_for(std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (running() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(20ms);
    }
    running();
    return exit_code_;
}

int Process::terminate(std::chrono::milliseconds grace) {
    if (running()) {
        kill(pid_, SIGTERM);
        if (!wait_for(grace)) {
            kill(pid_, SIGKILL);
            wait_for(5s);
        }
    }
    return exit_code_.value_or(-1);
}

void Process::signal(int signal) {
    if (running()) {
        kill(pid_, signal);
    }
}

std::string Process::output() const {
    std::ifstream in(output_path_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

bool Process::wait_for_output(const std::string& text, std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        if (output().find(text) != std::string::npos) {
            return true;
        }
        if (!running()) {
            return output().find(text) != std::string::npos;
        }
        std::this_thread::sleep_for(50ms);
    }
    return false;
}

std::string bin_dir() {
    const char* d = std::getenv("P2PLS_BIN_DIR");
    return d == nullptr ? std::string() : std::string(d);
}

int unused_port() {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
}

}  // namespace p2pls::player::test
