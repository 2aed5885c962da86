package ipallow

import (
	"context"
	"net/netip"
)

func contextWith(ctx context.Context, a netip.Addr) context.Context {
	return context.WithValue(ctx, ipKey{}, a)
}
