// Package postgres is the audit log's PostgreSQL store: the schema and its
// migrations, daily partitions, the batched idempotent writer, the chain
// reader (a chain.ChainReader), the investigator queries (a query.Querier)
// and retention with signed retention checkpoints.
//
// It is the only audit package that imports pgx. It imports record, chain,
// query and pipeline (only to assert that it implements pipeline.Sink and
// pipeline.HeadReader), and must not import another sink or Caddy.
package postgres
