package setup

import (
	"context"
	"errors"

	"github.com/ocomms/ocomms-edge/auditlog/chain"
)

// VerifyResult is what verification found, for the admin API and the CLI.
type VerifyResult struct {
	Store       string `json:"store,omitempty"`
	OK          bool   `json:"ok"`
	Records     int    `json:"records"`
	Checkpoints int    `json:"checkpoints"`
	// FirstBadSeq is the first untrustworthy sequence number of the first
	// bad chain (0: none, or unknown for a malformed line).
	FirstBadSeq uint64                 `json:"first_bad_seq,omitempty"`
	Instance    string                 `json:"instance,omitempty"`
	Problem     string                 `json:"problem,omitempty"`
	Problems    []VerifyProblem        `json:"problems,omitempty"`
	Instances   []chain.InstanceReport `json:"instances,omitempty"`
}

// VerifyProblem is one problem verification found.
type VerifyProblem struct {
	Instance string `json:"instance"`
	Seq      uint64 `json:"seq"`
	Kind     string `json:"kind"`
	Detail   string `json:"detail"`
}

// Verify runs chain.VerifyTrusted over a store's chains.
func Verify(ctx context.Context, reader chain.ChainReader, keys chain.TrustedKeys) (VerifyResult, error) {
	if reader == nil {
		return VerifyResult{}, errors.New("this store cannot be verified")
	}
	rep, err := chain.VerifyTrusted(ctx, reader, keys)
	if err != nil {
		return VerifyResult{}, err
	}
	res := VerifyResult{OK: rep.OK(), Records: rep.Records, Checkpoints: rep.Checkpoints, Instances: rep.Instances}
	for _, p := range rep.Problems {
		res.Problems = append(res.Problems, VerifyProblem{p.Instance, p.Seq, string(p.Kind), p.Detail})
	}
	if len(rep.Problems) > 0 {
		p := rep.Problems[0]
		res.FirstBadSeq, res.Instance, res.Problem = p.Seq, p.Instance, string(p.Kind)+": "+p.Detail
	}
	return res, nil
}
