// The store implementation for redis://, rediss:// and unix:// (a pipelined connection).
#pragma once

#include <redkit/store.hpp>

namespace redkit::net {

/// Opens a Redis-backed store. `executor` may be null: the store then runs its own I/O thread.
std::shared_ptr<store> open_redis_store(asio::any_io_executor executor, store_url url,
                                        store_options options);

}  // namespace redkit::net
