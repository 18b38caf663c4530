// p2pls-fetch's transfers: the download link's manifest, then the slices from the
// servers it lists (libcurl multi through the shared client, `parallel` at a time),
// each checked by the Download core before it is written to the partial file. One
// io_context thread; slices are written as they are verified.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "common/curl/http_client.hpp"
#include "fetch/core/download.hpp"
#include "fetch/io/partial_file.hpp"

namespace p2pls::fetch {

struct FetchOptions {
    std::string link;              // the portal's download link (answers the JSON manifest)
    std::filesystem::path output;  // empty: the manifest's file name, in the current folder
    DownloadOptions download{};
    std::chrono::milliseconds slice_timeout{120'000};
    std::string ca_file{};
    std::string local_address{};
};

struct FetchReport {
    bool ok = false;
    std::string error{};  // why not, for the user
    std::filesystem::path output{};
    std::uint64_t size = 0;
    std::uint64_t bytes_fetched = 0;  // verified bytes that came over the network
    std::uint64_t bytes_resumed = 0;  // verified bytes an earlier run had written
    std::size_t fallbacks = 0;
    std::map<std::string, std::uint64_t> bytes_by_server{};
    bool already_complete = false;  // the output was there with the right SHA-256
};

class Fetcher {
  public:
    // Called after each verified slice: bytes done (resumed included) and the total.
    using Progress = std::function<void(std::uint64_t done, std::uint64_t total)>;

    Fetcher(boost::asio::io_context& io, FetchOptions options, Progress progress = {});

    boost::asio::awaitable<FetchReport> run();
    // Ends run() soon, as "interrupted"; what is written stays for a later run.
    void stop();

  private:
    boost::asio::awaitable<std::optional<portal::Manifest>> manifest(FetchReport& report);
    boost::asio::awaitable<void> worker(Download& download, PartialFile& file);
    boost::asio::awaitable<void> transfer(Download& download, PartialFile& file, Attempt a);
    void changed();

    boost::asio::io_context& io_;
    FetchOptions options_;
    Progress progress_;
    curl::HttpClient client_;
    boost::asio::steady_timer change_;  // cancelled when a transfer ends, to wake idle workers
    std::optional<std::string> fatal_;  // an error that ends the download (a full disk)
    bool stopped_ = false;
    std::set<boost::asio::steady_timer*> pauses_;  // retry pauses, cut short by stop()
};

}  // namespace p2pls::fetch
