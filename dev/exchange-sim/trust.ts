import tls from 'node:tls';

/**
 * Makes every TLS client of this process (fetch, https, the Azure SDK pipeline) trust the
 * local CA, besides the usual roots. Child processes get the same with NODE_EXTRA_CA_CERTS.
 * Only the local host and tests call this: production code trusts what Node trusts.
 */
export function trustLocalCa(caPem: string): void {
  const current = tls.getCACertificates('default');
  const pem = caPem.trim();
  if (current.some((c) => c.trim() === pem)) return;
  tls.setDefaultCACertificates([...current, pem]);
}
