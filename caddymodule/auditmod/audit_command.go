package auditmod

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/spf13/cobra"

	"github.com/ocomms/ocomms-edge/auditlog/chain"
	"github.com/ocomms/ocomms-edge/auditlog/query"
	"github.com/ocomms/ocomms-edge/auditlog/record"
	"github.com/ocomms/ocomms-edge/auditlog/setup"
	"github.com/ocomms/ocomms-edge/auditlog/sink/zapsink"
	"github.com/ocomms/ocomms-edge/caddymodule/internal/modkit"
	"github.com/ocomms/ocomms-edge/secevent"
)

func init() {
	modkit.AddOcommsCommand(newAuditCommand())
}

// newAuditCommand is `caddy ocomms audit`.
func newAuditCommand() *cobra.Command {
	audit := &cobra.Command{
		Use:   "audit",
		Short: "Query and verify the security audit log",
	}
	audit.AddCommand(newAuditQueryCommand(), newAuditVerifyCommand(), newAuditPublicKeyCommand())
	return audit
}

// storeFlags say where an offline command finds the audit log.
type storeFlags struct {
	jsonl, postgres string
}

func (s *storeFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&s.jsonl, "jsonl", "", "directory of the JSONL files (default: <caddy data dir>/ocomms-audit)")
	cmd.Flags().StringVar(&s.postgres, "postgres", "", "PostgreSQL URL instead of the JSONL files (sslmode=verify-full off loopback)")
}

func (s *storeFlags) open(ctx context.Context) (setup.Store, func(), error) {
	if s.jsonl != "" && s.postgres != "" {
		return setup.Store{}, nil, errors.New("give --jsonl or --postgres, not both")
	}
	dir := s.jsonl
	if dir == "" && s.postgres == "" {
		dir = filepath.Join(caddy.AppDataDir(), "ocomms-audit")
	}
	return setup.OpenOffline(ctx, dir, s.postgres)
}

type queryFlags struct {
	storeFlags
	q              secevent.FilterText
	failedSignins  string
	accountsFromIP string
	ipsForAccount  string
	asJSON         bool
	address        string
}

func newAuditQueryCommand() *cobra.Command {
	var f queryFlags
	cmd := &cobra.Command{
		Use:   "query [flags]",
		Short: "Search the audit log (newest first)",
		Long: `
Searches the audit log: the JSONL files (default) or PostgreSQL directly,
or the running edge's store through its admin API with --address.

Filters combine. Times are RFC 3339, a date, or a duration back from now
(24h, 7d). --after takes the "next" cursor a previous page printed.

Shortcuts:
  --failed-signins USER     failed sign-ins of a user id or email
  --accounts-from-ip IP     accounts tried from an address or CIDR (spraying)
  --ips-for-account ACCOUNT addresses an account was used from (takeover)
`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runAuditQuery(cmd, f) },
	}
	f.storeFlags.add(cmd)
	fl := cmd.Flags()
	fl.StringVar(&f.q.User, "user", "", "user id")
	fl.StringVar(&f.q.Email, "email", "", "email address")
	fl.StringVar(&f.q.IP, "ip", "", "source address or CIDR")
	fl.StringVar(&f.q.Type, "type", "", "event types, comma-separated (sign_in_failed, admin_action, …)")
	fl.StringVar(&f.q.Outcome, "outcome", "", "success, failure or unknown")
	fl.StringVar(&f.q.Since, "since", "", "from this time")
	fl.StringVar(&f.q.Until, "until", "", "up to this time")
	fl.StringVar(&f.q.After, "after", "", "cursor of the next page")
	fl.StringVar(&f.q.Limit, "limit", "", "events per page (1-1000, default 100)")
	fl.StringVar(&f.failedSignins, "failed-signins", "", "failed sign-ins for a user id or email")
	fl.StringVar(&f.accountsFromIP, "accounts-from-ip", "", "accounts seen from an address or CIDR")
	fl.StringVar(&f.ipsForAccount, "ips-for-account", "", "addresses seen for a user id or email")
	fl.BoolVar(&f.asJSON, "json", false, "print JSON instead of a table")
	fl.StringVar(&f.address, "address", "", "ask the running edge's admin API at this address (e.g. localhost:2019)")
	return cmd
}

