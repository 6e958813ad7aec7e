import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { AdminDeps } from '../admin/admin-deps.ts';
import { adminHandler } from '../admin/admin-http.ts';
import { defineHttp, type HttpFunction } from '../runtime/define-function.ts';
import { getServices } from './services.ts';
import { wireAdmin } from './wire-admin.ts';

export interface AdminHttpDefinition {
  readonly name: string;
  readonly route: string;
  readonly methods: HttpFunction['methods'];
  readonly handle: (
    request: HttpRequest,
    admin: AdminDeps,
    context: InvocationContext,
  ) => Promise<HttpResponseInit>;
}

/** An admin API route (SPEC §5): the key checked first, the admin use cases wired to the process's services. */
export function defineAdminHttp(definition: AdminHttpDefinition): HttpFunction {
  return defineHttp({
    name: definition.name,
    route: definition.route,
    methods: definition.methods,
    handler: adminHandler(async () => wireAdmin(getServices()), definition.handle),
  });
}
