#include "peer/net/decade_driver.hpp"

#include <charconv>

#include "common/core/proto_json.hpp"
#include "common/curl/http_client.hpp"
#include "decade-module/core/requests.hpp"
#include "p2pls/decade.pb.h"
#include "p2pls/http.pb.h"

namespace p2pls::net {
namespace {

// HTTP request line and headers / status line and headers, roughly (control overhead).
constexpr std::uint64_t kHttpOverheadBytes = 300;

peer::DecadeResult whole(const decade::CallStatus& s, std::uint64_t control) {
    peer::DecadeResult r;
    r.code = s.code == Errc::ok ? Errc::unavailable : s.code;
    r.retry_after = std::chrono::duration_cast<Duration>(s.retry_after);
    r.control_bytes = control;
    return r;
}

}  // namespace

DecadeDriver::DecadeDriver(boost::asio::io_context& io, decade::ClientConfig config)
    : io_(io), client_(io, config) {
    curl::ClientOptions o;
    o.local_address = config.local_address;
    o.ca_file = config.ca_file;
    o.link_delays = config.link_delays;
    http_ = std::make_unique<curl::HttpClient>(io, o);
}

DecadeDriver::~DecadeDriver() = default;

void DecadeDriver::cancel_all() {
    client_.cancel_all();
    http_->cancel_all();
}

boost::asio::awaitable<LockerRegistration> DecadeDriver::register_locker(std::string server,
                                                                         std::string operator_key) {
    curl::HttpRequest req;
    req.method = "POST";
    req.url = server + "/v1/lockers";
    req.headers.emplace_back("Content-Type", std::string(decade::kProtobufType));
    req.headers.emplace_back("Accept", std::string(decade::kProtobufType));
    if (!operator_key.empty()) {
        req.headers.emplace_back("Authorization", "Bearer " + operator_key);
    }
    req.body = decade_api::RegisterLockerRequest{}.SerializeAsString();
    auto res = co_await http_->request(std::move(req));
    LockerRegistration out;
    if (!res) {
        out.refusal = "no answer: " + res.error().message();
        co_return out;
    }
    if (res->status != 201 && res->status != 200) {
        out.refusal = "HTTP " + std::to_string(res->status);
        // The server's error body says why; shown as it came, within reason.
        if (http_api::ErrorBody body; !parse_json(res->body, body)) {
            out.refusal += " " + body.error().substr(0, 64);
            if (!body.detail().empty()) {
                out.refusal += ": " + body.detail().substr(0, 200);
            }
        }
        if (auto after = res->header("retry-after")) {
            std::uint32_t s = 0;
            const auto [p, ec] = std::from_chars(after->data(), after->data() + after->size(), s);
            if (ec == std::errc{} && s <= 3600) {
                out.retry_after = std::chrono::seconds(s);
            }
        }
        // The text goes to logs and a terminal's status line: printable ASCII only.
        for (char& c : out.refusal) {
            if (c < 0x20 || c > 0x7e) {
                c = '?';
            }
        }
        co_return out;
    }
    decade_api::RegisterLockerResponse reply;
    if (!reply.ParseFromString(res->body) || reply.secret().size() != 32 ||
        reply.locker().empty()) {
        out.refusal = "malformed registration reply";
        co_return out;
    }
    RegisteredLocker& l = out.locker.emplace();
    l.id = reply.locker();
    std::copy(reply.secret().begin(), reply.secret().end(), l.secret.begin());
    co_return out;
}

boost::asio::awaitable<peer::DecadeResult> DecadeDriver::fetch(std::string home,
                                                               peer::DecadeFetch f) {
    peer::DecadeResult r;
    if (f.ops.empty()) {
        r.code = Errc::bad_request;
        co_return r;
    }
    if (f.ops.size() == 1) {
        const std::uint64_t control = f.ops[0].ByteSizeLong() + kHttpOverheadBytes;
        decade_api::RemoteGetOp op = std::move(f.ops[0]);
        decade::GetReply reply = co_await client_.remote_get(std::move(home), std::move(op));
        if (reply.status.http_status == 0 || reply.status.busy()) {
            co_return whole(reply.status, control);
        }
        r.control_bytes = control;
        peer::DecadeObjectResult o;
        o.code = reply.status.code;
        o.data = std::move(reply.data);
        r.objects.push_back(std::move(o));
        co_return r;
    }
    decade_api::BatchRequest batch;
    for (auto& op : f.ops) {
        *batch.add_ops()->mutable_remote_get() = std::move(op);
    }
    const std::uint64_t request_bytes = batch.ByteSizeLong() + kHttpOverheadBytes;
    const int ops = batch.ops_size();
    decade::BatchReply reply = co_await client_.batch(std::move(home), std::move(batch));
    if (!reply.status.ok() || reply.response.results_size() != ops) {
        co_return whole(reply.status, request_bytes);
    }
    std::uint64_t data = 0;
    for (auto& res : *reply.response.mutable_results()) {
        peer::DecadeObjectResult o;
        if (res.status() >= 200 && res.status() < 300) {
            o.data = std::move(*res.mutable_data());
            data += o.data.size();
        } else {
            const std::string body = "{\"error\":\"" + res.error().substr(0, 64) + "\"}";
            o.code = decade::status_from_http(res.status(), body, "").code;
            if (o.code == Errc::ok) {
                o.code = Errc::unavailable;
            }
        }
        r.objects.push_back(std::move(o));
    }
    const std::uint64_t body = reply.response.ByteSizeLong();
    r.control_bytes = request_bytes + kHttpOverheadBytes + (body > data ? body - data : 0);
    co_return r;
}

boost::asio::awaitable<peer::DecadeResult> DecadeDriver::put(std::string home, std::string locker,
                                                             peer::DecadePut p) {
    peer::DecadeResult r;
    if (!p.data) {
        r.code = Errc::bad_request;
        co_return r;
    }
    std::string data = *p.data;
    decade::CallStatus s =
        co_await client_.put(std::move(home), std::move(locker), std::move(p.name), std::move(data),
                             p.ttl_s, std::move(p.token));
    r.code = s.code;
    r.retry_after = std::chrono::duration_cast<Duration>(s.retry_after);
    r.control_bytes = 2 * kHttpOverheadBytes;
    co_return r;
}

}  // namespace p2pls::net
