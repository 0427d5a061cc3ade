// The Windows/Wine split, as two rows of one table. Real Windows IOCTLs are
// the default; Wine 8.0 lacks CONNECT, WAIT_FOR_LISTEN/ACCEPT, SEND,
// PARTIAL_DISCONNECT, SET_INFORMATION and TRANSPORT_IOCTL, so its row uses
// Wine's private codes for exactly those. Everything else (create, bind,
// listen, recv, poll, addresses, cancel, close) is one code path in backend.cc.
#pragma once

#include <string>

#include "io.h"

namespace afdsock {
namespace win {

struct Dialect {
  const char* name;  // "windows" | "wine" | "wine-blocking"

  // Each returns the NTSTATUS NtDeviceIoControlFile returned (kPending or final).
  // The endpoint is already bound (connect binds the wildcard first on both).
  uint32_t (*connect)(Io& io, HANDLE h, Request* r, const afd::Sockaddr& to, ULONG to_len);
  uint32_t (*accept)(Io& io, HANDLE listener, Request* r);
  // After accept() completed: yields the connected endpoint (configured, not
  // yet associated with the port) and its peer.
  uint32_t (*accepted)(Io& io, HANDLE listener, int family, Request* r, HANDLE* out, afd::Sockaddr* peer);
  // Inline, meant for a non-blocking endpoint: success with *taken bytes, or
  // a would-block status when the send buffer is full. If the driver pends
  // it anyway, Io::Inline cancels and awaits it and sets *pended.
  uint32_t (*send_now)(Io& io, HANDLE h, const afd::WsaBuf* bufs, uint32_t count, ULONG_PTR* taken, bool* pended);
  // The fallback path's send: overlapped, from r->buf (the library's copy).
  uint32_t (*send_async)(Io& io, HANDLE h, Request* r);
  // Makes receives and sends without AFD_OVERLAPPED fail with a would-block
  // status instead of waiting (FIONBIO).
  uint32_t (*set_nonblocking)(Io& io, HANDLE h);
  uint32_t (*shutdown)(Io& io, HANDLE h, Request* r);  // send side
  uint32_t (*set_no_delay)(Io& io, HANDLE h, bool on);
  // SO_KEEPALIVE, and the idle time before the first probe (0: the system's).
  uint32_t (*set_keep_alive)(Io& io, HANDLE h, bool on, uint32_t idle_seconds);
  // Before the wildcard bind of a connect: share ephemeral ports across
  // destinations (SO_REUSE_UNICASTPORT), as Winsock's implicit bind does. Its
  // status is only traced: a refusal changes nothing.
  uint32_t (*reuse_unicast_port)(Io& io, HANDLE h);
};

extern const Dialect kWindowsDialect;
extern const Dialect kWineDialect;
// Wine's row with endpoints left blocking, so data calls really pend and the
// fallback path (fallback.cc) runs for real under Wine: the tests' way to
// exercise what real Windows would do if non-blocking mode did not take.
extern const Dialect kWineBlockingDialect;

// Detection (ntdll!wine_get_version) with the AFD_SOCKET_DIALECT=windows|wine|wine-blocking override.
const Dialect& DetectDialect(bool host_is_wine);
const Dialect* DialectByName(const std::string& name);

}  // namespace win
}  // namespace afdsock
