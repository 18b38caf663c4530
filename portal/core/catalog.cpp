#include "portal/core/catalog.hpp"

#include <algorithm>
#include <boost/json.hpp>

#include "decade-module/core/object_name.hpp"
#include "portal/core/slicer.hpp"

namespace p2pls::portal {

namespace json = boost::json;

namespace {

bool name_char(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
           c == '-';
}

bool valid_file_id(std::string_view id) {
    return id.size() == 17 && id[0] == 'f' &&
           id.substr(1).find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

}  // namespace

std::string slice_prefix(std::string_view file_id) {
    return std::string(file_id) + "-";
}

std::string slice_object(std::string_view file_id, std::uint64_t index) {
    return decade::object_name(slice_prefix(file_id), index);
}

bool valid_file_name(std::string_view name) {
    return !name.empty() && name.size() <= 200 && name.front() != '.' &&
           std::all_of(name.begin(), name.end(), [](char c) { return name_char(c) || c == '.'; });
}

bool valid_publisher_name(std::string_view name) {
    return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), name_char);
}

bool Catalog::add(FileRecord file) {
    auto key = std::pair{file.publisher, file.name};
    return files_.emplace(std::move(key), std::move(file)).second;
}

const FileRecord* Catalog::find(std::string_view publisher, std::string_view name) const {
    const auto it = files_.find(std::pair{std::string(publisher), std::string(name)});
    return it == files_.end() ? nullptr : &it->second;
}

std::optional<FileRecord> Catalog::remove(std::string_view publisher, std::string_view name) {
    const auto it = files_.find(std::pair{std::string(publisher), std::string(name)});
    if (it == files_.end()) {
        return std::nullopt;
    }
    FileRecord out = std::move(it->second);
    files_.erase(it);
    return out;
}

std::vector<const FileRecord*> Catalog::list(std::string_view publisher) const {
    std::vector<const FileRecord*> out;
    for (const auto& [key, file] : files_) {
        if (key.first == publisher) {
            out.push_back(&file);
        }
    }
    return out;
}

std::vector<FileKey> Catalog::due_for_refresh(std::int64_t now, std::int64_t margin_s) const {
    std::vector<FileKey> out;
    for (const auto& [key, f] : files_) {
        if (f.stored_until_unix_s - now < margin_s) {
            out.push_back({f.publisher, f.name, f.id});
        }
    }
    return out;
}

bool Catalog::record_refresh(const RefreshOutcome& outcome) {
    const auto it = files_.find(std::pair{outcome.file.publisher, outcome.file.name});
    if (it == files_.end() || it->second.id != outcome.file.id) {
        return false;
    }
    FileRecord& f = it->second;
    bool changed = false;
    if (outcome.stored_until_unix_s && *outcome.stored_until_unix_s > f.stored_until_unix_s) {
        f.stored_until_unix_s = *outcome.stored_until_unix_s;
        changed = true;
    }
    for (const auto& [index, zone] : outcome.lost) {
        if (index >= f.slices.size()) {
            continue;
        }
        auto& zones = f.slices[index].zones;
        const auto z = std::find(zones.begin(), zones.end(), zone);
        if (z != zones.end() && zones.size() > 1) {
            zones.erase(z);
            changed = true;
        }
    }
    return changed;
}

std::string Catalog::serialize() const {
    json::array files;
    for (const auto& [key, f] : files_) {
        json::array slices;
        for (const SliceRecord& s : f.slices) {
            json::array zones;
            for (const auto& z : s.zones) {
                zones.emplace_back(z);
            }
            slices.emplace_back(
                json::object{{"size", s.size}, {"sha256", s.sha256}, {"zones", std::move(zones)}});
        }
        files.emplace_back(json::object{{"id", f.id},
                                        {"publisher", f.publisher},
                                        {"name", f.name},
                                        {"size", f.size},
                                        {"sha256", f.sha256},
                                        {"slice_bytes", f.slice_bytes},
                                        {"created_unix_s", f.created_unix_s},
                                        {"stored_until_unix_s", f.stored_until_unix_s},
                                        {"slices", std::move(slices)}});
    }
    return json::serialize(json::object{{"version", 1}, {"files", std::move(files)}}) + "\n";
}

std::variant<Catalog, std::string> Catalog::parse(std::string_view text) {
    boost::system::error_code ec;
    const json::value root = json::parse(text, ec);
    if (ec || !root.is_object()) {
        return std::string("not a JSON object");
    }
    const auto* version = root.as_object().if_contains("version");
    if (version == nullptr || !version->is_int64() || version->as_int64() != 1) {
        return std::string("version must be 1");
    }
    const auto* files = root.as_object().if_contains("files");
    if (files == nullptr || !files->is_array()) {
        return std::string("files must be an array");
    }
    Catalog out;
    std::size_t i = 0;
    for (const auto& v : files->as_array()) {
        const std::string where = "files[" + std::to_string(i++) + "]";
        try {
            const auto& o = v.as_object();
            FileRecord f;
            f.id = json::value_to<std::string>(o.at("id"));
            f.publisher = json::value_to<std::string>(o.at("publisher"));
            f.name = json::value_to<std::string>(o.at("name"));
            f.size = json::value_to<std::uint64_t>(o.at("size"));
            f.sha256 = json::value_to<std::string>(o.at("sha256"));
            f.slice_bytes = json::value_to<std::uint64_t>(o.at("slice_bytes"));
            f.created_unix_s = json::value_to<std::int64_t>(o.at("created_unix_s"));
            // Absent in catalogs written before the portal refreshed its objects: 0, so
            // such a file is refreshed at once.
            if (const auto* until = o.if_contains("stored_until_unix_s")) {
                f.stored_until_unix_s = json::value_to<std::int64_t>(*until);
            }
            std::uint64_t total = 0;
            for (const auto& sv : o.at("slices").as_array()) {
                const auto& so = sv.as_object();
                SliceRecord s;
                s.size = json::value_to<std::uint64_t>(so.at("size"));
                s.sha256 = json::value_to<std::string>(so.at("sha256"));
                s.zones = json::value_to<std::vector<std::string>>(so.at("zones"));
                if (!is_sha256_hex(s.sha256) || s.size == 0 || s.size > f.slice_bytes ||
                    s.zones.empty()) {
                    return where + ": a slice is malformed";
                }
                total += s.size;
                f.slices.push_back(std::move(s));
            }
            if (!valid_file_id(f.id) || !valid_publisher_name(f.publisher) ||
                !valid_file_name(f.name) || !is_sha256_hex(f.sha256) || total != f.size) {
                return where + ": malformed";
            }
            if (!out.add(std::move(f))) {
                return where + ": a publisher's file name is listed twice";
            }
        } catch (const std::exception&) {
            return where + ": a field is missing or of the wrong type";
        }
    }
    return out;
}

}  // namespace p2pls::portal
