import { createHash, generateKeyPair, randomBytes, X509Certificate } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import forge from 'node-forge';

/**
 * A private certificate authority for the simulated Exchange, so that the real SDKs speak
 * HTTPS to it with certificate checks on. Node's crypto makes keys but cannot issue
 * certificates; node-forge (pure JavaScript, no global side effects) builds and signs them,
 * with keys generated natively by Node. The PEMs are kept in a directory and reused, so a
 * shell or browser told to trust the CA once keeps trusting it.
 */

export interface LocalCa {
  readonly caPem: string;
  readonly caPath: string;
  /** The server certificate (localhost, 127.0.0.1, ::1), signed by the CA. */
  readonly certPem: string;
  readonly keyPem: string;
}

export interface ClientCertificate {
  /** Certificate and private key in one PEM, the form GRAPH_CLIENT_CERTIFICATE_PATH takes. */
  readonly pem: string;
  readonly path: string;
  readonly certPem: string;
  /** Hex SHA-1 / SHA-256 of the DER certificate, as Entra shows them. */
  readonly thumbprintSha1: string;
  readonly thumbprintSha256: string;
}

const DAY = 86_400_000;
const FILES = { ca: 'ca.pem', caKey: 'ca-key.pem', cert: 'server.pem', key: 'server-key.pem' } as const;
const generateRsa = promisify(generateKeyPair);

/** Loads the CA and server certificate from `dir`, or creates them there. */
export async function ensureLocalCa(dir: string): Promise<LocalCa> {
  await mkdir(dir, { recursive: true });
  const path = (name: string) => join(dir, name);
  const existing = await readAll([FILES.ca, FILES.caKey, FILES.cert, FILES.key].map(path));
  const [caPem, caKeyPem, certPem, keyPem] = existing ?? [];
  if (caPem && caKeyPem && certPem && keyPem && stillValid(caPem, certPem)) {
    return { caPem, caPath: path(FILES.ca), certPem, keyPem };
  }
  const ca = await mint({
    subject: [
      { name: 'commonName', value: 'PHONE-LiNK Presence local development CA' },
      { name: 'organizationName', value: 'PHONE-LiNK Presence (development)' },
    ],
    days: 10 * 365,
    extensions: [
      { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
      { name: 'subjectKeyIdentifier' },
    ],
  });
  const server = await mint({
    subject: [{ name: 'commonName', value: 'localhost' }],
    // Under 398 days, the most TLS clients accept for a leaf certificate.
    days: 397,
    issuer: ca,
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
      { name: 'subjectKeyIdentifier' },
    ],
  });
  await writeFile(path(FILES.ca), ca.certPem);
  await writeFile(path(FILES.caKey), ca.keyPem, { mode: 0o600 });
  await writeFile(path(FILES.cert), server.certPem);
  await writeFile(path(FILES.key), server.keyPem, { mode: 0o600 });
  return { caPem: ca.certPem, caPath: path(FILES.ca), certPem: server.certPem, keyPem: server.keyPem };
}

/**
 * A self-signed certificate for an app registration (what `New-SelfSignedCertificate` makes
 * for Entra), written to `path` together with its key.
 */
export async function createClientCertificate(
  path: string,
  commonName = 'phonelink-presence',
): Promise<ClientCertificate> {
  const minted = await mint({
    subject: [{ name: 'commonName', value: commonName }],
    days: 365,
    extensions: [{ name: 'keyUsage', digitalSignature: true, critical: true }],
  });
  const pem = `${minted.certPem}${minted.keyPem}`;
  await writeFile(path, pem, { mode: 0o600 });
  const der = new X509Certificate(minted.certPem).raw;
  return {
    pem,
    path,
    certPem: minted.certPem,
    thumbprintSha1: createHash('sha1').update(der).digest('hex').toUpperCase(),
    thumbprintSha256: createHash('sha256').update(der).digest('hex').toUpperCase(),
  };
}

interface Minted {
  readonly certPem: string;
  readonly keyPem: string;
  readonly cert: forge.pki.Certificate;
  readonly privateKey: forge.pki.rsa.PrivateKey;
}

interface MintRequest {
  readonly subject: forge.pki.CertificateField[];
  readonly days: number;
  readonly issuer?: Minted;
  readonly extensions: object[];
}

async function mint(request: MintRequest): Promise<Minted> {
  const keys = await generateRsa('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const privateKey = forge.pki.privateKeyFromPem(keys.privateKey);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(keys.publicKey);
  cert.serialNumber = serial();
  cert.validity.notBefore = new Date(Date.now() - DAY);
  cert.validity.notAfter = new Date(Date.now() + request.days * DAY);
  cert.setSubject(request.subject);
  cert.setIssuer(request.issuer ? request.issuer.cert.subject.attributes : request.subject);
  const authorityKeyId = request.issuer
    ? [
        {
          name: 'authorityKeyIdentifier',
          keyIdentifier: request.issuer.cert.generateSubjectKeyIdentifier().getBytes(),
        },
      ]
    : [];
  cert.setExtensions([...request.extensions, ...authorityKeyId]);
  cert.sign(request.issuer?.privateKey ?? privateKey, forge.md.sha256.create());
  return { cert, privateKey, certPem: forge.pki.certificateToPem(cert), keyPem: keys.privateKey };
}

/** A positive 16-byte serial (the top bit clear so DER needs no sign byte). */
function serial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString('hex');
}

function stillValid(caPem: string, certPem: string): boolean {
  try {
    const ca = new X509Certificate(caPem);
    const cert = new X509Certificate(certPem);
    const soon = Date.now() + 7 * DAY;
    return cert.checkIssued(ca) && cert.verify(ca.publicKey) && Date.parse(cert.validTo) > soon;
  } catch {
    return false;
  }
}

async function readAll(paths: readonly string[]): Promise<string[] | null> {
  try {
    return await Promise.all(paths.map((p) => readFile(p, 'utf8')));
  } catch {
    return null;
  }
}
