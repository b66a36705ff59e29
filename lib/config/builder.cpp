// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/config/builder.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <unordered_set>

namespace cell0ctl::config {

namespace {

std::size_t count_nodes(const Node& node)
{
  std::size_t count = 1;
  if (node.is_array()) {
    for (const Node& item : node.items()) {
      count += count_nodes(item);
    }
  } else if (node.is_object()) {
    for (const Member& member : node.members()) {
      count += count_nodes(member.value);
    }
  }
  return count;
}

} // namespace

void TreeBuilder::error(Position position, std::string message, Position related)
{
  m_errors.push_back({position, std::move(message), related});
}

void TreeBuilder::open(Node container, std::size_t anchor)
{
  if (m_frames.size() >= static_cast<std::size_t>(k_max_depth)) {
    error(container.position(), fmt::format("nesting deeper than {} levels", k_max_depth));
    m_failed = true;
    return;
  }
  if (anchor != 0) {
    m_anchors[anchor] = Anchored{}; // known but incomplete until close()
  }
  Frame frame;
  frame.node = std::move(container);
  frame.anchor = anchor;
  m_frames.push_back(std::move(frame));
}

void TreeBuilder::close()
{
  if (m_frames.empty()) {
    return;
  }
  Frame frame = std::move(m_frames.back());
  m_frames.pop_back();
  if (frame.node.is_object()) {
    if (frame.have_key) {
      // A key without a value: JSON never ends so, YAML gives an empty (null) value first.
      add_member(frame, Node());
    }
    apply_merges(frame);
  }
  add(std::move(frame.node), {}, false, frame.anchor);
}

void TreeBuilder::scalar(Node value, const std::string& text, bool plain, std::size_t anchor)
{
  add(std::move(value), text, plain, anchor);
}

void TreeBuilder::alias(std::size_t anchor, Position position)
{
  const auto it = m_anchors.find(anchor);
  if (it == m_anchors.end() || !it->second.complete) {
    error(position, "alias refers to a node that contains it (a recursive alias)");
    add(Node(), {}, false, 0);
    return;
  }
  m_alias_nodes += count_nodes(it->second.node);
  if (m_alias_nodes > k_max_alias_nodes) {
    error(position, fmt::format("aliases expand to more than {} nodes", k_max_alias_nodes));
    m_failed = true;
    return;
  }
  Node copy = it->second.node;
  copy.set_position(position);
  const std::string text = it->second.text;
  add(std::move(copy), text, false, 0);
}

bool TreeBuilder::expecting_key() const
{
  return !m_frames.empty() && m_frames.back().node.is_object() && !m_frames.back().have_key;
}

Position TreeBuilder::pending_key_position() const
{
  if (m_frames.empty() || !m_frames.back().have_key) {
    return {};
  }
  return m_frames.back().key_position;
}

std::optional<Node> TreeBuilder::take_root()
{
  std::optional<Node> root = std::move(m_root);
  m_root.reset();
  m_frames.clear();
  return root;
}

void TreeBuilder::add(Node node, const std::string& text, bool plain, std::size_t anchor)
{
  if (anchor != 0) {
    m_anchors[anchor] = Anchored{node, text, true};
  }
  if (m_frames.empty()) {
    m_root = std::move(node);
    return;
  }
  Frame& frame = m_frames.back();
  if (frame.node.is_array()) {
    frame.node.items().push_back(std::move(node));
    return;
  }
  if (!frame.have_key) {
    frame.have_key = true;
    frame.key_position = node.position();
    frame.key_usable = !node.is_array() && !node.is_object();
    frame.key_is_merge = plain && text == "<<";
    frame.key = text;
    if (!frame.key_usable) {
      error(node.position(), "a mapping key must be a scalar, not a list or mapping");
    }
    return;
  }
  add_member(frame, std::move(node));
}

void TreeBuilder::add_member(Frame& frame, Node value)
{
  frame.have_key = false;
  if (!frame.key_usable) {
    return;
  }
  if (frame.key_is_merge) {
    add_merge(frame, std::move(value));
    return;
  }
  Node::Object& members = frame.node.members();
  const auto [it, inserted] = frame.index.try_emplace(frame.key, members.size());
  if (inserted) {
    members.push_back({std::move(frame.key), frame.key_position, std::move(value)});
    return;
  }
  Member& first = members[it->second];
  error(frame.key_position, fmt::format("duplicate key '{}'", frame.key), first.key_position);
  first.key_position = frame.key_position;
  first.value = std::move(value);
}

void TreeBuilder::add_merge(Frame& frame, Node value)
{
  const auto is_mapping = [](const Node& node) { return node.is_object(); };
  if (frame.merges.empty()) {
    frame.merge_at = frame.node.members().size();
  }
  if (value.is_object()) {
    frame.merges.push_back(std::move(value));
  } else if (value.is_array() && std::ranges::all_of(value.items(), is_mapping)) {
    for (Node& item : value.items()) {
      frame.merges.push_back(std::move(item));
    }
  } else {
    error(value.position(),
          "the value of a '<<' merge key must be a mapping or a list of mappings");
  }
}

void TreeBuilder::apply_merges(Frame& frame)
{
  if (frame.merges.empty()) {
    return;
  }
  Node::Object& own = frame.node.members();
  Node::Object merged_members;
  std::unordered_set<std::string> seen;
  for (Node& source : frame.merges) {
    for (Member& member : source.members()) {
      if (!frame.index.contains(member.key) && seen.insert(member.key).second) {
        merged_members.push_back(std::move(member));
      }
    }
  }
  Node::Object out;
  out.reserve(own.size() + merged_members.size());
  const auto split = own.begin() + static_cast<std::ptrdiff_t>(frame.merge_at);
  std::move(own.begin(), split, std::back_inserter(out));
  std::move(merged_members.begin(), merged_members.end(), std::back_inserter(out));
  std::move(split, own.end(), std::back_inserter(out));
  own = std::move(out);
  frame.merges.clear();
}

} // namespace cell0ctl::config
