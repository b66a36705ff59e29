// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Builds a Node tree from a stream of parse events (YAML and JSON loaders): keys and values
// in order, duplicate keys, anchors and aliases, `<<` merges, and the depth and alias limits.
// Internal to lib/config.

#include "lib/config/document.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace cell0ctl::config {

class TreeBuilder
{
public:
  explicit TreeBuilder(std::vector<Diagnostic>& errors) : m_errors(errors) {}

  // Opens an array or object (a Node of that type, with its position); `anchor` (0 for none)
  // names it for later aliases.
  void open(Node container, std::size_t anchor = 0);

  // Closes the innermost open array or object.
  void close();

  // Adds a complete scalar. `plain` says it was written without quotes or tag (`<<` is a
  // merge key only then); `text` is its source text, used when it is a key.
  void scalar(Node value, const std::string& text, bool plain, std::size_t anchor = 0);

  // Adds a copy of the node anchored as `anchor`, placed at `position`.
  void alias(std::size_t anchor, Position position);

  // True when an array or object is open.
  bool open_containers() const { return !m_frames.empty(); }

  // Whether the next node is a key of an open object.
  bool expecting_key() const;

  // The position of the key whose value comes next (for an empty YAML value).
  Position pending_key_position() const;

  // Takes the finished root node, if any; the builder can then build the next document.
  std::optional<Node> take_root();

  // True when a limit was hit: the caller should stop feeding events.
  bool failed() const { return m_failed; }

private:
  struct Frame
  {
    Node node;
    std::size_t anchor = 0;
    bool have_key = false;
    bool key_usable = true;
    bool key_is_merge = false;
    std::string key;
    Position key_position;
    std::unordered_map<std::string, std::size_t> index; // key -> member index
    std::vector<Node> merges;                           // mappings to merge, in order
    std::size_t merge_at = 0;                           // member index of the first `<<`
  };

  struct Anchored
  {
    Node node;
    std::string text;
    bool complete = false;
  };

  void add(Node node, const std::string& text, bool plain, std::size_t anchor);
  void add_member(Frame& frame, Node value);
  void add_merge(Frame& frame, Node value);
  void apply_merges(Frame& frame);
  void error(Position position, std::string message, Position related = {});

  std::vector<Diagnostic>& m_errors;
  std::vector<Frame> m_frames;
  std::unordered_map<std::size_t, Anchored> m_anchors;
  std::optional<Node> m_root;
  std::size_t m_alias_nodes = 0;
  bool m_failed = false;
};

} // namespace cell0ctl::config
