// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/schema/uri.hpp"

#include <optional>
#include <vector>

namespace cell0ctl::schema {

namespace {

struct Parts
{
  std::optional<std::string> scheme;
  std::optional<std::string> authority;
  std::string path;
  std::optional<std::string> query;
  std::optional<std::string> fragment;
};

// RFC 3986 appendix B: ^(([^:/?#]+):)?(//([^/?#]*))?([^?#]*)(\?([^#]*))?(#(.*))?
Parts parse(std::string_view uri)
{
  Parts parts;
  if (const std::size_t hash = uri.find('#'); hash != std::string_view::npos) {
    parts.fragment = std::string(uri.substr(hash + 1));
    uri = uri.substr(0, hash);
  }
  if (const std::size_t question = uri.find('?'); question != std::string_view::npos) {
    parts.query = std::string(uri.substr(question + 1));
    uri = uri.substr(0, question);
  }
  const std::size_t colon = uri.find(':');
  if (colon != std::string_view::npos && colon > 0 && uri.find('/') > colon) {
    parts.scheme = std::string(uri.substr(0, colon));
    uri = uri.substr(colon + 1);
  }
  if (uri.starts_with("//")) {
    uri.remove_prefix(2);
    const std::size_t slash = uri.find('/');
    parts.authority = std::string(uri.substr(0, slash));
    uri = slash == std::string_view::npos ? std::string_view() : uri.substr(slash);
  }
  parts.path = std::string(uri);
  return parts;
}

// RFC 3986 section 5.2.4.
std::string remove_dot_segments(std::string_view input)
{
  std::string output;
  while (!input.empty()) {
    if (input.starts_with("../")) {
      input.remove_prefix(3);
    } else if (input.starts_with("./")) {
      input.remove_prefix(2);
    } else if (input.starts_with("/./")) {
      input.remove_prefix(2);
    } else if (input == "/.") {
      input = "/";
    } else if (input.starts_with("/../") || input == "/..") {
      input = input.size() == 3 ? std::string_view("/") : input.substr(3);
      const std::size_t last = output.rfind('/');
      output.erase(last == std::string::npos ? 0 : last);
    } else if (input == "." || input == "..") {
      input = {};
    } else {
      const std::size_t next = input.find('/', input.front() == '/' ? 1 : 0);
      const std::size_t length = next == std::string_view::npos ? input.size() : next;
      output.append(input.substr(0, length));
      input.remove_prefix(length);
    }
  }
  return output;
}

std::string merge(const Parts& base, const std::string& path)
{
  if (base.authority && base.path.empty()) {
    return "/" + path;
  }
  const std::size_t slash = base.path.rfind('/');
  return slash == std::string::npos ? path : base.path.substr(0, slash + 1) + path;
}

std::string compose(const Parts& parts)
{
  std::string out;
  if (parts.scheme) {
    out += *parts.scheme + ":";
  }
  if (parts.authority) {
    out += "//" + *parts.authority;
  }
  out += parts.path;
  if (parts.query) {
    out += "?" + *parts.query;
  }
  if (parts.fragment) {
    out += "#" + *parts.fragment;
  }
  return out;
}

int hex_value(char c)
{
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

} // namespace

std::string resolve_uri(std::string_view base_text, std::string_view reference)
{
  const Parts ref = parse(reference);
  const Parts base = parse(base_text);
  Parts target;
  if (ref.scheme) {
    target = ref;
    target.path = remove_dot_segments(ref.path);
  } else {
    if (ref.authority) {
      target.authority = ref.authority;
      target.path = remove_dot_segments(ref.path);
      target.query = ref.query;
    } else {
      if (ref.path.empty()) {
        target.path = base.path;
        target.query = ref.query ? ref.query : base.query;
      } else {
        target.path = ref.path.front() == '/' ? remove_dot_segments(ref.path)
                                              : remove_dot_segments(merge(base, ref.path));
        target.query = ref.query;
      }
      target.authority = base.authority;
    }
    target.scheme = base.scheme;
    target.fragment = ref.fragment;
  }
  return compose(target);
}

std::pair<std::string, std::string> split_fragment(std::string_view uri)
{
  const std::size_t hash = uri.find('#');
  if (hash == std::string_view::npos) {
    return {std::string(uri), {}};
  }
  return {std::string(uri.substr(0, hash)), std::string(uri.substr(hash + 1))};
}

std::string percent_decode(std::string_view text)
{
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0
        && hex_value(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::string fragment_encode(std::string_view text)
{
  static constexpr char k_hex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7F || c == '%' || c == '"' || c == '<' || c == '>' || c == '\\'
        || c == '^' || c == '`' || c == '{' || c == '|' || c == '}' || c == '#') {
      out += '%';
      out += k_hex[byte >> 4U];
      out += k_hex[byte & 0xFU];
    } else {
      out += c;
    }
  }
  return out;
}

} // namespace cell0ctl::schema
