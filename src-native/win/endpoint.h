// One AFD endpoint as the Windows backend keeps it.
#pragma once

#include <memory>
#include <vector>

#include "afd_abi.h"
#include "poll_state.h"
#include "request.h"

namespace afdsock {
namespace win {

// The fallback path of an endpoint whose data calls pended (fallback.cc):
// receives and sends go out overlapped through buffers the library owns.
struct Fallback {
  Request* recv = nullptr;  // the overlapped receive the kernel holds
  Request* send = nullptr;  // the overlapped send the kernel holds
  // A finished receive not yet handed to JS: bytes [pos, len) of `bytes`, or
  // end of stream (len 0), or an error.
  std::unique_ptr<uint8_t[]> bytes;
  size_t pos = 0, len = 0;
  bool has_result = false;
  uint32_t recv_error = 0;
  uint32_t send_error = 0;  // an overlapped send failed: the next send reports it
  size_t sent = 0;          // bytes the last overlapped send moved, for the caller's next call
  // JS waits for `recv` / `send` to finish (request id, cancelled).
  struct Wait {
    uint32_t request;
    bool cancelled;
  };
  std::vector<Wait> recv_waits, send_waits;
  uint32_t shutdown_request = 0;  // a shutdown waiting for `send` (0: none)
};

struct Endpoint {
  HANDLE h = nullptr;
  int family = 4;
  bool closed = false;
  std::vector<Request*> held;  // requests the kernel still owns
  afd::Sockaddr peer{};
  bool has_peer = false;
  // A poll reported AFD_POLL_ABORT: the reset, reported by the next receive
  // that would otherwise read end of stream (Wine's poll clears the socket
  // error, so its receive then reads 0 bytes).
  uint32_t reset = 0;
  PollState poll;
  std::unique_ptr<Fallback> fallback;  // set once a data call pended
};

}  // namespace win
}  // namespace afdsock
