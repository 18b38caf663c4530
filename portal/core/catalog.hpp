// What the portal has stored: per publisher, files by name, each cut into slices that
// live as DECADE objects "<file id>-<slice index>" in the portal's lockers on one or more
// zones (the draft's §6.1 "DECADE server zones"). The catalog is the portal's only state;
// it is saved whole (JSON) after every change that a publisher was told about, so that a
// file acknowledged once is still listed after a restart.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace p2pls::portal {

struct SliceRecord {
    std::uint64_t size = 0;
    std::string sha256;
    std::vector<std::string> zones;  // zone names holding a copy, the placement's order

    friend bool operator==(const SliceRecord&, const SliceRecord&) = default;
};

struct FileRecord {
    std::string id;  // "f" + 16 hex digits: the objects' name prefix (without the '-')
    std::string publisher;
    std::string name;
    std::uint64_t size = 0;
    std::string sha256;
    std::uint64_t slice_bytes = 0;
    std::vector<SliceRecord> slices;
    std::int64_t created_unix_s = 0;
    // When the first of its slices' copies expires on the zones (the DECADE objects' TTL,
    // which the portal refreshes before it runs out).
    std::int64_t stored_until_unix_s = 0;

    friend bool operator==(const FileRecord&, const FileRecord&) = default;
};

// Which file a refresh is for: the id tells a file from a later one of the same name.
struct FileKey {
    std::string publisher;
    std::string name;
    std::string id;

    friend bool operator==(const FileKey&, const FileKey&) = default;
};

// What refreshing a file's slices on the zones came to.
struct RefreshOutcome {
    FileKey file;
    // Every copy now lives until then; nullopt when some zone did not confirm it (the file
    // stays due and is tried again).
    std::optional<std::int64_t> stored_until_unix_s;
    // Copies a zone no longer holds (it answered 404): (slice index, zone name).
    std::vector<std::pair<std::size_t, std::string>> lost;
};

// The DECADE object name of slice `index` of a file: "<id>-<index>".
std::string slice_object(std::string_view file_id, std::uint64_t index);
// The prefix every slice of the file shares (what a download token is scoped to).
std::string slice_prefix(std::string_view file_id);

// A file name a publisher may choose: 1-200 characters of letters, digits, '.', '_', '-',
// not starting with '.' (it names a download, a URL segment and a file on the user's disk).
bool valid_file_name(std::string_view name);
// A publisher (account) name: 1-64 letters, digits, '_', '-'.
bool valid_publisher_name(std::string_view name);

class Catalog {
  public:
    // False when the publisher already has a file of that name (delete it first).
    bool add(FileRecord file);
    [[nodiscard]] const FileRecord* find(std::string_view publisher, std::string_view name) const;
    // The record, which the caller deletes the objects of; nullopt when there is none.
    std::optional<FileRecord> remove(std::string_view publisher, std::string_view name);
    [[nodiscard]] std::vector<const FileRecord*> list(std::string_view publisher) const;
    [[nodiscard]] std::size_t size() const noexcept { return files_.size(); }

    // The files whose copies expire within `margin_s` of `now`: to be refreshed.
    [[nodiscard]] std::vector<FileKey> due_for_refresh(std::int64_t now,
                                                       std::int64_t margin_s) const;
    // Records a refresh of a file that is still the one refreshed (not deleted, nor
    // replaced by another of its name): the new expiry, and lost copies forgotten so that
    // no manifest lists them, except a slice's last one, which stays listed (the file is
    // damaged and its downloads say which slice). True when the record changed.
    bool record_refresh(const RefreshOutcome& outcome);

    [[nodiscard]] std::string serialize() const;
    // The catalog of serialize()'s text, or what is wrong with it.
    static std::variant<Catalog, std::string> parse(std::string_view text);

  private:
    std::map<std::pair<std::string, std::string>, FileRecord, std::less<>> files_;
};

}  // namespace p2pls::portal
