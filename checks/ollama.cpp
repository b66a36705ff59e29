// SPDX-License-Identifier: GPL-3.0-or-later
// ollama.reachable and ollama.model-present: Ollama answers, and the model Cell 0 is set to
// use has been pulled (GET /api/version, GET /api/tags of Ollama's REST API).
#include "checks/common.hpp"
#include "lib/util/strings.hpp"
#include "lib/util/units.hpp"

#include <fmt/format.h>

namespace cell0ctl::checks {

namespace {

Finding run_reachable(Context& context)
{
  const std::string url = context.endpoint("ollama").url + "/api/version";
  const HttpResponse response = context.get("ollama", "/api/version");
  if (!response.answered()) {
    if (!ollama_used(context)) {
      return skip(fmt::format("Ollama does not answer at {}, and Cell 0 is not configured to "
                              "use it",
                              context.endpoint("ollama").url));
    }
    return unreachable("OLLAMA",
                       "Ollama",
                       url,
                       response,
                       "start it: systemctl start ollama (or `ollama serve`)");
  }
  const auto body = json_body(response);
  if (response.status != 200 || !body || !body->contains("version")) {
    return fail("OLLAMA_BAD_ANSWER",
                fmt::format("{} answered HTTP {} without a version: is this Ollama?",
                            url,
                            response.status),
                "point cell0ctl at Ollama with --endpoint ollama=http://HOST:11434");
  }
  Finding finding = ok(fmt::format("Ollama {} at {}",
                                   (*body)["version"].get<std::string>(),
                                   context.endpoint("ollama").url));
  finding.measurements.push_back(latency(response));
  return finding;
}

} // namespace

// The model entry of `tags` (GET /api/tags) matching `model`; "llama3" matches
// "llama3:latest", as in `ollama run llama3`.
const nlohmann::json* find_model(const nlohmann::json& tags, const std::string& model)
{
  const nlohmann::json* models = json_at(tags, "models");
  if (models == nullptr || !models->is_array()) {
    return nullptr;
  }
  const std::string wanted = model.find(':') == std::string::npos ? model + ":latest" : model;
  for (const nlohmann::json& entry : *models) {
    const std::string name = entry.value("name", entry.value("model", std::string()));
    if (name == wanted || name == model) {
      return &entry;
    }
  }
  return nullptr;
}

namespace {

Finding run_model(Context& context)
{
  const auto model = ollama_model(context);
  if (!model) {
    return skip("no Ollama model configured (agent.model is not \"ollama/...\")");
  }
  const std::string url = context.endpoint("ollama").url + "/api/tags";
  const HttpResponse response = context.get("ollama", "/api/tags");
  if (!response.answered()) {
    return unreachable("OLLAMA", "Ollama", url, response, "start it: systemctl start ollama");
  }
  const auto body = json_body(response);
  if (response.status != 200 || !body) {
    return fail("OLLAMA_BAD_ANSWER",
                fmt::format("{} answered HTTP {} without a model list", url, response.status),
                "restart Ollama: systemctl restart ollama");
  }
  const nlohmann::json* entry = find_model(*body, *model);
  if (entry == nullptr) {
    std::vector<std::string> names;
    if (const auto* models = json_at(*body, "models"); models != nullptr && models->is_array()) {
      for (const auto& item : *models) {
        names.push_back(item.value("name", std::string("?")));
      }
    }
    Finding finding = fail("OLLAMA_MODEL_MISSING",
                           fmt::format("model {} is not pulled into Ollama", *model),
                           fmt::format("ollama pull {}", *model));
    finding.details = names.empty() ? "Ollama has no models"
                                    : fmt::format("Ollama has: {}", util::join(names, ", "));
    return finding;
  }
  Finding finding = ok(fmt::format("model {} is pulled ({})",
                                   entry->value("name", *model),
                                   util::format_size(entry->value("size", std::uint64_t{0}))));
  finding.measurements.push_back(
      {"model_size", static_cast<double>(entry->value("size", std::uint64_t{0})), "bytes"});
  return finding;
}

} // namespace

extern const Check ollama_reachable{
    .id = "ollama.reachable",
    .title = "Ollama answers",
    .tags = tag_doctor | tag_health,
    .depends_on = {},
    .timeout = std::chrono::milliseconds(2000),
    .touches = touch_loopback | touch_remote,
    .run = run_reachable,
};

extern const Check ollama_model_present{
    .id = "ollama.model-present",
    .title = "The configured model is pulled into Ollama",
    .tags = tag_doctor | tag_health,
    .depends_on = {"ollama.reachable"},
    .timeout = std::chrono::milliseconds(2000),
    .touches = touch_loopback | touch_remote,
    .run = run_model,
};

} // namespace cell0ctl::checks
