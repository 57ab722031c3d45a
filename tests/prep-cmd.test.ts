/**
 * Tests for the encoders of lib/prep/cmd.ts: uring_cmd, the block commands
 * and NOP128.
 *
 * First the bytes each encoder writes (from a slot filled with 0xAB) and the
 * arguments each refuses without touching the slot; then each operation run
 * for real, checked by its effect. A test the kernel or the machine can't run
 * skips with the reason in its title.
 */
import { afterAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as dgram from 'node:dgram';
import { once } from 'node:events';
import { execFileSync } from 'node:child_process';
import {
  IoUring, prepRw, IORING_OP_CONNECT, IORING_OP_NOP128, IORING_OP_SEND, IORING_OP_SOCKET, IORING_OP_URING_CMD,
  IORING_OP_URING_CMD128, IORING_SETUP_SQE128, SOCKET_URING_OP_SIOCINQ, ERRNO,
} from '../lib/index.ts';
import { prepPollAdd } from '../lib/prep/poll.ts';
import { POLLIN } from '../lib/uapi/poll.ts';
import { prepCmdDiscard, prepCmdZoneResetAll, prepNop128, prepUringCmd, prepUringCmd128 } from '../lib/prep/cmd.ts';
import { BLOCK_URING_CMD_DISCARD, BLOCK_URING_CMD_ZONE_RESET_ALL } from '../lib/uapi/fs.ts';
import { addressOf, pipe } from '../ffi/index.ts';
import { expectFields, note, opcodeMissing, run, staleSqe, itWritesFields, type FieldRow, itRefusesBeforeWriting, type Refusal } from './helpers.ts';

// errno values (asm-generic), as CQE results.
const { EBADF, EINVAL, EOPNOTSUPP } = ERRNO;

const O_CLOEXEC = 0o2000000;

const AF_INET = 2;

const SOCK_DGRAM = 2;

const SOCK_CLOEXEC = O_CLOEXEC;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsuring-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

// --------------------------------------------------------- bytes, by encoder

describe('encoders write the SQE', () => {
  const fd = 7;
  const rows: FieldRow[] = [
    { name: 'prepUringCmd', prep: (s) => prepUringCmd(s, SOCKET_URING_OP_SIOCINQ, fd), want: { opcode: IORING_OP_URING_CMD, fd, off: BigInt(SOCKET_URING_OP_SIOCINQ) } },
    { name: 'prepUringCmd (cmd_op with bit 31, __pad1 zeroed)', prep: (s) => prepUringCmd(s, 0xc0484e80 | 0, fd), want: { opcode: IORING_OP_URING_CMD, fd, off: 0xc0484e80n } },
    { name: 'prepUringCmd128', prep: (s) => prepUringCmd128(s, 1, fd), want: { opcode: IORING_OP_URING_CMD128, fd, off: 1n } },
    { name: 'prepNop128', prep: (s) => prepNop128(s), want: { opcode: IORING_OP_NOP128, fd: -1 } },
    { name: 'prepCmdDiscard', prep: (s) => prepCmdDiscard(s, fd, 2 ** 40, 4096), want: { opcode: IORING_OP_URING_CMD, fd, off: BigInt(BLOCK_URING_CMD_DISCARD), addr: 2n ** 40n, addr3: 4096n } },
    { name: 'prepCmdZoneResetAll', prep: (s) => prepCmdZoneResetAll(s, fd), want: { opcode: IORING_OP_URING_CMD, fd, off: BigInt(BLOCK_URING_CMD_ZONE_RESET_ALL) } },
  ];

  itWritesFields(rows);

  it('BLOCK_URING_CMD_* are _IO(0x12, 0) and _IO(0x12, 1)', () => {
    // _IO(type, nr) = (type << 8) | nr: no size, no direction bits.
    expect([BLOCK_URING_CMD_DISCARD, BLOCK_URING_CMD_ZONE_RESET_ALL]).toEqual([(0x12 << 8) | 0, (0x12 << 8) | 1]);
  });

  it('prepUringCmd on an SQE128 ring zeroes the whole 80-byte cmd area', () => {
    using ring = new IoUring(2, { flags: IORING_SETUP_SQE128 });
    const sqe = staleSqe(ring);
    expect(sqe.size).toBe(128);
    prepUringCmd(sqe, SOCKET_URING_OP_SIOCINQ, fd);
    expectFields(sqe, { opcode: IORING_OP_URING_CMD, fd });
    expect(sqe.cmd).toEqual(new Uint8Array(80));
  });
});

// ------------------------------------------------------- refused arguments

describe('encoders refuse bad arguments before writing a byte', () => {
  const bad: Refusal[] = [
    ['prepUringCmd: cmdOp 2^32', (s) => prepUringCmd(s, 2 ** 32, 3), RangeError],
    ['prepCmdDiscard: offset -1', (s) => prepCmdDiscard(s, 3, -1, 4096), RangeError],
    ['prepCmdDiscard: nbytes 2^53', (s) => prepCmdDiscard(s, 3, 0, 2 ** 53), RangeError],
  ];

  itRefusesBeforeWriting(bad);
});

// -------------------------------------------------------------- uring_cmd

/** A UDP socket made by IORING_OP_SOCKET (its encoder lives elsewhere: prepRw with its fields). */
function udpSocket(ring: IoUring): number {
  // fd: domain; off: type; len: protocol.
  const { res } = run(ring, (s) => prepRw(IORING_OP_SOCKET, s, AF_INET, 0, 0, SOCK_DGRAM | SOCK_CLOEXEC));
  if (res < 0) throw new Error(`IORING_OP_SOCKET: ${res}`);
  return res;
}

/** Why no loop device can be attached here ('' when one can): cmd_discard needs a block device. */
function loopUnavailable(): string {
  if (process.getuid?.() !== 0) return 'attaching a loop device needs root';
  try {
    // Names the next free device without attaching anything.
    execFileSync('losetup', ['--find'], { stdio: 'pipe' });
    return '';
  } catch (err) {
    return `no loop device to attach (losetup --find: ${(err as Error).message.split('\n')[0]})`;
  }
}

describe('uring_cmd', () => {
  const why = opcodeMissing(IORING_OP_URING_CMD);

  it.skipIf(why)(`prepUringCmd with SOCKET_URING_OP_SIOCINQ counts the bytes waiting on a UDP socket${note(why)}`, async () => {
    using ring = new IoUring(4);
    const peer = dgram.createSocket('udp4');
    peer.bind(0, '127.0.0.1');
    await once(peer, 'listening');
    const fd = udpSocket(ring);
    try {
      // struct sockaddr_in { sa_family_t family; be16 port; be32 addr; u8 zero[8]; }
      const sa = new Uint8Array(16);
      const dv = new DataView(sa.buffer);
      dv.setUint16(0, AF_INET, true);
      dv.setUint16(2, peer.address().port, false);
      sa.set([127, 0, 0, 1], 4);
      expect(run(ring, (s) => { prepRw(IORING_OP_CONNECT, s, fd, addressOf(sa), 0, sa.length); s.keep(sa); }).res).toBe(0);
      const ping = Buffer.from('ping');
      const heard = once(peer, 'message');
      expect(run(ring, (s) => { prepRw(IORING_OP_SEND, s, fd, addressOf(ping), ping.length, 0); s.keep(ping); }).res).toBe(4);
      const [, rinfo] = (await heard) as [Buffer, dgram.RemoteInfo];
      expect(run(ring, (s) => prepUringCmd(s, SOCKET_URING_OP_SIOCINQ, fd)).res).toBe(0);
      await new Promise<void>((resolve, reject) => peer.send('hello!', rinfo.port, rinfo.address, (err) => (err ? reject(err) : resolve())));
      // Poll (this file's own encoder) for the datagram, then ask how big it is.
      expect(run(ring, (s) => prepPollAdd(s, fd, POLLIN)).res & POLLIN).toBe(POLLIN);
      expect(run(ring, (s) => prepUringCmd(s, SOCKET_URING_OP_SIOCINQ, fd)).res).toBe(6);
    } finally {
      fs.closeSync(fd);
      peer.close();
    }
  });

  it.skipIf(why)(`prepUringCmd on a regular file, which has no uring_cmd handler: -EOPNOTSUPP${note(why)}`, () => {
    using ring = new IoUring(4);
    const file = path.join(tmp, 'plain');
    fs.writeFileSync(file, 'x');
    const fd = fs.openSync(file, 'r+');
    try {
      expect(run(ring, (s) => prepUringCmd(s, SOCKET_URING_OP_SIOCINQ, fd)).res).toBe(-EOPNOTSUPP);
      expect(run(ring, (s) => prepCmdDiscard(s, fd, 0, 4096)).res).toBe(-EOPNOTSUPP);
    } finally {
      fs.closeSync(fd);
    }
  });

  const noLoop = why || loopUnavailable();
  it.skipIf(noLoop)(`prepCmdDiscard zeroes a range of a loop device (and refuses a misaligned one, or a read-only fd)${note(noLoop)}`, () => {
    using ring = new IoUring(4);
    const file = path.join(tmp, 'disk.img');
    fs.writeFileSync(file, Buffer.alloc(1 << 20, 0x5a));
    const dev = execFileSync('losetup', ['--find', '--show', file], { encoding: 'utf8' }).trim();
    try {
      const fd = fs.openSync(dev, 'r+');
      try {
        expect(run(ring, (s) => prepCmdDiscard(s, fd, 4096, 4096)).res).toBe(0);
        const back = Buffer.alloc(3 * 4096);
        expect(fs.readSync(fd, back, 0, back.length, 0)).toBe(back.length);
        expect([back[0], back[4095], back[4096], back[8191], back[8192], back[12287]]).toEqual([0x5a, 0x5a, 0, 0, 0x5a, 0x5a]);
        expect(back.subarray(4096, 8192)).toEqual(Buffer.alloc(4096));
        expect(run(ring, (s) => prepCmdDiscard(s, fd, 4097, 4096)).res).toBe(-EINVAL);
      } finally {
        fs.closeSync(fd);
      }
      const ro = fs.openSync(dev, 'r');
      try {
        expect(run(ring, (s) => prepCmdDiscard(s, ro, 0, 4096)).res).toBe(-EBADF);
      } finally {
        fs.closeSync(ro);
      }
    } finally {
      execFileSync('losetup', ['--detach', dev]);
    }
  });

  it.skip('prepCmdZoneResetAll resets the zones of a zoned block device (skipped: BLOCK_URING_CMD_ZONE_RESET_ALL is in no released kernel, and needs a zoned device)', () => {});

  const no128 = opcodeMissing(IORING_OP_URING_CMD128);
  it.skipIf(no128)(`prepUringCmd128 on an SQE128 ring: SIOCINQ of an empty UDP socket is 0${note(no128)}`, () => {
    using ring = new IoUring(4, { flags: IORING_SETUP_SQE128 });
    const fd = udpSocket(ring);
    try {
      expect(run(ring, (s) => prepUringCmd128(s, SOCKET_URING_OP_SIOCINQ, fd)).res).toBe(0);
    } finally {
      fs.closeSync(fd);
    }
  });

  const noNop128 = opcodeMissing(IORING_OP_NOP128);
  it.skipIf(noNop128)(`prepNop128 on an SQE128 ring completes with res 0${note(noNop128)}`, () => {
    using ring = new IoUring(4, { flags: IORING_SETUP_SQE128 });
    expect(run(ring, (s) => prepNop128(s), 9)).toEqual({ userData: 9, res: 0, flags: 0 });
  });
});
