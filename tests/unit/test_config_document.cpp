// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/config/document.hpp"
#include "lib/core/error.hpp"
#include "tests/support/scratch.hpp"

#include <doctest/doctest.h>

#include <ostream>

namespace cell0ctl::config {
// Lets doctest print positions in failed checks.
inline std::ostream& operator<<(std::ostream& out, const Position& position)
{
  return out << position.line << ':' << position.column;
}
} // namespace cell0ctl::config

#include <cmath>
#include <string>

using namespace cell0ctl;
using namespace cell0ctl::config;

namespace {

// The single document of `text`, which must load without errors.
Node load_one(std::string_view text, Format format = Format::yaml)
{
  Document document = parse(text, format, "test");
  for (const Diagnostic& error : document.errors) {
    FAIL_CHECK(describe("test", error));
  }
  REQUIRE(document.documents.size() == 1);
  return document.documents.front();
}

// The YAML scalar `text` (a value of key `v`) as loaded.
Node yaml_value(const std::string& text)
{
  const Node root = load_one("v: " + text + "\n");
  REQUIRE(root.find("v") != nullptr);
  return *root.find("v");
}

Position key_position(const Node& object, std::string_view key)
{
  for (const Member& member : object.members()) {
    if (member.key == key) {
      return member.key_position;
    }
  }
  FAIL("no key " << key);
  return {};
}

} // namespace

TEST_CASE("config::parse YAML positions")
{
  const Node root = load_one("name: cell0\n"
                             "gateway:\n"
                             "  port: 18789\n"
                             "  hosts: [a, \"b\"]\n"
                             "# comment\n"
                             "  \"quoted key\": 'v'\n"
                             "list:\n"
                             "  - x: 1\n"
                             "    y: 2\n");

  SUBCASE("keys keep the order of the file")
  {
    REQUIRE(root.is_object());
    REQUIRE(root.members().size() == 3);
    CHECK(root.members()[0].key == "name");
    CHECK(root.members()[1].key == "gateway");
    CHECK(root.members()[2].key == "list");
  }

  SUBCASE("every key and value has its 1-based line and column")
  {
    CHECK(key_position(root, "name") == Position{1, 1});
    CHECK(root.find("name")->position() == Position{1, 7});
    const Node& gateway = *root.find("gateway");
    CHECK(gateway.position() == Position{3, 3});
    CHECK(key_position(gateway, "port") == Position{3, 3});
    CHECK(gateway.find("port")->position() == Position{3, 9});
    CHECK(gateway.find("hosts")->position() == Position{4, 10});
    CHECK(gateway.find("hosts")->items()[1].position() == Position{4, 14});
    CHECK(key_position(gateway, "quoted key") == Position{6, 3});
    CHECK(gateway.find("quoted key")->position() == Position{6, 17});
    const Node& item = root.find("list")->items()[0];
    CHECK(item.position() == Position{8, 5});
    CHECK(key_position(item, "y") == Position{9, 5});
    CHECK(item.find("y")->position() == Position{9, 8});
  }

  SUBCASE("quoted scalars are marked, plain ones are not")
  {
    const Node& hosts = *root.find("gateway")->find("hosts");
    CHECK_FALSE(hosts.items()[0].quoted());
    CHECK(hosts.items()[1].quoted());
  }
}

TEST_CASE("config::parse positions count code points, not bytes")
{
  const Node root = load_one("\xC3\xA9t\xC3\xA9: caf\xC3\xA9\nb: [\"\xE2\x82\xAC\", x]\n");
  CHECK(root.find("\xC3\xA9t\xC3\xA9")->position() == Position{1, 6});
  CHECK(root.find("b")->items()[1].position() == Position{2, 10});
  const Node json = load_one("{\"\xC3\xA9\": \"\xE2\x82\xAC\", \"x\": 1}", Format::json);
  CHECK(json.find("x")->position() == Position{1, 17});
}

