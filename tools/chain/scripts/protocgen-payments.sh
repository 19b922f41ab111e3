#!/bin/sh
# Regenerates the committed Go code of x/payments from proto/ (run from tools/chain/); the
# tools and plugins are the ones scripts/protocgen.sh describes for x/devices.
set -eu
GO=${GO:-go}
BIN=$(cd ../.. && pwd)/build/chain/bin
mkdir -p "$BIN"
GOBIN=$BIN $GO install github.com/cosmos/gogoproto/protoc-gen-gocosmos
GOBIN=$BIN $GO install google.golang.org/protobuf/cmd/protoc-gen-go
dir() { $GO list -m -f '{{.Dir}}' "$1"; }
SDK=$(dir github.com/cosmos/cosmos-sdk)
GOGO=$(dir github.com/cosmos/gogoproto)
CPROTO=$(dir github.com/cosmos/cosmos-proto)
INC="-I proto -I $SDK/proto -I $GOGO -I $CPROTO/proto"
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
PATH=$BIN:$PATH protoc $INC \
  --gocosmos_out=plugins=grpc,Mgoogle/protobuf/any.proto=github.com/cosmos/gogoproto/types/any:"$OUT" \
  proto/mycroft/payments/v1/*.proto
PATH=$BIN:$PATH protoc $INC \
  --go_out="$OUT" --go_opt=Mcosmos/app/v1alpha1/module.proto=cosmossdk.io/api/cosmos/app/v1alpha1 \
  proto/mycroft/payments/module/v1/module.proto
MOD=github.com/mycroft-lightclient/chain
mkdir -p x/payments/types api/mycroft/payments/module/v1
cp "$OUT/$MOD"/x/payments/types/*.pb.go x/payments/types/
cp "$OUT/$MOD"/api/mycroft/payments/module/v1/*.pb.go api/mycroft/payments/module/v1/
echo "generated into x/payments/types and api/mycroft/payments/module/v1"
