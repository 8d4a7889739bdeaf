// Caps of the request-log parser's error walk, shared by parse.ts (the JSON.parse path) and scan.ts
// (the scanner path), which must apply them identically.

/** Zero (`NONE`) codes are listed only while the error list is shorter than this. */
export const MAX_ZERO_ERRORS = 20;
/** At most this many non-zero codes are listed; `failed` still reflects all of them. */
export const MAX_ERRORS = 100;
/** The error walk stops after this many JSON nodes or this depth (huge Metadata responses). */
export const MAX_WALK_NODES = 20_000;
export const MAX_WALK_DEPTH = 10;
