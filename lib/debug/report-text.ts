// The capability report as text: aligned tables of every opcode (with the
// release that added it), flag and limit for the CLI's `probe`, or a few
// lines for the tour.

import { limitText, type Limit, type RlimitReport } from './environment.ts';
import type { CapabilitiesReport, FlagCapability, FlagSection } from './report.ts';

/** What {@link formatCapabilities} takes. */
export interface FormatOptions {
  /** A few lines (for the tour) instead of the full tables (for `probe`). Default false. */
  short?: boolean;
}

// Rows as aligned columns; `right` marks the columns aligned right (numbers).
function table(rows: string[][], right: readonly number[] = []): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => `  ${row.map((cell, i) => (i === row.length - 1 && !right.includes(i) ? cell : right.includes(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ')}`.trimEnd());
}

function yesNo(v: boolean | null): string {
  return v === null ? '?' : v ? 'yes' : 'no';
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

function limitPair(l: RlimitReport | null, unit: 'bytes' | 'files'): string {
  if (l === null) return 'unknown';
  const one = (v: Limit): string => (v === 'unlimited' ? 'unlimited' : unit === 'bytes' ? limitText(v) : String(v));
  return `soft ${one(l.soft)}, hard ${one(l.hard)}`;
}

function sectionLines(title: string, s: FlagSection, label: (e: FlagCapability) => string[], header: string[]): string[] {
  const known = s.entries.filter((e) => e.supported === true).length;
  return [
    `${title} (${s.method}: ${known} of ${s.entries.length} known)`,
    ...table([header, ...s.entries.map(label)], [1]),
  ];
}

/**
 * The report as plain text: aligned tables of every opcode (supported or
 * not, with the release that added it), flag and limit, for a `probe`
 * command; or, with `short`, a few lines for a tour.
 */
export function formatCapabilities(report: CapabilitiesReport, options: FormatOptions = {}): string {
  const k = report.kernel;
  const head = `io_uring on Linux ${k.release} (${k.machine}), Node ${report.node}`;
  if (!report.available) {
    const lines = [head, `io_uring is NOT available here${report.errno ? ` (io_uring_setup: ${report.errno})` : ''}:`, `  ${report.reason ?? 'unknown reason'}`];
    if (!options.short) {
      const env = report.environment;
      lines.push(...table([
        ['kernel.io_uring_disabled', env.ioUringDisabled === null ? 'absent' : String(env.ioUringDisabled), env.ioUringDisabledMeaning],
        ['seccomp', env.seccomp === null ? '?' : String(env.seccomp), env.seccompMeaning],
        ['RLIMIT_MEMLOCK', '', limitPair(report.limits.memlock, 'bytes')],
        ['RLIMIT_NOFILE', '', limitPair(report.limits.nofile, 'files')],
      ]));
    }
    return lines.join('\n');
  }

  const ops = report.opcodes;
  const missing = ops.entries.filter((o) => o.supported === false);
  const setup = report.setupFlags;
  const refused = setup.entries.filter((e) => !e.accepted);
  const f = report.features!;
  if (options.short) {
    return [
      head,
      `io_uring: available; features ${f.names.length} of ${f.names.length + f.missing.length}${f.missing.length ? ` (missing ${f.missing.join(' ')})` : ''}`,
      `opcodes: ${ops.supported} of ${ops.entries.length} supported${missing.length ? `; missing ${missing.map((o) => `${o.name} (${o.since})`).join(', ')}` : ''}`,
      `setup flags: ${setup.entries.length - refused.length} of ${setup.entries.length} accepted${refused.length ? `; refused ${refused.map((e) => `${e.name} (${e.errno})`).join(', ')}` : ''}`,
      `SQPOLL ${report.sqpoll.allowed === null ? 'unknown' : report.sqpoll.allowed ? 'allowed' : `not allowed (${report.sqpoll.errno})`}; RLIMIT_MEMLOCK ${limitPair(report.limits.memlock, 'bytes')}; RLIMIT_NOFILE ${limitPair(report.limits.nofile, 'files')}`,
    ].join('\n');
  }

  const env = report.environment;
  const out: string[] = [head, 'io_uring is available', ''];
  out.push('environment', ...table([
    ['kernel.io_uring_disabled', env.ioUringDisabled === null ? 'absent' : String(env.ioUringDisabled), env.ioUringDisabledMeaning],
    ['seccomp', env.seccomp === null ? '?' : String(env.seccomp), env.seccompMeaning],
    ['RLIMIT_MEMLOCK', '', limitPair(report.limits.memlock, 'bytes')],
    ['RLIMIT_NOFILE', '', limitPair(report.limits.nofile, 'files')],
    ['SQPOLL', report.sqpoll.allowed === null ? '?' : report.sqpoll.allowed ? 'allowed' : 'refused', report.sqpoll.note],
  ]));
  for (const n of report.notes) out.push(`  note: ${n}`);
  out.push('', `features ${hex(f.bits)}: ${f.names.join(' ')}`);
  if (f.missing.length) out.push(`  not reported: ${f.missing.join(' ')}`);
  if (f.unknownBits) out.push(`  bits this library does not name: ${hex(f.unknownBits)}`);

  out.push('', `opcodes (${ops.method}: ${ops.supported} of ${ops.entries.length} supported${ops.lastOp === null ? '' : `; last_op ${ops.lastOp}`})`);
  out.push(...table([['op', 'name', 'since', 'supported'], ...ops.entries.map((o) => [String(o.op), o.name, o.since, yesNo(o.supported)])], [0]));
  if (ops.unnamed.length) out.push(`  supported, but unknown to this library: ${ops.unnamed.join(', ')}`);

  out.push('', `setup flags (${setup.method}; each also tried on a ring: ${setup.entries.length - refused.length} of ${setup.entries.length} accepted)`);
  out.push(...table([
    ['flag', 'bit', 'kernel', 'trial', 'with'],
    ...setup.entries.map((e) => [e.name, hex(e.value), yesNo(e.supported), e.accepted ? 'accepted' : `refused ${e.errno}`, e.with.join(', ')]),
  ], [1]));

  const reg = report.registerOpcodes;
  out.push('', ...sectionLines('register opcodes', reg, (e) => [e.name, String(e.value), yesNo(e.supported)], ['opcode', 'nr', 'known']));
  out.push('', ...sectionLines('enter flags', report.enterFlags, (e) => [e.name, hex(e.value), yesNo(e.supported)], ['flag', 'bit', 'known']));
  out.push('', ...sectionLines('SQE flags', report.sqeFlags, (e) => [e.name, hex(e.value), yesNo(e.supported)], ['flag', 'bit', 'known']));
  return out.join('\n');
}
