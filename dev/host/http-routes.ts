import type { HttpFunction } from '../../shared/runtime/define-function.ts';

/**
 * Route templates as Azure Functions reads them (ASP.NET routing): `users/{id}/appointments`,
 * optional `{id?}`, catch-all `{*path}`, and constraints `{id:int}`, `{page:regex(^admin$)}`,
 * `alpha`, `bool`, `guid`, `long`, `min(n)`, `max(n)`, `length(n)`, `minlength(n)`,
 * `maxlength(n)` (others are not checked). Matching ignores case, like the Functions host.
 */
export interface CompiledRoute {
  readonly fn: HttpFunction;
  readonly pattern: RegExp;
  readonly params: readonly { readonly name: string; readonly accepts: (value: string) => boolean }[];
  /** Literal routes win over templated ones, as in ASP.NET routing. */
  readonly literal: boolean;
}

export function compileRoute(fn: HttpFunction): CompiledRoute {
  const params: { name: string; accepts: (value: string) => boolean }[] = [];
  const segments = fn.route.replace(/^\/+|\/+$/g, '').split('/');
  let source = '';
  segments.forEach((segment, index) => {
    let part = '';
    let optionalWhole = false;
    for (const token of segment.split(/(\{[^}]*\})/)) {
      if (token === '') continue;
      if (!token.startsWith('{')) {
        part += escapeRegExp(token);
        continue;
      }
      let body = token.slice(1, -1);
      const catchAll = body.startsWith('*');
      if (catchAll) body = body.slice(1);
      const optional = body.endsWith('?');
      if (optional) body = body.slice(0, -1);
      const [name = '', ...constraints] = splitConstraints(body);
      params.push({ name, accepts: constraintCheck(constraints) });
      part += catchAll ? '(.*)' : optional ? '([^/]*)' : '([^/]+)';
      optionalWhole = (optional || catchAll) && segment === token;
    }
    const slash = index === 0 ? '' : '/';
    // An optional last segment may be left out together with its slash.
    source += optionalWhole && index === segments.length - 1 ? `(?:${slash}${part})?` : `${slash}${part}`;
  });
  return { fn, pattern: new RegExp(`^${source}/?$`, 'i'), params, literal: params.length === 0 };
}

export interface RouteMatch {
  readonly fn: HttpFunction;
  readonly params: Record<string, string>;
}

/** The function for `path` (below the route prefix) and `method`, or null (404, as Azure answers). */
export function matchRoute(
  routes: readonly CompiledRoute[],
  path: string,
  method: string,
): RouteMatch | null {
  const ordered = [...routes].sort((a, b) => Number(b.literal) - Number(a.literal));
  for (const route of ordered) {
    if (!route.fn.methods.some((m) => m.toUpperCase() === method.toUpperCase())) continue;
    const match = route.pattern.exec(path);
    if (match === null) continue;
    const params: Record<string, string> = {};
    let accepted = true;
    route.params.forEach(({ name, accepts }, i) => {
      const value = match[i + 1];
      if (value === undefined || value === '') return;
      const decoded = safeDecode(value);
      if (!accepts(decoded)) accepted = false;
      params[name] = decoded;
    });
    if (accepted) return { fn: route.fn, params };
  }
  return null;
}

/** `id:int:min(1)` → ['id', 'int', 'min(1)'], keeping colons inside parentheses. */
function splitConstraints(body: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of body) {
    if (char === '(') depth++;
    if (char === ')') depth--;
    if (char === ':' && depth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  parts.push(current);
  return parts;
}

function constraintCheck(constraints: readonly string[]): (value: string) => boolean {
  const checks = constraints.map((constraint): ((value: string) => boolean) => {
    const call = /^(\w+)(?:\((.*)\))?$/s.exec(constraint);
    const kind = call?.[1]?.toLowerCase() ?? '';
    const arg = call?.[2] ?? '';
    const n = Number(arg);
    switch (kind) {
      case 'regex':
        return (v) => new RegExp(arg, 'i').test(v);
      case 'int':
      case 'long':
        return (v) => /^-?\d+$/.test(v);
      case 'alpha':
        return (v) => /^[a-z]+$/i.test(v);
      case 'bool':
        return (v) => /^(true|false)$/i.test(v);
      case 'guid':
        return (v) => /^\{?[0-9a-f]{8}-?([0-9a-f]{4}-?){3}[0-9a-f]{12}\}?$/i.test(v);
      case 'min':
        return (v) => Number(v) >= n;
      case 'max':
        return (v) => Number(v) <= n;
      case 'length':
        return (v) => v.length === n;
      case 'minlength':
        return (v) => v.length >= n;
      case 'maxlength':
        return (v) => v.length <= n;
      default:
        return () => true;
    }
  });
  return (value) => checks.every((check) => check(value));
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
