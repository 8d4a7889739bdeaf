import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

// The DaemonSet's `state-owner` init container, run for real: its exact command, read from
// deploy/kubernetes/daemonset.yaml, as the user, group, supplementary groups and capabilities the
// manifest gives it (setpriv, util-linux), with no_new_privs when allowPrivilegeEscalation is false,
// on a real temporary folder bind-mounted at the container's mountPath in a private mount namespace
// (unshare, util-linux), so the command runs byte for byte as written. Needs root (the container
// runs as root) and the mount namespace; both are checked in beforeAll with a message naming what
// is missing.

type Obj = Record<string, any>;
const here = fileURLToPath(new URL('.', import.meta.url));
const ds = parseAllDocuments(readFileSync(join(here, 'kubernetes', 'daemonset.yaml'), 'utf8'))
  .map((d) => d.toJS() as Obj)
  .find((o) => o.kind === 'DaemonSet')!;
const pod = ds.spec.template.spec as Obj;
const init = (pod.initContainers as Obj[]).find((c) => c.name === 'state-owner')!;
const sc = init.securityContext as Obj;
const mountPath = (init.volumeMounts as Obj[])[0]!.mountPath as string;
const command = [...(init.command as string[]), ...((init.args as string[] | undefined) ?? [])];

// The owner and mode the main container needs: its user and group, and 0750.
const main = (pod.containers as Obj[]).find((c) => c.name === 'ktrail')!;
const wantUid = (main.securityContext.runAsUser ?? pod.securityContext.runAsUser) as number;
const wantGid = (main.securityContext.runAsGroup ?? pod.securityContext.runAsGroup) as number;

// Kubernetes capability names are CAP_ names without the prefix; setpriv wants them lower case.
const CAP_BITS: Record<string, number> = { CHOWN: 0, DAC_OVERRIDE: 1, DAC_READ_SEARCH: 2, FOWNER: 3, FSETID: 4, KILL: 5, SETGID: 6, SETUID: 7 };

/** setpriv arguments for a container securityContext: what containerd/runc give a container. */
function setprivArgs(s: Obj, groups: number[]): string[] {
  const drop = (s.capabilities?.drop ?? []) as string[];
  const add = (s.capabilities?.add ?? []) as string[];
  // Only `drop: [ALL]` plus an explicit add list is modelled; anything else would need the
  // runtime's default capability set, which this manifest does not use.
  expect(drop, 'state-owner must drop ALL capabilities').toEqual(['ALL']);
  const caps = ['-all', ...add.map((c) => `+${c.toLowerCase()}`)].join(',');
  return [
    `--reuid=${s.runAsUser}`,
    `--regid=${s.runAsGroup ?? s.runAsUser}`,
    groups.length ? `--groups=${groups.join(',')}` : '--clear-groups',
    // The runtime sets the bounding, permitted and effective sets to the list; inheritable and
    // ambient stay empty (runc since CVE-2022-24769). For uid 0, exec gives permitted = bounding.
    `--bounding-set=${caps}`,
    '--inh-caps=-all',
    '--ambient-caps=-all',
    ...(s.allowPrivilegeEscalation === false ? ['--no-new-privs'] : []),
  ];
}

const groups = ((pod.securityContext?.supplementalGroups ?? []) as number[]).filter((g) => g !== (sc.runAsGroup ?? sc.runAsUser));

/** Runs argv inside a private mount namespace with `hostDir` bind-mounted at mountPath, under setpriv. */
function runAsInitContainer(argv: string[], hostDir: string, securityContext: Obj = sc) {
  // tmpfs over the parent first, so nothing is created on this machine's real /var/lib.
  const parent = mountPath.replace(/\/[^/]+$/, '') || '/';
  const inner = [
    'set -e',
    `mount -t tmpfs -o mode=0755 ktrail-test "${parent}"`,
    `mkdir -p "${mountPath}"`,
    `mount --bind "${hostDir}" "${mountPath}"`,
    'exec setpriv "$@"',
  ].join('\n');
  return spawnSync('unshare', ['--mount', '--propagation', 'private', '--', '/bin/sh', '-c', inner, 'sh', ...setprivArgs(securityContext, groups), '--', ...argv], { encoding: 'utf8' });
}

/** A host directory the way the kubelet's hostPath DirectoryOrCreate makes it: root:root 0755. */
const dirs: string[] = [];
function kubeletDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'ktrail-state-'));
  chmodSync(d, 0o755);
  chownSync(d, 0, 0);
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const ownerMode = (p: string) => {
  const st = statSync(p);
  return { uid: st.uid, gid: st.gid, mode: (st.mode & 0o7777).toString(8).padStart(4, '0') };
};

