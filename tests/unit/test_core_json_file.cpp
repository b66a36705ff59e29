// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/core/json_file.hpp"
#include "tests/support/scratch.hpp"

#include <doctest/doctest.h>

#include <string>
#include <utility>

using namespace cell0ctl;

namespace {

// The 1-based line and column parse_json_text() reports for `text`.
std::pair<int, int> error_position(const std::string& text)
{
  JsonFile out;
  parse_json_text(text, out);
  CHECK_FALSE(out.parsed());
  CHECK_FALSE(out.error.empty());
  return {out.line, out.column};
}

} // namespace

TEST_CASE("parse_json_text")
{
  SUBCASE("a valid document is parsed, with no error")
  {
    JsonFile out;
    parse_json_text(R"({"a": [1, 2]})", out);
    REQUIRE(out.parsed());
    CHECK((*out.document)["a"][1] == 2);
    CHECK(out.error.empty());
    CHECK(out.line == 0);
  }

  SUBCASE("a missing comma is reported at the token that follows it")
  {
    CHECK(error_position("{\n  \"a\": 1,\n  \"b\": 2\n  \"gateway\": 3\n}\n") == std::pair{4, 3});
    CHECK(error_position("{\n  \"a\": 1,\n  \"b\": [1 2],\n}\n") == std::pair{3, 11});
    CHECK(error_position("{\n  \"a\": 1\n  \"say \\\"hi\\\"\": 2\n}") == std::pair{3, 3});
  }

  SUBCASE("a trailing comma is reported at the closing brace")
  {
    CHECK(error_position("{\n  \"a\": 1,\n}\n") == std::pair{3, 1});
  }

  SUBCASE("trailing garbage is reported at its first character")
  {
    CHECK(error_position(R"({"a": 1} x)") == std::pair{1, 10});
    CHECK(error_position("{\"a\": 1}\n\n  x\n") == std::pair{3, 3});
  }

  SUBCASE("a truncated file is reported just past its end")
  {
    CHECK(error_position(R"({"a": [1, 2)") == std::pair{1, 12});
    CHECK(error_position("{\"a\": [1, 2\n") == std::pair{2, 1});
    CHECK(error_position("") == std::pair{1, 1});
  }

  SUBCASE("the message never quotes the input, which may hold a secret")
  {
    JsonFile out;
    parse_json_text("{\"apiKey\": \"sk-live-1234\" \"x\": 1}", out);
    CHECK_FALSE(out.error.empty());
    CHECK(out.error.find("sk-live-1234") == std::string::npos);
    CHECK(std::pair{out.line, out.column} == std::pair{1, 27});
  }

  SUBCASE("the message is nlohmann's, without its prefix and position")
  {
    JsonFile out;
    parse_json_text("{\n  \"a\": tru\n}", out);
    CHECK(out.error.rfind("syntax error while parsing value - invalid literal", 0) == 0);
    CHECK(out.error.find("json.exception") == std::string::npos);
    CHECK(out.error.find("line 2") == std::string::npos);
    CHECK(std::pair{out.line, out.column} == std::pair{2, 8});
  }
}

TEST_CASE("line_column")
{
  const std::string text = "ab\ncd\n";
  CHECK(line_column(text, 0) == std::pair{1, 1});
  CHECK(line_column(text, 1) == std::pair{1, 2});
  CHECK(line_column(text, 2) == std::pair{1, 3});
  CHECK(line_column(text, 3) == std::pair{2, 1});
  CHECK(line_column(text, 100) == std::pair{3, 1});
}

TEST_CASE("read_json_file")
{
  test::Scratch scratch;

  SUBCASE("a missing file does not exist and has no error")
  {
    const JsonFile file = read_json_file(scratch.path() / "absent.json");
    CHECK_FALSE(file.exists);
    CHECK_FALSE(file.parsed());
    CHECK(file.error.empty());
  }

  SUBCASE("a folder is not a file")
  {
    CHECK_FALSE(read_json_file(scratch.mkdir("dir")).exists);
  }

  SUBCASE("a file is read with its size, and a bad one gets a position")
  {
    const auto path = scratch.write("c.json", "{\"a\": 1,}");
    const JsonFile file = read_json_file(path);
    CHECK(file.path == path);
    CHECK(file.exists);
    CHECK(file.size == 9u);
    CHECK_FALSE(file.parsed());
    CHECK(std::pair{file.line, file.column} == std::pair{1, 9});
  }

  SUBCASE("a good file parses")
  {
    const JsonFile file = read_json_file(scratch.write("c.json", "{\"gateway\": {\"port\": 1}}"));
    REQUIRE(file.parsed());
    CHECK((*file.document)["gateway"]["port"] == 1);
  }
}

TEST_CASE("scan_json_file: the top-level type and count, without a tree; errors where read_json_file puts them")
{
  test::Scratch scratch;
  const auto array = scan_json_file(scratch.write("a.vec", R"([{"id": "1", "v": [0.1, 0.2]}, [1, [2]], "x", 3])"));
  CHECK(array.parsed);
  CHECK(array.type == "array");
  CHECK(array.elements == 4);
  const auto object = scan_json_file(scratch.write("o.json", R"({"a": {"b": [1, 2, 3]}, "c": null})"));
  CHECK(object.type == "object");
  CHECK(object.elements == 2);
  CHECK(scan_json_file(scratch.write("n.json", "42")).type == "number");

  const std::string broken = "[\n  {\"id\": 1},\n  {\"id\": tru}\n]";
  const auto scanned = scan_json_file(scratch.write("b.vec", broken));
  const JsonFile read = read_json_file(scratch.path() / "b.vec");
  CHECK_FALSE(scanned.parsed);
  CHECK(scanned.elements == 0);
  CHECK(scanned.line == read.line);
  CHECK(scanned.column == read.column);
  CHECK(scanned.error == read.error);
  CHECK(scanned.line == 3);

  const auto trailing = scan_json_file(scratch.write("t.json", "[1, 2] [3]"));
  CHECK_FALSE(trailing.parsed);
  const auto empty = scan_json_file(scratch.write("e.vec", ""));
  CHECK(empty.exists);
  CHECK(empty.size == 0);
  CHECK_FALSE(empty.parsed);
  CHECK_FALSE(scan_json_file(scratch.path() / "missing.json").exists);
}

TEST_CASE("json_at")
{
  const auto doc = nlohmann::json::parse(
      R"({"gateway": {"auth": {"mode": "token"}, "port": 18789, "list": [1]}})");

  SUBCASE("a dotted path walks objects")
  {
    REQUIRE(json_at(doc, "gateway.auth.mode") != nullptr);
    CHECK(*json_at(doc, "gateway.auth.mode") == "token");
    CHECK(*json_at(doc, "gateway.port") == 18789);
  }

  SUBCASE("a missing key, or a step into a non-object, is null")
  {
    CHECK(json_at(doc, "gateway.nosuch") == nullptr);
    CHECK(json_at(doc, "gateway.port.x") == nullptr);
    CHECK(json_at(doc, "gateway.list.0") == nullptr);
  }

  SUBCASE("json_string returns strings only")
  {
    CHECK(json_string(doc, "gateway.auth.mode") == "token");
    CHECK(json_string(doc, "gateway.port") == std::nullopt);
    CHECK(json_string(doc, "gateway.auth") == std::nullopt);
    CHECK(json_string(doc, "nosuch") == std::nullopt);
  }
}