func runAuditQuery(cmd *cobra.Command, f queryFlags) error {
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	if f.failedSignins != "" {
		if f.q.Type != "" || f.q.Outcome != "" {
			return errors.New("--failed-signins sets --type and --outcome itself")
		}
		f.q.Type, f.q.Outcome = string(secevent.ActionSignInFailed), string(secevent.OutcomeFailure)
		if strings.Contains(f.failedSignins, "@") {
			f.q.Email = f.failedSignins
		} else {
			f.q.User = f.failedSignins
		}
	}
	if f.accountsFromIP != "" && f.ipsForAccount != "" {
		return errors.New("give one of --accounts-from-ip and --ips-for-account")
	}
	out := cmd.OutOrStdout()
	if f.address != "" {
		return queryThroughAdmin(ctx, out, f)
	}
	st, closeStore, err := f.storeFlags.open(ctx)
	if err != nil {
		return err
	}
	defer closeStore()
	if st.Querier == nil {
		return fmt.Errorf("the %s store cannot answer queries in this build", st.Name)
	}
	since, err := secevent.ParseWhen(f.q.Since, time.Now())
	if err != nil {
		return fmt.Errorf("--since: %w", err)
	}
	until, err := secevent.ParseWhen(f.q.Until, time.Now())
	if err != nil {
		return fmt.Errorf("--until: %w", err)
	}
	switch {
	case f.accountsFromIP != "":
		if err := secevent.CheckIPOrCIDR(f.accountsFromIP); err != nil {
			return err
		}
		ps, err := st.Querier.AccountsFromIP(ctx, f.accountsFromIP, since, until)
		if err != nil {
			return fmt.Errorf("accounts from %s: %w", f.accountsFromIP, err)
		}
		return printPivots(out, "ACCOUNT", ps, f.asJSON)
	case f.ipsForAccount != "":
		ps, err := st.Querier.IPsForAccount(ctx, f.ipsForAccount, since, until)
		if err != nil {
			return fmt.Errorf("addresses of %s: %w", f.ipsForAccount, err)
		}
		return printPivots(out, "IP", ps, f.asJSON)
	}
	filter, err := f.q.Filter(time.Now())
	if err != nil {
		return err
	}
	page, err := st.Querier.Query(ctx, filter)
	if err != nil {
		return fmt.Errorf("query: %w", err)
	}
	if f.asJSON {
		pj, err := pageJSON(page)
		if err != nil {
			return err
		}
		return printJSON(out, pj)
	}
	return printEvents(out, page.Events, page.Next)
}

