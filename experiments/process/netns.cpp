#include "experiments/process/netns.hpp"

#include <unistd.h>

#include <charconv>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <string_view>

#include "experiments/process/children.hpp"
#include "experiments/process/files.hpp"

namespace p2pls::experiments {

namespace {
constexpr std::uint32_t kMaxPeers = 60'000;
constexpr std::string_view kTagPrefix = "p2tb";
constexpr unsigned kTagModulus = 100'000;

// The tag number of one of our names: "p2tb" + digits, then "-<i>" (namespace), "br"
// (bridge) or "h<i>" / "p<i>" (veth ends); nullopt for anything else.
std::optional<unsigned> tag_number(std::string_view name) {
    if (!name.starts_with(kTagPrefix)) {
        return std::nullopt;
    }
    name.remove_prefix(kTagPrefix.size());
    unsigned n = 0;
    const auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), n);
    const auto digits = static_cast<std::size_t>(end - name.data());
    if (ec != std::errc{} || digits == 0 || digits > 5) {
        return std::nullopt;
    }
    const std::string_view rest = name.substr(digits);
    const auto all_digits = [](std::string_view s) {
        return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
    };
    const bool ours =
        rest == "br" || (rest.starts_with("-") && all_digits(rest.substr(1))) ||
        ((rest.starts_with("h") || rest.starts_with("p")) && all_digits(rest.substr(1)));
    return ours ? std::optional<unsigned>(n) : std::nullopt;
}

// Tag numbers of the other p2pls-testbed processes running now (their labs are live).
std::set<unsigned> live_tags() {
    std::set<unsigned> out;
    const auto self = static_cast<unsigned long>(getpid());
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
        const std::string name = entry.path().filename().string();
        unsigned long pid = 0;
        const auto [end, err] = std::from_chars(name.data(), name.data() + name.size(), pid);
        if (err != std::errc{} || end != name.data() + name.size() || pid == self) {
            continue;
        }
        std::ifstream comm(entry.path() / "comm");
        std::string command;
        if (std::getline(comm, command) && command == "p2pls-testbed") {
            out.insert(static_cast<unsigned>(pid % kTagModulus));
        }
    }
    return out;
}

// Our names in `dir` (one entry per namespace or interface) whose testbed is gone.
std::vector<std::string> stale_names(const char* dir, const std::set<unsigned>& live) {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
        const std::string name = entry.path().filename().string();
        if (const auto tag = tag_number(name); tag && !live.contains(*tag)) {
            out.push_back(name);
        }
    }
    return out;
}
}  // namespace

void NetnsLab::remove_leftovers() {
    const std::set<unsigned> live = live_tags();
    std::string ignored;
    // Namespaces first: deleting one deletes the veth pair it holds an end of.
    for (const std::string& ns : stale_names("/run/netns", live)) {
        leftovers_removed_ += run({"ip", "netns", "del", ns}, ignored) ? 1 : 0;
    }
    for (const std::string& link : stale_names("/sys/class/net", live)) {
        leftovers_removed_ += run({"ip", "link", "del", link}, ignored) ? 1 : 0;
    }
}

bool NetnsLab::run(const std::vector<std::string>& argv, std::string& why) const {
    // Not interruptible: a half-built or half-removed lab must not be left behind.
    const auto code = run_to_end(argv, log_, std::chrono::milliseconds(10'000), false);
    if (code == 0) {
        return true;
    }
    std::string command;
    for (const auto& a : argv) {
        command += (command.empty() ? "" : " ") + a;
    }
    why = command + ": " + last_log_line(log_);
    return false;
}

std::unique_ptr<NetnsLab> NetnsLab::create(std::uint32_t peers, std::uint64_t upload_bps,
                                           const std::string& log_dir, std::string& why) {
    if (geteuid() != 0) {
        why = "--netns needs root (network namespaces, veth, tc)";
        return nullptr;
    }
    if (peers > kMaxPeers) {
        why = "--netns: at most " + std::to_string(kMaxPeers) + " peers";
        return nullptr;
    }
    std::unique_ptr<NetnsLab> lab(new NetnsLab());
    const auto pid = static_cast<unsigned>(getpid());
    // Interface names have at most 15 characters: "p2tb" + 5 digits + 'h'/'p' + 5 digits.
    lab->tag_ = std::string(kTagPrefix) + std::to_string(pid % kTagModulus);
    lab->bridge_ = lab->tag_ + "br";
    lab->subnet_ = 64 + static_cast<int>(pid % 128);
    lab->host_ = "10." + std::to_string(lab->subnet_) + ".0.1";
    lab->log_ = log_dir + "/netns-command.log";
    lab->peers_ = peers;
    lab->remove_leftovers();
    const std::string prefix = "/16";
    if (!lab->run({"ip", "link", "add", lab->bridge_, "type", "bridge"}, why) ||
        !lab->run({"ip", "addr", "add", lab->host_ + prefix, "dev", lab->bridge_}, why) ||
        !lab->run({"ip", "link", "set", lab->bridge_, "up"}, why)) {
        return nullptr;
    }
    // HTB in bits/s; a quarter on top of the media cap for control traffic.
    const std::string rate = std::to_string((upload_bps + upload_bps / 4) * 8) + "bit";
    for (std::uint32_t i = 0; i < peers; ++i) {
        const std::string ns = lab->ns(i);
        const std::string host_end = lab->tag_ + "h" + std::to_string(i);
        const std::string peer_end = lab->tag_ + "p" + std::to_string(i);
        if (!lab->run({"ip", "netns", "add", ns}, why)) {
            return nullptr;
        }
        ++lab->made_;
        const bool ok =
            lab->run({"ip", "link", "add", host_end, "type", "veth", "peer", "name", peer_end},
                     why) &&
            lab->run({"ip", "link", "set", peer_end, "netns", ns}, why) &&
            lab->run({"ip", "link", "set", host_end, "master", lab->bridge_}, why) &&
            lab->run({"ip", "link", "set", host_end, "up"}, why) &&
            lab->run({"ip", "-n", ns, "addr", "add", lab->address(i) + prefix, "dev", peer_end},
                     why) &&
            lab->run({"ip", "-n", ns, "link", "set", peer_end, "up"}, why) &&
            lab->run({"ip", "-n", ns, "link", "set", "lo", "up"}, why) &&
            (upload_bps == 0 ||
             (lab->run({"ip", "netns", "exec", ns, "tc", "qdisc", "add", "dev", peer_end, "root",
                        "handle", "1:", "htb", "default", "10"},
                       why) &&
              lab->run({"ip", "netns", "exec", ns, "tc", "class", "add", "dev", peer_end, "parent",
                        "1:", "classid", "1:10", "htb", "rate", rate, "ceil", rate},
                       why)));
        if (!ok) {
            return nullptr;
        }
    }
    return lab;
}

NetnsLab::~NetnsLab() {
    std::string ignored;
    // Deleting a namespace deletes the veth end in it, and with it the host end.
    for (std::uint32_t i = 0; i < made_; ++i) {
        run({"ip", "netns", "del", ns(i)}, ignored);
    }
    if (!bridge_.empty()) {
        run({"ip", "link", "del", bridge_}, ignored);
    }
}

std::string NetnsLab::ns(std::uint32_t peer) const {
    return tag_ + "-" + std::to_string(peer);
}

std::string NetnsLab::address(std::uint32_t peer) const {
    const std::uint32_t n = peer + 2;  // .0.0 is the network, .0.1 the bridge
    return "10." + std::to_string(subnet_) + "." + std::to_string(n / 256) + "." +
           std::to_string(n % 256);
}

}  // namespace p2pls::experiments
