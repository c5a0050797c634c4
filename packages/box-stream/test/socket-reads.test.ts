import { once } from 'node:events'
import net from 'node:net'
import { afterEach, describe, expect, test } from 'vitest'
import { SocketReads } from '../src/index.js'
import { socketPair, type SocketPair } from './tcp.js'

let pair: SocketPair | undefined
afterEach(async () => {
  await pair?.close()
  pair = undefined
})

describe('SocketReads (no socket)', () => {
  const read = (reads: SocketReads, bytes: number[]): boolean => {
    const { buffer, callback } = reads.onread
    buffer.set(bytes)
    return callback(bytes.length, buffer)
  }

  test('bytes read while nobody listens are copied, held, and stop the reading until someone listens', () => {
    const reads = new SocketReads(16)
    expect(read(reads, [1, 2, 3])).toBe(false)
    expect(read(reads, [4, 5])).toBe(false)
    reads.onread.buffer.fill(0) // the buffer is reused: held bytes must be copies
    expect(reads.held).toBe(5)
    const got: number[][] = []
    reads.listen((b) => got.push([...b]))
    expect(got).toEqual([[1, 2, 3], [4, 5]])
    expect(reads.held).toBe(0)
    expect(read(reads, [6])).toBe(true)
    expect(got.at(-1)).toEqual([6])
  })

  test('bytes given back with unshift go to the next listener before later reads', () => {
    const reads = new SocketReads(16)
    const first: number[][] = []
    reads.listen((b) => first.push([...b]))
    read(reads, [1, 2, 3, 4])
    reads.unshift(Uint8Array.from([3, 4]))
    reads.listen(null)
    read(reads, [5])
    const second: number[][] = []
    reads.listen((b) => second.push([...b]))
    expect(second).toEqual([[3, 4], [5]])
  })

  test('a listener that hands over to another mid-delivery loses nothing and reorders nothing', () => {
    const reads = new SocketReads(16)
    read(reads, [1])
    read(reads, [2])
    read(reads, [3])
    const a: number[] = []
    const b: number[] = []
    const toB = (x: Uint8Array): void => void b.push(...x)
    reads.listen((x) => {
      a.push(...x)
      reads.listen(toB)
    })
    expect(a).toEqual([1])
    expect(b).toEqual([2, 3])
  })
})

describe('SocketReads over TCP', () => {
  test('both ends read into one reused buffer each; 4 MiB arrive intact; pause stops the reads', async () => {
    pair = await socketPair(true, true)
    const clientReads = pair.reads.get(pair.client)!
    const serverReads = pair.reads.get(pair.server)!
    const buffers = new Set<ArrayBufferLike>()
    let received = 0
    const sent = Buffer.alloc(4 * 1024 * 1024)
    for (let i = 0; i < sent.length; i += 4) sent.writeUInt32LE(i, i)
    const got = Buffer.alloc(sent.length)
    serverReads.listen((bytes) => {
      buffers.add(bytes.buffer)
      got.set(bytes, received)
      received += bytes.length
    })
    pair.server.resume()
    pair.client.end(sent)
    await once(pair.server, 'end')
    expect(received).toBe(sent.length)
    expect(got.equals(sent)).toBe(true)
    expect(buffers.size).toBe(1)
    expect(buffers.has(serverReads.onread.buffer.buffer)).toBe(true)

    // The other way, with the reader paused after the first read.
    let first = true
    let reads = 0
    clientReads.listen(() => {
      reads++
      if (first) pair!.client.pause()
      first = false
    })
    pair.client.resume()
    pair.server.write(Buffer.alloc(1024 * 1024))
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(reads).toBe(1)
    pair.client.resume()
    pair.server.end()
    await once(pair.client, 'end')
    expect(reads).toBeGreaterThan(1)
  })

  test('an adopted accepted socket is counted off its server: the listener closes once the ends are gone', async () => {
    pair = await socketPair(true, true)
    expect(pair.server).toBeInstanceOf(net.Socket)
    expect(pair.server.remoteAddress).toBe('127.0.0.1')
    // close() destroys both ends, then waits for listener.close(): it would hang if the old
    // wrapper of the adopted socket were still counted as a connection.
    const closing = pair.close()
    pair = undefined
    await closing
  })
})
