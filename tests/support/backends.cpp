#include "support/backends.hpp"

namespace redkit::test {

std::string to_string(backend b) {
  switch (b) {
    case backend::redis:
      return "redis";
  }
  return "unknown";
}

std::vector<backend> all_backends() { return {backend::redis}; }

void backend_test::SetUp() {
  switch (GetParam()) {
    case backend::redis:
      server_.emplace();
      break;
  }
  store_ = open_store();
}

void backend_test::TearDown() {
  if (store_) store_->close();
  store_.reset();
  server_.reset();
}

std::shared_ptr<store> backend_test::open_store(store_options options) {
  switch (GetParam()) {
    case backend::redis:
      return store::open(server_->url(), std::move(options));
  }
  return nullptr;
}

}  // namespace redkit::test
