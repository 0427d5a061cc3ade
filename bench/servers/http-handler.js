'use strict';
// One handler for both HTTP servers: a small fixed body.
const body = Buffer.from('hello world\n');
function handler(req, res) {
  res.setHeader('content-type', 'text/plain');
  res.setHeader('content-length', body.length);
  res.end(body);
}
module.exports = { handler };
