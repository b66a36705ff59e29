// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/core/json_file.hpp"

#include "lib/util/strings.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace cell0ctl {

std::pair<int, int> line_column(const std::string& text, std::size_t offset)
{
  int line = 1;
  int column = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return {line, column};
}

void parse_json_text(const std::string& text, JsonFile& out)
{
  try {
    out.document = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    // `byte` counts the bytes read when the error was found, so the culprit is the last one.
    std::size_t offset = e.byte == 0 ? 0 : std::min<std::size_t>(e.byte - 1, text.size());
    // The parser stops after the offending token; point at its first character, as editors
    // and compilers do.
    if (offset < text.size() && text[offset] == '"' && offset > 0) {
      std::size_t start = offset - 1;
      while (start > 0 && !(text[start] == '"' && text[start - 1] != '\\')) {
        --start;
      }
      offset = start;
    } else {
      const auto word = [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '-'
               || c == '+';
      };
      // An invalid literal ("tru}") is reported at the character after it.
      if (offset > 0 && offset <= text.size() && (offset == text.size() || !word(text[offset]))
          && word(text[offset - 1]) && std::string_view(e.what()).find("invalid literal") != std::string_view::npos) {
        --offset;
      }
      while (offset > 0 && offset < text.size() && word(text[offset]) && word(text[offset - 1])) {
        --offset;
      }
    }
    std::tie(out.line, out.column) = line_column(text, offset);
    std::string message = e.what();
    // nlohmann prefixes "[json.exception.parse_error.101] parse error at line 3, column 5: ".
    if (const std::size_t colon = message.find(": "); colon != std::string::npos) {
      message = message.substr(colon + 2);
    }
    // "last read: '...'" quotes the input, which may be a secret: never repeat it.
    if (const std::size_t quoted = message.find("; last read: '"); quoted != std::string::npos) {
      const std::size_t end = message.find("'", quoted + 14);
      message.erase(quoted, end == std::string::npos ? std::string::npos : end + 1 - quoted);
    }
    out.error = message;
  }
}

JsonFile read_json_file(const fs::path& path)
{
  JsonFile out;
  out.path = path;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    return out;
  }
  out.exists = true;
  out.size = fs::file_size(path, ec);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    out.error = "cannot be read";
    return out;
  }
  std::ostringstream text;
  text << in.rdbuf();
  parse_json_text(text.str(), out);
  return out;
}

namespace {

// Counts the members of the top-level value, and nothing else.
class ShapeHandler : public nlohmann::json_sax<nlohmann::json>
{
public:
  explicit ShapeHandler(JsonShape& shape) : m_shape(shape) {}

  bool null() override { return value("null"); }
  bool boolean(bool) override { return value("boolean"); }
  bool number_integer(number_integer_t) override { return value("number"); }
  bool number_unsigned(number_unsigned_t) override { return value("number"); }
  bool number_float(number_float_t, const string_t&) override { return value("number"); }
  bool string(string_t&) override { return value("string"); }
  bool binary(binary_t&) override { return value("binary"); }
  bool start_object(std::size_t) override { return open("object"); }
  bool key(string_t&) override { return true; }
  bool end_object() override { return close(); }
  bool start_array(std::size_t) override { return open("array"); }
  bool end_array() override { return close(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override
  {
    return false;
  }

private:
  bool value(const char* type)
  {
    if (m_depth == 0) {
      m_shape.type = type;
    } else if (m_depth == 1) {
      ++m_shape.elements;
    }
    return true;
  }
  bool open(const char* type)
  {
    value(type);
    ++m_depth;
    return true;
  }
  bool close()
  {
    --m_depth;
    return true;
  }

  JsonShape& m_shape;
  int m_depth = 0;
};

} // namespace

JsonShape scan_json_file(const fs::path& path)
{
  JsonShape shape;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    return shape;
  }
  shape.exists = true;
  shape.size = fs::file_size(path, ec);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    shape.error = "cannot be read";
    return shape;
  }
  if (shape.size == 0) {
    ::close(fd);
    shape.error = "empty";
    return shape;
  }
  void* mapped = ::mmap(nullptr, shape.size, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (mapped == MAP_FAILED) {
    shape.error = "cannot be read";
    return shape;
  }
  ::madvise(mapped, shape.size, MADV_SEQUENTIAL);
  const auto* begin = static_cast<const char*>(mapped);
  ShapeHandler handler(shape);
  shape.parsed = nlohmann::json::sax_parse(begin, begin + shape.size, &handler);
  if (!shape.parsed) {
    // Rare: place the error as read_json_file() does, from a copy of the text.
    JsonFile located;
    parse_json_text(std::string(begin, shape.size), located);
    shape.error = located.error;
    shape.line = located.line;
    shape.column = located.column;
    shape.type.clear();
    shape.elements = 0;
  }
  ::munmap(mapped, shape.size);
  return shape;
}

const nlohmann::json* json_at(const nlohmann::json& document, std::string_view path)
{
  const nlohmann::json* node = &document;
  for (const std::string_view step : util::split(path, '.')) {
    if (!node->is_object()) {
      return nullptr;
    }
    const auto it = node->find(std::string(step));
    if (it == node->end()) {
      return nullptr;
    }
    node = &*it;
  }
  return node;
}

std::optional<std::string> json_string(const nlohmann::json& document, std::string_view path)
{
  const nlohmann::json* node = json_at(document, path);
  if (node == nullptr || !node->is_string()) {
    return std::nullopt;
  }
  return node->get<std::string>();
}

} // namespace cell0ctl
