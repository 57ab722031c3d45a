/**
 * Tests for the encoders of lib/prep/epoll.ts and struct epoll_event.
 *
 * First the bytes each encoder writes (from a slot filled with 0xAB) and the
 * arguments each refuses without touching the slot; then each operation run
 * for real, checked by its effect. A test the kernel or the machine can't run
 * skips with the reason in its title.
 */
import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import { IoUring, IORING_OP_EPOLL_CTL, IORING_OP_EPOLL_WAIT, ERRNO } from '../lib/index.ts';
import { POLLOUT } from '../lib/uapi/poll.ts';
import { epoll_event, makeEpollEvent, prepEpollCtl, prepEpollWait, readEpollEvent } from '../lib/prep/epoll.ts';
import { EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLLET, EPOLLIN } from '../lib/uapi/poll.ts';
import * as ffi from '../ffi/index.ts';
import { close, pipe } from '../ffi/index.ts';
import {
  at, note, opcodeMissing, queue, struct, withPipe, reapOne, reapQuiet, run, itWritesFields, type FieldRow, itRefusesBeforeWriting, type Refusal,
} from './helpers.ts';

// errno values (asm-generic), as CQE results.
const { ENOENT, EINVAL } = ERRNO;

const O_CLOEXEC = 0o2000000;

// --------------------------------------------------------- bytes, by encoder

describe('encoders write the SQE', () => {
  const fd = 7;
  const events = new Uint8Array(epoll_event.sizeof * 4);
  const rawEvent = makeEpollEvent({ events: EPOLLIN, data: 9 });
  const rows: FieldRow[] = [
    {
      name: 'prepEpollCtl ({ events, data }: struct epoll_event)',
      prep: (s) => prepEpollCtl(s, fd, 12, EPOLL_CTL_ADD, { events: EPOLLIN | EPOLLET, data: 2n ** 64n - 2n }),
      want: {
        opcode: IORING_OP_EPOLL_CTL, fd, len: EPOLL_CTL_ADD, off: 12n,
        addr: struct(epoll_event.sizeof, (v) => expect([v.getUint32(epoll_event.events, true), v.getBigUint64(epoll_event.data, true)]).toEqual([0x80000001, 2n ** 64n - 2n])),
      },
      kept: 1,
    },
    { name: 'prepEpollCtl (a struct you built)', prep: (s) => prepEpollCtl(s, fd, 12, EPOLL_CTL_ADD, rawEvent), want: { opcode: IORING_OP_EPOLL_CTL, fd, len: EPOLL_CTL_ADD, off: 12n, addr: at(rawEvent) }, kept: 1 },
    { name: 'prepEpollCtl (DEL, no event)', prep: (s) => prepEpollCtl(s, fd, 12, EPOLL_CTL_DEL, null), want: { opcode: IORING_OP_EPOLL_CTL, fd, len: EPOLL_CTL_DEL, off: 12n }, kept: 0 },
    { name: 'prepEpollWait (as many as fit)', prep: (s) => prepEpollWait(s, fd, events), want: { opcode: IORING_OP_EPOLL_WAIT, fd, addr: at(events), len: 4 }, kept: 1 },
    { name: 'prepEpollWait (maxevents 2)', prep: (s) => prepEpollWait(s, fd, events, 2), want: { opcode: IORING_OP_EPOLL_WAIT, fd, addr: at(events), len: 2 }, kept: 1 },
  ];

  itWritesFields(rows);

  it('struct epoll_event is packed to 12 bytes on x86_64 (data at 4)', () => {
    if (process.arch === 'x64') expect(epoll_event).toEqual({ sizeof: 12, events: 0, data: 4 });
    else expect(epoll_event).toEqual({ sizeof: 16, events: 0, data: 8 });
    const ev = makeEpollEvent({ events: EPOLLIN, data: 0x0102030405060708n });
    expect(readEpollEvent(ev, 0)).toEqual({ events: EPOLLIN, data: 0x0102030405060708n });
    expect(() => readEpollEvent(ev, 1)).toThrow(RangeError);
  });
});

// ------------------------------------------------------- refused arguments

