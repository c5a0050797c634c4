import { readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { clampPingInterval } from '@ssb/gossip'
import { isPlainObject } from './args.js'
import type { ServerConfig } from './server.js'
import { toNumber } from './util.js'

/** `gossip.enable/disable` switches, as ssb-gossip names them. */
export const SWITCHES = ['global', 'local', 'seed', 'friends', 'pub'] as const
export type Switch = (typeof SWITCHES)[number]

/**
 * What the gossip subsystem reads from config (ssb-config names, plus a few knobs for tests):
 * `gossip.connections` (3), `gossip.local` / top-level `local` (LAN discovery), `gossip.pub`
 * and `gossip.autoPopulate` (peers from `pub` messages), `gossip.seed`, `gossip.global`,
 * `seeds`, `offline`, `timers.ping`, and `gossip.{interval, dialTimeout, backoffFactor,
 * backoffMax, maxDials, maxPeers, idle, localPort, localBroadcast, localBind, localInterval}`.
 */
export interface GossipSettings {
  offline: boolean
  connections: number
  lan: boolean
  switches: Record<Switch, boolean>
  seeds: unknown[]
  intervalMs: number
  dialTimeoutMs: number
  backoffFactorMs: number
  backoffMaxMs: number
  maxDials: number
  maxPeers: number
  idleMs: number
  pingMs: number
  localPort: number | undefined
  localBroadcast: string | undefined
  localBind: string | undefined
  localIntervalMs: number
}

/**
 * LAN discovery is on when `gossip.local` says so, else when top-level `local` is true — which
 * ssb-config sets by default, so the CLI (and any app resolving ssb-config) gets it, while a bare
 * `Server({path})` (tests, embedders) stays quiet unless asked. `--no-gossip.local` or
 * `local: false` turns it off.
 */
export function gossipSettings(config: ServerConfig): GossipSettings {
  const g = (isPlainObject(config.gossip) ? config.gossip : {}) as Record<string, unknown>
  const flag = (v: unknown, def: boolean) => (v === undefined || v === null || v === '' ? def : v !== false && v !== 'false')
  const timers = (isPlainObject(config.timers) ? config.timers : {}) as Record<string, unknown>
  const handshake = toNumber(timers.handshake, 5000)
  const lanDefault = g.local === undefined ? config.local === true || config.local === 'true' : flag(g.local, false)
  const seeds = config.seeds
  return {
    offline: config.offline === true,
    connections: Math.max(0, toNumber(g.connections, 3)),
    lan: lanDefault && config.local !== false && config.offline !== true,
    switches: {
      global: flag(g.global, true),
      local: flag(g.local, true),
      seed: flag(g.seed, true),
      friends: flag(g.friends, true),
      pub: flag(g.pub, true) && flag(g.autoPopulate, true),
    },
    seeds: Array.isArray(seeds) ? seeds : seeds ? [seeds] : [],
    intervalMs: toNumber(g.interval, 2000),
    // TCP connect and the handshake each get `timers.handshake` in Listeners.connect.
    dialTimeoutMs: toNumber(g.dialTimeout, 2 * handshake + 1000),
    backoffFactorMs: toNumber(g.backoffFactor, 2000),
    backoffMaxMs: toNumber(g.backoffMax, 10 * 60_000),
    maxDials: Math.max(1, toNumber(g.maxDials, 3)),
    maxPeers: Math.max(1, toNumber(g.maxPeers, 1000)),
    idleMs: toNumber(g.idle, 5 * 60_000),
    pingMs: clampPingInterval(toNumber(timers.ping, 5 * 60_000)),
    localPort: g.localPort === undefined ? undefined : toNumber(g.localPort, 0),
    localBroadcast: typeof g.localBroadcast === 'string' ? g.localBroadcast : undefined,
    localBind: typeof g.localBind === 'string' ? g.localBind : undefined,
    localIntervalMs: toNumber(g.localInterval, 1000),
  }
}

/**
 * Remembers a gossip switch in {path}/config like ssb-gossip does, but only when that file is
 * plain JSON (or absent): a hand-written config with comments or ini syntax is never rewritten.
 */
export async function persistGossipSwitch(path: string, name: Switch, value: boolean): Promise<void> {
  const file = join(path, 'config')
  let existing: Record<string, unknown> = {}
  try {
    const parsed: unknown = JSON.parse(await readFile(file, 'utf8'))
    if (!isPlainObject(parsed)) return
    existing = parsed
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return
  }
  const gossip = isPlainObject(existing.gossip) ? existing.gossip : {}
  existing.gossip = { ...gossip, [name]: value }
  const tmp = `${file}.${process.pid}.tmp`
  await writeFile(tmp, JSON.stringify(existing, null, 2))
  await rename(tmp, file)
}
