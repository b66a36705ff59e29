// SPDX-License-Identifier: GPL-3.0-or-later
#include "checks/common.hpp"
#include "checks/registry.hpp"
#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "lib/backup/api.hpp"
#include "lib/core/error.hpp"
#include "lib/sys/procfs.hpp"
#include "lib/util/strings.hpp"
#include "lib/util/units.hpp"

#include "cell0ctl_version.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <array>
#include <memory>

#include <unistd.h>

namespace fs = std::filesystem;

namespace cell0ctl::cli {

namespace {

struct BackupOptions
{
  std::string repository;
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
};

std::chrono::milliseconds lock_wait(const BackupOptions& options)
{
  const auto wait = util::parse_duration(options.lock_wait);
  if (!wait) {
    throw Error(Errc::usage, fmt::format("--lock-wait '{}': expected a duration", options.lock_wait),
                "for example --lock-wait 5m");
  }
  return *wait;
}

fs::path repository_path(const BackupOptions& options, const Inputs& inputs)
{
  if (!options.repository.empty()) {
    return options.repository;
  }
  if (auto setting = inputs.settings.string("repository")) {
    return *setting;
  }
  throw Error(Errc::usage, "no backup repository given",
              "pass --repo DIR, or set `repository:` in cell0ctl's configuration");
}

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

std::string host_name()
{
  std::array<char, 256> name{};
  ::gethostname(name.data(), name.size() - 1);
  return name.data();
}

int run_create(const BackupOptions& options, const GlobalOptions& global, Session& session)
{
  const std::string fmt_name = format(global);
  auto inputs = make_inputs(global, session);
  // Pre-flight: the home must exist; other findings are reported, not fatal.
  const auto preflight = select_checks(checks::all_checks(), {"home.exists"}, {}, tag_backup_preflight);
  const Report report = run_checks(preflight, inputs, RunOptions{});
  if (report.summary().fail > 0) {
    throw Error(Errc::failed, fmt::format("nothing to back up: {}", report.results.front().finding.summary),
                report.results.front().finding.remediation);
  }
  backup::CreateOptions create;
  create.repository = repository_path(options, *inputs);
  Facts facts(*inputs);
  const auto& root = facts.cell0_root();
  create.roots = backup::cell0_sources(inputs->home.value, inputs->user_home,
                                       root ? root->value : fs::path());
  create.selection.include = options.include;
  create.selection.exclude = options.exclude;
  create.dry_run = options.dry_run;
  create.zstd_level = options.compression;
  create.host = host_name();
  create.lock_wait = lock_wait(options);
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
  const backup::CreateResult result = backup::snapshot_api().create(create);

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

int run_list(const BackupOptions& options, const GlobalOptions& global, Session& session)
{
  const std::string fmt_name = format(global);
  auto inputs = make_inputs(global, session);
  const auto repository = backup::Repository::open(repository_path(options, *inputs));
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

int run_verify(const BackupOptions& options, const GlobalOptions& global, Session& session)
{
  const std::string fmt_name = format(global);
  auto inputs = make_inputs(global, session);
  const auto repository = backup::Repository::open(repository_path(options, *inputs));
  const std::string id = repository.resolve(options.snapshot);
  const backup::VerifyResult result = backup::snapshot_api().verify(repository, id);
  if (fmt_name == "json") {
    session.out << nlohmann::ordered_json{{"id", result.id},         {"ok", result.problems.empty()},
                                          {"files", result.files},   {"bytes", result.bytes},
                                          {"problems", result.problems},
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
  }
  return result.problems.empty() ? 0 : exit_status(Errc::failed);
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
  backup::RestoreOptions restore;
  restore.repository = repository_path(options, *inputs);
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
  const backup::RestoreResult result = backup::snapshot_api().restore(restore);
  // Doctor's data checks on what was restored.
  Report report;
  if (!options.dry_run) {
    auto restored = std::make_shared<Inputs>(*inputs);
    restored->home = {options.to.empty() ? result.target : fs::path(options.to) / "cell0", "restore"};
    restored->home.value = fs::absolute(restored->home.value);
    report = run_checks(select_checks(checks::all_checks(), {"data", "config.parse"}, {}, tag_doctor),
                        restored, RunOptions{});
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
  app->add_option("--repo", options.repository, "Backup repository (a folder)")->type_name("DIR");
  app->add_option("--lock-wait", options.lock_wait, "How long to wait for another run's lock (then exit 75)")
      ->type_name("DURATION");
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
  verify->callback([options, &global, &session] {
    session.exit_status = run_verify(*options, global, session);
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
  sub->footer("Exit: 0 restored, 2 failed (nothing changed), 64 usage, 75 locked. See cell0ctl-restore(1).\n");
  sub->callback([options, &global, &session] {
    session.exit_status = run_restore(*options, global, session);
  });
}

} // namespace cell0ctl::cli
