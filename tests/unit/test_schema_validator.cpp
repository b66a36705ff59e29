// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/config/document.hpp"
#include "lib/core/error.hpp"
#include "lib/schema/regex.hpp"
#include "lib/schema/uri.hpp"
#include "lib/schema/validator.hpp"

#include <doctest/doctest.h>

#include <ostream>

namespace cell0ctl::config {
// Lets doctest print positions in failed checks.
inline std::ostream& operator<<(std::ostream& out, const Position& position)
{
  return out << position.line << ':' << position.column;
}
} // namespace cell0ctl::config

#include <string>

using namespace cell0ctl;
using namespace cell0ctl::schema;
using config::Format;
using config::Node;
using config::Position;

namespace {

Node parse_one(std::string_view text, Format format = Format::yaml)
{
  config::Document document = config::parse(text, format, "test");
  REQUIRE(document.ok());
  REQUIRE(document.documents.size() == 1);
  return document.documents.front();
}

// Validates the YAML `instance` against the JSON `schema` (default options, no loader).
Result check(std::string_view schema, std::string_view instance, Options options = {})
{
  Validator validator(options);
  const std::string uri = validator.add_schema("file:///s.json", parse_one(schema, Format::json));
  return validator.validate(parse_one(instance), uri);
}

} // namespace

TEST_CASE("schema::Validator errors point into the YAML instance and the schema")
{
  const std::string schema = R"({
  "type": "object",
  "properties": {
    "gateway": {
      "type": "object",
      "properties": {"port": {"type": "integer", "maximum": 65535}},
      "additionalProperties": false
    }
  },
  "required": ["gateway", "agent"]
})";

  SUBCASE("a value out of range: instance location, its line:col, keyword and its line:col")
  {
    const Result result = check(schema, "gateway:\n  port: 70000\nagent: {}\n");
    CHECK_FALSE(result.valid);
    REQUIRE(result.errors.size() == 1);
    const ValidationError& error = result.errors[0];
    CHECK(error.instance_location == "/gateway/port");
    CHECK(error.position == Position{2, 9});
    CHECK(error.keyword == "maximum");
    CHECK(error.keyword_location == "file:///s.json#/properties/gateway/properties/port/maximum");
    CHECK(error.schema_position == Position{6, 61});
    CHECK(error.message == "70000 is greater than the maximum 65535");
  }
  SUBCASE("an unknown property is reported at its key")
  {
    const Result result = check(schema, "agent: {}\ngateway:\n  port: 1\n  prot: 2\n");
    REQUIRE(result.errors.size() == 1);
    CHECK(result.errors[0].position == Position{4, 3});
    CHECK(result.errors[0].instance_location == "/gateway/prot");
    CHECK(result.errors[0].message == "property 'prot' is not allowed");
  }
  SUBCASE("every error is reported, not only the first")
  {
    const Result result = check(schema, "gateway:\n  port: \"8080\"\n  x: 1\n");
    CHECK(result.errors.size() == 3);
  }
  SUBCASE("a quoted number where a number is wanted says so")
  {
    const Result result = check(schema, "agent: {}\ngateway:\n  port: \"8080\"\n");
    REQUIRE(result.errors.size() == 1);
    CHECK(result.errors[0].message == "expected integer, got a quoted number (string)");
  }
  SUBCASE("a missing required property is reported at the object")
  {
    const Result result = check(schema, "gateway: {}\n");
    REQUIRE(result.errors.size() == 1);
    CHECK(result.errors[0].message == "property 'agent' is required");
    CHECK(result.errors[0].instance_location.empty());
  }
  SUBCASE("a valid instance has no errors")
  {
    const Result result = check(schema, "gateway: {port: 18789}\nagent: {}\n");
    CHECK(result.valid);
    CHECK(result.errors.empty());
  }
}

