#include "io.h"

#include <cstring>

namespace afdsock {
namespace win {

namespace {

const char* IoctlName(uint32_t code) {
  using namespace afd;
  switch (code) {
#define NAME(c) \
  case c:       \
    return #c;
    NAME(IOCTL_AFD_BIND) NAME(IOCTL_AFD_CONNECT) NAME(IOCTL_AFD_START_LISTEN) NAME(IOCTL_AFD_WAIT_FOR_LISTEN)
    NAME(IOCTL_AFD_ACCEPT) NAME(IOCTL_AFD_RECEIVE) NAME(IOCTL_AFD_SEND) NAME(IOCTL_AFD_POLL)
    NAME(IOCTL_AFD_PARTIAL_DISCONNECT) NAME(IOCTL_AFD_GET_ADDRESS) NAME(IOCTL_AFD_GET_REMOTE_ADDRESS)
    NAME(IOCTL_AFD_DEFER_ACCEPT) NAME(IOCTL_AFD_TRANSPORT_IOCTL) NAME(IOCTL_AFD_SET_INFORMATION)
    NAME(IOCTL_AFD_WINE_CREATE) NAME(IOCTL_AFD_WINE_FIONBIO)
    NAME(IOCTL_AFD_WINE_ACCEPT) NAME(IOCTL_AFD_WINE_CONNECT) NAME(IOCTL_AFD_WINE_SHUTDOWN)
    NAME(IOCTL_AFD_WINE_SENDMSG) NAME(IOCTL_AFD_WINE_GETPEERNAME) NAME(IOCTL_AFD_WINE_SET_TCP_NODELAY)
    NAME(IOCTL_AFD_WINE_SET_SO_KEEPALIVE)
#undef NAME
    default:
      return "IOCTL_UNKNOWN";
  }
}

constexpr DWORD kCancelWaitMs = 2000;

uint64_t HandleValue(HANDLE h) { return static_cast<uint64_t>(reinterpret_cast<uintptr_t>(h)); }

}  // namespace

Io::~Io() {
  if (event_ != nullptr) CloseHandle(event_);
}

std::string Io::Init() {
  event_ = CreateEventW(nullptr, FALSE, FALSE, nullptr);  // auto-reset
  return event_ == nullptr ? "CreateEvent failed" : "";
}

void Io::Trace(uint32_t code, HANDLE h, uint32_t status, const void* in, ULONG in_len, int64_t start,
               uint64_t information) {
  if (tracer_.On())
    tracer_.Nt("NtDeviceIoControlFile", IoctlName(code), code, HandleValue(h), status, in, in_len, start, information);
}

uint32_t Io::CreateEndpoint(int family, HANDLE* out) {
  static const wchar_t kName[] = L"\\Device\\Afd\\Endpoint";
  UNICODE_STRING name;
  name.Buffer = const_cast<PWSTR>(kName);
  name.Length = sizeof(kName) - sizeof(wchar_t);
  name.MaximumLength = sizeof(kName);
  OBJECT_ATTRIBUTES attr;
  InitializeObjectAttributes(&attr, &name, OBJ_CASE_INSENSITIVE, nullptr, nullptr);

  afd::OpenEa ea{};
  ea.EaNameLength = 15;
  ea.EaValueLength = sizeof(afd::OpenPacket);
  std::memcpy(ea.EaName, "AfdOpenPacketXX", 16);
  ea.Packet.AddressFamily = family == 6 ? afd::kAfInet6 : afd::kAfInet;
  ea.Packet.SocketType = afd::kSockStream;
  ea.Packet.Protocol = afd::kIpprotoTcp;

  IO_STATUS_BLOCK iosb{};
  HANDLE h = nullptr;
  int64_t start = tracer_.Start();
  // CreateOptions 0: overlapped I/O, completed through the port.
  uint32_t st = static_cast<uint32_t>(nt::NtCreateFile(&h, GENERIC_READ | GENERIC_WRITE | SYNCHRONIZE, &attr, &iosb,
                                                       nullptr, 0, FILE_SHARE_READ | FILE_SHARE_WRITE, FILE_OPEN_IF,
                                                       0, &ea, sizeof ea));
  if (tracer_.On()) tracer_.Nt("NtCreateFile", nullptr, 0, HandleValue(h), st, &ea, sizeof ea, start);
  if (!nt::Success(st)) return st;
  if (host_is_wine) {
    // Wine drops the EA on device opens; the endpoint stays unconfigured until
    // this private IOCTL (what ws2_32 itself sends). Must precede the port
    // association, which Wine otherwise loses.
    afd::WineCreateParams p{ea.Packet.AddressFamily, afd::kSockStream, afd::kIpprotoTcp, 0};
    st = Sync(h, afd::IOCTL_AFD_WINE_CREATE, &p, sizeof p, nullptr, 0);
    if (!nt::Success(st)) {
      Close(h);
      return st;
    }
  }
  *out = h;
  return nt::kSuccess;
}

uint32_t Io::Async(HANDLE h, uint32_t code, const void* in, ULONG in_len, void* out, ULONG out_len, Request* r) {
  r->iosb.Status = static_cast<NTSTATUS>(nt::kPending);
  r->iosb.Information = 0;
  int64_t start = tracer_.Start();
  r->code = code;
  r->handle = h;
  if (tracer_.On()) {
    r->traced_at = start;
    if (in != nullptr) r->traced_input.assign(static_cast<const char*>(in), in_len);
  }
  uint32_t st = static_cast<uint32_t>(
      nt::NtDeviceIoControlFile(h, nullptr, nullptr, r, &r->iosb, code, const_cast<void*>(in), in_len, out, out_len));
  Trace(code, h, st, in, in_len, start, st == nt::kPending ? 0 : r->iosb.Information);
  return st;
}

// The event can be signalled by an earlier call that finished inline (an
// auto-reset event nobody waited for), so only the IO_STATUS_BLOCK says when
// the call is done: the kernel writes Status before it sets the event.
bool Io::Await(IO_STATUS_BLOCK& iosb, DWORD ms) {
  const volatile NTSTATUS* status = &iosb.Status;
  DWORD start = GetTickCount();
  while (static_cast<uint32_t>(*status) == nt::kPending) {
    DWORD left = INFINITE;
    if (ms != INFINITE) {
      DWORD spent = GetTickCount() - start;
      if (spent >= ms) return false;
      left = ms - spent;
    }
    WaitForSingleObject(event_, left);
  }
  MemoryBarrier();
  return true;
}

uint32_t Io::Sync(HANDLE h, uint32_t code, const void* in, ULONG in_len, void* out, ULONG out_len, ULONG_PTR* info) {
  IO_STATUS_BLOCK iosb{};
  iosb.Status = static_cast<NTSTATUS>(nt::kPending);  // until the kernel writes the outcome (Await)
  int64_t start = tracer_.Start();
  uint32_t st = static_cast<uint32_t>(
      nt::NtDeviceIoControlFile(h, event_, nullptr, nullptr, &iosb, code, const_cast<void*>(in), in_len, out, out_len));
  if (st == nt::kPending) {
    // Local control calls finish at once; Windows may still report them as
    // pending (BIND does on overlapped endpoints).
    Await(iosb, INFINITE);
    st = static_cast<uint32_t>(iosb.Status);
  }
  Trace(code, h, st, in, in_len, start, iosb.Information);
  if (info != nullptr) *info = iosb.Information;
  return st;
}

uint32_t Io::Inline(HANDLE h, uint32_t code, const void* in, ULONG in_len, ULONG_PTR* info, bool* pended) {
  IO_STATUS_BLOCK iosb{};
  iosb.Status = static_cast<NTSTATUS>(nt::kPending);  // until the kernel writes the outcome (Await)
  int64_t start = tracer_.Start();
  uint32_t st = static_cast<uint32_t>(
      nt::NtDeviceIoControlFile(h, event_, nullptr, nullptr, &iosb, code, const_cast<void*>(in), in_len, nullptr, 0));
  *pended = st == nt::kPending;
  if (*pended) {
    Trace(code, h, st, in, in_len, start, 0);
    IO_STATUS_BLOCK cancel{};
    int64_t cstart = tracer_.Start();
    uint32_t cst = static_cast<uint32_t>(nt::NtCancelIoFileEx(h, &iosb, &cancel));
    if (tracer_.On()) tracer_.Nt("NtCancelIoFileEx", nullptr, 0, HandleValue(h), cst, nullptr, 0, cstart);
    // A cancelled AFD receive or send completes at once. The bound only
    // decides when to say so: until the call completes, the kernel owns
    // `iosb` and the caller's buffers, so this thread may not return before.
    if (!Await(iosb, kCancelWaitMs)) {
      if (tracer_.On()) tracer_.Nt("WaitForSingleObject", nullptr, 0, HandleValue(h), 0x102 /* STATUS_TIMEOUT */, nullptr, 0, cstart);
      Await(iosb, INFINITE);
    }
    st = static_cast<uint32_t>(iosb.Status);
    if (tracer_.On()) tracer_.Resumed("NtDeviceIoControlFile", IoctlName(code), code, HandleValue(h), st, in, in_len, start, iosb.Information);
  } else {
    Trace(code, h, st, in, in_len, start, iosb.Information);
  }
  if (info != nullptr) *info = iosb.Information;
  return st;
}

void Io::Resumed(const Request& r, uint32_t status, uint64_t information) {
  if (!tracer_.On() || r.code == 0) return;
  const void* out = r.op == Op::kPoll ? static_cast<const void*>(&r.u.poll) : nullptr;
  tracer_.Resumed("NtDeviceIoControlFile", IoctlName(r.code), r.code, HandleValue(r.handle), status,
                  r.traced_input.data(), r.traced_input.size(), r.traced_at, information, out,
                  out != nullptr ? sizeof r.u.poll : 0);
}

uint32_t Io::Cancel(HANDLE h, Request* r) {
  IO_STATUS_BLOCK iosb{};
  int64_t start = tracer_.Start();
  uint32_t st = static_cast<uint32_t>(nt::NtCancelIoFileEx(h, r ? &r->iosb : nullptr, &iosb));
  if (tracer_.On()) tracer_.Nt("NtCancelIoFileEx", nullptr, 0, HandleValue(h), st, nullptr, 0, start);
  return st;
}

uint32_t Io::Close(HANDLE h) {
  int64_t start = tracer_.Start();
  uint32_t st = static_cast<uint32_t>(nt::NtClose(h));
  if (tracer_.On()) tracer_.Nt("NtClose", nullptr, 0, HandleValue(h), st, nullptr, 0, start);
  return st;
}

ULONG ToSockaddr(const SockAddr& a, afd::Sockaddr* out) {
  std::memset(out, 0, sizeof *out);
  uint16_t port = static_cast<uint16_t>((a.port >> 8) | (a.port << 8));  // network order
  if (a.family == 6) {
    out->v6.family = afd::kAfInet6;
    out->v6.port = port;
    std::memcpy(out->v6.addr, a.bytes, 16);
    out->v6.scope_id = a.scope;
    return sizeof(afd::SockaddrIn6);
  }
  out->v4.family = afd::kAfInet;
  out->v4.port = port;
  std::memcpy(out->v4.addr, a.bytes, 4);
  return sizeof(afd::SockaddrIn);
}

SockAddr FromSockaddr(const afd::Sockaddr& s) {
  SockAddr a{};
  if (s.family == afd::kAfInet6) {
    a.family = 6;
    a.port = static_cast<uint16_t>((s.v6.port >> 8) | (s.v6.port << 8));
    a.scope = s.v6.scope_id;
    std::memcpy(a.bytes, s.v6.addr, 16);
  } else {
    a.family = 4;
    a.port = static_cast<uint16_t>((s.v4.port >> 8) | (s.v4.port << 8));
    std::memcpy(a.bytes, s.v4.addr, 4);
  }
  return a;
}

}  // namespace win
}  // namespace afdsock
