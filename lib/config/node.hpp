// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The tree every configuration document is loaded into, whatever its format (YAML, JSON,
// .env): JSON's data model, object keys in the order of the file, and the line and column of
// every key and value, so that any finding can point at `file:line:col`.

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace cell0ctl::config {

// A place in a text: 1-based line and column, the column counted in Unicode code points
// (a tab is one). 0:0 means "unknown" (a node built in code, not read from a file).
struct Position
{
  int line = 0;
  int column = 0;

  bool known() const { return line > 0; }
  auto operator<=>(const Position&) const = default;
};

struct Member;

class Node
{
public:
  enum class Type { null, boolean, integer, real, string, array, object };
  using Array = std::vector<Node>;
  using Object = std::vector<Member>; // in the order of the file; keys are unique

  Node() = default; // null
  explicit Node(bool value, Position position = {});
  explicit Node(std::int64_t value, Position position = {});
  explicit Node(int value, Position position = {});
  explicit Node(double value, Position position = {});
  explicit Node(std::string value, Position position = {});
  explicit Node(const char* value, Position position = {});
  explicit Node(Array items, Position position = {});
  explicit Node(Object members, Position position = {});

  Type type() const { return static_cast<Type>(m_value.index()); }
  bool is_null() const { return type() == Type::null; }
  bool is_bool() const { return type() == Type::boolean; }
  bool is_number() const { return type() == Type::integer || type() == Type::real; }
  // An integer, or a float without a fractional part (JSON Schema's "integer": 1.0 is one).
  bool is_integral() const;
  bool is_string() const { return type() == Type::string; }
  bool is_array() const { return type() == Type::array; }
  bool is_object() const { return type() == Type::object; }

  // The value; each throws std::bad_variant_access when the node is of another type, except
  // as_double(), which also converts an integer.
  bool as_bool() const { return std::get<bool>(m_value); }
  std::int64_t as_int() const { return std::get<std::int64_t>(m_value); }
  double as_double() const;
  const std::string& as_string() const { return std::get<std::string>(m_value); }
  const Array& items() const { return std::get<Array>(m_value); }
  Array& items() { return std::get<Array>(m_value); }
  const Object& members() const { return std::get<Object>(m_value); }
  Object& members() { return std::get<Object>(m_value); }

  // The number of items or members; 0 for scalars.
  std::size_t size() const;

  // The value of member `key`, or nullptr when this is not an object or has no such key.
  const Node* find(std::string_view key) const;
  Node* find(std::string_view key);

  // Where the value starts in its file (for a string from YAML, its opening quote if quoted).
  Position position() const { return m_position; }
  void set_position(Position position) { m_position = position; }

  // True for a string written in quotes (always in JSON and for quoted YAML or .env values):
  // `port: "8080"` is a quoted number, a hint worth giving when a schema wants an integer.
  bool quoted() const { return m_quoted; }
  void set_quoted(bool quoted) { m_quoted = quoted; }

  // Returns "null", "boolean", "integer", "number" (a float), "string", "array" or "object".
  std::string_view type_name() const;

private:
  std::variant<std::monostate, bool, std::int64_t, double, std::string, Array, Object> m_value;
  Position m_position;
  bool m_quoted = false;
};

struct Member
{
  std::string key;
  Position key_position;
  Node value;
};

// JSON equality: numbers compare by value (1 == 1.0), objects regardless of member order.
bool equal(const Node& left, const Node& right);

// Returns the member of `object` at `pointer` (RFC 6901, "" is `root`), or nullptr.
const Node* at_pointer(const Node& root, std::string_view pointer);

// Returns `token` escaped for a JSON pointer ("a/b" -> "a~1b", "~" -> "~0").
std::string pointer_token(std::string_view token);

// Returns `node` as compact JSON text (for messages and tests); numbers as nlohmann prints
// them, strings escaped.
std::string to_json(const Node& node);

// --- Inline implementations ---
// (After Member: a body here needs Node's destructor, hence Member complete.)

inline Node::Node(int value, Position position) : Node(std::int64_t{value}, position) {}

inline Node::Node(const char* value, Position position) : Node(std::string(value), position) {}

} // namespace cell0ctl::config
