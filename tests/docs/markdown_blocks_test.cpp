// The docs tests find what to run with this scanner: if it missed a block, that block
// would go untested; if it took a synopsis for commands, a test would run nonsense.
#include "tests/docs/markdown_blocks.hpp"

#include <gtest/gtest.h>

namespace p2pls::docs {
namespace {

TEST(MarkdownBlocks, FindsShBlocksUnderTheirHeadingsInOrder) {
    const auto md = scan_markdown(
        "# Title\n"
        "text\n"
        "## Running\n"
        "```sh\n"
        "a &\n"
        "b\n"
        "```\n"
        "between\n"
        "```sh\n"
        "c\n"
        "```\n"
        "### Other\n"
        "~~~sh\n"
        "d\n"
        "~~~\n");
    ASSERT_EQ(md.commands.size(), 3u);
    EXPECT_EQ(md.commands[0].heading, "Running");
    EXPECT_EQ(md.commands[0].ordinal, 0);
    EXPECT_EQ(md.commands[0].line, 4);
    EXPECT_EQ(md.commands[0].text, "a &\nb\n");
    EXPECT_EQ(md.commands[1].heading, "Running");
    EXPECT_EQ(md.commands[1].ordinal, 1);
    EXPECT_EQ(md.commands[1].text, "c\n");
    EXPECT_EQ(md.commands[2].heading, "Other");
    EXPECT_EQ(md.commands[2].ordinal, 0);
    EXPECT_EQ(md.commands[2].text, "d\n");
    EXPECT_TRUE(md.indented_code_lines.empty());
    EXPECT_TRUE(md.unclosed_fence_lines.empty());
}

TEST(MarkdownBlocks, SynopsesAndOtherLanguagesAreNotCommands) {
    const auto md = scan_markdown(
        "## Usage\n"
        "```\n"
        "p2pls-tracker [--listen ADDR]\n"
        "```\n"
        "```toml\n"
        "name = \"x\"\n"
        "```\n"
        "```shell-session\n"
        "$ p2pls-peer\n"
        "```\n");
    EXPECT_TRUE(md.commands.empty());
    EXPECT_TRUE(md.indented_code_lines.empty());
}

TEST(MarkdownBlocks, AHashLineInsideAFenceIsNoHeading) {
    const auto md = scan_markdown(
        "## Real\n"
        "```sh\n"
        "# a comment, not a heading\n"
        "x\n"
        "```\n"
        "```sh\n"
        "y\n"
        "```\n");
    ASSERT_EQ(md.commands.size(), 2u);
    EXPECT_EQ(md.commands[1].heading, "Real");
    EXPECT_EQ(md.commands[1].ordinal, 1);
}

TEST(MarkdownBlocks, AnIndentedCodeBlockIsReported) {
    const auto md = scan_markdown(
        "## Quick start\n"
        "\n"
        "    decade-server &\n"
        "    curl http://127.0.0.1:8300/\n"
        "\n"
        "After.\n");
    EXPECT_TRUE(md.commands.empty());
    ASSERT_EQ(md.indented_code_lines.size(), 1u);
    EXPECT_EQ(md.indented_code_lines[0], 3);
}

TEST(MarkdownBlocks, IndentedListContinuationIsNoCodeBlock) {
    const auto md = scan_markdown(
        "- an item\n"
        "\n"
        "    more of the same item\n"
        "1. numbered\n"
        "    continued\n");
    EXPECT_TRUE(md.indented_code_lines.empty());
}

TEST(MarkdownBlocks, AnUnclosedFenceIsReportedAndTakesTheRest) {
    const auto md = scan_markdown(
        "## H\n"
        "```sh\n"
        "a\n"
        "b\n");
    ASSERT_EQ(md.unclosed_fence_lines.size(), 1u);
    EXPECT_EQ(md.unclosed_fence_lines[0], 2);
    ASSERT_EQ(md.commands.size(), 1u);
    EXPECT_EQ(md.commands[0].text, "a\nb\n");
}

TEST(MarkdownBlocks, CommandLinesDropCommentsButNotQuotedHashes) {
    const auto lines = command_lines(
        "b=build/release/bin      # after the demo\n"
        "\n"
        "$b/p2pls-tracker &   # membership\n"
        "printf '#not a comment\\n' > f\n"
        "echo a#b\n");
    ASSERT_EQ(lines.size(), 4u);
    EXPECT_EQ(lines[0], "b=build/release/bin");
    EXPECT_EQ(lines[1], "$b/p2pls-tracker &");
    EXPECT_EQ(lines[2], "printf '#not a comment\\n' > f");
    EXPECT_EQ(lines[3], "echo a#b");
}

}  // namespace
}  // namespace p2pls::docs
