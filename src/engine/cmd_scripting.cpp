// Engine commands: the scripting family. (Stub: filled by the scripting work.)
#include "engine/engine.hpp"

namespace redkit::engine {

std::span<const command_spec> scripting_commands() { return {}; }

}  // namespace redkit::engine
