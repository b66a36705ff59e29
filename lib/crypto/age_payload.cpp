// SPDX-License-Identifier: GPL-3.0-or-later
// age::Encryptor and age::Decryptor: the header, then the STREAM payload in 64 KiB chunks.
#include "lib/core/error.hpp"
#include "lib/crypto/age.hpp"
#include "lib/crypto/age_common.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

namespace cell0ctl::age {

using namespace detail;

namespace {

// The STREAM nonce of chunk `counter`: an 11-byte big-endian counter, then the last-chunk flag.
AeadNonce chunk_nonce(std::uint64_t counter, bool last)
{
  AeadNonce nonce{};
  for (std::size_t i = 0; i < sizeof(counter); ++i) {
    nonce[10 - i] = static_cast<unsigned char>(counter >> (8 * i));
  }
  nonce[11] = last ? 1 : 0;
  return nonce;
}

} // namespace

// --- Encryptor ---

struct Encryptor::State
{
  Sink sink;
  Key payload_key{};
  std::uint64_t chunk = 0;
  std::string plain;  // waiting plaintext, at most one chunk
  std::string sealed; // the chunk being sent
  bool finished = false;
  bool broken = false;

  ~State()
  {
    sodium_memzero(payload_key.data(), payload_key.size());
    sodium_memzero(plain.data(), plain.size());
  }

  void check_usable() const
  {
    if (broken || finished) {
      throw Error(Errc::unknown,
                  broken ? "age: encryptor used after an error"
                         : "age: encryptor used after finish()");
    }
  }

  void seal_chunk(bool last)
  {
    seal(payload_key,
         chunk_nonce(chunk, last),
         as_bytes(plain),
         reinterpret_cast<unsigned char*>(sealed.data()));
    ++chunk;
    const std::size_t size = plain.size() + k_tag_size;
    plain.clear();
    sink(std::string_view(sealed).substr(0, size));
  }
};

Encryptor::Encryptor(std::vector<Recipient> recipients, Sink sink)
    : m_state(std::make_unique<State>())
{
  ensure_sodium();
  if (recipients.empty()) {
    throw Error(Errc::usage, "age: no recipients to encrypt to", "give at least one age1... key");
  }
  FileKey file_key;
  Wiped wipe_file_key(file_key);
  randombytes_buf(file_key.data(), file_key.size());

  std::string header = write_header(file_key, recipients);

  std::array<unsigned char, k_payload_nonce_size> nonce;
  randombytes_buf(nonce.data(), nonce.size());
  header += as_chars(nonce);
  m_state->payload_key = hkdf_sha256(file_key, nonce, "payload");
  m_state->plain.reserve(k_chunk_size);
  m_state->sealed.resize(k_sealed_chunk_size);
  m_state->sink = std::move(sink);
  m_state->sink(header);
}

Encryptor::~Encryptor() = default;
Encryptor::Encryptor(Encryptor&&) noexcept = default;
Encryptor& Encryptor::operator=(Encryptor&&) noexcept = default;

void Encryptor::write(std::string_view data)
{
  if (!m_state) {
    throw Error(Errc::unknown, "age: encryptor used after a move");
  }
  State& state = *m_state;
  state.check_usable();
  try {
    while (!data.empty()) {
      // A full chunk is sent once more data shows it is not the last one, so that a stream of
      // exactly 64 KiB ends with a full final chunk, as age writes it.
      if (state.plain.size() == k_chunk_size) {
        state.seal_chunk(false);
      }
      const std::size_t take = std::min(data.size(), k_chunk_size - state.plain.size());
      state.plain.append(data.substr(0, take));
      data.remove_prefix(take);
    }
  } catch (...) {
    state.broken = true;
    throw;
  }
}

void Encryptor::finish()
{
  if (!m_state) {
    throw Error(Errc::unknown, "age: encryptor used after a move");
  }
  State& state = *m_state;
  state.check_usable();
  try {
    state.seal_chunk(true);
  } catch (...) {
    state.broken = true;
    throw;
  }
  state.finished = true;
  sodium_memzero(state.payload_key.data(), state.payload_key.size());
}

// --- Decryptor ---

namespace {

enum class Phase {
  intro,   // the version line
  stanzas, // between stanzas: "->" or "---" next
  body,    // inside a stanza's body
  nonce,   // the payload nonce
  payload, // the chunks
  done,
  broken,
};

} // namespace

struct Decryptor::State
{
  std::vector<KeyPair> pairs;
  Sink sink;
  Phase phase = Phase::intro;
  std::string header;         // as read so far, at most k_max_header_size bytes
  std::size_t line_start = 0; // of the line being read in `header`
  std::vector<Stanza> stanzas;
  FileKey file_key{};
  std::string nonce;
  Key payload_key{};
  std::uint64_t chunk = 0;
  std::string pending; // sealed bytes of the chunk being read
  std::string plain;   // the last chunk opened
  std::size_t plain_size = 0;

