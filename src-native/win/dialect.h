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
  const char* name;  // "windows" | "wine"

  // Each returns the NTSTATUS NtDeviceIoControlFile returned (kPending or final).
  // The endpoint is already bound (connect binds the wildcard first on both).
  uint32_t (*connect)(Io& io, HANDLE h, Request* r, const afd::Sockaddr& to, ULONG to_len);
  uint32_t (*accept)(Io& io, HANDLE listener, Request* r);
  // After accept() completed: yields the connected endpoint (configured, not
  // yet associated with the port) and its peer.
  uint32_t (*accepted)(Io& io, HANDLE listener, int family, Request* r, HANDLE* out, afd::Sockaddr* peer);
  // Inline, on a non-blocking endpoint: kSuccess with *taken bytes, or
  // STATUS_DEVICE_NOT_READY when the send buffer is full. Never pends.
  uint32_t (*send_now)(Io& io, HANDLE h, const afd::WsaBuf* bufs, uint32_t count, ULONG_PTR* taken);
  // Makes receives and sends without AFD_OVERLAPPED fail with
  // STATUS_DEVICE_NOT_READY instead of waiting (FIONBIO).
  uint32_t (*set_nonblocking)(Io& io, HANDLE h);
  uint32_t (*shutdown)(Io& io, HANDLE h, Request* r);  // send side
  uint32_t (*set_no_delay)(Io& io, HANDLE h, bool on);
};

extern const Dialect kWindowsDialect;
extern const Dialect kWineDialect;

// Detection (ntdll!wine_get_version) with the AFD_SOCKET_DIALECT=windows|wine override.
const Dialect& DetectDialect(bool host_is_wine);
const Dialect* DialectByName(const std::string& name);

}  // namespace win
}  // namespace afdsock
