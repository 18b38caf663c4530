#include "portal/core/manifest.hpp"

#include <algorithm>
#include <boost/json.hpp>

#include "portal/core/catalog.hpp"
#include "portal/core/slicer.hpp"

namespace p2pls::portal {

namespace json = boost::json;

namespace {

// Text and attribute values for XML: the five predefined entities, nothing else needed
// for URLs and names drawn from the file name and URL alphabets.
std::string xml_escaped(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&apos;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

}  // namespace

std::string part_name(const Manifest& manifest, std::uint64_t index) {
    const std::size_t width = std::max<std::size_t>(
        5, std::to_string(manifest.slices.empty() ? 0 : manifest.slices.size() - 1).size());
    std::string digits = std::to_string(index);
    if (digits.size() < width) {
        digits.insert(0, width - digits.size(), '0');
    }
    return manifest.name + ".part-" + digits;
}

std::string manifest_json(const Manifest& m) {
    json::array slices;
    for (const ManifestSlice& s : m.slices) {
        json::array urls;
        for (const auto& u : s.urls) {
            urls.emplace_back(u);
        }
        slices.emplace_back(json::object{{"index", s.index},
                                         {"offset", s.offset},
                                         {"size", s.size},
                                         {"sha256", s.sha256},
                                         {"urls", std::move(urls)}});
    }
    return json::serialize(json::object{{"name", m.name},
                                        {"size", m.size},
                                        {"sha256", m.sha256},
                                        {"slice_bytes", m.slice_bytes},
                                        {"expires_unix_s", m.expires_unix_s},
                                        {"slices", std::move(slices)}}) +
           "\n";
}

namespace {

bool plausible_url(std::string_view url) {
    const bool scheme = url.starts_with("http://") || url.starts_with("https://");
    return scheme && url.size() <= 4096 && std::none_of(url.begin(), url.end(), [](char c) {
               return static_cast<unsigned char>(c) <= ' ' || c == 0x7f;
           });
}

}  // namespace

std::variant<Manifest, std::string> parse_manifest_json(std::string_view text) {
    boost::system::error_code ec;
    const json::value root = json::parse(text, ec);
    if (ec || !root.is_object()) {
        return std::string("not a JSON object");
    }
    Manifest m;
    try {
        const auto& o = root.as_object();
        m.name = json::value_to<std::string>(o.at("name"));
        m.size = json::value_to<std::uint64_t>(o.at("size"));
        m.sha256 = json::value_to<std::string>(o.at("sha256"));
        m.slice_bytes = json::value_to<std::uint64_t>(o.at("slice_bytes"));
        m.expires_unix_s = json::value_to<std::int64_t>(o.at("expires_unix_s"));
        const auto& slices = o.at("slices").as_array();
        if (!valid_file_name(m.name)) {
            return std::string("name is not a plain file name");
        }
        if (!is_sha256_hex(m.sha256)) {
            return std::string("sha256 is not 64 lower-case hex digits");
        }
        if (m.slice_bytes == 0 || m.slice_bytes > kMaxSliceBytes) {
            return std::string("slice_bytes is out of range");
        }
        if (slices.size() > kMaxManifestSlices) {
            return std::string("too many slices");
        }
        m.slices.reserve(slices.size());
        std::uint64_t offset = 0;
        for (const auto& v : slices) {
            const std::string where = "slices[" + std::to_string(m.slices.size()) + "]";
            const auto& so = v.as_object();
            ManifestSlice s;
            s.index = json::value_to<std::uint64_t>(so.at("index"));
            s.offset = json::value_to<std::uint64_t>(so.at("offset"));
            s.size = json::value_to<std::uint64_t>(so.at("size"));
            s.sha256 = json::value_to<std::string>(so.at("sha256"));
            const auto& urls = so.at("urls").as_array();
            if (s.index != m.slices.size() || s.offset != offset) {
                return where + ": out of order or not where the previous one ends";
            }
            if (s.size == 0 || s.size > m.slice_bytes) {
                return where + ": its size is out of range";
            }
            if (!is_sha256_hex(s.sha256)) {
                return where + ": sha256 is not 64 lower-case hex digits";
            }
            if (urls.empty() || urls.size() > kMaxManifestUrls) {
                return where + ": it needs 1 to " + std::to_string(kMaxManifestUrls) + " urls";
            }
            for (const auto& u : urls) {
                auto url = json::value_to<std::string>(u);
                if (!plausible_url(url)) {
                    return where + ": a url is not an http(s) URL";
                }
                s.urls.push_back(std::move(url));
            }
            offset += s.size;
            m.slices.push_back(std::move(s));
        }
        if (offset != m.size) {
            return std::string("the slices do not add up to the size");
        }
    } catch (const std::exception&) {
        return std::string("a field is missing or of the wrong type");
    }
    return m;
}

std::string manifest_metalink(const Manifest& m) {
    std::string out =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<metalink xmlns=\"urn:ietf:params:xml:ns:metalink\">\n"
        "  <generator>p2pls-portal</generator>\n";
    for (const ManifestSlice& s : m.slices) {
        out += "  <file name=\"" + xml_escaped(part_name(m, s.index)) + "\">\n";
        out += "    <size>" + std::to_string(s.size) + "</size>\n";
        out += "    <hash type=\"sha-256\">" + s.sha256 + "</hash>\n";
        // RFC 5854 §4.2.16: priority 1 is the most preferred.
        for (std::size_t i = 0; i < s.urls.size(); ++i) {
            out += "    <url priority=\"" + std::to_string(i + 1) + "\">" + xml_escaped(s.urls[i]) +
                   "</url>\n";
        }
        out += "  </file>\n";
    }
    out += "</metalink>\n";
    return out;
}

}  // namespace p2pls::portal
