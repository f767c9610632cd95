import { createServer, type Server } from 'node:net'

function listenOnEphemeral(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve(server))
  })
}

const close = (server: Server): Promise<void> => new Promise((resolve) => server.close(() => resolve()))

/**
 * `count` distinct free TCP ports on 127.0.0.1, chosen by the kernel. All sockets are held open until
 * every port is picked, so the results cannot repeat. Another process may still grab a port before
 * Postgres binds it; the server start code retries with a fresh port in that case.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = []
  try {
    for (let i = 0; i < count; i++) servers.push(await listenOnEphemeral())
    return servers.map((s) => {
      const address = s.address()
      if (address === null || typeof address === 'string') throw new Error('unexpected listen address')
      return address.port
    })
  } finally {
    await Promise.all(servers.map(close))
  }
}

/** One free TCP port on 127.0.0.1 (see {@link freePorts}). */
export async function freePort(): Promise<number> {
  const [port] = await freePorts(1)
  if (port === undefined) throw new Error('no free port')
  return port
}
