// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Just enough XML for S3's answers (ListObjectsV2, InitiateMultipartUpload, Error): elements
// found by name, text decoded. S3 writes no CDATA, comments or DTDs, and no element it names
// twice nests in itself, so no tree is needed.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cell0ctl::backup::s3 {

// The content of every element <`tag`> of `xml`, in document order, not decoded; "" for <tag/>.
std::vector<std::string_view> xml_elements(std::string_view xml, std::string_view tag);

// The decoded content of the first element <`tag`> of `xml`, or nothing.
std::optional<std::string> xml_text(std::string_view xml, std::string_view tag);

// `text` with entities replaced: &amp; &lt; &gt; &quot; &apos; and &#NN; &#xHH; (as UTF-8).
// An unknown or malformed entity is kept as it is.
std::string xml_decode(std::string_view text);

} // namespace cell0ctl::backup::s3
