import { createServer } from 'node:net'

/** `count` distinct TCP ports on 127.0.0.1 that were free a moment ago (all held open together, then released). */
export async function freePorts(count) {
  const servers = await Promise.all(
    Array.from({ length: count }, () => {
      const server = createServer()
      return new Promise((resolve, reject) => {
        server.once('error', reject)
        server.listen(0, '127.0.0.1', () => resolve(server))
      })
    }),
  )
  const ports = servers.map((s) => s.address().port)
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))))
  return ports
}

/** A TCP port on 127.0.0.1 that was free a moment ago (the OS picked it), for tests. */
export async function freePort() {
  const [port] = await freePorts(1)
  return port
}
