#!/usr/bin/env bash
# Installs this checkout the two ways the README's "Install" section gives,
# each into a scratch project in a temporary folder, and uses it as a user
# would: plain JavaScript imports it, makes a ring and runs a NOP (raw and
# through AsyncRing) and writes and reads a file through tsuring/fs, a
# TypeScript file type-checks against the declarations of both entry points,
# and `npx tsuring probe --short` runs the installed command.
#
#   from a directory:  npm install --install-links <checkout>
#     The checkout itself, working tree as it is (it must have had
#     `npm install` or `npm ci`, which builds dist/ through `prepare`).
#   from git:          npm install git+file://<checkout>#<HEAD>
#     The committed HEAD: npm clones it, installs its devDependencies, runs
#     `prepare` (the build) and packs the clone. This project denies koffi's
#     install script in its allowScripts, to show the package needs none.
#
# Exits non-zero on the first failure; removes its temporary folder.
# Usage: npm run check:install
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tsuring-check-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

tsc="$root/node_modules/.bin/tsc"
if [ ! -d "$root/dist/lib" ] || [ ! -x "$tsc" ]; then
  echo "check-install: run 'npm ci' in $root first (it builds dist/ and installs tsc)" >&2
  exit 1
fi

npm_flags=(--no-audit --no-fund --prefer-offline)

# The scratch project: package.json with the given allowScripts, a plain-JS
# user of the package and a TypeScript one.
scratch() {
  local dir=$1 allow=$2
  mkdir -p "$dir"
  cat > "$dir/package.json" <<EOF
{ "name": "scratch", "version": "1.0.0", "private": true, "type": "module", "allowScripts": $allow }
EOF
  cat > "$dir/use.mjs" <<'EOF'
import { IoUring, AsyncRing, prepNop } from 'tsuring';

const ring = new IoUring(4);
try {
  const sqe = ring.getSqe();
  prepNop(sqe);
  sqe.userData = 42;
  ring.submit();
  const cqe = ring.waitCqe();
  if (cqe.userData !== 42 || cqe.res !== 0) throw new Error(`NOP: userData ${cqe.userData}, res ${cqe.res}`);
  ring.cqeSeen(cqe);
} finally {
  ring.close();
}

const io = new AsyncRing();
try {
  const res = await io.nop();
  if (res !== 0) throw new Error(`AsyncRing NOP: res ${res}`);
} finally {
  await io.close();
}
console.log('plain JS: IoUring NOP and AsyncRing NOP completed');

// The second entry point: tsuring/fs, a file out and back through the ring.
const fs = await import('tsuring/fs');
const file = new URL('./written.txt', import.meta.url);
await fs.writeFile(file, 'through the ring');
const back = await fs.readFile(file, 'utf8');
if (back !== 'through the ring') throw new Error(`tsuring/fs read back ${JSON.stringify(back)}`);
await fs.unlink(file);
console.log('plain JS: tsuring/fs wrote and read a file');

// The third: tsuring/net, a byte echoed over loopback.
const net = await import('tsuring/net');
const server = net.createServer(async (socket) => {
  for await (const chunk of socket) await socket.write(chunk);
});
await server.listen({ port: 0, host: '127.0.0.1' });
const client = await net.connect({ port: server.address().port, host: '127.0.0.1' });
await client.write('x');
for await (const chunk of client) {
  if (chunk.toString() !== 'x') throw new Error(`tsuring/net echoed ${JSON.stringify(chunk.toString())}`);
  break;
}
client.destroy();
await server.close();
console.log('plain JS: tsuring/net echoed a byte');
EOF
  cat > "$dir/use.ts" <<'EOF'
import { IoUring, prepNop, type Cqe } from 'tsuring';
import { readFile } from 'tsuring/fs';
import { createServer, type Socket } from 'tsuring/net';

const ring: IoUring = new IoUring(4);
const sqe = ring.getSqe();
if (sqe !== null) prepNop(sqe);
const submitted: number = ring.submit();
const cqe: Cqe = ring.waitCqe();
ring.close();
const text: Promise<string> = readFile('/proc/self/status', 'utf8');
const server = createServer(async (socket: Socket) => { await socket.end(); });
export { submitted, cqe, text, server };
EOF
  cat > "$dir/tsconfig.json" <<EOF
{
  "compilerOptions": {
    "module": "nodenext", "moduleResolution": "nodenext", "target": "es2022",
    "strict": true, "noEmit": true, "types": ["node"],
    "typeRoots": ["$root/node_modules/@types"]
  },
  "files": ["use.ts"]
}
EOF
}

use() {
  local dir=$1
  [ -f "$dir/node_modules/tsuring/dist/lib/index.js" ] || { echo "check-install: no dist/ in the installed package" >&2; return 1; }
  [ -f "$dir/node_modules/tsuring/dist/lib/fs/index.js" ] || { echo "check-install: no dist/lib/fs in the installed package" >&2; return 1; }
  (cd "$dir" && node use.mjs)
  (cd "$dir" && "$tsc" -p .) && echo "TypeScript: use.ts type-checks against dist/lib/index.d.ts"
  (cd "$dir" && npx --no tsuring probe --short)
}

echo "== from a directory: npm install --install-links $root"
scratch "$tmp/dir" '{}'
(cd "$tmp/dir" && npm install "${npm_flags[@]}" --install-links "$root")
use "$tmp/dir"

head=$(git -C "$root" rev-parse HEAD)
echo "== from git: npm install git+file://$root#$head (koffi's install script denied)"
scratch "$tmp/git" '{ "koffi": false }'
(cd "$tmp/git" && npm install "${npm_flags[@]}" "git+file://$root#$head")
use "$tmp/git"

echo "check-install: both installs work"
