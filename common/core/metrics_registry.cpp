#include "common/core/metrics_registry.hpp"

#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace p2pls {
namespace {

bool valid_name(std::string_view name) {
    if (name.empty()) {
        return false;
    }
    for (std::size_t i = 0; i < name.size(); ++i) {
        const char c = name[i];
        const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
        const bool digit = c >= '0' && c <= '9';
        if (!alpha && !(digit && i > 0)) {
            return false;
        }
    }
    return true;
}

// Label values escape backslash, double quote and newline; HELP escapes backslash and newline.
void append_escaped(std::string& out, std::string_view text, bool quote) {
    for (const char c : text) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '\n') {
            out += "\\n";
        } else if (quote && c == '"') {
            out += "\\\"";
        } else {
            out += c;
        }
    }
}

void append_value(std::string& out, double value) {
    if (std::isnan(value)) {
        out += "NaN";
    } else if (std::isinf(value)) {
        out += value > 0 ? "+Inf" : "-Inf";
    } else {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.17g", value);
        out += buf;
    }
}

}  // namespace

MetricsRegistry::Series& MetricsRegistry::counter(std::string_view name, std::string_view help,
                                                  Labels labels) {
    return series(name, help, "counter", std::move(labels));
}

MetricsRegistry::Series& MetricsRegistry::gauge(std::string_view name, std::string_view help,
                                                Labels labels) {
    return series(name, help, "gauge", std::move(labels));
}

MetricsRegistry::Series& MetricsRegistry::series(std::string_view name, std::string_view help,
                                                 std::string_view type, Labels labels) {
    if (!valid_name(name)) {
        throw std::invalid_argument("invalid metric name: " + std::string(name));
    }
    for (const auto& [key, value] : labels) {
        if (!valid_name(key) || key.find(':') != std::string::npos) {
            throw std::invalid_argument("invalid label name: " + key);
        }
    }
    auto it = families_.find(name);
    if (it == families_.end()) {
        it = families_.emplace(std::string(name), Family{std::string(help), std::string(type), {}})
                 .first;
    } else if (it->second.type != type) {
        throw std::invalid_argument("metric " + std::string(name) + " already registered as " +
                                    it->second.type);
    }
    auto& slot = it->second.series[std::move(labels)];
    if (!slot) {
        slot = std::make_unique<Series>();
    }
    return *slot;
}

std::string MetricsRegistry::render() const {
    std::string out;
    for (const auto& [name, family] : families_) {
        out += "# HELP " + name + " ";
        append_escaped(out, family.help, false);
        out += "\n# TYPE " + name + " " + family.type + "\n";
        for (const auto& [labels, series] : family.series) {
            out += name;
            if (!labels.empty()) {
                out += '{';
                for (std::size_t i = 0; i < labels.size(); ++i) {
                    if (i > 0) {
                        out += ',';
                    }
                    out += labels[i].first + "=\"";
                    append_escaped(out, labels[i].second, true);
                    out += '"';
                }
                out += '}';
            }
            out += ' ';
            append_value(out, series->value());
            out += '\n';
        }
    }
    return out;
}

}  // namespace p2pls
