// SPDX-License-Identifier: GPL-3.0-or-later
// YAML through yaml-cpp's event API: unlike its Node API it reports the position of every key
// and scalar, whether a scalar was quoted (tag "!") and aliases as aliases.
#include "lib/config/builder.hpp"
#include "lib/config/loaders.hpp"
#include "lib/config/text_index.hpp"

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <sstream>

namespace cell0ctl::config {

namespace {

constexpr std::string_view k_core = "tag:yaml.org,2002:";

// Thrown out of the event handler when a limit was hit; the builder has said why.
struct Abort
{};

class Handler : public YAML::EventHandler
{
public:
  Handler(const TextIndex& index, Document& out) : m_index(index), m_out(out), m_tree(out.errors) {}

  void OnDocumentStart(const YAML::Mark&) override {}

  void OnDocumentEnd() override
  {
    if (std::optional<Node> root = m_tree.take_root()) {
      m_out.documents.push_back(std::move(*root));
    }
  }

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override
  {
    // yaml-cpp places an empty value (`key:` and nothing) at the next token, often on a later
    // line; the key is the better place to point at.
    Position position = at(mark);
    if (!m_tree.expecting_key() && !explicit_null(mark)) {
      if (const Position key = m_tree.pending_key_position(); key.known()) {
        position = key;
      }
    }
    Node null;
    null.set_position(position);
    m_tree.scalar(std::move(null), "null", true, anchor);
    check();
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override
  {
    m_tree.alias(anchor, at(mark));
    check();
  }

  void OnScalar(const YAML::Mark& mark,
                const std::string& tag,
                YAML::anchor_t anchor,
                const std::string& value) override
  {
    Node node = resolve(tag, value, at(mark));
    m_tree.scalar(std::move(node), value, tag == "?", anchor);
    check();
  }

  void OnSequenceStart(const YAML::Mark& mark,
                       const std::string&,
                       YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override
  {
    m_tree.open(Node(Node::Array{}, at(mark)), anchor);
    check();
  }

  void OnSequenceEnd() override { m_tree.close(); }

  void OnMapStart(const YAML::Mark& mark,
                  const std::string&,
                  YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override
  {
    m_tree.open(Node(Node::Object{}, at(mark)), anchor);
    check();
  }

  void OnMapEnd() override { m_tree.close(); }

private:
  Position at(const YAML::Mark& mark) const
  {
    return mark.is_null() ? Position{} : m_index.position(static_cast<std::size_t>(mark.pos));
  }

  // Whether the null at `mark` is written (`~`, `null`) rather than an empty value.
  bool explicit_null(const YAML::Mark& mark) const
  {
    if (mark.is_null() || mark.pos < 0) {
      return false;
    }
    const std::string_view rest = m_index.text().substr(static_cast<std::size_t>(mark.pos));
    for (const std::string_view word : {"~", "null", "Null", "NULL"}) {
      if (rest.starts_with(word)) {
        const std::string_view after = rest.substr(word.size());
        return after.empty()
               || std::string_view(" \t\r\n,]}#").find(after.front()) != std::string_view::npos;
      }
    }
    return false;
  }

  Node resolve(const std::string& tag, const std::string& value, Position position)
  {
    Node node;
    if (tag == "?") {
      node = resolve_plain_scalar(value);
    } else if (tag == "!" || !std::string_view(tag).starts_with(k_core)) {
      // Quoted and block scalars, and values with tags of other applications (`!Ref`), are
      // strings.
      node = Node(value);
      node.set_quoted(tag == "!");
    } else {
      node = resolve_tagged(std::string_view(tag).substr(k_core.size()), value, position);
    }
    node.set_position(position);
    return node;
  }

  Node resolve_tagged(std::string_view type, const std::string& value, Position position)
  {
    if (type == "str") {
      return Node(value);
    }
    Node node = resolve_plain_scalar(value);
    if (type == "float" && node.type() == Node::Type::integer) {
      return Node(node.as_double());
    }
    const bool fits = (type == "int" && node.type() == Node::Type::integer)
                      || (type == "float" && node.type() == Node::Type::real)
                      || (type == "bool" && node.is_bool()) || (type == "null" && node.is_null());
    if (!fits && (type == "int" || type == "float" || type == "bool" || type == "null")) {
      m_out.errors.push_back({position, fmt::format("'{}' is not a valid !!{}", value, type), {}});
    }
    return node;
  }

  void check() const
  {
    if (m_tree.failed()) {
      throw Abort{};
    }
  }

  const TextIndex& m_index;
  Document& m_out;
  TreeBuilder m_tree;
};

} // namespace

void parse_yaml(std::string_view text, Document& out)
{
  const TextIndex index(text);
  std::istringstream in{std::string(text)};
  Handler handler(index, out);
  try {
    YAML::Parser parser(in);
    while (parser.HandleNextDocument(handler)) {
    }
  } catch (const YAML::Exception& e) {
    const Position position = e.mark.is_null()
                                  ? index.position(text.size())
                                  : index.position(static_cast<std::size_t>(e.mark.pos));
    out.errors.push_back({position, e.msg, {}});
  } catch (const Abort&) {
    // The builder has recorded the error.
  }
}

} // namespace cell0ctl::config
