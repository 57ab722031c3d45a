// The FFI boundary: raw numbers out, -errno on failure, never a throw, and a
// lazy load that lets the package be imported where io_uring can't work.

import { execFileSync } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { ERRNO } from '../lib/errno.ts';
import { describe, expect, it } from 'vitest';
import * as ffi from '../ffi/index.ts';
import { compiled } from './helpers.ts';

const { EBADF, EFAULT, EINVAL } = ERRNO;

describe('ffi', () => {
  it('loads here', () => {
    expect(ffi.loadError()).toBeNull();
  });

  it('returns -errno instead of throwing', () => {
    expect(ffi.close(-1)).toBe(-EBADF);
    expect(ffi.ioUringEnter(-1, 0, 0, 0, 0, 0)).toBe(-EBADF);
    expect(ffi.ioUringRegister(999_999, 0, 0, 0)).toBe(-EBADF);
    expect(ffi.ioUringRegister(-1, 0, 0, 0)).toBe(-EINVAL); // fd -1 is only for ringless queries
    // io_uring_params at address 8: the kernel can't read it.
    expect(ffi.ioUringSetup(4, 8)).toBe(-EFAULT);
    expect(ffi.munmap(1, 4096)).toBe(-EINVAL); // not page-aligned
    expect(ffi.mmap(0, 4096, 3, 0x01, -1, 0)).toBe(-EBADF); // MAP_SHARED of no fd
  });

  it('fcntl: grows a pipe (F_SETPIPE_SZ, F_GETPIPE_SZ), -errno for a bad fd', () => {
    const F_SETPIPE_SZ = 1031;
    const F_GETPIPE_SZ = 1032;
    const fds = ffi.pipe(0);
    if (typeof fds === 'number') throw new Error(`pipe: ${fds}`);
    try {
      expect(ffi.fcntl(fds[1], F_GETPIPE_SZ)).toBe(65536);
      expect(ffi.fcntl(fds[1], F_SETPIPE_SZ, 1 << 20)).toBe(1 << 20);
      expect(ffi.fcntl(fds[0], F_GETPIPE_SZ)).toBe(1 << 20);
    } finally {
      ffi.close(fds[0]);
      ffi.close(fds[1]);
    }
    expect(ffi.fcntl(-1, F_GETPIPE_SZ)).toBe(-EBADF);
  });

  it('closes what it is given', () => {
    const fd = openSync(new URL('../package.json', import.meta.url), 'r');
    expect(ffi.close(fd)).toBe(0);
    expect(() => closeSync(fd)).toThrow(/EBADF/);
  });

  it('takes the address of a typed array, stable across views of one buffer', () => {
    const ab = new ArrayBuffer(8192);
    const a = ffi.addressOf(new Uint8Array(ab));
    expect(a).toBeGreaterThan(0);
    expect(ffi.addressOf(new Uint8Array(ab, 100))).toBe(a + 100);
    expect(Number.isSafeInteger(a)).toBe(true);
  });

  it('maps memory and views it', () => {
    const addr = ffi.mmap(0, 4096, 3, 0x22, -1, 0); // PROT_READ|WRITE, MAP_PRIVATE|ANONYMOUS
    expect(addr).toBeGreaterThan(0);
    const v = new Uint8Array(ffi.view(addr, 4096));
    v[10] = 7;
    expect(new Uint8Array(ffi.view(addr, 4096))[10]).toBe(7);
    expect(ffi.munmap(addr, 4096)).toBe(0);
  });

  it('makes pipes and eventfds', () => {
    const p = ffi.pipe(0);
    expect(Array.isArray(p)).toBe(true);
    const [r, w] = p as [number, number];
    expect(ffi.close(r)).toBe(0);
    expect(ffi.close(w)).toBe(0);
    const efd = ffi.eventfd(0, 0);
    expect(efd).toBeGreaterThan(2);
    expect(ffi.close(efd)).toBe(0);
  });

  it('on another platform, importing works and the first ring says why it cannot be', () => {
    const out = execFileSync(process.execPath, [compiled('tests/fixtures/not-linux.ts')], { encoding: 'utf8' });
    const [first, second] = out.trim().split('\n');
    expect(first).toBe('imported function');
    const e = JSON.parse(second!);
    expect(e).toMatchObject({ name: 'IoUringError', code: 'ENOSYS', syscall: 'io_uring_setup' });
    expect(e.message).toMatch(/Linux interface; this is darwin/);
  });
});
