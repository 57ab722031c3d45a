// The capability report (lib/debug/capabilities.ts) against the running
// kernel: each of its answers is checked against the same fact found another
// way (the probe, a ring's features, /proc/self/limits, a ring made with the
// flag, IORING_REGISTER_QUERY against the trials). The "unavailable" path is
// played by wrapping io_uring_setup, as tests/setup-fallback.test.ts does:
// it answers -ENOSYS or -EPERM while `failSetup.errno` is set. A kernel
// older than the query (6.18), or than restrictions (5.10), is played the
// same way, by io_uring_register answering EINVAL for those opcodes.

import { readFileSync } from 'node:fs';
import { machine, release } from 'node:os';
import { afterEach, describe, expect, it, vi } from 'vitest';

const failSetup = { errno: 0 };
const unknownRegisterOps = new Set<number>();
vi.mock('../ffi/index.ts', async (importOriginal) => {
  const ffi = await importOriginal<typeof import('../ffi/index.ts')>();
  return {
    ...ffi,
    ioUringSetup(entries: number, paramsAddr: number): number {
      return failSetup.errno ? -failSetup.errno : ffi.ioUringSetup(entries, paramsAddr);
    },
    ioUringRegister(fd: number, opcode: number, argAddr: number, nrArgs: number): number {
      if (unknownRegisterOps.has(opcode & 0xff)) return -22; // EINVAL, as for an opcode the kernel does not know
      return ffi.ioUringRegister(fd, opcode, argAddr, nrArgs);
    },
  };
});

const {
  ERRNO, OPCODES, featureNames, getProbeRing, opcodeSupported, queryOpcodes,
  IORING_SETUP_CQE32, IORING_SETUP_DEFER_TASKRUN, IORING_SETUP_NO_SQARRAY, IORING_SETUP_SINGLE_ISSUER,
  IORING_SETUP_SQPOLL, IORING_SETUP_SQ_REWIND, IORING_REGISTER_QUERY, IORING_REGISTER_RESTRICTIONS,
} = await import('../lib/index.ts');
const { capabilities, explainSetupFailure, formatCapabilities, readEnvironment } = await import('../lib/debug/capabilities.ts');
type CapabilitiesReport = import('../lib/debug/capabilities.ts').CapabilitiesReport;
type EnvironmentReport = import('../lib/debug/capabilities.ts').EnvironmentReport;
const { openFds, ringUnavailable, tryRing } = await import('./helpers.ts');

afterEach(() => {
  failSetup.errno = 0;
  unknownRegisterOps.clear();
});

const why = ringUnavailable();
const note = (reason: string) => (reason ? ` (skipped: ${reason})` : '');

// One report for the read-only checks: the kernel does not change under us.
let cached: CapabilitiesReport | null = null;
function report(): CapabilitiesReport {
  cached ??= capabilities();
  return cached;
}

// /proc/self/limits: "Max locked memory   8388608   8388608   bytes".
function procLimit(label: string): { soft: number | 'unlimited'; hard: number | 'unlimited' } {
  const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith(label));
  if (line === undefined) throw new Error(`no "${label}" in /proc/self/limits`);
  const [soft, hard] = line.slice(label.length).trim().split(/\s+/);
  const one = (s: string | undefined) => (s === 'unlimited' ? 'unlimited' as const : Number(s));
  return { soft: one(soft), hard: one(hard) };
}