TEST_CASE("config::parse line ends and byte order marks")
{
  SUBCASE("CRLF line ends count as one line end")
  {
    const Node root = load_one("a: 1\r\nb:\r\n  c: 2\r\n");
    CHECK(root.find("b")->find("c")->position() == Position{3, 6});
  }
  SUBCASE("a UTF-8 byte order mark does not shift the first line")
  {
    const Node yaml = load_one("\xEF\xBB\xBF"
                               "a: 1\n");
    CHECK(yaml.find("a")->position() == Position{1, 4});
    const Node json = load_one("\xEF\xBB\xBF{\"a\": 1}", Format::json);
    CHECK(json.find("a")->position() == Position{1, 7});
  }
}

TEST_CASE("config::parse YAML 1.2 core schema scalars")
{
  SUBCASE("yes, no, on, off and y are strings, not booleans (YAML 1.1 is not followed)")
  {
    for (const char* text : {"yes", "no", "on", "off", "y", "n", "Yes", "ON"}) {
      CAPTURE(text);
      const Node value = yaml_value(text);
      REQUIRE(value.is_string());
      CHECK(value.as_string() == text);
    }
  }
  SUBCASE("true and false in three spellings are booleans")
  {
    for (const char* text : {"true", "True", "TRUE"}) {
      CHECK(yaml_value(text).as_bool());
    }
    for (const char* text : {"false", "False", "FALSE"}) {
      CHECK_FALSE(yaml_value(text).as_bool());
    }
    CHECK(yaml_value("tRUE").is_string());
  }
  SUBCASE("~, null, Null, NULL and an empty value are null; nULL is a string")
  {
    for (const char* text : {"~", "null", "Null", "NULL", ""}) {
      CAPTURE(text);
      CHECK(yaml_value(text).is_null());
    }
    CHECK(yaml_value("nULL").is_string());
  }
  SUBCASE("017 is the decimal integer 17; 0o17 is octal, 0x1F hexadecimal")
  {
    CHECK(yaml_value("017").as_int() == 17);
    CHECK(yaml_value("0o17").as_int() == 15);
    CHECK(yaml_value("0x1F").as_int() == 31);
    CHECK(yaml_value("-42").as_int() == -42);
    CHECK(yaml_value("+42").as_int() == 42);
    CHECK(yaml_value("0o18").is_string());
    CHECK(yaml_value("0b101").is_string());
    CHECK(yaml_value("1_000").is_string());
  }
  SUBCASE("1e3, 1.5, .5, 1. are floats; .inf and .nan are special floats")
  {
    CHECK(yaml_value("1e3").type() == Node::Type::real);
    CHECK(yaml_value("1e3").as_double() == 1000.0);
    CHECK(yaml_value("1.5").as_double() == 1.5);
    CHECK(yaml_value(".5").as_double() == 0.5);
    CHECK(yaml_value("1.").as_double() == 1.0);
    CHECK(yaml_value("-1.5E-2").as_double() == -0.015);
    CHECK(yaml_value(".inf").as_double() == INFINITY);
    CHECK(yaml_value("-.Inf").as_double() == -INFINITY);
    CHECK(std::isnan(yaml_value(".NaN").as_double()));
    CHECK(yaml_value("1e").is_string());
    CHECK(yaml_value("e3").is_string());
    CHECK(yaml_value("1.2.3").is_string());
  }
  SUBCASE("an integer beyond 64 bits becomes a float, the extremes stay integers")
  {
    CHECK(yaml_value("9223372036854775807").as_int() == INT64_MAX);
    CHECK(yaml_value("-9223372036854775808").as_int() == INT64_MIN);
    CHECK(yaml_value("9223372036854775808").type() == Node::Type::real);
  }
  SUBCASE("quoted numbers, booleans and nulls are strings, marked quoted")
  {
    for (const char* text : {"\"8080\"", "'8080'", "\"true\"", "'null'", "\"\""}) {
      CAPTURE(text);
      const Node value = yaml_value(text);
      CHECK(value.is_string());
      CHECK(value.quoted());
    }
    CHECK(yaml_value("\"8080\"").as_string() == "8080");
  }
  SUBCASE("a block scalar is a string even when it looks like a number")
  {
    const Node root = load_one("v: |\n  123\n");
    CHECK(root.find("v")->as_string() == "123\n");
  }
  SUBCASE("explicit core tags are honoured")
  {
    CHECK(yaml_value("!!str 123").as_string() == "123");
    CHECK(yaml_value("!!int \"12\"").as_int() == 12);
    CHECK(yaml_value("!!float 3").type() == Node::Type::real);
    CHECK(yaml_value("!!bool true").as_bool());
    CHECK(yaml_value("!Ref name").as_string() == "name");
  }
  SUBCASE("a value contradicting its tag is an error at the value")
  {
    const Document document = parse("a: 1\nb: !!int twelve\n", Format::yaml, "t.yaml");
    REQUIRE(document.errors.size() == 1);
    CHECK(describe("t.yaml", document.errors[0]) == "t.yaml:2:4: 'twelve' is not a valid !!int");
  }
}

