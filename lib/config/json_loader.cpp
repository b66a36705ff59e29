// SPDX-License-Identifier: GPL-3.0-or-later
// JSON through nlohmann's SAX parser. It reports no positions, so the input goes through an
// iterator that records how far the lexer has read: when an event arrives the lexer has just
// read the token it is about (plus, after a number, one character of look-ahead), which pins
// the token down exactly.
#include "lib/config/builder.hpp"
#include "lib/config/loaders.hpp"
#include "lib/config/text_index.hpp"
#include "lib/core/json_file.hpp"

#include <nlohmann/json.hpp>

#include <iterator>

namespace cell0ctl::config {

namespace {

// A `const char*` that records the end of the furthest character read through it.
class TrackingIterator
{
public:
  using iterator_category = std::forward_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = const char&;

  TrackingIterator() = default;
  TrackingIterator(const char* begin, const char* current, std::size_t* consumed)
      : m_begin(begin), m_current(current), m_consumed(consumed)
  {}

  reference operator*() const
  {
    *m_consumed = static_cast<std::size_t>(m_current - m_begin) + 1;
    return *m_current;
  }
  TrackingIterator& operator++()
  {
    ++m_current;
    return *this;
  }
  TrackingIterator operator++(int)
  {
    TrackingIterator old = *this;
    ++m_current;
    return old;
  }
  bool operator==(const TrackingIterator& other) const { return m_current == other.m_current; }

private:
  const char* m_begin = nullptr;
  const char* m_current = nullptr;
  std::size_t* m_consumed = nullptr;
};

bool number_character(char c)
{
  return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

class Handler : public nlohmann::json_sax<nlohmann::json>
{
public:
  Handler(std::string_view text, const TextIndex& index, Document& out)
      : m_text(text), m_index(index), m_tree(out.errors)
  {}

  std::size_t consumed = 0; // bytes the lexer has read

  bool null() override { return literal(Node(), 4); }
  bool boolean(bool value) override { return literal(Node(value), value ? 4 : 5); }
  bool number_integer(number_integer_t value) override { return number(Node(value)); }
  bool number_unsigned(number_unsigned_t value) override
  {
    // Beyond int64: kept as a float, as JavaScript would.
    return value <= static_cast<number_unsigned_t>(std::numeric_limits<std::int64_t>::max())
               ? number(Node(static_cast<std::int64_t>(value)))
               : number(Node(static_cast<double>(value)));
  }
  bool number_float(number_float_t value, const string_t&) override { return number(Node(value)); }
  bool string(string_t& value) override
  {
    Node node(std::move(value), m_index.position(string_start()));
    node.set_quoted(true);
    m_tree.scalar(std::move(node), {}, false);
    return true;
  }
  bool binary(binary_t&) override { return false; } // JSON text has no binary values
  bool start_object(std::size_t) override
  {
    m_tree.open(Node(Node::Object{}, m_index.position(consumed - 1)));
    return !m_tree.failed();
  }
  bool key(string_t& value) override
  {
    Node node(value, m_index.position(string_start()));
    m_tree.scalar(std::move(node), value, false);
    return true;
  }
  bool end_object() override
  {
    m_tree.close();
    return true;
  }
  bool start_array(std::size_t) override
  {
    m_tree.open(Node(Node::Array{}, m_index.position(consumed - 1)));
    return !m_tree.failed();
  }
  bool end_array() override
  {
    m_tree.close();
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override
  {
    return false;
  }

  std::optional<Node> take_root() { return m_tree.take_root(); }
  bool failed() const { return m_tree.failed(); }

private:
  // The opening quote of the string whose closing quote was the last character read: the
  // nearest quote before it that is not escaped (preceded by an even run of backslashes).
  std::size_t string_start() const
  {
    std::size_t i = consumed - 1;
    while (i > 0) {
      --i;
      if (m_text[i] == '"') {
        std::size_t backslashes = 0;
        while (backslashes < i && m_text[i - 1 - backslashes] == '\\') {
          ++backslashes;
        }
        if (backslashes % 2 == 0) {
          return i;
        }
      }
    }
    return 0;
  }

  bool literal(Node node, std::size_t length)
  {
    node.set_position(m_index.position(consumed - length));
    m_tree.scalar(std::move(node), {}, false);
    return true;
  }

  bool number(Node node)
  {
    // The lexer read one character past the number, unless the number ends the text.
    std::size_t end = consumed;
    while (end > 0 && !number_character(m_text[end - 1])) {
      --end;
    }
    std::size_t start = end;
    while (start > 0 && number_character(m_text[start - 1])) {
      --start;
    }
    node.set_position(m_index.position(start));
    m_tree.scalar(std::move(node), {}, false);
    return true;
  }

  std::string_view m_text;
  const TextIndex& m_index;
  TreeBuilder m_tree;
};

// The position of a syntax error, and the message, as json_file.cpp words them (the
// position moved from its byte columns to code points).
Diagnostic syntax_error(std::string_view text, const TextIndex& index)
{
  JsonFile file;
  parse_json_text(std::string(text), file);
  std::size_t offset = 0;
  for (int line = 1; line < file.line && offset < text.size(); ++offset) {
    if (text[offset] == '\n') {
      ++line;
    }
  }
  offset += static_cast<std::size_t>(std::max(file.column, 1) - 1);
  return {index.position(offset), file.error.empty() ? "invalid JSON" : file.error, {}};
}

} // namespace

void parse_json(std::string_view text, Document& out)
{
  const TextIndex index(text);
  Handler handler(text, index, out);
  const TrackingIterator first(text.data(), text.data(), &handler.consumed);
  const TrackingIterator last(text.data(), text.data() + text.size(), &handler.consumed);
  const bool parsed = nlohmann::json::sax_parse(first, last, &handler);
  if (parsed) {
    if (std::optional<Node> root = handler.take_root()) {
      out.documents.push_back(std::move(*root));
    }
  } else if (!handler.failed()) {
    out.errors.push_back(syntax_error(text, index));
  }
}

} // namespace cell0ctl::config
