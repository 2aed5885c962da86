package pipeline

// Stats is a snapshot of the pipeline's state.
type Stats struct {
	// LastSeq is the last sequence number assigned; DurableSeq the last
	// one fsynced to the spool.
	LastSeq, DurableSeq uint64
	// QueueDepth is the number of events waiting for the next spool write;
	// QueueCapacity its bound (Config.QueueSize).
	QueueDepth, QueueCapacity int
	// Backlog is the largest sink Lag: durable events some sink has not
	// acknowledged yet. Every event passes through the spool, so a spool
	// is never empty for long; a growing Backlog is what says a sink is
	// behind or down.
	Backlog uint64
	// SpoolSegments and SpoolBytes are the spool's current size.
	SpoolSegments int
	SpoolBytes    int64
	// Dropped counts events refused (closed pipeline or stalled spool);
	// EncodeErrors events that could not be encoded; SpoolErrors failed
	// spool writes or fsyncs (retried).
	Dropped, EncodeErrors, SpoolErrors uint64
	// Checkpoints counts the checkpoints written to the spool.
	Checkpoints uint64
	// Sinks is one entry per sink.
	Sinks []SinkStats
}

// SinkStats is one sink's delivery state.
type SinkStats struct {
	Name string
	// DeliveredSeq is the last seq the sink acknowledged; Lag is
	// DurableSeq minus DeliveredSeq.
	DeliveredSeq, Lag uint64
	// Errors counts failed writes (each retried); LastError is the last.
	Errors    uint64
	LastError string
}

// Stats returns a snapshot of the pipeline's counters.
func (p *Pipeline) Stats() Stats {
	p.mu.Lock()
	st := Stats{LastSeq: p.seq, QueueDepth: len(p.pending) + int(p.unwritten.Load()), QueueCapacity: p.cfg.QueueSize}
	p.mu.Unlock()
	st.DurableSeq = p.durableSeq.Load()
	st.SpoolSegments, st.SpoolBytes = p.sp.usage()
	st.Dropped = p.dropped.Load()
	st.EncodeErrors = p.encodeErrors.Load()
	st.SpoolErrors = p.spoolErrors.Load()
	st.Checkpoints = p.checkpoints.Load()
	for _, r := range p.runners {
		d := r.acked.Load()
		ss := SinkStats{Name: r.name, DeliveredSeq: d, Errors: r.errors.Load()}
		if st.DurableSeq > d {
			ss.Lag = st.DurableSeq - d
		}
		st.Backlog = max(st.Backlog, ss.Lag)
		if e, ok := r.lastErr.Load().(string); ok {
			ss.LastError = e
		}
		st.Sinks = append(st.Sinks, ss)
	}
	return st
}
