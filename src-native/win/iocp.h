// The completion port and its wait thread. The thread dequeues packets in
// batches with GetQueuedCompletionStatusEx and hands each batch to the
// completion queue whole (one JS wake per batch). It never frees anything.
#pragma once

#include <thread>
#include <vector>

#include "../core/completion_queue.h"
#include "nt.h"

namespace afdsock {
namespace win {

class Iocp {
 public:
  ~Iocp();
  std::string Start(CompletionQueue* queue);
  // Associates `h` and turns on FILE_SKIP_COMPLETION_PORT_ON_SUCCESS, so an
  // IOCTL that succeeds inline queues no packet and settles without a hop.
  bool Associate(HANDLE h);
  // Queues a packet for `r` (STATUS_SUCCESS, 0 bytes) as if the kernel had
  // completed it: a wake-up on the next turn of the loop.
  bool Post(void* r);
  // Stops the thread. Packets still queued stay in the port for Drain().
  void StopThread();
  // After StopThread: dequeues directly (Stop-time only), up to `timeout_ms`.
  size_t Drain(std::vector<Completion>& out, DWORD timeout_ms);
  void Close();

 private:
  void Run();
  HANDLE port_ = nullptr;
  std::thread thread_;
  CompletionQueue* queue_ = nullptr;
};

}  // namespace win
}  // namespace afdsock
