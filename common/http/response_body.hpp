// The body type of http::Response: either text the response owns (JSON, metrics, errors)
// or immutable bytes it shares with whoever else holds them (a stored DECADE object),
// written straight from where they live. Sharing is what lets a server hand out a 1 MiB
// object without copying it into every response: the shared_ptr keeps the bytes alive
// until the response has been written, and nobody may change them meanwhile.
//
// A Beast body (value_type, size, writer); no reader: responses are only ever written
// by this server, never parsed into this type.
#pragma once

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/optional/optional.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace p2pls::http {

struct ResponseBody {
    class value_type {
      public:
        value_type() = default;

        // Owned text; drops any shared bytes.
        value_type& operator=(std::string text) {
            shared_.reset();
            owned_ = std::move(text);
            return *this;
        }
        // Shared bytes, not copied (null = empty); drops any owned text.
        void share(std::shared_ptr<const std::string> bytes) {
            owned_.clear();
            shared_ = std::move(bytes);
        }

        [[nodiscard]] std::string_view view() const noexcept {
            return shared_ ? std::string_view(*shared_) : std::string_view(owned_);
        }
        [[nodiscard]] std::size_t size() const noexcept { return view().size(); }
        [[nodiscard]] bool empty() const noexcept { return size() == 0; }
        // True when the bytes are shared rather than owned.
        [[nodiscard]] bool is_shared() const noexcept { return shared_ != nullptr; }

      private:
        std::string owned_;
        std::shared_ptr<const std::string> shared_;
    };

    static std::uint64_t size(const value_type& body) noexcept { return body.size(); }

    // Hands Beast the bytes in one buffer, where they are.
    class writer {
      public:
        using const_buffers_type = boost::asio::const_buffer;

        template <bool isRequest, class Fields>
        writer(const boost::beast::http::header<isRequest, Fields>&, const value_type& body)
            : body_(body) {}

        void init(boost::beast::error_code& ec) { ec = {}; }

        boost::optional<std::pair<const_buffers_type, bool>> get(boost::beast::error_code& ec) {
            ec = {};
            if (done_) {
                return boost::none;
            }
            done_ = true;
            const std::string_view bytes = body_.view();
            return {{const_buffers_type(bytes.data(), bytes.size()), false}};
        }

      private:
        const value_type& body_;
        bool done_ = false;
    };
};

}  // namespace p2pls::http
