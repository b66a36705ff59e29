// SPDX-License-Identifier: GPL-3.0-or-later
// config.model: the agent's provider and model, and the API key the provider needs.
#include "checks/common.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>

namespace cell0ctl::checks {

namespace {

// Provider ids of Cell 0's src/config/providers.ts.
constexpr std::array<std::string_view, 23> k_providers{
    "openai",    "anthropic",  "minimax",     "moonshot",    "google",   "xai",
    "openrouter", "qwen",      "zai",         "qianfan",     "copilot",  "ai-gateway",
    "opencode-zen", "xiaomi",  "synthetic",   "together",    "huggingface", "venice",
    "litellm",   "cloudflare-ai-gateway", "ollama", "vllm", "custom",
};

// Providers that run without a key (Cell 0's requiresApiKey).
constexpr std::array<std::string_view, 4> k_keyless{"ollama", "vllm", "custom", "copilot"};

template <std::size_t N>
bool contains(const std::array<std::string_view, N>& list, std::string_view value)
{
  return std::find(list.begin(), list.end(), value) != list.end();
}

Finding run(Context& context)
{
  const nlohmann::json* config = cell0_config(context);
  if (config == nullptr) {
    return skip("cell0.json absent or malformed (see config.parse)");
  }
  const std::string file = context.home("cell0.json").string();
  const auto provider = json_string(*config, "agent.provider");
  const auto model = json_string(*config, "agent.model");
  if (!provider && !model) {
    return warn("MODEL_NOT_CONFIGURED",
                "no agent.provider or agent.model in cell0.json: the agent has no model",
                "run `cell0 onboard` to choose a provider and model");
  }
  if (provider && !contains(k_providers, *provider)) {
    return fail("PROVIDER_UNKNOWN",
                fmt::format("agent.provider \"{}\" is not a provider Cell 0 knows", *provider),
                fmt::format("set agent.provider in {} to one of openai, anthropic, google, "
                            "ollama, openrouter, ... (see `cell0 onboard`)",
                            file));
  }
  const std::string name = model.value_or("(provider default)");
  const bool keyless = provider ? contains(k_keyless, *provider)
                                : model && model->rfind("ollama/", 0) == 0;
  const auto key = json_string(*config, "agent.apiKey");
  if (!keyless && (!key || key->empty())) {
    return fail("API_KEY_MISSING",
                fmt::format("{} model {} needs an API key, and agent.apiKey is empty",
                            provider.value_or("the"),
                            name),
                fmt::format("set agent.apiKey in {} (or run `cell0 onboard`)", file));
  }
  return ok(fmt::format("{} model {}{}",
                        provider.value_or("provider-less"),
                        name,
                        key && !key->empty() ? fmt::format(", API key {}", context.secret(*key))
                                             : std::string()));
}

} // namespace

extern const Check config_model{
    .id = "config.model",
    .title = "The agent's provider, model and API key are configured",
    .tags = tag_doctor,
    .depends_on = {"config.parse"},
    .timeout = std::chrono::milliseconds(1000),
    .touches = touch_files,
    .run = run,
};

} // namespace cell0ctl::checks