describe('capabilities() on this machine', () => {
  it('names the kernel as os.release() and os.machine() do, and the Node version', () => {
    const r = report();
    expect(r.kernel).toEqual({ release: release(), machine: machine() });
    expect(r.node).toBe(process.version);
  });

  it.skipIf(why !== '')(`says io_uring is available, with no reason or errno${note(why)}`, () => {
    const r = report();
    expect(r.available).toBe(true);
    expect(r.reason).toBeNull();
    expect(r.errno).toBeNull();
  });

  it.skipIf(why !== '')(`lists every opcode of OPCODES, supported exactly where the probe says so${note(why)}`, () => {
    const r = report();
    const ring = tryRing(2);
    if (typeof ring === 'string') throw new Error(ring);
    try {
      const probe = getProbeRing(ring);
      expect(r.opcodes.method).toBe('probe');
      expect(r.opcodes.lastOp).toBe(probe.lastOp);
      expect(r.opcodes.entries.map((e) => [e.op, e.name, e.since])).toEqual(OPCODES.map((o) => [o.op, o.name, o.since]));
      for (const e of r.opcodes.entries) {
        expect(e.supported, `IORING_OP_${e.name}`).toBe(opcodeSupported(probe, e.op));
      }
      expect(r.opcodes.supported).toBe(OPCODES.filter((o) => probe.supported(o.op)).length);
    } finally {
      ring.close();
    }
    expect(r.opcodes.entries.find((e) => e.name === 'NOP')!.supported).toBe(true);
    expect(r.opcodes.entries.find((e) => e.name === 'READ')!.supported).toBe(true);
  });

  it.skipIf(why !== '')(`reports the features a ring reports, by name and as bits${note(why)}`, () => {
    const r = report();
    const ring = tryRing(2);
    if (typeof ring === 'string') throw new Error(ring);
    const features = ring.features;
    ring.close();
    const names = featureNames(features);
    expect(r.features).not.toBeNull();
    expect(r.features!.bits).toBe(features);
    expect(r.features!.names).toEqual(Object.keys(names).filter((k) => k !== 'unknown' && names[k] === true));
    expect(r.features!.missing).toEqual(Object.keys(names).filter((k) => k !== 'unknown' && names[k] === false));
    expect(r.features!.names).toContain('NODROP');
  });

  it('reads RLIMIT_MEMLOCK and RLIMIT_NOFILE as /proc/self/limits shows them', () => {
    const r = report();
    expect(r.limits.source).toBe('getrlimit');
    expect(r.limits.memlock).toEqual(procLimit('Max locked memory'));
    expect(r.limits.nofile).toEqual(procLimit('Max open files'));
  });

  it('reads io_uring_disabled and the seccomp mode as /proc shows them', () => {
    const env = report().environment;
    let disabled: number | null = null;
    try {
      disabled = Number(readFileSync('/proc/sys/kernel/io_uring_disabled', 'utf8').trim());
    } catch {
      // absent before Linux 6.6
    }
    expect(env.ioUringDisabled).toBe(disabled);
    const seccomp = readFileSync('/proc/self/status', 'utf8').match(/^Seccomp:\s*(\d+)/m);
    expect(env.seccomp).toBe(seccomp ? Number(seccomp[1]) : null);
    expect(env.seccompMeaning.length).toBeGreaterThan(0);
  });

  it.skipIf(why !== '')(`setup flags: accepted exactly where new IoUring() with the flag succeeds${note(why)}`, () => {
    const r = report();
    const cases: [string, number, number][] = [
      ['SQPOLL', IORING_SETUP_SQPOLL, IORING_SETUP_SQPOLL],
      ['DEFER_TASKRUN', IORING_SETUP_DEFER_TASKRUN, IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN],
      ['CQE32', IORING_SETUP_CQE32, IORING_SETUP_CQE32],
      ['NO_SQARRAY', IORING_SETUP_NO_SQARRAY, IORING_SETUP_NO_SQARRAY],
      // Unknown before Linux 6.19: the refused side of the comparison here.
      ['SQ_REWIND', IORING_SETUP_SQ_REWIND, IORING_SETUP_SQ_REWIND | IORING_SETUP_NO_SQARRAY],
    ];
    for (const [name, bit, flags] of cases) {
      const entry = r.setupFlags.entries.find((e) => e.name === name)!;
      expect(entry.value).toBe(bit);
      const ring = tryRing(4, { flags, registerRingFd: false });
      const made = typeof ring !== 'string';
      if (made) ring.close();
      expect(entry.accepted, `${name}: ${made ? 'IoUring made it' : ring}`).toBe(made);
      expect(entry.errno === null, name).toBe(made);
    }
    expect(r.setupFlags.entries.find((e) => e.name === 'DEFER_TASKRUN')!.with).toEqual(['SINGLE_ISSUER']);
    expect(r.sqpoll.allowed).toBe(r.setupFlags.entries.find((e) => e.name === 'SQPOLL')!.accepted);
  });

  const noQuery = why || (() => {
    try {
      queryOpcodes();
      return '';
    } catch (err) {
      return `IORING_REGISTER_QUERY: ${(err as Error).message}`;
    }
  })();

  it.skipIf(noQuery !== '')(`uses IORING_REGISTER_QUERY where the kernel has it, and reports what it said${note(noQuery)}`, () => {
    const r = report();
    const q = queryOpcodes();
    expect(r.query).toEqual({
      available: true, errno: null,
      nrRequestOpcodes: q.nrRequestOpcodes, nrRegisterOpcodes: q.nrRegisterOpcodes,
      featureFlags: Number(q.featureFlags), ringSetupFlags: Number(q.ringSetupFlags),
      enterFlags: Number(q.enterFlags), sqeFlags: Number(q.sqeFlags), nrQueryOpcodes: q.nrQueryOpcodes,
    });
    for (const s of [r.setupFlags, r.registerOpcodes, r.enterFlags, r.sqeFlags]) expect(s.method).toBe('query');
    expect(r.registerOpcodes.count).toBe(q.nrRegisterOpcodes);
    for (const e of r.enterFlags.entries) expect(e.supported, e.name).toBe((Number(q.enterFlags) & e.value) !== 0);
    for (const e of r.sqeFlags.entries) expect(e.supported, e.name).toBe((Number(q.sqeFlags) & e.value) !== 0);
    for (const e of r.setupFlags.entries) expect(e.supported, e.name).toBe((Number(q.ringSetupFlags) & e.value) !== 0);
    // The query's request opcodes agree with the probe's.
    expect(r.opcodes.lastOp).toBe(q.nrRequestOpcodes - 1);
  });

  it.skipIf(noQuery !== '')(`the trials (for kernels without the query) find what the query says${note(noQuery)}`, () => {
    const byQuery = report();
    const byTrial = capabilities({ method: 'trial' });
    expect(byTrial.available).toBe(true);
    for (const key of ['setupFlags', 'registerOpcodes', 'enterFlags', 'sqeFlags'] as const) {
      expect(byTrial[key].method, key).toBe('trial');
      expect(byTrial[key].entries.map((e) => [e.name, e.supported]), key).toEqual(byQuery[key].entries.map((e) => [e.name, e.supported]));
    }
    expect(byTrial.registerOpcodes.count).toBe(byQuery.registerOpcodes.count);
    expect(byTrial.notes.join('\n')).toContain('trials were asked for');
  });

  it.skipIf(noQuery !== '')(`a kernel without IORING_REGISTER_QUERY: falls back to the trials on its own, and says so${note(noQuery)}`, () => {
    const byQuery = report();
    unknownRegisterOps.add(IORING_REGISTER_QUERY);
    const r = capabilities();
    expect(r.available).toBe(true);
    expect(r.query.available).toBe(false);
    expect(r.query.errno).toBe('EINVAL');
    expect(r.notes.join('\n')).toContain('IORING_REGISTER_QUERY is not available (EINVAL');
    for (const key of ['setupFlags', 'registerOpcodes', 'enterFlags', 'sqeFlags'] as const) {
      expect(r[key].method, key).toBe('trial');
      expect(r[key].entries.map((e) => e.supported), key).toEqual(byQuery[key].entries.map((e) => e.supported));
    }
  });

  it.skipIf(why !== '')(`a kernel without the query or restrictions: register opcodes are left unknown, with the reason, not guessed${note(why)}`, () => {
    unknownRegisterOps.add(IORING_REGISTER_QUERY);
    unknownRegisterOps.add(IORING_REGISTER_RESTRICTIONS);
    const r = capabilities();
    expect(r.available).toBe(true);
    expect(r.registerOpcodes.method).toBe('none');
    expect(r.registerOpcodes.count).toBeNull();
    expect(r.registerOpcodes.entries.every((e) => e.supported === null)).toBe(true);
    expect(r.registerOpcodes.note).toMatch(/no IORING_REGISTER_RESTRICTIONS.*no guess is made/);
    // The rest still has its answers.
    expect(r.enterFlags.method).toBe('trial');
    expect(r.opcodes.method).toBe('probe');
    expect(formatCapabilities(r)).toMatch(/register opcodes \(none: 0 of \d+ known\)/);
  });

  it.skipIf(why !== '')(`closes every ring it makes${note(why)}`, () => {
    const before = openFds();
    capabilities();
    capabilities({ method: 'trial' });
    expect(openFds()).toBe(before);
  });

  it('is plain data: JSON.stringify round-trips it unchanged', () => {
    const r = report();
    const seen: string[] = [];
    const walk = (v: unknown, path: string): void => {
      if (v === null || typeof v === 'string' || typeof v === 'boolean') return;
      if (typeof v === 'number') {
        if (!Number.isFinite(v)) seen.push(path);
        return;
      }
      if (typeof v === 'object') {
        for (const [k, x] of Object.entries(v as object)) walk(x, `${path}.${k}`);
        return;
      }
      seen.push(`${path} (${typeof v})`);
    };
    walk(r, 'report');
    expect(seen).toEqual([]);
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });
});

