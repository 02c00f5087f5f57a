// SPDX-License-Identifier: Apache-2.0
#include "acmed/solver/registry.hpp"

namespace acmed::solver {

Result<void> SolverRegistry::add(std::unique_ptr<SolverFactory> factory) {
  if (!factory) return fail(Errc::invalid_argument, "null solver factory");
  if (find(factory->name()))
    return fail(Errc::invalid_argument, "duplicate solver registration for name '" + std::string(factory->name()) + "'");
  factories_.push_back(std::move(factory));
  return {};
}

const SolverFactory* SolverRegistry::find(std::string_view name) const {
  for (const auto& f : factories_)
    if (f->name() == name) return f.get();
  return nullptr;
}

std::vector<std::string> SolverRegistry::names() const {
  std::vector<std::string> out;
  for (const auto& f : factories_) out.emplace_back(f->name());
  return out;
}

}  // namespace acmed::solver
