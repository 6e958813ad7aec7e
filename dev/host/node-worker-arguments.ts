/**
 * V8's old-generation limit for the Node.js worker, in MB, chosen for the 512 MB Flex Consumption
 * instance (infra/main.bicep, instanceMemoryMB) that holds the Functions host and the worker
 * together. Without it V8 sizes its limit from the machine's memory; under a limit below 2 GB it
 * also lets the heap grow less between collections: in the Graph bench the calendar-sync worker
 * peaks at ~195 MB instead of ~310 MB, for ~15 % more CPU time (more collections).
 */
export const V8_HEAP_CAP_MB = 192;

/**
 * The worker's Node.js arguments, alike in Azure (app setting languageWorkers__node__arguments in
 * infra/app/function-app.bicep, which a test holds equal to this) and where the bench starts hosts.
 */
export const NODE_WORKER_ARGUMENTS = `--max-old-space-size=${V8_HEAP_CAP_MB}`;
