// Plain values shared by the core, the binding and both platforms.
// No OS header, no napi: these cross every layer.
#pragma once

#include <cstddef>
#include <cstdint>

namespace afdsock {

// How an operation left the platform layer.
enum State : int {
  kDone = 0,     // finished inline; `value` holds the result
  kPending = 1,  // the kernel owns it; exactly one completion will follow
  kFailed = 2,   // finished inline with an error; `status` holds it
};

// `status` is an NTSTATUS on Windows and an errno on Linux; 0 means success.
// `value` is bytes moved, or an endpoint id for open and accept.
struct Outcome {
  State state;
  int64_t status;
  double value;
};

inline Outcome Done(double value = 0) { return {kDone, 0, value}; }
inline Outcome Pending() { return {kPending, 0, 0}; }
inline Outcome Failed(int64_t status) { return {kFailed, status, 0}; }

// One request settled on the JS thread (from a completion, or cancelled).
struct Settled {
  uint32_t request;
  State state;  // kDone or kFailed
  int64_t status;
  double value;
};

// An IP endpoint in a platform-neutral form. family is 4 or 6; the address
// bytes are in network order; port is host order.
struct SockAddr {
  uint8_t family;
  uint16_t port;
  uint32_t scope;
  uint8_t bytes[16];
};

// A run of caller bytes for one gathered send, valid only during the call.
struct Span {
  const uint8_t* data;
  size_t len;
};
constexpr size_t kMaxSpans = 64;  // per send call; the rest goes in the next one

// One row of the system's TCP table (Windows: GetExtendedTcpTable). `state`
// is MIB_TCP_STATE (2 LISTEN, 5 ESTABLISHED, 11 TIME_WAIT); pid 0 = unknown.
struct TcpRow {
  SockAddr local;
  SockAddr remote;
  uint32_t state;
  uint32_t pid;
};

// How a listener shares its port (the AFD ShareAccess values; Linux maps them).
enum Share : uint32_t { kShareUnique = 0, kShareReuse = 1, kShareWildcard = 2, kShareExclusive = 3 };

}  // namespace afdsock
