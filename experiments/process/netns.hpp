// --netns: every peer in its own Linux network namespace, on a veth pair whose host end
// hangs on one bridge, with an HTB class shaping the peer's upload (root only). The
// tracker, source and DECADE servers listen on the bridge's address in the testbed's
// own namespace. This kernel has no netem: one-way delay stays the transport's job.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace p2pls::experiments {

class NetnsLab {
  public:
    // Creates the bridge and `peers` namespaces, each shaped to `upload_bps` bytes/s
    // (0 = unshaped). nullptr and `why` on failure (what was made is removed again).
    // First removes what killed testbeds left behind (see leftovers_removed()).
    static std::unique_ptr<NetnsLab> create(std::uint32_t peers, std::uint64_t upload_bps,
                                            const std::string& log_dir, std::string& why);
    ~NetnsLab();  // removes every namespace and the bridge
    NetnsLab(const NetnsLab&) = delete;
    NetnsLab& operator=(const NetnsLab&) = delete;

    [[nodiscard]] const std::string& host_address() const { return host_; }
    [[nodiscard]] std::string ns(std::uint32_t peer) const;
    [[nodiscard]] std::string address(std::uint32_t peer) const;
    [[nodiscard]] std::uint32_t peers() const { return peers_; }
    // Namespaces and interfaces of earlier testbeds that are no longer running (a SIGKILL
    // skips the teardown) that create() removed.
    [[nodiscard]] std::uint32_t leftovers_removed() const { return leftovers_removed_; }

  private:
    NetnsLab() = default;
    bool run(const std::vector<std::string>& argv, std::string& why) const;
    void remove_leftovers();

    std::string tag_;
    std::string bridge_;
    std::string host_;
    std::string log_;
    int subnet_ = 77;
    std::uint32_t peers_ = 0;
    std::uint32_t made_ = 0;  // namespaces created so far (for the teardown)
    std::uint32_t leftovers_removed_ = 0;
};

}  // namespace p2pls::experiments
