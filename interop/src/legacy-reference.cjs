// A JavaScript ssb-server 16 WITHOUT ssb-ebt (and without ssb-ooo): the same plugin stack as
// `ssb-server start` (node_modules/ssb-server/bin.js) minus EBT, so it replicates with
// ssb-replicate's legacy createHistoryStream only. Without ssb-ebt, `config.replicate.fallback`
// is never set, so ssb-replicate starts legacy replication on every connection (legacy.js).
// Arguments: the same as `ssb-server start` (`--path DIR --host H --port P ...`).
'use strict'
const fs = require('fs')
const path = require('path')
const { createRequire } = require('module')

const fromServer = createRequire(require.resolve('ssb-server/package.json'))
const minimist = fromServer('minimist')
const Config = fromServer('ssb-config/inject')

const argv = process.argv.slice(2)
const config = Config(process.env.ssb_appname, minimist(argv))

const createSsbServer = fromServer('./')
  .use(fromServer('ssb-private1'))
  .use(fromServer('ssb-unix-socket'))
  .use(fromServer('ssb-no-auth'))
  .use(fromServer('ssb-master'))
  .use(fromServer('ssb-gossip'))
  .use(fromServer('ssb-replicate'))
  .use(fromServer('ssb-friends'))
  .use(fromServer('ssb-blobs'))
  .use(fromServer('ssb-logging'))
  .use(fromServer('ssb-query'))
  .use(fromServer('ssb-links'))

const server = createSsbServer(config)
fs.writeFileSync(path.join(config.path, 'manifest.json'), JSON.stringify(server.getManifest(), null, 2))
console.log('legacy-only ssb-server (no ssb-ebt)', config.path, 'my key ID:', config.keys.public)
