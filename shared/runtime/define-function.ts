import {
  app,
  type HttpHandler,
  type HttpMethod,
  type InvocationContext,
  type Timer,
  type TimerHandler,
} from '@azure/functions';

/**
 * Each function is defined once. `defineHttp`/`defineTimer`/`defineQueue` register it with the
 * Azure Functions runtime (outside the runtime @azure/functions skips registration) and record
 * the same definition for the local host in dev/, which serves it with the library's own
 * HttpRequest, HttpResponse and InvocationContext.
 */
export interface HttpFunction {
  readonly kind: 'http';
  readonly name: string;
  /** Route under /api, e.g. 'notifications/graph' or 'users/{id}/appointments'. */
  readonly route: string;
  readonly methods: readonly HttpMethod[];
  readonly handler: HttpHandler;
}

export interface TimerFunction {
  readonly kind: 'timer';
  readonly name: string;
  /** NCRONTAB, six fields (seconds first), or `%SETTING%` to read it from a setting. */
  readonly schedule: string;
  readonly runOnStartup: boolean;
  readonly handler: TimerHandler;
}

export interface QueueFunction {
  readonly kind: 'queue';
  readonly name: string;
  readonly queueName: string;
  /** The message, decoded from base64 and parsed as JSON when it is JSON; still `unknown`. */
  readonly handler: (message: unknown, context: InvocationContext) => Promise<void>;
}

export type FunctionDefinition = HttpFunction | TimerFunction | QueueFunction;

const definitions: FunctionDefinition[] = [];

/** Every function defined so far, in definition order (read by the local host). */
export function definedFunctions(): readonly FunctionDefinition[] {
  return definitions;
}

export function defineHttp(definition: Omit<HttpFunction, 'kind'>): HttpFunction {
  const fn: HttpFunction = { kind: 'http', ...definition };
  definitions.push(fn);
  app.http(fn.name, {
    route: fn.route,
    methods: [...fn.methods],
    authLevel: 'anonymous',
    handler: fn.handler,
  });
  return fn;
}

export function defineTimer(definition: Omit<TimerFunction, 'kind'>): TimerFunction {
  const fn: TimerFunction = { kind: 'timer', ...definition };
  definitions.push(fn);
  app.timer(fn.name, { schedule: fn.schedule, runOnStartup: fn.runOnStartup, handler: fn.handler });
  return fn;
}

export function defineQueue(definition: Omit<QueueFunction, 'kind'>): QueueFunction {
  const fn: QueueFunction = { kind: 'queue', ...definition };
  definitions.push(fn);
  app.storageQueue(fn.name, {
    queueName: fn.queueName,
    connection: 'AzureWebJobsStorage',
    handler: fn.handler,
  });
  return fn;
}

export type { Timer };
