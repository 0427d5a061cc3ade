// Exposes the compiled AFD layouts so a test can hold them against the
// reference tables on any host (the static_asserts already hold at build time).
#include <napi.h>

#include "../win/afd_abi.h"

namespace afdsock {

Napi::Object AbiLayout(Napi::Env env) {
  using namespace afd;
  Napi::Object o = Napi::Object::New(env);
  auto set = [&](const char* k, double v) { o.Set(k, Napi::Number::New(env, v)); };
  set("OpenEa.size", sizeof(OpenEa));
  set("OpenEa.Packet", offsetof(OpenEa, Packet));
  set("OpenPacket.AddressFamily", offsetof(OpenPacket, AddressFamily));
  set("BindInfo.Address", offsetof(BindInfo, Address));
  set("ListenInfo.size", sizeof(ListenInfo));
  set("ListenResponseInfo.RemoteAddress", offsetof(ListenResponseInfo, RemoteAddress));
  set("AcceptInfo.size", sizeof(AcceptInfo));
  set("AcceptInfo.AcceptHandle", offsetof(AcceptInfo, AcceptHandle));
  set("ConnectInfo.RemoteAddress", offsetof(ConnectInfo, RemoteAddress));
  set("SendRecvInfo.size", sizeof(SendRecvInfo));
  set("WsaBuf.size", sizeof(WsaBuf));
  set("PartialDisconnectInfo.size", sizeof(PartialDisconnectInfo));
  set("PollInfo.size", sizeof(PollInfo));
  set("TlIoControlInfo.size", sizeof(TlIoControlInfo));
  set("WineCreateParams.size", sizeof(WineCreateParams));
  set("WineSendmsgParams.size", sizeof(WineSendmsgParams));
  set("IOCTL_AFD_BIND", IOCTL_AFD_BIND);
  set("IOCTL_AFD_CONNECT", IOCTL_AFD_CONNECT);
  set("IOCTL_AFD_START_LISTEN", IOCTL_AFD_START_LISTEN);
  set("IOCTL_AFD_WAIT_FOR_LISTEN", IOCTL_AFD_WAIT_FOR_LISTEN);
  set("IOCTL_AFD_ACCEPT", IOCTL_AFD_ACCEPT);
  set("IOCTL_AFD_RECEIVE", IOCTL_AFD_RECEIVE);
  set("IOCTL_AFD_SEND", IOCTL_AFD_SEND);
  set("IOCTL_AFD_PARTIAL_DISCONNECT", IOCTL_AFD_PARTIAL_DISCONNECT);
  set("IOCTL_AFD_TRANSPORT_IOCTL", IOCTL_AFD_TRANSPORT_IOCTL);
  set("IOCTL_AFD_WINE_CREATE", IOCTL_AFD_WINE_CREATE);
  return o;
}

}  // namespace afdsock
