#include "portal/core/placement.hpp"

namespace p2pls::portal {

std::vector<std::size_t> place_slice(std::uint64_t index, const std::vector<bool>& up,
                                     std::size_t replicas) {
    std::vector<std::size_t> out;
    const std::size_t n = up.size();
    for (std::size_t k = 0; k < n && out.size() < replicas; ++k) {
        const std::size_t zone = static_cast<std::size_t>((index + k) % n);
        if (up[zone]) {
            out.push_back(zone);
        }
    }
    return out;
}

}  // namespace p2pls::portal
