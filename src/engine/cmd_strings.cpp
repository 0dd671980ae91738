// Engine commands: the strings family. (Stub: filled by the strings work.)
#include "engine/engine.hpp"

namespace redkit::engine {

std::span<const command_spec> string_commands() { return {}; }

}  // namespace redkit::engine
