// The command blocks of a Markdown document: what a reader is told to type. A command
// block is a fenced block whose info string is `sh` (```sh ... ```); a fence with no
// language or another one (a usage synopsis, a TOML example) is not run. Indented code
// blocks are reported apart, so that a test can insist that commands are fenced and
// labelled, and none hides from the docs tests.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace p2pls::docs {

struct CommandBlock {
    std::string heading;  // the nearest heading above the block, without the #s
    int ordinal = 0;      // 0 for the first command block under that heading, then 1, ...
    int line = 0;         // 1-based line of the opening fence
    std::string text;     // the lines between the fences, each ending in '\n'
};

struct MarkdownBlocks {
    std::vector<CommandBlock> commands;
    std::vector<int> indented_code_lines;   // 1-based first line of each indented code block
    std::vector<int> unclosed_fence_lines;  // a fence that never closes (the rest is code)
};

MarkdownBlocks scan_markdown(std::string_view markdown);

// The block's commands, one per line: comments (from an unquoted '#' preceded by a blank)
// and trailing blanks removed, empty lines dropped. For matching and messages, not running.
std::vector<std::string> command_lines(std::string_view block_text);

}  // namespace p2pls::docs