describe('formatCapabilities', () => {
  it.skipIf(why !== '')(`the full form has a row per opcode: number, name, since, supported${note(why)}`, () => {
    const r = report();
    const text = formatCapabilities(r);
    expect(text).toContain(`Linux ${release()}`);
    const lines = text.split('\n');
    for (const o of r.opcodes.entries) {
      const row = new RegExp(`^\\s+${o.op}\\s+${o.name}\\s+${o.since.replace('.', '\\.')}\\s+${o.supported ? 'yes' : 'no'}$`);
      expect(lines.some((l) => row.test(l)), `row of ${o.name}`).toBe(true);
    }
    for (const e of [...r.setupFlags.entries, ...r.registerOpcodes.entries, ...r.enterFlags.entries, ...r.sqeFlags.entries]) {
      expect(text, e.name).toMatch(new RegExp(`^\\s+${e.name}\\s`, 'm'));
    }
  });

  it.skipIf(why !== '')(`columns line up: every opcode row puts 'since' at the same column${note(why)}`, () => {
    const lines = formatCapabilities(report()).split('\n');
    const header = lines.findIndex((l) => /^\s+op\s+name\s+since\s+supported$/.test(l));
    expect(header).toBeGreaterThan(0);
    const at = lines[header]!.indexOf('since');
    const rows = lines.slice(header + 1, header + 1 + OPCODES.length);
    for (const [i, row] of rows.entries()) expect(row.slice(at).startsWith(OPCODES[i]!.since), row).toBe(true);
  });

  it.skipIf(why !== '')(`the short form is a few lines naming what is missing and the release that added it${note(why)}`, () => {
    const r = report();
    const text = formatCapabilities(r, { short: true });
    expect(text.split('\n').length).toBeLessThanOrEqual(6);
    expect(text).toContain(`opcodes: ${r.opcodes.supported} of ${OPCODES.length} supported`);
    for (const o of r.opcodes.entries.filter((e) => e.supported === false)) expect(text).toContain(`${o.name} (${o.since})`);
  });
});

