'use strict';
// The AFD structs and IOCTL codes as compiled into the addon on this host
// (src-native/win/afd_abi.h is built on every platform), held against the
// reference layouts for Windows x64 (shared/reference/afd-abi.md, from
// System Informer's ntafd.h and Wine's conformance tests).

const assert = require('node:assert/strict');
const { native } = require('../dist/internal');

const expected = {
  'OpenEa.size': 52, // FILE_FULL_EA_INFORMATION header (8) + "AfdOpenPacketXX\0" (16) + open packet (28)
  'OpenEa.Packet': 24,
  'OpenPacket.AddressFamily': 8,
  'BindInfo.Address': 4,
  'ListenInfo.size': 12,
  'ListenResponseInfo.RemoteAddress': 4,
  'AcceptInfo.size': 16,
  'AcceptInfo.AcceptHandle': 8,
  'ConnectInfo.RemoteAddress': 24,
  'SendRecvInfo.size': 24,
  'WsaBuf.size': 16,
  'PartialDisconnectInfo.size': 16,
  'PollInfo.size': 32,
  'TlIoControlInfo.size': 32,
  'WineCreateParams.size': 16,
  'WineSendmsgParams.size': 32,
  IOCTL_AFD_BIND: 0x12003,
  IOCTL_AFD_CONNECT: 0x12007,
  IOCTL_AFD_START_LISTEN: 0x1200b,
  IOCTL_AFD_WAIT_FOR_LISTEN: 0x1200c,
  IOCTL_AFD_ACCEPT: 0x12010,
  IOCTL_AFD_RECEIVE: 0x12017,
  IOCTL_AFD_SEND: 0x1201f,
  IOCTL_AFD_PARTIAL_DISCONNECT: 0x1202b,
  IOCTL_AFD_TRANSPORT_IOCTL: 0x120bf,
  IOCTL_AFD_WINE_CREATE: 0x120320,
};

describe('abi: AFD layouts compiled for this host', function () {
  it('match the Windows x64 reference sizes, offsets and codes', function () {
    assert.deepEqual(native.abiLayout, expected);
  });
});
