// Pub/sub inside the engine: channel and pattern subscriptions of in-process subscribers,
// delivered in publish order.
// Thread-safety: used under the engine lock only.
#pragma once

namespace redkit::engine {

// PLACEHOLDER until the pub/sub work lands.
class pubsub {
 public:
  pubsub() = default;
  ~pubsub() = default;
};

}  // namespace redkit::engine
