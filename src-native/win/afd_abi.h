// The AFD driver's user-mode ABI on Windows x64, and the Wine 8.0 private
// IOCTLs, in one place. Only fixed-width types, so the layout checks below
// compile (and are checked) on every host, not only on Windows.
//
// Sources (facts only): System Informer phnt/include/ntafd.h; Wine's
// conformance tests dlls/ws2_32/tests/afd.c (which also run on Windows);
// Wine 8.0 include/wine/afd.h for the private codes; wepoll and mio for POLL.
// See ../../README.md "What is verified where" for what has run on real Windows.
#pragma once

#include <cstddef>
#include <cstdint>

namespace afdsock {
namespace afd {

// ---- control codes ---------------------------------------------------------
// _AFD_CONTROL_CODE(function, method) = (FILE_DEVICE_NETWORK 0x12 << 12) | function << 2 | method
constexpr uint32_t kMethodBuffered = 0, kMethodNeither = 3;
constexpr uint32_t Code(uint32_t function, uint32_t method) { return (0x12u << 12) | (function << 2) | method; }

constexpr uint32_t IOCTL_AFD_BIND = Code(0, kMethodNeither);                // 0x12003
constexpr uint32_t IOCTL_AFD_CONNECT = Code(1, kMethodNeither);             // 0x12007
constexpr uint32_t IOCTL_AFD_START_LISTEN = Code(2, kMethodNeither);        // 0x1200B
constexpr uint32_t IOCTL_AFD_WAIT_FOR_LISTEN = Code(3, kMethodBuffered);    // 0x1200C
constexpr uint32_t IOCTL_AFD_ACCEPT = Code(4, kMethodBuffered);             // 0x12010
constexpr uint32_t IOCTL_AFD_RECEIVE = Code(5, kMethodNeither);             // 0x12017
constexpr uint32_t IOCTL_AFD_SEND = Code(7, kMethodNeither);                // 0x1201F
constexpr uint32_t IOCTL_AFD_POLL = Code(9, kMethodBuffered);               // 0x12024
constexpr uint32_t IOCTL_AFD_PARTIAL_DISCONNECT = Code(10, kMethodNeither); // 0x1202B
constexpr uint32_t IOCTL_AFD_GET_ADDRESS = Code(11, kMethodNeither);        // 0x1202F
constexpr uint32_t IOCTL_AFD_SET_INFORMATION = Code(14, kMethodNeither);    // 0x1203B
constexpr uint32_t IOCTL_AFD_GET_REMOTE_ADDRESS = Code(15, kMethodNeither); // 0x1203F
constexpr uint32_t IOCTL_AFD_DEFER_ACCEPT = Code(35, kMethodBuffered);      // 0x1208C
constexpr uint32_t IOCTL_AFD_TRANSPORT_IOCTL = Code(47, kMethodNeither);    // 0x120BF

static_assert(IOCTL_AFD_BIND == 0x12003 && IOCTL_AFD_CONNECT == 0x12007, "codes");
static_assert(IOCTL_AFD_START_LISTEN == 0x1200B && IOCTL_AFD_WAIT_FOR_LISTEN == 0x1200C, "codes");
static_assert(IOCTL_AFD_ACCEPT == 0x12010 && IOCTL_AFD_RECEIVE == 0x12017 && IOCTL_AFD_SEND == 0x1201F, "codes");
static_assert(IOCTL_AFD_POLL == 0x12024 && IOCTL_AFD_PARTIAL_DISCONNECT == 0x1202B, "codes");
static_assert(IOCTL_AFD_GET_ADDRESS == 0x1202F && IOCTL_AFD_GET_REMOTE_ADDRESS == 0x1203F, "codes");
static_assert(IOCTL_AFD_SET_INFORMATION == 0x1203B, "codes");
static_assert(IOCTL_AFD_DEFER_ACCEPT == 0x1208C && IOCTL_AFD_TRANSPORT_IOCTL == 0x120BF, "codes");

// Wine's private codes: CTL_CODE(FILE_DEVICE_NETWORK, n, METHOD_BUFFERED, 0) = 0x120000 | n << 2.
constexpr uint32_t WineCode(uint32_t n) { return 0x120000u | (n << 2); }
constexpr uint32_t IOCTL_AFD_WINE_CREATE = WineCode(200);           // 0x120320
constexpr uint32_t IOCTL_AFD_WINE_ACCEPT = WineCode(201);           // 0x120324
constexpr uint32_t IOCTL_AFD_WINE_CONNECT = WineCode(203);          // 0x12032C
constexpr uint32_t IOCTL_AFD_WINE_SHUTDOWN = WineCode(204);         // 0x120330
constexpr uint32_t IOCTL_AFD_WINE_SENDMSG = WineCode(206);          // 0x120338
constexpr uint32_t IOCTL_AFD_WINE_FIONBIO = WineCode(209);          // 0x120344
constexpr uint32_t IOCTL_AFD_WINE_GETPEERNAME = WineCode(216);      // 0x120360
constexpr uint32_t IOCTL_AFD_WINE_SET_SO_KEEPALIVE = WineCode(224);  // 0x120380
constexpr uint32_t IOCTL_AFD_WINE_SET_TCP_NODELAY = 0x120474;       // as listed in Wine 8.0 afd.h

static_assert(IOCTL_AFD_WINE_CREATE == 0x120320 && IOCTL_AFD_WINE_ACCEPT == 0x120324, "codes");
static_assert(IOCTL_AFD_WINE_CONNECT == 0x12032C && IOCTL_AFD_WINE_SHUTDOWN == 0x120330, "codes");
static_assert(IOCTL_AFD_WINE_SENDMSG == 0x120338 && IOCTL_AFD_WINE_GETPEERNAME == 0x120360, "codes");
static_assert(IOCTL_AFD_WINE_FIONBIO == 0x120344 && IOCTL_AFD_WINE_SET_SO_KEEPALIVE == 0x120380, "codes");

// The name of a code, for traces.
const char* IoctlName(uint32_t code);

// ---- addresses (Winsock's SOCKADDR_IN / SOCKADDR_IN6; AF_INET6 is 23 on Windows)
constexpr uint16_t kAfInet = 2, kAfInet6 = 23;
constexpr int kSockStream = 1, kIpprotoTcp = 6;

struct SockaddrIn {
  uint16_t family;
  uint16_t port;  // network order
  uint8_t addr[4];
  uint8_t zero[8];
};
struct SockaddrIn6 {
  uint16_t family;
  uint16_t port;  // network order
  uint32_t flowinfo;
  uint8_t addr[16];
  uint32_t scope_id;
};
union Sockaddr {
  uint16_t family;
  SockaddrIn v4;
  SockaddrIn6 v6;
};
static_assert(sizeof(SockaddrIn) == 16 && sizeof(SockaddrIn6) == 28 && sizeof(Sockaddr) == 28, "sockaddr");
static_assert(offsetof(SockaddrIn6, addr) == 8 && offsetof(SockaddrIn6, scope_id) == 24, "sockaddr_in6");

// ---- endpoint creation: one FILE_FULL_EA_INFORMATION named AfdOpenPacketXX --
constexpr uint32_t kEndpointMessageMode = 0x10;  // unused for TCP here (0, as Zig and x86matthew)

struct OpenPacket {  // AFD_OPEN_PACKET, TLI: no transport device name
  uint32_t EndpointFlags;
  int32_t GroupID;
  int32_t AddressFamily;
  int32_t SocketType;
  int32_t Protocol;
  uint32_t TransportDeviceNameLength;  // bytes; 0 = TLI
  uint16_t TransportDeviceName[2];     // empty, NUL; pads the value to 28 bytes as Zig sends
};
struct OpenEa {  // FILE_FULL_EA_INFORMATION + "AfdOpenPacketXX\0" + AFD_OPEN_PACKET
  uint32_t NextEntryOffset;
  uint8_t Flags;
  uint8_t EaNameLength;    // 15, without the NUL
  uint16_t EaValueLength;  // sizeof(OpenPacket)
  char EaName[16];
  OpenPacket Packet;
};
static_assert(sizeof(OpenPacket) == 28, "open packet");
static_assert(offsetof(OpenPacket, AddressFamily) == 8 && offsetof(OpenPacket, TransportDeviceNameLength) == 20,
              "open packet");
static_assert(offsetof(OpenEa, EaName) == 8 && offsetof(OpenEa, Packet) == 24 && sizeof(OpenEa) == 52, "open EA");

// ---- BIND: AFD_BIND_INFO_TL ------------------------------------------------
struct BindInfo {
  uint32_t ShareAccess;  // 0 normal, 1 reuse, 2 wildcard, 3 exclusive
  Sockaddr Address;      // sent as 4 + sockaddr length bytes
};
static_assert(offsetof(BindInfo, Address) == 4 && sizeof(BindInfo) == 32, "bind info");

// ---- START_LISTEN: AFD_LISTEN_INFO -----------------------------------------
struct ListenInfo {
  uint8_t SanActive;
  uint32_t MaximumConnectionQueue;
  uint8_t UseDelayedAcceptance;
};
static_assert(offsetof(ListenInfo, MaximumConnectionQueue) == 4 && sizeof(ListenInfo) == 12, "listen info");

// ---- WAIT_FOR_LISTEN output: AFD_LISTEN_RESPONSE_INFO_TL --------------------
struct ListenResponseInfo {
  int32_t Sequence;
  Sockaddr RemoteAddress;
};
static_assert(offsetof(ListenResponseInfo, RemoteAddress) == 4 && sizeof(ListenResponseInfo) == 32, "listen resp");
// No source gives AFD's minimum output size (Zig passes about 116 bytes), so
// the output buffer has room for the largest address (SOCKADDR_STORAGE, 128
// bytes) after the sequence number.
struct ListenResponseBuffer {
  ListenResponseInfo info;
  uint8_t room[4 + 128 - sizeof(ListenResponseInfo)];
};
static_assert(sizeof(ListenResponseBuffer) == 132, "listen response buffer");

// ---- DEFER_ACCEPT: AFD_DEFER_ACCEPT_INFO (reject a dequeued connection) ------
struct DeferAcceptInfo {
  int32_t Sequence;
  uint8_t Reject;  // TRUE: reset it instead of leaving it queued
};
static_assert(offsetof(DeferAcceptInfo, Reject) == 4 && sizeof(DeferAcceptInfo) == 8, "defer accept");

// ---- ACCEPT: AFD_ACCEPT_INFO -----------------------------------------------
struct AcceptInfo {
  uint8_t SanActive;
  int32_t Sequence;
  void* AcceptHandle;  // a fresh, unbound endpoint
};
static_assert(offsetof(AcceptInfo, Sequence) == 4 && offsetof(AcceptInfo, AcceptHandle) == 8 && sizeof(AcceptInfo) == 16,
              "accept info");

// ---- CONNECT: AFD_CONNECT_JOIN_INFO_TL; sent as 24 + sockaddr length bytes ----
struct ConnectInfo {
  uint8_t SanActive;
  void* RootEndpoint;
  void* ConnectEndpoint;
  Sockaddr RemoteAddress;
};
static_assert(offsetof(ConnectInfo, RootEndpoint) == 8 && offsetof(ConnectInfo, ConnectEndpoint) == 16, "connect");
static_assert(offsetof(ConnectInfo, RemoteAddress) == 24, "connect: sockaddr at 24 (40 bytes v4, 52 v6)");

// ---- SEND / RECEIVE: AFD_SEND_INFO / AFD_RECV_INFO ---------------------------
struct WsaBuf {
  uint32_t len;
  uint8_t* buf;
};
constexpr uint32_t kAfdNoFastIo = 0x1, kAfdOverlapped = 0x2;
constexpr uint32_t kTdiReceiveNormal = 0x20;
constexpr uint32_t kTdiReceivePeek = 0x80;  // TDI_RECEIVE_PEEK: the bytes stay queued
constexpr uint32_t kTdiSendNormal = 0;
struct SendRecvInfo {
  WsaBuf* BufferArray;
  uint32_t BufferCount;
  uint32_t AfdFlags;
  uint32_t TdiFlags;
};
static_assert(sizeof(WsaBuf) == 16 && offsetof(WsaBuf, buf) == 8, "WSABUF");
static_assert(offsetof(SendRecvInfo, BufferCount) == 8 && offsetof(SendRecvInfo, AfdFlags) == 12, "send/recv info");
static_assert(offsetof(SendRecvInfo, TdiFlags) == 16 && sizeof(SendRecvInfo) == 24, "send/recv info");

// ---- PARTIAL_DISCONNECT: AFD_PARTIAL_DISCONNECT_INFO --------------------------
constexpr uint32_t kDisconnectSend = 1, kDisconnectReceive = 2, kDisconnectAbortive = 4;
struct PartialDisconnectInfo {
  uint32_t DisconnectMode;
  int64_t Timeout;  // -1: none
};
static_assert(offsetof(PartialDisconnectInfo, Timeout) == 8 && sizeof(PartialDisconnectInfo) == 16, "disconnect");

// ---- POLL: AFD_POLL_INFO with one handle (wepoll, mio) ----------------------
constexpr uint32_t kPollReceive = 0x1, kPollSend = 0x4, kPollDisconnect = 0x8, kPollAbort = 0x10,
                   kPollLocalClose = 0x20, kPollConnectFail = 0x100;
constexpr int64_t kPollForever = INT64_MAX;
struct PollHandleInfo {
  void* Handle;
  uint32_t Events;
  int32_t Status;
};
struct PollInfo {
  int64_t Timeout;
  uint32_t NumberOfHandles;
  uint32_t Exclusive;
  PollHandleInfo Handles[1];
};
static_assert(sizeof(PollHandleInfo) == 16 && offsetof(PollInfo, Handles) == 16 && sizeof(PollInfo) == 32, "poll");

// ---- SET_INFORMATION: AFD_INFORMATION (msafd's FIONBIO) ----------------------
constexpr uint32_t kAfdInfoNonBlocking = 2;  // AFD_NONBLOCKING_MODE (phnt); ReactOS: AFD_INFO_BLOCKING_MODE
struct Information {
  uint32_t InformationType;
  union {
    uint8_t Boolean;
    uint32_t Ulong;
    int64_t LargeInteger;
  } Information;
};
static_assert(offsetof(Information, Information) == 8 && sizeof(Information) == 16, "AFD_INFORMATION");

// ---- TRANSPORT_IOCTL (setsockopt on a TLI endpoint): AFD_TL_IO_CONTROL_INFO --
constexpr uint32_t kTlSetSockOpt = 1, kTlGetSockOpt = 2;
constexpr uint32_t kTcpNoDelay = 1;
constexpr uint32_t kTcpKeepAlive = 3;  // TCP_KEEPALIVE (ws2ipdef.h): idle seconds before the first probe
constexpr uint32_t kSolSocket = 0xFFFF;
constexpr uint32_t kSoKeepAlive = 0x0008;
constexpr uint32_t kSoReuseUnicastPort = 0x3007;  // SO_REUSE_UNICASTPORT
struct TlIoControlInfo {
  uint32_t Type;
  uint32_t Level;
  uint32_t IoControlCode;  // the option name for sockopt types
  uint8_t EndpointIoctl;
  const void* InputBuffer;
  uint64_t InputBufferLength;
};
static_assert(offsetof(TlIoControlInfo, EndpointIoctl) == 12 && offsetof(TlIoControlInfo, InputBuffer) == 16, "tl");
static_assert(offsetof(TlIoControlInfo, InputBufferLength) == 24 && sizeof(TlIoControlInfo) == 32, "tl");

// ---- Wine 8.0 private structs (include/wine/afd.h) ---------------------------
struct WineCreateParams {
  int32_t family, type, protocol;
  uint32_t flags;
};
static_assert(sizeof(WineCreateParams) == 16, "exactly 16 bytes or STATUS_INVALID_PARAMETER");

struct WineConnectParams {  // followed by the sockaddr (and optional data)
  int32_t addr_len;
  int32_t synchronous;
  Sockaddr addr;
};
static_assert(offsetof(WineConnectParams, addr) == 8, "wine connect");

struct WineSendmsgParams {
  const void* addr;
  uint32_t addr_len;
  uint32_t ws_flags;
  int32_t force_async;
  uint32_t count;
  const WsaBuf* buffers;
};
static_assert(offsetof(WineSendmsgParams, force_async) == 16 && offsetof(WineSendmsgParams, buffers) == 24, "sendmsg");
static_assert(sizeof(WineSendmsgParams) == 32, "sendmsg: 32 bytes or STATUS_BUFFER_TOO_SMALL");

constexpr int32_t kWineShutdownRecv = 0, kWineShutdownSend = 1, kWineShutdownBoth = 2;

}  // namespace afd
}  // namespace afdsock
