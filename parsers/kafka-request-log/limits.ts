// Caps of the request-log parser's error walk, shared by parse.ts (the JSON.parse path) and scan.ts
// (the scanner path), which must apply them identically.

import type { ResponseError } from '../../src/events.js';
import { errorName } from '../../src/kafka/error-codes.js';

/** Zero (`NONE`) codes are listed only while the error list is shorter than this. */
export const MAX_ZERO_ERRORS = 20;
/** At most this many non-zero codes are listed; `failed` still reflects all of them. */
export const MAX_ERRORS = 100;
/** The error walk stops after this many JSON nodes or this depth (huge Metadata responses). */
export const MAX_WALK_NODES = 20_000;
export const MAX_WALK_DEPTH = 10;

/** An event's error list, fed codes in walk order, with the caps above applied the same way on both paths. */
export class ErrorList {
  readonly items: ResponseError[] = [];
  /** Any non-zero code, even past the caps. */
  failed = false;
  private nonZero = 0;

  add(resource: string, code: number): void {
    if (code !== 0) {
      this.failed = true;
      if (this.nonZero < MAX_ERRORS) {
        this.items.push({ code, name: errorName(code), resource });
        this.nonZero++;
      }
    } else if (this.items.length < MAX_ZERO_ERRORS) {
      this.items.push({ code, name: errorName(code), resource });
    }
  }
}
