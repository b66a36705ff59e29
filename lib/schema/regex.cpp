// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/schema/regex.hpp"

#include "lib/core/error.hpp"

#include <fmt/format.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

namespace cell0ctl::schema {

namespace {

constexpr std::uint32_t k_match_limit = 1000000; // backtracking steps per match
constexpr std::uint32_t k_depth_limit = 10000;   // nested backtracking frames
constexpr std::size_t k_heap_limit_kib = 64 * 1024;

// ECMA-262 writes general categories by their long names (\p{Letter}); PCRE2 10.42 knows
// only the short ones (\p{L}). Returns `pattern` with the long names replaced.
std::string translate_properties(std::string_view pattern)
{
  static constexpr std::pair<std::string_view, std::string_view> k_names[] = {
      {"Letter", "L"},
      {"Cased_Letter", "L&"},
      {"Uppercase_Letter", "Lu"},
      {"Lowercase_Letter", "Ll"},
      {"Titlecase_Letter", "Lt"},
      {"Modifier_Letter", "Lm"},
      {"Other_Letter", "Lo"},
      {"Mark", "M"},
      {"Nonspacing_Mark", "Mn"},
      {"Spacing_Mark", "Mc"},
      {"Enclosing_Mark", "Me"},
      {"Number", "N"},
      {"Decimal_Number", "Nd"},
      {"Letter_Number", "Nl"},
      {"Other_Number", "No"},
      {"Punctuation", "P"},
      {"Connector_Punctuation", "Pc"},
      {"Dash_Punctuation", "Pd"},
      {"Open_Punctuation", "Ps"},
      {"Close_Punctuation", "Pe"},
      {"Initial_Punctuation", "Pi"},
      {"Final_Punctuation", "Pf"},
      {"Other_Punctuation", "Po"},
      {"Symbol", "S"},
      {"Math_Symbol", "Sm"},
      {"Currency_Symbol", "Sc"},
      {"Modifier_Symbol", "Sk"},
      {"Other_Symbol", "So"},
      {"Separator", "Z"},
      {"Space_Separator", "Zs"},
      {"Line_Separator", "Zl"},
      {"Paragraph_Separator", "Zp"},
      {"Other", "C"},
      {"Control", "Cc"},
      {"Format", "Cf"},
      {"Surrogate", "Cs"},
      {"Private_Use", "Co"},
      {"Unassigned", "Cn"},
  };
  std::string out;
  out.reserve(pattern.size());
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != '\\' || i + 1 >= pattern.size()) {
      out += pattern[i];
      continue;
    }
    const char kind = pattern[i + 1];
    const std::size_t close = pattern.find('}', i);
    if ((kind == 'p' || kind == 'P') && i + 2 < pattern.size() && pattern[i + 2] == '{'
        && close != std::string_view::npos) {
      std::string_view name = pattern.substr(i + 3, close - i - 3);
      for (const std::string_view prefix : {"General_Category=", "gc="}) {
        if (name.starts_with(prefix)) {
          name.remove_prefix(prefix.size());
        }
      }
      for (const auto& [long_name, short_name] : k_names) {
        if (name == long_name) {
          name = short_name;
        }
      }
      out += '\\';
      out += kind;
      out += '{';
      out += name;
      out += '}';
      i = close;
      continue;
    }
    out += pattern[i];
    out += kind; // an escaped character, never the start of another escape
    ++i;
  }
  return out;
}

std::string pcre2_message(int code)
{
  PCRE2_UCHAR buffer[256];
  pcre2_get_error_message(code, buffer, sizeof buffer);
  return reinterpret_cast<const char*>(buffer);
}

} // namespace

struct Regex::Code
{
  pcre2_code* code = nullptr;
  pcre2_match_context* context = nullptr;

  ~Code()
  {
    pcre2_match_context_free(context);
    pcre2_code_free(code);
  }
};

Regex::Regex(std::string_view pattern) : m_code(std::make_unique<Code>())
{
  int error = 0;
  PCRE2_SIZE offset = 0;
  const std::string translated = translate_properties(pattern);
  // PCRE2_UCP: \d, \w and \s know Unicode, as JSON Schema's "u" flag ECMA-262 regexes do.
  m_code->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(translated.data()),
                               translated.size(),
                               PCRE2_UTF | PCRE2_UCP | PCRE2_DOLLAR_ENDONLY,
                               &error,
                               &offset,
                               nullptr);
  if (m_code->code == nullptr) {
    throw Error(Errc::failed,
                fmt::format("invalid regular expression '{}': {} at offset {}",
                            pattern,
                            pcre2_message(error),
                            offset));
  }
  m_code->context = pcre2_match_context_create(nullptr);
  pcre2_set_match_limit(m_code->context, k_match_limit);
  pcre2_set_depth_limit(m_code->context, k_depth_limit);
  pcre2_set_heap_limit(m_code->context, k_heap_limit_kib);
}

Regex::~Regex() = default;

bool Regex::search(std::string_view subject) const
{
  pcre2_match_data* data = pcre2_match_data_create_from_pattern(m_code->code, nullptr);
  const int rc = pcre2_match(m_code->code,
                             reinterpret_cast<PCRE2_SPTR>(subject.data()),
                             subject.size(),
                             0,
                             0,
                             data,
                             m_code->context);
  pcre2_match_data_free(data);
  if (rc >= 0) {
    return true;
  }
  if (rc == PCRE2_ERROR_NOMATCH) {
    return false;
  }
  throw Error(Errc::failed, fmt::format("regular expression not evaluated: {}", pcre2_message(rc)));
}

const Regex& RegexCache::get(const std::string& pattern)
{
  auto it = m_compiled.find(pattern);
  if (it == m_compiled.end()) {
    it = m_compiled.emplace(pattern, std::make_unique<Regex>(pattern)).first;
  }
  return *it->second;
}

} // namespace cell0ctl::schema
