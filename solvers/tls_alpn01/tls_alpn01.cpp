#include "acmed/solvers/tls_alpn01.hpp"

namespace acmed::solver {

// TODO(helper): implement the factory and the responder.
std::unique_ptr<SolverFactory> make_tls_alpn01_factory() { return nullptr; }

}  // namespace acmed::solver
