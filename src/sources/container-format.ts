// Kubernetes container log wrappers. In Kubernetes (Strimzi, the Kroxylicious operator) the broker
// and the proxy log to stdout by default, and the node keeps each container's stdout in a file in
// one of two wrappers:
//
//   CRI (containerd, CRI-O):  <RFC3339Nano> <stdout|stderr> <P|F>[:more tags] <content>
//     P = partial: containerd splits lines longer than max_container_log_line_size (16384 bytes
//     by default) into P pieces followed by one F piece (kubernetes/cri-api logs spec,
//     https://github.com/kubernetes/design-proposals-archive/blob/main/node/kubelet-cri-logging.md).
//   Docker json-file:  {"log":"<content>\n","stream":"stdout","time":"..."}
//     A `log` without its trailing \n is a partial line continued by the next entry of the same
//     stream: Docker splits lines at 16 KiB too (moby daemon/logger/copier.go, bufSize).
//
// `ContainerLineAssembler` takes the physical lines of ONE file, in order, and hands on logical
// lines. Pieces are reassembled per stream. The offset to resume from after a crash is never inside
// an open P group: `committedOffset` stays at the start of the oldest open group until it closes,
// so a restart reads the whole group again instead of emitting its tail as a line of its own.
//
// Deliberately left out: the CRI timestamp and stream are dropped (the inner line carries its own
// time); a multi-byte UTF-8 character that containerd cut between two pieces decodes to U+FFFD.

export type ContainerFormat = 'none' | 'cri' | 'docker' | 'auto';

export const CONTAINER_FORMATS: readonly ContainerFormat[] = ['none', 'cri', 'docker', 'auto'];

export interface AssembledLine {
  line: string;
  /** Offset just past the newline of the line's LAST physical piece. */
  endOffset: number;
}

/** A logical line, null (a piece was held, or an oversize line skipped), or a fixed reject reason. */
export type AssembleResult = AssembledLine | { error: string } | null;

/** Reject reasons, stable strings counted by the pipeline. */
export const CONTAINER_ERRORS = {
  criBadLine: 'cri_bad_line',
  criBadTag: 'cri_bad_tag',
  dockerBadJson: 'docker_bad_json',
  dockerBadLine: 'docker_bad_line',
} as const;

interface Piece {
  stream: string;
  partial: boolean;
  content: string;
}

interface Group {
  /** Offset of the group's first byte: where a restart must resume while the group is open. */
  start: number;
  parts: string[];
  bytes: number;
  skipping: boolean;
}

const DOCKER_PREFIX = '{"log":';

export class ContainerLineAssembler {
  private lastEnd: number;
  private readonly groups = new Map<string, Group>();
  private oversizeLines = 0;

  /**
   * @param maxLineBytes cap on a reassembled line in UTF-8 bytes; longer lines are skipped and counted.
   * @param startOffset offset of the first physical line that will be pushed.
   */
  constructor(
    readonly format: ContainerFormat,
    private readonly maxLineBytes: number,
    startOffset = 0,
  ) {
    this.lastEnd = startOffset;
  }

  /** Offset just past the last physical line whose logical line was handed on (or dropped); never inside an open group. */
  get committedOffset(): number {
    let min = this.lastEnd;
    for (const g of this.groups.values()) if (g.start < min) min = g.start;
    return min;
  }

  /** Reassembled lines skipped for being over the cap, since construction. */
  get oversize(): number {
    return this.oversizeLines;
  }

  /** Open partial groups (one per stream at most). */
  get openGroups(): number {
    return this.groups.size;
  }