TEST_CASE("config::parse duplicate keys")
{
  SUBCASE("in YAML, an error at the second key naming the first; the later value is kept")
  {
    const Document document = parse("a: 1\nb:\n  c: 1\n  c: 2\n", Format::yaml, "f.yaml");
    REQUIRE(document.errors.size() == 1);
    CHECK(describe("f.yaml", document.errors[0])
          == "f.yaml:4:3: duplicate key 'c' (previously defined at f.yaml:3:3)");
    REQUIRE(document.documents.size() == 1);
    CHECK(document.documents[0].find("b")->find("c")->as_int() == 2);
    CHECK(document.documents[0].find("b")->members().size() == 1);
  }
  SUBCASE("a quoted and a plain spelling of one key are duplicates")
  {
    const Document document = parse("port: 1\n\"port\": 2\n", Format::yaml, "f.yaml");
    REQUIRE(document.errors.size() == 1);
    CHECK(document.errors[0].position == Position{2, 1});
    CHECK(document.errors[0].related == Position{1, 1});
  }
  SUBCASE("in JSON, the same")
  {
    const Document document = parse("{\n  \"a\": 1,\n  \"a\": 2\n}", Format::json, "f.json");
    REQUIRE(document.errors.size() == 1);
    CHECK(describe("f.json", document.errors[0])
          == "f.json:3:3: duplicate key 'a' (previously defined at f.json:2:3)");
    CHECK(document.documents.at(0).find("a")->as_int() == 2);
  }
  SUBCASE("every duplicate is reported, not only the first")
  {
    const Document document = parse("a: 1\nb: 1\na: 2\nb: 2\n", Format::yaml, "f.yaml");
    CHECK(document.errors.size() == 2);
  }
  SUBCASE("the same key in two different mappings is no duplicate")
  {
    CHECK(parse("a: {x: 1}\nb: {x: 1}\n", Format::yaml, "f").ok());
  }
}

TEST_CASE("config::parse YAML anchors, aliases and merge keys")
{
  SUBCASE("an alias is a copy of the anchored node, its root placed at the alias")
  {
    const Node root = load_one("base: &b {x: 1}\nother: *b\n");
    const Node& other = *root.find("other");
    CHECK(other.find("x")->as_int() == 1);
    CHECK(other.position() == Position{2, 8});
    // The members are where the anchor defines them: that is where to fix them.
    CHECK(other.find("x")->position() == Position{1, 14});
  }
  SUBCASE("an anchored scalar can be a key or a value")
  {
    const Node root = load_one("a: &k name\n*k : 2\nc: *k\n");
    CHECK(root.find("name")->as_int() == 2);
    CHECK(root.find("c")->as_string() == "name");
  }
  SUBCASE("<< merges a mapping; keys of the mapping itself win, wherever they are written")
  {
    const Node root = load_one("defaults: &d {port: 80, host: a}\n"
                               "site:\n"
                               "  port: 8080\n"
                               "  <<: *d\n"
                               "  tls: true\n");
    const Node& site = *root.find("site");
    REQUIRE(site.members().size() == 3);
    CHECK(site.find("port")->as_int() == 8080);
    CHECK(site.find("port")->position() == Position{3, 9});
    CHECK(site.find("host")->as_string() == "a");
    CHECK(site.find("<<") == nullptr);
    // Merged keys take the place of the `<<` key.
    CHECK(site.members()[1].key == "host");
    CHECK(site.members()[2].key == "tls");
  }
  SUBCASE("<< with a list merges earlier mappings over later ones")
  {
    const Node root = load_one("a: &a {k: 1, x: a}\nb: &b {k: 2, y: b}\nc:\n  <<: [*a, *b]\n");
    const Node& c = *root.find("c");
    CHECK(c.find("k")->as_int() == 1);
    CHECK(c.find("x")->as_string() == "a");
    CHECK(c.find("y")->as_string() == "b");
  }
  SUBCASE("a quoted '<<' is an ordinary key")
  {
    const Node root = load_one("a: {\"<<\": {k: 1}}\n");
    CHECK(root.find("a")->find("<<") != nullptr);
  }
  SUBCASE("merging a scalar is an error at the value")
  {
    const Document document = parse("a:\n  <<: 5\n", Format::yaml, "f");
    REQUIRE(document.errors.size() == 1);
    CHECK(document.errors[0].position == Position{2, 7});
  }
  SUBCASE("a key repeated after merges is still a duplicate")
  {
    const Document document =
        parse("d: &d {k: 1}\na:\n  <<: *d\n  x: 1\n  x: 2\n", Format::yaml, "f");
    CHECK(document.errors.size() == 1);
  }
  SUBCASE("an alias inside the node it names is an error, not an endless loop")
  {
    const Document document = parse("a: &r [1, *r]\n", Format::yaml, "f");
    REQUIRE(document.errors.size() == 1);
    CHECK(document.errors[0].message.find("recursive alias") != std::string::npos);
  }
  SUBCASE("a billion laughs is stopped by the alias limit")
  {
    std::string text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
    for (int i = 1; i < 9; ++i) {
      text += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
      for (int j = 0; j < 10; ++j) {
        text += (j == 0 ? "*a" : ", *a") + std::to_string(i - 1);
      }
      text += "]\n";
    }
    const Document document = parse(text, Format::yaml, "f");
    REQUIRE_FALSE(document.ok());
    CHECK(document.errors.back().message.find("aliases expand to more than") != std::string::npos);
  }
}

