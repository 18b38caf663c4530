#include "experiments/process/children.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

namespace p2pls::experiments {

namespace {

volatile sig_atomic_t g_stop_signal = 0;

extern "C" void on_stop_signal(int sig) {
    g_stop_signal = sig;
}

int decode(int status) {
    if (WIFEXITED(status)) {
        return WEXITSTATUS(status);
    }
    if (WIFSIGNALED(status)) {
        return 128 + WTERMSIG(status);
    }
    return -1;
}

// fork + exec. Only async-signal-safe calls between fork and exec.
pid_t spawn(const std::vector<std::string>& args, int log_fd, std::string& why) {
    std::vector<char*> argv;
    argv.reserve(args.size() + 1);
    for (const auto& a : args) {
        argv.push_back(const_cast<char*>(a.c_str()));
    }
    argv.push_back(nullptr);
    const pid_t parent = getpid();
    const pid_t pid = fork();
    if (pid < 0) {
        why = std::string("fork: ") + std::strerror(errno);
        return -1;
    }
    if (pid == 0) {
        // Die with the testbed, whatever kills it.
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) {
            _exit(127);  // the testbed died before prctl took effect
        }
        // Default dispositions and an empty mask for the child.
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
        signal(SIGPIPE, SIG_DFL);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, nullptr);
        const int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0) {
            dup2(devnull, 0);
        }
        if (log_fd >= 0) {
            dup2(log_fd, 1);
            dup2(log_fd, 2);
        }
        execvp(argv[0], argv.data());
        const char* msg = "p2pls-testbed: exec failed: ";
        (void)!write(2, msg, std::strlen(msg));
        (void)!write(2, argv[0], std::strlen(argv[0]));
        (void)!write(2, "\n", 1);
        _exit(127);
    }
    return pid;
}

}  // namespace

void install_stop_handlers() {
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: sleeps end early on a signal
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGHUP, &sa, nullptr);
    ::signal(SIGPIPE, SIG_IGN);
}

bool stop_requested() {
    return g_stop_signal != 0;
}

int stop_signal() {
    return g_stop_signal;
}

Children::~Children() {
    stop_all(std::chrono::milliseconds(2000));
}

Result<pid_t> Children::start(const ProcessSpec& spec, std::string& why) {
    if (spec.argv.empty()) {
        why = spec.name + ": empty command";
        return make_error_code(Errc::bad_request);
    }
    int fd = -1;
    if (!spec.log.empty()) {
        fd = ::open(spec.log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) {
            why = "cannot open log " + spec.log + ": " + std::strerror(errno);
            return make_error_code(Errc::io_error);
        }
    }
    const pid_t pid = spawn(spec.argv, fd, why);
    if (fd >= 0) {
        ::close(fd);
    }
    if (pid < 0) {
        return make_error_code(Errc::io_error);
    }
    live_.push_back({.name = spec.name, .pid = pid, .asked = false});
    return pid;
}

std::vector<Exit> Children::reap() {
    std::vector<Exit> exits;
    for (auto it = live_.begin(); it != live_.end();) {
        int status = 0;
        const pid_t r = waitpid(it->pid, &status, WNOHANG);
        if (r == it->pid || (r < 0 && errno == ECHILD)) {
            exits.push_back({.name = it->name,
                             .pid = it->pid,
                             .code = r == it->pid ? decode(status) : -1,
                             .by_us = it->asked});
            it = live_.erase(it);
        } else {
            ++it;
        }
    }
    return exits;
}

void Children::signal(const std::string& name, int sig) {
    for (auto& c : live_) {
        if (c.name == name) {
            c.asked = true;
            ::kill(c.pid, sig);
        }
    }
}

std::vector<Exit> Children::stop(const std::vector<std::string>& names,
                                 std::chrono::milliseconds grace) {
    const auto chosen = [&](const Child& c) {
        return names.empty() || std::find(names.begin(), names.end(), c.name) != names.end();
    };
    for (auto& c : live_) {
        if (chosen(c)) {
            c.asked = true;
            ::kill(c.pid, SIGTERM);
        }
    }
    std::vector<Exit> exits;
    const auto deadline = std::chrono::steady_clock::now() + grace;
    while (true) {
        for (auto& e : reap()) {
            exits.push_back(std::move(e));
        }
        const bool any = std::any_of(live_.begin(), live_.end(), chosen);
        if (!any) {
            break;
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            for (auto& c : live_) {
                if (chosen(c)) {
                    ::kill(c.pid, SIGKILL);
                }
            }
            for (auto it = live_.begin(); it != live_.end();) {
                if (!chosen(*it)) {
                    ++it;
                    continue;
                }
                int status = 0;
                while (waitpid(it->pid, &status, 0) < 0 && errno == EINTR) {
                }
                exits.push_back(
                    {.name = it->name, .pid = it->pid, .code = decode(status), .by_us = true});
                it = live_.erase(it);
            }
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling waitpid
    }
    return exits;
}

bool Children::running(const std::string& name) const {
    return std::any_of(live_.begin(), live_.end(), [&](const Child& c) { return c.name == name; });
}

std::vector<pid_t> Children::pids() const {
    std::vector<pid_t> out;
    for (const auto& c : live_) {
        out.push_back(c.pid);
    }
    return out;
}

std::optional<int> run_to_end(const std::vector<std::string>& argv, const std::string& output_file,
                              std::chrono::milliseconds limit, bool stop_on_signal) {
    Children children;
    std::string why;
    const ProcessSpec spec{.name = "cmd", .argv = argv, .log = output_file};
    if (!children.start(spec, why)) {
        return std::nullopt;
    }
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        const auto exits = children.reap();
        if (!exits.empty()) {
            return exits.front().code;
        }
        if (stop_on_signal && stop_requested()) {
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));  // polling waitpid
    }
    children.stop_all(std::chrono::milliseconds(0));
    return std::nullopt;
}

}  // namespace p2pls::experiments