// queryThroughAdmin asks the running edge's admin API.
func queryThroughAdmin(ctx context.Context, out io.Writer, f queryFlags) error {
	addr := f.address
	if !strings.Contains(addr, "://") {
		addr = "http://" + addr
	}
	v := url.Values{}
	path := "/ocomms/audit/events"
	switch {
	case f.accountsFromIP != "":
		path = "/ocomms/audit/accounts-from-ip"
		v.Set("ip", f.accountsFromIP)
	case f.ipsForAccount != "":
		path = "/ocomms/audit/ips-for-account"
		v.Set("account", f.ipsForAccount)
	default:
		for k, val := range map[string]string{"user": f.q.User, "email": f.q.Email, "ip": f.q.IP, "type": f.q.Type,
			"outcome": f.q.Outcome, "after": f.q.After, "limit": f.q.Limit} {
			if val != "" {
				v.Set(k, val)
			}
		}
	}
	if f.q.Since != "" {
		v.Set("since", f.q.Since)
	}
	if f.q.Until != "" {
		v.Set("until", f.q.Until)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(addr, "/")+path+"?"+v.Encode(), nil)
	if err != nil {
		return fmt.Errorf("admin API request: %w", err)
	}
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("admin API: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("admin API: reading: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("admin API: %s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	if f.asJSON {
		_, err := out.Write(body)
		return err
	}
	// Several edges on one admin address answer in turn: say which did.
	defer modkit.PrintAnswered(out, resp.Header.Get(modkit.InstanceHeader))
	if path != "/ocomms/audit/events" {
		var pv struct {
			Accounts []pivotJSON `json:"accounts"`
			IPs      []pivotJSON `json:"ips"`
		}
		if err := json.Unmarshal(body, &pv); err != nil {
			return fmt.Errorf("admin API: %w", err)
		}
		if path == "/ocomms/audit/accounts-from-ip" {
			return printPivots(out, "ACCOUNT", pivotsFromJSON(pv.Accounts), false)
		}
		return printPivots(out, "IP", pivotsFromJSON(pv.IPs), false)
	}
	var pj auditPageJSON
	if err := json.Unmarshal(body, &pj); err != nil {
		return fmt.Errorf("admin API: %w", err)
	}
	events := make([]secevent.Event, 0, len(pj.Events))
	for _, doc := range pj.Events {
		e, err := record.UnmarshalEvent(doc)
		if err != nil {
			return fmt.Errorf("admin API: event: %w", err)
		}
		events = append(events, e)
	}
	return printEvents(out, events, pj.Next)
}

func printJSON(out io.Writer, v any) error {
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// printEvents writes the query package's readable table (values quoted so logged
// input cannot forge rows), newest first as the store gave it, and the
// cursor of the next page.
func printEvents(out io.Writer, events []secevent.Event, next string) error {
	if err := query.WriteEvents(out, events, query.FormatTable); err != nil {
		return err
	}
	fmt.Fprintf(out, "%d events", len(events))
	if next != "" {
		fmt.Fprintf(out, "; more with --after %s", next)
	}
	fmt.Fprintln(out)
	return nil
}

func printPivots(out io.Writer, what string, ps []query.Pivot, asJSON bool) error {
	if asJSON {
		return printJSON(out, pivotsJSON(ps))
	}
	return query.WritePivots(out, what, ps)
}

// pivotsFromJSON turns the admin API's pivot rows back into Pivots.
func pivotsFromJSON(rows []pivotJSON) []query.Pivot {
	out := make([]query.Pivot, 0, len(rows))
	for _, r := range rows {
		out = append(out, query.Pivot{Value: r.Value, Events: r.Events, Failures: r.Failures, First: r.First, Last: r.Last})
	}
	return out
}

func newAuditVerifyCommand() *cobra.Command {
	var sf storeFlags
	var pubFiles, instances []string
	var anchors []string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "verify --public-key [INSTANCE=]FILE... [--jsonl DIR | --postgres URL]",
		Short: "Check the audit log's hash chain and signed checkpoints",
		Long: `
Recomputes every record's hash over its stored bytes, checks the chain's
links and sequence, and checks every checkpoint's Ed25519 signature with the
given public keys alone. Every edge instance signs its own chain with its own
key: for a store several instances share, give each instance's key, bound to
its chain as --public-key edge-a=a.pem (a key without INSTANCE= is trusted
for every chain). --instance limits the check to some chains. --anchor adds the checkpoints Caddy's JSON log holds
(logger ocomms.audit), so that a store cut together with its own
checkpoints is caught too. Exits non-zero on any tampering (an edited, deleted,
inserted or reordered record, or a truncated tail behind a checkpoint) and
names the first bad sequence number.
`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			keys, err := trustedKeysFromFlags(pubFiles, instances)
			if err != nil {
				return err
			}
			st, closeStore, err := sf.open(ctx)
			if err != nil {
				return err
			}
			defer closeStore()
			reader := st.Chain
			if len(anchors) > 0 && reader != nil {
				var extra []record.Checkpoint
				for _, a := range anchors {
					cps, err := readAnchor(a)
					if err != nil {
						return err
					}
					extra = append(extra, cps...)
				}
				reader = chain.WithCheckpoints(reader, extra)
			}
			res, err := setup.Verify(ctx, reader, keys)
			if err != nil {
				return fmt.Errorf("verify: %w", err)
			}
			res.Store = st.Name
			out := cmd.OutOrStdout()
			if asJSON {
				if err := printJSON(out, res); err != nil {
					return err
				}
			} else if res.OK {
				fmt.Fprintf(out, "OK: %d records, %d checkpoints verified (%s)\n", res.Records, res.Checkpoints, st.Name)
			}
			if !res.OK {
				return fmt.Errorf("TAMPERED: first bad seq %d (instance %s): %s", res.FirstBadSeq, res.Instance, res.Problem)
			}
			return nil
		},
	}
	sf.add(cmd)
	cmd.Flags().StringArrayVar(&pubFiles, "public-key", nil, "Ed25519 public key file of a checkpoint signer, as FILE or INSTANCE=FILE (repeatable)")
	cmd.Flags().StringArrayVar(&instances, "instance", nil, "verify only this instance's chain (repeatable)")
	cmd.Flags().StringArrayVar(&anchors, "anchor", nil, "Caddy JSON log file whose ocomms.audit checkpoints anchor the store (repeatable)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}

func newAuditPublicKeyCommand() *cobra.Command {
	var keyFile string
	cmd := &cobra.Command{
		Use:   "public-key [--signing-key-file FILE]",
		Short: "Print the checkpoint verification key (PEM) for verify --public-key",
		Long: `
Prints the public half of the audit log's Ed25519 checkpoint key, to keep
away from the edge and give to 'caddy ocomms audit verify --public-key'.
It reads an existing key and never creates one.
`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if keyFile == "" {
				keyFile = filepath.Join(defaultAuditBase(), "checkpoint.key")
			}
			if _, err := os.Stat(keyFile); err != nil {
				return fmt.Errorf("signing key: %w", err)
			}
			key, err := chain.LoadOrCreateSigningKey(keyFile)
			if err != nil {
				return err
			}
			pemKey, err := chain.MarshalPublicKey(key.Public().(ed25519.PublicKey))
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(pemKey)
			return err
		},
	}
	cmd.Flags().StringVar(&keyFile, "signing-key-file", "", "the checkpoint key (default <caddy data dir>/ocomms-audit/checkpoint.key)")
	return cmd
}

// readAnchor reads the checkpoints of a Caddy JSON log file.
func readAnchor(path string) ([]record.Checkpoint, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("anchor: %w", err)
	}
	defer f.Close()
	cps, err := zapsink.ReadZapCheckpoints(f)
	if err != nil {
		return nil, fmt.Errorf("anchor %s: %w", path, err)
	}
	return cps, nil
}

// trustedKeysFromFlags reads the --public-key files: FILE trusts the key for
// every chain, INSTANCE=FILE for that instance's chain only.
func trustedKeysFromFlags(pubFiles, instances []string) (chain.TrustedKeys, error) {
	keys := chain.TrustedKeys{ByInstance: map[string][]ed25519.PublicKey{}, Only: instances}
	if len(pubFiles) == 0 {
		return keys, errors.New("--public-key is required: verification trusts only the keys you give")
	}
	for _, arg := range pubFiles {
		instance, file := "", arg
		if i := strings.Index(arg, "="); i > 0 {
			instance, file = arg[:i], arg[i+1:]
		}
		raw, err := os.ReadFile(file)
		if err != nil {
			return keys, fmt.Errorf("reading the public key: %w", err)
		}
		pub, err := chain.ParsePublicKey(raw)
		if err != nil {
			return keys, fmt.Errorf("public key %s: %w", file, err)
		}
		if instance == "" {
			keys.Any = append(keys.Any, pub)
		} else {
			keys.ByInstance[instance] = append(keys.ByInstance[instance], pub)
		}
	}
	return keys, nil
}
