// Engine commands: the hashes family. (Stub: filled by the hashes work.)
#include "engine/engine.hpp"

namespace redkit::engine {

std::span<const command_spec> hash_commands() { return {}; }

}  // namespace redkit::engine
