#include "experiments/process/tls_files.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "experiments/process/files.hpp"

namespace p2pls::experiments {

std::optional<TlsFiles> make_tls_files(const std::string& dir,
                                       const std::vector<std::string>& hosts, std::string& why) {
    if (hosts.empty()) {
        why = "no address to certify";
        return std::nullopt;
    }
    const std::string& host = hosts.front();
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
        why = "cannot create " + dir + ": " + ec.message();
        return std::nullopt;
    }
    const TlsFiles files{
        .ca = dir + "/ca.pem", .cert = dir + "/server.pem", .key = dir + "/server.key"};
    {
        std::ofstream san(dir + "/san.ext");
        san << "subjectAltName=";
        for (const std::string& h : hosts) {
            san << "IP:" << h << ",";
        }
        san << "DNS:localhost\n";
    }
    const std::string log = dir + "/openssl.log";
    const std::string ec_key = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    const std::string steps[] = {
        "openssl req -x509" + ec_key + " -days 7 -subj /CN=p2pls-testbed-ca -keyout " + dir +
            "/ca.key -out " + files.ca,
        "openssl req" + ec_key + " -subj /CN=" + host + " -keyout " + files.key + " -out " + dir +
            "/server.csr",
        "openssl x509 -req -in " + dir + "/server.csr -CA " + files.ca + " -CAkey " + dir +
            "/ca.key -CAcreateserial -days 7 -extfile " + dir + "/san.ext -out " + files.cert,
    };
    for (const auto& step : steps) {
        if (std::system((step + " >>" + log + " 2>&1").c_str()) != 0) {
            why = "openssl failed (" + last_log_line(log) + "): " + step;
            return std::nullopt;
        }
    }
    return files;
}

}  // namespace p2pls::experiments
