// SPDX-License-Identifier: GPL-3.0-or-later
// The one list of checks, in the order an operator reads them: where Cell 0 is, what it runs
// with, its configuration and secrets, its processes and ports, its services, the machine,
// its data. To add a check: write checks/<group>_<thing>.cpp, list it in checks/meson.build,
// add its two lines here, test it in tests/checks/, and describe it in man/cell0ctl-doctor.1.
#include "checks/registry.hpp"

#include <algorithm>
#include <array>

namespace cell0ctl::checks {

extern const Check home_exists;
extern const Check install_stack;
extern const Check install_node;
extern const Check install_python;
extern const Check install_python_env;
extern const Check install_cell0d_imports;
extern const Check config_parse;
extern const Check config_auth;
extern const Check config_bind;
extern const Check config_model;
extern const Check perms_home;
extern const Check perms_secrets;
extern const Check perms_tpv_store;
extern const Check process_gateway;
extern const Check process_cell0d;
extern const Check process_pidfile;
extern const Check ports_gateway;
extern const Check ports_portal;
extern const Check ports_cell0d;
extern const Check ports_websocket;
extern const Check ports_metrics;
extern const Check ports_ollama;
extern const Check ports_signal;
extern const Check gateway_health;
extern const Check cell0d_health;
extern const Check cell0d_deep;
extern const Check cell0d_ready;
extern const Check metrics_series;
extern const Check ollama_reachable;
extern const Check ollama_model_present;
extern const Check signal_health;
extern const Check resources_disk;
extern const Check resources_memory;
extern const Check resources_cpu;
extern const Check resources_open_files;
extern const Check data_memory_vectors;
extern const Check data_sessions;
extern const Check data_logs;
extern const Check data_audit_db;

namespace {

const std::array k_checks = {
    &home_exists,          &install_stack,       &install_node,         &install_python,
    &install_python_env,   &install_cell0d_imports, &config_parse,      &config_auth,
    &config_bind,          &config_model,        &perms_home,           &perms_secrets,
    &perms_tpv_store,      &process_gateway,     &process_cell0d,       &process_pidfile,
    &ports_gateway,        &ports_portal,        &ports_cell0d,         &ports_websocket,
    &ports_metrics,        &ports_ollama,        &ports_signal,         &gateway_health,
    &cell0d_health,        &cell0d_deep,         &cell0d_ready,         &metrics_series,
    &ollama_reachable,     &ollama_model_present, &signal_health,       &resources_disk,
    &resources_memory,     &resources_cpu,       &resources_open_files, &data_memory_vectors,
    &data_sessions,        &data_logs,           &data_audit_db,
};

} // namespace

std::span<const Check* const> all_checks()
{
  return k_checks;
}

const Check* find_check(std::string_view id)
{
  const auto it = std::find_if(k_checks.begin(), k_checks.end(), [&](const Check* check) {
    return check->id == id;
  });
  return it == k_checks.end() ? nullptr : *it;
}

} // namespace cell0ctl::checks
