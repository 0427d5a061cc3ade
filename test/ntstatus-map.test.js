'use strict';
// Windows backends: NTSTATUS -> Node error code, as libuv maps the same
// status on real Windows (NTSTATUS -> WSAE* -> UV_E*), so an AfdSocket error
// reads like a node:net one.

const assert = require('node:assert/strict');
const { afd } = require('./helpers');

const TABLE = [
  [0xC000020A, 'EADDRINUSE', 'STATUS_ADDRESS_ALREADY_EXISTS'],
  [0xC0000043, 'EADDRINUSE', 'STATUS_SHARING_VIOLATION'],
  [0xC0000238, 'EINVAL', 'STATUS_ADDRESS_ALREADY_ASSOCIATED'],
  [0xC0000209, 'ENOBUFS', 'STATUS_TOO_MANY_ADDRESSES'],
  [0xC0000236, 'ECONNREFUSED', 'STATUS_CONNECTION_REFUSED'],
  [0xC000020F, 'ECONNREFUSED', 'STATUS_REMOTE_NOT_LISTENING'],
  [0xC000020D, 'ECONNRESET', 'STATUS_CONNECTION_RESET'],
  [0xC000020C, 'ECONNRESET', 'STATUS_CONNECTION_DISCONNECTED'],
  [0xC000013C, 'ECONNRESET', 'STATUS_REMOTE_DISCONNECT'],
  [0xC000023F, 'ECONNRESET', 'STATUS_PORT_UNREACHABLE'],
  [0xC0000241, 'ECONNABORTED', 'STATUS_CONNECTION_ABORTED'],
  [0xC000013B, 'ECONNABORTED', 'STATUS_LOCAL_DISCONNECT'],
  [0xC00000BE, 'ENETUNREACH', 'STATUS_BAD_NETWORK_PATH'],
  [0xC000023C, 'ENETUNREACH', 'STATUS_NETWORK_UNREACHABLE'],
  [0xC000023D, 'EHOSTUNREACH', 'STATUS_HOST_UNREACHABLE'],
  [0xC00000B5, 'ETIMEDOUT', 'STATUS_IO_TIMEOUT'],
  [0xC0000022, 'EACCES', 'STATUS_ACCESS_DENIED'],
  [0xC0000140, 'ENOTCONN', 'STATUS_INVALID_CONNECTION'],
  [0xC0000207, 'EADDRNOTAVAIL', 'STATUS_INVALID_ADDRESS_COMPONENT'],
  [0xC0000120, 'ECANCELED', 'STATUS_CANCELLED'],
  [0xC00000A3, 'EAGAIN', 'STATUS_DEVICE_NOT_READY'],
];

if (afd.backend !== 'linux') {
  describe('windows: NTSTATUS to error code', function () {
    const { native } = require('../dist/internal');
    for (const [status, code, name] of TABLE) {
      it(`${name} (0x${status.toString(16).toUpperCase()}) -> ${code}`, function () {
        assert.equal(native.errorName(status), code);
      });
    }
    it('0xC0000328 is not STATUS_ADDRESS_ALREADY_ASSOCIATED', function () {
      assert.equal(native.errorName(0xC0000328), 'UNKNOWN');
    });
  });
}
