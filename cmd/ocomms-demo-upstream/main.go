// Command ocomms-demo-upstream runs the fake OComms app
// (internal/demoupstream) on a plain HTTP listener, as the upstream for
// `make demo` and browser tests.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/ocomms/ocomms-edge/internal/demoupstream"
)

// shutdownGrace bounds how long held long-polls may delay an exit.
const shutdownGrace = 5 * time.Second

func main() {
	listen := flag.String("listen", "127.0.0.1:3000", "address to listen on")
	password := flag.String("password", demoupstream.DefaultPassword, "password of the demo user "+demoupstream.DemoEmail)
	secure := flag.Bool("secure-cookies", false, "use __Secure- cookie names and the Secure attribute (an https BETTER_AUTH_URL)")
	flag.Parse()

	logger := log.New(os.Stderr, "ocomms-demo-upstream: ", log.LstdFlags)
	if err := run(*listen, *password, *secure, logger); err != nil {
		logger.Fatal(err)
	}
}

// run serves until SIGINT or SIGTERM, then shuts down gracefully.
func run(listen, password string, secure bool, logger *log.Logger) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", listen, err)
	}
	handler := demoupstream.NewHandler(demoupstream.Options{Password: password, SecureCookies: secure, Logger: logger})
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, ErrorLog: logger}
	srv.RegisterOnShutdown(handler.Close)
	logger.Printf("listening on http://%s (demo user %s, secure cookies %v)", ln.Addr(), demoupstream.DemoEmail, secure)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	err = srv.Shutdown(shutdownCtx)
	if errors.Is(err, context.DeadlineExceeded) {
		// Held long-polls outlived the grace period: drop them.
		err = srv.Close()
	}
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	logger.Printf("stopped")
	return nil
}
