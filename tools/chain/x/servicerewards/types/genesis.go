package types

import "fmt"

// DefaultParams are the local chain's: short epochs (10 blocks, 3 s at its 300 ms blocks) so
// tests see a payout; a real network sets its own in genesis. 100 bps per epoch and a lock of
// 100 epochs: what a bond earns while it is locked never exceeds the bond (docs/rewards.md).
func DefaultParams() Params {
	return Params{Denom: "stake", EpochBlocks: 10, RewardPerReceipt: 100, MinBond: 10000,
		EpochCapBps: 100, UnbondLockEpochs: 100, MaxServersPerClient: 4}
}

// Validate checks the params, including the anti-farming bound epoch_cap_bps *
// unbond_lock_epochs <= 10000 (a bond cannot earn more than itself while locked).
func (p Params) Validate() error {
	if p.Denom == "" || p.EpochBlocks < 2 || p.RewardPerReceipt == 0 || p.MinBond == 0 ||
		p.EpochCapBps == 0 || p.EpochCapBps > 10000 || p.MaxServersPerClient == 0 {
		return fmt.Errorf("params: denom, epoch_blocks >= 2, and positive reward, min bond, cap (<= 10000 bps) and max servers are required")
	}
	if p.UnbondLockEpochs == 0 || p.EpochCapBps*p.UnbondLockEpochs > 10000 {
		return fmt.Errorf("params: epoch_cap_bps * unbond_lock_epochs = %d must be in 1..10000",
			p.EpochCapBps*p.UnbondLockEpochs)
	}
	return nil
}

// DefaultGenesis has the default params and no bonds.
func DefaultGenesis() *GenesisState {
	p := DefaultParams()
	return &GenesisState{Params: &p}
}

// Validate checks the params and that no device is bonded twice.
func (gs GenesisState) Validate() error {
	if gs.Params == nil {
		return fmt.Errorf("params are required")
	}
	if err := gs.Params.Validate(); err != nil {
		return err
	}
	seen := map[string]bool{}
	for i, b := range gs.Bonds {
		if b.Device == "" || b.Owner == "" || seen[b.Device] {
			return fmt.Errorf("bond %d: device and owner required, one bond per device", i)
		}
		seen[b.Device] = true
	}
	return nil
}
