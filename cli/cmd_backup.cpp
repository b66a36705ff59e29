// SPDX-License-Identifier: GPL-3.0-or-later
#include "checks/common.hpp"
#include "checks/registry.hpp"
#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "lib/backup/api.hpp"
#include "lib/backup/metrics.hpp"
#include "lib/backup/mirror.hpp"
#include "lib/backup/retention.hpp"
#include "lib/backup/status.hpp"
#include "lib/core/error.hpp"
#include "lib/sys/http.hpp"
#include "lib/sys/procfs.hpp"
#include "lib/util/strings.hpp"
#include "lib/util/units.hpp"

#include "cell0ctl_version.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <array>
#include <functional>
#include <memory>
#include <set>

#include <unistd.h>

namespace fs = std::filesystem;

namespace cell0ctl::cli {

namespace {

struct BackupOptions
{
  std::string repository;
  std::string s3_endpoint; // empty: s3.endpoint, then the environment
  std::string s3_region;   // empty: s3.region, then the environment
  bool dry_run = false;
  std::vector<std::string> include;
  std::vector<std::string> exclude;
  std::string lock_wait = "30s";
  int compression = 3;
  std::string kind;       // empty: backup.kind, then "auto"
  std::string full_every; // empty: backup.full_every, then 7d
  // verify, restore
  std::string snapshot = "latest";
  std::string at;
  std::string to;
  std::vector<std::string> only;
  bool force = false;
  // verify --restore
  bool restore_test = false;
  std::string scratch;
  // prune
  backup::RetentionPolicy keep;
  bool apply = false;
  // backup, verify, prune
  std::string metrics_file;
  // encryption: recipients (public keys) to write, identities (secret keys, from files) to read
  std::vector<std::string> age_recipients;
  std::vector<std::string> age_recipients_files;
  std::vector<std::string> age_identities;
  // copy
  std::string copy_to;
  std::vector<std::string> snapshots;
  // status
  std::string max_age = "26h";
  std::string max_untested = "8d";
};

std::chrono::milliseconds duration_option(const std::string& name, const std::string& value)
{
  const auto parsed = util::parse_duration(value);
  if (!parsed) {
    throw Error(Errc::usage, fmt::format("{} '{}': expected a duration", name, value),
                fmt::format("for example {} 26h", name));
  }
  return *parsed;
}

std::string age_text(std::int64_t then_ns)
{
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const auto age = std::chrono::nanoseconds(std::chrono::duration_cast<std::chrono::nanoseconds>(now).count() - then_ns);
  return util::format_duration(std::chrono::duration_cast<std::chrono::milliseconds>(age));
}

double unix_seconds(std::int64_t ns)
{
  return static_cast<double>(ns) / 1e9;
}

double now_seconds()
{
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Writes --metrics-file for `operation` when asked: what the run did, plus what the repository
// says (newest snapshot, count, last restore test). Never lets a metrics problem hide the
// run's own outcome: it is reported as a warning.
void write_metrics(const BackupOptions& options, const std::string& name, const fs::path& repository,
                   backup::BackupMetrics metrics, Session& session)
{
  if (options.metrics_file.empty()) {
    return;
  }
  metrics.repository = name;
  metrics.duration_seconds = now_seconds() - metrics.started_seconds;
  try {
    const auto status = backup::repository_status(backup::Repository::open(repository));
    metrics.snapshots = status.snapshots;
    if (status.newest) {
      metrics.newest_snapshot_seconds = unix_seconds(status.newest->time_ns);
    }
    if (status.restore_test && status.restore_test->ok) {
      metrics.restore_seconds = status.restore_test->seconds;
      metrics.restore_measured_seconds = unix_seconds(status.restore_test->time_ns);
    }
  } catch (const Error&) {
    // No repository (yet): the run's own figures still go out.
  }
  try {
    backup::write_metrics_file(options.metrics_file, metrics);
  } catch (const Error& e) {
    session.err << "cell0ctl: warning: " << e.what() << '\n';
  }
}

// Runs `body`, writing the metrics of a failure when it throws.
template <class F>
int with_metrics(const BackupOptions& options, const std::string& operation, const std::string& name,
                 const fs::path& repository, Session& session, F&& body)
{
  backup::BackupMetrics metrics;
  metrics.operation = operation;
  metrics.started_seconds = now_seconds();
  try {
    const int status = body(metrics);
    metrics.success = status == 0;
    write_metrics(options, name, repository, metrics, session);
    return status;
  } catch (...) {
    metrics.success = false;
    write_metrics(options, name, repository, metrics, session);
    throw;
  }
}

std::chrono::milliseconds lock_wait(const BackupOptions& options)
{
  const auto wait = util::parse_duration(options.lock_wait);
  if (!wait) {
    throw Error(Errc::usage, fmt::format("--lock-wait '{}': expected a duration", options.lock_wait),
                "for example --lock-wait 5m");
  }
  return *wait;
}

std::string repository_option(const BackupOptions& options, const Inputs& inputs)
{
  if (!options.repository.empty()) {
    return options.repository;
  }
  if (auto setting = inputs.settings.string("repository")) {
    return *setting;
  }
  throw Error(Errc::usage, "no backup repository given",
              "pass --repo DIR or --repo s3://BUCKET/PREFIX, or set `repository:` in cell0ctl's "
              "configuration");
}

// Where this host keeps the manifests of encrypted snapshots it wrote and the mirrors of
// repositories in object storage: $XDG_CACHE_HOME/cell0ctl or ~/.cache/cell0ctl.
fs::path cache_dir(const Inputs& inputs)
{
  if (const auto xdg = inputs.environ.non_empty("XDG_CACHE_HOME")) {
    return fs::path(*xdg) / "cell0ctl";
  }
  return inputs.user_home / ".cache" / "cell0ctl";
}

// The store of an "s3://" repository URL, with the endpoint and region of the options, else
// of cell0ctl's configuration (s3.endpoint, s3.region), else of the environment.
std::unique_ptr<backup::Store> open_store(const std::string& url, const BackupOptions& options,
                                          const Inputs& inputs)
{
  const std::string endpoint =
      !options.s3_endpoint.empty() ? options.s3_endpoint : inputs.settings.string("s3.endpoint").value_or("");
  const std::string region =
      !options.s3_region.empty() ? options.s3_region : inputs.settings.string("s3.region").value_or("");
  return backup::snapshot_api().open_store(url, endpoint, region, inputs.environ);
}

// The repository of --repo: a folder, or object storage worked on through this host's mirror
// (mirror.hpp), which a Target opens under the mirror's lock and keeps locked while it lives.
class Target
{
public:
  Target(const BackupOptions& options, const Inputs& inputs) : m_name(repository_option(options, inputs))
  {
    if (backup::is_store_url(m_name)) {
      m_root = backup::mirror_folder(cache_dir(inputs), m_name);
      m_mirror = std::make_unique<backup::Mirror>(open_store(m_name, options, inputs), m_root);
    } else {
      m_root = m_name;
    }
  }

  const std::string& name() const { return m_name; }
  const fs::path& root() const { return m_root; }
  backup::Mirror* mirror() { return m_mirror.get(); }

  // Opens the repository (with `create`, making it first when absent; a local one is made by
  // the backup itself); a mirror is brought in step with its store under its lock.
  backup::Repository open(bool create, std::chrono::milliseconds lock_wait)
  {
    if (!m_mirror) {
      return create ? backup::Repository::open_or_create(m_root) : backup::Repository::open(m_root);
    }
    std::error_code ec;
    fs::create_directories(m_root, ec);
    fs::permissions(m_root.parent_path().parent_path(), fs::perms::owner_all, ec);
    fs::permissions(m_root, fs::perms::owner_all, ec);
    if (!m_lock) {
      m_lock = backup::Repository::lock(m_root, m_name, Deadline::after(lock_wait));
    }
    return m_mirror->pull(create);
  }

private:
  std::string m_name;
  fs::path m_root;
  std::unique_ptr<backup::Mirror> m_mirror;
  std::optional<backup::Lock> m_lock;
};

std::string format(const GlobalOptions& global)
{
  const std::string name = global.format.empty() ? "text" : global.format;
  require_format(name, "text,json");
  return name;
}

nlohmann::ordered_json info_json(const backup::SnapshotInfo& info)
{
  return {{"id", info.id},       {"time", info.time},         {"kind", info.kind},
          {"parent", info.parent}, {"host", info.host},         {"files", info.files},
          {"data_bytes", info.data_bytes}, {"stored_bytes", info.stored_bytes}};
}

// The models Ollama holds (GET /api/tags), recorded in the manifest instead of their blobs, so
// that a restore says what to `ollama pull`. Nothing when Ollama does not answer in time.
std::vector<std::string> ollama_models(const Inputs& inputs, const Log& log)
{
  const auto endpoint = std::find_if(inputs.endpoints.begin(), inputs.endpoints.end(),
                                     [](const Endpoint& e) { return e.name == "ollama"; });
  if (endpoint == inputs.endpoints.end()) {
    return {};
  }
  HttpRequest request;
  request.url = endpoint->url + "/api/tags";
  request.connect_timeout = std::chrono::milliseconds(300);
  request.deadline = Deadline::after(std::chrono::seconds(2));
  request.ca_file = inputs.ca_file;
  const HttpResponse response = http_request(request);
  std::vector<std::string> models;
  if (response.answered() && response.status == 200) {
    const auto body = nlohmann::json::parse(response.body, nullptr, false);
    if (body.is_object() && body.contains("models") && body["models"].is_array()) {
      for (const auto& model : body["models"]) {
        if (model.is_object() && model.contains("name") && model["name"].is_string()) {
          models.push_back(model["name"].get<std::string>());
        }
      }
    }
  }
  log.debug(fmt::format("ollama: {} model(s) recorded from {}/api/tags{}", models.size(), endpoint->url,
                        response.answered() ? "" : fmt::format(" ({})", response.error_text)));
  return models;
}

std::vector<fs::path> paths_of(const std::vector<std::string>& values)
{
  return {values.begin(), values.end()};
}

std::string host_name()
{
  std::array<char, 256> name{};
  ::gethostname(name.data(), name.size() - 1);
  return name.data();
}

int create(const BackupOptions& options, const GlobalOptions& global, Session& session,
           const std::shared_ptr<Inputs>& inputs, Target& target, backup::BackupMetrics& metrics)
{
  const std::string fmt_name = format(global);
  // Pre-flight: the home must exist; other findings are reported, not fatal.
  const auto preflight = select_checks(checks::all_checks(), {"home.exists"}, {}, tag_backup_preflight);
  const Report report = run_checks(preflight, inputs, RunOptions{});
  if (report.summary().fail > 0) {
    throw Error(Errc::failed, fmt::format("nothing to back up: {}", report.results.front().finding.summary),
                report.results.front().finding.remediation);
  }
  backup::CreateOptions create;
  create.repository = target.root();
  Facts facts(*inputs);
  const auto& root = facts.cell0_root();
  create.roots = backup::cell0_sources(inputs->home.value, inputs->user_home,
                                       root ? root->value : fs::path());
  // The configuration's lists (backup.include, backup.exclude), then the command line's.
  create.selection.include = inputs->settings.strings("backup.include");
  create.selection.include.insert(create.selection.include.end(), options.include.begin(), options.include.end());
  create.selection.exclude = inputs->settings.strings("backup.exclude");
  create.selection.exclude.insert(create.selection.exclude.end(), options.exclude.begin(), options.exclude.end());
  create.dry_run = options.dry_run;
  create.zstd_level = options.compression;
  create.host = host_name();
  create.lock_wait = lock_wait(options);
  create.age_recipients = options.age_recipients;
  create.age_recipients_files = paths_of(options.age_recipients_files);
  if (create.age_recipients.empty() && create.age_recipients_files.empty()) {
    if (const auto file = inputs->settings.string("backup.age_recipients_file")) {
      create.age_recipients_files.emplace_back(*file);
    }
  }
  create.age_identity_files = paths_of(options.age_identities);
  create.cache_dir = cache_dir(*inputs);
  if (!options.dry_run) {
    create.ollama_models = ollama_models(*inputs, Log(global, session));
  }
  create.kind = !options.kind.empty() ? options.kind : inputs->settings.string("backup.kind").value_or("auto");
  if (!options.full_every.empty()) {
    const auto every = util::parse_duration(options.full_every);
    if (!every) {
      throw Error(Errc::usage, fmt::format("--full-every '{}': expected a duration", options.full_every),
                  "for example --full-every 7d");
    }
    create.full_every = std::chrono::duration_cast<std::chrono::seconds>(*every);
  } else if (const auto every = inputs->settings.duration("backup.full_every")) {
    create.full_every = std::chrono::duration_cast<std::chrono::seconds>(*every);
  }
  if (target.mirror() != nullptr && !options.dry_run) {
    target.open(true, create.lock_wait); // the mirror in step with its store, and locked
    create.lock_held = true;
  }
  const backup::CreateResult result = backup::snapshot_api().create(create);
  if (target.mirror() != nullptr && !options.dry_run) {
    try {
      target.mirror()->push(result.snapshot.id);
    } catch (const Error& e) {
      // Not in the store: not a snapshot. The mirror forgets it, so that no later one builds on it.
      backup::Repository::open(target.root()).remove_snapshot(result.snapshot.id);
      throw Error(Errc::failed,
                  fmt::format("snapshot {} could not be uploaded to {}: {}", result.snapshot.id,
                              target.name(), e.what()),
                  e.hint().empty() ? "check the endpoint, the credentials and the network, then run the "
                                     "backup again"
                                   : e.hint());
    }
  }
  metrics.kind = result.snapshot.kind;
  metrics.files = result.snapshot.files;
  metrics.data_bytes = result.snapshot.data_bytes;
  metrics.stored_bytes = result.snapshot.stored_bytes;

  if (fmt_name == "json") {
    nlohmann::ordered_json out = {{"tool", "cell0ctl"}, {"version", CELL0CTL_VERSION},
                                  {"command", "backup"}, {"dry_run", options.dry_run}};
    if (!options.dry_run) {
      out["snapshot"] = info_json(result.snapshot);
      out["why_kind"] = result.why_kind;
      out["stored"] = {{"whole", result.stats.whole},       {"unchanged", result.stats.unchanged},
                       {"tails", result.stats.tails},       {"blocks", result.stats.blocks},
                       {"bytes", result.stats.bytes_stored}};
    }
    out["files"] = result.plan.files.size();
    out["bytes"] = result.plan.bytes;
    out["excluded"] = result.plan.excluded;
    out["skipped"] = result.plan.skipped;
    out["warnings"] = result.warnings;
    out["duration_ms"] = static_cast<long long>(result.seconds * 1000);
    session.out << out.dump(2) << '\n';
  } else if (options.dry_run) {
    for (const auto& file : result.plan.files) {
      if (global.verbosity > 0 || file.kind != backup::Kind::directory) {
        session.out << fmt::format("{:<7} {:>10}  {}\n", backup::to_string(file.kind),
                                   file.kind == backup::Kind::directory ? "" : util::format_size(file.size),
                                   file.path);
      }
    }
    session.out << fmt::format("would store {} files, {} (dry run; {} excluded, {} skipped)\n",
                               result.plan.files.size(), util::format_size(result.plan.bytes),
                               result.plan.excluded.size(), result.plan.skipped.size());
  } else if (!global.quiet || !result.warnings.empty()) {
    for (const std::string& warning : result.warnings) {
      session.err << "cell0ctl: warning: " << warning << '\n';
    }
    if (!global.quiet) {
      session.out << fmt::format("{} snapshot {} saved: {} files, {} of data, {} stored, in {:.1f}s\n",
                                 result.snapshot.kind, result.snapshot.id, result.snapshot.files,
                                 util::format_size(result.snapshot.data_bytes),
                                 util::format_size(result.snapshot.stored_bytes), result.seconds);
      if (global.verbosity > 0 || result.snapshot.kind != "full") {
        session.out << fmt::format("  {}; {} unchanged, {} whole, {} appended, {} changed in blocks\n",
                                   result.why_kind, result.stats.unchanged, result.stats.whole,
                                   result.stats.tails, result.stats.blocks);
      }
    }
  }
  return 0;
}

int run_create(const BackupOptions& options, const GlobalOptions& global, Session& session)
{
  auto inputs = make_inputs(global, session);
  Target target(options, *inputs);
  if (options.dry_run) {
    backup::BackupMetrics ignored;
    return create(options, global, session, inputs, target, ignored);
  }
  return with_metrics(options, "backup", target.name(), target.root(), session,
                      [&](backup::BackupMetrics& metrics) {
                        return create(options, global, session, inputs, target, metrics);
                      });
}

int run_list(const BackupOptions& options, const GlobalOptions& global, Session& session)
{
  const std::string fmt_name = format(global);
  auto inputs = make_inputs(global, session);
  Target target(options, *inputs);
  const auto repository = target.open(false, lock_wait(options));
  const auto snapshots = repository.list();
  if (fmt_name == "json") {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const auto& snapshot : snapshots) {
      list.push_back(info_json(snapshot));
    }
    session.out << list.dump(2) << '\n';
    return 0;
  }
  session.out << fmt::format("{:<8}  {:<20}  {:<12}  {:>7}  {:>10}  {:>10}\n", "ID", "TIME", "KIND",
                             "FILES", "DATA", "STORED");
  for (const auto& s : snapshots) {
    session.out << fmt::format("{:<8}  {:<20}  {:<12}  {:>7}  {:>10}  {:>10}\n", s.id, s.time, s.kind,
                               s.files, util::format_size(s.data_bytes),
                               util::format_size(s.stored_bytes));
  }
  session.out << fmt::format("{} snapshot{}\n", snapshots.size(), snapshots.size() == 1 ? "" : "s");
  return 0;
}

// Drops the archives a mirror fetched when it goes, whatever happened.
struct DropArchives
{
  backup::Mirror* mirror;
  ~DropArchives()
  {
    if (mirror != nullptr) {
      mirror->drop_archives();
    }
  }
};

double seconds_of(const std::function<void()>& work)
{
  const auto start = std::chrono::steady_clock::now();
  work();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

int verify(const BackupOptions& options, const GlobalOptions& global, Session& session,
           const std::shared_ptr<Inputs>& inputs, Target& target, backup::BackupMetrics& metrics)
{
  const std::string fmt_name = format(global);
  const auto repository = target.open(false, lock_wait(options));
  const std::string id = repository.resolve(options.snapshot);
  backup::Mirror* mirror = target.mirror();
  const DropArchives drop{mirror};
  if (options.restore_test) {
    const fs::path scratch = !options.scratch.empty() ? fs::path(options.scratch)
                                                      : fs::path(inputs->environ.non_empty("TMPDIR").value_or("/tmp"));
    backup::RestoreOptions keys;
    keys.lock_wait = lock_wait(options);
    keys.lock_held = mirror != nullptr;
    keys.age_identity_files = paths_of(options.age_identities);
    keys.cache_dir = cache_dir(*inputs);
    // From object storage, the download is part of the time a restore takes.
    std::function<double()> fetch;
    if (mirror != nullptr) {
      fetch = [&] { return seconds_of([&] { mirror->fetch(repository, id); }); };
    }
    const backup::RestoreTest test = backup::test_restore(repository, id, scratch, keys, fetch);
    if (mirror != nullptr) {
      mirror->push_restore_test();
    }
    metrics.files = test.files;
    metrics.data_bytes = test.bytes;
    if (fmt_name == "json") {
      session.out << nlohmann::ordered_json{{"id", test.id},           {"ok", test.ok},
                                            {"restore", true},         {"files", test.files},
                                            {"bytes", test.bytes},     {"problems", test.problems},
                                            {"rto_seconds", test.seconds}}
                         .dump(2)
                  << '\n';
    } else {
      for (const std::string& problem : test.problems) {
        session.out << " ✗ " << problem << '\n';
      }
      session.out << fmt::format("snapshot {}: {} restored in {:.2f}s (the measured RTO), {} files, {}\n",
                                 id, test.ok ? "sound," : "NOT sound:", test.seconds, test.files,
                                 util::format_size(test.bytes));
    }
    return test.ok ? 0 : exit_status(Errc::failed);
  }
  backup::VerifyOptions verify_options;
  verify_options.age_identity_files = paths_of(options.age_identities);
  verify_options.cache_dir = cache_dir(*inputs);
  if (mirror != nullptr) {
    mirror->fetch(repository, id);
  }
  const backup::VerifyResult result = backup::snapshot_api().verify(repository, id, verify_options);
  metrics.files = result.files;
  metrics.data_bytes = result.bytes;
  for (const auto& snapshot : repository.list()) {
    if (snapshot.id == id) {
      metrics.stored_bytes = snapshot.stored_bytes;
    }
  }
  if (fmt_name == "json") {
    session.out << nlohmann::ordered_json{{"id", result.id},         {"ok", result.problems.empty()},
                                          {"files", result.files},   {"bytes", result.bytes},
                                          {"problems", result.problems},
                                          {"note", result.note},
                                          {"duration_ms", static_cast<long long>(result.seconds * 1000)}}
                       .dump(2)
                << '\n';
  } else {
    for (const std::string& problem : result.problems) {
      session.out << " ✗ " << problem << '\n';
    }
    session.out << fmt::format("snapshot {}: {}, {} files, {} checked in {:.2f}s\n", id,
                               result.problems.empty() ? "sound" : "DAMAGED", result.files,
                               util::format_size(result.bytes), result.seconds);
    if (!result.note.empty()) {
      session.out << "  " << result.note << '\n';
    }
  }
  return result.problems.empty() ? 0 : exit_status(Errc::failed);
}

int run_verify(const BackupOptions& options, const GlobalOptions& global, Session& session)
{
  auto inputs = make_inputs(global, session);
  Target target(options, *inputs);
  return with_metrics(options, "verify", target.name(), target.root(), session,
                      [&](backup::BackupMetrics& metrics) {
                        return verify(options, global, session, inputs, target, metrics);
                      });
}

int run_prune(const BackupOptions& options, const GlobalOptions& global, Session& session)
{
  const std::string fmt_name = format(global);
  auto inputs = make_inputs(global, session);
  Target target(options, *inputs);
  return with_metrics(options, "prune", target.name(), target.root(), session, [&](backup::BackupMetrics& metrics) {
    const auto repository = target.open(false, lock_wait(options));
    backup::Mirror* mirror = target.mirror();
    // The plan is made under the lock when applied, so that no backup adds a snapshot that
    // builds on one about to go (a mirror is locked already).
    std::optional<backup::Lock> lock;
    if (options.apply && mirror == nullptr) {
      lock.emplace(repository.lock(Deadline::after(lock_wait(options))));
    }
    const auto snapshots = repository.list();
    const auto decisions = backup::plan_retention(snapshots, options.keep);
    std::uint64_t freed = 0;
    std::size_t removed = 0;
    std::vector<std::string> broken;
    for (std::size_t i = 0; i < decisions.size(); ++i) {
      const auto& decision = decisions[i];
      for (const std::string& reason : decision.reasons) {
        if (reason.find("missing") != std::string::npos) {
          broken.push_back(fmt::format("{}: {}", decision.id, reason));
        }
      }
      if (!decision.keep) {
        freed += snapshots[i].stored_bytes;
        ++removed;
        if (options.apply && mirror != nullptr) {
          mirror->remove(repository, decision.id);
        } else if (options.apply) {
          repository.remove_snapshot(decision.id);
        }
      }
    }
    if (options.apply) {
      repository.clean_orphans();
      if (mirror != nullptr) {
        for (const std::string& orphan : mirror->clean_orphans()) {
          if (global.verbosity > 0) {
            session.err << fmt::format("cell0ctl: removed {}, left by an upload that did not finish\n", orphan);
          }
        }
      }
    }
    if (fmt_name == "json") {
      nlohmann::ordered_json list = nlohmann::ordered_json::array();
      for (std::size_t i = 0; i < decisions.size(); ++i) {
        nlohmann::ordered_json item = info_json(snapshots[i]);
        item["keep"] = decisions[i].keep;
        item["reasons"] = decisions[i].reasons;
        list.push_back(std::move(item));
      }
      session.out << nlohmann::ordered_json{{"applied", options.apply}, {"removed", removed},
                                            {"freed_bytes", freed}, {"snapshots", list}}
                         .dump(2)
                  << '\n';
    } else {
      for (std::size_t i = 0; i < decisions.size() && !global.quiet; ++i) {
        const auto& s = snapshots[i];
        session.out << fmt::format("{:<6}  {}  {:<20}  {:<12}  {:>10}  {}\n",
                                   decisions[i].keep ? "keep" : options.apply ? "remove" : "REMOVE", s.id,
                                   s.time, s.kind, util::format_size(s.stored_bytes),
                                   util::join(decisions[i].reasons, ", "));
      }
      if (!global.quiet) {
        session.out << fmt::format("{} {} of {} snapshots, {}{}\n", options.apply ? "removed" : "would remove",
                                 removed, snapshots.size(), util::format_size(freed),
                                   options.apply ? "" : " (a dry run: give --apply to remove them)");
      }
    }
    for (const std::string& warning : broken) {
      session.err << "cell0ctl: warning: " << warning << '\n';
    }
    metrics.stored_bytes = 0;
    for (std::size_t i = 0; i < decisions.size(); ++i) {
      if (decisions[i].keep) {
        metrics.stored_bytes += snapshots[i].stored_bytes;
      }
    }
    return 0;
  });
}

int run_status(const BackupOptions& options, const GlobalOptions& global, Session& session)
{
  const std::string fmt_name = format(global);
  auto inputs = make_inputs(global, session);
  const auto max_age = duration_option("--max-age", options.max_age);
  const auto max_untested = duration_option("--max-untested", options.max_untested);
  Target target(options, *inputs);
  const auto repository = target.open(false, lock_wait(options));
  const backup::RepositoryStatus status = backup::repository_status(repository);
  const auto now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  std::vector<std::string> problems;
  int worst = 0;
  std::optional<double> rpo;
  if (!status.newest) {
    problems.push_back("no snapshot at all: nothing can be restored");
    worst = 2;
  } else {
    rpo = unix_seconds(now - status.newest->time_ns);
    if (std::chrono::nanoseconds(now - status.newest->time_ns) > max_age) {
      problems.push_back(fmt::format("the newest snapshot is {} old, more than --max-age {}",
                                     age_text(status.newest->time_ns), options.max_age));
      worst = std::max(worst, 1);
    }
  }
  const auto& test = status.restore_test;
  if (!test) {
    problems.push_back("no restore was ever tested: run cell0ctl backup verify --restore");
    worst = std::max(worst, 1);
  } else if (!test->ok) {
    problems.push_back(fmt::format("the last restore test, of {}, failed: {}", test->id,
                                   util::join(test->problems, "; ")));
    worst = 2;
  } else if (std::chrono::nanoseconds(now - test->time_ns) > max_untested) {
    problems.push_back(fmt::format("the last restore test is {} old, more than --max-untested {}",
                                   age_text(test->time_ns), options.max_untested));
    worst = std::max(worst, 1);
  }
  const char* verdict = worst == 0 ? "ok" : worst == 1 ? "warn" : "fail";
  if (fmt_name == "json") {
    nlohmann::ordered_json out = {{"repository", repository.name()},
                                  {"status", verdict},
                                  {"snapshots", status.snapshots},
                                  {"stored_bytes", status.stored_bytes}};
    out["newest"] = status.newest ? info_json(*status.newest) : nlohmann::ordered_json();
    out["newest_full"] = status.newest_full ? info_json(*status.newest_full) : nlohmann::ordered_json();
    out["rpo_seconds"] = rpo ? nlohmann::ordered_json(*rpo) : nlohmann::ordered_json();
    if (test) {
      out["rto_seconds"] = test->seconds;
      out["restore_test"] = {{"id", test->id}, {"time", unix_seconds(test->time_ns)}, {"ok", test->ok},
                             {"seconds", test->seconds}, {"files", test->files}, {"bytes", test->bytes}};
    } else {
      out["rto_seconds"] = nullptr;
      out["restore_test"] = nullptr;
    }
    out["problems"] = problems;
    session.out << out.dump(2) << '\n';
  } else {
    session.out << fmt::format("repository {}: {} snapshot{}, {} stored\n", repository.name(),
                               status.snapshots, status.snapshots == 1 ? "" : "s",
                               util::format_size(status.stored_bytes));
    if (status.newest) {
      session.out << fmt::format("newest:        {} {} of {}: RPO {}\n", status.newest->id, status.newest->kind,
                                 status.newest->time, age_text(status.newest->time_ns));
    }
    if (status.newest_full) {
      session.out << fmt::format("newest full:   {} of {}\n", status.newest_full->id, status.newest_full->time);
    }
    if (test) {
      session.out << fmt::format("restore test:  {} {} ago, {}: RTO {:.1f}s\n", test->id,
                                 age_text(test->time_ns), test->ok ? "sound" : "FAILED", test->seconds);
    }
    for (const std::string& problem : problems) {
      session.out << " ! " << problem << '\n';
    }
  }
  return worst;
}

// Copies the snapshots of --repo (all, or the given ones with the snapshots they build on) that
// --to lacks, oldest first, each archive checked against its manifest's SHA-256 on the way and
// each manifest written last.
int run_copy(const BackupOptions& options, const GlobalOptions& global, Session& session)
{
  const std::string fmt_name = format(global);
  auto inputs = make_inputs(global, session);
  const auto wait = lock_wait(options);
  Target source(options, *inputs);
  const auto repository = source.open(false, wait);
  std::vector<std::string> wanted;
  if (options.snapshots.empty()) {
    for (const auto& snapshot : repository.list()) {
      wanted.push_back(snapshot.id);
    }
  } else {
    std::set<std::string> chosen;
    for (const std::string& reference : options.snapshots) {
      for (const std::string& id : backup::chain_ids(repository, repository.resolve(reference))) {
        chosen.insert(id);
      }
    }
    for (const auto& snapshot : repository.list()) { // oldest first: parents before children
      if (chosen.contains(snapshot.id)) {
        wanted.push_back(snapshot.id);
      }
    }
  }

  std::unique_ptr<backup::Store> destination;
  std::optional<backup::Lock> destination_lock;
  if (backup::is_store_url(options.copy_to)) {
    destination = open_store(options.copy_to, options, *inputs);
    backup::create_repository(*destination);
  } else {
    const auto local = backup::Repository::open_or_create(options.copy_to);
    destination_lock.emplace(local.lock(Deadline::after(wait)));
    local.clean_orphans();
    destination = std::make_unique<backup::LocalStore>(options.copy_to);
  }
  std::unique_ptr<backup::Store> local_source;
  backup::Store* from = nullptr;
  if (source.mirror() != nullptr) {
    from = &source.mirror()->store();
  } else {
    local_source = std::make_unique<backup::LocalStore>(source.root());
    from = local_source.get();
  }
  const auto present_ids = backup::committed_ids(*destination);
  const std::set<std::string> present(present_ids.begin(), present_ids.end());
  std::vector<std::string> copied;
  std::vector<std::string> already;
  std::uint64_t bytes = 0;
  const fs::path staging = cache_dir(*inputs) / "staging";
  const auto start = std::chrono::steady_clock::now();
  for (const std::string& id : wanted) {
    if (present.contains(id)) {
      already.push_back(id);
      continue;
    }
    bytes += backup::copy_snapshot(*from, *destination, id, staging);
    copied.push_back(id);
    if (fmt_name == "text" && global.verbosity > 0) {
      session.out << fmt::format("copied {}\n", id);
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (fmt_name == "json") {
    session.out << nlohmann::ordered_json{{"from", source.name()},  {"to", options.copy_to},
                                          {"copied", copied},       {"present", already},
                                          {"bytes", bytes},
                                          {"duration_ms", static_cast<long long>(seconds * 1000)}}
                       .dump(2)
                << '\n';
  } else if (!global.quiet) {
    session.out << fmt::format("copied {} snapshot{} ({}) from {} to {} in {:.1f}s; {} already there\n",
                               copied.size(), copied.size() == 1 ? "" : "s", util::format_size(bytes),
                               source.name(), options.copy_to, seconds, already.size());
  }
  return 0;
}

// The processes of a running Cell 0 on this machine.
std::vector<std::string> running_cell0(const Session& session)
{
  std::vector<std::string> running;
  const ProcessTable table = read_process_table(session.root / "proc");
  for (const ProcessInfo& process : table.processes) {
    if (checks::is_cell0d(process) || checks::is_gateway(process)) {
      running.push_back(checks::describe_process(process));
    }
  }
  return running;
}

int run_restore(const BackupOptions& options, const GlobalOptions& global, Session& session)
{
  const std::string fmt_name = format(global);
  auto inputs = make_inputs(global, session);
  Target target(options, *inputs);
  backup::RestoreOptions restore;
  restore.repository = target.root();
  restore.snapshot = options.snapshot;
  if (!options.at.empty()) {
    if (options.snapshot != "latest") {
      throw Error(Errc::usage, "give a SNAPSHOT or --at TIME, not both");
    }
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    restore.at_ns = util::parse_point_in_time(
        options.at, std::chrono::duration_cast<std::chrono::nanoseconds>(now).count());
    if (!restore.at_ns) {
      throw Error(Errc::usage, fmt::format("--at '{}': not a point in time", options.at),
                  "for example --at 2026-11-24T13:00:00Z, --at '2026-11-24 13:00' (local time), "
                  "--at 2026-11-24 (its end) or --at 36h (that long ago)");
    }
  }
  restore.target = inputs->home.value;
  restore.to = options.to;
  restore.only = options.only;
  restore.dry_run = options.dry_run;
  restore.lock_wait = lock_wait(options);
  restore.age_identity_files = paths_of(options.age_identities);
  restore.cache_dir = cache_dir(*inputs);
  if (options.to.empty() && !options.dry_run && !options.force) {
    if (const auto running = running_cell0(session); !running.empty()) {
      throw Error(Errc::failed,
                  fmt::format("Cell 0 is running ({}): restoring its home under it would be "
                              "overwritten by it",
                              util::join(running, ", ")),
                  "stop Cell 0 first (systemctl --user stop cell0-gateway), restore into another "
                  "folder with --to DIR, or insist with --force");
    }
  }
  // From object storage: the mirror fetches the chain of the snapshot first.
  backup::Mirror* mirror = target.mirror();
  const DropArchives drop{mirror};
  if (mirror != nullptr) {
    const auto repository = target.open(false, restore.lock_wait);
    restore.snapshot = restore.at_ns ? repository.resolve_at(*restore.at_ns) : repository.resolve(restore.snapshot);
    restore.at_ns.reset();
    restore.lock_held = true;
    mirror->fetch(repository, restore.snapshot, !options.dry_run);
  }
  const backup::RestoreResult result = backup::snapshot_api().restore(restore);
  // Doctor's data checks on what was restored.
  Report report;
  if (!options.dry_run) {
    auto restored = std::make_shared<Inputs>(*inputs);
    restored->home = {options.to.empty() ? result.target : fs::path(options.to) / "cell0", "restore"};
    restored->home.value = fs::absolute(restored->home.value);
    // Doctor's few seconds per check suit a terminal, not the check of a restore that may
    // have taken minutes and holds large vector files: a minute for the lot.
    RunOptions checks_options;
    checks_options.timeout = std::chrono::seconds(60);
    report = run_checks(select_checks(checks::all_checks(), {"data", "config.parse"}, {}, tag_doctor),
                        restored, checks_options);
  }
  if (fmt_name == "json") {
    nlohmann::ordered_json out = {{"id", result.id}, {"target", result.target.string()},
                                  {"chain", result.chain},
                                  {"previous", result.previous.string()}, {"dry_run", options.dry_run},
                                  {"files", result.files}, {"bytes", result.bytes},
                                  {"refused", result.refused},
                                  {"duration_ms", static_cast<long long>(result.seconds * 1000)}};
    out["checks"] = report_json(report, "restore")["checks"];
    session.out << out.dump(2) << '\n';
  } else {
    session.out << fmt::format("{} snapshot {}: {} files, {} {} {}{}\n",
                               options.dry_run ? "would restore" : "restored", result.id, result.files,
                               util::format_size(result.bytes), options.dry_run ? "into" : "in",
                               result.target.string(),
                               result.previous.empty()
                                   ? ""
                                   : fmt::format(" (the replaced home is kept as {})",
                                                 result.previous.string()));
    for (const std::string& refused : result.refused) {
      session.out << "refused: " << refused << '\n';
    }
    if (!report.results.empty()) {
      TextStyle style;
      style.color = use_color(global, session);
      style.quiet = true;
      render_text(session.out, report, style);
    }
  }
  return report_exit_status(report, false);
}

void add_repository_options(CLI::App* app, BackupOptions& options)
{
  app->add_option("--repo", options.repository, "Backup repository: a folder, or s3://BUCKET/PREFIX")
      ->type_name("REPO");
  app->add_option("--lock-wait", options.lock_wait, "How long to wait for another run's lock (then exit 75)")
      ->type_name("DURATION");
  app->add_option("--s3-endpoint", options.s3_endpoint,
                  "S3 endpoint of s3:// repositories (default: AWS, or $AWS_ENDPOINT_URL)")
      ->type_name("URL");
  app->add_option("--s3-region", options.s3_region, "S3 region of s3:// repositories (default: us-east-1)")
      ->type_name("REGION");
}

void add_identity_option(CLI::App* app, BackupOptions& options)
{
  app->add_option("--age-identity", options.age_identities,
                  "age secret key file to decrypt an encrypted repository (repeatable)")
      ->type_name("FILE")
      ->expected(1);
}

void add_metrics_option(CLI::App* app, BackupOptions& options)
{
  app->add_option("--metrics-file", options.metrics_file,
                  "Write Prometheus metrics there (node_exporter's textfile collector)")
      ->type_name("FILE");
}

} // namespace

void add_backup_command(CLI::App& app, GlobalOptions& global, Session& session)
{
  auto options = std::make_shared<BackupOptions>();
  CLI::App* sub = app.add_subcommand("backup", "Back up Cell 0's state into a repository");
  sub->require_subcommand(0, 1);
  add_repository_options(sub, *options);
  sub->add_flag("--dry-run", options->dry_run, "Show what would be stored, store nothing");
  sub->add_option("--include", options->include, "Store only paths matching this glob (repeatable)")
      ->type_name("GLOB")
      ->expected(1);
  sub->add_option("--exclude", options->exclude, "Leave out paths matching this glob (repeatable)")
      ->type_name("GLOB")
      ->expected(1);
  sub->add_option("--compression", options->compression, "zstd level (1-19)")
      ->check(CLI::Range(1, 19))
      ->type_name("LEVEL");
  add_metrics_option(sub, *options);
  sub->add_option("--age-recipient", options->age_recipients,
                  "Encrypt the snapshot to this age public key, age1... (repeatable)")
      ->type_name("KEY")
      ->expected(1);
  sub->add_option("--age-recipients-file", options->age_recipients_files,
                  "Encrypt to the age public keys of this file, one a line (repeatable)")
      ->type_name("FILE")
      ->expected(1);
  add_identity_option(sub, *options);
  sub->add_option("--kind", options->kind,
                  "full, differential, incremental, or auto (default: a differential, a full weekly)")
      ->check(CLI::IsMember({"auto", "full", "differential", "incremental"}))
      ->type_name("KIND");
  sub->add_option("--full-every", options->full_every, "With --kind auto: a new full when the last is older (7d)")
      ->type_name("DURATION");
  sub->footer("Exit: 0 saved, 2 failed (nothing committed), 64 usage, 75 locked by another run,\n"
              "78 bad configuration. See cell0ctl-backup(1).\n");

  CLI::App* list = sub->add_subcommand("list", "List the snapshots of the repository");
  add_repository_options(list, *options);
  list->callback([options, &global, &session] { session.exit_status = run_list(*options, global, session); });

  CLI::App* verify = sub->add_subcommand("verify", "Check a snapshot's archive and every file's hash");
  add_repository_options(verify, *options);
  verify->add_option("snapshot", options->snapshot, "Snapshot id, prefix or 'latest'")->type_name("SNAPSHOT");
  verify->add_flag("--restore", options->restore_test,
                   "Restore it into a temporary folder and check it works; records the RTO");
  add_metrics_option(verify, *options);
  add_identity_option(verify, *options);
  verify->add_option("--scratch", options->scratch, "Where --restore restores ($TMPDIR or /tmp)")
      ->type_name("DIR");
  verify->callback([options, &global, &session] {
    session.exit_status = run_verify(*options, global, session);
  });

  CLI::App* prune = sub->add_subcommand("prune", "Remove the snapshots a retention policy does not keep");
  add_repository_options(prune, *options);
  prune->add_option("--keep-last", options->keep.last, "Keep the newest N snapshots")->type_name("N");
  prune->add_option("--keep-hourly", options->keep.hourly, "Keep the newest of each of the last N hours")
      ->type_name("N");
  prune->add_option("--keep-daily", options->keep.daily, "Keep the newest of each of the last N days")
      ->type_name("N");
  prune->add_option("--keep-weekly", options->keep.weekly, "Keep the newest of each of the last N weeks")
      ->type_name("N");
  prune->add_option("--keep-monthly", options->keep.monthly, "Keep the newest of each of the last N months")
      ->type_name("N");
  prune->add_option("--keep-yearly", options->keep.yearly, "Keep the newest of each of the last N years")
      ->type_name("N");
  prune->add_flag("--apply", options->apply, "Remove them (without it: only show the plan)");
  add_metrics_option(prune, *options);
  prune->callback([options, &global, &session] { session.exit_status = run_prune(*options, global, session); });

  CLI::App* copy = sub->add_subcommand("copy", "Copy snapshots to another repository (off-site)");
  add_repository_options(copy, *options);
  copy->add_option("--to", options->copy_to, "The repository to copy to: a folder, or s3://BUCKET/PREFIX")
      ->type_name("REPO")
      ->required();
  copy->add_option("snapshots", options->snapshots,
                   "Snapshots to copy, with those they build on (default: all)")
      ->type_name("SNAPSHOT");
  copy->footer("Exit: 0 copied (or nothing to copy), 2 failed (what was copied stays whole), 64 usage,\n"
               "75 locked. See cell0ctl-backup(1).\n");
  copy->callback([options, &global, &session] { session.exit_status = run_copy(*options, global, session); });

  CLI::App* status = sub->add_subcommand("status", "Print the RPO and RTO of the repository");
  add_repository_options(status, *options);
  status->add_option("--max-age", options->max_age, "Warn when the newest snapshot is older (26h)")
      ->type_name("DURATION");
  status->add_option("--max-untested", options->max_untested,
                     "Warn when the last restore test is older (8d)")
      ->type_name("DURATION");
  status->footer("Exit: 0 ok, 1 the newest snapshot or the last restore test is too old (or there is\n"
                 "none), 2 no snapshot or a failed restore test, 64 usage. See cell0ctl-backup(1).\n");
  status->callback([options, &global, &session] {
    session.exit_status = run_status(*options, global, session);
  });

  sub->callback([sub, options, &global, &session] {
    if (sub->get_subcommands().empty()) {
      session.exit_status = run_create(*options, global, session);
    }
  });
}

void add_restore_command(CLI::App& app, GlobalOptions& global, Session& session)
{
  auto options = std::make_shared<BackupOptions>();
  CLI::App* sub = app.add_subcommand("restore", "Restore Cell 0's state from a snapshot");
  add_repository_options(sub, *options);
  sub->add_option("snapshot", options->snapshot, "Snapshot id, prefix or 'latest' (default)")
      ->type_name("SNAPSHOT");
  sub->add_option("--at", options->at, "Restore the newest snapshot taken at or before TIME")
      ->type_name("TIME");
  sub->add_option("--to", options->to, "Restore the whole snapshot into this new folder instead")
      ->type_name("DIR");
  sub->add_option("--only", options->only, "Restore only this path of the home (repeatable)")
      ->type_name("PATH")
      ->expected(1);
  sub->add_flag("--dry-run", options->dry_run, "Show what would be restored, change nothing");
  sub->add_flag("--force", options->force, "Restore even while Cell 0 runs");
  add_identity_option(sub, *options);
  sub->footer("Exit: 0 restored, 2 failed (nothing changed), 64 usage, 75 locked. See cell0ctl-restore(1).\n");
  sub->callback([options, &global, &session] {
    session.exit_status = run_restore(*options, global, session);
  });
}

} // namespace cell0ctl::cli
