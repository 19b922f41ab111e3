package types

import (
	"encoding/binary"
	"fmt"
)

// The service receipt a client device's chip signs after it verified a header it was served
// (docs/rewards.md; lightclient/chip/pay/receipt.py is its twin):
//
//	"mycroft-lc/receipt/v1\0" || u8 n || chain id || server address (20) || client address (20)
//	|| u64 height || header hash (32)                                       (integers big-endian)
const (
	ReceiptDomain     = "mycroft-lc/receipt/v1\x00"
	maxReceiptChainID = 64
	HashLen           = 32
	MaxReceiptLen     = len(ReceiptDomain) + 1 + maxReceiptChainID + 20 + 20 + 8 + HashLen
)

// Receipt is a decoded receipt.
type Receipt struct {
	ChainID string
	Server  []byte
	Client  []byte
	Height  uint64
	Hash    []byte
}

// DecodeReceipt reads untrusted sign bytes, each length checked before it is used; the error
// names the check (the same names as the chip's decoder).
func DecodeReceipt(b []byte) (Receipt, error) {
	var r Receipt
	if len(b) > MaxReceiptLen {
		return r, fmt.Errorf("receipt_length: %d > %d bytes", len(b), MaxReceiptLen)
	}
	if len(b) < len(ReceiptDomain)+1 || string(b[:len(ReceiptDomain)]) != ReceiptDomain {
		return r, fmt.Errorf("receipt_domain: not a receipt")
	}
	rest := b[len(ReceiptDomain):]
	n := int(rest[0])
	if n < 1 || n > maxReceiptChainID {
		return r, fmt.Errorf("receipt_chain_id: length %d not in 1..%d", n, maxReceiptChainID)
	}
	if len(rest) != 1+n+20+20+8+HashLen {
		return r, fmt.Errorf("receipt_length: %d bytes after the domain, want %d", len(rest), 1+n+80)
	}
	chain := rest[1 : 1+n]
	for _, c := range chain {
		if c < 0x21 || c > 0x7e {
			return r, fmt.Errorf("receipt_text: chain id not printable ASCII")
		}
	}
	rest = rest[1+n:]
	r.ChainID = string(chain)
	r.Server = append([]byte(nil), rest[0:20]...)
	r.Client = append([]byte(nil), rest[20:40]...)
	r.Height = binary.BigEndian.Uint64(rest[40:48])
	r.Hash = append([]byte(nil), rest[48:48+HashLen]...)
	if r.Height == 0 {
		return r, fmt.Errorf("receipt_height: 0")
	}
	return r, nil
}

// SignBytes encodes r as the chip signs it (tests and tools).
func (r Receipt) SignBytes() []byte {
	out := []byte(ReceiptDomain)
	out = append(out, byte(len(r.ChainID)))
	out = append(out, r.ChainID...)
	out = append(out, r.Server...)
	out = append(out, r.Client...)
	out = binary.BigEndian.AppendUint64(out, r.Height)
	return append(out, r.Hash...)
}
