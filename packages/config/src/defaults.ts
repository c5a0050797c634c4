// ssb-config 3.4.6 `defaults.js` (`setDefaults`), without loading `config.keys`.
import { join } from 'node:path'
import { fixConnections, incomingConnections, type NetworkInterfaces } from './connections.js'
import { DEFAULT_TIMERS, SSB_CAPS } from './constants.js'
import { deepMerge, isPlainObject, type PlainObject } from './deep-extend.js'
import { ConfigError } from './errors.js'

export function baseDefaults(appName: string, homeDir: string): PlainObject {
  return {
    path: join(homeDir, '.' + appName),
    party: true,
    timeout: 0,
    pub: true,
    local: true,
    friends: { dunbar: 150, hops: 2 },
    gossip: { connections: 3 },
    connections: {
      outgoing: {
        net: [{ transform: 'shs' }],
        onion: [{ transform: 'shs' }],
      },
    },
    timers: { ...DEFAULT_TIMERS },
    caps: { ...SSB_CAPS },
    master: [],
    logging: { level: 'notice' },
  }
}

export function setDefaults(
  appName: string,
  homeDir: string,
  layered: PlainObject,
  interfaces: () => NetworkInterfaces,
): PlainObject {
  const config = deepMerge(baseDefaults(appName, homeDir), layered)
  const connections = config['connections']
  // ssb-config ignores (string, number) or crashes on (null) a non-object here.
  if (!isPlainObject(connections)) {
    throw new ConfigError('CONFIG_BAD_CONNECTIONS', `"connections" must be an object, got ${JSON.stringify(connections)}`)
  }
  if (!connections['incoming']) connections['incoming'] = incomingConnections(config, interfaces())
  return fixConnections(config)
}
