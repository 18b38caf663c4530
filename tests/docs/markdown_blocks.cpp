#include "tests/docs/markdown_blocks.hpp"

#include <cctype>

namespace p2pls::docs {
namespace {

std::string_view trim_right(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())) != 0) {
        s.remove_suffix(1);
    }
    return s;
}

std::string_view trim(std::string_view s) {
    s = trim_right(s);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())) != 0) {
        s.remove_prefix(1);
    }
    return s;
}

// "```sh" -> fence "```", info "sh"; nullopt-like empty fence when the line is no fence.
struct Fence {
    std::string_view marker;  // the run of ` or ~ characters; empty: not a fence
    std::string_view info;
};

Fence fence_of(std::string_view line) {
    // Up to three spaces of indentation, as CommonMark allows.
    std::size_t i = 0;
    while (i < line.size() && i < 3 && line[i] == ' ') {
        ++i;
    }
    const std::string_view rest = line.substr(i);
    if (rest.empty() || (rest[0] != '`' && rest[0] != '~')) {
        return {};
    }
    std::size_t n = 0;
    while (n < rest.size() && rest[n] == rest[0]) {
        ++n;
    }
    if (n < 3) {
        return {};
    }
    return {rest.substr(0, n), trim(rest.substr(n))};
}

bool is_blank(std::string_view line) {
    return trim(line).empty();
}

bool is_indented_code(std::string_view line) {
    return !is_blank(line) && (line.starts_with("    ") || line.starts_with("\t"));
}

}  // namespace

MarkdownBlocks scan_markdown(std::string_view markdown) {
    MarkdownBlocks out;
    std::vector<std::string_view> lines;
    while (!markdown.empty()) {
        const auto nl = markdown.find('\n');
        lines.push_back(markdown.substr(0, nl));
        markdown.remove_prefix(nl == std::string_view::npos ? markdown.size() : nl + 1);
    }

    std::string heading;
    int ordinal = 0;
    bool previous_blank = true;  // an indented block starts after a blank line (or the top)
    bool in_list = false;        // indented lines under a list item continue the item
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const std::string_view line = lines[i];
        const Fence open = fence_of(line);
        if (!open.marker.empty()) {
            const std::size_t first = i + 1;
            std::size_t j = first;
            while (j < lines.size()) {
                const Fence close = fence_of(lines[j]);
                if (!close.marker.empty() && close.info.empty() &&
                    close.marker[0] == open.marker[0] &&
                    close.marker.size() >= open.marker.size()) {
                    break;
                }
                ++j;
            }
            if (j == lines.size()) {
                out.unclosed_fence_lines.push_back(static_cast<int>(i + 1));
            }
            const std::string_view lang = open.info.substr(0, open.info.find(' '));
            if (lang == "sh") {
                CommandBlock block;
                block.heading = heading;
                block.ordinal = ordinal++;
                block.line = static_cast<int>(i + 1);
                for (std::size_t k = first; k < j; ++k) {
                    block.text += std::string(lines[k]) + '\n';
                }
                out.commands.push_back(std::move(block));
            }
            i = j;  // past the closing fence (or the end)
            previous_blank = false;
            in_list = false;
            continue;
        }
        if (line.starts_with("#")) {
            std::size_t h = 0;
            while (h < line.size() && line[h] == '#') {
                ++h;
            }
            if (h <= 6 && (h == line.size() || line[h] == ' ')) {
                heading = std::string(trim(line.substr(h)));
                ordinal = 0;
                previous_blank = false;
                in_list = false;
                continue;
            }
        }
        const std::string_view stripped = trim(line);
        if (!line.starts_with(" ") && !line.starts_with("\t") &&
            (stripped.starts_with("- ") || stripped.starts_with("* ") ||
             (!stripped.empty() && std::isdigit(static_cast<unsigned char>(stripped[0])) != 0 &&
              stripped.find(". ") != std::string_view::npos && stripped.find(". ") < 4))) {
            in_list = true;
        } else if (!is_blank(line) && !line.starts_with(" ") && !line.starts_with("\t")) {
            in_list = false;
        }
        if (previous_blank && !in_list && is_indented_code(line)) {
            out.indented_code_lines.push_back(static_cast<int>(i + 1));
            while (i + 1 < lines.size() &&
                   (is_indented_code(lines[i + 1]) || is_blank(lines[i + 1]))) {
                ++i;
            }
            previous_blank = true;
            continue;
        }
        previous_blank = is_blank(line);
    }
    return out;
}

std::vector<std::string> command_lines(std::string_view block_text) {
    std::vector<std::string> out;
    while (!block_text.empty()) {
        const auto nl = block_text.find('\n');
        std::string_view line = block_text.substr(0, nl);
        block_text.remove_prefix(nl == std::string_view::npos ? block_text.size() : nl + 1);
        char quote = 0;
        for (std::size_t i = 0; i < line.size(); ++i) {
            const char c = line[i];
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
            } else if (c == '#' && (i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t')) {
                line = line.substr(0, i);
                break;
            }
        }
        line = trim(line);
        if (!line.empty()) {
            out.emplace_back(line);
        }
    }
    return out;
}

}  // namespace p2pls::docs
