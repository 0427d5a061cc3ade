// One bridge from the I/O side to the JS thread.
//
// The platform's wait thread (IOCP on Windows, epoll on Linux) pushes raw
// completions here in batches; the JS thread is woken once per batch, never
// once per completion, and drains everything queued in one pass.
// N.b. the wait thread never touches napi: it only calls push().
#pragma once

#include <napi.h>

#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

namespace afdsock {

// A raw completion as the wait thread saw it. `ptr` is the request record on
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

  // JS thread. `drain` runs on the JS thread with every completion queued
  // since the last wake.
  void Start(Napi::Env env, Drain drain);
  // JS thread, after the backend's Stop (which Take()s what it must free).
  // Stops waking JS; anything still queued is dropped.
  void Stop();

  // Takes what is queued without waking JS (for the backend's Stop).
  std::vector<Completion> Take();

  // Any thread.
  void Push(const Completion* items, size_t n);

  // JS thread: whether the queue keeps the event loop alive.
  void Ref(Napi::Env env);
  void Unref(Napi::Env env);

 private:
  static void OnWake(Napi::Env env, Napi::Function, CompletionQueue* self, void*);
  void Run(Napi::Env env);

  using Tsfn = Napi::TypedThreadSafeFunction<CompletionQueue, void, OnWake>;
  Tsfn tsfn_;
  Drain drain_;
  std::mutex mu_;
  std::vector<Completion> pending_;
  std::vector<Completion> running_;  // JS thread only
  bool wake_scheduled_ = false;      // guarded by mu_
  bool started_ = false;
};

}  // namespace afdsock
