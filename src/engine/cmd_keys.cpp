// Engine commands: the keys family. (Stub: filled by the keys work.)
#include "engine/engine.hpp"

namespace redkit::engine {

std::span<const command_spec> key_commands() { return {}; }

}  // namespace redkit::engine
