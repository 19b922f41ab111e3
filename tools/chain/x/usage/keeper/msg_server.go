package keeper

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"

	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/mycroft-lightclient/chain/x/usage/types"
)

type msgServer struct{ Keeper }

// NewMsgServerImpl returns the module's Msg service on top of k.
func NewMsgServerImpl(k Keeper) types.MsgServer { return msgServer{k} }

var _ types.MsgServer = msgServer{}

// currentEpoch is the block time's epoch (never a node's clock: every node agrees on it).
func (s msgServer) currentEpoch(ctx context.Context) (uint64, types.Params, error) {
	p, err := s.GetParams(ctx)
	if err != nil {
		return 0, p, err
	}
	if p.EpochSeconds == 0 {
		return 0, p, types.ErrInvalidParams
	}
	t := sdk.UnwrapSDKContext(ctx).BlockTime().Unix()
	if t < 0 {
		t = 0
	}
	return uint64(t) / p.EpochSeconds, p, nil
}

// SetIssuerKey: only the authority (a passed governance proposal) sets or replaces the key;
// tokens naming the old key's id are refused from then on (ErrIssuerKeyReplaced).
func (s msgServer) SetIssuerKey(ctx context.Context, msg *types.MsgSetIssuerKey) (*types.MsgSetIssuerKeyResponse, error) {
	if msg.Authority != s.authority {
		return nil, errorsmod.Wrapf(types.ErrNotAuthority, "want %s, got %s", s.authority, msg.Authority)
	}
	ik, err := types.NewIssuerKey(msg.Modulus, msg.Exponent)
	if err != nil {
		return nil, err
	}
	if err := s.Keeper.SetIssuerKey(ctx, ik); err != nil {
		return nil, err
	}
	sdk.UnwrapSDKContext(ctx).EventManager().EmitEvent(sdk.NewEvent("usage_issuer_key",
		sdk.NewAttribute("key_id", hex.EncodeToString(ik.KeyId))))
	return &types.MsgSetIssuerKeyResponse{KeyId: ik.KeyId}, nil
}

func (s msgServer) RegisterSkill(ctx context.Context, msg *types.MsgRegisterSkill) (*types.MsgRegisterSkillResponse, error) {
	if _, err := s.addressCodec.StringToBytes(msg.Creator); err != nil {
		return nil, errorsmod.Wrap(types.ErrInvalidSkill, "creator address")
	}
	if err := types.ValidateSkillID(msg.SkillId); err != nil {
		return nil, err
	}
	if _, found, err := s.GetSkill(ctx, msg.SkillId); err != nil {
		return nil, err
	} else if found {
		return nil, errorsmod.Wrap(types.ErrSkillExists, msg.SkillId)
	}
	return &types.MsgRegisterSkillResponse{}, s.set(ctx, types.SkillKey(msg.SkillId),
		&types.Skill{SkillId: msg.SkillId, Creator: msg.Creator})
}

// RedeemTokens: every token is checked (form, chain, key id, epoch window, skill, signature,
// not spent) before any is counted; one bad token refuses the message with its index.
func (s msgServer) RedeemTokens(ctx context.Context, msg *types.MsgRedeemTokens) (*types.MsgRedeemTokensResponse, error) {
	if len(msg.Tokens) == 0 || len(msg.Tokens) > types.MaxTokensPerTx {
		return nil, errorsmod.Wrapf(types.ErrTooManyTokens, "%d tokens (1..%d)", len(msg.Tokens), types.MaxTokensPerTx)
	}
	submitter, err := s.addressCodec.StringToBytes(msg.Submitter)
	if err != nil {
		return nil, errorsmod.Wrap(types.ErrDeviceSubmitter, "submitter address")
	}
	if _, isDevice, err := s.devices.GetDevice(ctx, submitter); err != nil {
		return nil, err
	} else if isDevice {
		return nil, errorsmod.Wrap(types.ErrDeviceSubmitter, msg.Submitter)
	}
	ik, found, err := s.GetIssuerKey(ctx)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, types.ErrNoIssuerKey
	}
	cur, _, err := s.currentEpoch(ctx)
	if err != nil {
		return nil, err
	}
	chainID := sdk.UnwrapSDKContext(ctx).ChainID()
	kv := s.storeService.OpenKVStore(ctx)
	for i, tok := range msg.Tokens {
		wrap := func(e error) error { return errorsmod.Wrapf(e, "token %d", i) }
		t, err := types.ParseTokenMessage(tok.Message)
		if err != nil {
			return nil, wrap(err)
		}
		if t.ChainID != chainID {
			return nil, wrap(errorsmod.Wrap(types.ErrWrongChain, t.ChainID))
		}
		// a replaced key refuses its tokens whatever their epoch
		if string(t.KeyID) != string(ik.KeyId) {
			return nil, wrap(errorsmod.Wrapf(types.ErrIssuerKeyReplaced, "%x", t.KeyID))
		}
		// epoch e is redeemable during e and e+1 (the device may hand in a closed epoch's uses)
		if t.Epoch > cur || cur-t.Epoch > 1 {
			return nil, wrap(errorsmod.Wrapf(types.ErrEpochWindow, "epoch %d, now %d", t.Epoch, cur))
		}
		if _, found, err := s.GetSkill(ctx, t.SkillID); err != nil {
			return nil, err
		} else if !found {
			return nil, wrap(errorsmod.Wrap(types.ErrUnknownSkill, t.SkillID))
		}
		if err := ik.VerifyToken(tok.Message, tok.Signature); err != nil {
			return nil, wrap(err)
		}
		h := sha256.Sum256(tok.Message)
		if spent, err := kv.Has(types.SpentKey(h[:])); err != nil {
			return nil, err
		} else if spent {
			return nil, wrap(types.ErrDoubleSpend)
		}
		if err := kv.Set(types.SpentKey(h[:]), []byte{1}); err != nil {
			return nil, err
		}
		tally, err := s.GetSkillTally(ctx, t.Epoch, t.SkillID)
		if err != nil {
			return nil, err
		}
		tally.Tokens++
		if err := s.set(ctx, types.SkillTallyKey(t.Epoch, t.SkillID), &tally); err != nil {
			return nil, err
		}
		total, err := s.EpochTotal(ctx, t.Epoch)
		if err != nil {
			return nil, err
		}
		if err := s.setEpochTotal(ctx, t.Epoch, total+1); err != nil {
			return nil, err
		}
	}
	sdk.UnwrapSDKContext(ctx).EventManager().EmitEvent(sdk.NewEvent("usage_redeemed",
		sdk.NewAttribute("tokens", strconv.Itoa(len(msg.Tokens)))))
	return &types.MsgRedeemTokensResponse{Redeemed: uint32(len(msg.Tokens))}, nil
}

