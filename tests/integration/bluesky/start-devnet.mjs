// Start a local AT Protocol network on loopback only: in-memory PLC + PDS and (with --appview)
// the Bluesky AppView + bsync + ozone backed by PostgreSQL/Redis.
//   node start-devnet.mjs             # PLC :2582, PDS :2583 (no app.bsky.* reads)
//   DB_POSTGRES_URL=... REDIS_HOST=... node start-devnet.mjs --appview   # + AppView :2584
// Prints "READY <json>" on stdout once everything listens.  Adapted from
// shared/notes/bluesky-devnet/devenv/start-pds.mjs.
import net from 'node:net'

// The atproto services call app.listen(port), i.e. all interfaces: force 127.0.0.1.
const origListen = net.Server.prototype.listen
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === 'number' && typeof args[1] !== 'string') {
    args.splice(1, 0, '127.0.0.1')
  } else if (args[0] && typeof args[0] === 'object' && !args[0].path && !args[0].host) {
    args[0] = { ...args[0], host: '127.0.0.1' }
  }
  return origListen.apply(this, args)
}

const { TestNetwork, TestNetworkNoAppView } = await import('@atproto/dev-env')

const withAppView = process.argv.includes('--appview')
const t0 = Date.now()
const pdsPort = Number(process.env.PDS_PORT || 2583)
const plcPort = Number(process.env.PLC_PORT || 2582)
const bskyPort = Number(process.env.BSKY_PORT || 2584)
let network
if (withAppView) {
  network = await TestNetwork.create({
    dbPostgresUrl: process.env.DB_POSTGRES_URL,
    dbPostgresSchema: process.env.DB_POSTGRES_SCHEMA || 'bsky',
    pds: { port: pdsPort, hostname: 'localhost', enableDidDocWithSession: true },
    bsky: { port: bskyPort, publicUrl: `http://localhost:${bskyPort}` },
    plc: { port: plcPort },
    ozone: {
      port: Number(process.env.OZONE_PORT || 2587),
      chatUrl: 'http://127.0.0.1:9',
      chatDid: 'did:example:chat',
    },
  })
} else {
  network = await TestNetworkNoAppView.create({
    pds: {
      port: pdsPort,
      hostname: 'localhost',
      // dev-env points these at *.invalid hosts (a DNS lookup would leave the box).
      bskyAppViewUrl: 'http://127.0.0.1:9',
      bskyAppViewDid: 'did:example:invalid',
      modServiceUrl: 'http://127.0.0.1:9',
      modServiceDid: 'did:example:invalid',
    },
    plc: { port: plcPort },
  })
}

const info = {
  plc: network.plc.url,
  pds: network.pds.url,
  appview: network.bsky ? network.bsky.url : null,
  appviewDid: network.bsky ? network.bsky.serverDid : null,
  startupMs: Date.now() - t0,
}
console.log('READY ' + JSON.stringify(info))

// Keep the firehose -> AppView indexer flushing so reads see new writes quickly.
if (network.bsky) {
  setInterval(() => {
    network.processAll().catch((e) => console.error('processAll', e))
  }, Number(process.env.PROCESS_INTERVAL_MS || 300)).unref()
}

const shutdown = async () => {
  try { await network.close() } catch (e) { console.error(e) }
  process.exit(0)
}
process.on('SIGTERM', shutdown)
process.on('SIGINT', shutdown)
