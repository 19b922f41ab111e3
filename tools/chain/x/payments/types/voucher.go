package types

import (
	"encoding/binary"
	"fmt"
)

// The voucher the chip signs (docs/vouchers.md; lightclient/chip/pay/voucher.py is its twin):
//
//	"mycroft-lc/voucher/v1\0" || u8 n || chain id || u8 n || channel id || u32 lane ||
//	u64 nonce || u64 cumulative amount || u8 n || denom          (integers big-endian)
const (
	VoucherDomain     = "mycroft-lc/voucher/v1\x00"
	MaxVoucherLen     = 211
	maxVoucherChainID = 64
	maxVoucherChannel = 32
	maxVoucherDenom   = 64
)

// Voucher is a decoded voucher.
type Voucher struct {
	ChainID string
	Channel []byte
	Lane    uint32
	Nonce   uint64
	Amount  uint64
	Denom   string
}

// DecodeVoucher reads untrusted sign bytes, each length checked before it is used; the error
// names the check (the same names as the chip's decoder).
func DecodeVoucher(b []byte) (Voucher, error) {
	var v Voucher
	if len(b) > MaxVoucherLen {
		return v, fmt.Errorf("voucher_length: %d > %d bytes", len(b), MaxVoucherLen)
	}
	if len(b) < len(VoucherDomain) || string(b[:len(VoucherDomain)]) != VoucherDomain {
		return v, fmt.Errorf("voucher_domain: not a voucher")
	}
	r := b[len(VoucherDomain):]
	field := func(name string, max int) ([]byte, error) {
		if len(r) < 1 || int(r[0]) > len(r)-1 {
			return nil, fmt.Errorf("voucher_truncated: %s", name)
		}
		n := int(r[0])
		if n < 1 || n > max {
			return nil, fmt.Errorf("voucher_%s: length %d not in 1..%d", name, n, max)
		}
		out := r[1 : 1+n]
		r = r[1+n:]
		return out, nil
	}
	chain, err := field("chain_id", maxVoucherChainID)
	if err != nil {
		return v, err
	}
	if v.Channel, err = field("channel", maxVoucherChannel); err != nil {
		return v, err
	}
	if len(r) < 20 {
		return v, fmt.Errorf("voucher_truncated: lane, nonce, amount")
	}
	v.Lane = binary.BigEndian.Uint32(r[0:4])
	v.Nonce = binary.BigEndian.Uint64(r[4:12])
	v.Amount = binary.BigEndian.Uint64(r[12:20])
	r = r[20:]
	denom, err := field("denom", maxVoucherDenom)
	if err != nil {
		return v, err
	}
	if len(r) != 0 {
		return v, fmt.Errorf("voucher_trailing: %d bytes after the denom", len(r))
	}
	for _, t := range [][]byte{chain, denom} {
		for _, c := range t {
			if c < 0x21 || c > 0x7e {
				return v, fmt.Errorf("voucher_text: not printable ASCII")
			}
		}
	}
	v.ChainID, v.Denom = string(chain), string(denom)
	v.Channel = append([]byte(nil), v.Channel...)
	return v, nil
}

// SignBytes encodes v as the chip signs it (tests and tools).
func (v Voucher) SignBytes() []byte {
	out := []byte(VoucherDomain)
	out = append(out, byte(len(v.ChainID)))
	out = append(out, v.ChainID...)
	out = append(out, byte(len(v.Channel)))
	out = append(out, v.Channel...)
	out = binary.BigEndian.AppendUint32(out, v.Lane)
	out = binary.BigEndian.AppendUint64(out, v.Nonce)
	out = binary.BigEndian.AppendUint64(out, v.Amount)
	out = append(out, byte(len(v.Denom)))
	return append(out, v.Denom...)
}