describe('encoders refuse bad arguments before writing a byte', () => {
  const bad: Refusal[] = [
    ['prepEpollCtl: ADD with no event', (s) => prepEpollCtl(s, 3, 4, EPOLL_CTL_ADD, null), TypeError],
    ['prepEpollCtl: a 4-byte event', (s) => prepEpollCtl(s, 3, 4, EPOLL_CTL_ADD, new Uint8Array(4)), RangeError],
    ['prepEpollCtl: data 2^64', (s) => prepEpollCtl(s, 3, 4, EPOLL_CTL_ADD, { events: EPOLLIN, data: 2n ** 64n }), RangeError],
    ['prepEpollWait: maxevents past the buffer', (s) => prepEpollWait(s, 3, new Uint8Array(epoll_event.sizeof * 2), 3), RangeError],
  ];

  itRefusesBeforeWriting(bad);
});

// ------------------------------------------------------------------- epoll

describe('epoll', () => {
  // ffi/ has no epoll_create1 yet (the FFI is ffi/'s alone); this runs once
  // it exports one as `epollCreate1(flags)`, returning an fd or -errno.
  const epollCreate1 = (ffi as unknown as Record<string, unknown>).epollCreate1 as ((flags: number) => number) | undefined;
  const noEpoll = epollCreate1 === undefined ? 'no epoll fd to test with: ffi/ has no epoll_create1' : opcodeMissing(IORING_OP_EPOLL_WAIT);
  it.skipIf(noEpoll)(`prepEpollCtl adds pipe ends to an epoll set, prepEpollWait reports them ready with their data, EPOLL_CTL_DEL removes one${note(noEpoll)}`, () => {
    using ring = new IoUring(4);
    const epfd = epollCreate1!(O_CLOEXEC);
    expect(epfd).toBeGreaterThanOrEqual(0);
    try {
      withPipe((r, w) => {
        expect(run(ring, (s) => prepEpollCtl(s, epfd, r, EPOLL_CTL_ADD, { events: EPOLLIN, data: 0xdeadbeefcafen })).res).toBe(0);
        const events = new Uint8Array(epoll_event.sizeof * 4);
        queue(ring, (s) => prepEpollWait(s, epfd, events), 2);
        ring.submit();
        expect(reapQuiet(ring)).toEqual([]);
        fs.writeSync(w, 'x');
        expect(reapOne(ring)).toEqual({ userData: 2, res: 1, flags: 0 });
        expect(readEpollEvent(events, 0)).toEqual({ events: EPOLLIN, data: 0xdeadbeefcafen });
        expect(run(ring, (s) => prepEpollCtl(s, epfd, w, EPOLL_CTL_ADD, { events: POLLOUT, data: 7 })).res).toBe(0);
        expect(run(ring, (s) => prepEpollWait(s, epfd, events), 3).res).toBe(2);
        const both = [readEpollEvent(events, 0), readEpollEvent(events, 1)].sort((a, b) => Number(a.data - b.data));
        expect(both).toEqual([{ events: POLLOUT, data: 7n }, { events: EPOLLIN, data: 0xdeadbeefcafen }]);
        expect(run(ring, (s) => prepEpollCtl(s, epfd, r, EPOLL_CTL_DEL, null)).res).toBe(0);
        expect(run(ring, (s) => prepEpollCtl(s, epfd, r, EPOLL_CTL_DEL, null)).res).toBe(-ENOENT);
      });
    } finally {
      close(epfd);
    }
  });

  const noCtl = opcodeMissing(IORING_OP_EPOLL_CTL);
  it.skipIf(noCtl)(`prepEpollCtl with an epfd that is not an epoll fd: -EINVAL${note(noCtl)}`, () => {
    using ring = new IoUring(4);
    withPipe((r, w) => expect(run(ring, (s) => prepEpollCtl(s, r, w, EPOLL_CTL_ADD, { events: EPOLLIN, data: w })).res).toBe(-EINVAL));
  });

  const noWait = opcodeMissing(IORING_OP_EPOLL_WAIT);
  it.skipIf(noWait)(`prepEpollWait on an fd that is not an epoll fd: -EINVAL, and the buffer untouched${note(noWait)}`, () => {
    using ring = new IoUring(4);
    const events = new Uint8Array(epoll_event.sizeof * 2).fill(0xcd);
    withPipe((r) => expect(run(ring, (s) => prepEpollWait(s, r, events)).res).toBe(-EINVAL));
    expect(events).toEqual(new Uint8Array(epoll_event.sizeof * 2).fill(0xcd));
  });
});