func (s msgServer) FundPool(ctx context.Context, msg *types.MsgFundPool) (*types.MsgFundPoolResponse, error) {
	from, err := s.addressCodec.StringToBytes(msg.Funder)
	if err != nil {
		return nil, errorsmod.Wrap(types.ErrInvalidAmount, "funder address")
	}
	amt := sdk.Coins(msg.Amount)
	if !amt.IsValid() || amt.IsZero() {
		return nil, errorsmod.Wrap(types.ErrInvalidAmount, amt.String())
	}
	return &types.MsgFundPoolResponse{}, s.bank.SendCoinsFromAccountToModule(ctx, from, types.ModuleName, amt)
}

// ClaimReward pays a closed epoch's share once: epoch_reward * skill tokens / epoch tokens
// (rounded down), to the skill's creator whoever submits it.
func (s msgServer) ClaimReward(ctx context.Context, msg *types.MsgClaimReward) (*types.MsgClaimRewardResponse, error) {
	cur, p, err := s.currentEpoch(ctx)
	if err != nil {
		return nil, err
	}
	if cur < msg.Epoch+2 {
		return nil, errorsmod.Wrapf(types.ErrEpochOpen, "epoch %d, now %d", msg.Epoch, cur)
	}
	skill, found, err := s.GetSkill(ctx, msg.SkillId)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, errorsmod.Wrap(types.ErrUnknownSkill, msg.SkillId)
	}
	tally, err := s.GetSkillTally(ctx, msg.Epoch, msg.SkillId)
	if err != nil {
		return nil, err
	}
	if tally.Tokens == 0 {
		return nil, types.ErrNothingToClaim
	}
	if tally.Paid {
		return nil, types.ErrAlreadyPaid
	}
	total, err := s.EpochTotal(ctx, msg.Epoch)
	if err != nil {
		return nil, err
	}
	share := p.EpochReward.Amount.Mul(math.NewIntFromUint64(tally.Tokens)).Quo(math.NewIntFromUint64(total))
	paid := sdk.NewCoin(p.EpochReward.Denom, share)
	tally.Paid = true
	if err := s.set(ctx, types.SkillTallyKey(msg.Epoch, msg.SkillId), &tally); err != nil {
		return nil, err
	}
	if share.IsPositive() {
		to, err := s.addressCodec.StringToBytes(skill.Creator)
		if err != nil {
			return nil, err
		}
		if err := s.bank.SendCoinsFromModuleToAccount(ctx, types.ModuleName, to, sdk.NewCoins(paid)); err != nil {
			return nil, err
		}
	}
	sdk.UnwrapSDKContext(ctx).EventManager().EmitEvent(sdk.NewEvent("usage_reward",
		sdk.NewAttribute("skill", msg.SkillId), sdk.NewAttribute("epoch", strconv.FormatUint(msg.Epoch, 10)),
		sdk.NewAttribute("paid", paid.String())))
	return &types.MsgClaimRewardResponse{Paid: paid}, nil
}
