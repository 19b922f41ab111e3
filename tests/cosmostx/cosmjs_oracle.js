// The oracle of lightclient/chip/cosmos_tx.py: @cosmjs/proto-signing builds the same transactions.
// stdin: JSON list of cases; stdout: JSON list of {body, auth_info, sign_doc, signature, tx_raw}
// (hex). Our x/devices and x/payments messages are registered from their .proto files
// (tools/chain/proto) parsed by protobufjs; bank MsgSend, feegrant MsgGrantAllowance, gov v1
// MsgVote / MsgSubmitProposal and authz MsgExec / MsgGrant are cosmjs-types' own.
"use strict";
const fs = require("fs");
const path = require("path");
const protobuf = require("protobufjs");
const { Registry, makeAuthInfoBytes, makeSignDoc, makeSignBytes, encodePubkey,
        DirectSecp256k1Wallet } = require("@cosmjs/proto-signing");
const { encodeSecp256k1Pubkey } = require("@cosmjs/amino");
const { TxRaw } = require("cosmjs-types/cosmos/tx/v1beta1/tx");
const { SignMode } = require("cosmjs-types/cosmos/tx/signing/v1beta1/signing");

const PROTO = path.join(__dirname, "..", "..", "tools", "chain", "proto", "mycroft", "devices", "v1");

function devicesRoot() {
  const root = new protobuf.Root();
  // Coin as cosmos/base/v1beta1/coin.proto declares it (its own file imports gogoproto/amino).
  root.define("cosmos.base.v1beta1").add(new protobuf.Type("Coin")
    .add(new protobuf.Field("denom", 1, "string"))
    .add(new protobuf.Field("amount", 2, "string")));
  for (const f of ["devices.proto", "tx.proto"]) {
    protobuf.parse(fs.readFileSync(path.join(PROTO, f), "utf8"), root);
  }
  // x/payments' messages (docs/payments.md)
  protobuf.parse(fs.readFileSync(path.join(PROTO, "..", "..", "payments", "v1", "tx.proto"), "utf8"), root);
  root.resolveAll();
  return root;
}

const hex = (b) => Buffer.from(b).toString("hex");
const unhex = (s) => Uint8Array.from(Buffer.from(s, "hex"));

// JSON field values: "hex:..." -> bytes; everything else as given.
function value(v) {
  if (typeof v === "string" && v.startsWith("hex:")) return unhex(v.slice(4));
  if (typeof v === "string" && v.startsWith("bigint:")) return BigInt(v.slice(7));
  if (Array.isArray(v)) return v.map(value);
  if (v && typeof v === "object") {
    const out = {};
    for (const k of Object.keys(v)) out[k] = value(v[k]);
    return out;
  }
  return v;
}

async function main() {
  const registry = new Registry();
  const root = devicesRoot();
  for (const name of ["MsgRegisterDevice", "MsgUpdateSettings", "MsgDeviceWrite"]) {
    registry.register("/mycroft.devices.v1." + name, root.lookupType("mycroft.devices.v1." + name));
  }
  for (const name of ["MsgOpenChannel", "MsgTopUp", "MsgRedeem", "MsgStartSettle", "MsgReclaim"]) {
    registry.register("/mycroft.payments.v1." + name, root.lookupType("mycroft.payments.v1." + name));
  }
  // x/payments' provider registry
  for (const name of ["MsgRegisterProvider", "MsgDeregisterProvider"]) {
    registry.register("/mycroft.payments.v1." + name, root.lookupType("mycroft.payments.v1." + name));
  }
  registry.register("/cosmos.feegrant.v1beta1.MsgGrantAllowance",
                    require("cosmjs-types/cosmos/feegrant/v1beta1/tx").MsgGrantAllowance);
  const govTx = require("cosmjs-types/cosmos/gov/v1/tx");
  const authzTx = require("cosmjs-types/cosmos/authz/v1beta1/tx");
  registry.register("/cosmos.gov.v1.MsgVote", govTx.MsgVote);
  registry.register("/cosmos.gov.v1.MsgSubmitProposal", govTx.MsgSubmitProposal);
  registry.register("/cosmos.authz.v1beta1.MsgExec", authzTx.MsgExec);
  registry.register("/cosmos.authz.v1beta1.MsgGrant", authzTx.MsgGrant);
  const cases = JSON.parse(fs.readFileSync(0, "utf8"));
  const out = [];
  for (const c of cases) {
    const secret = unhex(c.secret);
    const wallet = await DirectSecp256k1Wallet.fromKey(secret, "mycroft");
    const [account] = await wallet.getAccounts();
    const body = registry.encodeTxBody({
      messages: c.messages.map((m) => ({ typeUrl: m.type_url, value: value(m.value) })),
      memo: c.memo || "",
      timeoutHeight: BigInt(c.timeout_height || 0),
    });
    const authInfo = makeAuthInfoBytes(
      [{ pubkey: encodePubkey(encodeSecp256k1Pubkey(account.pubkey)), sequence: BigInt(c.sequence) }],
      c.fee.map(([denom, amount]) => ({ denom, amount: String(amount) })),
      BigInt(c.gas_limit), c.granter || undefined, c.payer || undefined, SignMode.SIGN_MODE_DIRECT);
    const doc = makeSignDoc(body, authInfo, c.chain_id, BigInt(c.account_number));
    const signed = await wallet.signDirect(account.address, doc);
    const sig = Buffer.from(signed.signature.signature, "base64");
    const raw = TxRaw.encode(TxRaw.fromPartial({
      bodyBytes: signed.signed.bodyBytes, authInfoBytes: signed.signed.authInfoBytes,
      signatures: [sig] })).finish();
    out.push({ address: account.address, pub: hex(account.pubkey), body: hex(body),
               auth_info: hex(authInfo), sign_doc: hex(makeSignBytes(doc)), signature: hex(sig),
               tx_raw: hex(raw) });
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((e) => { process.stderr.write(String(e && e.stack || e)); process.exit(1); });
