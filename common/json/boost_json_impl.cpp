// Boost.JSON's implementation compiled once for the project (Debian ships no libboost_json
// in libboost1.81-dev); every user includes <boost/json.hpp> and links p2pls::json.
#include <boost/json/src.hpp>
