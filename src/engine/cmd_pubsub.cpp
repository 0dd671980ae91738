// Engine commands: the pubsub family. (Stub: filled by the pubsub work.)
#include "engine/engine.hpp"

namespace redkit::engine {

std::span<const command_spec> pubsub_commands() { return {}; }

}  // namespace redkit::engine
