#include "support/backends.hpp"

#include <thread>

namespace redkit::test {

std::string to_string(backend b) {
  switch (b) {
    case backend::engine:
      return "engine";
    case backend::redis:
      return "redis";
  }
  return "unknown";
}

std::vector<backend> all_backends() { return {backend::engine, backend::redis}; }

void backend_test::SetUp() {
  if (GetParam() == backend::redis) server_.emplace();
  store_ = open_store();
}

void backend_test::TearDown() {
  if (store_) store_->close();
  store_.reset();
  server_.reset();
}

std::shared_ptr<store> backend_test::open_store(store_options options) {
  switch (GetParam()) {
    case backend::engine:
      // Every handle of one test shares the first store's engine, as clients of one server do.
      if (store_) return store_;
      return store::open("memory://", std::move(options));
    case backend::redis:
      return store::open(server_->url(), std::move(options));
  }
  return nullptr;
}

void backend_test::advance(std::chrono::milliseconds d) {
  if (auto* e = store_->engine()) {
    e->advance(d);
  } else {
    std::this_thread::sleep_for(d);
  }
}

}  // namespace redkit::test
