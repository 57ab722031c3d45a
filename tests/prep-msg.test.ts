/**
 * Tests for messages (lib/prep/msg.ts): struct msghdr, its iovecs and
 * control messages, as sendmsg and recvmsg take them.
 */
import { describe, expect, it } from 'vitest';
import * as path from 'node:path';
import { decodeSockaddr, makeSockaddrIn } from '../lib/prep/sockaddr.ts';
import { Cmsg, cmsgFirsthdr, cmsgNexthdr, cmsgSpace, cmsgLen, makeCmsgs, makeMsghdr, msghdr, recvmsgCmsgFirsthdr, recvmsgCmsgNexthdr, recvmsgName, recvmsgPayload, recvmsgPayloadLength, recvmsgValidate } from '../lib/prep/msg.ts';
import { SCM_RIGHTS, SOL_SOCKET } from '../lib/uapi/net.ts';
import { addressOf, view } from '../ffi/index.ts';
import { AF_INET } from '../lib/uapi/net.ts';

const text = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
const bytes = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));

// ------------------------------------------------------------- messages

describe('messages', () => {
  it('makeMsghdr lays out struct msghdr: pointers, lengths from the buffers, flags', () => {
    const name = makeSockaddrIn('10.0.0.1', 7);
    const iov = [new Uint8Array(3), new Uint8Array(5)];
    const control = new Uint8Array(32);
    const m = makeMsghdr({ name, iov, control, flags: 0x40 });
    const dv = new DataView(m.bytes.buffer, m.bytes.byteOffset, msghdr.sizeof);
    const u64 = (at: number) => Number(dv.getBigUint64(at, true));
    expect(m.bytes.byteLength).toBe(56);
    expect(u64(msghdr.msg_name)).toBe(addressOf(name));
    expect(dv.getUint32(msghdr.msg_namelen, true)).toBe(16);
    expect(u64(msghdr.msg_iov)).toBe(addressOf(m.iovecs));
    expect(u64(msghdr.msg_iovlen)).toBe(2);
    expect(u64(msghdr.msg_control)).toBe(addressOf(control));
    expect(u64(msghdr.msg_controllen)).toBe(32);
    expect(dv.getUint32(msghdr.msg_flags, true)).toBe(0x40);
    const iovs = new DataView(view(u64(msghdr.msg_iov), 32));
    expect([Number(iovs.getBigUint64(0, true)), Number(iovs.getBigUint64(8, true)), Number(iovs.getBigUint64(16, true)), Number(iovs.getBigUint64(24, true))])
      .toEqual([addressOf(iov[0]!), 3, addressOf(iov[1]!), 5]);
    expect([m.namelen, m.controllen, m.flags, m.iovlen]).toEqual([16, 32, 0x40, 2]);
  });

  it('makeMsghdr without name or control writes null pointers and zero lengths', () => {
    const m = makeMsghdr({ iov: [] });
    const dv = new DataView(m.bytes.buffer);
    expect([dv.getBigUint64(msghdr.msg_name, true), dv.getUint32(msghdr.msg_namelen, true), dv.getBigUint64(msghdr.msg_iovlen, true),
      dv.getBigUint64(msghdr.msg_control, true), dv.getBigUint64(msghdr.msg_controllen, true)]).toEqual([0n, 0, 0n, 0n, 0n]);
  });

  it.each([
    ['a detached iov buffer', () => { const b = new Uint8Array(4); structuredClone(b.buffer, { transfer: [b.buffer] }); return makeMsghdr({ iov: [b] }); }, TypeError],
    ['an iov that is not an array', () => makeMsghdr({ iov: new Uint8Array(2) as unknown as Uint8Array[] }), TypeError],
    ['a control that is not a Uint8Array', () => makeMsghdr({ iov: [], control: [1, 2] as unknown as Uint8Array }), TypeError],
    ['a bad name', () => makeMsghdr({ iov: [], name: { path: 'a\0' } }), TypeError],
  ])('makeMsghdr refuses %s', (_, fn, cls) => {
    expect(fn).toThrow(cls);
  });

  it('makeCmsgs aligns each message; cmsgFirsthdr / cmsgNexthdr walk them as views', () => {
    expect([cmsgLen(4), cmsgSpace(4), cmsgSpace(8), cmsgSpace(0)]).toEqual([20, 24, 24, 16]);
    const control = makeCmsgs([
      { level: SOL_SOCKET, type: SCM_RIGHTS, data: new Uint8Array([1, 0, 0, 0]) },
      { level: 41, type: 50, data: new Uint8Array([9, 8, 7]) },
    ]);
    expect(control.byteLength).toBe(24 + 24);
    const m = makeMsghdr({ iov: [], control });
    const a = cmsgFirsthdr(m)!;
    expect([a.len, a.level, a.type, [...a.data], a.fds()]).toEqual([20, SOL_SOCKET, SCM_RIGHTS, [1, 0, 0, 0], [1]]);
    const b = cmsgNexthdr(a)!;
    expect([b.len, b.level, b.type, [...b.data]]).toEqual([19, 41, 50, [9, 8, 7]]);
    expect(cmsgNexthdr(b)).toBeNull();
    b.data[0] = 0x77; // a view: the control buffer sees it
    expect(control[24 + 16]).toBe(0x77);
  });

  it('cmsgNexthdr stops at a cmsg_len below the header or one running past the area', () => {
    const control = makeCmsgs([{ level: 1, type: 1, data: new Uint8Array(8) }, { level: 1, type: 2, data: new Uint8Array(8) }]);
    const dv = new DataView(control.buffer);
    dv.setBigUint64(24, 1000n, true); // the second claims more than there is
    expect(cmsgNexthdr(new Cmsg(control))).toBeNull();
    dv.setBigUint64(0, 8n, true); // the first is shorter than a header
    expect(cmsgNexthdr(new Cmsg(control))).toBeNull();
  });

  // A multishot recvmsg buffer by hand: header, 16 bytes of name room, 48 of
  // control room, payload.
  function outBuffer(o: { namelen: number; controllen: number; payloadlen: number; flags: number }, name: Uint8Array, control: Uint8Array, payload: Uint8Array): Uint8Array {
    const buf = new Uint8Array(16 + 16 + 48 + payload.length + 10).fill(0xee);
    const dv = new DataView(buf.buffer);
    dv.setUint32(0, o.namelen, true);
    dv.setUint32(4, o.controllen, true);
    dv.setUint32(8, o.payloadlen, true);
    dv.setUint32(12, o.flags, true);
    buf.set(name, 16);
    buf.set(control, 32);
    buf.set(payload, 80);
    return buf;
  }
  const layoutOf = { namelen: 16, controllen: 48 };

  it('recvmsg out: validate, name, cmsgs, payload and its length are views of the buffer', () => {
    const name = makeSockaddrIn('127.0.0.1', 4242);
    const control = makeCmsgs([{ level: 1, type: 29, data: new Uint8Array(8).fill(3) }, { level: 1, type: 40, data: new Uint8Array([5, 0, 0, 0]) }]);
    const payload = bytes('hello');
    const buf = outBuffer({ namelen: 16, controllen: control.length, payloadlen: 5, flags: 0 }, name, control, payload);
    const len = 80 + 5;
    const o = recvmsgValidate(buf, len, layoutOf)!;
    expect([o.namelen, o.controllen, o.payloadlen, o.flags]).toEqual([16, 48, 5, 0]);
    expect(decodeSockaddr(recvmsgName(o, layoutOf))).toEqual({ family: AF_INET, address: '127.0.0.1', port: 4242 });
    const c1 = recvmsgCmsgFirsthdr(o, layoutOf)!;
    expect([c1.level, c1.type, [...c1.data]]).toEqual([1, 29, [3, 3, 3, 3, 3, 3, 3, 3]]);
    const c2 = recvmsgCmsgNexthdr(o, layoutOf, c1)!;
    expect([c2.level, c2.type, [...c2.data]]).toEqual([1, 40, [5, 0, 0, 0]]);
    expect(recvmsgCmsgNexthdr(o, layoutOf, c2)).toBeNull();
    expect(recvmsgPayloadLength(o, len, layoutOf)).toBe(5);
    const p = recvmsgPayload(o, layoutOf);
    expect(text(p)).toBe('hello');
    p[0] = 0x4a;
    expect(buf[80]).toBe(0x4a); // a view, not a copy
  });

  it('recvmsgName gives only what the room held when the name was truncated', () => {
    const buf = outBuffer({ namelen: 28, controllen: 0, payloadlen: 0, flags: 0 }, new Uint8Array(16).fill(1), new Uint8Array(0), new Uint8Array(0));
    const o = recvmsgValidate(buf, 80, layoutOf)!;
    expect(recvmsgName(o, layoutOf).length).toBe(16);
    expect(recvmsgCmsgFirsthdr(o, layoutOf)).toBeNull(); // controllen 0
    expect(recvmsgPayloadLength(o, 80, layoutOf)).toBe(0);
    expect(recvmsgPayload(o, layoutOf).length).toBe(0);
  });

  it.each([
    ['shorter than the header', 15, layoutOf],
    ['negative', -105, layoutOf],
    ['without room for the name', 16 + 15, { namelen: 16, controllen: 0 }],
    ['without room for the control area', 16 + 16 + 47, layoutOf],
  ])('recvmsgValidate gives null for a length %s', (_, len, lay) => {
    expect(recvmsgValidate(new Uint8Array(200), len, lay)).toBeNull();
  });

  it('recvmsgValidate refuses a length past the buffer (RangeError); payload length is 0 for a negative one', () => {
    expect(() => recvmsgValidate(new Uint8Array(20), 21, { namelen: 0, controllen: 0 })).toThrow(RangeError);
    const o = recvmsgValidate(new Uint8Array(20), 20, { namelen: 0, controllen: 0 })!;
    expect(recvmsgPayloadLength(o, -1, { namelen: 0, controllen: 0 })).toBe(0);
    expect(recvmsgPayloadLength(o, 20, { namelen: 0, controllen: 0 })).toBe(4);
  });
});
