// The body type of http::Response, one of:
//  - text the response owns (JSON, metrics, errors);
//  - immutable bytes it shares with whoever else holds them (a stored DECADE object in
//    memory), written straight from where they live;
//  - a file it shares the descriptor of (a stored DECADE object on disk). The server
//    sends a plain connection's file body with sendfile(2), from the page cache to the
//    socket with no copy through user space (http_server.cpp); over TLS, this writer
//    reads it a piece at a time.
// Sharing is what lets a server hand out a 1 MiB object without copying it into every
// response: the shared_ptr keeps the bytes (or the descriptor) alive until the response
// has been written, and nobody may change them meanwhile.
//
// A Beast body (value_type, size, writer); no reader: responses are only ever written
// by this server, never parsed into this type.
#pragma once

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/optional/optional.hpp>
#include <cerrno>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "common/posix/fd.hpp"

namespace p2pls::http {

// `size` bytes of an open file from `offset` (a whole file, or the part a Range asked
// for), which must not change while it is shared.
struct FileRegion {
    std::shared_ptr<const posix::Fd> fd;
    std::uint64_t size = 0;
    std::uint64_t offset = 0;
};

struct ResponseBody {
    class value_type {
      public:
        value_type() = default;

        // Owned text; drops any shared bytes or file.
        value_type& operator=(std::string text) {
            shared_.reset();
            file_ = {};
            owned_ = std::move(text);
            return *this;
        }
        // Shared bytes, not copied (null = empty); drops any owned text or file. `part`:
        // only those of them (a Range's), which must lie within the bytes.
        void share(std::shared_ptr<const std::string> bytes,
                   std::optional<std::pair<std::size_t, std::size_t>> part = std::nullopt) {
            owned_.clear();
            file_ = {};
            shared_ = std::move(bytes);
            part_ = part;
        }
        // A shared file (a null descriptor = empty); drops any text or bytes.
        void send_file(FileRegion file) {
            owned_.clear();
            shared_.reset();
            file_ = file.fd ? std::move(file) : FileRegion{};
        }

        // The bytes in memory (empty for a file body).
        [[nodiscard]] std::string_view view() const noexcept {
            if (!shared_) {
                return owned_;
            }
            const std::string_view all(*shared_);
            return part_ ? all.substr(part_->first, part_->second) : all;
        }
        [[nodiscard]] std::uint64_t size() const noexcept {
            return file_.fd ? file_.size : view().size();
        }
        [[nodiscard]] bool empty() const noexcept { return size() == 0; }
        // True when the bytes are shared rather than owned.
        [[nodiscard]] bool is_shared() const noexcept { return shared_ != nullptr; }
        // The file of a file body (nullptr otherwise).
        [[nodiscard]] const FileRegion* file() const noexcept {
            return file_.fd ? &file_ : nullptr;
        }

      private:
        std::string owned_;
        std::shared_ptr<const std::string> shared_;
        std::optional<std::pair<std::size_t, std::size_t>> part_;  // offset, length in shared_
        FileRegion file_;
    };

    static std::uint64_t size(const value_type& body) noexcept { return body.size(); }

    // Hands Beast bytes in memory in one buffer, where they are; a file a piece at a time.
    class writer {
      public:
        using const_buffers_type = boost::asio::const_buffer;

        template <bool isRequest, class Fields>
        writer(const boost::beast::http::header<isRequest, Fields>&, const value_type& body)
            : body_(body) {}

        void init(boost::beast::error_code& ec) { ec = {}; }

        boost::optional<std::pair<const_buffers_type, bool>> get(boost::beast::error_code& ec) {
            ec = {};
            if (const FileRegion* file = body_.file()) {
                return read_piece(*file, ec);
            }
            if (done_) {
                return boost::none;
            }
            done_ = true;
            const std::string_view bytes = body_.view();
            return {{const_buffers_type(bytes.data(), bytes.size()), false}};
        }

      private:
        static constexpr std::size_t kPiece = 64 * 1024;

        boost::optional<std::pair<const_buffers_type, bool>> read_piece(
            const FileRegion& file, boost::beast::error_code& ec) {
            if (offset_ >= file.size) {
                return boost::none;
            }
            if (!piece_) {
                piece_ = std::make_unique<char[]>(kPiece);
            }
            const auto want =
                static_cast<std::size_t>(std::min<std::uint64_t>(kPiece, file.size - offset_));
            ssize_t n = -1;
            do {
                n = ::pread(file.fd->get(), piece_.get(), want,
                            static_cast<off_t>(file.offset + offset_));
            } while (n < 0 && errno == EINTR);
            if (n <= 0) {
                // A file shorter than it was said to be is as broken as a failed read.
                ec = n < 0 ? boost::beast::error_code(errno, boost::system::system_category())
                           : boost::beast::error_code(EIO, boost::system::system_category());
                return boost::none;
            }
            offset_ += static_cast<std::uint64_t>(n);
            return {{const_buffers_type(piece_.get(), static_cast<std::size_t>(n)),
                     offset_ < file.size}};
        }

        const value_type& body_;
        bool done_ = false;
        std::uint64_t offset_ = 0;       // file bodies: bytes handed out so far
        std::unique_ptr<char[]> piece_;  // file bodies: the piece being written
    };
};

}  // namespace p2pls::http
