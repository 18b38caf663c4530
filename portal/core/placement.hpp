// Where the copies of each slice go (the draft's §6.1: the portal stores the chunks "in
// the DECADE servers of the zones", with a replication factor per file).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace p2pls::portal {

// The zones that get slice `index`'s copies: `replicas` of the zones that are up,
// starting at index mod n and going round, so that slices, and the load of serving them,
// spread evenly over the zones. Fewer when fewer zones are up; none when none is.
std::vector<std::size_t> place_slice(std::uint64_t index, const std::vector<bool>& up,
                                     std::size_t replicas);

}  // namespace p2pls::portal