TEST_CASE("config::parse multi-document YAML")
{
  SUBCASE("each --- starts a document, positions stay in file lines")
  {
    const Document document =
        parse("kind: A\n---\nkind: B\n---\n# only a comment\n...\n", Format::yaml, "m.yaml");
    CHECK(document.ok());
    REQUIRE(document.documents.size() >= 2);
    CHECK(document.documents[0].find("kind")->as_string() == "A");
    CHECK(document.documents[1].find("kind")->position() == Position{3, 7});
  }
  SUBCASE("an empty file has no document")
  {
    CHECK(parse("", Format::yaml, "e").documents.empty());
    CHECK(parse("# nothing\n", Format::yaml, "e").documents.empty());
  }
  SUBCASE("a syntax error in a later document keeps the earlier ones")
  {
    const Document document = parse("a: 1\n---\nb: [1\n", Format::yaml, "m.yaml");
    REQUIRE(document.errors.size() == 1);
    CHECK(document.documents.size() == 1);
  }
  SUBCASE("the same key in two documents is no duplicate")
  {
    CHECK(parse("a: 1\n---\na: 2\n", Format::yaml, "m").ok());
  }
}

TEST_CASE("config::parse YAML errors")
{
  SUBCASE("a syntax error is reported at its line and column")
  {
    const Document document = parse("a: 1\nb: [1, 2\nc: 3\n", Format::yaml, "bad.yaml");
    REQUIRE(document.errors.size() == 1);
    CHECK(document.errors[0].position.line >= 2);
    CHECK(describe("bad.yaml", document.errors[0]).starts_with("bad.yaml:"));
  }
  SUBCASE("a bad indentation is reported on its line")
  {
    const Document document = parse("a: 1\n  b: 2\n", Format::yaml, "bad.yaml");
    REQUIRE(document.errors.size() == 1);
    CHECK(document.errors[0].position.line == 2);
  }
  SUBCASE("a mapping key that is a list is an error")
  {
    const Document document = parse("? [a, b]\n: 1\n", Format::yaml, "f");
    REQUIRE(document.errors.size() == 1);
    CHECK(document.errors[0].position == Position{1, 3});
  }
  SUBCASE("nesting deeper than the limit is an error, not a crash")
  {
    const std::string deep = std::string(300, '[') + std::string(300, ']');
    const Document yaml = parse(deep, Format::yaml, "f");
    REQUIRE_FALSE(yaml.ok());
    CHECK(yaml.errors[0].message.find("nesting deeper than") != std::string::npos);
    const Document json = parse(deep, Format::json, "f");
    REQUIRE_FALSE(json.ok());
    CHECK(json.errors[0].message.find("nesting deeper than") != std::string::npos);
  }
  SUBCASE("an empty value is placed at its key")
  {
    const Node root = load_one("a:\n\nb: 1\n");
    CHECK(root.find("a")->is_null());
    CHECK(root.find("a")->position() == Position{1, 1});
  }
}

