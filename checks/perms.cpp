// SPDX-License-Identifier: GPL-3.0-or-later
// perms.home, perms.secrets, perms.tpv-store: Cell 0 keeps API keys, tokens and identity keys
// in its home, written with the default umask (cell0.json is 0644 in practice).
#include "checks/common.hpp"
#include "lib/util/strings.hpp"

#include <fmt/format.h>

#include <fstream>

#include <sys/stat.h>

namespace fs = std::filesystem;

namespace cell0ctl::checks {

namespace {

constexpr fs::perms k_group_other = fs::perms::group_all | fs::perms::others_all;

// Folders of software, not of state: their modes are the installer's business.
bool is_tool_folder(const std::string& name)
{
  return name == ".venv" || name == "venv" || name == "node_modules" || name == "__pycache__"
         || name == "mlx_cache" || name == "search_cache";
}

// "a, b, c and 4 more"
std::string short_list(const std::vector<std::string>& items, std::size_t shown = 3)
{
  std::vector<std::string> head(items.begin(), items.begin() + std::min(shown, items.size()));
  std::string text = util::join(head, ", ");
  if (items.size() > shown) {
    text += fmt::format(" and {} more", items.size() - shown);
  }
  return text;
}

std::string chmod_command(const std::string& mode, const std::vector<std::string>& paths)
{
  std::vector<std::string> quoted;
  for (const std::string& path : paths) {
    quoted.push_back(shell_quote(path));
  }
  return fmt::format("chmod {} {}", mode, util::join(quoted, " "));
}

Finding run_home(Context& context)
{
  const fs::path home = context.home();
  std::vector<std::string> open_dirs;
  std::vector<std::string> details;
  const auto look = [&](const fs::path& dir) {
    std::error_code ec;
    const fs::perms perms = fs::status(context.host_path(dir), ec).permissions();
    if (!ec && (perms & k_group_other) != fs::perms::none) {
      open_dirs.push_back(dir.string());
      details.push_back(fmt::format("{} {}", mode_string(perms), dir.string()));
    }
  };
  look(home);
  std::error_code ec;
  fs::recursive_directory_iterator it(context.host_path(home),
                                      fs::directory_options::skip_permission_denied,
                                      ec);
  for (const fs::recursive_directory_iterator end; !ec && it != end; it.increment(ec)) {
    if (it->is_symlink(ec) || !it->is_directory(ec)) {
      continue;
    }
    if (is_tool_folder(it->path().filename().string())) {
      it.disable_recursion_pending();
      continue;
    }
    look(home / it->path().lexically_relative(context.host_path(home)));
  }
  if (open_dirs.empty()) {
    return ok(fmt::format("{} and its folders are private (0700)", home.string()));
  }
  Finding finding = fail("HOME_NOT_PRIVATE",
                         fmt::format("{} of the Cell 0 home {} open to other users: {}",
                                     open_dirs.size() == 1 ? std::string("1 folder")
                                                           : fmt::format("{} folders", open_dirs.size()),
                                     open_dirs.size() == 1 ? "is" : "are",
                                     short_list(open_dirs)),
                         chmod_command("700", open_dirs));
  finding.details = util::join(details, "\n");
  return finding;
}

// Files that hold secrets: cell0.json, everything under credentials/ and identity/keys/, and
// the TPV store.
std::vector<fs::path> secret_files(Context& context)
{
  std::vector<fs::path> files;
  std::error_code ec;
  for (const char* name : {"cell0.json", "tpv_store.enc", "tpv_backup.enc"}) {
    if (fs::is_regular_file(context.host_path(context.home(name)), ec)) {
      files.push_back(context.home(name));
    }
  }
  for (const char* dir : {"credentials", "identity/keys"}) {
    const fs::path base = context.home(dir);
    fs::recursive_directory_iterator it(context.host_path(base),
                                        fs::directory_options::skip_permission_denied,
                                        ec);
    for (const fs::recursive_directory_iterator end; !ec && it != end; it.increment(ec)) {
      if (it->is_regular_file(ec) && !it->is_symlink(ec)) {
        files.push_back(base / it->path().lexically_relative(context.host_path(base)));
      }
    }
  }
  return files;
}

Finding run_secrets(Context& context)
{
  std::vector<std::string> open_files;
  std::vector<std::string> foreign;
  std::vector<std::string> details;
  const std::vector<fs::path> files = secret_files(context);
  for (const fs::path& file : files) {
    struct stat st{};
    if (::stat(context.host_path(file).c_str(), &st) != 0) {
      continue;
    }
    const auto perms = static_cast<fs::perms>(st.st_mode) & fs::perms::mask;
    if ((perms & k_group_other) != fs::perms::none) {
      open_files.push_back(file.string());
      details.push_back(fmt::format("{} {}", mode_string(perms), file.string()));
    }
    if (st.st_uid != context.inputs().uid) {
      foreign.push_back(file.string());
      details.push_back(fmt::format("owner uid {} (not {}) {}", st.st_uid, context.inputs().uid,
                                    file.string()));
    }
  }
  if (files.empty()) {
    return skip("no secret files (cell0.json, credentials/, identity/keys/, tpv_store.enc)");
  }
  if (open_files.empty() && foreign.empty()) {
    return ok(fmt::format("{} secret file{} private (0600, owned by uid {})",
                          files.size(),
                          files.size() == 1 ? "" : "s",
                          context.inputs().uid));
  }
  std::vector<std::string> fixes;
  if (!open_files.empty()) {
    fixes.push_back(chmod_command("600", open_files));
  }
  if (!foreign.empty()) {
    std::vector<std::string> quoted;
    for (const std::string& path : foreign) {
      quoted.push_back(shell_quote(path));
    }
    fixes.push_back(fmt::format("chown {} {}", context.inputs().uid, util::join(quoted, " ")));
  }
  std::string summary;
  if (!open_files.empty()) {
    summary = fmt::format("{} readable by other users: {}", open_files.size() == 1 ? "a secret file is" : fmt::format("{} secret files are", open_files.size()), short_list(open_files));
  } else {
    summary = fmt::format("secret files owned by another user: {}", short_list(foreign));
  }
  Finding finding = fail("SECRETS_NOT_PRIVATE", summary, util::join(fixes, " && "));
  finding.details = util::join(details, "\n");
  return finding;
}

Finding run_tpv_store(Context& context)
{
  const fs::path store = context.home("tpv_store.enc");
  std::ifstream in(context.host_path(store), std::ios::binary);
  if (!in) {
    return skip("no tpv_store.enc");
  }
  std::string head(64, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<std::size_t>(in.gcount()));
  const std::string_view text = util::trim(head);
  // A Fernet token is URL-safe base64 of a version byte 0x80: it starts with "gAAAAA".
  if (text.rfind("gAAAAA", 0) == 0) {
    return ok("tpv_store.enc is encrypted (Fernet)");
  }
  if (!text.empty() && text.front() == '{') {
    const JsonFile file = read_json_file(context.host_path(store));
    const std::size_t count = file.parsed() && file.document->is_object() ? file.document->size() : 0;
    Finding finding = fail("TPV_STORE_PLAINTEXT",
                           fmt::format("tpv_store.enc is plaintext JSON: {} secret{} stored "
                                       "unencrypted (CELL0_MASTER_KEY was not set when written)",
                                       count,
                                       count == 1 ? "" : "s"),
                           "set CELL0_MASTER_KEY in cell0d's environment (a long random value, "
                           "kept outside ~/.cell0), restart cell0d and store each secret again; "
                           "then rotate the secrets, since they were on disk in clear");
    finding.details = fmt::format("{}: the store is only encrypted when CELL0_MASTER_KEY is set "
                                  "(Fernet, PBKDF2-HMAC-SHA256)",
                                  store.string());
    return finding;
  }
  if (text.empty()) {
    return warn("TPV_STORE_EMPTY", "tpv_store.enc is empty",
                fmt::format("remove it (cell0d recreates it): rm {}", shell_quote(store.string())));
  }
  return warn("TPV_STORE_UNKNOWN", "tpv_store.enc is neither a Fernet token nor JSON",
              "restore it from a backup: cell0ctl restore --only tpv_store.enc");
}

} // namespace

extern const Check perms_home{
    .id = "perms.home",
    .title = "The Cell 0 home and its folders are private (0700)",
    .tags = tag_doctor,
    .depends_on = {"home.exists"},
    .timeout = std::chrono::milliseconds(2000),
    .touches = touch_files,
    .run = run_home,
};

extern const Check perms_secrets{
    .id = "perms.secrets",
    .title = "Files holding secrets are 0600 and owned by the user",
    .tags = tag_doctor | tag_backup_preflight,
    .depends_on = {"home.exists"},
    .timeout = std::chrono::milliseconds(2000),
    .touches = touch_files,
    .run = run_secrets,
};

extern const Check perms_tpv_store{
    .id = "perms.tpv-store",
    .title = "The TPV secret store is encrypted",
    .tags = tag_doctor | tag_backup_preflight,
    .depends_on = {"home.exists"},
    .timeout = std::chrono::milliseconds(1000),
    .touches = touch_files,
    .run = run_tpv_store,
};

} // namespace cell0ctl::checks
