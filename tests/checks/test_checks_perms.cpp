// SPDX-License-Identifier: GPL-3.0-or-later
#include "tests/support/host.hpp"

#include <doctest/doctest.h>

#include <unistd.h>

using namespace cell0ctl;
namespace fs = std::filesystem;

namespace {

// Whether `text` appears anywhere in what `finding` prints.
bool shows(const Finding& finding, const std::string& text)
{
  for (const std::string* field :
       {&finding.summary, &finding.details, &finding.remediation, &finding.code}) {
    if (field->find(text) != std::string::npos) {
      return true;
    }
  }
  return false;
}

} // namespace

TEST_CASE("perms.home")
{
  test::Host host;

  SUBCASE("a folder open to other users is named with its mode and the exact chmod")
  {
    host.mkdir_home("runtime");
    host.mkdir_home("runtime/logs", fs::perms(0755));
    const Finding finding = host.run("perms.home");
    CHECK(finding.status == Status::fail);
    CHECK(finding.code == "HOME_NOT_PRIVATE");
    CHECK(finding.summary
          == "1 folder of the Cell 0 home is open to other users: /home/op/.cell0/runtime/logs");
    CHECK(finding.details == "0755 /home/op/.cell0/runtime/logs");
    CHECK(finding.remediation == "chmod 700 /home/op/.cell0/runtime/logs");
  }

  SUBCASE("the home itself and several folders are all listed in one chmod")
  {
    fs::permissions(host.on_disk("/home/op/.cell0"), fs::perms(0750));
    host.mkdir_home("identity", fs::perms(0711));
    host.mkdir_home("runtime");
    const Finding finding = host.run("perms.home");
    CHECK(finding.code == "HOME_NOT_PRIVATE");
    CHECK(finding.summary
          == "2 folders of the Cell 0 home are open to other users: /home/op/.cell0, "
             "/home/op/.cell0/identity");
    CHECK(finding.details == "0750 /home/op/.cell0\n0711 /home/op/.cell0/identity");
    CHECK(finding.remediation == "chmod 700 /home/op/.cell0 /home/op/.cell0/identity");
  }

  SUBCASE("venvs and node_modules are the installer's and are not judged")
  {
    host.mkdir_home(".venv", fs::perms(0755));
    host.mkdir_home(".venv/lib", fs::perms(0755));
    host.mkdir_home("gateway");
    host.mkdir_home("gateway/node_modules", fs::perms(0755));
    host.mkdir_home("gateway/node_modules/express", fs::perms(0755));
    const Finding finding = host.run("perms.home");
    CHECK(finding.status == Status::ok);
    CHECK(finding.summary == "/home/op/.cell0 and its folders are private (0700)");
  }

  SUBCASE("everything 0700 is ok")
  {
    host.mkdir_home("runtime");
    host.mkdir_home("runtime/memory");
    host.mkdir_home("logs");
    host.write_home("runtime/memory/social.vec", "[]", fs::perms(0644));
    const Finding finding = host.run("perms.home");
    CHECK(finding.status == Status::ok);
    CHECK(finding.summary == "/home/op/.cell0 and its folders are private (0700)");
  }
}