TEST_CASE("config::parse JSON")
{
  const Node root = load_one("{\n"
                             "  \"gateway\": {\"port\": 18789, \"bind\": \"lo\\\"op\"},\n"
                             "  \"list\": [true, null, -1.5e3, 18446744073709551615],\n"
                             "  \"\": {}\n"
                             "}\n",
                             Format::json);

  SUBCASE("positions of keys and values are exact")
  {
    CHECK(key_position(root, "gateway") == Position{2, 3});
    const Node& gateway = *root.find("gateway");
    CHECK(gateway.position() == Position{2, 14});
    CHECK(key_position(gateway, "port") == Position{2, 15});
    CHECK(gateway.find("port")->position() == Position{2, 23});
    CHECK(key_position(gateway, "bind") == Position{2, 30});
    CHECK(gateway.find("bind")->position() == Position{2, 38});
    const Node::Array& list = root.find("list")->items();
    CHECK(list[0].position() == Position{3, 12});
    CHECK(list[1].position() == Position{3, 18});
    CHECK(list[2].position() == Position{3, 24});
    CHECK(list[3].position() == Position{3, 32});
    CHECK(key_position(root, "") == Position{4, 3});
  }
  SUBCASE("values have JSON's types; strings are quoted; unsigned beyond int64 is a float")
  {
    CHECK(root.find("gateway")->find("bind")->as_string() == "lo\"op");
    CHECK(root.find("gateway")->find("bind")->quoted());
    const Node::Array& list = root.find("list")->items();
    CHECK(list[0].as_bool());
    CHECK(list[1].is_null());
    CHECK(list[2].as_double() == -1500.0);
    CHECK(list[3].type() == Node::Type::real);
  }
  SUBCASE("a number ending the text and a top-level scalar are placed")
  {
    CHECK(load_one("  42", Format::json).position() == Position{1, 3});
    CHECK(load_one("\n\"s\"", Format::json).position() == Position{2, 1});
  }
  SUBCASE("a string ending in an escaped backslash is placed at its opening quote")
  {
    const Node node = load_one(R"(["a\\", "b"])", Format::json);
    CHECK(node.items()[0].as_string() == "a\\");
    CHECK(node.items()[1].position() == Position{1, 9});
  }
  SUBCASE("a syntax error is reported at the offending token")
  {
    const Document document = parse("{\n  \"a\": 1\n  \"b\": 2\n}", Format::json, "c.json");
    REQUIRE(document.errors.size() == 1);
    CHECK(document.errors[0].position == Position{3, 3});
    CHECK(document.documents.empty());
  }
  SUBCASE("YAML-only syntax is no JSON")
  {
    CHECK_FALSE(parse("{a: 1}", Format::json, "f").ok());
    CHECK_FALSE(parse("[1,]", Format::json, "f").ok());
    CHECK_FALSE(parse("", Format::json, "f").ok());
  }
}

