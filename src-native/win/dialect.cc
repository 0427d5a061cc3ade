#include "dialect.h"

#include <cstdlib>
#include <cstring>

namespace afdsock {
namespace win {

namespace {

// ---- real Windows --------------------------------------------------------

uint32_t WinConnect(Io& io, HANDLE h, Request* r, const afd::Sockaddr& to, ULONG to_len) {
  afd::ConnectInfo& c = r->u.connect;  // SanActive, RootEndpoint, ConnectEndpoint: zero
  std::memset(&c, 0, sizeof c);
  std::memcpy(&c.RemoteAddress, &to, to_len);
  return io.Async(h, afd::IOCTL_AFD_CONNECT, &c, offsetof(afd::ConnectInfo, RemoteAddress) + to_len, nullptr, 0, r);
}

uint32_t WinAccept(Io& io, HANDLE listener, Request* r) {
  // Wait for a connection; ACCEPT then binds it to a fresh endpoint.
  return io.Async(listener, afd::IOCTL_AFD_WAIT_FOR_LISTEN, nullptr, 0, &r->u.listen_response,
                  sizeof r->u.listen_response, r);
}

// A dequeued connection that cannot be accepted is rejected, never left hanging.
void WinReject(Io& io, HANDLE listener, int32_t sequence) {
  afd::DeferAcceptInfo defer{sequence, 1};
  io.Sync(listener, afd::IOCTL_AFD_DEFER_ACCEPT, &defer, sizeof defer, nullptr, 0);
}

uint32_t WinAccepted(Io& io, HANDLE listener, int family, Request* r, HANDLE* out, afd::Sockaddr* peer) {
  const afd::ListenResponseInfo& response = r->u.listen_response.info;
  HANDLE h = nullptr;
  uint32_t st = io.CreateEndpoint(family, &h);
  if (!nt::Success(st)) {
    WinReject(io, listener, response.Sequence);
    return st;
  }
  afd::AcceptInfo info{};
  info.Sequence = response.Sequence;
  info.AcceptHandle = h;
  st = io.Sync(listener, afd::IOCTL_AFD_ACCEPT, &info, sizeof info, nullptr, 0);
  if (!nt::Success(st)) {
    WinReject(io, listener, response.Sequence);
    io.Close(h);
    return st;
  }
  *peer = response.RemoteAddress;
  *out = h;
  return st;
}

// Non-blocking mode, not the missing AFD_OVERLAPPED, keeps this inline.
uint32_t WinSendNow(Io& io, HANDLE h, const afd::WsaBuf* bufs, uint32_t count, ULONG_PTR* taken, bool* pended) {
  afd::SendRecvInfo info{const_cast<afd::WsaBuf*>(bufs), count, 0, afd::kTdiSendNormal};
  return io.Inline(h, afd::IOCTL_AFD_SEND, &info, sizeof info, taken, pended);
}

uint32_t WinSendAsync(Io& io, HANDLE h, Request* r) {
  r->u.transfer = afd::SendRecvInfo{&r->buf, 1, afd::kAfdOverlapped, afd::kTdiSendNormal};
  return io.Async(h, afd::IOCTL_AFD_SEND, &r->u.transfer, sizeof r->u.transfer, nullptr, 0, r);
}

uint32_t WinSetNonblocking(Io& io, HANDLE h) {
  afd::Information info{};
  info.InformationType = afd::kAfdInfoNonBlocking;
  info.Information.Boolean = 1;
  return io.Sync(h, afd::IOCTL_AFD_SET_INFORMATION, &info, sizeof info, nullptr, 0);
}

uint32_t WinShutdown(Io& io, HANDLE h, Request* r) {
  r->u.disconnect = afd::PartialDisconnectInfo{afd::kDisconnectSend, -1};
  return io.Async(h, afd::IOCTL_AFD_PARTIAL_DISCONNECT, &r->u.disconnect, sizeof r->u.disconnect, nullptr, 0, r);
}

// setsockopt on a TLI endpoint: IOCTL_AFD_TRANSPORT_IOCTL (Zig's SOCKOPT_INFO).
uint32_t WinSetOption(Io& io, HANDLE h, uint32_t level, uint32_t name, uint32_t value) {
  afd::TlIoControlInfo info{afd::kTlSetSockOpt, level, name, 1, &value, sizeof value};
  return io.Sync(h, afd::IOCTL_AFD_TRANSPORT_IOCTL, &info, sizeof info, nullptr, 0);
}

uint32_t WinSetNoDelay(Io& io, HANDLE h, bool on) {
  return WinSetOption(io, h, afd::kIpprotoTcp, afd::kTcpNoDelay, on ? 1 : 0);
}

uint32_t WinSetKeepAlive(Io& io, HANDLE h, bool on, uint32_t idle_seconds) {
  uint32_t st = WinSetOption(io, h, afd::kSolSocket, afd::kSoKeepAlive, on ? 1 : 0);
  if (!nt::Success(st) || !on || idle_seconds == 0) return st;
  return WinSetOption(io, h, afd::kIpprotoTcp, afd::kTcpKeepAlive, idle_seconds);
}

uint32_t WinReuseUnicastPort(Io& io, HANDLE h) {
  return WinSetOption(io, h, afd::kSolSocket, afd::kSoReuseUnicastPort, 1);
}

// ---- Wine 8.0 private IOCTLs ---------------------------------------------

uint32_t WineConnect(Io& io, HANDLE h, Request* r, const afd::Sockaddr& to, ULONG to_len) {
  afd::WineConnectParams& c = r->u.wine_connect;
  std::memset(&c, 0, sizeof c);
  c.addr_len = static_cast<int32_t>(to_len);
  c.synchronous = 0;  // ConnectEx style: the endpoint must be bound, and it pends
  std::memcpy(&c.addr, &to, to_len);
  return io.Async(h, afd::IOCTL_AFD_WINE_CONNECT, &c, offsetof(afd::WineConnectParams, addr) + to_len, nullptr, 0, r);
}

uint32_t WineAccept(Io& io, HANDLE listener, Request* r) {
  return io.Async(listener, afd::IOCTL_AFD_WINE_ACCEPT, nullptr, 0, &r->u.wine_accept_handle,
                  sizeof r->u.wine_accept_handle, r);
}

uint32_t WineAccepted(Io& io, HANDLE, int, Request* r, HANDLE* out, afd::Sockaddr* peer) {
  HANDLE h = reinterpret_cast<HANDLE>(static_cast<uintptr_t>(r->u.wine_accept_handle));
  std::memset(peer, 0, sizeof *peer);
  uint32_t st = io.Sync(h, afd::IOCTL_AFD_WINE_GETPEERNAME, nullptr, 0, peer, sizeof *peer);
  if (!nt::Success(st)) {
    io.Close(h);
    return st;
  }
  *out = h;
  return st;
}

uint32_t WineSendNow(Io& io, HANDLE h, const afd::WsaBuf* bufs, uint32_t count, ULONG_PTR* taken, bool* pended) {
  afd::WineSendmsgParams p{nullptr, 0, 0, 0, count, bufs};  // force_async 0: would-block on a non-blocking socket
  return io.Inline(h, afd::IOCTL_AFD_WINE_SENDMSG, &p, sizeof p, taken, pended);
}

uint32_t WineSendAsync(Io& io, HANDLE h, Request* r) {
  r->u.wine_send = afd::WineSendmsgParams{nullptr, 0, 0, 1, 1, &r->buf};  // force_async 1: overlapped
  return io.Async(h, afd::IOCTL_AFD_WINE_SENDMSG, &r->u.wine_send, sizeof r->u.wine_send, nullptr, 0, r);
}

uint32_t WineSetNonblocking(Io& io, HANDLE h) {
  int32_t on = 1;
  return io.Sync(h, afd::IOCTL_AFD_WINE_FIONBIO, &on, sizeof on, nullptr, 0);
}

uint32_t WineShutdown(Io& io, HANDLE h, Request* r) {
  r->u.wine_how = afd::kWineShutdownSend;
  return io.Async(h, afd::IOCTL_AFD_WINE_SHUTDOWN, &r->u.wine_how, sizeof r->u.wine_how, nullptr, 0, r);
}

uint32_t WineSetNoDelay(Io& io, HANDLE h, bool on) {
  int32_t value = on ? 1 : 0;
  return io.Sync(h, afd::IOCTL_AFD_WINE_SET_TCP_NODELAY, &value, sizeof value, nullptr, 0);
}

// Wine 8.0 has SO_KEEPALIVE but no IOCTL for the idle time (10.0 adds
// IOCTL_AFD_WINE_SET_TCP_KEEPALIVE): the idle time is not applied there.
uint32_t WineSetKeepAlive(Io& io, HANDLE h, bool on, uint32_t) {
  int32_t value = on ? 1 : 0;
  return io.Sync(h, afd::IOCTL_AFD_WINE_SET_SO_KEEPALIVE, &value, sizeof value, nullptr, 0);
}

// Wine has no SO_REUSE_UNICASTPORT (its ports come from the host's connect).
uint32_t WineReuseUnicastPort(Io&, HANDLE) { return nt::kSuccess; }

// The forced fallback: endpoints stay blocking.
uint32_t WineStayBlocking(Io&, HANDLE) { return nt::kSuccess; }

}  // namespace

// The table: one row per dialect, in the order of struct Dialect.
const Dialect kWindowsDialect = {"windows",     WinConnect,        WinAccept,   WinAccepted,
                                 WinSendNow,    WinSendAsync,      WinSetNonblocking,
                                 WinShutdown,   WinSetNoDelay,     WinSetKeepAlive,
                                 WinReuseUnicastPort};
const Dialect kWineDialect = {"wine",           WineConnect,       WineAccept,  WineAccepted,
                              WineSendNow,      WineSendAsync,     WineSetNonblocking,
                              WineShutdown,     WineSetNoDelay,    WineSetKeepAlive,
                              WineReuseUnicastPort};
const Dialect kWineBlockingDialect = {"wine-blocking", WineConnect,   WineAccept,  WineAccepted,
                                      WineSendNow,     WineSendAsync, WineStayBlocking,
                                      WineShutdown,    WineSetNoDelay, WineSetKeepAlive,
                                      WineReuseUnicastPort};

const Dialect* DialectByName(const std::string& name) {
  if (name == "windows") return &kWindowsDialect;
  if (name == "wine") return &kWineDialect;
  if (name == "wine-blocking") return &kWineBlockingDialect;
  return nullptr;
}

const Dialect& DetectDialect(bool host_is_wine) {
  const char* env = std::getenv("AFD_SOCKET_DIALECT");
  if (env != nullptr) {
    if (const Dialect* d = DialectByName(env)) return *d;
  }
  return host_is_wine ? kWineDialect : kWindowsDialect;
}

}  // namespace win
}  // namespace afdsock
