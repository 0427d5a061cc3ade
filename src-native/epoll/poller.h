// The Linux wait side: one epoll instance and one thread per environment.
// Endpoints are registered once, edge-triggered, with their endpoint id as the
// token; the thread forwards every readiness event into the completion queue,
// in the batches epoll_wait returns. It never performs I/O itself.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

#include "../core/completion_queue.h"

namespace afdsock {
namespace epoll {

class Poller {
 public:
  ~Poller();
  std::string Start(CompletionQueue* queue);  // "" or an error text
  void Stop();                                // joins the thread
  int Add(int fd, uint32_t id);               // 0 or errno
  // Wakes the JS thread with an empty completion, so deferred results
  // (cancellations) settle from the queue like any other.
  void Nudge();

 private:
  void Run();
  int epfd_ = -1;
  int wakefd_ = -1;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  CompletionQueue* queue_ = nullptr;
};

}  // namespace epoll
}  // namespace afdsock
