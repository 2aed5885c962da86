package certstore_test

import (
	"context"
	"fmt"
	"os"

	"github.com/caddyserver/certmagic"
	"github.com/redis/go-redis/v9"

	"github.com/ocomms/ocomms-edge/certstore"
)

// A certmagic configuration whose certificates, account and locks live in
// Redis, sealed with a key from the environment.
func ExampleNew() {
	client := redis.NewUniversalClient(&redis.UniversalOptions{Addrs: []string{"127.0.0.1:6379"}})
	defer client.Close()
	var opts certstore.Options
	if k := os.Getenv("OCOMMS_STORAGE_KEY"); k != "" {
		key, err := certstore.ParseKey(k)
		if err != nil {
			fmt.Println(err)
			return
		}
		opts.EncryptionKey = key
	}
	storage, err := certstore.New(client, opts)
	if err != nil {
		fmt.Println(err)
		return
	}
	cfg := certmagic.NewDefault()
	cfg.Storage = storage
	_ = cfg.ManageAsync(context.Background(), []string{"chat.example.com"}) // needs a reachable CA
}
