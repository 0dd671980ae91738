// engine_store: the store interface over an in-process engine. A call runs the command at once
// on the caller's thread (under the engine lock) and completes on the caller's executor.
#include "engine/engine_store.hpp"

#include "completion.hpp"
#include "engine/engine.hpp"
#include "engine/pubsub.hpp"
#include "io_thread.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <charconv>
#include <deque>
#include <mutex>

namespace redkit {
namespace {

class engine_store final : public store, public engine_controls, public detail::in_process_eval {
 public:
  engine_store(asio::any_io_executor ex, store_options opts,
               std::unique_ptr<detail::io_thread> thread)
      : thread_(std::move(thread)),
        ex_(std::move(ex)),
        opts_(std::move(opts)),
        engine_(std::make_shared<engine::engine>(
            engine::options{opts_.engine.max_memory, opts_.engine.native_scripts})),
        sweeper_(std::make_shared<sweeper>(ex_, engine_, opts_.engine)) {
    sweeper_->start();
  }

  ~engine_store() override {
    close();
    // The sweeper's timer must go before the io_context whose timer service it uses: dropped
    // here, or (while its wait is pending) when the context's shutdown drops that handler.
    sweeper_.reset();
    thread_.reset();
  }

  asio::any_io_executor get_executor() const override { return ex_; }
  store_stats stats() const override {
    store_stats s;
    s.requests = requests_.load(std::memory_order_relaxed);
    s.connected = !closed_.load();
    return s;
  }
  void close() override {
    if (closed_.exchange(true)) return;
    sweeper_->stop();
  }
  std::string describe() const override { return "memory://"; }
  engine_controls* engine() noexcept override { return this; }

  // engine_controls
  void set_time(std::chrono::system_clock::time_point t) override {
    engine_->set_time_ms(
        std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count());
  }
  void advance(std::chrono::milliseconds d) override { engine_->advance_ms(d.count()); }
  void use_real_time() override { engine_->use_real_time(); }
  std::chrono::system_clock::time_point now() const override {
    return std::chrono::system_clock::time_point(std::chrono::milliseconds(engine_->now_ms()));
  }
  std::size_t sweep_expired() override {
    std::size_t total = 0;
    while (const auto n = engine_->sweep_expired(opts_.engine.expire_sweep_budget)) total += n;
    return total;
  }
  std::int64_t used_memory() const override { return engine_->used_memory(); }
  std::size_t key_count() const override { return engine_->key_count(); }

 protected:
  std::shared_ptr<subscription> do_subscribe(std::vector<std::string> channels,
                                             std::vector<std::string> patterns,
                                             message_handler handler,
                                             subscription_state_handler) override {
    if (closed_) throw closed_exception("SUBSCRIBE");
    auto sub = std::make_shared<engine_subscription>(ex_, engine_, std::move(handler));
    sub->start(std::move(channels), std::move(patterns));
    return sub;
  }

  void do_exec(command cmd, request_options, exec_handler handler) override {
    std::exception_ptr e;
    resp::reply r;
    if (closed_) {
      e = closed_error(cmd.name());
    } else {
      ++requests_;
      r = engine_->execute(cmd.args(), opts_.resp3);
      if (r.is_error()) e = std::make_exception_ptr(server_error(r.string, cmd.name()));
    }
    complete(std::move(handler), e, std::move(r));
  }

  // EVALSHA with KEYS and ARGV handed to the engine as views (no command encoding).
  void do_eval(const script& s, std::vector<std::string> keys, std::vector<std::string> args,
               request_options, exec_handler handler) override {
    std::exception_ptr e;
    resp::reply r;
    try {
      thread_local std::vector<std::string_view> views;
      views.assign(keys.begin(), keys.end());
      views.insert(views.end(), args.begin(), args.end());
      const auto all = std::span<const std::string_view>(views);
      r = eval_now(s, all.first(keys.size()), all.subspan(keys.size()));
    } catch (...) {
      e = std::current_exception();
    }
    complete(std::move(handler), e, std::move(r));
  }

  // in_process_eval: EVALSHA; on NOSCRIPT, SCRIPT LOAD and EVALSHA again in one atomic step, as
  // store::do_eval does on a server (errors name the command the same way).
  resp::reply eval_now(const script& s, std::span<const std::string_view> keys,
                       std::span<const std::string_view> args) override {
    if (closed_) throw closed_exception("EVALSHA");
    ++requests_;
    thread_local std::vector<std::string_view> argv;
    char numkeys_buf[24];
    const std::string_view numkeys(
        numkeys_buf, std::to_chars(numkeys_buf, numkeys_buf + sizeof numkeys_buf, keys.size()).ptr -
                         numkeys_buf);
    argv.clear();
    argv.emplace_back("EVALSHA");
    argv.push_back(s.sha1());
    argv.push_back(numkeys);
    argv.insert(argv.end(), keys.begin(), keys.end());
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = engine_->execute(argv, opts_.resp3);
    if (!r.is_error()) return r;
    if (classify_server_error(r.string) != errc::no_script) throw server_error(r.string, "EVALSHA");
    ++requests_;
    const std::vector<std::string_view> load = {"SCRIPT", "LOAD", s.source()};
    const std::vector<std::vector<std::string_view>> retry = {load, argv};
    auto rs = engine_->execute_all(retry, opts_.resp3);
    if (rs[0].is_error()) throw server_error(rs[0].string, "SCRIPT LOAD");
    if (rs[1].is_error()) throw server_error(rs[1].string, "EVALSHA " + s.name());
    return std::move(rs[1]);
  }

