// Engine commands: the zsets family. (Stub: filled by the zsets work.)
#include "engine/engine.hpp"

namespace redkit::engine {

std::span<const command_spec> zset_commands() { return {}; }

}  // namespace redkit::engine
