/**
 * SCRAM-SHA-256 (RFC 7677) client side, with WebCrypto only (`crypto.subtle`: PBKDF2, HMAC, SHA-256),
 * so it runs in Workers, Vercel Edge, browsers and Node 20+. No channel binding (`n,,`): the
 * WebSocket's TLS belongs to the gateway, not to Postgres. Passwords are used as given (no SASLprep),
 * which matches Postgres for ASCII passwords.
 * @see https://www.postgresql.org/docs/current/sasl-authentication.html
 * @module
 */

const encoder = new TextEncoder()
const subtle = () => globalThis.crypto.subtle

function toBase64(bytes: Uint8Array): string {
  let s = ''
  for (const b of bytes) s += String.fromCharCode(b)
  return btoa(s)
}

function fromBase64(text: string): Uint8Array {
  const s = atob(text)
  const out = new Uint8Array(s.length)
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i)
  return out
}

async function hmac(key: Uint8Array, text: string): Promise<Uint8Array> {
  const k = await subtle().importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
  return new Uint8Array(await subtle().sign('HMAC', k, encoder.encode(text)))
}

/** A SCRAM exchange in progress: the client-first message, then the proof for the server's answer. */
export class ScramClient {
  readonly nonce: string
  private serverSignature = ''

  /**
   * @param user Sent as `*`: Postgres takes the user from the StartupMessage and ignores this one
   *   (a name is given only to check against RFC 7677's example).
   */
  constructor(
    private readonly password: string,
    nonce?: string,
    private readonly user = '*',
  ) {
    this.nonce = nonce ?? toBase64(globalThis.crypto.getRandomValues(new Uint8Array(18)))
  }

  /** client-first-message (the SASLInitialResponse data). */
  clientFirst(): string {
    return `n,,n=${this.user},r=${this.nonce}`
  }

  /** client-final-message for the server-first-message (SASLContinue data). */
  async clientFinal(serverFirst: string): Promise<string> {
    const attrs = parseAttributes(serverFirst)
    const nonce = attrs.get('r') ?? ''
    const salt = attrs.get('s')
    const iterations = Number(attrs.get('i'))
    if (!nonce.startsWith(this.nonce) || salt === undefined || !(iterations > 0))
      throw new Error('invalid SCRAM server-first-message')
    const base = await subtle().importKey('raw', encoder.encode(this.password), 'PBKDF2', false, [
      'deriveBits',
    ])
    const salted = new Uint8Array(
      await subtle().deriveBits(
        { name: 'PBKDF2', hash: 'SHA-256', salt: fromBase64(salt), iterations },
        base,
        256,
      ),
    )
    const clientKey = await hmac(salted, 'Client Key')
    const storedKey = new Uint8Array(await subtle().digest('SHA-256', clientKey))
    const withoutProof = `c=biws,r=${nonce}`
    const authMessage = `n=${this.user},r=${this.nonce},${serverFirst},${withoutProof}`
    const signature = await hmac(storedKey, authMessage)
    const proof = clientKey.map((b, i) => b ^ signature[i]!)
    this.serverSignature = toBase64(await hmac(await hmac(salted, 'Server Key'), authMessage))
    return `${withoutProof},p=${toBase64(proof)}`
  }

  /** Checks the server-final-message (SASLFinal data): the server knew the password too. */
  verifyServerFinal(serverFinal: string): void {
    if (parseAttributes(serverFinal).get('v') !== this.serverSignature)
      throw new Error('the server’s SCRAM signature does not match')
  }
}

/** `a=1,b=2` to a map (values may contain '='). */
export function parseAttributes(text: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const part of text.split(',')) {
    const at = part.indexOf('=')
    if (at > 0) out.set(part.slice(0, at), part.slice(at + 1))
  }
  return out
}
