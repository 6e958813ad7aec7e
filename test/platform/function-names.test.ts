import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { FunctionDefinition } from '../../shared/runtime/define-function.ts';

const folder = join(import.meta.dirname, '..', '..', 'functions');
function isDefinition(value: unknown): value is FunctionDefinition {
  return (
    typeof value === 'object' &&
    value !== null &&
    'name' in value &&
    typeof value.name === 'string' &&
    'kind' in value &&
    (value.kind === 'http' || value.kind === 'queue' || value.kind === 'timer')
  );
}

const TRIGGER_OF_KIND = { http: 'http', queue: 'queue', timer: 'timer' } as const;

describe('functions/: one entry point per file, named <job>-<trigger>', () => {
  for (const file of readdirSync(folder).filter((name) => name.endsWith('.ts'))) {
    it(`${file} exports one named definition called after its file and its trigger`, async () => {
      const module: Record<string, unknown> = await import(join(folder, file));
      const exported = Object.entries(module);
      assert.equal(exported.length, 1, 'one export');
      const [[exportName, value] = ['', null]] = exported;
      assert.notEqual(exportName, 'default', 'a named export');
      assert.ok(isDefinition(value), 'a function definition');
      assert.equal(value.name, file.replace(/\.ts$/, ''));
      assert.ok(value.name.endsWith(`-${TRIGGER_OF_KIND[value.kind]}`), value.name);
    });
  }
});
