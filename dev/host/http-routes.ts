import type { HttpFunction } from '../../shared/runtime/define-function.ts';

/**
 * Route templates as Azure Functions reads them: `users/{id}/appointments`, optional `{id?}`,
 * constrained `{id:int}` (the constraint is not checked here), catch-all `{*path}`.
 * Matching ignores case, like the Functions host.
 */
export interface CompiledRoute {
  readonly fn: HttpFunction;
  readonly pattern: RegExp;
  readonly names: readonly string[];
  /** Literal routes win over templated ones, as in ASP.NET routing. */
  readonly literal: boolean;
}

export function compileRoute(fn: HttpFunction): CompiledRoute {
  const names: string[] = [];
  const segments = fn.route
    .replace(/^\/+|\/+$/g, '')
    .split('/')
    .map((segment) =>
      segment.replace(
        /\{(\*?)([A-Za-z_][\w]*)(?::[^}?]+)?(\??)\}|([^{]+)/g,
        (_all, star, name, optional, text) => {
          if (text !== undefined) return escapeRegExp(text);
          names.push(name);
          if (star === '*') return '(.*)';
          return optional === '?' ? '([^/]*)' : '([^/]+)';
        },
      ),
    );
  // An optional last segment may be left out together with its slash.
  let source = segments.join('/');
  source = source.replace(/\/\(\[\^\/\]\*\)$/, '(?:/([^/]*))?').replace(/\/\(\.\*\)$/, '(?:/(.*))?');
  return { fn, pattern: new RegExp(`^${source}/?$`, 'i'), names, literal: names.length === 0 };
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
    route.names.forEach((name, i) => {
      const value = match[i + 1];
      if (value !== undefined) params[name] = safeDecode(value);
    });
    return { fn: route.fn, params };
  }
  return null;
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
