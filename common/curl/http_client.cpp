#include "common/curl/http_client.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cctype>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <unordered_map>

namespace p2pls::curl {

namespace asio = boost::asio;

namespace {

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) {
        s.remove_prefix(1);
    }
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) {
        s.remove_suffix(1);
    }
    return s;
}

void global_init() {
    static const CURLcode status = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (status != CURLE_OK) {
        throw std::runtime_error("libcurl failed to initialise");
    }
}

}  // namespace

std::optional<std::string_view> HttpResponse::header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
        if (iequals(key, name)) {
            return std::string_view(value);
        }
    }
    return std::nullopt;
}

// One transfer as the worker sees it.
struct Transfer {
    HttpRequest request;
    HttpResponse response;
    std::function<void(Result<HttpResponse>)> complete;  // called on the worker thread
    CURL* easy = nullptr;
    curl_slist* headers = nullptr;
    bool too_large = false;

    ~Transfer() {
        if (headers != nullptr) {
            curl_slist_free_all(headers);
        }
        if (easy != nullptr) {
            curl_easy_cleanup(easy);
        }
    }
};

class HttpClient::Worker {
  public:
    explicit Worker(ClientOptions options) : options_(std::move(options)) {
        global_init();
        multi_ = curl_multi_init();
        if (multi_ == nullptr) {
            throw std::runtime_error("curl_multi_init failed");
        }
        if (options_.max_connections_per_host > 0) {
            curl_multi_setopt(multi_, CURLMOPT_MAX_HOST_CONNECTIONS,
                              options_.max_connections_per_host);
        }
        if (options_.max_idle_connections > 0) {
            curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, options_.max_idle_connections);
        }
        if (options_.max_total_connections > 0) {
            curl_multi_setopt(multi_, CURLMOPT_MAX_TOTAL_CONNECTIONS,
                              options_.max_total_connections);
        }
        thread_ = std::thread([this] { run(); });
    }

    ~Worker() {
        {
            std::lock_guard lock(mutex_);
            stop_ = true;
        }
        curl_multi_wakeup(multi_);
        thread_.join();
        for (auto& [easy, transfer] : active_) {
            curl_multi_remove_handle(multi_, easy);
        }
        active_.clear();
        incoming_.clear();
        curl_multi_cleanup(multi_);
    }

    void submit(std::unique_ptr<Transfer> transfer) {
        {
            std::lock_guard lock(mutex_);
            incoming_.push_back(std::move(transfer));
        }
        curl_multi_wakeup(multi_);
    }

    void cancel_all() {
        {
            std::lock_guard lock(mutex_);
            cancel_ = true;
        }
        curl_multi_wakeup(multi_);
    }

  private:
    static std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
        auto* transfer = static_cast<Transfer*>(user);
        const std::size_t n = size * count;
        if (transfer->response.body.size() + n > transfer->request.max_response_bytes) {
            transfer->too_large = true;
            return 0;  // makes libcurl fail the transfer with CURLE_WRITE_ERROR
        }
        transfer->response.body.append(data, n);
        return n;
    }

    static std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
        auto* transfer = static_cast<Transfer*>(user);
        const std::string_view line(data, size * count);
        if (line.starts_with("HTTP/")) {
            transfer->response.headers.clear();  // a new response (e.g. after 100 Continue)
        } else if (const auto colon = line.find(':'); colon != std::string_view::npos) {
            std::string name(trim(line.substr(0, colon)));
            std::transform(name.begin(), name.end(), name.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
            transfer->response.headers.emplace_back(std::move(name),
                                                    std::string(trim(line.substr(colon + 1))));
        }
        return size * count;
    }

    void setup(Transfer& t) {
        t.easy = curl_easy_init();
        if (t.easy == nullptr) {
            throw std::runtime_error("curl_easy_init failed");
        }
        CURL* e = t.easy;
        curl_easy_setopt(e, CURLOPT_URL, t.request.url.c_str());
        curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(t.request.timeout.count()));
        curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                         static_cast<long>(t.request.connect_timeout.count()));
        curl_easy_setopt(e, CURLOPT_USERAGENT, options_.user_agent.c_str());
        curl_easy_setopt(e, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
        if (!options_.ca_file.empty()) {
            curl_easy_setopt(e, CURLOPT_CAINFO, options_.ca_file.c_str());
        }
        if (!options_.local_address.empty()) {
            interface_ = "host!" + options_.local_address;
            curl_easy_setopt(e, CURLOPT_INTERFACE, interface_.c_str());
        }
        const std::string& method = t.request.method;
        if (method == "GET") {
            curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
        } else if (method == "HEAD") {
            curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
        } else {
            if (method == "POST" || method == "PUT" || !t.request.body.empty()) {
                curl_easy_setopt(e, CURLOPT_POSTFIELDS, t.request.body.data());
                curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
                                 static_cast<curl_off_t>(t.request.body.size()));
            }
            curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method.c_str());
        }
        for (const auto& [name, value] : t.request.headers) {
            t.headers = curl_slist_append(t.headers, (name + ": " + value).c_str());
        }
        // No "Expect: 100-continue" round trip before a body: our servers answer at once.
        t.headers = curl_slist_append(t.headers, "Expect:");
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, t.headers);
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &Worker::on_body);
        curl_easy_setopt(e, CURLOPT_WRITEDATA, &t);
        curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &Worker::on_header);
        curl_easy_setopt(e, CURLOPT_HEADERDATA, &t);
    }

    void finish(CURL* easy, CURLcode code) {
        auto it = active_.find(easy);
        if (it == active_.end()) {
            return;
        }
        std::unique_ptr<Transfer> t = std::move(it->second);
        active_.erase(it);
        curl_multi_remove_handle(multi_, easy);
        if (code == CURLE_OK) {
            curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &t->response.status);
            t->complete(std::move(t->response));
        } else if (code == CURLE_OPERATION_TIMEDOUT) {
            t->complete(make_error_code(Errc::timeout));
        } else if (code == CURLE_WRITE_ERROR && t->too_large) {
            t->complete(make_error_code(Errc::body_too_large));
        } else if (code == CURLE_PEER_FAILED_VERIFICATION) {
            t->complete(make_error_code(Errc::tls_certificate_invalid));
        } else if (code == CURLE_SSL_CONNECT_ERROR || code == CURLE_SSL_CACERT_BADFILE ||
                   code == CURLE_SSL_CERTPROBLEM || code == CURLE_SSL_CIPHER ||
                   code == CURLE_USE_SSL_FAILED) {
            t->complete(make_error_code(Errc::tls_failed));
        } else {
            t->complete(make_error_code(Errc::unavailable));
        }
    }

    void run() {
        for (;;) {
            std::vector<std::unique_ptr<Transfer>> fresh;
            bool cancel = false;
            {
                std::lock_guard lock(mutex_);
                if (stop_) {
                    return;
                }
                fresh.swap(incoming_);
                cancel = std::exchange(cancel_, false);
            }
            for (auto& t : fresh) {
                setup(*t);
                curl_multi_add_handle(multi_, t->easy);
                CURL* easy = t->easy;
                active_.emplace(easy, std::move(t));
            }
            if (cancel) {
                for (auto& [easy, t] : active_) {
                    curl_multi_remove_handle(multi_, easy);
                    t->complete(make_error_code(asio::error::operation_aborted));
                }
                active_.clear();
            }
            int running = 0;
            curl_multi_perform(multi_, &running);
            int queued = 0;
            while (CURLMsg* msg = curl_multi_info_read(multi_, &queued)) {
                if (msg->msg == CURLMSG_DONE) {
                    finish(msg->easy_handle, msg->data.result);
                }
            }
            curl_multi_poll(multi_, nullptr, 0, 1000, nullptr);
        }
    }

    ClientOptions options_;
    std::string interface_;
    CURLM* multi_ = nullptr;
    std::mutex mutex_;
    std::vector<std::unique_ptr<Transfer>> incoming_;              // guarded by mutex_
    bool stop_ = false;                                            // guarded by mutex_
    bool cancel_ = false;                                          // guarded by mutex_
    std::unordered_map<CURL*, std::unique_ptr<Transfer>> active_;  // worker thread only
    std::thread thread_;
};