  ~State()
  {
    sodium_memzero(file_key.data(), file_key.size());
    sodium_memzero(payload_key.data(), payload_key.size());
    sodium_memzero(plain.data(), plain.size());
  }

  // Consumes header bytes from `data`; returns the bytes after the header.
  std::string_view read_header(std::string_view data)
  {
    while (!data.empty()
           && (phase == Phase::intro || phase == Phase::stanzas || phase == Phase::body)) {
      const std::size_t newline = data.find('\n');
      const std::size_t take = newline == data.npos ? data.size() : newline + 1;
      if (header.size() + take > k_max_header_size) {
        fail("age header: longer than 1 MiB; the file is damaged or not an age file");
      }
      header.append(data.substr(0, take));
      data.remove_prefix(take);
      if (phase == Phase::intro) {
        check_start(header);
      }
      if (newline != std::string_view::npos) {
        const std::size_t start = line_start;
        line_start = header.size();
        read_line(std::string_view(header).substr(start, header.size() - 1 - start), start);
      }
    }
    return data;
  }

  void read_line(std::string_view line, std::size_t start)
  {
    switch (phase) {
    case Phase::intro:
      check_intro(line);
      phase = Phase::stanzas;
      break;
    case Phase::stanzas:
      if (line.starts_with("---")) {
        end_header(parse_mac_line(line), start + 3);
      } else if (line.starts_with("->")) {
        stanzas.push_back(parse_arguments(line));
        phase = Phase::body;
      } else {
        fail_malformed("unexpected line", line);
      }
      break;
    case Phase::body:
      if (add_body_line(stanzas.back(), line)) {
        phase = Phase::stanzas;
      }
      break;
    default:
      break;
    }
  }

  // Finds the file key and checks the MAC, which covers the header up to "---".
  void end_header(const Key& mac, std::size_t mac_end)
  {
    if (stanzas.empty()) {
      fail("age header: no recipient stanzas");
    }
    file_key = unwrap(stanzas, pairs);
    const Key expected = header_mac(file_key, std::string_view(header).substr(0, mac_end));
    if (crypto_verify_32(expected.data(), mac.data()) != 0) {
      fail("age header: the header MAC does not match; the header was modified or damaged");
    }
    stanzas.clear();
    header.clear();
    header.shrink_to_fit();
    line_start = 0;
    phase = Phase::nonce;
  }

  std::string_view read_nonce(std::string_view data)
  {
    const std::size_t take = std::min(data.size(), k_payload_nonce_size - nonce.size());
    nonce.append(data.substr(0, take));
    if (nonce.size() == k_payload_nonce_size) {
      payload_key = hkdf_sha256(file_key, as_bytes(nonce), "payload");
      sodium_memzero(file_key.data(), file_key.size());
      phase = Phase::payload;
    }
    return data.substr(take);
  }

  void read_payload(std::string_view data)
  {
    while (!data.empty()) {
      // More data follows a full chunk, so it is not the last one.
      if (pending.size() == k_sealed_chunk_size) {
        open_middle_chunk();
      }
      const std::size_t take = std::min(data.size(), k_sealed_chunk_size - pending.size());
      pending.append(data.substr(0, take));
      data.remove_prefix(take);
    }
  }

