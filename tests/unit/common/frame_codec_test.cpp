#include "common/core/frame_codec.hpp"

#include <gtest/gtest.h>

#include "common/core/peer_codec.hpp"

namespace p2pls {
namespace {

wire::PeerMessage make_have(std::initializer_list<std::uint64_t> seqs) {
    wire::PeerMessage m;
    for (auto s : seqs) {
        m.mutable_have()->add_seqs(s);
    }
    return m;
}

std::vector<wire::PeerMessage> drain(FrameDecoder& decoder) {
    std::vector<wire::PeerMessage> out;
    for (;;) {
        auto frame = decoder.next();
        EXPECT_TRUE(frame.has_value()) << frame.error().message();
        if (!frame || !frame->has_value()) {
            return out;
        }
        auto message = parse_peer_message(**frame);
        EXPECT_TRUE(message.has_value());
        out.push_back(*message);
    }
}

TEST(FrameCodec, RoundTripsOneMessage) {
    const auto frame = encode_peer_frame(make_have({1, 2, 3}));
    FrameDecoder decoder;
    decoder.feed(frame);
    const auto messages = drain(decoder);
    ASSERT_EQ(messages.size(), 1u);
    ASSERT_TRUE(messages[0].has_have());
    EXPECT_EQ(messages[0].have().seqs_size(), 3);
    EXPECT_EQ(messages[0].have().seqs(2), 3u);
    EXPECT_EQ(decoder.buffered_bytes(), 0u);
}

TEST(FrameCodec, HeaderIsBigEndianLength) {
    std::string out;
    append_frame(out, std::string(258, 'x'));
    ASSERT_EQ(out.size(), 4u + 258u);
    EXPECT_EQ(out[0], 0);
    EXPECT_EQ(out[1], 0);
    EXPECT_EQ(out[2], 1);
    EXPECT_EQ(out[3], 2);
}

TEST(FrameCodec, DecodesInputSplitAtEveryByte) {
    std::string stream;
    for (std::uint64_t i = 1; i <= 5; ++i) {
        stream += encode_peer_frame(make_have({i, i * 100}));
    }
    FrameDecoder decoder;
    std::vector<wire::PeerMessage> got;
    for (char c : stream) {
        decoder.feed(std::string_view(&c, 1));
        auto more = drain(decoder);
        got.insert(got.end(), more.begin(), more.end());
    }
    ASSERT_EQ(got.size(), 5u);
    for (std::size_t i = 0; i < got.size(); ++i) {
        EXPECT_EQ(got[i].have().seqs(0), i + 1);
    }
}

TEST(FrameCodec, DecodesCoalescedFrames) {
    std::string stream;
    for (std::uint64_t i = 0; i < 100; ++i) {
        stream += encode_peer_frame(make_have({i}));
    }
    FrameDecoder decoder;
    decoder.feed(stream);
    EXPECT_EQ(drain(decoder).size(), 100u);
}

TEST(FrameCodec, RejectsOversizeLengthBeforeBuffering) {
    FrameDecoder decoder(1024);
    // A 4 GiB - 1 length prefix: must fail at once, not wait for 4 GiB.
    decoder.feed(std::string("\xff\xff\xff\xff", 4));
    auto frame = decoder.next();
    ASSERT_FALSE(frame.has_value());
    EXPECT_EQ(frame.error(), make_error_code(Errc::frame_too_large));
    // The failure sticks: framing is lost for good.
    decoder.feed(encode_peer_frame(make_have({1})));
    EXPECT_FALSE(decoder.next().has_value());
    EXPECT_TRUE(decoder.failed());
}

TEST(FrameCodec, AcceptsFrameExactlyAtCap) {
    FrameDecoder decoder(16);
    std::string stream;
    append_frame(stream, std::string(16, 'a'));
    decoder.feed(stream);
    auto frame = decoder.next();
    ASSERT_TRUE(frame.has_value());
    ASSERT_TRUE(frame->has_value());
    EXPECT_EQ((*frame)->size(), 16u);

    FrameDecoder small(15);
    small.feed(stream);
    EXPECT_EQ(small.next().error(), make_error_code(Errc::frame_too_large));
}

// A control message (anything but a Chunk) over the control cap loses framing at its
// first body byte; a Chunk of the same size passes, up to the frame cap.
TEST(FrameCodec, PeerWireCapsControlFramesBelowChunkFrames) {
    wire::PeerMessage big_have;
    for (std::uint64_t i = 0; i < kMaxControlFrameBytes / 4; ++i) {
        big_have.mutable_have()->add_seqs(i + (std::uint64_t{1} << 40));
    }
    FrameDecoder control(peer_frame_limits());
    const std::string have_frame = encode_peer_frame(big_have);
    ASSERT_GT(have_frame.size(), kMaxControlFrameBytes);
    control.feed(std::string_view(have_frame).substr(0, kFrameHeaderBytes));
    auto waiting = control.next();
    ASSERT_TRUE(waiting.has_value());  // the header alone does not say which cap applies
    EXPECT_FALSE(waiting->has_value());
    control.feed(std::string_view(have_frame).substr(kFrameHeaderBytes, 1));
    EXPECT_EQ(control.next().error(), make_error_code(Errc::frame_too_large));

    wire::PeerMessage chunk;
    chunk.mutable_chunk()->set_seq(7);
    chunk.mutable_chunk()->set_payload(std::string(kMaxControlFrameBytes * 4, 'x'));
    FrameDecoder bulk(peer_frame_limits());
    bulk.feed(encode_peer_frame(chunk));
    auto frame = bulk.next();
    ASSERT_TRUE(frame.has_value());
    ASSERT_TRUE(frame->has_value());
    auto parsed = parse_peer_message(**frame);
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(parsed->chunk().seq(), 7u);

    // A small control frame still passes, and so does one exactly at the control cap.
    FrameDecoder small(peer_frame_limits());
    std::string stream = encode_peer_frame(make_have({1}));
    append_frame(stream, std::string(kMaxControlFrameBytes, 'a'));
    small.feed(stream);
    auto first = small.next();
    ASSERT_TRUE(first.has_value());
    ASSERT_TRUE(first->has_value());
    EXPECT_TRUE(parse_peer_message(**first)->has_have());
    auto at_cap = small.next();
    ASSERT_TRUE(at_cap.has_value());
    ASSERT_TRUE(at_cap->has_value());
    EXPECT_EQ((*at_cap)->size(), kMaxControlFrameBytes);
}

TEST(FrameCodec, RejectsEmptyFrame) {
    FrameDecoder decoder;
    decoder.feed(std::string(4, '\0'));
    EXPECT_EQ(decoder.next().error(), make_error_code(Errc::frame_empty));
}

TEST(FrameCodec, GarbageBodyIsMalformedNotACrash) {
    // Bytes that are not a protobuf: field 15 with wire type 7 (invalid).
    const std::string garbage = "\x7f\xff\xff\xff\xff\xff";
    auto message = parse_peer_message(garbage);
    ASSERT_FALSE(message.has_value());
    EXPECT_EQ(message.error(), make_error_code(Errc::message_malformed));
}

TEST(FrameCodec, MessageWithoutBodyIsMalformed) {
    // An empty-but-valid protobuf carries no oneof body.
    EXPECT_EQ(parse_peer_message(std::string_view{}).error(),
              make_error_code(Errc::message_malformed));
}

TEST(FrameCodec, PartialFrameWaitsForMore) {
    const auto frame = encode_peer_frame(make_have({7}));
    FrameDecoder decoder;
    decoder.feed(std::string_view(frame).substr(0, frame.size() - 1));
    auto next = decoder.next();
    ASSERT_TRUE(next.has_value());
    EXPECT_FALSE(next->has_value());
    decoder.feed(std::string_view(frame).substr(frame.size() - 1));
    EXPECT_EQ(drain(decoder).size(), 1u);
}

TEST(FrameCodec, ChunkIsMediaEverythingElseControl) {
    wire::PeerMessage chunk;
    chunk.mutable_chunk()->set_seq(1);
    EXPECT_TRUE(is_media(chunk));
    EXPECT_FALSE(is_media(make_have({1})));
}

}  // namespace
}  // namespace p2pls