describe('when io_uring_setup fails', () => {
  it('ENOSYS: unavailable, the reason in plain words, nothing thrown, nothing left open', () => {
    failSetup.errno = ERRNO.ENOSYS;
    const before = openFds();
    const r = capabilities();
    expect(openFds()).toBe(before);
    expect(r.available).toBe(false);
    expect(r.errno).toBe('ENOSYS');
    if (readEnvironment().seccomp === 2) expect(r.reason).toMatch(/seccomp/);
    else expect(r.reason).toMatch(/has no io_uring.*CONFIG_IO_URING/);
    expect(r.features).toBeNull();
    expect(r.opcodes.entries.every((e) => e.supported === null)).toBe(true);
    expect(r.setupFlags.method).toBe('none');
    expect(r.sqpoll.allowed).toBeNull();
    // The limits and the environment are still there: they help say why.
    expect(r.limits.memlock).toEqual(procLimit('Max locked memory'));
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
    const text = formatCapabilities(r);
    expect(text).toContain('NOT available');
    expect(text).toContain(r.reason!);
    expect(formatCapabilities(r, { short: true })).toContain(r.reason!);
  });

  it('EPERM: the reason names what can refuse it, here and now', () => {
    failSetup.errno = ERRNO.EPERM;
    const r = capabilities();
    expect(r.available).toBe(false);
    expect(r.errno).toBe('EPERM');
    const env = readEnvironment();
    if (env.ioUringDisabled === 2) expect(r.reason).toContain('kernel.io_uring_disabled is 2');
    else if (env.seccomp === 2) expect(r.reason).toContain('seccomp');
    else expect(r.reason).toMatch(/neither kernel\.io_uring_disabled \(\w+\) nor a seccomp filter/);
  });
});