  bool open_pending(bool last)
  {
    if (!open(payload_key,
              chunk_nonce(chunk, last),
              as_bytes(pending),
              reinterpret_cast<unsigned char*>(plain.data()))) {
      return false;
    }
    plain_size = pending.size() - k_tag_size;
    return true;
  }

  void deliver()
  {
    ++chunk;
    pending.clear();
    sink(std::string_view(plain).substr(0, plain_size));
  }

  [[noreturn]] void fail_chunk() const
  {
    fail(fmt::format("age payload: chunk {} fails authentication; the file was modified or "
                     "damaged",
                     chunk + 1));
  }

  void open_middle_chunk()
  {
    if (open_pending(false)) {
      deliver();
      return;
    }
    if (open_pending(true)) {
      fail(fmt::format("age payload: data follows the final chunk ({}); the file was modified "
                       "or damaged",
                       chunk + 1));
    }
    fail_chunk();
  }

  void open_last_chunk()
  {
    if (pending.empty()) {
      fail(chunk == 0 ? std::string("age payload: truncated, there is no chunk after the nonce")
                      : fmt::format("age payload: truncated after chunk {}, before the final "
                                    "chunk",
                                    chunk));
    }
    if (pending.size() < k_tag_size) {
      fail(fmt::format("age payload: truncated inside chunk {}", chunk + 1));
    }
    if (!open_pending(true)) {
      if (pending.size() == k_sealed_chunk_size && open_pending(false)) {
        fail(fmt::format("age payload: truncated after chunk {}, before the final chunk",
                         chunk + 1));
      }
      fail_chunk();
    }
    if (plain_size == 0 && chunk > 0) {
      fail("age payload: the final chunk is empty, which the age format forbids",
           "age v1.0.0 accepted such files; decrypt it with that version");
    }
    deliver();
  }

  void finish()
  {
    switch (phase) {
    case Phase::intro:
      fail(header.empty() ? "not an age file (it is empty)"
                          : "not an age file (it ends inside its first line)");
    case Phase::stanzas:
    case Phase::body:
      fail("age header: truncated, the file ends inside the header");
    case Phase::nonce:
      fail("age payload: truncated, the file ends inside the payload nonce");
    default:
      open_last_chunk();
    }
  }
};

Decryptor::Decryptor(std::vector<Identity> identities, Sink sink)
    : m_state(std::make_unique<State>())
{
  ensure_sodium();
  if (identities.empty()) {
    throw Error(Errc::usage, "age: no identities to decrypt with", "give an identity file");
  }
  m_state->pairs.reserve(identities.size());
  for (const Identity& identity : identities) {
    m_state->pairs.push_back(KeyPair{identity, identity.recipient()});
  }
  m_state->sink = std::move(sink);
  m_state->pending.reserve(k_sealed_chunk_size);
  m_state->plain.resize(k_chunk_size);
}

Decryptor::~Decryptor() = default;
Decryptor::Decryptor(Decryptor&&) noexcept = default;
Decryptor& Decryptor::operator=(Decryptor&&) noexcept = default;

namespace {

// Runs a step of `state`, which is unusable afterwards if the step throws.
template <typename State, typename Step> void guarded(State* state, Step step)
{
  if (state == nullptr || state->phase == Phase::done || state->phase == Phase::broken) {
    throw Error(Errc::unknown,
                state == nullptr || state->phase == Phase::broken
                    ? "age: decryptor used after an error or a move"
                    : "age: decryptor used after finish()");
  }
  try {
    step(*state);
  } catch (...) {
    state->phase = Phase::broken;
    throw;
  }
}

} // namespace

void Decryptor::write(std::string_view ciphertext)
{
  guarded(m_state.get(), [&](State& state) {
    std::string_view data = state.read_header(ciphertext);
    if (state.phase == Phase::nonce) {
      data = state.read_nonce(data);
    }
    if (state.phase == Phase::payload) {
      state.read_payload(data);
    }
  });
}

void Decryptor::finish()
{
  guarded(m_state.get(), [](State& state) {
    state.finish();
    state.phase = Phase::done;
  });
}

} // namespace cell0ctl::age