struct HttpClient::State {
    bool destroyed = false;
    std::size_t in_flight = 0;
    std::uint64_t cancels = 0;  // cancel_all() calls: a request still held back is dropped
};

HttpClient::HttpClient(asio::io_context& io, ClientOptions options)
    : io_(io),
      state_(std::make_shared<State>()),
      link_delays_(options.link_delays),
      worker_(std::make_unique<Worker>(std::move(options))) {}

HttpClient::~HttpClient() {
    state_->destroyed = true;
    worker_.reset();  // joins the worker; unfinished transfers are dropped
}

std::size_t HttpClient::in_flight() const noexcept {
    return state_->in_flight;
}

void HttpClient::async_request(HttpRequest request, Callback done) {
    const auto delay = link_delays_.to_url(request.url);
    auto transfer = std::make_unique<Transfer>();
    transfer->request = std::move(request);
    ++state_->in_flight;
    // The work guard counts the transfer as outstanding work of the io_context, as any
    // Asio operation is, so that run() does not return while it is in flight.
    transfer->complete = [&io = io_, state = state_, done = std::move(done), delay,
                          work = asio::make_work_guard(io_)](Result<HttpResponse> result) mutable {
        asio::post(io, [&io, state, delay, done = std::move(done), result = std::move(result),
                        work = std::move(work)]() mutable {
            auto deliver = [state, done = std::move(done), result = std::move(result)]() mutable {
                if (state->destroyed) {
                    return;
                }
                --state->in_flight;
                done(std::move(result));
            };
            if (delay.count() == 0 || state->destroyed) {
                deliver();
                return;
            }
            // The answer's way back (link emulation).
            auto timer = std::make_shared<asio::steady_timer>(io, delay);
            timer->async_wait([timer, deliver = std::move(deliver)](
                                  boost::system::error_code) mutable { deliver(); });
        });
    };
    if (delay.count() == 0) {
        worker_->submit(std::move(transfer));
        return;
    }
    // The request's way out: held back, then sent unless cancel_all() came meanwhile.
    auto timer = std::make_shared<asio::steady_timer>(io_, delay);
    auto held = std::make_shared<std::unique_ptr<Transfer>>(std::move(transfer));
    timer->async_wait(
        [this, timer, held, state = state_, cancels = state_->cancels](boost::system::error_code) {
            if (state->destroyed) {
                return;
            }
            if (state->cancels != cancels) {
                (*held)->complete(make_error_code(asio::error::operation_aborted));
                return;
            }
            worker_->submit(std::move(*held));
        });
}

asio::awaitable<Result<HttpResponse>> HttpClient::request(HttpRequest request) {
    auto token = asio::as_tuple(asio::use_awaitable);
    auto [ec, response] =
        co_await asio::async_initiate<decltype(token),
                                      void(boost::system::error_code, HttpResponse)>(
            [this](auto handler, HttpRequest req) {
                auto shared = std::make_shared<decltype(handler)>(std::move(handler));
                async_request(std::move(req), [shared](Result<HttpResponse> result) {
                    if (result) {
                        (*shared)(boost::system::error_code{}, std::move(*result));
                    } else {
                        (*shared)(result.error(), HttpResponse{});
                    }
                });
            },
            token, std::move(request));
    if (ec) {
        co_return ec;
    }
    co_return std::move(response);
}

void HttpClient::cancel_all() {
    ++state_->cancels;
    worker_->cancel_all();
}

}  // namespace p2pls::curl
