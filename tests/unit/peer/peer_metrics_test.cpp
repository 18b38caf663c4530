// The /metrics page carries every figure of the report under its historical name, with a
// HELP and a TYPE line, so dashboards keep working.
#include "peer/core/peer_metrics.hpp"

#include <gtest/gtest.h>

namespace p2pls::peer {
namespace {

TEST(PeerMetrics, EveryFigureUnderItsName) {
    report::QoeReport r;
    r.set_startup_delay_s(1.5);
    r.set_chunks_due(10);
    r.set_chunks_missed(2);
    r.set_freezes(3);
    r.set_stalled_s(4.25);
    r.set_upload_media_bytes(5);
    r.set_upload_control_bytes(6);
    r.set_download_media_bytes(7);
    r.set_download_control_bytes(8);
    r.set_bytes_from_source(9);
    r.set_bytes_from_peers(11);
    r.set_chunks_rejected(12);
    r.set_neighbors(13);
    const std::string page = render_peer_metrics(r);
    for (const char* line :
         {"p2pls_peer_startup_delay_seconds 1.5\n", "p2pls_peer_chunks_due_total 10\n",
          "p2pls_peer_chunks_missed_total 2\n", "p2pls_peer_freezes_total 3\n",
          "p2pls_peer_stalled_seconds_total 4.25\n", "p2pls_peer_upload_media_bytes_total 5\n",
          "p2pls_peer_upload_control_bytes_total 6\n", "p2pls_peer_download_media_bytes_total 7\n",
          "p2pls_peer_download_control_bytes_total 8\n", "p2pls_peer_bytes_from_source_total 9\n",
          "p2pls_peer_bytes_from_peers_total 11\n", "p2pls_peer_chunks_rejected_total 12\n",
          "p2pls_peer_neighbors 13\n"}) {
        EXPECT_NE(page.find(line), std::string::npos) << line << "missing from\n" << page;
    }
    EXPECT_NE(page.find("# TYPE p2pls_peer_chunks_due_total counter\n"), std::string::npos);
    EXPECT_NE(page.find("# TYPE p2pls_peer_neighbors gauge\n"), std::string::npos);
    EXPECT_NE(page.find("# HELP p2pls_peer_freezes_total "), std::string::npos);
}

TEST(PeerMetrics, NotStartedShowsMinusOne) {
    report::QoeReport r;
    r.set_startup_delay_s(-1);
    EXPECT_NE(render_peer_metrics(r).find("p2pls_peer_startup_delay_seconds -1\n"),
              std::string::npos);
}

}  // namespace
}  // namespace p2pls::peer
