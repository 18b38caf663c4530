// The peer's /metrics page: its QoE report in the Prometheus text format. A pure function
// of the report so that the page and the report (and the stats JSON) never disagree.
#pragma once

#include <string>

#include "p2pls/report.pb.h"

namespace p2pls::peer {

// Every metric is named p2pls_peer_<what>; counters end in _total, as Prometheus expects.
[[nodiscard]] std::string render_peer_metrics(const report::QoeReport& r);

}  // namespace p2pls::peer
