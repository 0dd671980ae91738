// Engine commands: the lists family. (Stub: filled by the lists work.)
#include "engine/engine.hpp"

namespace redkit::engine {

std::span<const command_spec> list_commands() { return {}; }

}  // namespace redkit::engine
