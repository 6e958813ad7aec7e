import azureFunctions from '@azure/functions';

/**
 * @azure/functions is CommonJS and Node's ESM loader does not see these classes as named
 * exports (`app` it does), so they are taken from the default export here.
 */
export const { HttpRequest, HttpResponse, InvocationContext } = azureFunctions;
