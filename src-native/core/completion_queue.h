// One bridge from the I/O side to the JS thread.
//
// Two ways in, one way out:
// - Push (any thread): a wait thread (the IOCP thread on Windows) queues raw
//   completions in batches; the JS thread is woken once per batch through a
//   thread-safe function, never once per completion, and drains everything
//   queued in one pass.
// - Deliver (JS thread): a source that lives on Node's own loop (the epoll
//   instance on Linux, watched by one uv_poll) hands a batch over directly,
//   with no thread and no wake-up in between.
// Either way `drain` runs on the JS thread inside a callback scope, so the
// promises it settles run their continuations before the loop goes on.
// N.b. a wait thread never touches napi: it only calls Push().
#pragma once

#include <napi.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace afdsock {

// A raw completion as the wait side saw it. `ptr` is the request record on
// Windows (the ApcContext of the IOCTL); on Linux it is null and `a` names the
// endpoint, `b` its ready events.
struct Completion {
  void* ptr;
  uint64_t a;
  uint64_t b;
};

class CompletionQueue {
 public:
  using Drain = std::function<void(Napi::Env, std::vector<Completion>&)>;

  // JS thread. `drain` runs on the JS thread with every completion delivered.
  void Start(Napi::Env env, Drain drain);
  // JS thread: also accept Push() from other threads (starts the wake-up TSFN,
  // unref'd: Ref() decides whether it keeps the loop alive).
  void StartWakeups(Napi::Env env);
  // JS thread, after the backend's Stop (which Take()s what it must free).
  // Stops waking JS; anything still queued is dropped.
  void Stop();

  // Takes what is queued without waking JS (for the backend's Stop).
  std::vector<Completion> Take();

  // Any thread.
  void Push(const Completion* items, size_t n);
  // JS thread, called from the event loop (never from inside JS).
  void Deliver(Napi::Env env, const Completion* items, size_t n);

  // JS thread: whether the wake-ups keep the event loop alive.
  void Ref(Napi::Env env);
  void Unref(Napi::Env env);

 private:
  static void OnWake(Napi::Env env, Napi::Function, CompletionQueue* self, void*);
  void Run(Napi::Env env);
  static void Uncaught(Napi::Env env, const Napi::Error& e);

  using Tsfn = Napi::TypedThreadSafeFunction<CompletionQueue, void, OnWake>;
  Tsfn tsfn_;
  Drain drain_;
  std::unique_ptr<Napi::AsyncContext> context_;  // for Deliver's callback scope
  std::mutex mu_;
  std::vector<Completion> pending_;
  std::vector<Completion> running_;  // JS thread only
  bool wake_scheduled_ = false;      // guarded by mu_
  bool wakeups_ = false;
  bool stopped_ = false;
};

}  // namespace afdsock
