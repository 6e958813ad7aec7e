/**
 * Puts the App Service managed-identity endpoint in the environment, where @azure/identity
 * reads it, as App Service and Functions do; the returned function puts back what was there.
 */
export function useIdentityEndpoint(identity: {
  readonly endpoint: string;
  readonly header: string;
}): () => void {
  const saved = {
    IDENTITY_ENDPOINT: process.env.IDENTITY_ENDPOINT,
    IDENTITY_HEADER: process.env.IDENTITY_HEADER,
  };
  process.env.IDENTITY_ENDPOINT = identity.endpoint;
  process.env.IDENTITY_HEADER = identity.header;
  return () => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}
