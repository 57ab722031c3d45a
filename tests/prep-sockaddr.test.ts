/**
 * Tests for socket addresses (lib/prep/sockaddr.ts): the sockaddr structs
 * the network encoders take, built and read back.
 */
import { afterAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { decodeSockaddr, makeSockaddr, makeSockaddrIn, makeSockaddrIn6, makeSockaddrUn, type SockaddrInit } from '../lib/prep/sockaddr.ts';
import { AF_INET, AF_INET6, AF_UNIX, SOCKADDR_STORAGE_SIZE, sockaddr_in, sockaddr_in6, sockaddr_un } from '../lib/uapi/net.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsuring-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const text = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
const bytes = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));

// ---------------------------------------------------- socket addresses

describe('socket addresses', () => {
  it('sockaddr_in: family in host order, port and address in network order, 16 bytes', () => {
    const sa = makeSockaddrIn('192.168.1.20', 0x1f90);
    expect(sa.byteLength).toBe(sockaddr_in.sizeof);
    expect([...sa]).toEqual([AF_INET, 0, 0x1f, 0x90, 192, 168, 1, 20, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('sockaddr_in6: 28 bytes, address groups big-endian, scope from a numeric zone', () => {
    const sa = makeSockaddrIn6('fe80::1:2%3', 443, 0x12345);
    const dv = new DataView(sa.buffer);
    expect(sa.byteLength).toBe(sockaddr_in6.sizeof);
    expect(dv.getUint16(sockaddr_in6.sin6_family, true)).toBe(AF_INET6);
    expect(dv.getUint16(sockaddr_in6.sin6_port, false)).toBe(443);
    expect(dv.getUint32(sockaddr_in6.sin6_flowinfo, false)).toBe(0x12345);
    expect([...sa.subarray(8, 24)]).toEqual([0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2]);
    expect(dv.getUint32(sockaddr_in6.sin6_scope_id, true)).toBe(3);
  });

  it('sockaddr_un: a path with its NUL; an abstract name without one', () => {
    const sa = makeSockaddrUn('/tmp/x');
    expect(sa.byteLength).toBe(sockaddr_un.sun_path + 7);
    expect(new DataView(sa.buffer).getUint16(0, true)).toBe(AF_UNIX);
    expect(text(sa.subarray(2))).toBe('/tmp/x\0');
    const ab = makeSockaddrUn('\0name');
    expect(ab.byteLength).toBe(2 + 5);
    expect(text(ab.subarray(2))).toBe('\0name');
  });

  it.each([
    ['127.0.0.1', 80], ['0.0.0.0', 0], ['255.255.255.255', 65535],
    ['::1', 9], ['::', 1], ['2001:db8::8:800:200c:417a', 2], ['1::', 3], ['2001:db8:0:0:1:0:0:1', 4],
    ['::ffff:10.1.2.3', 5], ['fe80::1', 6], ['1:2:3:4:5:6:7:8', 7],
  ])('%s port %d round-trips through makeSockaddr and decodeSockaddr', (address, port) => {
    const d = decodeSockaddr(makeSockaddr({ address, port }));
    expect(d).toMatchObject({ address: address === '2001:db8:0:0:1:0:0:1' ? '2001:db8::1:0:0:1' : address, port });
  });

  it('decodes IPv6 text as RFC 5952 writes it (longest zero run, lower case, mapped IPv4 dotted)', () => {
    const cases: [string, string][] = [
      ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'], ['0:0:0:0:0:0:0:0', '::'], ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
      ['1:0:2:3:4:5:6:7', '1:0:2:3:4:5:6:7'], ['::ffff:c000:0280', '::ffff:192.0.2.128'], ['1:2::1.2.3.4', '1:2::102:304'],
    ];
    for (const [input, out] of cases) expect((decodeSockaddr(makeSockaddrIn6(input, 0)) as { address: string }).address).toBe(out);
  });

  it('decodes AF_UNIX: a path up to its NUL, an abstract name, an unnamed socket', () => {
    expect(decodeSockaddr(makeSockaddrUn('/a/b'))).toEqual({ family: AF_UNIX, path: '/a/b' });
    expect(decodeSockaddr(makeSockaddrUn('\0abs'))).toEqual({ family: AF_UNIX, path: '\0abs' });
    expect(decodeSockaddr(makeSockaddrUn('/a/b'), 2)).toEqual({ family: AF_UNIX, path: '' });
    // Room bigger than the address: the length the kernel reported decides.
    const room = new Uint8Array(SOCKADDR_STORAGE_SIZE).fill(0x41);
    room.set(makeSockaddrUn('/q'));
    expect(decodeSockaddr(room, 5)).toEqual({ family: AF_UNIX, path: '/q' });
  });

  it('a raw Uint8Array is used as the struct itself', () => {
    const raw = new Uint8Array(16);
    expect(makeSockaddr(raw)).toBe(raw);
  });

  it.each([
    ['a bad IPv4/IPv6 address', () => makeSockaddr({ address: '1.2.3', port: 1 }), TypeError],
    ['a port above 65535', () => makeSockaddr({ address: '1.2.3.4', port: 65536 }), RangeError],
    ['a fractional port', () => makeSockaddr({ address: '::1', port: 1.5 }), RangeError],
    ['a named IPv6 zone', () => makeSockaddr({ address: 'fe80::1%eth0', port: 1 }), TypeError],
    ['a NUL inside a unix path', () => makeSockaddr({ path: '/a\0b' }), TypeError],
    ['a unix path of 108 bytes (no room for its NUL)', () => makeSockaddr({ path: 'x'.repeat(108) }), RangeError],
    ['neither address nor path', () => makeSockaddr(42 as unknown as SockaddrInit), TypeError],
    ['decoding an unknown family', () => decodeSockaddr(new Uint8Array([99, 0, 0, 0])), RangeError],
    ['decoding a truncated AF_INET6', () => decodeSockaddr(makeSockaddrIn6('::1', 1), 20), RangeError],
    ['decoding past the buffer', () => decodeSockaddr(new Uint8Array(4), 5), RangeError],
  ])('%s throws', (_, fn, cls) => {
    expect(fn).toThrow(cls);
  });
});
