package keeper_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/mycroft-lightclient/chain/x/payments"
	"github.com/mycroft-lightclient/chain/x/payments/types"
)

func (f *fixture) register(who, service, endpoint string, price int64) (*types.MsgRegisterProviderResponse, error) {
	return f.srv.RegisterProvider(f.ctx, &types.MsgRegisterProvider{Provider: who, Service: service,
		Endpoint: endpoint, Price: sdk.NewInt64Coin(denom, price)})
}

func TestRegisterProviderListsAndUpdatesInPlace(t *testing.T) {
	f := setup(t)
	r, err := f.register(f.provider, "stt", "http://127.0.0.1:8001/stt", 1000)
	require.NoError(t, err)
	require.Equal(t, uint32(1), r.Providers)
	r, err = f.register(f.other, "stt", "http://127.0.0.1:8002/stt", 800)
	require.NoError(t, err)
	require.Equal(t, uint32(2), r.Providers)
	// a new endpoint and price: the same entry, the same position
	f.ctx = f.ctx.WithBlockHeight(7)
	r, err = f.register(f.provider, "stt", "https://stt.example/v1", 1200)
	require.NoError(t, err)
	require.Equal(t, uint32(2), r.Providers)
	sp, err := f.k.GetService(f.ctx, "stt")
	require.NoError(t, err)
	require.Equal(t, "stt", sp.Service)
	require.Len(t, sp.Providers, 2)
	require.Equal(t, types.ProviderEntry{Address: f.provider, Endpoint: "https://stt.example/v1",
		Denom: denom, Price: 1200, RegisteredHeight: 7}, *sp.Providers[0])
	require.Equal(t, f.other, sp.Providers[1].Address)
	// services are separate lists under separate keys
	w, err := f.k.GetService(f.ctx, "weather")
	require.NoError(t, err)
	require.Empty(t, w.Providers)
	require.Equal(t, append([]byte{0x02, 3}, "stt"...), types.ServiceKey("stt"))
}

func TestRegisterProviderRefusals(t *testing.T) {
	f := setup(t)
	long := "http://127.0.0.1/" + string(make([]byte, 200))
	for _, c := range []struct {
		service, endpoint string
		price             int64
		want              error
	}{
		{"", "http://127.0.0.1:1/", 1, types.ErrInvalidService},
		{"STT", "http://127.0.0.1:1/", 1, types.ErrInvalidService},
		{"a-service-name-longer-than-32-bytes", "http://127.0.0.1:1/", 1, types.ErrInvalidService},
		{"stt", "ftp://127.0.0.1/", 1, types.ErrInvalidEndpoint},
		{"stt", "http://127.0.0.1/a b", 1, types.ErrInvalidEndpoint},
		{"stt", "http://127.0.0.1/\n", 1, types.ErrInvalidEndpoint},
		{"stt", long, 1, types.ErrInvalidEndpoint},
		{"stt", "http://127.0.0.1:1/", 0, types.ErrInvalidPrice},
	} {
		_, err := f.register(f.provider, c.service, c.endpoint, c.price)
		isErr(t, err, c.want)
	}
	// the list is bounded: one proof gives a device the whole of it
	for i := 0; i < types.MaxProviders; i++ {
		_, err := f.register(addr(fmt.Sprint("p", i)).String(), "stt", "http://127.0.0.1:1/", 1)
		require.NoError(t, err)
	}
	_, err := f.register(f.provider, "stt", "http://127.0.0.1:1/", 1)
	isErr(t, err, types.ErrTooManyProviders)
	// an entry already listed may still update itself
	_, err = f.register(addr("p3").String(), "stt", "http://127.0.0.1:2/", 2)
	require.NoError(t, err)
}

func TestDeregisterProvider(t *testing.T) {
	f := setup(t)
	_, err := f.register(f.provider, "weather", "http://127.0.0.1:8003/", 10)
	require.NoError(t, err)
	_, err = f.srv.DeregisterProvider(f.ctx, &types.MsgDeregisterProvider{Provider: f.other, Service: "weather"})
	isErr(t, err, types.ErrProviderNotFound)
	_, err = f.srv.DeregisterProvider(f.ctx, &types.MsgDeregisterProvider{Provider: f.provider, Service: "weather"})
	require.NoError(t, err)
	// the last one gone: the key is deleted, so the device proves "no provider" as an absence
	bz, err := f.k.AllServices(f.ctx)
	require.NoError(t, err)
	require.Empty(t, bz)
}

func TestGenesisRoundTripWithProviders(t *testing.T) {
	f := setup(t)
	_, err := f.register(f.provider, "stt", "http://127.0.0.1:8001/", 1000)
	require.NoError(t, err)
	_, err = f.register(f.other, "weather", "http://127.0.0.1:8002/", 5)
	require.NoError(t, err)
	gs, err := payments.ExportGenesis(f.ctx, f.k)
	require.NoError(t, err)
	require.Len(t, gs.Services, 2)
	g := setup(t)
	require.NoError(t, payments.InitGenesis(g.ctx, g.k, gs))
	back, err := payments.ExportGenesis(g.ctx, g.k)
	require.NoError(t, err)
	require.Equal(t, gs, back)
}
