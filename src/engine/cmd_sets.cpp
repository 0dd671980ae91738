// Engine commands: the sets family. (Stub: filled by the sets work.)
#include "engine/engine.hpp"

namespace redkit::engine {

std::span<const command_spec> set_commands() { return {}; }

}  // namespace redkit::engine
