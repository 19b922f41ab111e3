package types

import (
	"bytes"
	"encoding/hex"
	"testing"
)

// The same vector is pinned in tests/localchain/test_statement_vector.py (the Python twin).
func TestRegistrationStatementVector(t *testing.T) {
	owner := bytes.Repeat([]byte{0x11}, 20)
	pub := append([]byte{0x02}, bytes.Repeat([]byte{0x22}, 32)...)
	got := hex.EncodeToString(RegistrationStatement("mycroft-local-1", owner, pub))
	want := "006d7963726f66742f646576696365732f72656769737465722f7631" + // 0x00 "mycroft/devices/register/v1"
		"000f" + hex.EncodeToString([]byte("mycroft-local-1")) +
		"0014" + hex.EncodeToString(owner) + hex.EncodeToString(pub)
	if got != want {
		t.Fatalf("statement\n got %s\nwant %s", got, want)
	}
}
