// Asio and Beast are header-only by default; compiling their implementation once here
// (with BOOST_ASIO_SEPARATE_COMPILATION / BOOST_BEAST_SEPARATE_COMPILATION set on every
// user through p2pls::asio) saves minutes per build on a 2-core machine.
#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>
