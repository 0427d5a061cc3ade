// The platform layer as the binding sees it: one Backend per Node environment.
//
// Every call is made on the JS thread. An operation either finishes inline
// (kDone / kFailed, nothing retained) or returns kPending, after which
// exactly one Settled entry for its request id comes out of Process().
//
// Data moves only inline: Recv and Send copy on the JS thread, never block,
// and keep no pointer to the caller's memory once they return. When the
// kernel has nothing to read (or no room to send), they park a readiness wait
// instead, holding no buffer: kPending, settling kDone when a new Recv / Send
// may make progress. So no kernel request, pending or cancelled, ever holds
// memory that JS can detach, and an idle connection reserves no receive buffer.
//
// Implemented once per platform: win/backend.cc (AFD) and epoll/backend.cc.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "completion_queue.h"
#include "trace.h"
#include "types.h"

namespace afdsock {

class Backend {
 public:
  explicit Backend(Tracer& tracer);
  ~Backend();
  Backend(const Backend&) = delete;
  Backend& operator=(const Backend&) = delete;

  // 'afd', 'afd-wine' or 'linux'.
  std::string Name() const;
  // Starts feeding `queue`: from the IOCP thread (Windows) or from Node's own
  // loop (Linux, no thread). Returns an error text or "".
  std::string Start(Napi::Env env, CompletionQueue* queue);
  // Cancels and closes every endpoint, waits until the kernel has finished
  // with every request, and joins the wait thread. Safe to call twice.
  void Stop();

  Outcome Open(int family);  // value: endpoint id
  Outcome Bind(uint32_t ep, const SockAddr& addr, Share share, SockAddr* bound);
  Outcome Listen(uint32_t ep, int backlog);
  Outcome Accept(uint32_t ep, uint32_t request);  // value: new endpoint id
  Outcome Connect(uint32_t ep, const SockAddr& addr, uint32_t request);
  // value: bytes read, 0 = EOF; or kPending (a readiness wait, nothing read)
  Outcome Recv(uint32_t ep, uint8_t* data, size_t len, uint32_t request);
  // Gathers up to kMaxSpans spans into one kernel call (sendmsg; a WSABUF
  // array). value: bytes taken (> 0, maybe fewer than all); or kPending
  // (nothing taken). count 0: the caller's buffer was detached; Done(n) for
  // bytes a copy of it already delivered (Windows' fallback path), else
  // the invalid-argument failure.
  Outcome Send(uint32_t ep, const Span* spans, size_t count, uint32_t request);
  Outcome Shutdown(uint32_t ep, uint32_t request);  // send side
  // A 1-byte peek receive that consumes nothing and never waits: value 1 when
  // a byte is there, 0 at EOF; or kFailed with the would-block status (or the
  // pend, cancelled) the kernel answered. For `afd-socket doctor`.
  Outcome Peek(uint32_t ep);
  Outcome SetNoDelay(uint32_t ep, bool on);
  Outcome SetKeepAlive(uint32_t ep, bool on, uint32_t idle_seconds);  // 0: the system's idle time
  Outcome LocalAddress(uint32_t ep, SockAddr* out);
  Outcome RemoteAddress(uint32_t ep, SockAddr* out);
  // Asks the kernel to stop `request`; it still settles (as cancelled) later.
  void Cancel(uint32_t ep, uint32_t request);
  // Cancels everything pending on `ep` and releases it; pending requests
  // settle as cancelled once the kernel lets go of them.
  void Close(uint32_t ep);

  // Whether pending work keeps the event loop alive.
  void Ref(Napi::Env env, bool on);

  // JS thread: turns what the kernel reported into settled requests.
  void Process(std::vector<Completion>& in, std::vector<Settled>& out);

  // The Node error code for a status ('ECONNREFUSED', ...; 'ECANCELED' for a
  // cancelled request; 'UNKNOWN' when unmapped).
  static const char* ErrorName(int64_t status);
  // The process's open descriptors (Linux) or handles (Windows).
  static double HandleCount();
  // Windows: the system's TCP table with owning pids, and a process's image
  // name. Linux reads /proc from JS instead: TcpTable returns false there.
  static bool TcpTable(std::vector<TcpRow>* out);
  static std::string ProcessName(uint32_t pid);
  // The status for a bad argument caught in the binding (EINVAL / STATUS_INVALID_PARAMETER).
  static int64_t InvalidArgument();

  // Windows only: 'windows' or 'wine'. Returns false where there are no dialects.
  bool SetDialect(const std::string& name);
  std::string Dialect() const;

  // Each platform's own state (opaque here; public so that a platform's
  // helpers in other files can name it).
  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace afdsock
