package types

import (
	"encoding/binary"
)

// StatementDomain opens every registration statement. The leading 0x00 is an
// invalid protobuf tag (field 0) and not JSON, so a device signature over a
// statement can never be replayed as a signature over a transaction SignDoc
// (protobuf) or an amino JSON sign document.
const StatementDomain = "\x00mycroft/devices/register/v1"

// RegistrationStatement is what the device signs to consent to being registered
// by owner on chainID (the device key signs sha256 of these bytes):
//
//	StatementDomain || u16be(len(chainID)) || chainID || u16be(len(owner)) || owner || pubKey(33)
//
// owner is the raw account address of the owner; pubKey the device's compressed key.
func RegistrationStatement(chainID string, owner, pubKey []byte) []byte {
	out := make([]byte, 0, len(StatementDomain)+4+len(chainID)+len(owner)+len(pubKey))
	out = append(out, StatementDomain...)
	out = binary.BigEndian.AppendUint16(out, uint16(len(chainID)))
	out = append(out, chainID...)
	out = binary.BigEndian.AppendUint16(out, uint16(len(owner)))
	out = append(out, owner...)
	return append(out, pubKey...)
}