TEST_CASE("schema::Validator keyword semantics")
{
  SUBCASE("const and enum compare as JSON: 1 equals 1.0, key order does not matter")
  {
    CHECK(check(R"({"const": 1})", "1.0").valid);
    CHECK(check(R"({"enum": [{"a": 1, "b": 2}]})", "{b: 2, a: 1}").valid);
    CHECK_FALSE(check(R"({"const": 1})", "\"1\"").valid);
  }
  SUBCASE("YAML 1.2 scalars meet the schema types: yes is a string, 017 an integer")
  {
    CHECK(check(R"({"type": "string"})", "yes").valid);
    CHECK(check(R"({"type": "integer", "const": 17})", "017").valid);
    CHECK(check(R"({"type": "number", "const": 1000})", "1e3").valid);
  }
  SUBCASE("lengths count code points, not bytes")
  {
    CHECK(check(R"({"maxLength": 2})", "\"\xC3\xA9\xC3\xA9\"").valid);
    CHECK_FALSE(check(R"({"maxLength": 1})", "\"\xC3\xA9\xC3\xA9\"").valid);
  }
  SUBCASE("multipleOf works with decimal fractions")
  {
    CHECK(check(R"({"multipleOf": 0.01})", "19.99").valid);
    CHECK_FALSE(check(R"({"multipleOf": 0.01})", "19.995").valid);
  }
  SUBCASE("format is an annotation by default and an assertion on request")
  {
    CHECK(check(R"({"format": "ipv4"})", "\"300.1.1.1\"").valid);
    const Options strict{.default_draft = Draft::draft2020_12, .assert_formats = true};
    CHECK_FALSE(check(R"({"format": "ipv4"})", "\"300.1.1.1\"", strict).valid);
    CHECK(check(R"({"format": "date-time"})", "\"2026-11-20T10:00:00Z\"", strict).valid);
    CHECK_FALSE(check(R"({"format": "date"})", "\"2026-02-30\"", strict).valid);
  }
  SUBCASE("$schema chooses the draft: a draft-07 $ref hides its siblings")
  {
    const std::string draft7 = R"({"$schema": "http://json-schema.org/draft-07/schema#",
      "definitions": {"any": {}}, "properties": {"a": {"$ref": "#/definitions/any", "type": "string"}}})";
    CHECK(check(draft7, "a: 1").valid);
    const std::string draft2020 = R"({"$defs": {"any": {}},
      "properties": {"a": {"$ref": "#/$defs/any", "type": "string"}}})";
    CHECK_FALSE(check(draft2020, "a: 1").valid);
  }
  SUBCASE("the default draft applies to schemas without $schema")
  {
    const std::string schema = R"({"items": [{"type": "integer"}], "additionalItems": false})";
    const Options draft7{.default_draft = Draft::draft7, .assert_formats = false};
    CHECK_FALSE(check(schema, "[1, 2]", draft7).valid);
    CHECK(check(schema, "[1, 2]").valid); // 2020-12: array-form items is no keyword
  }
  SUBCASE("unevaluatedProperties sees properties evaluated by allOf and $ref")
  {
    const std::string schema = R"({"$defs": {"b": {"properties": {"b": true}}},
      "allOf": [{"properties": {"a": true}}], "$ref": "#/$defs/b", "unevaluatedProperties": false})";
    CHECK(check(schema, "{a: 1, b: 2}").valid);
    const Result result = check(schema, "{a: 1, b: 2, c: 3}");
    REQUIRE(result.errors.size() == 1);
    CHECK(result.errors[0].instance_location == "/c");
    CHECK(result.errors[0].position == Position{1, 14});
  }
}