  void do_pipeline(std::vector<command> cmds, request_options, pipeline_handler handler) override {
    std::exception_ptr e;
    std::vector<resp::reply> rs;
    if (closed_) {
      e = closed_error(cmds.empty() ? "pipeline" : cmds[0].name());
    } else {
      ++requests_;
      std::vector<std::vector<std::string_view>> argvs;
      argvs.reserve(cmds.size());
      for (const auto& c : cmds) argvs.push_back(c.args());
      rs = engine_->execute_all(argvs, opts_.resp3);
    }
    complete(std::move(handler), e, std::move(rs));
  }

  // A blocking call completes through the store's executor: refused on a thread running it.
  bool running_in_io_thread() const override {
    const auto* io_ex = ex_.target<asio::io_context::executor_type>();
    return io_ex != nullptr && io_ex->running_in_this_thread();
  }

 private:
  // Messages of one subscription: enqueued by PUBLISH under the engine lock, delivered in
  // that order on the store's executor by one drain at a time. The engine's sink owns a
  // mailbox, not the subscription, so nothing a sink does can re-enter the engine lock.
  struct mailbox : std::enable_shared_from_this<mailbox> {
    mailbox(asio::any_io_executor ex, message_handler h)
        : ex(std::move(ex)), handler(std::move(h)) {}

    void enqueue(message m) {
      std::lock_guard lock(mu);
      if (closed) return;
      queue.push_back(std::move(m));
      if (draining) return;
      draining = true;
      asio::post(ex, [self = shared_from_this()] { self->drain(); });
    }
    void drain() {
      for (;;) {
        message m;
        {
          std::lock_guard lock(mu);
          if (queue.empty() || closed) {
            draining = false;
            queue.clear();
            return;
          }
          m = std::move(queue.front());
          queue.pop_front();
        }
        handler(std::move(m));
      }
    }
    void close() {
      std::lock_guard lock(mu);
      closed = true;
    }

    asio::any_io_executor ex;
    message_handler handler;
    std::mutex mu;
    std::deque<message> queue;
    bool draining = false;
    bool closed = false;
  };

  class engine_subscription final : public subscription {
   public:
    engine_subscription(asio::any_io_executor ex, std::shared_ptr<engine::engine> eng,
                        message_handler handler)
        : engine_(std::move(eng)),
          box_(std::make_shared<mailbox>(std::move(ex), std::move(handler))) {}
    ~engine_subscription() override { close(); }

    void start(std::vector<std::string> channels, std::vector<std::string> patterns) {
      id_ = engine_->with_state([&](engine::state& st) {
        if (!st.channels) st.channels = std::make_unique<engine::pubsub>();
        return st.channels->add(std::move(channels), std::move(patterns),
                                [box = box_](std::string_view channel, std::string_view pattern,
                                             std::string_view payload) {
                                  box->enqueue(message{std::string(channel), std::string(pattern),
                                                       std::string(payload)});
                                });
      });
    }

    void close() override {
      if (closed_.exchange(true)) return;
      box_->close();
      engine_->with_state([id = id_](engine::state& st) {
        if (st.channels) st.channels->remove(id);
      });
    }

   private:
    std::shared_ptr<engine::engine> engine_;
    std::shared_ptr<mailbox> box_;
    std::uint64_t id_ = 0;
    std::atomic<bool> closed_{false};
  };

  // Runs the active expiry sweep every interval until stopped.
  struct sweeper : std::enable_shared_from_this<sweeper> {
    sweeper(const asio::any_io_executor& ex, std::shared_ptr<engine::engine> e, engine_options o)
        : timer(ex), eng(std::move(e)), opts(o) {}
    void start() {
      timer.expires_after(opts.expire_sweep_interval);
      timer.async_wait([self = shared_from_this()](boost::system::error_code ec) {
        if (ec || self->stopped) return;
        self->eng->sweep_expired(self->opts.expire_sweep_budget);
        self->start();
      });
    }
    void stop() {
      stopped = true;
      asio::post(timer.get_executor(), [self = shared_from_this()] { self->timer.cancel(); });
    }
    asio::steady_timer timer;
    std::shared_ptr<engine::engine> eng;
    engine_options opts;
    std::atomic<bool> stopped{false};
  };

  static error closed_exception(std::string_view name) {
    return error(make_error_code(errc::shutting_down),
                 "store closed [in " + std::string(name) + "]");
  }
  static std::exception_ptr closed_error(std::string_view name) {
    return std::make_exception_ptr(closed_exception(name));
  }

  // Completes on the handler's executor, never inside the initiating call.
  template <typename Handler, typename Value>
  void complete(Handler handler, std::exception_ptr e, Value v) {
    detail::post_completion(ex_, std::move(handler), e, std::move(v));
  }

  std::unique_ptr<detail::io_thread> thread_;
  asio::any_io_executor ex_;
  store_options opts_;
  std::shared_ptr<engine::engine> engine_;
  std::shared_ptr<sweeper> sweeper_;
  std::atomic<bool> closed_{false};
  std::atomic<std::uint64_t> requests_{0};
};

}  // namespace

namespace detail {
in_process_eval* in_process(store& s) noexcept { return dynamic_cast<in_process_eval*>(&s); }
}  // namespace detail

std::shared_ptr<store> open_engine_store(asio::any_io_executor executor, store_options options) {
  std::unique_ptr<detail::io_thread> thread;
  if (!executor) {
    thread = std::make_unique<detail::io_thread>();
    executor = thread->ioc.get_executor();
  }
  return std::make_shared<engine_store>(std::move(executor), std::move(options), std::move(thread));
}

}  // namespace redkit
