/**
 * Just enough of Bicep to check our templates without the Bicep CLI: comments stripped (not
 * inside strings), top-level `param`/`var`/`output`/`resource`/`module` declarations with their
 * decorators and full text, object keys, string literals.
 */

export interface Declaration {
  readonly kind: 'param' | 'var' | 'output' | 'resource' | 'module' | 'func';
  readonly name: string;
  /** Everything after the name: type, `=`, value; several lines for objects and arrays. */
  readonly body: string;
  /** Decorators written above it, e.g. `@secure()`, `@allowed([...])`. */
  readonly decorators: readonly string[];
}

export interface BicepFile {
  readonly path: string;
  /** The source without comments (strings untouched, line breaks kept). */
  readonly code: string;
  readonly declarations: readonly Declaration[];
}

/** Removes `//` and `/* *\/` comments, leaving string literals (single-quoted and `'''` multi-line) alone. */
export function stripComments(source: string): string {
  let out = '';
  let i = 0;
  while (i < source.length) {
    if (source.startsWith("'''", i)) {
      const end = source.indexOf("'''", i + 3);
      const stop = end === -1 ? source.length : end + 3;
      out += source.slice(i, stop);
      i = stop;
    } else if (source[i] === "'") {
      let j = i + 1;
      while (j < source.length && source[j] !== "'" && source[j] !== '\n') j += source[j] === '\\' ? 2 : 1;
      out += source.slice(i, j + 1);
      i = j + 1;
    } else if (source.startsWith('//', i)) {
      while (i < source.length && source[i] !== '\n') i++;
    } else if (source.startsWith('/*', i)) {
      const end = source.indexOf('*/', i + 2);
      const stop = end === -1 ? source.length : end + 2;
      // Keep the line count, so problems can still be found by eye.
      out += source.slice(i, stop).replace(/[^\n]/g, '');
      i = stop;
    } else {
      out += source[i];
      i++;
    }
  }
  return out;
}

const DECLARATION = /^(param|var|output|resource|module|func)\s+([A-Za-z_][A-Za-z0-9_]*)\b(.*)$/;

/** Top-level declarations: a line starting at column 0 with a keyword, up to the next such line. */
export function parseBicep(path: string, source: string): BicepFile {
  const code = stripComments(source);
  const lines = code.split('\n');
  const declarations: Declaration[] = [];
  let decorators: string[] = [];
  let current: { kind: Declaration['kind']; name: string; body: string[]; decorators: string[] } | null =
    null;
  const close = (): void => {
    if (current !== null) {
      declarations.push({
        kind: current.kind,
        name: current.name,
        body: current.body.join('\n').trim(),
        decorators: current.decorators,
      });
    }
    current = null;
  };
  for (const line of lines) {
    const match = DECLARATION.exec(line);
    if (match !== null) {
      close();
      const [, kind, name, rest] = match;
      current = {
        kind: kind as Declaration['kind'],
        name: name ?? '',
        body: [rest ?? ''],
        decorators,
      };
      decorators = [];
    } else if (/^@/.test(line)) {
      close();
      decorators.push(line.trim());
    } else if (/^\S/.test(line) && current === null && decorators.length > 0) {
      // A decorator's argument continued on the next line.
      decorators[decorators.length - 1] += ` ${line.trim()}`;
    } else if (/^targetScope\b/.test(line)) {
      close();
    } else if (current !== null) {
      current.body.push(line);
    } else if (decorators.length > 0 && line.trim() !== '') {
      decorators[decorators.length - 1] += ` ${line.trim()}`;
    }
  }
  close();
  return { path, code, declarations };
}

/** Keys of object literals in `text` (`name:` or `'name':` at the start of a line), in order. */
export function objectKeys(text: string): string[] {
  const keys: string[] = [];
  for (const match of text.matchAll(/^\s*(?:'([^']+)'|([A-Za-z_][A-Za-z0-9_]*))\s*:/gm)) {
    keys.push(match[1] ?? match[2] ?? '');
  }
  return keys;
}

/** `key: value` pairs at any depth, value = the rest of the line. */
export function objectEntries(text: string): Array<readonly [string, string]> {
  const entries: Array<readonly [string, string]> = [];
  for (const match of text.matchAll(/^\s*(?:'([^']+)'|([A-Za-z_][A-Za-z0-9_]*))\s*:\s*(.*)$/gm)) {
    entries.push([match[1] ?? match[2] ?? '', (match[3] ?? '').trim()]);
  }
  return entries;
}

/** Contents of single-quoted string literals (interpolations kept as written). */
export function stringLiterals(code: string): string[] {
  const literals: string[] = [];
  for (const match of code.matchAll(/'''([\s\S]*?)'''|'((?:[^'\\\n]|\\.)*)'/g)) {
    literals.push(match[1] ?? match[2] ?? '');
  }
  return literals;
}

/** The balanced `{...}` block that follows the first match of `start` in `text`, or null. */
export function blockAfter(text: string, start: RegExp): string | null {
  const match = start.exec(text);
  if (match === null) return null;
  const open = text.indexOf('{', match.index + match[0].length - 1);
  if (open === -1) return null;
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}') {
      depth--;
      if (depth === 0) return text.slice(open, i + 1);
    }
  }
  return null;
}

export function isSecure(declaration: Declaration): boolean {
  return declaration.decorators.some((d) => /^@(sys\.)?secure\(\)/.test(d));
}

export function hasDefault(declaration: Declaration): boolean {
  return /=/.test(declaration.body.split('\n')[0] ?? '');
}
