// JSON <-> protobuf messages through protobuf's JSON mapping, with the proto field
// names ("peer_id", not "peerId"). The HTTP APIs and the QoE reports use it, so every
// schema is written once, in proto/.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace google::protobuf {
class Message;
}

namespace p2pls {

// Compact one-line JSON. Fields at their default value are printed too, so that a
// reader sees every field of a report or reply.
std::string to_json(const google::protobuf::Message& message);

// Parses `json` into `out` (cleared first). Unknown fields and wrong types are errors.
// Returns nullopt on success, or a description of the first problem.
[[nodiscard]] std::optional<std::string> parse_json(std::string_view json,
                                                    google::protobuf::Message& out);

}  // namespace p2pls