TEST_CASE("perms.secrets")
{
  test::Host host;
  host.mkdir_home("credentials");
  host.mkdir_home("credentials/telegram");
  host.mkdir_home("identity");
  host.mkdir_home("identity/keys");

  SUBCASE("cell0.json readable by others fails with the exact chmod")
  {
    host.write_home("cell0.json", "{}", fs::perms(0644));
    const Finding finding = host.run("perms.secrets");
    CHECK(finding.status == Status::fail);
    CHECK(finding.code == "SECRETS_NOT_PRIVATE");
    CHECK(finding.summary
          == "a secret file is readable by other users: /home/op/.cell0/cell0.json");
    CHECK(finding.details == "0644 /home/op/.cell0/cell0.json");
    CHECK(finding.remediation == "chmod 600 /home/op/.cell0/cell0.json");
  }

  SUBCASE("a channel's credentials readable by the group are found")
  {
    host.write_home("cell0.json", "{}");
    host.write_home("credentials/telegram/creds.json", R"({"botToken": "x"})", fs::perms(0640));
    const Finding finding = host.run("perms.secrets");
    CHECK(finding.status == Status::fail);
    CHECK(finding.code == "SECRETS_NOT_PRIVATE");
    CHECK(finding.details == "0640 /home/op/.cell0/credentials/telegram/creds.json");
    CHECK(finding.remediation == "chmod 600 /home/op/.cell0/credentials/telegram/creds.json");
  }

  SUBCASE("identity keys are secrets too, and several files share one chmod")
  {
    host.write_home("identity/keys/device.key", "-----BEGIN PRIVATE KEY-----\n", fs::perms(0644));
    host.write_home("cell0.json", "{}", fs::perms(0604));
    const Finding finding = host.run("perms.secrets");
    CHECK(finding.code == "SECRETS_NOT_PRIVATE");
    CHECK(finding.summary
          == "2 secret files are readable by other users: /home/op/.cell0/cell0.json, "
             "/home/op/.cell0/identity/keys/device.key");
    CHECK(finding.remediation
          == "chmod 600 /home/op/.cell0/cell0.json /home/op/.cell0/identity/keys/device.key");
  }

  SUBCASE("all 0600 is ok and counted")
  {
    host.write_home("cell0.json", "{}");
    host.write_home("credentials/telegram/creds.json", "{}");
    host.write_home("identity/keys/device.key", "key");
    const Finding finding = host.run("perms.secrets");
    CHECK(finding.status == Status::ok);
    CHECK(finding.summary
          == "3 secret files private (0600, owned by uid " + std::to_string(::getuid()) + ")");
  }

  SUBCASE("no secret files is a skip")
  {
    host.write_home("runtime/memory/social.vec", "[]", fs::perms(0644));
    const Finding finding = host.run("perms.secrets");
    CHECK(finding.status == Status::skip);
  }
}

TEST_CASE("perms.tpv-store")
{
  test::Host host;

  SUBCASE("a Fernet token is encrypted")
  {
    host.write_home("tpv_store.enc",
                    "gAAAAABnRfN2x7QYcN0yJ2l3Y5f1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6q7r8s9t0u1v2w3x4y5z6"
                    "A7B8C9D0E1F2G3H4I5J6K7L8M9N0O1P2Q3R4S5T6U7V8W9X0Y1Z2a3b4c5d6e7f8g9h0==\n");
    const Finding finding = host.run("perms.tpv-store");
    CHECK(finding.status == Status::ok);
    CHECK(finding.summary == "tpv_store.enc is encrypted (Fernet)");
  }

  SUBCASE("plaintext JSON fails, counting the secrets and never showing them")
  {
    host.write_home("tpv_store.enc",
                    "{\n  \"openai_api_key\": \"sk-PLACEHOLDER-tpv-secret-one\",\n"
                    "  \"telegram_bot_token\": \"123456:PLACEHOLDER-tpv-secret-two\"\n}\n");
    const Finding finding = host.run("perms.tpv-store");
    CHECK(finding.status == Status::fail);
    CHECK(finding.code == "TPV_STORE_PLAINTEXT");
    CHECK(finding.summary.find("2 secrets stored unencrypted") != std::string::npos);
    CHECK(finding.remediation.find("CELL0_MASTER_KEY") != std::string::npos);
    CHECK_FALSE(shows(finding, "PLACEHOLDER"));
    CHECK_FALSE(shows(finding, "tpv-secret"));
  }

  SUBCASE("an empty store is a warning")
  {
    host.write_home("tpv_store.enc", "");
    const Finding finding = host.run("perms.tpv-store");
    CHECK(finding.status == Status::warn);
    CHECK(finding.code == "TPV_STORE_EMPTY");
    CHECK(finding.remediation
          == "remove it (cell0d recreates it): rm /home/op/.cell0/tpv_store.enc");
  }

  SUBCASE("something else entirely is a warning to restore it")
  {
    host.write_home("tpv_store.enc", "\x01\x02garbage");
    const Finding finding = host.run("perms.tpv-store");
    CHECK(finding.status == Status::warn);
    CHECK(finding.code == "TPV_STORE_UNKNOWN");
  }

  SUBCASE("no store is a skip")
  {
    CHECK(host.run("perms.tpv-store").status == Status::skip);
  }
}
