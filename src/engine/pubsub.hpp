// Pub/sub inside the engine: channel and pattern subscriptions of in-process subscribers.
// PUBLISH hands each message to the matching subscribers' sinks while it holds the engine lock,
// so every subscriber sees messages in the one total order of PUBLISH commands.
// Thread-safety: used under the engine lock only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace redkit::engine {

class pubsub {
 public:
  /// Takes one message (channel, matching pattern or empty, payload). Called under the engine
  /// lock: it must only enqueue.
  using sink = std::function<void(std::string_view channel, std::string_view pattern,
                                  std::string_view payload)>;

  /// Adds a subscriber; returns its id for remove().
  std::uint64_t add(std::vector<std::string> channels, std::vector<std::string> patterns, sink s);
  void remove(std::uint64_t id);

  /// Delivers to channel subscribers (in subscription order), then to pattern subscribers, as
  /// Redis does; returns the number of deliveries (PUBLISH's reply).
  std::size_t publish(std::string_view channel, std::string_view payload);

  /// Channels with at least one subscriber, optionally filtered by a glob (PUBSUB CHANNELS).
  std::vector<std::string> channels(std::optional<std::string_view> pattern) const;
  /// Subscribers of one channel (PUBSUB NUMSUB).
  std::size_t numsub(std::string_view channel) const;
  /// Distinct patterns subscribed (PUBSUB NUMPAT).
  std::size_t numpat() const;

 private:
  struct subscriber {
    std::vector<std::string> channels;
    std::vector<std::string> patterns;
    sink deliver;
  };
  std::unordered_map<std::uint64_t, subscriber> subscribers_;
  std::map<std::string, std::vector<std::uint64_t>, std::less<>> by_channel_;
  std::vector<std::pair<std::string, std::uint64_t>> by_pattern_;  // subscription order
  std::uint64_t next_id_ = 1;
};

}  // namespace redkit::engine
