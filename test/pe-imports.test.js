'use strict';
// 14. The Windows addon must not link Winsock (nor the MinGW runtime DLLs):
//     parse the PE import table of prebuilds/win32-x64/afd-socket.node.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const ADDON = path.join(__dirname, '..', 'prebuilds', 'win32-x64', 'afd-socket.node');
const OBJDUMP = 'x86_64-w64-mingw32-objdump';

const FORBIDDEN = [/^ws2_32\.dll$/i, /^mswsock\.dll$/i, /^wsock32\.dll$/i,
  /^libgcc/i, /^libstdc\+\+/i, /^libwinpthread/i];

// ------------------------------------------------------------------ PE parser

function readCString(buf, off) {
  const end = buf.indexOf(0, off);
  assert.ok(off >= 0 && off < buf.length && end > off, `bad string offset ${off}`);
  return buf.toString('latin1', off, end);
}

// Returns { machine, sections, importDlls, delayImportDlls }.
function parsePe(buf) {
  assert.ok(buf.length >= 0x40, 'file too small for a DOS header');
  assert.equal(buf.toString('latin1', 0, 2), 'MZ', 'DOS signature');
  const peOff = buf.readUInt32LE(0x3c);
  assert.ok(peOff + 24 <= buf.length, 'e_lfanew out of range');
  assert.equal(buf.toString('latin1', peOff, peOff + 4), 'PE\0\0', 'PE signature');

  // IMAGE_FILE_HEADER
  const fh = peOff + 4;
  const machine = buf.readUInt16LE(fh);
  const numberOfSections = buf.readUInt16LE(fh + 2);
  const sizeOfOptionalHeader = buf.readUInt16LE(fh + 16);

  // IMAGE_OPTIONAL_HEADER64
  const oh = fh + 20;
  const magic = buf.readUInt16LE(oh);
  assert.equal(magic, 0x20b, `optional header magic 0x${magic.toString(16)} is not PE32+`);
  const numberOfRvaAndSizes = buf.readUInt32LE(oh + 108);
  const dataDir = oh + 112;
  const dir = (i) => (i < numberOfRvaAndSizes
    ? { rva: buf.readUInt32LE(dataDir + 8 * i), size: buf.readUInt32LE(dataDir + 8 * i + 4) }
    : { rva: 0, size: 0 });

  // section table
  const sections = [];
  const st = oh + sizeOfOptionalHeader;
  for (let i = 0; i < numberOfSections; i++) {
    const s = st + 40 * i;
    sections.push({
      name: buf.toString('latin1', s, s + 8).replace(/\0+$/, ''),
      virtualSize: buf.readUInt32LE(s + 8),
      virtualAddress: buf.readUInt32LE(s + 12),
      sizeOfRawData: buf.readUInt32LE(s + 16),
      pointerToRawData: buf.readUInt32LE(s + 20),
    });
  }
  function rvaToOffset(rva) {
    for (const s of sections) {
      const span = Math.max(s.virtualSize, s.sizeOfRawData);
      if (rva >= s.virtualAddress && rva < s.virtualAddress + span) {
        const off = rva - s.virtualAddress + s.pointerToRawData;
        assert.ok(off < buf.length, `RVA 0x${rva.toString(16)} maps outside the file`);
        return off;
      }
    }
    throw new Error(`RVA 0x${rva.toString(16)} is in no section`);
  }

  // data directory 1: IMAGE_IMPORT_DESCRIPTOR[] (20 bytes each, zero-terminated)
  const importDlls = [];
  const imp = dir(1);
  if (imp.rva !== 0) {
    let off = rvaToOffset(imp.rva);
    for (let i = 0; i < 4096; i++, off += 20) {
      const originalFirstThunk = buf.readUInt32LE(off);
      const nameRva = buf.readUInt32LE(off + 12);
      const firstThunk = buf.readUInt32LE(off + 16);
      if (originalFirstThunk === 0 && nameRva === 0 && firstThunk === 0) break;
      importDlls.push(readCString(buf, rvaToOffset(nameRva)));
    }
  }

  // data directory 13: delay-load descriptors (32 bytes each)
  const delayImportDlls = [];
  const dly = dir(13);
  if (dly.rva !== 0) {
    let off = rvaToOffset(dly.rva);
    for (let i = 0; i < 4096; i++, off += 32) {
      const nameRva = buf.readUInt32LE(off + 4);
      if (nameRva === 0) break;
      delayImportDlls.push(readCString(buf, rvaToOffset(nameRva)));
    }
  }
  return { machine, sections, importDlls, delayImportDlls };
}

function objdumpDlls(file) {
  const out = execFileSync(OBJDUMP, ['-p', file], { encoding: 'latin1', maxBuffer: 256 * 1024 * 1024 });
  // Only the regular import table: stop at the delay-import section if any.
  const regular = out.split(/The Delay Import Tables/i)[0];
  return [...regular.matchAll(/^\s*DLL Name:\s*(\S+)\s*$/gm)].map((m) => m[1]);
}

function onPath(cmd) {
  const dirs = (process.env.PATH || '').split(path.delimiter);
  return dirs.some((d) => d && fs.existsSync(path.join(d, cmd)));
}

// ------------------------------------------------------------------ tests

function registerImportTests() {
  describe('pe-imports: win32-x64 addon links no Winsock', function () {
    let pe;
    before(function () {
      pe = parsePe(fs.readFileSync(ADDON));
    });

    it('is an x64 PE32+ image with sections', function () {
      assert.equal(pe.machine, 0x8664, 'IMAGE_FILE_MACHINE_AMD64');
      assert.ok(pe.sections.length > 0);
    });

    it('imports KERNEL32.dll (sanity check of the parser)', function () {
      assert.ok(pe.importDlls.length > 0, 'no imports parsed');
      assert.ok(pe.importDlls.some((d) => d.toLowerCase() === 'kernel32.dll'),
        `KERNEL32.dll not among ${pe.importDlls.join(', ')}`);
    });

    it('imports neither ws2_32/mswsock/wsock32 nor libgcc/libstdc++/libwinpthread', function () {
      for (const dll of [...pe.importDlls, ...pe.delayImportDlls]) {
        for (const re of FORBIDDEN) assert.doesNotMatch(dll, re, `forbidden import ${dll}`);
      }
    });

    if (process.platform === 'linux' && onPath(OBJDUMP)) {
      it(`agrees with ${OBJDUMP} -p on the imported DLLs`, function () {
        assert.deepEqual(pe.importDlls, objdumpDlls(ADDON));
      });
    }
  });
}

if (process.platform === 'win32' || (process.platform === 'linux' && fs.existsSync(ADDON))) {
  registerImportTests();
}

module.exports = { parsePe, objdumpDlls };
