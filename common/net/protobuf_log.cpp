#include "common/net/protobuf_log.hpp"

#include <google/protobuf/stubs/logging.h>
#include <spdlog/spdlog.h>

#include <string>

namespace p2pls::net {
namespace {

void to_spdlog(google::protobuf::LogLevel level, const char* file, int line,
               const std::string& message) {
    // FATAL still aborts inside protobuf after this returns: say it loudly first.
    if (level == google::protobuf::LOGLEVEL_FATAL) {
        spdlog::critical("protobuf {}:{}: {}", file, line, message);
        return;
    }
    spdlog::debug("protobuf {}:{}: {}", file, line, message);
}

}  // namespace

void route_protobuf_log_to_debug() {
    google::protobuf::SetLogHandler(&to_spdlog);
}

}  // namespace p2pls::net
