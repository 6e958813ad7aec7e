import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { Secret } from '../config/secret.ts';
import { AppError } from '../errors.ts';
import {
  isWritableSecret,
  type SecretVault,
  type StoredSecretInfo,
  type WritableSecretName,
} from './secret-vault.ts';

const fileSchema = z.record(z.string(), z.object({ value: z.string(), updatedAt: z.number().int() }));

/**
 * The local vault: one JSON file (git-ignored, under .dev-data/), readable by its owner only,
 * replaced atomically on every write. Good for a laptop; in Azure use Key Vault.
 */
export function createFileSecretVault(path: string, now: () => number = Date.now): SecretVault {
  let queue: Promise<unknown> = Promise.resolve();
  // Writes are serialised so two PUTs never lose each other's secret.
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work, work);
    queue = next.catch(() => undefined);
    return next;
  };

  const load = async (): Promise<z.infer<typeof fileSchema>> => {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return {};
      throw new AppError('storage.unavailable', 'The local secrets file cannot be read', { cause: error });
    }
    const parsed = fileSchema.safeParse(safeJson(text));
    if (!parsed.success) throw new AppError('config.invalid', 'The local secrets file is malformed');
    return parsed.data;
  };

  const save = async (data: z.infer<typeof fileSchema>): Promise<void> => {
    await mkdir(dirname(path), { recursive: true });
    const temporary = `${path}.${process.pid}.tmp`;
    await writeFile(temporary, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
    await rename(temporary, path);
  };

  return {
    kind: 'file',
    async readAll() {
      const data = await load();
      const secrets = new Map<WritableSecretName, Secret>();
      for (const [name, entry] of Object.entries(data)) {
        if (isWritableSecret(name)) secrets.set(name, new Secret(entry.value));
      }
      return secrets;
    },
    async describe() {
      const data = await load();
      const info = new Map<WritableSecretName, StoredSecretInfo>();
      for (const [name, entry] of Object.entries(data)) {
        if (isWritableSecret(name)) info.set(name, { updatedAt: entry.updatedAt, expiresAt: null });
      }
      return info;
    },
    set: (name, value) =>
      serial(async () => {
        const data = await load();
        await save({ ...data, [name]: { value: value.reveal(), updatedAt: now() } });
      }),
    delete: (name) =>
      serial(async () => {
        const { [name]: _removed, ...rest } = await load();
        await save(rest);
      }),
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
