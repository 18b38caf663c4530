#include "experiments/process/netns.hpp"

#include <unistd.h>

#include <chrono>

#include "experiments/process/children.hpp"
#include "experiments/process/files.hpp"

namespace p2pls::experiments {

namespace {
constexpr std::uint32_t kMaxPeers = 60'000;
}  // namespace

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
    lab->tag_ = "p2tb" + std::to_string(pid % 100'000);
    lab->bridge_ = lab->tag_ + "br";
    lab->subnet_ = 64 + static_cast<int>(pid % 128);
    lab->host_ = "10." + std::to_string(lab->subnet_) + ".0.1";
    lab->log_ = log_dir + "/netns-command.log";
    lab->peers_ = peers;
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
