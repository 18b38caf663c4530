#include "common/net/endpoint.hpp"

#include <boost/asio/ip/address.hpp>

namespace p2pls::net {

std::optional<boost::asio::ip::tcp::endpoint> to_tcp_endpoint(const HostPort& hp) {
    boost::system::error_code ec;
    const auto address = boost::asio::ip::make_address(hp.host, ec);
    if (ec) {
        return std::nullopt;
    }
    return boost::asio::ip::tcp::endpoint(address, hp.port);
}

Result<boost::asio::ip::tcp::endpoint> parse_tcp_endpoint(std::string_view text,
                                                          HostPortRules rules, std::string& why) {
    auto hp = parse_host_port(text, rules, why);
    if (!hp) {
        return hp.error();
    }
    auto endpoint = to_tcp_endpoint(*hp);
    if (!endpoint) {
        why = "\"" + hp->host + "\" is not an IP address";
        return Errc::bad_request;
    }
    return *endpoint;
}

}  // namespace p2pls::net
