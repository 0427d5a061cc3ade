// The Linux wait side: the library's own epoll instance, watched from Node's
// own loop by one uv_poll on the epoll descriptor (no thread, no per-socket
// libuv handle). Endpoints are registered once, edge-triggered, with their
// endpoint id as the token. When the descriptor turns readable, the ready
// events are taken without blocking and delivered to the completion queue on
// the JS thread, in the batches epoll_wait returns. It never performs I/O.
#pragma once

#include <napi.h>
#include <uv.h>

#include <cstdint>
#include <string>

#include "../core/completion_queue.h"

namespace afdsock {
namespace epoll {

class Poller {
 public:
  ~Poller();
  std::string Start(Napi::Env env, CompletionQueue* queue);  // "" or an error text
  void Stop();                                               // closes the uv handle
  int Add(int fd, uint32_t id);                              // 0 or errno
  // Makes the loop deliver an empty batch soon, so deferred results
  // (cancellations) settle from the queue like any other.
  void Nudge();
  // Whether the watcher keeps Node's loop alive.
  void Ref(bool on);

 private:
  static void OnReady(uv_poll_t* handle, int status, int events);
  void Drain();
  Napi::Env env_ = Napi::Env(nullptr);
  int epfd_ = -1;
  int wakefd_ = -1;
  uv_poll_t* watcher_ = nullptr;  // freed by its close callback
  CompletionQueue* queue_ = nullptr;
};

}  // namespace epoll
}  // namespace afdsock
