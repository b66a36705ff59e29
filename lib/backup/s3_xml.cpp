// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/backup/s3_xml.hpp"

#include <array>
#include <charconv>
#include <cstdint>

namespace cell0ctl::backup::s3 {

namespace {

bool is_space(char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

void append_utf8(std::string& out, std::uint32_t code)
{
  if (code < 0x80) {
    out += static_cast<char>(code);
  } else if (code < 0x800) {
    out += static_cast<char>(0xC0 | (code >> 6));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else if (code < 0x10000) {
    out += static_cast<char>(0xE0 | (code >> 12));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code >> 18));
    out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  }
}

// Appends the character `entity` ("amp", "#38", "#x26") stands for; false when it is none.
bool decode_entity(std::string_view entity, std::string& out)
{
  static constexpr std::array<std::pair<std::string_view, char>, 5> k_named = {{
      {"amp", '&'},
      {"lt", '<'},
      {"gt", '>'},
      {"quot", '"'},
      {"apos", '\''},
  }};
  for (const auto& [name, c] : k_named) {
    if (entity == name) {
      out += c;
      return true;
    }
  }
  if (entity.size() < 2 || entity[0] != '#') {
    return false;
  }
  const bool hex = entity[1] == 'x' || entity[1] == 'X';
  const std::string_view digits = entity.substr(hex ? 2 : 1);
  std::uint32_t code = 0;
  const auto [end, error] =
      std::from_chars(digits.data(), digits.data() + digits.size(), code, hex ? 16 : 10);
  if (digits.empty() || error != std::errc() || end != digits.data() + digits.size() || code == 0
      || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
    return false;
  }
  append_utf8(out, code);
  return true;
}

} // namespace

std::vector<std::string_view> xml_elements(std::string_view xml, std::string_view tag)
{
  std::vector<std::string_view> found;
  const std::string open = "<" + std::string(tag);
  const std::string close = "</" + std::string(tag) + ">";
  std::size_t at = 0;
  while ((at = xml.find(open, at)) != std::string_view::npos) {
    const std::size_t after = at + open.size();
    // "<Key" also starts "<KeyCount>".
    if (after >= xml.size() || (xml[after] != '>' && xml[after] != '/' && !is_space(xml[after]))) {
      at = after;
      continue;
    }
    const std::size_t head_end = xml.find('>', after);
    if (head_end == std::string_view::npos) {
      break;
    }
    if (xml[head_end - 1] == '/') {
      found.emplace_back();
      at = head_end + 1;
      continue;
    }
    const std::size_t end = xml.find(close, head_end + 1);
    if (end == std::string_view::npos) {
      break;
    }
    found.push_back(xml.substr(head_end + 1, end - head_end - 1));
    at = end + close.size();
  }
  return found;
}

std::optional<std::string> xml_text(std::string_view xml, std::string_view tag)
{
  const std::vector<std::string_view> found = xml_elements(xml, tag);
  if (found.empty()) {
    return std::nullopt;
  }
  return xml_decode(found.front());
}

std::string xml_decode(std::string_view text)
{
  std::string out;
  out.reserve(text.size());
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t amp = text.find('&', at);
    out.append(text.substr(at, amp - at));
    if (amp == std::string_view::npos) {
      break;
    }
    const std::size_t semicolon = text.find(';', amp);
    // The longest entity is "&#x10FFFF;"; past that the '&' stands alone.
    if (semicolon == std::string_view::npos || semicolon - amp > 9
        || !decode_entity(text.substr(amp + 1, semicolon - amp - 1), out)) {
      out += '&';
      at = amp + 1;
      continue;
    }
    at = semicolon + 1;
  }
  return out;
}

} // namespace cell0ctl::backup::s3
