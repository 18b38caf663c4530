// Asio's TLS layer compiled once, as common/asio does for the rest of Asio; only the
// HTTP server uses it, so only users of p2pls::common_http link OpenSSL.
#include <boost/asio/ssl/impl/src.hpp>