describe('deploy: the state-owner init container, run with the manifest’s user and capabilities', () => {
  beforeAll(() => {
    const missing = ['setpriv', 'unshare'].filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
    if (missing.length) throw new Error(`${missing.join(' and ')} not installed: this test needs util-linux (apt-get install util-linux)`);
    if (process.getuid?.() !== 0) throw new Error('this test must run as root: the init container runs as uid 0 and chowns to another user');
    const probe = spawnSync('unshare', ['--mount', '--propagation', 'private', '--', 'true'], { encoding: 'utf8' });
    if (probe.status !== 0) throw new Error(`cannot create a mount namespace (unshare --mount needs CAP_SYS_ADMIN): ${probe.stderr}`);
  });

  it('reads a root user, CHOWN only, no privilege escalation from the manifest', () => {
    expect(sc.runAsUser).toBe(0);
    expect(sc.capabilities).toEqual({ drop: ['ALL'], add: ['CHOWN'] });
    expect(sc.allowPrivilegeEscalation).toBe(false);
    expect(command[0]).toBe('/bin/sh');
  });

  it('gives the command exactly the capabilities the manifest lists, and nothing else', () => {
    const r = runAsInitContainer(['/bin/sh', '-c', 'grep -E "^(Uid|Gid|Groups|CapEff|CapPrm|CapBnd|CapAmb|CapInh|NoNewPrivs):" /proc/self/status'], kubeletDir());
    expect(r.status, r.stderr).toBe(0);
    const want = (sc.capabilities.add as string[]).reduce((m, c) => m | (1n << BigInt(CAP_BITS[c]!)), 0n);
    const field = (k: string) => new RegExp(`^${k}:\\s*(.*)$`, 'm').exec(r.stdout)![1]!.trim();
    for (const k of ['CapEff', 'CapPrm', 'CapBnd']) expect(BigInt(`0x${field(k)}`), k).toBe(want);
    for (const k of ['CapAmb', 'CapInh']) expect(BigInt(`0x${field(k)}`), k).toBe(0n);
    expect(field('Uid').split(/\s+/)[0]).toBe(String(sc.runAsUser));
    expect(field('Gid').split(/\s+/)[0]).toBe(String(sc.runAsGroup));
    expect(field('NoNewPrivs')).toBe('1');
  });

  it('hands a directory the kubelet just created (root:root 0755) to the ktrail user, mode 0750', () => {
    const d = kubeletDir();
    const r = runAsInitContainer(command, d);
    expect(r.status, `${command.join(' ')}\n${r.stderr}`).toBe(0);
    expect(ownerMode(d)).toEqual({ uid: wantUid, gid: wantGid, mode: '0750' });
  });

  it('succeeds again on the next start, when the directory already belongs to the ktrail user', () => {
    const d = kubeletDir();
    expect(runAsInitContainer(command, d).status).toBe(0);
    writeFileSync(join(d, 'state.db'), 'checkpoints');
    chownSync(join(d, 'state.db'), wantUid, wantGid);
    const again = runAsInitContainer(command, d);
    expect(again.status, again.stderr).toBe(0);
    expect(ownerMode(d)).toEqual({ uid: wantUid, gid: wantGid, mode: '0750' });
    expect(ownerMode(join(d, 'state.db'))).toMatchObject({ uid: wantUid, gid: wantGid });
    expect(readFileSync(join(d, 'state.db'), 'utf8')).toBe('checkpoints');
  });

  it('repairs a directory that belongs to the ktrail user with another mode', () => {
    const d = kubeletDir();
    chownSync(d, wantUid, wantGid);
    chmodSync(d, 0o777);
    const r = runAsInitContainer(command, d);
    expect(r.status, r.stderr).toBe(0);
    expect(ownerMode(d)).toEqual({ uid: wantUid, gid: wantGid, mode: '0750' });
  });

  it('is a real check: the command before the fix (chown, then chmod) fails with EPERM under CHOWN only', () => {
    // The pre-fix manifest's command, kept here as the negative control of this harness.
    const before = ['/bin/sh', '-c', `chown ${wantUid}:${wantGid} ${mountPath} && chmod 0750 ${mountPath}`];
    const r = runAsInitContainer(before, kubeletDir());
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/Operation not permitted/);
    // ... and it is the missing FOWNER that breaks it: with FOWNER added it passes.
    const withFowner = { ...sc, capabilities: { drop: ['ALL'], add: ['CHOWN', 'FOWNER'] } };
    expect(runAsInitContainer(before, kubeletDir(), withFowner).status).toBe(0);
  });
});
