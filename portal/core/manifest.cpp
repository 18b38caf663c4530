#include "portal/core/manifest.hpp"

#include <boost/json.hpp>

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
