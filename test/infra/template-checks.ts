import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { TABLES } from '../../shared/app/services.ts';
import {
  CREDENTIAL_SETTINGS,
  SETTING_NAMES,
  type SettingName,
  settingRow,
} from '../../shared/config/setting-table.ts';
import { QUEUES } from '../../shared/queues/messages.ts';
import {
  type BicepFile,
  blockAfter,
  type Declaration,
  hasDefault,
  isSecure,
  objectEntries,
  parseBicep,
  stringLiterals,
} from './bicep-reader.ts';

/**
 * What `azd up` needs from infra/ and azure.yaml, checked by reading the files: every problem
 * found, in words (an empty list means the templates are fine).
 */

/** Settings the app reads that are not deployment parameters but derived from what is deployed. */
const DERIVED: ReadonlySet<SettingName> = new Set(
  SETTING_NAMES.filter((name) => settingRow(name).infra === 'derived'),
);
/** Only the local host reads these. */
const LOCAL_ONLY: ReadonlySet<SettingName> = new Set(
  SETTING_NAMES.filter((name) => settingRow(name).infra === 'local'),
);
/** Secrets: a @secure() parameter, kept in Key Vault, referenced from the app setting. */
export const SECRET_SETTINGS: readonly SettingName[] = CREDENTIAL_SETTINGS;
/** Settings the host itself needs in Azure, beyond SPEC §7. */
const HOST_SETTINGS = [
  'AzureWebJobsStorage__accountName',
  'AzureWebJobsStorage__credential',
  'AzureWebJobsStorage__clientId',
  'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
];
/** Flex Consumption rejects these as app settings (the runtime is set in functionAppConfig). */
const NOT_ON_FLEX = [
  'FUNCTIONS_WORKER_RUNTIME',
  'FUNCTIONS_EXTENSION_VERSION',
  'WEBSITE_NODE_DEFAULT_VERSION',
  'WEBSITE_RUN_FROM_PACKAGE',
  'WEBSITE_CONTENTAZUREFILECONNECTIONSTRING',
  'WEBSITE_CONTENTSHARE',
  'AzureWebJobsStorage',
];
const ROLES = {
  'Storage Blob Data Owner': 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
  'Storage Queue Data Contributor': '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
  'Storage Table Data Contributor': '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
  'Key Vault Secrets User': '4633458b-17de-408a-b874-0445c86b69e6',
  'Monitoring Metrics Publisher': '3913510d-42f4-4e42-8a64-420c390055eb',
};
/** Literals that are credentials, whatever they are called. */
const CREDENTIAL_LITERALS: ReadonlyArray<readonly [RegExp, string]> = [
  [/AccountKey=/i, 'a storage account key'],
  [/SharedAccessSignature=|[?&]sig=/i, 'a shared access signature'],
  [/InstrumentationKey=[0-9a-f-]{8,}/i, 'an instrumentation key'],
  [/^Bearer\s+\S/i, 'a bearer token'],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----/, 'a private key'],
  [/^[A-Za-z0-9+/]{32,}={0,2}$/, 'a key-like base64 value'],
];
const SECRET_NAME = /secret|password|apikey|api_key|privatekey|connectionstring|accountkey|token/i;

export function camelCase(setting: string): string {
  return setting.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

export function readTemplates(root: string): BicepFile[] {
  const files: BicepFile[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.bicep')) {
        files.push(parseBicep(relative(root, path), readFileSync(path, 'utf8')));
      }
    }
  };
  walk(join(root, 'infra'));
  return files;
}

