// Pub/sub on Redis: a subscription on a connection of its own (RESP3), which replays its
// SUBSCRIBE/PSUBSCRIBE after every reconnect and turns push messages into `message`s.
#pragma once

#include <redkit/store.hpp>

namespace redkit::net {

/// Opens a subscription and blocks until it is active (or throws, see store::subscribe).
std::shared_ptr<subscription> open_redis_subscription(asio::any_io_executor executor,
                                                      const store_url& url, store_options options,
                                                      const std::vector<std::string>& channels,
                                                      const std::vector<std::string>& patterns,
                                                      message_handler handler,
                                                      subscription_state_handler on_state);

}  // namespace redkit::net