TEST_CASE("schema::Validator references stay local")
{
  SUBCASE("the metaschemas are built in: validating a schema needs no loader")
  {
    Validator validator({}, [](const std::string& uri) -> std::optional<Node> {
      FAIL("the loader was asked for " << uri);
      return std::nullopt;
    });
    const std::string uri = validator.add_schema(
        "file:///m.json",
        parse_one(R"({"$ref": "https://json-schema.org/draft/2020-12/schema"})", Format::json));
    CHECK(validator.validate(parse_one("{type: string, minLength: 2}"), uri).valid);
    CHECK_FALSE(validator.validate(parse_one("{type: strin}"), uri).valid);
    CHECK_FALSE(validator.validate(parse_one("{minLength: -1}"), uri).valid);
  }
  SUBCASE("a remote reference is loaded through the loader, once")
  {
    int calls = 0;
    Validator validator({}, [&calls](const std::string& uri) -> std::optional<Node> {
      ++calls;
      CHECK(uri == "https://example.com/port.json");
      return parse_one(R"({"type": "integer", "maximum": 65535})", Format::json);
    });
    const std::string uri = validator.add_schema(
        "file:///s.json",
        parse_one(R"({"properties": {"a": {"$ref": "https://example.com/port.json"},
                      "b": {"$ref": "https://example.com/port.json#"}}})",
                  Format::json));
    CHECK(validator.validate(parse_one("{a: 80, b: 443}"), uri).valid);
    const Result result = validator.validate(parse_one("{a: 80, b: 70000}"), uri);
    REQUIRE(result.errors.size() == 1);
    CHECK(result.errors[0].keyword_location == "https://example.com/port.json#/maximum");
    CHECK(calls == 1);
  }
  SUBCASE("an unresolvable reference is an Error when the schema is added")
  {
    Validator validator;
    try {
      validator.add_schema("file:///s.json",
                           parse_one(R"({"$ref": "https://example.com/x.json"})", Format::json));
      FAIL("no error");
    } catch (const Error& e) {
      CHECK(std::string(e.what())
            == "cannot resolve 'https://example.com/x.json': no schema is known at "
               "https://example.com/x.json");
      CHECK_FALSE(e.hint().empty());
    }
    CHECK_THROWS_AS(validator.add_schema("file:///t.json",
                                         parse_one(R"({"$ref": "#/$defs/absent"})", Format::json)),
                    Error);
  }
  SUBCASE("an invalid pattern is an Error when the schema is added")
  {
    Validator validator;
    CHECK_THROWS_AS(
        validator.add_schema("file:///s.json", parse_one(R"({"pattern": "a("})", Format::json)),
        Error);
  }
  SUBCASE("a $ref cycle that never moves into the instance is an Error, not a crash")
  {
    Validator validator;
    const std::string uri = validator.add_schema(
        "file:///s.json",
        parse_one(
            R"({"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}}, "$ref": "#/$defs/a"})",
            Format::json));
    CHECK_THROWS_AS(validator.validate(parse_one("1"), uri), Error);
  }
}

TEST_CASE("schema::Regex")
{
  SUBCASE("searches anywhere, knows Unicode and ECMA-262 long property names")
  {
    CHECK(Regex("b+").search("abbc"));
    CHECK_FALSE(Regex("^b").search("abc"));
    CHECK(Regex("^\\p{Letter}+$").search("\xC3\xA9t\xC3\xA9"));
    CHECK_FALSE(Regex("^\\p{Letter}+$").search("42"));
    CHECK(Regex("^\\\\p{Letter}$").search("\\p{Letter}")); // an escaped backslash stays one
  }
  SUBCASE("catastrophic backtracking ends at the match limit with an Error")
  {
    const Regex regex("^(a+)+$");
    const std::string subject = std::string(64, 'a') + "!";
    CHECK_THROWS_AS(static_cast<void>(regex.search(subject)), Error);
  }
}

TEST_CASE("schema::resolve_uri follows RFC 3986 section 5.4")
{
  const std::string base = "http://a/b/c/d;p?q";
  CHECK(resolve_uri(base, "g") == "http://a/b/c/g");
  CHECK(resolve_uri(base, "./g") == "http://a/b/c/g");
  CHECK(resolve_uri(base, "g/") == "http://a/b/c/g/");
  CHECK(resolve_uri(base, "/g") == "http://a/g");
  CHECK(resolve_uri(base, "//g") == "http://g");
  CHECK(resolve_uri(base, "?y") == "http://a/b/c/d;p?y");
  CHECK(resolve_uri(base, "#s") == "http://a/b/c/d;p?q#s");
  CHECK(resolve_uri(base, "") == "http://a/b/c/d;p?q");
  CHECK(resolve_uri(base, "..") == "http://a/b/");
  CHECK(resolve_uri(base, "../..") == "http://a/");
  CHECK(resolve_uri(base, "../../../g") == "http://a/g");
  CHECK(resolve_uri(base, "g;x=1/../y") == "http://a/b/c/y");
  CHECK(resolve_uri("urn:uuid:deadbeef-1234-ffff-ffff-4321feebdaed", "#/$defs/a")
        == "urn:uuid:deadbeef-1234-ffff-ffff-4321feebdaed#/$defs/a");
  CHECK(percent_decode("/a%25b%7e") == "/a%b~");
}
