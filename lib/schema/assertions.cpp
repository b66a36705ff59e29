// SPDX-License-Identifier: GPL-3.0-or-later
// Assertions: keywords that check the instance itself (the validation vocabulary, and format).
#include "lib/config/document.hpp"
#include "lib/schema/evaluator.hpp"
#include "lib/schema/format.hpp"

#include <fmt/format.h>

#include <cmath>

namespace cell0ctl::schema {

using config::Member;
using config::Node;

namespace {

bool has_type(const Node& instance, std::string_view type)
{
  if (type == "integer") {
    return instance.is_integral();
  }
  if (type == "number") {
    return instance.is_number();
  }
  if (type == "null") {
    return instance.is_null();
  }
  if (type == "boolean") {
    return instance.is_bool();
  }
  if (type == "string") {
    return instance.is_string();
  }
  if (type == "array") {
    return instance.is_array();
  }
  if (type == "object") {
    return instance.is_object();
  }
  return false;
}

// -1, 0 or 1 as `left` is below, equal to or above `right`; exact for two integers.
int compare(const Node& left, const Node& right)
{
  if (left.type() == Node::Type::integer && right.type() == Node::Type::integer) {
    return left.as_int() < right.as_int() ? -1 : (left.as_int() > right.as_int() ? 1 : 0);
  }
  const double a = left.as_double();
  const double b = right.as_double();
  return a < b ? -1 : (a > b ? 1 : 0);
}

bool multiple_of(const Node& value, const Node& divisor)
{
  if (value.type() == Node::Type::integer && divisor.type() == Node::Type::integer) {
    return divisor.as_int() == 0 || value.as_int() % divisor.as_int() == 0;
  }
  const double quotient = value.as_double() / divisor.as_double();
  if (!std::isfinite(quotient)) {
    return false;
  }
  // Decimal divisors (0.01) have no exact binary form: allow for the rounding error.
  return std::abs(quotient - std::round(quotient)) <= 1e-9 * std::max(1.0, std::abs(quotient));
}

std::size_t code_points(const std::string& text)
{
  std::size_t count = 0;
  for (const char c : text) {
    count += (static_cast<unsigned char>(c) & 0xC0U) != 0x80U ? 1 : 0;
  }
  return count;
}

std::string short_json(const Node& node)
{
  std::string text = config::to_json(node);
  return text.size() > 60 ? text.substr(0, 57) + "..." : text;
}

bool count_at_least(const Node* limit, std::size_t count)
{
  return limit == nullptr || !limit->is_number()
         || static_cast<double>(count) >= limit->as_double();
}

bool count_at_most(const Node* limit, std::size_t count)
{
  return limit == nullptr || !limit->is_number()
         || static_cast<double>(count) <= limit->as_double();
}

std::string number_text(const Node& node)
{
  return config::to_json(node);
}

} // namespace

bool Evaluator::assertions(const Node& schema, const Node& instance, Errors errors)
{
  bool valid = true;
  if (const Node* type = schema.find("type")) {
    bool matches = false;
    std::string wanted;
    if (type->is_string()) {
      matches = has_type(instance, type->as_string());
      wanted = type->as_string();
    } else if (type->is_array()) {
      for (const Node& name : type->items()) {
        if (name.is_string()) {
          matches = matches || has_type(instance, name.as_string());
          wanted += (wanted.empty() ? "" : " or ") + name.as_string();
        }
      }
    }
    if (!matches) {
      std::string got(instance.type_name());
      if (instance.is_string() && instance.quoted()
          && config::resolve_plain_scalar(instance.as_string()).is_number()) {
        got = "a quoted number (string)";
      }
      fail(errors, schema, "type", instance, fmt::format("expected {}, got {}", wanted, got));
      valid = false;
    }
  }
  if (const Node* options = schema.find("enum"); options != nullptr && options->is_array()) {
    const auto& list = options->items();
    if (std::none_of(list.begin(), list.end(), [&instance](const Node& option) {
          return config::equal(option, instance);
        })) {
      fail(errors,
           schema,
           "enum",
           instance,
           fmt::format("{} is not one of {}", short_json(instance), short_json(*options)));
      valid = false;
    }
  }
  if (const Node* constant = schema.find("const");
      constant != nullptr && !config::equal(*constant, instance)) {
    fail(errors, schema, "const", instance, fmt::format("must be {}", short_json(*constant)));
    valid = false;
  }
  if (instance.is_number()) {
    valid = number_assertions(schema, instance, errors) && valid;
  } else if (instance.is_string()) {
    valid = string_assertions(schema, instance, errors) && valid;
  } else if (instance.is_array()) {
    valid = array_assertions(schema, instance, errors) && valid;
  } else if (instance.is_object()) {
    valid = object_assertions(schema, instance, errors) && valid;
  }
  return valid;
}

bool Evaluator::number_assertions(const Node& schema, const Node& instance, Errors errors)
{
  bool valid = true;
  const auto check = [&](std::string_view keyword, auto&& holds, std::string_view relation) {
    const Node* limit = schema.find(keyword);
    if (limit != nullptr && limit->is_number() && !holds(compare(instance, *limit))) {
      fail(errors,
           schema,
           keyword,
           instance,
           fmt::format("{} is {} {}", number_text(instance), relation, number_text(*limit)));
      valid = false;
    }
  };
  check(
      "maximum", [](int c) { return c <= 0; }, "greater than the maximum");
  check(
      "exclusiveMaximum", [](int c) { return c < 0; }, "not less than the exclusive maximum");
  check(
      "minimum", [](int c) { return c >= 0; }, "less than the minimum");
  check(
      "exclusiveMinimum", [](int c) { return c > 0; }, "not greater than the exclusive minimum");
  if (const Node* divisor = schema.find("multipleOf");
      divisor != nullptr && divisor->is_number() && !multiple_of(instance, *divisor)) {
    fail(errors,
         schema,
         "multipleOf",
         instance,
         fmt::format("{} is not a multiple of {}", number_text(instance), number_text(*divisor)));
    valid = false;
  }
  return valid;
}

bool Evaluator::string_assertions(const Node& schema, const Node& instance, Errors errors)
{
  bool valid = true;
  const std::size_t length = code_points(instance.as_string());
  if (!count_at_most(schema.find("maxLength"), length)) {
    fail(errors,
         schema,
         "maxLength",
         instance,
         fmt::format("is {} characters long, more than {}",
                     length,
                     number_text(*schema.find("maxLength"))));
    valid = false;
  }
  if (!count_at_least(schema.find("minLength"), length)) {
    fail(errors,
         schema,
         "minLength",
         instance,
         fmt::format("is {} characters long, fewer than {}",
                     length,
                     number_text(*schema.find("minLength"))));
    valid = false;
  }
  if (const Node* pattern = schema.find("pattern");
      pattern != nullptr && pattern->is_string()
      && !m_registry.regexes().get(pattern->as_string()).search(instance.as_string())) {
    fail(errors,
         schema,
         "pattern",
         instance,
         fmt::format("does not match the pattern '{}'", pattern->as_string()));
    valid = false;
  }
  if (const Node* format = schema.find("format"); format != nullptr && format->is_string()
                                                  && m_options.assert_formats
                                                  && !check_format(format->as_string(), instance)) {
    fail(errors, schema, "format", instance, fmt::format("is not a valid {}", format->as_string()));
    valid = false;
  }
  return valid;
}

bool Evaluator::array_assertions(const Node& schema, const Node& instance, Errors errors)
{
  bool valid = true;
  const Node::Array& items = instance.items();
  if (!count_at_most(schema.find("maxItems"), items.size())) {
    fail(errors,
         schema,
         "maxItems",
         instance,
         fmt::format(
             "has {} items, more than {}", items.size(), number_text(*schema.find("maxItems"))));
    valid = false;
  }
  if (!count_at_least(schema.find("minItems"), items.size())) {
    fail(errors,
         schema,
         "minItems",
         instance,
         fmt::format(
             "has {} items, fewer than {}", items.size(), number_text(*schema.find("minItems"))));
    valid = false;
  }
  if (const Node* unique = schema.find("uniqueItems");
      unique != nullptr && unique->is_bool() && unique->as_bool()) {
    for (std::size_t i = 0; i < items.size(); ++i) {
      for (std::size_t j = i + 1; j < items.size(); ++j) {
        if (config::equal(items[i], items[j])) {
          fail(errors,
               schema,
               "uniqueItems",
               items[j],
               fmt::format("items {} and {} are equal; items must be unique", i, j));
          valid = false;
          i = j = items.size(); // one report is enough
        }
      }
    }
  }
  return valid;
}

bool Evaluator::object_assertions(const Node& schema, const Node& instance, Errors errors)
{
  bool valid = true;
  const std::size_t count = instance.members().size();
  if (!count_at_most(schema.find("maxProperties"), count)) {
    fail(errors,
         schema,
         "maxProperties",
         instance,
         fmt::format(
             "has {} properties, more than {}", count, number_text(*schema.find("maxProperties"))));
    valid = false;
  }
  if (!count_at_least(schema.find("minProperties"), count)) {
    fail(errors,
         schema,
         "minProperties",
         instance,
         fmt::format("has {} properties, fewer than {}",
                     count,
                     number_text(*schema.find("minProperties"))));
    valid = false;
  }
  const auto require =
      [&](const Node& names, std::string_view keyword, const std::string* because) {
        if (!names.is_array()) {
          return;
        }
        for (const Node& name : names.items()) {
          if (name.is_string() && instance.find(name.as_string()) == nullptr) {
            fail(errors,
                 schema,
                 keyword,
                 instance,
                 because == nullptr ? fmt::format("property '{}' is required", name.as_string())
                                    : fmt::format("property '{}' is required when '{}' is present",
                                                  name.as_string(),
                                                  *because));
            valid = false;
          }
        }
      };
  if (const Node* required = schema.find("required")) {
    require(*required, "required", nullptr);
  }
  const bool draft7 = draft(schema) == Draft::draft7;
  if (const Node* dependent = schema.find(draft7 ? "dependencies" : "dependentRequired");
      dependent != nullptr && dependent->is_object()) {
    for (const Member& member : dependent->members()) {
      if (instance.find(member.key) != nullptr) {
        require(member.value, draft7 ? "dependencies" : "dependentRequired", &member.key);
      }
    }
  }
  return valid;
}

} // namespace cell0ctl::schema
