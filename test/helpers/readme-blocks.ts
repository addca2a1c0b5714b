/**
 * The README's shell blocks, cut into the commands a reader would type, each with what the README
 * says it prints. The convention (docs in README.md, "The README is a test"): a comment line
 * `# → <claim>` (or `# -> <claim>`) right after a command is what that command prints; a claim
 * continues on the next comment lines indented by two or more spaces (`#     ...`). A command
 * that prints several values (`jq '.x[]'`) gets one `# →` line per value, in order.
 */

export interface Command {
  /** The command text as written (continuation lines and multi-line quotes included). */
  text: string;
  /** 1-based line in README.md where the command starts. */
  line: number;
  /** What the README says it prints, one entry per printed value or line. */
  claims: string[];
}

export interface ShellBlock {
  /** 1-based line of the opening fence. */
  line: number;
  /** The nearest `#`/`##`/`###` heading above the block. */
  heading: string;
  /** The block's first non-comment line, trimmed: how the skip list names a block. */
  firstCommand: string;
  source: string;
  commands: Command[];
}

const SHELL_FENCE = /^(\s*)```(sh|bash|shell|console)\s*$/;
const CLAIM = /^#\s*(?:→|->)\s?(.*)$/;
const CLAIM_CONTINUATION = /^#\s{2,}(.*)$/;

/** Every ```sh / ```bash block of a markdown text, in order. */
export function shellBlocks(markdown: string): ShellBlock[] {
  const lines = markdown.split('\n');
  const blocks: ShellBlock[] = [];
  let heading = '';
  for (let i = 0; i < lines.length; i++) {
    const h = /^#{1,4}\s+(.*)$/.exec(lines[i]!);
    if (h) heading = h[1]!.trim();
    const fence = SHELL_FENCE.exec(lines[i]!);
    if (!fence) continue;
    const indent = fence[1]!.length;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !/^\s*```\s*$/.test(lines[j]!); j++) body.push(lines[j]!.slice(indent));
    const source = body.join('\n');
    const firstCommand = body.map((l) => l.trim()).find((l) => l !== '' && !l.startsWith('#')) ?? '';
    blocks.push({ line: i + 1, heading, firstCommand, source, commands: commands(source, i + 2) });
    i = j;
  }
  return blocks;
}

/** Where a command's logical line ends: outside quotes, not after a backslash, comments skipped. */
function endsCommand(line: string, state: { quote: '' | "'" | '"' }): boolean {
  let continued = false;
  for (let k = 0; k < line.length; k++) {
    const c = line[k]!;
    continued = false;
    if (state.quote === "'") {
      if (c === "'") state.quote = '';
    } else if (state.quote === '"') {
      if (c === '\\') k++;
      else if (c === '"') state.quote = '';
    } else if (c === '\\') {
      if (k === line.length - 1) continued = true;
      k++;
    } else if (c === "'" || c === '"') {
      state.quote = c;
    } else if (c === '#' && (k === 0 || /\s/.test(line[k - 1]!))) {
      break; // a comment to the end of the line
    }
  }
  return state.quote === '' && !continued;
}

/** Splits a block into commands and attaches the `# →` claims that follow each. */
export function commands(source: string, firstLine = 1): Command[] {
  const lines = source.split('\n');
  const out: Command[] = [];
  let current: Command | undefined;
  const state = { quote: '' as '' | "'" | '"' };
  let lastClaimOpen = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (current === undefined) {
      const trimmed = line.trim();
      const claim = CLAIM.exec(trimmed);
      const prev = out[out.length - 1];
      if (claim && prev) {
        prev.claims.push(claim[1]!.trim());
        lastClaimOpen = true;
        continue;
      }
      const more = CLAIM_CONTINUATION.exec(line.trimStart());
      if (more && lastClaimOpen && prev) {
        prev.claims[prev.claims.length - 1] += more[1]!.trim();
        continue;
      }
      lastClaimOpen = false;
      if (trimmed === '' || trimmed.startsWith('#')) continue;
      current = { text: line, line: firstLine + i, claims: [] };
    } else {
      current.text += '\n' + line;
    }
    if (endsCommand(line, state)) {
      out.push(current);
      current = undefined;
    }
  }
  if (current) throw new Error(`README line ${current.line}: a command never ends (an unclosed quote or a trailing backslash)`);
  return out;
}
