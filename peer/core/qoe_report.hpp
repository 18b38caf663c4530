// The peer's QoE report (DESIGN.md §5; field names in docs/metrics.md): a pure function
// of what the engine counted, so that the figures can be checked without an engine.
#pragma once

#include <cstdint>

#include "common/core/ids.hpp"
#include "common/core/time.hpp"
#include "p2pls/report.pb.h"
#include "peer/core/decade_fetcher.hpp"
#include "peer/core/playback.hpp"
#include "peer/core/traffic.hpp"

namespace p2pls::peer {

struct QoeInputs {
    const PeerId& peer_id;
    bool decade = false;     // the mode the peer plays in
    TimePoint started_at{};  // when it started joining
    const Playback& playback;
    const Traffic& traffic;
    const DecadeStats& decade_stats;
    std::uint32_t neighbors = 0;  // established connections
};

// The report at `now`; `final` marks the last one of a session.
[[nodiscard]] report::QoeReport make_qoe_report(const QoeInputs& in, TimePoint now, bool final);

}  // namespace p2pls::peer
