// What a viewer accepts from the tracker's ChannelInfo: the first verified key and epoch,
// a pinned key only, no key change in a session, and a newer run of the same key.
#include "peer/core/channel_trust.hpp"

#include <gtest/gtest.h>

namespace p2pls::peer {
namespace {

using Verdict = ChannelTrust::Verdict;

KeyPair keys(unsigned char n) {
    KeySeed seed{};
    seed.fill(n);
    return keypair_from_seed(seed);
}

// The ChannelInfo a tracker relays for a source of `key` in run `epoch_byte`, signed at `ts`.
tracker_api::ChannelInfo info(const KeyPair& key, unsigned char epoch_byte, std::int64_t ts) {
    tracker_api::ChannelInfo c;
    c.set_name("news");
    c.set_public_key(std::string(reinterpret_cast<const char*>(key.public_key.data()), 32));
    c.set_live_edge(9);
    c.set_source_peer_id("source-news");
    c.set_source_signed_endpoint("127.0.0.1:8100");
    SourceEpoch epoch{};
    epoch.fill(epoch_byte);
    c.set_source_epoch(std::string(reinterpret_cast<const char*>(epoch.data()), epoch.size()));
    c.set_source_timestamp_ms(static_cast<std::uint64_t>(ts));
    SourceStatement s;
    s.channel = "news";
    s.peer_id = c.source_peer_id();
    s.endpoint = c.source_signed_endpoint();
    s.epoch = epoch;
    s.live_edge = c.live_edge();
    s.timestamp_ms = ts;
    const Signature sig = sign_source_statement(key.secret_key, s);
    c.set_source_signature(std::string(reinterpret_cast<const char*>(sig.data()), sig.size()));
    return c;
}

TEST(ChannelTrust, TheFirstKeyIsKeptForTheSession) {
    ChannelTrust trust("news", std::nullopt);
    std::string why;
    EXPECT_EQ(trust.on_channel_info(tracker_api::ChannelInfo{}, why), Verdict::no_key_yet);
    EXPECT_EQ(trust.on_channel_info(info(keys(1), 1, 1000), why), Verdict::accepted);
    EXPECT_EQ(trust.key(), keys(1).public_key);
    EXPECT_EQ(trust.on_channel_info(info(keys(1), 1, 2000), why), Verdict::unchanged);
    // A tracker that now reports another (validly self-signed) key is refused.
    EXPECT_EQ(trust.on_channel_info(info(keys(2), 2, 3000), why), Verdict::refused_change);
    EXPECT_NE(why.find("keeping"), std::string::npos) << why;
    EXPECT_EQ(trust.key(), keys(1).public_key);
    EXPECT_EQ(trust.epoch()[0], 1);
}

TEST(ChannelTrust, APinnedKeyIsTheOnlyOneAccepted) {
    ChannelTrust trust("news", keys(1).public_key);
    std::string why;
    EXPECT_EQ(trust.on_channel_info(info(keys(2), 1, 1000), why), Verdict::refused_pin);
    EXPECT_FALSE(trust.key().has_value());
    EXPECT_EQ(trust.on_channel_info(info(keys(1), 1, 1000), why), Verdict::accepted);
}

TEST(ChannelTrust, ANewerRunOfTheSameKeyIsANewEpochAnOlderOneIsIgnored) {
    ChannelTrust trust("news", std::nullopt);
    std::string why;
    ASSERT_EQ(trust.on_channel_info(info(keys(1), 1, 5000), why), Verdict::accepted);
    EXPECT_EQ(trust.on_channel_info(info(keys(1), 2, 4000), why), Verdict::unchanged);
    EXPECT_EQ(trust.epoch()[0], 1);
    EXPECT_EQ(trust.on_channel_info(info(keys(1), 2, 6000), why), Verdict::new_epoch);
    EXPECT_EQ(trust.epoch()[0], 2);
    // The old run's statement, relayed again, cannot move the viewer back.
    EXPECT_EQ(trust.on_channel_info(info(keys(1), 1, 5000), why), Verdict::unchanged);
    EXPECT_EQ(trust.epoch()[0], 2);
}

TEST(ChannelTrust, AStatementThatDoesNotVerifyIsRefused) {
    ChannelTrust trust("news", std::nullopt);
    std::string why;
    auto forged = info(keys(1), 1, 1000);
    forged.set_source_epoch(std::string(16, '\x07'));  // the tracker made up an epoch
    EXPECT_EQ(trust.on_channel_info(forged, why), Verdict::refused_forgery);
    EXPECT_FALSE(trust.key().has_value());
    ChannelTrust other_channel("sport", std::nullopt);
    EXPECT_EQ(other_channel.on_channel_info(info(keys(1), 1, 1000), why), Verdict::refused_forgery);
}

}  // namespace
}  // namespace p2pls::peer
