// One in-flight AFD operation. Its address is the ApcContext of the IOCTL, so
// the completion packet leads back to it; the IO_STATUS_BLOCK, the AFD input
// structs and the WSABUF live inside it.
//
// Ownership (N.b.): from the moment NtDeviceIoControlFile returns
// STATUS_PENDING until its completion packet is dequeued, the kernel may write
// `iosb` and the output/data buffers. Only Backend::Process (or Stop, which
// waits for the packets) frees the record; Cancel and Close merely ask the
// kernel to finish early. The data buffer belongs to JS, which keeps it
// referenced until the request settles.
#pragma once

#include "afd_abi.h"
#include "nt.h"

namespace afdsock {
namespace win {

enum class Op : uint8_t { kAccept, kConnect, kRecv, kSend, kShutdown };

struct Request {
  IO_STATUS_BLOCK iosb;
  uint32_t id;  // JS request id
  uint32_t ep;  // endpoint id
  Op op;
  uint8_t* data = nullptr;
  size_t len = 0;
  size_t done = 0;
  uint32_t zero_sends = 0;  // successful completions that took no byte
  afd::WsaBuf wsabuf{};
  union {
    afd::SendRecvInfo send_recv;
    afd::WineSendmsgParams sendmsg;
    afd::ConnectInfo connect;
    afd::WineConnectParams wine_connect;
    afd::PartialDisconnectInfo disconnect;
    int32_t wine_how;
    afd::ListenResponseInfo listen_response;  // WAIT_FOR_LISTEN output
    uint32_t wine_accept_handle;              // IOCTL_AFD_WINE_ACCEPT output: exactly 4 bytes
  } u{};
};

}  // namespace win
}  // namespace afdsock
