#!/bin/sh
# Regenerates the committed Go code of one module (x/devices unless named: protocgen.sh releases |
# payments | usage | servicerewards)
# from proto/ (run from tools/chain/).
# Needs protoc (Debian: protobuf-compiler) and two plugins built from the Go module proxy
# at the versions go.mod pins, installed into ../../build/chain/bin:
#   go install github.com/cosmos/gogoproto/protoc-gen-gocosmos   (gogoproto, as the SDK uses)
#   go install google.golang.org/protobuf/cmd/protoc-gen-go      (the depinject module config)
set -eu
M=${1:-devices}
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
  proto/mycroft/$M/v1/*.proto
PATH=$BIN:$PATH protoc $INC \
  --go_out="$OUT" --go_opt=Mcosmos/app/v1alpha1/module.proto=cosmossdk.io/api/cosmos/app/v1alpha1 \
  proto/mycroft/$M/module/v1/module.proto
MOD=github.com/mycroft-lightclient/chain
mkdir -p x/$M/types api/mycroft/$M/module/v1
cp "$OUT/$MOD"/x/$M/types/*.pb.go x/$M/types/
cp "$OUT/$MOD"/api/mycroft/$M/module/v1/*.pb.go api/mycroft/$M/module/v1/
echo "generated into x/$M/types and api/mycroft/$M/module/v1"