TEST_CASE("config::parse .env")
{
  SUBCASE("KEY=VALUE lines, comments, export, blanks and quotes")
  {
    const Node root = load_one("# header\n"
                               "\n"
                               "export CELL0_PORT=18800\n"
                               "NAME = my app   # trailing comment\n"
                               "URL=http://x/#anchor\n"
                               "SINGLE='a \\n $b # c'\n"
                               "DOUBLE=\"line\\nnext \\\"q\\\"\"\n"
                               "EMPTY=\n"
                               "MULTI=\"one\n"
                               "two\"\n"
                               "FROM_ENV\n",
                               Format::env);
    CHECK(root.find("CELL0_PORT")->as_string() == "18800");
    CHECK(root.find("NAME")->as_string() == "my app");
    CHECK(root.find("URL")->as_string() == "http://x/#anchor");
    CHECK(root.find("SINGLE")->as_string() == "a \\n $b # c");
    CHECK(root.find("SINGLE")->quoted());
    CHECK(root.find("DOUBLE")->as_string() == "line\nnext \"q\"");
    CHECK(root.find("EMPTY")->as_string().empty());
    CHECK(root.find("MULTI")->as_string() == "one\ntwo");
    CHECK(root.find("FROM_ENV")->is_null());
    CHECK_FALSE(root.find("CELL0_PORT")->quoted());
  }
  SUBCASE("every value is a string, even one that looks like a number or boolean")
  {
    const Node root = load_one("A=1\nB=true\n", Format::env);
    CHECK(root.find("A")->is_string());
    CHECK(root.find("B")->is_string());
  }
  SUBCASE("positions of keys and values")
  {
    const Node root = load_one("A=1\n  export B = \"x\"\nC=\n", Format::env);
    CHECK(key_position(root, "B") == Position{2, 10});
    CHECK(root.find("B")->position() == Position{2, 14});
    CHECK(root.find("C")->position() == Position{3, 3});
  }
  SUBCASE("errors: bad names, missing '=', unterminated quotes, text after quotes, duplicates")
  {
    const Document document =
        parse("1A=x\nB x\nC=\"x\" y\nD=1\nD=2\nE='open\n", Format::env, ".env");
    REQUIRE(document.errors.size() == 5);
    CHECK(document.errors[0].position == Position{1, 1});
    CHECK(describe(".env", document.errors[1]) == ".env:2:3: expected '=' after 'B'");
    CHECK(document.errors[2].position == Position{3, 7});
    CHECK(describe(".env", document.errors[3])
          == ".env:5:1: duplicate key 'D' (previously defined at .env:4:1)");
    CHECK(document.errors[4].position == Position{6, 3});
  }
}

TEST_CASE("config::load")
{
  test::Scratch scratch;

  SUBCASE("the format follows the file name")
  {
    CHECK(format_for("a/app_config.yaml") == Format::yaml);
    CHECK(format_for("x.yml") == Format::yaml);
    CHECK(format_for("cell0.json") == Format::json);
    CHECK(format_for(".env") == Format::env);
    CHECK(format_for("prod.env") == Format::env);
    CHECK(format_for(".env.signal.example") == Format::env);
    CHECK_FALSE(format_for("README").has_value());
  }
  SUBCASE("a file is read and named by its path")
  {
    const auto path = scratch.write("c.json", "{\"a\": [1}");
    const Document document = load(path);
    CHECK(document.format == Format::json);
    REQUIRE(document.errors.size() == 1);
    CHECK(describe(document.name, document.errors[0]).starts_with(path.string() + ":1:9: "));
  }
  SUBCASE("a missing file is an Error naming it")
  {
    CHECK_THROWS_AS(load(scratch.path() / "absent.yaml"), Error);
  }
}

TEST_CASE("config::equal and at_pointer")
{
  const Node a = load_one("{\"x\": [1, 2.0, {\"p\": null, \"q\": \"s\"}], \"a/b\": 1, \"m~n\": 2}",
                          Format::json);
  const Node b = load_one("m~n: 2.0\nx: [1.0, 2, {q: s, p: ~}]\na/b: 1\n");
  CHECK(equal(a, b));
  CHECK_FALSE(equal(load_one("[1, 2]"), load_one("[2, 1]")));
  CHECK_FALSE(equal(load_one("\"1\""), load_one("1")));
  CHECK_FALSE(equal(load_one("{a: 1}"), load_one("{a: 1, b: 2}")));
  CHECK_FALSE(equal(Node(false), Node(std::int64_t{0})));
  REQUIRE(at_pointer(a, "/x/2/q") != nullptr);
  CHECK(at_pointer(a, "/x/2/q")->as_string() == "s");
  CHECK(at_pointer(a, "/a~1b")->as_int() == 1);
  CHECK(at_pointer(a, "/m~0n")->as_int() == 2);
  CHECK(at_pointer(a, "") == &a);
  CHECK(at_pointer(a, "/x/01") == nullptr);
  CHECK(at_pointer(a, "/x/3") == nullptr);
  CHECK(at_pointer(a, "x") == nullptr);
  CHECK(pointer_token("a/b~c") == "a~1b~0c");
}
