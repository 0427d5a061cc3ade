// One in-flight AFD operation. Its address is the ApcContext of the IOCTL, so
// the completion packet leads back to it; the IO_STATUS_BLOCK, the AFD input
// structs and the WSABUF live inside it.
//
// Ownership (N.b.): from the moment NtDeviceIoControlFile returns
// STATUS_PENDING until its completion packet is dequeued, the kernel may write
// `iosb` and the output/data buffers. Only Backend::Process (or Stop, which
// waits for the packets) frees the record; Cancel and Close merely ask the
// kernel to finish early. No request ever carries a pointer to JS memory:
// data moves in inline calls (Backend::Recv / Send); waiting for data or room
// is an IOCTL_AFD_POLL whose buffers live here; and the fallback path for an
// endpoint whose data calls pend (fallback.h) moves bytes through `data`, a
// buffer this record owns.
#pragma once

#include <memory>
#include <string>

#include "afd_abi.h"
#include "nt.h"

namespace afdsock {
namespace win {

// kWake is no IOCTL: a packet the library posts to its own port, to settle a
// wait on the next turn of the loop.
enum class Op : uint8_t { kAccept, kConnect, kPoll, kShutdown, kRecv, kSend, kWake };

struct Request {
  IO_STATUS_BLOCK iosb;
  uint32_t id;  // JS request id (0: the library's own, e.g. an endpoint's shared poll)
  uint32_t ep;  // endpoint id
  Op op;
  bool settled_inline = false;  // a warning returned inline was reported already
  bool cancelled = false;       // kWake: JS cancelled the wait its packet settles
  // For the resumed trace message of a call that pended: what it was issued
  // with (the input is copied only while tracing is on).
  uint32_t code = 0;
  HANDLE handle = nullptr;
  int64_t traced_at = 0;
  std::string traced_input;
  // Fallback receives and sends: the library's own copy of the bytes.
  std::unique_ptr<uint8_t[]> data;
  afd::WsaBuf buf{};
  union {
    afd::PollInfo poll;  // input and output
    afd::ConnectInfo connect;
    afd::WineConnectParams wine_connect;
    afd::PartialDisconnectInfo disconnect;
    int32_t wine_how;
    afd::ListenResponseBuffer listen_response;  // WAIT_FOR_LISTEN output
    uint32_t wine_accept_handle;              // IOCTL_AFD_WINE_ACCEPT output: exactly 4 bytes
    afd::SendRecvInfo transfer;               // fallback RECEIVE / SEND
    afd::WineSendmsgParams wine_send;         // fallback WINE_SENDMSG
  } u{};
};

}  // namespace win
}  // namespace afdsock
