// CosmJS (@cosmjs/tendermint-rpc, Comet38Client) reads a CometBFT node: status, the block and
// the validator set at a height, and one key of a store (abci_query with a proof) at another.
// Prints one JSON object; the test compares it with what our light client verified.
// usage: node cosmjs_read.mjs RPC_URL BLOCK_HEIGHT STORE KEY_HEX QUERY_HEIGHT
import { Comet38Client } from "@cosmjs/tendermint-rpc";

const [url, height, store, keyHex, queryHeight] = process.argv.slice(2);
const hex = (b) => Buffer.from(b).toString("hex").toUpperCase();

const client = await Comet38Client.connect(url);
try {
  const status = await client.status();
  const block = await client.block(Number(height));
  const vals = await client.validatorsAll(Number(height));
  const q = await client.abciQuery({
    path: `/store/${store}/key`, data: Buffer.from(keyHex, "hex"),
    height: Number(queryHeight), prove: true,
  });
  console.log(JSON.stringify({
    status: { chain_id: status.nodeInfo.network, latest_height: status.syncInfo.latestBlockHeight },
    block: {
      height: block.block.header.height, hash: hex(block.blockId.hash),
      app_hash: hex(block.block.header.appHash),
      validators_hash: hex(block.block.header.validatorsHash),
    },
    validators: vals.validators.map((v) => ({
      address: hex(v.address), pub_key: Buffer.from(v.pubkey.data).toString("base64"),
      algorithm: v.pubkey.algorithm, power: v.votingPower.toString(),
    })),
    query: { height: q.height, code: q.code ?? 0, value: hex(q.value),
             proof_ops: (q.proof?.ops ?? []).map((op) => op.type) },
  }));
} finally {
  client.disconnect();
}