describe('explainSetupFailure', () => {
  const open: EnvironmentReport = {
    ioUringDisabled: 0, ioUringDisabledMeaning: '', ioUringGroup: -1, inIoUringGroup: false, capSysAdmin: false,
    seccomp: 0, seccompFilters: 0, seccompMeaning: '',
  };

  it('EPERM with kernel.io_uring_disabled 2: switched off for everyone, and how to switch it on', () => {
    const s = explainSetupFailure(-ERRNO.EPERM, { ...open, ioUringDisabled: 2 });
    expect(s).toContain('kernel.io_uring_disabled is 2');
    expect(s).toContain('sysctl kernel.io_uring_disabled=0');
  });

  it('EPERM with kernel.io_uring_disabled 1: only CAP_SYS_ADMIN or the group, and which group', () => {
    expect(explainSetupFailure(ERRNO.EPERM, { ...open, ioUringDisabled: 1 })).toMatch(/is 1, .*CAP_SYS_ADMIN.*io_uring_group.*no group is set/);
    expect(explainSetupFailure(ERRNO.EPERM, { ...open, ioUringDisabled: 1, ioUringGroup: 1234 })).toContain('gid 1234');
    // Privileged, or in the group: the sysctl is not the reason; the seccomp filter is.
    expect(explainSetupFailure(ERRNO.EPERM, { ...open, ioUringDisabled: 1, capSysAdmin: true, seccomp: 2 })).toMatch(/seccomp filter.*Docker/);
    expect(explainSetupFailure(ERRNO.EPERM, { ...open, ioUringDisabled: 1, inIoUringGroup: true, seccomp: 2, seccompFilters: 1 })).toContain('1 filter)');
  });

  it('EPERM under a seccomp filter: the filter (as Docker\'s default profile does)', () => {
    expect(explainSetupFailure(ERRNO.EPERM, { ...open, seccomp: 2, seccompFilters: 3 })).toMatch(/seccomp filter \(Seccomp: 2.*3 filters\).*Docker/);
  });

  it('ENOSYS: a filter that hides the syscall, or a kernel without CONFIG_IO_URING, or one older than 5.1', () => {
    expect(explainSetupFailure(ERRNO.ENOSYS, { ...open, seccomp: 2 })).toMatch(/seccomp filter.*ENOSYS/);
    expect(explainSetupFailure(ERRNO.ENOSYS, open, '6.8.0-45-generic')).toMatch(/6\.8\.0-45-generic\) has no io_uring.*CONFIG_IO_URING/);
    expect(explainSetupFailure(ERRNO.ENOSYS, open, '4.19.0')).toContain('it came in Linux 5.1');
  });

  it('ENOMEM: RLIMIT_MEMLOCK, with its value, on kernels that charge rings to it', () => {
    const s = explainSetupFailure(ERRNO.ENOMEM, open, '5.10.0', { soft: 65536, hard: 65536 });
    expect(s).toContain('RLIMIT_MEMLOCK (here 64 KiB)');
    expect(s).not.toContain('no longer');
    expect(explainSetupFailure(ERRNO.ENOMEM, open, '6.1.0', { soft: 65536, hard: 65536 })).toContain('no longer charges');
  });

  it('an errno it has no story for: the library\'s usual explanation, with the code', () => {
    expect(explainSetupFailure(ERRNO.EFAULT, open)).toMatch(/^EFAULT: [^,]+, io_uring_setup /);
  });

  it("has one home, lib/errors.ts: each errno's words there, or IoUringError's usual cause where they depend on nothing here", async () => {
    const { IoUringError, setupCauseHere } = await import('../lib/errors.ts');
    const envs: EnvironmentReport[] = [
      open, { ...open, ioUringDisabled: 2 }, { ...open, ioUringDisabled: 1, ioUringGroup: 7 }, { ...open, seccomp: 2, seccompFilters: 2 },
      { ...open, ioUringDisabled: null, seccomp: null, seccompFilters: null },
    ];
    let here = 0;
    for (const env of envs) {
      for (const errno of Object.values(ERRNO)) {
        const s = explainSetupFailure(-errno, env, '5.10.0', { soft: 65536, hard: 65536 });
        const own = setupCauseHere(errno, { env, release: '5.10.0', memlock: '64 KiB' });
        if (own !== null) here++;
        expect(s).toBe(own ?? new IoUringError(errno, 'io_uring_setup', 'one entry, no flags').message);
      }
    }
    // EPERM, ENOSYS, ENOMEM, EINVAL, EMFILE and ENFILE have words for here, in every environment.
    expect(here).toBe(6 * envs.length);
    // And IoUringError from io_uring_setup gives every usual cause of the errno.
    expect(new IoUringError(-ERRNO.EPERM, 'io_uring_setup').message).toMatch(/kernel\.io_uring_disabled.*seccomp/);
  });
});
