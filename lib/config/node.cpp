// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/config/node.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

namespace cell0ctl::config {

namespace {

// A double equal to an int64 exactly, as an int64.
bool integral_double(double value, std::int64_t& out)
{
  // 2^63 is exact as a double; every double below it in magnitude that is integral converts.
  constexpr double k_limit = 9223372036854775808.0;
  if (!std::isfinite(value) || std::trunc(value) != value || value >= k_limit || value < -k_limit) {
    return false;
  }
  out = static_cast<std::int64_t>(value);
  return true;
}

bool equal_numbers(const Node& left, const Node& right)
{
  if (left.type() == Node::Type::integer && right.type() == Node::Type::integer) {
    return left.as_int() == right.as_int();
  }
  if (left.type() == Node::Type::real && right.type() == Node::Type::real) {
    return left.as_double() == right.as_double();
  }
  const Node& integer = left.type() == Node::Type::integer ? left : right;
  const Node& real = left.type() == Node::Type::integer ? right : left;
  std::int64_t value = 0;
  return integral_double(real.as_double(), value) && value == integer.as_int();
}

bool equal_objects(const Node::Object& left, const Node::Object& right)
{
  if (left.size() != right.size()) {
    return false;
  }
  return std::ranges::all_of(left, [&right](const Member& member) {
    const auto other = std::ranges::find(right, member.key, &Member::key);
    return other != right.end() && equal(member.value, other->value);
  });
}

nlohmann::ordered_json to_nlohmann(const Node& node)
{
  switch (node.type()) {
  case Node::Type::null:
    return nullptr;
  case Node::Type::boolean:
    return node.as_bool();
  case Node::Type::integer:
    return node.as_int();
  case Node::Type::real:
    return node.as_double();
  case Node::Type::string:
    return node.as_string();
  case Node::Type::array: {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const Node& item : node.items()) {
      out.push_back(to_nlohmann(item));
    }
    return out;
  }
  case Node::Type::object: {
    nlohmann::ordered_json out = nlohmann::ordered_json::object();
    for (const Member& member : node.members()) {
      out[member.key] = to_nlohmann(member.value);
    }
    return out;
  }
  }
  return nullptr;
}

} // namespace

Node::Node(bool value, Position position) : m_value(value), m_position(position) {}
Node::Node(std::int64_t value, Position position) : m_value(value), m_position(position) {}
Node::Node(double value, Position position) : m_value(value), m_position(position) {}
Node::Node(std::string value, Position position) : m_value(std::move(value)), m_position(position)
{}
Node::Node(Array items, Position position) : m_value(std::move(items)), m_position(position) {}
Node::Node(Object members, Position position) : m_value(std::move(members)), m_position(position) {}

bool Node::is_integral() const
{
  std::int64_t ignored = 0;
  if (type() == Type::integer) {
    return true;
  }
  if (type() != Type::real) {
    return false;
  }
  const double value = std::get<double>(m_value);
  // Integral doubles beyond the int64 range (1e300) are integers too.
  return integral_double(value, ignored) || (std::isfinite(value) && std::trunc(value) == value);
}

double Node::as_double() const
{
  if (type() == Type::integer) {
    return static_cast<double>(std::get<std::int64_t>(m_value));
  }
  return std::get<double>(m_value);
}

std::size_t Node::size() const
{
  if (is_array()) {
    return items().size();
  }
  if (is_object()) {
    return members().size();
  }
  return 0;
}

const Node* Node::find(std::string_view key) const
{
  if (!is_object()) {
    return nullptr;
  }
  const Object& object = members();
  const auto it = std::ranges::find(object, key, &Member::key);
  return it == object.end() ? nullptr : &it->value;
}

Node* Node::find(std::string_view key)
{
  return const_cast<Node*>(std::as_const(*this).find(key));
}

std::string_view Node::type_name() const
{
  switch (type()) {
  case Type::null:
    return "null";
  case Type::boolean:
    return "boolean";
  case Type::integer:
    return "integer";
  case Type::real:
    return "number";
  case Type::string:
    return "string";
  case Type::array:
    return "array";
  case Type::object:
    return "object";
  }
  return "null";
}

bool equal(const Node& left, const Node& right)
{
  if (left.is_number() && right.is_number()) {
    return equal_numbers(left, right);
  }
  if (left.type() != right.type()) {
    return false;
  }
  switch (left.type()) {
  case Node::Type::null:
    return true;
  case Node::Type::boolean:
    return left.as_bool() == right.as_bool();
  case Node::Type::string:
    return left.as_string() == right.as_string();
  case Node::Type::array:
    return std::ranges::equal(
        left.items(), right.items(), [](const Node& a, const Node& b) { return equal(a, b); });
  case Node::Type::object:
    return equal_objects(left.members(), right.members());
  default:
    return false; // numbers are handled above
  }
}

const Node* at_pointer(const Node& root, std::string_view pointer)
{
  const Node* node = &root;
  while (!pointer.empty()) {
    if (pointer.front() != '/') {
      return nullptr;
    }
    pointer.remove_prefix(1);
    const std::size_t end = std::min(pointer.find('/'), pointer.size());
    std::string token;
    for (std::size_t i = 0; i < end; ++i) {
      if (pointer[i] == '~' && i + 1 < end && (pointer[i + 1] == '0' || pointer[i + 1] == '1')) {
        token += pointer[i + 1] == '0' ? '~' : '/';
        ++i;
      } else {
        token += pointer[i];
      }
    }
    pointer.remove_prefix(end);
    if (node->is_object()) {
      node = node->find(token);
    } else if (node->is_array()) {
      // Array indices are decimal without leading zeros ("0", "12", never "01" or "-1").
      if (token.empty() || token.size() > 18 || (token.size() > 1 && token[0] == '0')
          || !std::ranges::all_of(token, [](char c) { return c >= '0' && c <= '9'; })) {
        return nullptr;
      }
      const std::size_t index = std::stoull(token);
      node = index < node->items().size() ? &node->items()[index] : nullptr;
    } else {
      return nullptr;
    }
    if (node == nullptr) {
      return nullptr;
    }
  }
  return node;
}

std::string pointer_token(std::string_view token)
{
  std::string out;
  out.reserve(token.size());
  for (const char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

std::string to_json(const Node& node)
{
  return to_nlohmann(node).dump();
}

} // namespace cell0ctl::config
