#include "common/core/proto_json.hpp"

#include <google/protobuf/message.h>
#include <google/protobuf/util/json_util.h>

namespace p2pls {

std::string to_json(const google::protobuf::Message& message) {
    google::protobuf::util::JsonPrintOptions options;
    options.preserve_proto_field_names = true;
    options.always_print_primitive_fields = true;
    std::string out;
    // Printing a valid in-memory message cannot fail for the types we use.
    (void)google::protobuf::util::MessageToJsonString(message, &out, options);
    return out;
}

std::optional<std::string> parse_json(std::string_view json, google::protobuf::Message& out) {
    out.Clear();
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = false;
    const auto status = google::protobuf::util::JsonStringToMessage(
        google::protobuf::StringPiece(json.data(), json.size()), &out, options);
    if (!status.ok()) {
        out.Clear();
        return std::string(status.message());
    }
    return std::nullopt;
}

}  // namespace p2pls
