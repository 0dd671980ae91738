// Precompiled header for the library: the heavy headers every translation unit pulls in.
#pragma once
#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ssl.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>