  /**
   * One physical line (newline removed) that ends at `endOffset`.
   * Returns the logical line it completes, null when it was a held piece or an oversize line, or
   * `{ error }` when it is not in the expected wrapper (the line is dropped, an open group is kept).
   */
  push(physical: string, endOffset: number): AssembleResult {
    const groupStart = this.lastEnd;
    this.lastEnd = endOffset;
    if (this.format === 'none') return this.whole(physical, endOffset);

    let piece: Piece | string;
    if (this.format === 'docker') piece = parseDocker(physical);
    else if (this.format === 'cri') piece = parseCri(physical);
    else if (physical.startsWith(DOCKER_PREFIX)) piece = parseDocker(physical);
    else if (looksCri(physical)) {
      piece = parseCri(physical);
      // auto: a line that only resembles CRI is a bare line.
      if (typeof piece === 'string') return this.whole(physical, endOffset);
    } else return this.whole(physical, endOffset);
    if (typeof piece === 'string') return { error: piece };

    let group = this.groups.get(piece.stream);
    if (piece.partial) {
      if (!group) {
        group = { start: groupStart, parts: [], bytes: 0, skipping: false };
        this.groups.set(piece.stream, group);
      }
      this.add(group, piece.content);
      return null;
    }
    if (!group) return this.whole(piece.content, endOffset);
    this.groups.delete(piece.stream);
    this.add(group, piece.content);
    if (group.skipping) {
      this.oversizeLines++;
      return null;
    }
    return { line: group.parts.join(''), endOffset };
  }

  /**
   * A physical line ending at `endOffset` was dropped before reaching us (over the splitter's cap).
   * Open groups stay open: the piece may belong to another stream, and a group missing a piece is
   * handed on as a damaged line the parser rejects, which is better than losing the group.
   */
  skip(endOffset: number): void {
    this.lastEnd = endOffset;
  }

  private whole(line: string, endOffset: number): AssembleResult {
    // A UTF-16 unit is at most 3 UTF-8 bytes: measure only lines that may be over the cap.
    if (line.length * 3 > this.maxLineBytes && Buffer.byteLength(line) > this.maxLineBytes) {
      this.oversizeLines++;
      return null;
    }
    return { line, endOffset };
  }

  private add(group: Group, content: string): void {
    if (group.skipping) return;
    group.bytes += Buffer.byteLength(content);
    if (group.bytes > this.maxLineBytes) {
      // Stop buffering; the rest of the group is swallowed and counted once when its F arrives.
      group.skipping = true;
      group.parts = [];
      return;
    }
    group.parts.push(content);
  }
}

/** Cheap check for the CRI shape `YYYY-MM-DDT...`, used by 'auto' before parsing. */
function looksCri(s: string): boolean {
  const c = s.charCodeAt(0);
  return c >= 48 && c <= 57 && s.charCodeAt(4) === 45 /* - */ && s.charCodeAt(10) === 84 /* T */;
}

// Equivalent pattern: /^(\S+) (stdout|stderr) ([PF])(?::\S*)?(?: (.*))?$/
function parseCri(s: string): Piece | string {
  const i1 = s.indexOf(' ');
  if (i1 <= 0 || !looksCri(s)) return CONTAINER_ERRORS.criBadLine;
  const i2 = s.indexOf(' ', i1 + 1);
  if (i2 === -1) return CONTAINER_ERRORS.criBadLine;
  const stream = s.slice(i1 + 1, i2);
  if (stream !== 'stdout' && stream !== 'stderr') return CONTAINER_ERRORS.criBadLine;
  const i3 = s.indexOf(' ', i2 + 1);
  const tags = i3 === -1 ? s.slice(i2 + 1) : s.slice(i2 + 1, i3);
  // Tags are ':'-separated; the first is P or F (the spec leaves room for more).
  const tag = tags.length === 1 ? tags : tags.split(':', 1)[0];
  if (tag !== 'P' && tag !== 'F') return CONTAINER_ERRORS.criBadTag;
  return { stream, partial: tag === 'P', content: i3 === -1 ? '' : s.slice(i3 + 1) };
}

function parseDocker(s: string): Piece | string {
  let o: unknown;
  try {
    o = JSON.parse(s);
  } catch {
    return CONTAINER_ERRORS.dockerBadJson;
  }
  if (typeof o !== 'object' || o === null) return CONTAINER_ERRORS.dockerBadLine;
  const { log, stream } = o as { log?: unknown; stream?: unknown };
  if (typeof log !== 'string') return CONTAINER_ERRORS.dockerBadLine;
  const partial = !log.endsWith('\n');
  let content = partial ? log : log.slice(0, -1);
  if (!partial && content.endsWith('\r')) content = content.slice(0, -1);
  return { stream: typeof stream === 'string' ? stream : 'stdout', partial, content };
}
