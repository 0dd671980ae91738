// The store implementation for memory://: the embedded engine behind the store interface.
#pragma once

#include <redkit/store.hpp>

namespace redkit {

/// Opens an engine-backed store. `executor` may be null: the store then runs its own thread
/// (for the expiry sweep and for completing calls).
std::shared_ptr<store> open_engine_store(asio::any_io_executor executor, store_options options);

}  // namespace redkit
