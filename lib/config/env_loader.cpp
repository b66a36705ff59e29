// SPDX-License-Identifier: GPL-3.0-or-later
// .env files, by the rules docker compose and python-dotenv share (document.hpp).
#include "lib/config/loaders.hpp"
#include "lib/config/text_index.hpp"

#include <fmt/format.h>

#include <unordered_map>

namespace cell0ctl::config {

namespace {

bool blank(char c)
{
  return c == ' ' || c == '\t';
}

bool name_start(char c)
{
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

bool name_char(char c)
{
  return name_start(c) || (c >= '0' && c <= '9') || c == '.' || c == '-';
}

bool line_end(char c)
{
  return c == '\n' || c == '\r';
}

class EnvParser
{
public:
  EnvParser(std::string_view text, Document& out) : m_text(text), m_index(text), m_out(out) {}

  void run()
  {
    while (m_at < m_text.size()) {
      line();
    }
    m_out.documents.push_back(Node(std::move(m_members), Position{1, 1}));
  }

private:
  char peek() const { return m_at < m_text.size() ? m_text[m_at] : '\n'; }
  bool at_end() const { return m_at >= m_text.size(); }
  void skip_blanks()
  {
    while (!at_end() && blank(m_text[m_at])) {
      ++m_at;
    }
  }
  void skip_line()
  {
    while (!at_end() && !line_end(m_text[m_at])) {
      ++m_at;
    }
    if (!at_end() && m_text[m_at] == '\r') {
      ++m_at;
    }
    if (!at_end() && m_text[m_at] == '\n') {
      ++m_at;
    }
  }
  void error(std::size_t offset, std::string message)
  {
    m_out.errors.push_back({m_index.position(offset), std::move(message), {}});
  }

  void line()
  {
    skip_blanks();
    if (at_end() || line_end(peek()) || peek() == '#') {
      skip_line();
      return;
    }
    if (m_text.substr(m_at).starts_with("export") && m_at + 6 < m_text.size()
        && blank(m_text[m_at + 6])) {
      m_at += 6;
      skip_blanks();
    }
    const std::size_t key_start = m_at;
    if (!name_start(peek())) {
      error(m_at, "expected a variable name (letters, digits and '_', not starting with a digit)");
      skip_line();
      return;
    }
    while (!at_end() && name_char(m_text[m_at])) {
      ++m_at;
    }
    const std::string key(m_text.substr(key_start, m_at - key_start));
    skip_blanks();
    if (at_end() || line_end(peek()) || peek() == '#') {
      // `KEY` alone: docker compose takes the value from the environment.
      add(key, key_start, Node(), m_at);
      skip_line();
      return;
    }
    if (peek() != '=') {
      error(m_at, fmt::format("expected '=' after '{}'", key));
      skip_line();
      return;
    }
    ++m_at;
    const std::size_t after_equals = m_at;
    skip_blanks();
    value(key, key_start, after_equals);
  }

  void value(const std::string& key, std::size_t key_start, std::size_t after_equals)
  {
    const std::size_t start = m_at;
    const char first = peek();
    if (first == '\'' || first == '"') {
      std::optional<std::string> text = quoted(first);
      if (!text) {
        error(start,
              fmt::format("unterminated {} quote in the value of '{}'",
                          first == '"' ? "double" : "single",
                          key));
        m_at = m_text.size();
        return;
      }
      Node node(std::move(*text));
      node.set_quoted(true);
      add(key, key_start, std::move(node), start);
      skip_blanks();
      if (!at_end() && !line_end(peek()) && peek() != '#') {
        error(m_at, fmt::format("unexpected text after the closing quote of '{}'", key));
      }
      skip_line();
      return;
    }
    // Unquoted: to the end of the line; ` #` starts a comment (so does `#` right after `= `).
    std::size_t end = m_at;
    while (end < m_text.size() && !line_end(m_text[end])
           && !(m_text[end] == '#' && end > after_equals && blank(m_text[end - 1]))) {
      ++end;
    }
    std::size_t trimmed = end;
    while (trimmed > start && blank(m_text[trimmed - 1])) {
      --trimmed;
    }
    add(key, key_start, Node(std::string(m_text.substr(start, trimmed - start))), start);
    m_at = end;
    skip_line();
  }

  // Reads a quoted value from its opening `quote`; nothing when it is never closed.
  std::optional<std::string> quoted(char quote)
  {
    std::string out;
    for (++m_at; m_at < m_text.size(); ++m_at) {
      const char c = m_text[m_at];
      if (c == quote) {
        ++m_at;
        return out;
      }
      if (quote == '"' && c == '\\' && m_at + 1 < m_text.size()) {
        const char next = m_text[++m_at];
        switch (next) {
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case '"':
        case '\\':
        case '$':
          out += next;
          break;
        default: // unknown escapes are kept as written
          out += '\\';
          out += next;
        }
        continue;
      }
      out += c;
    }
    return std::nullopt;
  }

  void add(const std::string& key, std::size_t key_start, Node value, std::size_t value_start)
  {
    value.set_position(m_index.position(value_start));
    const Position key_position = m_index.position(key_start);
    const auto [it, inserted] = m_seen.try_emplace(key, m_members.size());
    if (inserted) {
      m_members.push_back({key, key_position, std::move(value)});
      return;
    }
    Member& first = m_members[it->second];
    m_out.errors.push_back(
        {key_position, fmt::format("duplicate key '{}'", key), first.key_position});
    first.key_position = key_position;
    first.value = std::move(value);
  }

  std::string_view m_text;
  TextIndex m_index;
  Document& m_out;
  std::size_t m_at = 0;
  Node::Object m_members;
  std::unordered_map<std::string, std::size_t> m_seen;
};

} // namespace

void parse_env(std::string_view text, Document& out)
{
  EnvParser(text, out).run();
}

} // namespace cell0ctl::config
