#!/usr/bin/env -S node --import tsx --conditions=@ssb/source
// shs1-test client executable: args = network key (hex), server public key (hex).
// Runs our client handshake over stdin/stdout and prints encKey|encNonce|decKey|decNonce.
import sodium from 'sodium-native'
import { createClientHandshake } from '../../src/index.js'
import { fail, readStdin, writeAndExit } from './stdio.js'

const [capsHex, serverPkHex] = process.argv.slice(2)
const publicKey = Buffer.alloc(32)
const secretKey = Buffer.alloc(64)
sodium.crypto_sign_keypair(publicKey, secretKey)

try {
  const client = createClientHandshake({
    keys: { publicKey, secretKey },
    serverPublicKey: Buffer.from(serverPkHex ?? '', 'hex'),
    caps: Buffer.from(capsHex ?? '', 'hex'),
  })
  process.stdout.write(client.createMsg1())
  process.stdout.write(client.receiveMsg2(await readStdin(64)))
  const s = client.receiveMsg4(await readStdin(80))
  writeAndExit(Buffer.concat([s.encryptKey, s.encryptNonce, s.decryptKey, s.decryptNonce]))
} catch (err) {
  fail(err)
}