/** App settings written anywhere in the templates: `appsettings` config resources and `*Settings` variables. */
export function appSettingEntries(files: readonly BicepFile[]): Map<string, string> {
  const settings = new Map<string, string>();
  for (const file of files) {
    const blocks: string[] = [];
    for (const d of file.declarations) {
      if (d.kind === 'var' && /settings$/i.test(d.name)) blocks.push(d.body);
      if (d.kind === 'resource') {
        const config = blockAfter(d.body, /name:\s*'appsettings'/);
        if (config !== null) blocks.push(config);
        const union = /properties:\s*union\(([\s\S]*)$/.exec(d.body.slice(d.body.indexOf("'appsettings'")));
        if (d.body.includes("'appsettings'") && union?.[1] !== undefined) blocks.push(union[1]);
      }
    }
    for (const block of blocks) {
      for (const [key, value] of objectEntries(block)) {
        if (key !== 'properties' && key !== 'name') settings.set(key, value);
      }
    }
  }
  return settings;
}

export function checkTemplates(root: string): string[] {
  const problems: string[] = [];
  const files = readTemplates(root);
  const main = files.find((f) => f.path === join('infra', 'main.bicep'));
  if (main === undefined) return ['infra/main.bicep is missing'];
  const params = new Map(main.declarations.filter((d) => d.kind === 'param').map((d) => [d.name, d]));
  const settings = appSettingEntries(files);
  const allParams = files.flatMap((f) =>
    f.declarations.filter((d) => d.kind === 'param').map((d) => ({ file: f, d })),
  );
  const secureParams = new Set(allParams.filter(({ d }) => isSecure(d)).map(({ d }) => d.name));

  // Every setting the app reads is written, and every SPEC §7 setting is a parameter.
  for (const name of SETTING_NAMES) {
    if (LOCAL_ONLY.has(name)) continue;
    if (!settings.has(name)) problems.push(`app setting ${name} is missing`);
    if (!DERIVED.has(name) && !params.has(camelCase(name))) {
      problems.push(`main.bicep has no parameter ${camelCase(name)} for ${name}`);
    }
  }
  for (const name of HOST_SETTINGS) {
    if (!settings.has(name)) problems.push(`app setting ${name} is missing`);
  }
  if (!/'managedidentity'/.test(settings.get('AzureWebJobsStorage__credential') ?? '')) {
    problems.push("AzureWebJobsStorage__credential must be 'managedidentity'");
  }
  for (const name of NOT_ON_FLEX) {
    if (settings.has(name)) problems.push(`app setting ${name} must not be set on Flex Consumption`);
  }

  // Secrets: secure parameters, stored in Key Vault, referenced; never a literal, never an output.
  for (const name of SECRET_SETTINGS) {
    const param = params.get(camelCase(name));
    if (param !== undefined && !isSecure(param)) problems.push(`parameter ${param.name} must be @secure()`);
    const value = settings.get(name) ?? '';
    if (settings.has(name) && !/secretReference\(|@Microsoft\.KeyVault\(/.test(value)) {
      problems.push(`app setting ${name} must be a Key Vault reference`);
    }
  }
  for (const { file, d } of allParams) {
    const holdsText = /^\s*(string|object)\b/.test(d.body);
    if (holdsText && SECRET_NAME.test(d.name) && !isSecure(d) && !/Name$|Path$|Uri$|Url$/.test(d.name)) {
      problems.push(`${file.path}: parameter ${d.name} looks secret but is not @secure()`);
    }
    if (isSecure(d) && hasDefault(d) && !/=\s*(''|\{\})\s*$/.test(d.body.split('\n')[0] ?? '')) {
      problems.push(`${file.path}: secure parameter ${d.name} has a default value`);
    }
  }
  for (const file of files) {
    for (const literal of stringLiterals(file.code)) {
      for (const [pattern, what] of CREDENTIAL_LITERALS) {
        if (pattern.test(literal)) problems.push(`${file.path}: a literal holds ${what}`);
      }
    }
    if (/\blistKeys\(|\.listKeys\(|listConnectionStrings\(/.test(file.code)) {
      problems.push(`${file.path}: reads account keys (listKeys)`);
    }
    for (const d of file.declarations.filter((x) => x.kind === 'output')) {
      if (SECRET_NAME.test(d.name) || /@secure\(\)/.test(d.decorators.join(' '))) {
        problems.push(`${file.path}: output ${d.name} exposes a secret`);
      }
      const value = d.body.slice(d.body.indexOf('=') + 1);
      for (const secret of secureParams) {
        if (new RegExp(`\\b${secret}\\b`).test(value)) {
          problems.push(`${file.path}: output ${d.name} exposes secure parameter ${secret}`);
        }
      }
      if (/ConnectionString|InstrumentationKey|listKeys|secrets\./i.test(value)) {
        problems.push(`${file.path}: output ${d.name} exposes a connection string or key`);
      }
    }
  }

  // Storage: identity only.
  const storageAccounts = files.flatMap((f) =>
    f.declarations
      .filter((d) => d.kind === 'resource' && /'Microsoft\.Storage\/storageAccounts@/.test(d.body))
      .filter((d) => !/\bexisting\b/.test(d.body.split('\n')[0] ?? ''))
      .map((d) => ({ file: f, d })),
  );
  if (storageAccounts.length === 0) problems.push('no storage account is declared');
  for (const { file, d } of storageAccounts) {
    if (!/allowSharedKeyAccess:\s*false\b/.test(d.body)) {
      problems.push(`${file.path}: storage account ${d.name} must set allowSharedKeyAccess: false`);
    }
    if (!/allowBlobPublicAccess:\s*false\b/.test(d.body)) {
      problems.push(`${file.path}: storage account ${d.name} must set allowBlobPublicAccess: false`);
    }
  }
  const allCode = files.map((f) => f.code).join('\n');
  if (/allowSharedKeyAccess:\s*(true|!)/.test(allCode))
    problems.push('shared key access is enabled somewhere');

  // Flex Consumption, Node 22, package from blob with the identity.
  if (!/name:\s*'FC1'/.test(allCode) || !/tier:\s*'FlexConsumption'/.test(allCode)) {
    problems.push('the plan is not Flex Consumption (FC1)');
  }
  const runtime = blockAfter(allCode, /runtime:\s*\{/) ?? '';
  if (!/name:\s*'node'/.test(runtime) || !/version:\s*'22'/.test(runtime)) {
    problems.push("functionAppConfig.runtime must be node '22'");
  }
  const deployment = blockAfter(allCode, /deployment:\s*\{/) ?? '';
  if (!/type:\s*'blobContainer'/.test(deployment) || !/type:\s*'UserAssignedIdentity'/.test(deployment)) {
    problems.push('the deployment package must come from a blob container, with the user-assigned identity');
  }
  if (!/keyVaultReferenceIdentity:/.test(allCode)) {
    problems.push('keyVaultReferenceIdentity is not set: Key Vault references would use a missing identity');
  }
  if (!/alwaysReady:/.test(allCode)) problems.push('no always-ready configuration (delayed transitions)');

  // Queues the app uses exist, with their poison twins.
  for (const queue of Object.values(QUEUES)) {
    if (!main.code.includes(`'${queue}'`)) problems.push(`queue ${queue} is not created`);
  }
  if (!/-poison/.test(allCode)) problems.push('poison queues are not created');
  for (const table of Object.values(TABLES)) {
    if (!main.code.includes(`'${table}'`)) problems.push(`table ${table} is not created`);
  }
  if (!/enableRbacAuthorization:\s*true/.test(allCode))
    problems.push('Key Vault must use RBAC authorization');
  if (!/DisableLocalAuth:\s*true/.test(allCode)) problems.push('Application Insights local auth is enabled');
  if (!/WorkspaceResourceId:/.test(allCode)) problems.push('Application Insights is not workspace-based');
  for (const [role, id] of Object.entries(ROLES)) {
    if (!allCode.includes(id)) problems.push(`role ${role} is not assigned`);
  }
  if (/'8e3af657-a8ff-443c-a75c-2fe8c4bcb635'|'b24988ac-6180-42a0-ab88-20f7382dd24c'/.test(allCode)) {
    problems.push('Owner or Contributor is assigned: not least privilege');
  }

  problems.push(...checkModules(root, files), ...checkAzd(root, main));
  return problems;
}

function checkModules(root: string, files: readonly BicepFile[]): string[] {
  const problems: string[] = [];
  for (const file of files) {
    for (const d of file.declarations.filter((x) => x.kind === 'module')) {
      const path = /^\s*'([^']+\.bicep)'/.exec(d.body)?.[1];
      if (path !== undefined && !existsSync(join(root, dirname(file.path), path))) {
        problems.push(`${file.path}: module ${d.name} points to missing ${path}`);
      }
    }
  }
  return problems;
}

function checkAzd(root: string, main: BicepFile): string[] {
  const problems: string[] = [];
  const yamlPath = join(root, 'azure.yaml');
  const yaml = existsSync(yamlPath) ? readFileSync(yamlPath, 'utf8') : '';
  if (yaml === '') problems.push('azure.yaml is missing');
  for (const [line, what] of [
    [/^\s{2}api:\s*$/m, 'service api'],
    [/^\s+host:\s*function\s*$/m, 'host: function'],
    [/^\s+language:\s*ts\s*$/m, 'language: ts'],
    [/^\s+dist:\s*dist\s*$/m, 'dist: dist'],
    [/^\s{2}postprovision:\s*$/m, 'a postprovision hook'],
    [
      /^\s+run:\s*npm run --silent grant-graph-permissions\s*$/m,
      'the Graph permission grant after provisioning',
    ],
  ] as const) {
    if (!line.test(yaml)) problems.push(`azure.yaml lacks ${what}`);
  }
  const parametersPath = join(root, 'infra', 'main.parameters.json');
  const parameters: unknown = existsSync(parametersPath)
    ? JSON.parse(readFileSync(parametersPath, 'utf8'))
    : null;
  const given =
    typeof parameters === 'object' &&
    parameters !== null &&
    'parameters' in parameters &&
    typeof parameters.parameters === 'object' &&
    parameters.parameters !== null
      ? Object.keys(parameters.parameters)
      : null;
  if (given === null) return [...problems, 'infra/main.parameters.json is missing or has no parameters'];
  const declared = new Map(main.declarations.filter((d) => d.kind === 'param').map((d) => [d.name, d]));
  for (const name of given) {
    const param = declared.get(name);
    if (param === undefined) problems.push(`main.parameters.json sets unknown parameter ${name}`);
    const entry: unknown = (parameters as { parameters: Record<string, unknown> }).parameters[name];
    const value = typeof entry === 'object' && entry !== null && 'value' in entry ? entry.value : undefined;
    if (
      param !== undefined &&
      isSecure(param) &&
      !(typeof value === 'string' && /^\$\{[A-Z0-9_]+\}$/.test(value))
    ) {
      problems.push(
        `main.parameters.json gives secure parameter ${name} a literal, not an environment value`,
      );
    }
  }
  for (const d of declared.values()) {
    if (!hasDefault(d) && !given.includes(d.name) && !isGenerated(d)) {
      problems.push(`required parameter ${d.name} is neither in main.parameters.json nor generated by azd`);
    }
  }
  return problems;
}

function isGenerated(d: Declaration): boolean {
  return d.decorators.some((x) => /azd:\s*\{\s*type:\s*'generate'/.test(x));
}
