// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/crypto/age_stream.hpp"

#include "lib/core/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

namespace cell0ctl::age {

namespace {

constexpr std::size_t k_block_size = 64 * 1024; // DecryptingInput's reads of its input

} // namespace

// --- EncryptingOutput ---

EncryptingOutput::EncryptingOutput(archive::Output& inner, std::vector<Recipient> recipients)
    : m_inner(inner),
      m_encryptor(std::move(recipients), [&inner](std::string_view bytes) { inner.write(bytes); })
{}

void EncryptingOutput::write(std::string_view data)
{
  m_encryptor.write(data);
}

void EncryptingOutput::finish()
{
  m_encryptor.finish();
  m_inner.finish();
}

std::string EncryptingOutput::name() const
{
  return m_inner.name();
}

// --- DecryptingInput ---

DecryptingInput::DecryptingInput(archive::Input& inner, std::vector<Identity> identities)
    : m_inner(inner), m_block(k_block_size),
      m_decryptor(std::move(identities), [this](std::string_view plain) { m_plain.append(plain); })
{}

std::size_t DecryptingInput::read(char* buffer, std::size_t size)
{
  fill();
  const std::size_t count = std::min(size, m_plain.size() - m_offset);
  std::copy_n(m_plain.data() + m_offset, count, buffer);
  m_offset += count;
  return count;
}

std::string DecryptingInput::name() const
{
  return m_inner.name();
}

void DecryptingInput::fill()
{
  // `m_plain` is refilled only once read() has handed all of it out: a write of one block
  // delivers at most one chunk (a block is shorter than a sealed chunk), and so does finish().
  while (m_offset == m_plain.size() && !m_ended) {
    m_plain.clear();
    m_offset = 0;
    const std::size_t count = m_inner.read(m_block.data(), m_block.size());
    try {
      if (count > 0) {
        m_decryptor.write(std::string_view(m_block.data(), count));
      } else {
        // The Decryptor learns only here that a file cut after a full chunk is truncated.
        m_decryptor.finish();
        m_ended = true;
      }
    } catch (const Error& e) {
      throw Error(e.code(),
                  fmt::format("cannot decrypt {}: {}", name(), e.what()),
                  e.hint().empty() ? "the file is damaged or incomplete: use another copy of it"
                                   : e.hint());
    }
  }
}

} // namespace cell0ctl::age
