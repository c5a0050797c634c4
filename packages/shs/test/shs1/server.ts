#!/usr/bin/env -S node --import tsx --conditions=@ssb/source
// shs1-test server executable: args = network key, server secret key, server public key (hex).
// Runs our server handshake over stdin/stdout, then prints encKey|encNonce|decKey|decNonce.
import { createServerHandshake } from '../../src/index.js'
import { fail, readStdin, writeAndExit } from './stdio.js'

const [capsHex, skHex, pkHex] = process.argv.slice(2)

try {
  const server = createServerHandshake({
    keys: { publicKey: Buffer.from(pkHex ?? '', 'hex'), secretKey: Buffer.from(skHex ?? '', 'hex') },
    caps: Buffer.from(capsHex ?? '', 'hex'),
  })
  process.stdout.write(server.receiveMsg1(await readStdin(64)))
  const { msg4, result: s } = await server.receiveMsg3(await readStdin(112))
  writeAndExit(Buffer.concat([msg4, s.encryptKey, s.encryptNonce, s.decryptKey, s.decryptNonce]))
} catch (err) {
  fail(err)
}
