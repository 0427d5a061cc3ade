// Thin AFD calls: every NtCreateFile / NtDeviceIoControlFile / NtCancelIoFileEx
// / NtClose the library issues goes through here, so each is traced once.
#pragma once

#include "../core/trace.h"
#include "../core/types.h"
#include "afd_abi.h"
#include "nt.h"
#include "request.h"

namespace afdsock {
namespace win {

class Io {
 public:
  explicit Io(Tracer& tracer) : tracer_(tracer) {}
  ~Io();
  std::string Init();  // "" or an error

  // Whether the host is Wine (decides only the extra create step; the
  // dialect of every other call is chosen in dialect.cc).
  bool host_is_wine = false;

  // Opens \Device\Afd\Endpoint with the AfdOpenPacketXX EA (TLI, TCP). Under
  // Wine the EA is inert and IOCTL_AFD_WINE_CREATE must follow.
  uint32_t CreateEndpoint(int family, HANDLE* out);

  // Overlapped: completes through the port with `r` as ApcContext.
  uint32_t Async(HANDLE h, uint32_t code, const void* in, ULONG in_len, void* out, ULONG out_len, Request* r);
  // Local control calls (bind, listen, addresses, options): no ApcContext, so
  // no packet is queued; waits on a private event if the driver pends.
  uint32_t Sync(HANDLE h, uint32_t code, const void* in, ULONG in_len, void* out, ULONG out_len,
                ULONG_PTR* info = nullptr);
  // A data call that must not wait (receive, send, peek on a non-blocking
  // endpoint): like Sync, but a call the driver pends anyway is cancelled at
  // once (NtCancelIoFileEx with its own IO_STATUS_BLOCK) and awaited, so the
  // caller's memory is free again when this returns. *pended says it
  // happened; the status and *info are the cancelled call's own, so bytes it
  // moved before the cancel are reported, not lost.
  uint32_t Inline(HANDLE h, uint32_t code, const void* in, ULONG in_len, ULONG_PTR* info, bool* pended);
  uint32_t Cancel(HANDLE h, Request* r);  // r == nullptr: everything on h
  // Traces the completion of r, which pended: the resumed message.
  void Resumed(const Request& r, uint32_t status, uint64_t information);
  uint32_t Close(HANDLE h);

 private:
  // Waits until the call behind `iosb` has finished, at most `ms`.
  bool Await(IO_STATUS_BLOCK& iosb, DWORD ms);
  void Trace(uint32_t code, HANDLE h, uint32_t status, const void* in, ULONG in_len, int64_t start,
             uint64_t information);
  Tracer& tracer_;
  HANDLE event_ = nullptr;
};

// Winsock sockaddr <-> SockAddr; returns the sockaddr length.
ULONG ToSockaddr(const SockAddr& a, afd::Sockaddr* out);
SockAddr FromSockaddr(const afd::Sockaddr& s);

}  // namespace win
}  // namespace afdsock
