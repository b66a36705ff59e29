// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/schema/validator.hpp"

#include "lib/core/error.hpp"
#include "lib/schema/evaluator.hpp"
#include "lib/schema/registry.hpp"
#include "lib/schema/uri.hpp"

#include <fmt/format.h>

namespace cell0ctl::schema {

class Validator::Impl
{
public:
  Impl(Options options, Loader loader) : m_options(options), m_registry(options, std::move(loader))
  {}

  Options m_options;
  Registry m_registry;
};

Validator::Validator(Options options, Loader loader)
    : m_impl(std::make_unique<Impl>(options, std::move(loader)))
{}

Validator::~Validator() = default;

std::string Validator::add_schema(const std::string& uri, config::Node schema)
{
  return m_impl->m_registry.add(uri, std::move(schema), m_impl->m_options.default_draft);
}

Result Validator::validate(const config::Node& instance, const std::string& uri)
{
  const config::Node& schema = m_impl->m_registry.resolve(uri, m_impl->m_options.default_draft);
  Evaluator evaluator(m_impl->m_registry, m_impl->m_options);
  return evaluator.run(schema, instance);
}

} // namespace cell0ctl::schema
